"""Event records and the bus that carries them to observers.

Every transport owns an :class:`EventBus`. Whatever happens on it — a server
ready, a client connected, a message in or out, an error — becomes one
:class:`Event` and is handed, synchronously and in order, to each subscriber.
Widgets, plots, loggers and ``frames()`` iterators are all subscribers; none of
them reaches into a transport.

Emitting sits on the data path, so it is cheap: a transport builds an
:class:`Event` only when ``bus.active`` is true, and ``emit`` is a loop over a
tuple. Subscribers must be quick and must not block: append to a buffer and
let a throttled task do the drawing.

This is also the one place an event becomes text: :meth:`Event.details`,
:attr:`Event.summary` and ``str(event)``, written by :func:`format_details`
and :func:`format_summary`, which the event log, the wire tap and the
command line call with what they kept of an event.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from . import _text
from .redact import mask_text

if TYPE_CHECKING:
    from .frames import Frame

__all__ = ["Direction", "Event", "EventBus", "EventKind", "Subscriber", "format_details", "format_summary"]

logger = logging.getLogger("wskit")


class EventKind(enum.StrEnum):
    """What happened."""

    READY = "ready"  # a server is listening
    STOPPED = "stopped"  # a transport stopped
    CONNECTED = "connected"  # a connection opened (either side)
    DISCONNECTED = "disconnected"  # a connection closed; code and reason set
    REJECTED = "rejected"  # a server turned a client away (HTTP status or close code)
    MESSAGE = "message"  # a WebSocket message went in or out
    WIRE = "wire"  # one wire frame (RFC 6455 §5.2) went in or out, seen by wskit.wire.tap
    SESSION_TIMEOUT = "session_timeout"  # a connection reached its session timeout
    RECONNECTING = "reconnecting"  # a client will retry; info holds attempt and delay
    ERROR = "error"  # something failed; error holds the exception
    SLOW_CONSUMER = "slow_consumer"  # a peer did not read fast enough; info holds policy and buffered bytes


class Direction(enum.StrEnum):
    """Which way a message travelled, seen from the transport."""

    IN = "in"
    OUT = "out"


@dataclass(slots=True)
class Event:
    """One thing that happened on a transport (a record: treat it as read-only).

    Attributes:
        kind: what happened.
        source: the transport that emitted it.
        connection: the connection concerned, if any.
        direction: for messages, in or out.
        raw: the message as it crossed the socket (``str`` text, ``bytes`` binary).
        size: its length in bytes (UTF-8 length for text).
        frame: the decoded (in) or encoded (out) frame, when a serializer was involved.
        error: the exception, for ``ERROR`` events.
        code, reason: close code and reason (RFC 6455 §7.4), HTTP status for rejections.
        info: small extra facts (``attempt``, ``delay``, ``handler`` …). For
            ``WIRE`` events: ``opcode`` (``"TEXT"``, ``"BINARY"``, ``"CONT"``,
            ``"PING"``, ``"PONG"``, ``"CLOSE"``), ``fin``, ``rsv1`` (compressed)
            and ``length`` (payload bytes); ``raw`` is then the payload, and
            ``code``/``reason`` are set for ``CLOSE`` frames.
        time: ``time.monotonic()`` when it happened; see :attr:`wall_time`.
    """

    kind: EventKind
    source: Any
    connection: Any = None
    direction: Direction | None = None
    raw: str | bytes | None = None
    size: int = 0
    frame: Frame | None = None
    error: BaseException | None = None
    code: int | None = None
    reason: str = ""
    info: dict[str, Any] | None = None
    time: float = field(default_factory=time.monotonic)

    @property
    def wall_time(self) -> float:
        """Seconds since the epoch, for display."""
        return _text.wall_time(self.time)

    @property
    def opcode(self) -> str | None:
        """The wire opcode: from ``info`` for ``WIRE`` events, ``TEXT``/``BINARY`` for messages, else ``None``."""
        if self.kind is EventKind.WIRE:
            return str(self.info["opcode"]) if self.info and "opcode" in self.info else None
        if self.raw is not None:
            return "TEXT" if isinstance(self.raw, str) else "BINARY"
        return None

    def details(self) -> str:
        """What happened beyond kind, connection and direction, in one line (see :func:`format_details`)."""
        return format_details(
            self.kind,
            raw=self.raw,
            size=self.size,
            frame=self.frame,
            error=self.error,
            code=self.code,
            reason=self.reason,
            info=self.info,
        )

    @property
    def summary(self) -> str:
        """One line without the timestamp: kind, ``#connection``, direction, :meth:`details`."""
        connection = None if self.connection is None else getattr(self.connection, "id", "?")
        return format_summary(self.kind, connection, self.direction, self.details())

    def __repr__(self) -> str:
        # the dataclass repr, with secrets masked: an error event's exception, a close reason
        # or a raw message may quote a token (wskit.redact)
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self))
        return mask_text(f"{type(self).__name__}({shown})")

    def __str__(self) -> str:
        return f"{_text.clock(self.wall_time)} {self.summary}"


