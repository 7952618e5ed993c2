"""The server transport: websockets' asyncio server, inside any running loop.

``await server.start()`` returns as soon as the socket listens; the server
keeps running in the background (in a notebook, after the cell ends). Each
client gets a :class:`~wskit.transports.connection.Connection`. A connection
either belongs to a route handler (``@server.route(...)``, FastAPI style) or,
when no route is declared, is read by the transport, which calls ``on_frame``
handlers for every decoded frame (Pipecat style).

Compared with Pipecat's server: several clients with an explicit policy for
one too many, a session timeout per client (every client, not just the
first) that can close the session, undecodable messages reported as errors
instead of dropped, and re-running the start cell replaces the old server.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import inspect
import logging
import time
import warnings
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.asyncio.server import broadcast as ws_broadcast
from websockets.exceptions import InvalidMessage as InvalidHTTP
from websockets.http11 import Request, Response
from websockets.protocol import State

from .. import runtime
from ..events import Direction, EventKind
from ..frames import Frame
from ..redact import mask_text
from .base import BaseTransport, FrameStream
from .connection import Connection, HTTPReject, WebSocketDisconnect, WebSocketException, as_frame
from .datastructures import WebSocketState
from .delivery import DirectDelivery
from .pages import page_response
from .params import AuthHook, WebsocketServerParams
from .routing import Handler, ParameterError, Route

__all__ = ["HANDSHAKE_REPORTS_PER_SECOND", "STOP_GRACE", "InsecureServerWarning", "WebsocketServerTransport"]

logger = logging.getLogger("wskit")
F = TypeVar("F", bound=Handler)

#: At most this many failed opening handshakes per second become events and log lines.
HANDSHAKE_REPORTS_PER_SECOND = 10
#: Seconds ``stop(timeout)`` may take beyond ``timeout`` to tear down what it cancelled.
STOP_GRACE = 0.5


class InsecureServerWarning(UserWarning):
    """A server is reachable from the network and checks no credentials."""


class _ServerConnection(DirectDelivery, ServerConnection):
    """websockets' server connection, telling its wskit server what websockets keeps to itself.

    websockets answers failed upgrades (random bytes, plain HTTP -> 426, wrong
    version -> 400) and notices a peer gone without calling any handler; these
    two hooks turn both into wskit events. One subclass per server (see
    :meth:`WebsocketServerTransport.start`) carries the server.
    """

    wskit_server: ClassVar[WebsocketServerTransport]
    wskit_conn: Connection | None = None  # set once the handler runs
    wskit_answered = False  # our process_request already answered with an HTTP status

    async def handshake(self, *args: Any, **kwargs: Any) -> None:
        failure: BaseException | None = None
        try:
            await super().handshake(*args, **kwargs)
        except BaseException as exc:  # open_timeout cancels us; report, then let it go on
            failure = exc
            raise
        finally:
            if self.protocol.state is not State.OPEN:
                self.wskit_server._handshake_failed(self, failure)

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        if self.wskit_conn is not None:
            self.wskit_server._lost(self.wskit_conn)


class WebsocketServerTransport(BaseTransport):
    """A WebSocket server with Pipecat's surface and Starlette's connections.

    Args:
        params: server parameters.
        host: address to bind; ``127.0.0.1`` unless told otherwise.
        port: port to bind; ``0`` picks a free one (see :attr:`url`).

    Events (``@server.event_handler(name)``), each handler called with the
    transport first: ``on_websocket_ready()``, ``on_client_connected(conn)``,
    ``on_client_disconnected(conn)``, ``on_session_timeout(conn)``,
    ``on_client_rejected(conn_or_None, code, reason)``, ``on_frame(conn, frame)``,
    ``on_error(conn_or_None, error)``.
    """

    role = "server"  #: which end this transport is, as logs and diagrams name it
    EVENTS = frozenset(
        {
            "on_websocket_ready",
            "on_client_connected",
            "on_client_disconnected",
            "on_session_timeout",
            "on_client_rejected",
            "on_frame",
            "on_error",
        }
    )

    def __init__(self, params: WebsocketServerParams | None = None, host: str = "127.0.0.1", port: int = 8765) -> None:
        self.params: WebsocketServerParams = params or WebsocketServerParams()
        super().__init__(self.params)
        self.host = host
        self.port = port
        self.routes: list[Route] = []
        self._server: Server | None = None
        self._address: tuple[str, int] | None = None
        self._clients: dict[int, Connection] = {}
        # connections between the auth hook and the handler: (conn, route, close code and reason).
        # Emptied when the handler starts or the handshake fails (_ServerConnection.handshake),
        # so upgrades that websockets refuses after process_request leave nothing behind.
        self._pending: dict[ServerConnection, tuple[Connection, Route | None, tuple[int, str] | None]] = {}
        self._timers: dict[int, asyncio.Task[None]] = {}
        self._handshake_window = 0.0
        self._handshake_reports = self._handshake_suppressed = 0
        self._handlers_running: dict[int, asyncio.Task[Any]] = {}
        self._live: set[ServerConnection] = set()  # upgraded connections whose handler has not returned

    def __repr__(self) -> str:
        where = self.url if self._server else f"{self.host}:{self.port} (stopped)"
        return f"<WebsocketServerTransport {where} clients={len(self._clients)}>"

    # -- facts ----------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def listen_address(self) -> tuple[str, int] | None:
        """``(host, port)`` actually bound, once started."""
        return self._address

    @property
    def url(self) -> str:
        """``ws://host:port/`` to connect to (loopback when bound to every interface)."""
        if self._address is None:
            raise RuntimeError("the server is not started: await server.start() first")
        host, port = self._address
        host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
        return f"ws://[{host}]:{port}/" if ":" in host else f"ws://{host}:{port}/"

    @property
    def clients(self) -> tuple[Connection, ...]:
        """Connected clients, oldest first."""
        return tuple(self._clients.values())

    def frames(self, maxsize: int = 1024) -> FrameStream[tuple[Connection, Frame]]:
        """``async for conn, frame in server.frames()``: every decoded incoming frame."""
        return FrameStream(self, maxsize, pairs=True)

    # -- routes -----------------------------------------------------------------

    def route(self, path: str, *, auth: AuthHook | None = None) -> Callable[[F], F]:
        """Decorator: serve ``path`` (a template like ``/items/{item_id}/ws``) with a handler.

        The handler is ``async def handler(websocket, item_id, q: int | None = None)``:
        FastAPI-style, with path and query parameters by name. It must
        ``await websocket.accept()`` before talking, and it does the reading:
        ``on_frame`` handlers are not called for its connection (``frames()``
        streams still see what it receives with ``receive_frame``). Paths no
        route matches are served the event-driven way (``on_frame``) when the
        server has ``on_frame`` handlers, so an echo and routes share one
        server; without ``on_frame`` handlers they get HTTP 404. ``auth``
        (default ``params.auth``) runs before the upgrade.
        """

        def register(handler: F) -> F:
            self.routes.append(Route(path, handler, auth))
            return handler

        return register

    def _find_route(self, path: str) -> tuple[Route | None, dict[str, str]] | None:
        """The route serving ``path`` and its parameters; ``(None, {})`` for the
        event-driven mode (no routes, or ``on_frame`` handlers take the rest);
        ``None`` when nothing serves it (HTTP 404)."""
        for route in self.routes:
            params = route.match(path)
            if params is not None:
                return route, params
        if not self.routes or self._handlers.get("on_frame"):
            return None, {}
        return None

    # -- lifetime -----------------------------------------------------------------

    async def start(self) -> None:
        """Listen, fire ``on_websocket_ready``, and return; serving goes on in the background.

        An earlier wskit server on the same ``host:port`` (a re-run notebook
        cell) is stopped first.

        Raises:
            OSError: the address is taken by something that is not a wskit server.
        """
        if self._server is not None:
            return
        self._warn_if_exposed()
        await self._begin()
        await runtime.release_address(self.host, self.port, self)
        try:
            self._server = await serve(
                self._handle,
                self.host,
                self.port,
                process_request=self._process_request,
                create_connection=type("ServerConnection", (_ServerConnection,), {"wskit_server": self}),
                origins=self.params.origins,  # type: ignore[arg-type]
                subprotocols=self.params.subprotocols,  # type: ignore[arg-type]
                **self.params.websockets_options(),
            )
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise OSError(
                    exc.errno,
                    f"{self.host}:{self.port} is in use by a program other than a wskit server "
                    "in this process; pick another port or port=0",
                ) from exc
            raise
        sockname = self._server.sockets[0].getsockname()
        self._address = (sockname[0], sockname[1])
        runtime.register(self)
        await self._notify(EventKind.READY, "on_websocket_ready", info={"url": self.url})

    def _warn_if_exposed(self) -> None:
        """Warn when every interface is bound and nothing checks who connects."""
        if self.host not in ("", "0.0.0.0", "::"):
            return
        if self.params.auth is not None or (self.routes and all(r.auth is not None for r in self.routes)):
            return
        warnings.warn(
            f"wskit server binds every interface ({self.host or '*'}:{self.port}) without auth: anyone on the "
            "network can connect. Bind 127.0.0.1, or set WebsocketServerParams(auth=wskit.auth.token_auth(...)) "
            "(and origins=[...] when browsers connect).",
            InsecureServerWarning,
            stacklevel=3,
        )

    async def stop(self, code: int = 1001, reason: str = "server stopping", timeout: float = 5.0) -> None:
        """Close every client (1001 going away by default), stop listening, fire ``STOPPED``.

        ``timeout`` bounds the whole stop: what is still running then —
        handlers that hang, closing handshakes with peers that do not answer
        (websockets would wait ``close_timeout`` for each) — is cancelled and
        its TCP connection aborted, and ``stop`` returns within about
        :data:`STOP_GRACE` seconds more.
        """
        server, self._server = self._server, None
        if server is None:
            return
        try:
            server.close(close_connections=True, code=code, reason=reason)
            try:
                await asyncio.wait_for(asyncio.shield(server.wait_closed()), timeout)
            except TimeoutError:
                for task in self._handlers_running.values():
                    task.cancel()
                for ws in list(self._live):
                    ws.transport.abort()
                try:
                    await asyncio.wait_for(asyncio.shield(server.wait_closed()), STOP_GRACE)
                except TimeoutError:
                    logger.warning("%r: handlers still running after stop(timeout=%s); left behind", self, timeout)
        finally:
            for timer in self._timers.values():
                timer.cancel()
            runtime.unregister(self)
            self._emit(EventKind.STOPPED)

    def abandon(self) -> None:
        """Release the listening socket of a server whose loop is gone."""
        server, self._server = self._server, None
        if server is None:
            return
        with contextlib.suppress(RuntimeError):  # a closed loop refuses callbacks; sockets close anyway
            server.server.close()
        runtime.unregister(self)

    # -- connections --------------------------------------------------------------

    def _reject_http(self, status: int, text: str, ws: ServerConnection) -> Response:
        if isinstance(ws, _ServerConnection):
            ws.wskit_answered = True
        self._emit(EventKind.REJECTED, code=status, reason=text)
        self._spawn(self._call_handlers("on_client_rejected", None, status, text), "wskit.on_client_rejected")
        return ws.respond(status, text + "\n")

    def _handshake_failed(self, ws: _ServerConnection, failure: BaseException | None) -> None:
        """An upgrade that websockets refused or that never completed: forget it, report it.

        Reports are rate-limited (:data:`HANDSHAKE_REPORTS_PER_SECOND`): a flood
        of junk connections gives a few events, the last one counting what was
        left out, and costs no memory.
        """
        self._pending.pop(ws, None)
        if ws.wskit_answered:
            return  # our own refusal (404, auth): already reported
        exc = ws.protocol.handshake_exc or failure
        response = ws.response
        if response is not None:
            status: int | None = response.status_code
        elif isinstance(exc, InvalidHTTP):
            status = 400  # websockets answered "invalid HTTP request" itself
        else:
            status = None
        if exc is None and status is None:
            return  # TCP opened and closed with nothing said: nothing to report
        if isinstance(exc, TimeoutError):
            text = f"opening handshake timed out after {self.params.open_timeout} s"
        elif exc is not None:
            text = f"{type(exc).__name__}: {exc}"
            if exc.__cause__ is not None:
                text += f" ({exc.__cause__})"
        else:
            text = f"HTTP {status}"
        now = time.monotonic()
        if now - self._handshake_window >= 1.0:
            self._handshake_window, self._handshake_reports = now, 0
        if self._handshake_reports >= HANDSHAKE_REPORTS_PER_SECOND:
            self._handshake_suppressed += 1
            return
        self._handshake_reports += 1
        remote = ws.remote_address
        info: dict[str, Any] = {"stage": "handshake", "peer": f"{remote[0]}:{remote[1]}" if remote else None}
        if self._handshake_suppressed:
            info["suppressed"], self._handshake_suppressed = self._handshake_suppressed, 0
        logger.warning("%s: opening handshake failed from %s: %s", type(self).__name__, info["peer"], text)
        self._emit(EventKind.REJECTED, code=status, reason=mask_text(text), info=info)
        if self._handlers.get("on_client_rejected"):
            self._spawn(self._call_handlers("on_client_rejected", None, status, text), "wskit.on_client_rejected")

    def _lost(self, conn: Connection) -> None:
        """The TCP connection of an admitted client closed (websockets saw it, whoever reads).

        For a route handler, which may never read again (one that only
        pushes), the client leaves ``clients`` and ``DISCONNECTED`` fires now.
        A connection the transport reads itself is left to its read loop,
        which first delivers every message still buffered, then reports the
        disconnect, in order.
        """
        if conn._read_by_transport:
            return
        if self._clients.get(conn.id) is conn:
            del self._clients[conn.id]
        if not conn._gone_notified:
            self._spawn(self._disconnected(conn), f"wskit.disconnected#{conn.id}")

    async def _disconnected(self, conn: Connection) -> None:
        """Fire ``DISCONNECTED`` / ``on_client_disconnected`` once per connection."""
        if conn._gone_notified:
            return
        # client_state reads DISCONNECTED once websockets has closed; it is not forced here, so
        # messages still buffered stay readable by whoever reads
        conn._gone_notified = True
        await self._notify(
            EventKind.DISCONNECTED,
            "on_client_disconnected",
            conn,
            code=conn.close_code,
            reason=conn.close_reason,
            info={"initiator": conn.close_initiator},
        )

    async def _process_request(self, ws: ServerConnection, request: Request) -> Response | None:
        """Before the upgrade: serve the page (``params.html``), route, build the connection, run the auth hook."""
        if self.params.html is not None and (page := page_response(ws, request, self.params.html)) is not None:
            return page
        path = request.path.partition("?")[0]
        found = self._find_route(path)
        if found is None:
            return self._reject_http(404, f"no WebSocket route for {path}", ws)
        route, path_params = found
        host = request.headers.get("host", f"{self.host}:{self.port}")
        conn = Connection(ws, self, url=f"ws://{host}{request.path}", headers=request.headers, path_params=path_params)
        auth = route.auth if route is not None and route.auth is not None else self.params.auth
        close_now = None
        if auth is not None:
            try:
                result = auth(conn)
                conn.auth = await result if inspect.isawaitable(result) else result
            except HTTPReject as exc:
                return self._reject_http(exc.status_code, exc.detail or "rejected", ws)
            except WebSocketException as exc:
                close_now = (exc.code, exc.reason)  # accept, then close at once
            except Exception as exc:
                self.report_error(exc, hook="auth")
                return self._reject_http(500, "authentication hook failed", ws)
        self._pending[ws] = (conn, route, close_now)
        return None

    async def _reject(self, conn: Connection, code: int, reason: str) -> None:
        self._emit(EventKind.REJECTED, conn, code=code, reason=reason)
        await self._call_handlers("on_client_rejected", conn, code, reason)
        await conn.close(code, reason)

    async def _admit(self, conn: Connection) -> bool:
        """Apply ``max_clients``: reject the newcomer or replace the oldest."""
        limit = self.params.max_clients
        if limit is None or len(self._clients) < limit:
            return True
        if self.params.when_full == "reject":
            await self._reject(conn, self.params.reject_code, f"server full: {limit} client(s) at most")
            return False
        while len(self._clients) >= limit:
            oldest = next(iter(self._clients.values()))
            del self._clients[oldest.id]
            self._spawn(oldest.close(1000, "replaced by a newer client"), f"wskit.replace#{oldest.id}")
        return True

    async def _handle(self, ws: ServerConnection) -> None:
        """After the upgrade: admit, notify, run the handler, clean up."""
        conn, route, close_now = self._pending.pop(ws)
        self._live.add(ws)
        try:
            await self._serve(ws, conn, route, close_now)
        finally:
            self._live.discard(ws)

    async def _serve(
        self, ws: ServerConnection, conn: Connection, route: Route | None, close_now: tuple[int, str] | None
    ) -> None:
        conn.id = next(self._connection_ids)
        if close_now is not None:
            await self._reject(conn, *close_now)
            return
        if not await self._admit(conn):
            return
        conn._read_by_transport = route is None
        if isinstance(ws, _ServerConnection):
            ws.wskit_conn = conn  # from now on, losing TCP means DISCONNECTED
        self._clients[conn.id] = conn
        self._handlers_running[conn.id] = asyncio.current_task()  # type: ignore[assignment]
        if self.params.session_timeout is not None:
            self._timers[conn.id] = self._spawn(self._session_timer(conn), f"wskit.session_timer#{conn.id}")
        try:
            if route is None:  # event-driven: the transport accepts, handlers may send at once
                await conn.accept()
            await self._notify(EventKind.CONNECTED, "on_client_connected", conn)
            if route is None:
                await self._read_frames(conn)
            else:
                await route.handler(**route.arguments(conn))
        except WebSocketDisconnect:
            pass
        except ParameterError as exc:
            self.report_error(exc, conn)
            await conn.close(1008, str(exc))
        except WebSocketException as exc:
            if exc.code != 1000:
                self.report_error(exc, conn)
            await conn.close(exc.code, exc.reason)
        except Exception as exc:
            self.report_error(exc, conn, handler=getattr(route, "path", "on_frame"))
            await conn.close(1011, "internal error")
        finally:
            timer = self._timers.pop(conn.id, None)
            if timer is not None:
                timer.cancel()
            self._clients.pop(conn.id, None)
            self._handlers_running.pop(conn.id, None)
            await conn.close()
            await self._disconnected(conn)

    async def _session_timer(self, conn: Connection) -> None:
        assert self.params.session_timeout is not None
        await asyncio.sleep(self.params.session_timeout)
        if conn.id not in self._clients:
            return
        await self._notify(EventKind.SESSION_TIMEOUT, "on_session_timeout", conn)
        if self.params.close_on_session_timeout:
            await conn.close(1000, "session timeout")

    # -- sending to everyone ----------------------------------------------------

    async def broadcast(self, message: Frame | str | bytes | Any) -> int:
        """Send to every connected client at once; returns how many it was written to.

        A frame is serialized once; ``str`` and ``bytes`` are sent as they are
        (no serializer), any other JSON-able value as a ``MessageFrame``. Built on websockets' ``broadcast``, which
        never waits for a peer: so before writing, each client's write buffer
        is checked against ``params.max_send_buffer`` and a client past it gets
        the slow-consumer policy (closed with 1008, or the message dropped and
        counted) instead of more memory. Clients already closing are skipped
        and not counted.
        """
        if isinstance(message, (str, bytes)):
            data: str | bytes = message
            frame = None
        else:
            frame = as_frame(message)
            data = await self.encode(frame)
        targets = []
        for conn in self._clients.values():
            ws = conn.websocket
            if conn.application_state is not WebSocketState.CONNECTED or ws.protocol.state is not State.OPEN:
                continue
            try:
                if conn._over_send_buffer(ws.transport.get_write_buffer_size()):
                    continue  # dropped for this client
            except WebSocketDisconnect:
                continue  # closed as a slow consumer
            targets.append(conn)
        ws_broadcast([c.websocket for c in targets], data)
        for conn in targets:
            conn._emit(Direction.OUT, data, frame)
        return len(targets)
