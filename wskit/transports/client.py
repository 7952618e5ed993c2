"""The client transport: websockets' asyncio client, inside any running loop.

``await client.start()`` connects and returns; the connection is read in the
background, every decoded frame going to ``on_frame`` handlers and to
``client.frames()`` streams. With ``reconnect=True`` a dropped or refused
connection is retried with exponential backoff — websockets' own reconnecting
``connect`` loop, with wskit counting attempts, bounding them and emitting an
``on_reconnecting`` event before each wait. Pipecat's client does not
reconnect.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Generator
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.client import process_exception as ws_process_exception
from websockets.exceptions import InvalidStatus, WebSocketException

from .. import runtime
from ..events import EventKind
from ..frames import Frame
from ..redact import mask_text, mask_url
from .base import BaseTransport, FrameStream
from .connection import Connection
from .datastructures import WebSocketState
from .delivery import DirectClientConnection
from .params import WebsocketClientParams

__all__ = ["ConnectError", "NotConnectedError", "WebsocketClientTransport"]

logger = logging.getLogger("wskit")


class ConnectError(ConnectionError):
    """Connecting failed: refused, rejected by the server, timed out, or out of attempts.

    Attributes:
        uri: where we tried to connect.
        attempts: how many attempts failed.
        status_code: the HTTP status when the server refused the upgrade.
    """

    def __init__(self, uri: str, cause: BaseException, attempts: int = 1) -> None:
        self.uri = uri
        self.attempts = attempts
        response = getattr(cause, "response", None) if isinstance(cause, InvalidStatus) else None
        self.status_code: int | None = response.status_code if response is not None else None
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        if self.status_code is not None:
            why = f"the server refused the upgrade with HTTP {self.status_code}"
        else:
            why = f"{type(cause).__name__}: {cause}"
        super().__init__(mask_text(f"could not connect to {mask_url(uri)}{tries}: {why}"))


class NotConnectedError(RuntimeError):
    """A send while the client has no connection: not started, stopped, or
    between reconnect attempts (the message says which); nothing was sent."""


class WebsocketClientTransport(BaseTransport):
    """A WebSocket client with Pipecat's surface.

    Args:
        uri: ``ws://`` or ``wss://`` URI, e.g. ``server.url``.
        params: client parameters.

    Events (``@client.event_handler(name)``), each handler called with the
    transport first: ``on_connected(conn)``, ``on_disconnected(conn)``,
    ``on_reconnecting(attempt, delay, error)``, ``on_frame(conn, frame)``,
    ``on_error(conn_or_None, error)``.
    """

    role = "client"  #: which end this transport is, as logs and diagrams name it
    EVENTS = frozenset({"on_connected", "on_disconnected", "on_reconnecting", "on_frame", "on_error"})

    def __init__(self, uri: str, params: WebsocketClientParams | None = None) -> None:
        self.params: WebsocketClientParams = params or WebsocketClientParams()
        super().__init__(self.params)
        self.uri = uri
        self.connection: Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._attempt = 0  # reconnect attempt under way (0: connected or not reconnecting)

    def __repr__(self) -> str:
        state = "connected" if self.connection else "running" if self.running else "stopped"
        return f"<WebsocketClientTransport {mask_url(self.uri)} {state}>"

    @property
    def running(self) -> bool:
        """True from ``start()`` until ``stop()`` or the connection ends for good."""
        return self._task is not None and not self._task.done()

    def frames(self, maxsize: int = 1024) -> FrameStream[Frame]:
        """``async for frame in client.frames()``: every decoded incoming frame."""
        return FrameStream(self, maxsize, pairs=False)

    def _options(self) -> dict[str, Any]:
        return {
            "additional_headers": self.params.additional_headers,
            "subprotocols": self.params.subprotocols,
            "create_connection": DirectClientConnection,
            **self.params.websockets_options(),
        }

    # -- lifetime -------------------------------------------------------------------

    async def start(self) -> None:
        """Connect, fire ``on_connected``, and return; reading goes on in the background.

        Raises:
            ConnectError: the connection was refused or rejected (after all
                attempts, when reconnecting).
        """
        if self.running:
            return
        await self._begin()
        self._stopping = False
        if self.params.reconnect:
            ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._task = self._spawn(self._run_reconnecting(ready), f"wskit.client {mask_url(self.uri)}")
            try:
                await ready
            except BaseException:
                self._task.cancel()
                raise
        else:
            try:
                ws = await connect(self.uri, **self._options())
            except (OSError, TimeoutError, WebSocketException) as exc:
                raise ConnectError(self.uri, exc) from exc
            conn = await self._open(ws)
            self._task = self._spawn(self._run_once(conn), f"wskit.client {mask_url(self.uri)}")
        runtime.register(self)

    async def stop(self, code: int = 1000, reason: str = "client stopping", timeout: float | None = None) -> None:
        """Close the connection (1000 by default) and stop reconnecting, at once.

        Args:
            code, reason: the close frame's code and reason (RFC 6455 §7.1.5).
            timeout: bound on the closing handshake and on what runs after it
                (``on_disconnected`` handlers); ``params.close_timeout`` by default.
                A client waiting between reconnect attempts stops immediately.
        """
        self._stopping = True
        bound = timeout if timeout is not None else (self.params.close_timeout or 10.0)
        task, conn = self._task, self.connection
        if task is not None and not task.done() and conn is None and self.params.reconnect:
            task.cancel()  # between attempts (or mid-handshake): nothing to close politely
        if conn is not None:
            try:
                async with asyncio.timeout(bound):
                    await conn.close(code, reason)
            except TimeoutError:
                conn._abort(code, reason)
        if task is not None and not task.done():
            done, _ = await asyncio.wait({task}, timeout=bound)
            if not done:
                task.cancel()
                await asyncio.wait({task}, timeout=1.0)
        runtime.unregister(self)
        self._emit(EventKind.STOPPED)

    # -- one connection -------------------------------------------------------------

    async def _open(self, ws: ClientConnection) -> Connection:
        assert ws.response is not None
        conn = Connection(
            ws, self, url=self.uri, headers=ws.response.headers, accepted=True, id=next(self._connection_ids)
        )
        self.connection = conn
        await self._notify(EventKind.CONNECTED, "on_connected", conn)
        return conn

    async def _read(self, conn: Connection) -> None:
        try:
            await self._read_frames(conn)
        finally:
            self.connection = None
            conn.client_state = WebSocketState.DISCONNECTED
            await self._notify(
                EventKind.DISCONNECTED,
                "on_disconnected",
                conn,
                code=conn.close_code,
                reason=conn.close_reason,
                info={"initiator": conn.close_initiator},
            )

    async def _run_once(self, conn: Connection) -> None:
        try:
            await self._read(conn)
        finally:
            runtime.unregister(self)

    # -- reconnecting -----------------------------------------------------------------

    async def _run_reconnecting(self, ready: asyncio.Future[None]) -> None:
        """websockets' reconnecting ``connect`` loop, with attempts counted from 1.

        Reconnect attempt 1 follows a dropped connection at once, or a failed
        first connection after ``reconnect_min_delay``; each attempt fires one
        ``on_reconnecting(attempt, delay, error)``; after
        ``max_reconnect_attempts`` failed attempts in a row the client gives up
        with :class:`ConnectError`.
        """
        params = self.params
        failures = 0  # failed connection attempts in a row
        last_error: BaseException | None = None

        def announce(delay: float) -> None:
            self._attempt += 1
            info = {"attempt": self._attempt, "max_attempts": params.max_reconnect_attempts, "delay": delay}
            self._emit(EventKind.RECONNECTING, error=last_error, info=info)
            if self._handlers.get("on_reconnecting"):
                handlers = self._call_handlers("on_reconnecting", self._attempt, delay, last_error)
                self._spawn(handlers, "wskit.on_reconnecting")

        def verdict(exc: Exception) -> Exception | None:
            """websockets asks, after each failure: retry (None) or give up (an exception)."""
            nonlocal failures, last_error
            failures += 1
            last_error = exc
            if (
                self._stopping
                or ws_process_exception(exc) is not None
                or self._attempt >= params.max_reconnect_attempts
            ):
                return ConnectError(self.uri, exc, failures)
            return None

        def delays() -> Generator[float]:
            while True:
                backoff = params.reconnect_min_delay * params.reconnect_factor ** (failures - 1)
                delay = min(backoff, params.reconnect_max_delay)
                announce(delay)
                yield delay

        self._attempt = 0
        try:
            async for ws in connect(self.uri, process_exception=verdict, reconnect_delays=delays, **self._options()):
                failures, self._attempt = 0, 0
                conn = await self._open(ws)
                if not ready.done():
                    ready.set_result(None)
                await self._read(conn)
                if self._stopping:
                    break
                last_error = None
                announce(0.0)  # websockets reconnects at once after a drop: that is attempt 1
        except ConnectError as exc:
            if not ready.done():
                ready.set_exception(exc)
            elif not self._stopping:
                self.report_error(exc)
        finally:
            if not ready.done():
                ready.cancel()
            self._attempt = 0
            runtime.unregister(self)

    # -- sending ------------------------------------------------------------------------

    def _connected(self) -> Connection:
        if self.connection is None:
            if self.running and self._attempt:
                raise NotConnectedError(
                    f"reconnecting to {mask_url(self.uri)} (attempt {self._attempt} of "
                    f"{self.params.max_reconnect_attempts}): nothing was sent"
                )
            if self.running:
                raise NotConnectedError(f"connecting to {mask_url(self.uri)}: nothing was sent")
            raise NotConnectedError(f"not connected to {mask_url(self.uri)}: await client.start() first")
        return self.connection

    def send(self, frame: Frame | Any) -> Coroutine[Any, Any, None]:
        """Send a frame through the serializer: ``await client.send(frame)``.

        A plain ``str``, ``bytes`` or JSON-able value stands for a frame (see
        :func:`~wskit.transports.base.as_frame`). This is a plain function
        handing back the connection's ``send`` coroutine, so a message pays no
        coroutine layer of its own; without a connection the
        :class:`NotConnectedError` is raised when the result is awaited, as
        from any coroutine.
        """
        conn = self.connection
        if conn is None:
            return self._not_connected()
        return conn.send(frame)

    async def _not_connected(self) -> None:
        self._connected()  # raises NotConnectedError saying why

    async def send_text(self, data: str) -> None:
        await self._connected().send_text(data)

    async def send_bytes(self, data: bytes) -> None:
        await self._connected().send_bytes(data)

    async def send_json(self, data: Any) -> None:
        await self._connected().send_json(data)