def format_details(
    kind: str,
    *,
    raw: str | bytes | None = None,
    size: int = 0,
    frame: Frame | None = None,
    error: BaseException | None = None,
    code: int | None = None,
    reason: str = "",
    info: dict[str, Any] | None = None,
) -> str:
    """The details of an event (its fields as :class:`Event` names them), in one line.

    The payload (the decoded frame, else a preview of the raw message and its
    size in bytes), close code and reason, the error (secrets masked), and the
    remaining ``info``. For ``WIRE`` events: opcode, payload preview, length
    on the wire and the flags that are set, e.g. ``PING 'hi' [2 bytes]`` or
    ``CLOSE code=1000 'bye' [5 bytes]``.
    """
    if kind == EventKind.WIRE:
        return _wire_details(raw, size, code, reason, info or {})
    parts: list[str] = []
    if frame is not None:
        parts.append(str(frame))
    elif raw is not None:
        parts.append(f"{'TEXT' if isinstance(raw, str) else 'BINARY'} {_text.preview(raw)} [{size} bytes]")
    if code is not None:
        parts.append(f"code={code}")
    if reason:
        parts.append(repr(reason))
    if error is not None:
        parts.append(f"{type(error).__name__}: {mask_text(str(error))}")
    if info:
        parts.append(" ".join(f"{k}={v}" for k, v in info.items()))
    return " ".join(parts)


def format_summary(kind: str, connection: object, direction: str | None, details: str) -> str:
    """``message #3 in TEXT 'hi' [2 bytes]``: kind, ``#connection`` (an id, or ``None``), direction, details."""
    parts = [str(kind)]
    if connection is not None:
        parts.append(f"#{connection}")
    if direction is not None:
        parts.append(str(direction))
    if details:
        parts.append(details)
    return " ".join(parts)


def _wire_details(raw: str | bytes | None, size: int, code: int | None, reason: str, info: dict[str, Any]) -> str:
    """``PING [4 bytes]``, ``CLOSE code=1000 'bye' [5 bytes]``, ``TEXT 'hi' [2 bytes] fin=0``."""
    opcode = str(info.get("opcode", "?"))
    parts = [opcode]
    if opcode == "CLOSE":
        if code is not None:
            parts.append(f"code={code}")
        if reason:
            parts.append(repr(reason))
    elif raw:
        data = raw.encode() if isinstance(raw, str) else raw
        parts.append(_text.payload_preview(data, text=opcode != "BINARY"))
    parts.append(f"[{info.get('length', size)} bytes]")
    if info.get("fin") is False:
        parts.append("fin=0")  # more fragments follow (RFC 6455 §5.4)
    if info.get("rsv1"):
        parts.append("rsv1 (compressed)")  # permessage-deflate, RFC 7692 §6
    extra = {k: v for k, v in info.items() if k not in ("opcode", "length", "fin", "rsv1")}
    if extra:
        parts.append(" ".join(f"{k}={v}" for k, v in extra.items()))
    return " ".join(parts)


Subscriber = Callable[[Event], object]


class EventBus:
    """Synchronous fan-out of events to any number of subscribers.

    Subscribing returns a function that unsubscribes. A subscriber that raises
    is logged (with the event) and stays subscribed; the others still get the
    event and the data path is not interrupted.
    """

    __slots__ = ("_subscribers",)

    def __init__(self) -> None:
        self._subscribers: tuple[Subscriber, ...] = ()

    @property
    def active(self) -> bool:
        """True when someone is listening (check before building an event)."""
        return bool(self._subscribers)

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback(event)`` for every event from now on."""
        self._subscribers = (*self._subscribers, callback)
        return lambda: self.unsubscribe(callback)

    def unsubscribe(self, callback: Subscriber) -> None:
        """Stop calling ``callback`` (once per subscription); unknown callbacks are ignored."""
        subscribers = list(self._subscribers)
        for i, subscriber in enumerate(subscribers):
            if subscriber is callback:
                del subscribers[i]
                self._subscribers = tuple(subscribers)
                return

    def emit(self, event: Event) -> None:
        """Hand ``event`` to every subscriber, in subscription order."""
        for callback in self._subscribers:
            try:
                callback(event)
            except Exception:
                logger.exception("event subscriber %r failed on %s", callback, event)
