"""A live wire tap: every frame a connection sends and receives (RFC 6455 §5).

websockets' asyncio connection drives a Sans-I/O protocol object
(``websocket.protocol``). Every frame it sends, data or control, goes through
``protocol.send_frame(frame)``; every frame it parses goes through
``protocol.recv_frame(frame)`` before it comes out of ``events_received()``.
The tap sits on those two methods of one protocol instance (instance
attributes shadowing the class's methods), so it sees pings, pongs and close
frames that the application never does, in wire order: a received ping is
recorded before the pong websockets answers it with (``events_received()``
would only hand it over afterwards), and a frame websockets refuses after
parsing it (a stray continuation frame) is still recorded.

With permessage-deflate (RFC 7692) those frames carry the uncompressed
payload and no RSV1 bit; the tap also sits on the outermost extension's
``encode``/``decode`` to see the frame as it is on the wire: RSV1 set and the
compressed length.

It only observes: it calls the original methods with the same arguments and
returns what they return, so the bytes on the wire do not change. Its history
is bounded (count and payload bytes), and :meth:`WireTap.detach` deletes the
instance attributes it added, which restores the connection exactly.
"""

from __future__ import annotations

import logging
import time
import weakref
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple, TypeAlias

from websockets.frames import Frame, Opcode

from .._targets import owner_of
from ..closecodes import parse_close
from ..events import Direction, Event, EventKind, format_details

if TYPE_CHECKING:
    from websockets.asyncio.connection import Connection as WsConnection

    from ..transports import BaseTransport, Connection

__all__ = ["Tappable", "WireRecord", "WireTap", "tap"]

#: What :func:`tap` accepts: a server or client transport, a wskit connection,
#: or a bare websockets connection.
Tappable: TypeAlias = "BaseTransport | Connection | WsConnection"

logger = logging.getLogger("wskit")
_CLOSE = Opcode.CLOSE
_NAMES = {opcode: opcode.name for opcode in Opcode}  # Opcode.name, looked up once: this is the data path
_monotonic = time.monotonic
_new_record = tuple.__new__


class WireRecord(NamedTuple):
    """One frame on the wire.

    Attributes:
        time: ``time.monotonic()`` when it was sent or received.
        direction: in or out, seen from the tapped side.
        connection: the wskit connection (or ``None`` for a bare websockets one).
        opcode: ``"TEXT"``, ``"BINARY"``, ``"CONT"``, ``"PING"``, ``"PONG"``, ``"CLOSE"``.
        fin: last frame of its message.
        rsv1: the RSV1 bit on the wire (a compressed message's first frame).
        length: payload length on the wire (compressed when ``rsv1``).
        payload: the payload (unmasked, and decompressed when ``rsv1``).
        code, reason: for CLOSE frames (code ``None`` for an empty close frame).
    """

    time: float
    direction: Direction
    connection: Any
    opcode: str
    fin: bool
    rsv1: bool
    length: int
    payload: bytes
    code: int | None = None
    reason: str = ""

    def __repr__(self) -> str:
        return f"<WireRecord {self}>"

    def __str__(self) -> str:
        """``in PING 'hi' [2 bytes]``: the direction, then the frame as its ``WIRE`` event tells it."""
        info = {"opcode": self.opcode, "fin": self.fin, "rsv1": self.rsv1, "length": self.length}
        details = format_details(
            EventKind.WIRE, raw=self.payload, size=self.length, code=self.code, reason=self.reason, info=info
        )
        return f"{self.direction.value} {details}"


