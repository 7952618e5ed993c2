"""One WebSocket connection, in the vocabulary of Starlette's ``WebSocket``.

A handler written for a FastAPI endpoint body — ``await websocket.accept()``,
``receive_text()``, ``send_json(...)``, ``except WebSocketDisconnect`` — runs on
a :class:`Connection` with few or no changes. On top of that it speaks frames
(``send(frame)``, ``receive_frame()``) through the transport's serializer, and
every message in or out becomes an event on the transport's bus.

One difference from Starlette: websockets completes the HTTP upgrade before
any handler runs, so ``accept()`` only moves the application state on and
``close()`` before ``accept()`` closes with a WebSocket close code rather than
an HTTP 403. Refusing with an HTTP status is the job of the auth hook, which
runs before the upgrade.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Literal, Protocol

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed, ConnectionClosedError, ProtocolError
from websockets.frames import Close
from websockets.protocol import State

from ..events import Direction, Event, EventBus, EventKind
from ..frames import BinaryFrame, Frame, MessageFrame, TextFrame
from ..redact import mask_text
from ..serializers import FrameSerializer, SerializerError, decode_sync
from .datastructures import URL, Address, QueryParams, WebSocketState, parse_cookies
from .delivery import DirectDelivery

if TYPE_CHECKING:
    from websockets.asyncio.connection import Connection as WsConnection
    from websockets.datastructures import Headers

    from .params import TransportParams

__all__ = [
    "Connection",
    "HTTPReject",
    "InvalidMessage",
    "WebSocketDisconnect",
    "WebSocketException",
    "as_frame",
]

logger = logging.getLogger("wskit")
# Close codes websockets sends when the peer broke the rules (RFC 6455 §7.4.1):
# protocol error, invalid payload data (e.g. bad UTF-8), message too big.
_PEER_FAULTS = frozenset({1002, 1007, 1009})
# Enum members cost a class-attribute lookup (~70 ns) each time: the data path reads these.
_IN, _OUT, _MESSAGE = Direction.IN, Direction.OUT, EventKind.MESSAGE
_CONNECTED = WebSocketState.CONNECTED


class WebSocketDisconnect(Exception):
    """The peer went away (Starlette's exception of the same name).

    Attributes:
        code: the close code (RFC 6455 §7.4; 1006 when the TCP connection dropped).
        reason: the close reason, possibly empty.
    """

    def __init__(self, code: int = 1000, reason: str | None = None) -> None:
        self.code = code
        self.reason = reason or ""
        super().__init__(f"{code} {self.reason}".strip())


class WebSocketException(Exception):
    """Raise in a handler or auth hook to close the connection with ``code``.

    The usual one is 1008 (policy violation) for failed authentication.
    """

    def __init__(self, code: int, reason: str | None = None) -> None:
        self.code = code
        self.reason = reason or ""
        super().__init__(f"{code} {self.reason}".strip())


class InvalidMessage(WebSocketException, ValueError):
    """A message of the wrong kind (1003) or with an invalid payload (1007).

    Raised by ``receive_text``/``receive_bytes``/``receive_json``; left
    unhandled in a handler, it closes the connection with its code.
    """


class HTTPReject(Exception):
    """Raise in an auth hook to refuse the upgrade with an HTTP status (401, 403 …)."""

    def __init__(self, status_code: int = 403, detail: str = "") -> None:
        self.status_code = status_code
        self.detail = detail
        super().__init__(f"HTTP {status_code} {detail}".strip())


class Owner(Protocol):
    """What a connection needs from its transport."""

    events: EventBus
    serializer: FrameSerializer
    _streams: tuple[Any, ...]  # FrameStreams: _put(connection, frame)

    @property
    def params(self) -> TransportParams: ...

    async def encode(self, frame: Frame | Any, connection: Connection | None = None) -> str | bytes: ...

    def _encode(
        self, frame: Frame | Any, connection: Connection | None = None
    ) -> str | bytes | Awaitable[str | bytes]: ...

    def report_error(self, error: BaseException, connection: Connection | None = None, **info: Any) -> None: ...


def _fit_reason(reason: str, limit: int = 123) -> str:
    """``reason`` cut to fit a close frame: at most ``limit`` UTF-8 bytes, ending in "…"."""
    data = reason.encode()
    if len(data) <= limit:
        return reason
    return data[: limit - 3].decode(errors="ignore") + "…"


def as_frame(value: Frame | Any) -> Frame:
    """The frame a value sent where a frame is expected stands for.

    ``str`` -> :class:`~wskit.TextFrame`, ``bytes`` -> :class:`~wskit.BinaryFrame`,
    anything JSON-able (dict, list, number, bool, ``None``) ->
    :class:`~wskit.MessageFrame`; a frame is returned as it is. So
    ``await client.send({"op": "add"})`` works with any serializer that
    encodes message frames.

    Raises:
        TypeError: the value is none of these.
    """
    if isinstance(value, Frame):
        return value
    if isinstance(value, str):
        return TextFrame(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return BinaryFrame(bytes(value))
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"cannot send a {type(value).__name__}: pass a frame (TextFrame, BinaryFrame, MessageFrame, "
            f"AudioFrame ...), str, bytes, or a JSON-able value ({exc})"
        ) from None
    return MessageFrame(value)


class Connection:
    """A live WebSocket connection seen from this side.

    On a server, ``headers`` are the client's request headers; on a client,
    the server's response headers.

    Attributes:
        id: small integer numbering the connections of one transport from 1
            (``#3`` in logs); a server assigns it when the client is admitted
            (it is 0 while an auth hook runs).
        websocket: the underlying ``websockets`` connection, for what wskit does not wrap.
        path_params: values taken from the route template (``{item_id}``).
        state: free-form per-connection storage (``websocket.state.user = ...``).
        auth: what the auth hook returned (``None`` without one).
        connected_at: ``time.monotonic()`` at the upgrade.
        messages_in, messages_out, bytes_in, bytes_out: WebSocket messages
            and their payload bytes (UTF-8 for text) each way, so far.
        messages_dropped: messages not sent because the peer did not read
            (``slow_consumer="drop"``; see :class:`~wskit.transports.params.TransportParams`).
    """

    def __init__(
        self,
        websocket: WsConnection,
        owner: Owner,
        *,
        url: str,
        headers: Headers,
        path_params: dict[str, str] | None = None,
        accepted: bool = False,
        id: int = 0,
    ) -> None:
        self.id = id
        self.websocket = websocket
        self.url = URL(url)
        self.headers = headers
        self.path_params = path_params or {}
        self.query_params = QueryParams(self.url.query)
        self.state = SimpleNamespace()
        self.auth: Any = None
        self.connected_at = time.monotonic()
        self._client_state = WebSocketState.CONNECTED
        self._closed_here = False  # close() started the closing handshake from this side
        self._gone_notified = False  # DISCONNECTED was emitted
        self._read_by_transport = False  # the transport's read loop owns reading (no route handler)
        self._ended_with: Close | None = None  # set when we dropped TCP ourselves (slow consumer)
        self.application_state = WebSocketState.CONNECTED if accepted else WebSocketState.CONNECTING
        self.messages_in = self.messages_out = 0
        self.messages_dropped = 0
        self._dropping = False
        self.bytes_in = self.bytes_out = 0
        self._owner = owner

    def __repr__(self) -> str:  # the path only: the query may hold a token
        return f"<Connection #{self.id} {self.url.path} {self.application_state.name}>"

    # -- request facts ------------------------------------------------------

    @property
    def cookies(self) -> dict[str, str]:
        """Cookies from the ``Cookie`` header."""
        return parse_cookies(self.headers.get("cookie", ""))

    @property
    def client(self) -> Address | None:
        """The peer's address."""
        remote = self.websocket.remote_address
        return Address(remote[0], remote[1]) if remote else None

    @property
    def subprotocol(self) -> str | None:
        """The subprotocol negotiated at the upgrade (RFC 6455 §1.9)."""
        return self.websocket.subprotocol

    def _closing(self) -> tuple[Close | None, bool]:
        """The close frame that ended the connection, and whether this side sent it first.

        RFC 6455 §7.1.5: "the WebSocket Connection Close Code" is the one the
        closing handshake carried. websockets' own ``close_code`` only looks at
        the frame received, so a connection this side failed with 1002, 1007
        or 1009 (the peer never answering) would read 1006. Here the code of
        whichever side started the closing handshake wins.
        """
        if self._ended_with is not None:
            return self._ended_with, True
        protocol = self.websocket.protocol
        received, sent = protocol.close_rcvd, protocol.close_sent
        if received is not None and (sent is None or protocol.close_rcvd_then_sent):
            return received, False
        if sent is not None:
            return sent, True
        return None, False

    @property
    def close_code(self) -> int | None:
        """The close code exchanged (sent or received), 1006 if none was, ``None`` while open."""
        frame, _ = self._closing()
        if frame is not None:
            return frame.code
        return 1006 if self.websocket.protocol.state is State.CLOSED else None

    @property
    def close_reason(self) -> str:
        """The reason that came with :attr:`close_code`."""
        frame, _ = self._closing()
        return "" if frame is None else frame.reason

    @property
    def close_initiator(self) -> Literal["server", "client"] | None:
        """Which side started the closing handshake; ``None`` while open or when TCP just dropped."""
        frame, local = self._closing()
        if frame is None:
            return None
        server_side = isinstance(self.websocket, ServerConnection)
        return "server" if server_side == local else "client"

    @property
    def transport(self) -> Owner:
        """The transport this connection belongs to (whose event bus carries its events)."""
        return self._owner

    @property
    def latency(self) -> float:
        """The last ping round trip in seconds (keepalive or :meth:`ping`); 0 before the first."""
        return self.websocket.latency

    @property
    def client_state(self) -> WebSocketState:
        """The peer's side: ``DISCONNECTED`` as soon as the connection is closed,
        even if no one has read since (a handler that only pushes)."""
        if self._client_state is WebSocketState.CONNECTED and self.websocket.protocol.state is State.CLOSED:
            return WebSocketState.DISCONNECTED
        return self._client_state

    @client_state.setter
    def client_state(self, value: WebSocketState) -> None:
        self._client_state = value

    # -- lifecycle ------------------------------------------------------------

    async def accept(self, subprotocol: str | None = None, headers: object = None) -> None:
        """Start talking (Starlette's ``accept``); a no-op when already accepted.

        The upgrade has already happened, so ``subprotocol`` can only confirm
        what was negotiated and response ``headers`` cannot be added here.
        """
        if self.application_state is WebSocketState.DISCONNECTED:
            raise RuntimeError("cannot accept a connection that is already closed")
        if subprotocol is not None and subprotocol != self.subprotocol:
            raise ValueError(
                f"subprotocol {subprotocol!r} was not negotiated (the upgrade chose "
                f"{self.subprotocol!r}); list it in WebsocketServerParams(subprotocols=...)"
            )
        if headers:
            raise ValueError("response headers are sent at the upgrade, before the handler runs")
        self.application_state = WebSocketState.CONNECTED

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        """Close with ``code`` and ``reason`` (RFC 6455 §7.1.2); idempotent.

        A reason longer than a close frame allows (123 UTF-8 bytes, §5.5) is
        shortened rather than turning the close into a protocol error, and
        secrets in it (``token=...``) are masked: the peer and logs see it.
        """
        if self.application_state is WebSocketState.DISCONNECTED:
            return
        try:  # before any state changes: a refused code must not turn into a silent 1000
            Close(code, "").check()
        except ProtocolError:
            raise ValueError(
                f"close code {code} cannot be sent in a close frame (RFC 6455 §7.4): use 1000-1003, "
                "1007-1014, 3000-3999 (libraries) or 4000-4999 (applications); 1005, 1006 and 1015 "
                "only report what an endpoint saw"
            ) from None
        self.application_state = WebSocketState.DISCONNECTED
        self._closed_here = self.websocket.protocol.state is State.OPEN
        await self.websocket.close(code, _fit_reason(mask_text(reason or "")))
        self.client_state = WebSocketState.DISCONNECTED

    def _disconnect(self, exc: ConnectionClosed) -> WebSocketDisconnect:
        """Record that the peer is gone; report it if websockets closed on a peer's fault.

        A fault is this side's verdict: websockets sent 1002/1007/1009 first. A
        side that received such a close and echoed it (RFC 6455 §5.5.1) saw no fault.
        """
        self.client_state = WebSocketState.DISCONNECTED
        if (
            isinstance(exc, ConnectionClosedError)
            and exc.sent is not None
            and exc.sent.code in _PEER_FAULTS
            and exc.rcvd_then_sent is not True
            and self.application_state is not WebSocketState.DISCONNECTED
        ):
            self._owner.report_error(exc, self)
        return WebSocketDisconnect(self.close_code or 1006, self.close_reason)

    # -- events -------------------------------------------------------------

    def _emit(self, direction: Direction, raw: str | bytes, frame: Frame | None) -> None:
        """Count a message that went in or out, and tell the transport's subscribers."""
        size = len(raw) if type(raw) is bytes or raw.isascii() else len(raw.encode())  # type: ignore[union-attr]
        if direction is _IN:
            self.messages_in += 1
            self.bytes_in += size
            if frame is not None:
                for stream in self._owner._streams:  # frames() readers
                    stream._put(self, frame)
        else:
            self.messages_out += 1
            self.bytes_out += size
        bus = self._owner.events
        if bus._subscribers:  # EventBus.active without the property call: this runs for every message
            bus.emit(Event(_MESSAGE, self._owner, self, direction, raw, size, frame))

    # -- receiving ------------------------------------------------------------

    async def _receive_raw(self) -> str | bytes:
        if self.application_state is WebSocketState.CONNECTING:
            raise RuntimeError('WebSocket is not connected. Need to call "accept" first.')
        # No shortcut on client_state: a send that failed because the close has
        # begun must not stop reading; websockets hands out what it buffered,
        # then raises ConnectionClosed.
        try:
            data = await self.websocket.recv()
        except ConnectionClosed as exc:
            raise self._disconnect(exc) from None
        if isinstance(self.websocket, DirectDelivery):
            self.websocket.wskit_read()
        return data

    async def receive(self) -> dict[str, Any]:
        """The next message as an ASGI-style dict; a disconnect is a message too."""
        try:
            data = await self._receive_raw()
        except WebSocketDisconnect as exc:
            return {"type": "websocket.disconnect", "code": exc.code, "reason": exc.reason}
        self._emit(Direction.IN, data, None)
        key = "text" if isinstance(data, str) else "bytes"
        return {"type": "websocket.receive", key: data}

    async def receive_text(self) -> str:
        """The next message, which must be text (else :class:`InvalidMessage`, 1003)."""
        data = await self._receive_raw()
        self._emit(Direction.IN, data, None)
        if not isinstance(data, str):
            raise InvalidMessage(1003, f"expected a text message, got {len(data)} bytes of binary")
        return data

    async def receive_bytes(self) -> bytes:
        """The next message, which must be binary (else :class:`InvalidMessage`, 1003)."""
        data = await self._receive_raw()
        self._emit(Direction.IN, data, None)
        if not isinstance(data, bytes):
            raise InvalidMessage(1003, "expected a binary message, got text")
        return data

    async def receive_json(self, mode: Literal["text", "binary"] = "text") -> Any:
        """The next message parsed as JSON (malformed JSON: :class:`InvalidMessage`, 1007)."""
        if mode not in ("text", "binary"):
            raise RuntimeError('The "mode" argument should be "text" or "binary".')
        data = await (self.receive_text() if mode == "text" else self.receive_bytes())
        try:
            return json.loads(data)
        except ValueError as exc:
            raise InvalidMessage(1007, f"malformed JSON: {exc}") from exc

    async def receive_frame(self) -> Frame:
        """The next message decoded by the transport's serializer.

        Messages the serializer skips (returns ``None`` for) are passed over.

        Raises:
            SerializerError: the serializer failed on a message; an error event
                was emitted and the connection stays open.
            WebSocketDisconnect: the peer went away.
        """
        while True:
            data = await self._receive_raw()
            try:
                frame = decode_sync(self._owner.serializer, data)
                if frame is not None and not isinstance(frame, Frame):
                    frame = await frame
            except SerializerError as exc:
                self._emit(Direction.IN, data, None)
                self._owner.report_error(exc, self)
                raise
            self._emit(Direction.IN, data, frame)
            if frame is not None:
                return frame
            logger.debug("serializer skipped a message on connection #%s", self.id)

    async def iter_text(self) -> AsyncIterator[str]:
        """Text messages until the peer disconnects."""
        try:
            while True:
                yield await self.receive_text()
        except WebSocketDisconnect:
            pass

    async def iter_bytes(self) -> AsyncIterator[bytes]:
        """Binary messages until the peer disconnects."""
        try:
            while True:
                yield await self.receive_bytes()
        except WebSocketDisconnect:
            pass

    async def iter_json(self) -> AsyncIterator[Any]:
        """JSON messages until the peer disconnects."""
        try:
            while True:
                yield await self.receive_json()
        except WebSocketDisconnect:
            pass

    async def iter_frames(self) -> AsyncIterator[Frame]:
        """Decoded frames until the peer disconnects; undecodable messages
        are reported as error events and skipped."""
        while True:
            try:
                yield await self.receive_frame()
            except SerializerError:
                continue
            except WebSocketDisconnect:
                return

    async def ping(self, data: str | bytes | None = None, timeout: float | None = 10.0) -> float:
        """Send a ping (RFC 6455 §5.5.2) and return the round trip to its pong, in seconds.

        Raises:
            TimeoutError: no pong within ``timeout`` seconds.
            WebSocketDisconnect: the connection is closed.
        """
        try:
            pong = await self.websocket.ping(data)
            async with asyncio.timeout(timeout):
                return await pong
        except ConnectionClosed as exc:
            raise self._disconnect(exc) from None

    # -- sending --------------------------------------------------------------

    async def _send_raw(self, data: str | bytes, frame: Frame | None) -> None:
        if self.application_state is not _CONNECTED:
            if self.application_state is WebSocketState.CONNECTING:
                raise RuntimeError('WebSocket is not connected. Need to call "accept" first.')
            if not self._closed_here:  # the peer went away (cleanup closed our side after it)
                raise WebSocketDisconnect(self.close_code or 1006, self.close_reason)
            raise RuntimeError('Cannot call "send" once a close message has been sent.')
        ws = self.websocket
        if ws.protocol.state is not State.OPEN:
            # Closing: websockets' send would wait for the closing handshake, which can
            # need this very task to read what the peer sent first. Fail at once.
            raise WebSocketDisconnect(self.close_code or 1006, self.close_reason)
        params = self._owner.params
        # The data path pays one buffer-size check; the rest runs only when the
        # peer is behind (this write would make websockets wait for it).
        buffered = ws.transport.get_write_buffer_size()
        try:
            if buffered + len(data) <= params.write_limit:
                await ws.send(data)
            elif self._over_send_buffer(buffered):
                return  # dropped, per the "drop" policy (counted and reported)
            else:
                try:
                    async with asyncio.timeout(params.send_timeout):
                        await ws.send(data)  # the message is written before the wait: a timeout loses nothing
                except TimeoutError:
                    self._slow_consumer(
                        ws.transport.get_write_buffer_size(), f"a send waited more than {params.send_timeout} s"
                    )
        except ConnectionClosed as exc:
            raise self._disconnect(exc) from None
        self._emit(_OUT, data, frame)

    # -- slow consumers -------------------------------------------------------

    def _over_send_buffer(self, buffered: int) -> bool:
        """Apply the slow-consumer policy if ``buffered`` bytes exceed ``max_send_buffer``.

        Returns:
            True when the message must be dropped (``"drop"`` policy).

        Raises:
            WebSocketDisconnect: ``"close"`` policy: the connection was closed with 1008.
        """
        limit = self._owner.params.max_send_buffer
        if limit is None or buffered <= limit:
            self._dropping = False
            return False
        return self._slow_consumer(buffered, f"{buffered} bytes unread, over max_send_buffer={limit}")

    def _slow_consumer(self, buffered: int, why: str) -> bool:
        params = self._owner.params
        info = {"policy": params.slow_consumer, "buffered": buffered, "why": why}
        if params.slow_consumer == "drop":
            self.messages_dropped += 1
            if not self._dropping:  # one event per episode, not per message
                self._dropping = True
                logger.warning("connection #%s is a slow consumer: %s; dropping messages", self.id, why)
                self._owner.events.emit(Event(EventKind.SLOW_CONSUMER, self._owner, self, info=info))
            return True
        reason = _fit_reason(f"slow consumer: {why}")
        logger.warning("connection #%s is a slow consumer: %s; closing it with 1008", self.id, why)
        self._owner.events.emit(Event(EventKind.SLOW_CONSUMER, self._owner, self, info=info))
        self._abort(1008, reason)
        raise WebSocketDisconnect(1008, reason)

    def _abort(self, code: int, reason: str) -> None:
        """End the connection with ``code`` at once, dropping TCP.

        A peer that does not read would never receive a close frame queued
        behind what it has not read, and websockets would wait
        ``close_timeout`` for its answer; aborting frees the buffer now. The
        peer sees the TCP connection reset (1006); this side records ``code``.
        """
        if self.application_state is WebSocketState.DISCONNECTED:
            return
        self.application_state = WebSocketState.DISCONNECTED
        self._closed_here = True
        self._ended_with = Close(code, reason)
        self.websocket.transport.abort()

    async def send_text(self, data: str) -> None:
        """Send a text message."""
        if not isinstance(data, str):
            raise TypeError(f"send_text needs str, not {type(data).__name__}")
        await self._send_raw(data, None)

    async def send_bytes(self, data: bytes) -> None:
        """Send a binary message."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"send_bytes needs bytes, not {type(data).__name__}")
        await self._send_raw(bytes(data), None)

    async def send_json(self, data: Any, mode: Literal["text", "binary"] = "text") -> None:
        """Send ``data`` as compact JSON, in a text (default) or binary message."""
        if mode not in ("text", "binary"):
            raise RuntimeError('The "mode" argument should be "text" or "binary".')
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        await self._send_raw(text if mode == "text" else text.encode(), None)

    async def send(self, frame: Frame | Any) -> None:
        """Send a frame through the transport's serializer.

        A plain value stands for a frame: ``str`` a ``TextFrame``, ``bytes`` a
        ``BinaryFrame``, a JSON-able value a ``MessageFrame``.

        Raises:
            SerializerError: the serializer cannot encode it (an error event
                naming this connection is emitted too); nothing was sent.
        """
        if not isinstance(frame, Frame):
            frame = as_frame(frame)
        data = self._owner._encode(frame, self)  # no coroutine layer for a sync serializer
        if not isinstance(data, (str, bytes)):
            data = await data
        await self._send_raw(data, frame)
