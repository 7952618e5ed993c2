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
import inspect
import logging
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any, ClassVar, Generic, TypeVar

from websockets.exceptions import ConnectionClosed

from .. import runtime
from ..events import Direction, Event, EventBus, EventKind
from ..frames import AudioFrame, Frame
from ..serializers.base import FrameSerializer, SerializerError, encode, setup
from ..serializers.raw import RawSerializer
from .connection import Connection, WebSocketDisconnect, WebSocketException
from .params import TransportParams

__all__ = ["BaseTransport", "FrameStream"]

logger = logging.getLogger("wskit")
H = TypeVar("H", bound=Callable[..., Any])
T = TypeVar("T")


class FrameStream(Generic[T]):
    """A bounded queue of incoming frames, filled from a transport's events.

    It subscribes when created (not at the first ``await``), so no frame that
    arrives in between is missed. When full it drops the oldest item, counts
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
        self._unsubscribe = transport.events.subscribe(self._on_event)

    def _on_event(self, event: Event) -> None:
        if event.kind is EventKind.MESSAGE:
            if event.direction is not Direction.IN or event.frame is None:
                return
            item = (event.connection, event.frame) if self._pairs else event.frame
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
            self._items.append(item)
        elif event.kind is EventKind.STOPPED:
            self._closed = True
        else:
            return
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def get(self, timeout: float | None = None) -> T:
        """The next item.

        Raises:
            TimeoutError: nothing arrived within ``timeout`` seconds.
            StopAsyncIteration: the stream is closed and empty.
        """
        if not self._items:  # the timeout scope costs ~2 µs: only enter it to wait
            async with asyncio.timeout(timeout):
                while not self._items:
                    if self._closed:
                        raise StopAsyncIteration
                    self._waiter = asyncio.get_running_loop().create_future()
                    try:
                        await self._waiter
                    finally:
                        self._waiter = None
        item: T = self._items.popleft()
        return item

    def close(self) -> None:
        """Stop collecting frames; what is queued can still be read."""
        self._closed = True
        self._unsubscribe()
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

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


class BaseTransport:
    """Event handlers, the event bus, the serializer and lifetime, for both sides."""

    EVENTS: ClassVar[frozenset[str]] = frozenset({"on_frame", "on_error"})

    def __init__(self, params: TransportParams) -> None:
        self.params = params
        self.events = EventBus()
        self.serializer: FrameSerializer = params.serializer or RawSerializer()
        self._handlers: dict[str, list[Callable[..., Any]]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

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
        await setup(self.serializer, self.params)

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

    def remove_event_handler(self, name: str, handler: Callable[..., Any]) -> None:
        """Unregister ``handler``; unknown handlers are ignored."""
        handlers = self._handlers.get(name, [])
        if handler in handlers:
            handlers.remove(handler)

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
                self.report_error(exc, conn, handler=getattr(handler, "__qualname__", repr(handler)), event=name)

    def _emit(self, kind: EventKind, connection: Connection | None = None, **fields: Any) -> None:
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

        Each exception is reported once, however many layers see it.
        """
        if getattr(error, "_wskit_reported", False):
            return
        with contextlib.suppress(AttributeError):  # a few built-in exceptions take no attributes
            error._wskit_reported = True  # type: ignore[attr-defined]
        where = f" on connection #{connection.id}" if connection is not None else ""
        level = logging.WARNING if isinstance(error, SerializerError) else logging.ERROR
        logger.log(level, "%s%s: %s", type(self).__name__, where, error, exc_info=level == logging.ERROR)
        code, reason = _close_of(error)
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

    async def encode(self, frame: Frame) -> str | bytes:
        """Serialize ``frame`` for the wire (adding a WAV header when asked)."""
        if self.params.add_wav_header and isinstance(frame, AudioFrame):
            from ..audio.wav import frame_with_header

            frame = frame_with_header(frame)
        try:
            return await encode(self.serializer, frame)
        except SerializerError as exc:
            self.report_error(exc)
            raise

    async def _read_frames(self, conn: Connection) -> None:
        """The read loop of an event-driven connection: decode, then ``on_frame``."""
        async for frame in conn.iter_frames():
            await self._call_handlers("on_frame", conn, frame)


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