class _Hook:
    """The wrappers installed on one protocol object, shared by every tap on it."""

    def __init__(self, protocol: Any, connection: Any) -> None:
        # no reference to the protocol itself: the hook lives on the protocol
        # (see _HOOK), so both go away with the connection
        self.connection = connection
        self.taps: list[WireTap] = []
        # (rsv1, length) of the frame as it is on the wire, from the outermost extension
        self.wire_out: tuple[bool, int] | None = None
        self.wire_in: tuple[bool, int] | None = None
        self.extension: Any = None
        send_frame = protocol.send_frame
        recv_frame = protocol.recv_frame

        def tapped_send_frame(frame: Frame) -> None:
            send_frame(frame)  # serializes; raises (nothing sent) for an invalid frame
            wire, self.wire_out = self.wire_out, None
            try:
                self.record(Direction.OUT, frame, wire)
            except Exception:  # an observer never breaks the connection it watches
                logger.exception("wire tap failed to record a frame")

        def tapped_recv_frame(frame: Frame) -> None:
            # recorded before websockets acts on it: a ping shows before its pong,
            # and a frame websockets then refuses (a stray CONT) still shows
            wire, self.wire_in = self.wire_in, None
            try:
                self.record(Direction.IN, frame, wire)
            except Exception:
                logger.exception("wire tap failed to record a frame")
            recv_frame(frame)

        protocol.send_frame = tapped_send_frame
        protocol.recv_frame = tapped_recv_frame
        extensions = getattr(protocol, "extensions", None) or []
        if extensions:
            # serialize() applies extensions in order and parse() in reverse:
            # the last one's encode output and decode input are the wire frames
            ext = self.extension = extensions[-1]
            encode, decode = ext.encode, ext.decode

            def tapped_encode(frame: Frame) -> Frame:
                result = encode(frame)
                self.wire_out = (result.rsv1, len(result.data))
                return result  # type: ignore[no-any-return]

            def tapped_decode(frame: Frame, *, max_size: int | None = None) -> Frame:
                self.wire_in = (frame.rsv1, len(frame.data))
                return decode(frame, max_size=max_size)  # type: ignore[no-any-return]

            ext.encode = tapped_encode
            ext.decode = tapped_decode

    def record(self, direction: Direction, frame: Frame, wire: tuple[bool, int] | None) -> None:
        # on the data path: kept lean (one tuple, no copy of an immutable payload)
        payload = frame.data
        if type(payload) is not bytes:
            payload = bytes(payload)
        if wire is None:
            rsv1, length = frame.rsv1, len(payload)
        else:
            rsv1, length = wire
        opcode = frame.opcode
        close = parse_close(payload) if opcode is _CLOSE else None
        code, reason = (None, "") if close is None else (close.code, close.reason)
        record = _new_record(
            WireRecord,
            (_monotonic(), direction, self.connection, _NAMES[opcode], frame.fin, rsv1, length, payload, code, reason),
        )
        for wire_tap in self.taps:
            wire_tap._add(record)

    def remove(self, protocol: Any) -> None:
        """Delete the instance attributes: the class's methods show through again."""
        for name in ("send_frame", "recv_frame", _HOOK):
            protocol.__dict__.pop(name, None)
        if self.extension is not None:
            for name in ("encode", "decode"):
                self.extension.__dict__.pop(name, None)


# the attribute holding a protocol's hook: one hook per protocol, however many taps share it
_HOOK = "_wskit_wire_hook"


