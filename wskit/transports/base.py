"""What server and client transports share: events, handlers, frames, errors.

Two ways to observe a transport, both cheap enough for the data path:

* ``@transport.event_handler("on_frame")`` — Pipecat-style handlers, sync or
  async, called with the transport first. ``on_frame`` handlers are awaited
  in the connection's read loop, so a slow one slows (backpressures) that
  connection only, and frames stay in order.
* ``transport.events.subscribe(callback)`` — every :class:`~wskit.events.Event`,
  synchronously; what widgets, plots and :meth:`frames` use.

A handler that raises becomes an ``on_error`` event; the connection goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import itertools
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, ClassVar, Generic, TypeVar

from websockets.exceptions import ConnectionClosed
from websockets.frames import Frame as WsFrame
from websockets.frames import Opcode

from .. import runtime
from ..events import Direction, Event, EventBus, EventKind
from ..frames import AudioFrame, Frame
from ..redact import mask_text
from ..serializers import (
    AudioFormat,
    FrameSerializer,
    RawSerializer,
    SerializerError,
    decode_sync,
    encode_sync,
    frame_with_header,
    setup,
)
from .connection import Connection, InvalidMessage, WebSocketDisconnect, WebSocketException, as_frame
from .datastructures import WebSocketState
from .delivery import DirectDelivery
from .params import TransportParams
from .routing import ParameterError

__all__ = ["PEER_FAULTS", "BaseTransport", "FrameStream", "as_frame"]

logger = logging.getLogger("wskit")
# Enum members cost a class-attribute lookup (~70 ns) each time: the data path reads these.
_IN, _TEXT = Direction.IN, Opcode.TEXT
H = TypeVar("H", bound=Callable[..., Any])
T = TypeVar("T")


class FrameStream(Generic[T]):
    """A bounded queue of incoming frames, filled by the transport as they are decoded.

    It is registered when created (not at the first ``await``), so no frame
    that arrives in between is missed. The transport hands it each frame
    directly, not through the event bus, so reading ``frames()`` builds no
    :class:`~wskit.events.Event`. When full it drops the oldest item, counts
    it in :attr:`dropped` and emits one error event per overflow episode:
    the data path never waits for a slow reader, and nothing vanishes unseen.
    """

    def __init__(self, transport: BaseTransport, maxsize: int, pairs: bool) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self._transport = transport
        self._maxsize = maxsize
        self._pairs = pairs
        self._items: deque[Any] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._overflowing = False
        self._closed = False
        self.dropped = 0
        transport._streams = (*transport._streams, self)

    def _put(self, connection: Connection, frame: Frame) -> None:
        """Take one decoded incoming frame (called by the transport's connections)."""
        if len(self._items) >= self._maxsize:
            self._items.popleft()
            self.dropped += 1
            if not self._overflowing:
                self._overflowing = True
                self._transport.report_error(
                    OverflowError(f"frames() reader fell behind: dropping oldest frames (queue of {self._maxsize})")
                )
        elif not self._items:
            self._overflowing = False
        self._items.append((connection, frame) if self._pairs else frame)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _stop(self) -> None:
        """The transport stopped: end the stream once what is queued has been read."""
        self._closed = True
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def get(self, timeout: float | None = None) -> T:
        """The next item.

        Raises:
            TimeoutError: nothing arrived within ``timeout`` seconds.
            StopAsyncIteration: the stream is closed and empty.
        """
        if not self._items:
            if timeout is None:  # a timeout scope costs ~2 µs: enter one only for a real bound
                await self._wait()
            else:
                async with asyncio.timeout(timeout):
                    await self._wait()
        item: T = self._items.popleft()
        return item

    async def _wait(self) -> None:
        while not self._items:
            if self._closed:
                raise StopAsyncIteration
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None

    def close(self) -> None:
        """Stop collecting frames; what is queued can still be read."""
        self._transport._streams = tuple(s for s in self._transport._streams if s is not self)
        self._stop()

    def __aiter__(self) -> FrameStream[T]:
        return self

    async def __anext__(self) -> T:
        return await self.get()

    def __len__(self) -> int:
        return len(self._items)

    async def __aenter__(self) -> FrameStream[T]:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()


#: Errors the peer (or the network) caused rather than our code: logged without a traceback.
PEER_FAULTS: tuple[type[BaseException], ...] = (
    SerializerError,
    InvalidMessage,
    ParameterError,
    ConnectionClosed,
    ConnectionError,
    TimeoutError,
)


class BaseTransport:
    """Event handlers, the event bus, the serializer and lifetime, for both sides."""

    EVENTS: ClassVar[frozenset[str]] = frozenset({"on_frame", "on_error"})

    def __init__(self, params: TransportParams) -> None:
        self.params = params
        self.events = EventBus()
        self._handlers: dict[str, list[Callable[..., Any]]] = {}
        self._streams: tuple[FrameStream[Any], ...] = ()  # frames() readers, fed by connections
        self._direct = False  # messages may be handled in websockets' callback (see _refresh_direct)
        self._readers: dict[Connection, DirectDelivery] = {}  # connections in _read_frames that can take a sink
        self.serializer = params.serializer or RawSerializer()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._connection_ids = itertools.count(1)  # per transport, so a fresh server's first client is #1

    @property
    def serializer(self) -> FrameSerializer:
        """Turns frames into messages and back; may be swapped on a live transport."""
        return self._serializer

    @serializer.setter
    def serializer(self, serializer: FrameSerializer) -> None:
        self._serializer = serializer
        self._refresh_direct()

    def _refresh_direct(self) -> None:
        """Decide, when the serializer or the ``on_frame`` handlers change, whether
        incoming messages may be handled in websockets' protocol callback
        (:mod:`wskit.transports.delivery`): only when nothing there is ``async``."""
        handlers = self._handlers.get("on_frame", ())
        self._set_direct(not _is_async(self._serializer.deserialize) and not any(_is_async(h) for h in handlers))

    def _set_direct(self, direct: bool) -> None:
        """Hand (or stop handing) the live connections' messages to :meth:`_deliver`.

        A connection without a sink leaves every message to its read loop at
        no cost, so a transport with an async handler pays nothing for this.
        """
        self._direct = direct
        for conn, ws in self._readers.items():
            ws.wskit_sink = functools.partial(self._deliver, conn) if direct else None

    # -- lifetime (runtime.ManagedTransport) ----------------------------------

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The loop this transport runs on, once started."""
        return self._loop

    @property
    def listen_address(self) -> tuple[str, int] | None:
        return None

    @property
    def running(self) -> bool:
        raise NotImplementedError

    async def start(self) -> None:
        raise NotImplementedError

    async def stop(self) -> None:
        raise NotImplementedError

    def abandon(self) -> None:
        """Forget a transport whose loop is gone (nothing to release by default)."""

    async def __aenter__(self) -> BaseTransport:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _begin(self) -> None:
        """Common start-up: remember the loop and prepare the serializer."""
        self._loop = asyncio.get_running_loop()
        await setup(self.serializer, AudioFormat.from_params(self.params))

    # -- handlers ---------------------------------------------------------------

    def event_handler(self, name: str) -> Callable[[H], H]:
        """Decorator registering ``handler(transport, ...)`` for event ``name``."""

        def register(handler: H) -> H:
            self.add_event_handler(name, handler)
            return handler

        return register

    def add_event_handler(self, name: str, handler: Callable[..., Any]) -> None:
        """Register ``handler`` (sync or async) for event ``name``."""
        if name not in self.EVENTS:
            raise ValueError(f"{type(self).__name__} has no event {name!r}; known: {', '.join(sorted(self.EVENTS))}")
        self._handlers.setdefault(name, []).append(handler)
        self._refresh_direct()

    def remove_event_handler(self, name: str, handler: Callable[..., Any]) -> None:
        """Unregister ``handler``; unknown handlers are ignored."""
        handlers = self._handlers.get(name, [])
        if handler in handlers:
            handlers.remove(handler)
            self._refresh_direct()

    async def _call_handlers(self, name: str, *args: Any) -> None:
        for handler in self._handlers.get(name, ()):
            try:
                result = handler(self, *args)
                if result is not None and inspect.isawaitable(result):
                    await result
            except WebSocketDisconnect:
                logger.debug("%s handler %r: peer disconnected", name, handler)
            except Exception as exc:
                conn = next((a for a in args if isinstance(a, Connection)), None)
                self._handler_failed(name, handler, exc, conn)

    def _handler_failed(
        self, name: str, handler: Callable[..., Any], error: Exception, connection: Connection | None
    ) -> None:
        self.report_error(error, connection, handler=getattr(handler, "__qualname__", repr(handler)), event=name)

    def _emit(self, kind: EventKind, connection: Connection | None = None, **fields: Any) -> None:
        if kind is EventKind.STOPPED:
            for stream in self._streams:
                stream._stop()
        if self.events.active:
            self.events.emit(Event(kind, self, connection, **fields))

    async def _notify(self, kind: EventKind, handler: str, *args: Any, **fields: Any) -> None:
        """Emit an event, then run the handlers registered for it."""
        conn = next((a for a in args if isinstance(a, Connection)), None)
        self._emit(kind, conn, **fields)
        await self._call_handlers(handler, *args)

    # -- errors -----------------------------------------------------------------

    def report_error(self, error: BaseException, connection: Connection | None = None, **info: Any) -> None:
        """Log ``error``, emit an ``ERROR`` event and call ``on_error`` handlers.

        Each exception is reported once, however many layers see it. Faults
        of the peer (bad input, a bad query parameter, a dropped connection)
        are logged at WARNING without a traceback; failures of wskit's or the
        user's own code at ERROR with one. Secrets in the message are masked.
        """
        if getattr(error, "_wskit_reported", False):
            return
        with contextlib.suppress(AttributeError):  # a few built-in exceptions take no attributes
            error._wskit_reported = True  # type: ignore[attr-defined]
        where = f" on connection #{connection.id}" if connection is not None else ""
        level = logging.WARNING if isinstance(error, PEER_FAULTS) else logging.ERROR
        logger.log(
            level, "%s%s: %s", type(self).__name__, where, mask_text(str(error)), exc_info=level == logging.ERROR
        )
        code, reason = _close_of(error)
        reason = mask_text(reason)
        self._emit(EventKind.ERROR, connection, error=error, code=code, reason=reason, info=info or None)
        for handler in self._handlers.get("on_error", ()):
            try:
                result = handler(self, connection, error)
                if inspect.isawaitable(result):
                    runtime.spawn(_quiet(result), name="wskit.on_error")
            except Exception:
                logger.exception("on_error handler %r failed", handler)

    def _spawn(self, coro: Coroutine[Any, Any, T], name: str) -> asyncio.Task[T]:
        """Background work whose failure is reported as this transport's error."""
        return runtime.spawn(coro, name=name, on_error=self.report_error)

    # -- frames -----------------------------------------------------------------

    async def encode(self, frame: Frame | Any, connection: Connection | None = None) -> str | bytes:
        """Serialize ``frame`` for the wire (adding a WAV header when asked).

        A plain value is wrapped first (see :func:`as_frame`). A failure is
        reported once, with ``connection`` (the one being sent to, if any),
        then raised.
        """
        data = self._encode(frame, connection)
        if isinstance(data, (str, bytes)):
            return data
        return await data

    def _encode(self, frame: Frame | Any, connection: Connection | None = None) -> str | bytes | Awaitable[str | bytes]:
        """:meth:`encode` without a coroutine layer when the serializer is synchronous.

        Returns the message, or an awaitable for it from an async serializer.
        """
        if not isinstance(frame, Frame):
            frame = as_frame(frame)
        if self.params.add_wav_header and isinstance(frame, AudioFrame):
            frame = frame_with_header(frame)
        try:
            data = encode_sync(self._serializer, frame)
        except SerializerError as exc:
            self.report_error(exc, connection)
            raise
        if isinstance(data, (str, bytes)):
            return data
        return self._encode_later(data, connection)

    async def _encode_later(self, pending: Awaitable[str | bytes], connection: Connection | None) -> str | bytes:
        try:
            return await pending
        except SerializerError as exc:
            self.report_error(exc, connection)
            raise

    async def _read_frames(self, conn: Connection) -> None:
        """The read loop of an event-driven connection: decode, then ``on_frame``.

        With a synchronous serializer and synchronous ``on_frame`` handlers,
        messages are handled in websockets' protocol callback as they are
        parsed (:meth:`_deliver`), and this loop only takes what cannot be
        (see :mod:`wskit.transports.delivery`). Otherwise every message comes
        here: one flat loop, one ``await`` for websockets' ``recv`` and the
        async serializer or handler awaited in place, so frames stay in order.
        Serializer and handlers are looked up per message: both may change on
        a live transport.
        """
        if conn.application_state is WebSocketState.CONNECTING:
            raise RuntimeError('WebSocket is not connected. Need to call "accept" first.')
        ws = conn.websocket
        direct = ws if isinstance(ws, DirectDelivery) else None
        if direct is not None:
            self._readers[conn] = direct
            if self._direct:
                direct.wskit_sink = functools.partial(self._deliver, conn)
        try:
            await self._read_loop(conn, direct)
        finally:
            if direct is not None:
                self._readers.pop(conn, None)
                direct.wskit_sink = None

    async def _read_loop(self, conn: Connection, direct: DirectDelivery | None) -> None:
        """:meth:`_read_frames`' loop; ``direct`` is the connection when it can hand messages over."""
        recv = conn.websocket.recv
        handlers = self._handlers
        emit = conn._emit
        incoming = _IN
        while True:
            # As Connection.receive_frame: no shortcut on client_state. While the
            # connection closes, websockets hands out what it buffered, then raises.
            try:
                data = await recv()
            except ConnectionClosed as exc:
                conn._disconnect(exc)
                return
            if direct is not None:
                if direct.wskit_queued:  # DirectDelivery.wskit_read(), inlined
                    direct.wskit_queued -= 1
                direct.wskit_busy = True
                pending = direct.wskit_pending
                if pending is not None:  # a message handed over earlier is still being handled
                    direct.wskit_pending = None
                    await asyncio.wait({pending})
            try:
                try:
                    frame = decode_sync(self._serializer, data)
                    if frame is not None and not isinstance(frame, Frame):
                        frame = await frame
                except SerializerError as exc:
                    emit(incoming, data, None)
                    self.report_error(exc, conn)
                    continue
                emit(incoming, data, frame)
                if frame is None:
                    logger.debug("serializer skipped a message on connection #%s", conn.id)
                    continue
                for handler in handlers.get("on_frame", ()):
                    try:
                        result = handler(self, conn, frame)
                        if result is not None and inspect.isawaitable(result):
                            await result
                    except WebSocketDisconnect:
                        logger.debug("on_frame handler %r: peer disconnected", handler)
                    except Exception as exc:
                        self._handler_failed("on_frame", handler, exc, conn)
            finally:
                if direct is not None:
                    direct.wskit_busy = False

    def _deliver(self, conn: Connection, message: WsFrame) -> bool:
        """Handle one whole message inside websockets' protocol callback.

        Returns ``False`` to leave it to the read loop: the transport has
        something async, or text is not valid UTF-8
        (websockets' ``recv()`` closes with 1007 as usual). Nothing raises
        out of here into websockets.
        """
        if not self._direct:
            return False
        data: str | bytes
        if message.opcode is _TEXT:
            try:
                data = bytes(message.data).decode() if type(message.data) is not bytes else message.data.decode()
            except UnicodeDecodeError:
                return False
        else:
            data = message.data if type(message.data) is bytes else bytes(message.data)
        try:
            rest = self._handle_now(conn, data)
        except Exception as exc:  # a bug of ours: report it, never break websockets' callback
            self.report_error(exc, conn)
            return True
        if rest is not None:
            # A serializer or handler written as a plain function returned an awaitable:
            # finish this message in a task; the read loop, which takes the next ones, waits for it.
            self._set_direct(False)
            assert isinstance(conn.websocket, DirectDelivery)
            conn.websocket.wskit_pending = self._spawn(rest, f"wskit.message#{conn.id}")
        return True

    def _handle_now(self, conn: Connection, data: str | bytes) -> Coroutine[Any, Any, None] | None:
        """What the read loop does with a message, without awaiting: decode,
        emit, ``on_frame``. Returns a coroutine for the rest if something
        turned out to need an ``await`` (``None`` when all is done)."""
        try:
            frame = decode_sync(self._serializer, data)
        except SerializerError as exc:
            conn._emit(_IN, data, None)
            self.report_error(exc, conn)
            return None
        if frame is not None and not isinstance(frame, Frame):
            return self._handle_later(conn, data, frame, None, 0)
        conn._emit(_IN, data, frame)
        if frame is None:
            logger.debug("serializer skipped a message on connection #%s", conn.id)
            return None
        handlers = self._handlers.get("on_frame", ())
        for i, handler in enumerate(handlers):
            try:
                result = handler(self, conn, frame)
                if result is not None and inspect.isawaitable(result):
                    return self._handle_later(conn, data, frame, (handler, result), i + 1)
            except WebSocketDisconnect:
                logger.debug("on_frame handler %r: peer disconnected", handler)
            except Exception as exc:
                self._handler_failed("on_frame", handler, exc, conn)
        return None

    async def _handle_later(
        self,
        conn: Connection,
        data: str | bytes,
        decoding: Frame | Awaitable[Frame | None],
        running: tuple[Callable[..., Any], Awaitable[Any]] | None,
        next_handler: int,
    ) -> None:
        """The rest of :meth:`_handle_now`, from the first awaitable it met."""
        if isinstance(decoding, Frame):
            frame: Frame | None = decoding
        else:
            try:
                frame = await decoding
            except SerializerError as exc:
                conn._emit(Direction.IN, data, None)
                self.report_error(exc, conn)
                return
            conn._emit(Direction.IN, data, frame)
            if frame is None:
                logger.debug("serializer skipped a message on connection #%s", conn.id)
                return
        handlers = self._handlers.get("on_frame", [])
        calls: list[tuple[Callable[..., Any], Awaitable[Any] | None]] = [running] if running else []
        calls += [(handler, None) for handler in handlers[next_handler:]]
        for handler, result in calls:
            try:
                if result is None:
                    result = handler(self, conn, frame)
                if result is not None and inspect.isawaitable(result):
                    await result
            except WebSocketDisconnect:
                logger.debug("on_frame handler %r: peer disconnected", handler)
            except Exception as exc:
                self._handler_failed("on_frame", handler, exc, conn)


def _is_async(function: object) -> bool:
    """``async def`` (or an object whose ``__call__`` is), as far as can be told before calling it."""
    if inspect.iscoroutinefunction(function):
        return True
    call = inspect.getattr_static(type(function), "__call__", None)  # a callable object's method
    return inspect.iscoroutinefunction(call)


def _close_of(error: BaseException) -> tuple[int | None, str]:
    """The close code and reason an error carries, if it ended (or ends) a connection."""
    if isinstance(error, (WebSocketDisconnect, WebSocketException)):
        return error.code, error.reason
    if isinstance(error, ConnectionClosed):
        frame = error.sent if error.sent is not None and not error.rcvd_then_sent else error.rcvd
        return (1006, "") if frame is None else (frame.code, frame.reason)
    return None, ""


async def _quiet(awaitable: Any) -> None:
    try:
        await awaitable
    except Exception:
        logger.exception("on_error handler failed")