class WireTap:
    """Frames seen on one or more connections; see :func:`tap`.

    Attributes:
        records: the most recent frames, oldest first (a bounded deque).
        frames_in, frames_out: frames seen each way since attaching.
        bytes_in, bytes_out: their payload bytes on the wire.
        dropped: records evicted to stay within the bounds.
    """

    def __init__(
        self, target: Tappable, *, max_records: int = 1000, max_bytes: int = 1 << 20, emit: bool = True
    ) -> None:
        if max_records < 1 or max_bytes < 0:
            raise ValueError("max_records must be at least 1 and max_bytes at least 0")
        self.max_records = max_records
        self.max_bytes = max_bytes
        self.records: deque[WireRecord] = deque()
        self.frames_in = self.frames_out = 0
        self.bytes_in = self.bytes_out = 0
        self.dropped = 0
        self._retained = 0
        self._emit = emit
        # weak: a server tap must not keep every connection it ever saw alive
        self._protocols: weakref.WeakSet[Any] = weakref.WeakSet()
        self._unsubscribe: Callable[[], None] | None = None
        self._transport: Any = None
        self._attached = True
        if hasattr(target, "protocol") and not hasattr(target, "websocket"):  # a websockets connection
            self._watch_protocol(target.protocol, None)
            return
        try:
            transport, conn = owner_of(target)
        except TypeError:
            raise TypeError(
                f"cannot tap {target!r}: give a transport, a wskit Connection or a websockets connection"
            ) from None
        self._transport = transport
        if conn is not None:  # one wskit Connection
            self._watch(conn)
            return
        for conn in _connections_of(transport):
            self._watch(conn)
        self._unsubscribe = transport.events.subscribe(self._on_event)

    def __repr__(self) -> str:
        state = "attached" if self._attached else "detached"
        return f"<WireTap {state} in={self.frames_in} out={self.frames_out} records={len(self.records)}>"

    @property
    def attached(self) -> bool:
        return self._attached

    def _on_event(self, event: Event) -> None:
        # CONNECTED: a new connection; REJECTED: one about to be closed by the server
        if event.kind in (EventKind.CONNECTED, EventKind.REJECTED) and event.connection is not None:
            self._watch(event.connection)

    def _watch(self, conn: Any) -> None:
        self._watch_protocol(conn.websocket.protocol, conn)

    def _watch_protocol(self, protocol: Any, conn: Any) -> None:
        if protocol in self._protocols:
            return
        hook = protocol.__dict__.get(_HOOK)
        if hook is None:
            hook = _Hook(protocol, conn)
            setattr(protocol, _HOOK, hook)
        hook.taps.append(self)
        self._protocols.add(protocol)

    def _add(self, record: WireRecord) -> None:
        if record.direction is Direction.IN:
            self.frames_in += 1
            self.bytes_in += record.length
        else:
            self.frames_out += 1
            self.bytes_out += record.length
        size = len(record.payload)
        if size > self.max_bytes:  # too big to keep whole: keep the facts, not the payload
            record = record._replace(payload=b"")
            size = 0
        records = self.records
        records.append(record)
        self._retained += size
        if len(records) > self.max_records or self._retained > self.max_bytes:
            while len(records) > self.max_records or self._retained > self.max_bytes:
                self._retained -= len(records.popleft().payload)
                self.dropped += 1
        transport = self._transport
        if transport is not None and self._emit and transport.events.active:
            transport.events.emit(
                Event(
                    EventKind.WIRE,
                    transport,
                    record.connection,
                    record.direction,
                    record.payload,
                    record.length,
                    code=record.code,
                    reason=record.reason,
                    info={"opcode": record.opcode, "fin": record.fin, "rsv1": record.rsv1, "length": record.length},
                    time=record.time,
                )
            )

    def detach(self) -> None:
        """Stop recording; connections no tap watches any more are restored exactly."""
        if not self._attached:
            return
        self._attached = False
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        for protocol in list(self._protocols):
            hook = protocol.__dict__.get(_HOOK)
            if hook is None:
                continue
            if self in hook.taps:
                hook.taps.remove(self)
            if not hook.taps:
                hook.remove(protocol)
        self._protocols.clear()

    def clear(self) -> None:
        """Forget the recorded frames (counters keep counting)."""
        self.records.clear()
        self._retained = 0

    def __enter__(self) -> WireTap:
        return self

    def __exit__(self, *exc: object) -> None:
        self.detach()

    def __str__(self) -> str:
        lines = []
        start = self.records[0].time if self.records else 0.0
        for r in self.records:
            conn = f"#{r.connection.id} " if r.connection is not None else ""
            lines.append(f"{(r.time - start) * 1000:8.1f} ms  {conn}{r}")
        return "\n".join(lines) or "(no frames yet)"


def _connections_of(transport: Any) -> list[Any]:
    conn = getattr(transport, "connection", None)
    if conn is not None:
        return [conn]
    return list(getattr(transport, "clients", ()))


def tap(target: Tappable, *, max_records: int = 1000, max_bytes: int = 1 << 20, emit: bool = True) -> WireTap:
    """Record every frame sent and received on a live connection (RFC 6455 §5).

    Args:
        target: a server transport (every current and future client), a
            client transport (its connection, and the next one after a
            reconnect), one wskit ``Connection``, or a websockets connection.
        max_records: how many frames to keep (oldest dropped first).
        max_bytes: how many payload bytes to keep in all; a single frame
            larger than this is kept without its payload.
        emit: also emit each frame as an ``EventKind.WIRE`` event on the
            transport's bus (event logs show them): ``raw`` is the payload
            (unmasked, decompressed), ``size`` and ``info["length"]`` the
            payload length on the wire (compressed when ``info["rsv1"]``),
            ``code``/``reason`` set for CLOSE frames.

    Returns:
        the tap; ``tap.records`` holds the frames, ``tap.detach()`` stops it.
    """
    return WireTap(target, max_records=max_records, max_bytes=max_bytes, emit=emit)
