"""The event log's model: a bounded ring buffer of rows built from events.

Pure Python, no widgets: :class:`LogBuffer` subscribes to a transport (or is
fed events by hand), turns each :class:`~wskit.events.Event` into a small
:class:`LogRow` and keeps the last ``max_rows`` of them. The ``EventLog``
widget draws it; tests and scripts can use it alone.

Memory is bounded twice. ``Event.raw`` holds the whole message, so a row
keeps only a one-line summary plus the payload up to ``max_payload`` bytes
(64 KiB by default, marked ``truncated`` when cut), and the payloads of all
rows together stay under ``max_bytes`` (32 MiB by default): past it the
oldest rows lose their payload (also marked ``truncated``) but keep their
summary. The event is not kept; a row's frame is kept only until its summary
is first read (summaries are written lazily: most rows of a fast stream are
never drawn), and only for payloads within the budget.

Exports: :meth:`LogBuffer.export_json` gives one dict per row (the schema
``wskit.plot.timeline`` reads too) and :meth:`LogBuffer.export_har` a
HAR-style ``_webSocketMessages`` list, the shape browsers' developer tools save.
"""

from __future__ import annotations

import base64
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypedDict

from ._targets import role_of
from ._text import wall_time
from .events import Event, EventKind, format_details, format_summary
from .frames import Frame

__all__ = ["ExportRow", "HarMessage", "LogBuffer", "LogRow", "row_from_event"]

KIB = 1024


class ExportRow(TypedDict):
    """One row of :meth:`LogBuffer.export_json`."""

    seq: int
    time: float
    monotonic: float
    kind: str
    direction: str | None
    role: str | None
    connection: int | None
    opcode: str | None
    size: int
    code: int | None
    reason: str
    summary: str
    payload: str | None
    payload_encoding: str | None
    truncated: bool


class HarMessage(TypedDict):
    """One entry of a HAR ``_webSocketMessages`` list (Chrome's format)."""

    type: str  # "send" | "receive"
    time: float  # epoch seconds
    opcode: int  # 1 text, 2 binary (RFC 6455 §5.2)
    data: str  # text as is, binary as base64


@dataclass(slots=True)
class LogRow:
    """One logged event, reduced to what a log shows.

    Attributes:
        seq: position in the log since it was created (never reused after ``clear``).
        time: ``time.monotonic()`` of the event; :attr:`wall_time` for display.
        wall_time: epoch seconds.
        kind, direction, role: ``"message"``, ``"in"``/``"out"``/``None``,
            ``"server"``/``"client"``/``None`` (which transport emitted it).
        connection: the connection's id, or ``None``.
        opcode: the wire opcode for ``wire`` events, ``"TEXT"``/``"BINARY"``
            for messages, else ``None``.
        size: payload length in bytes (UTF-8 length for text).
        code, reason: close code (or HTTP status for rejections) and reason.
        summary: one line in the style of ``str(event)``, without the time.
        payload: the message (``str`` or ``bytes``), at most the per-row budget.
        truncated: the payload was cut to the budget, or dropped to stay under the log's.
        detail: extra text for the details view (an error's traceback).
    """

    seq: int
    time: float
    kind: str
    direction: str | None
    role: str | None
    connection: int | None
    opcode: str | None
    size: int
    code: int | None
    reason: str
    payload: str | bytes | None
    truncated: bool
    detail: str = ""
    # The summary is written when first read (most rows of a fast stream never
    # are); until then the row holds the frame and info it is written from.
    _summary: str | None = None
    _parts: tuple[Frame | None, dict[str, Any] | None] | None = field(default=None, repr=False)
    _held: int = 0  # bytes counted against the log's budget: payload, plus a frame not sharing it

    @property
    def summary(self) -> str:
        """One line in the style of ``str(event)``, without the time."""
        text = self._summary
        if text is None:
            frame, info = self._parts or (None, None)
            text = self._summary = _summarize(self, frame, info)
            self._parts = None
        return text

    @property
    def wall_time(self) -> float:
        """Seconds since the epoch."""
        return wall_time(self.time)

    @property
    def payload_bytes(self) -> int:
        """Bytes of payload this row holds (what counts against the log's budget)."""
        p = self.payload
        if p is None:
            return 0
        return len(p) if isinstance(p, bytes) else len(p.encode("utf-8", "surrogatepass"))

    def to_json(self) -> ExportRow:
        """The export form (see the module docstring)."""
        p = self.payload
        if p is None:
            payload, encoding = None, None
        elif isinstance(p, str):
            payload, encoding = p, "text"
        else:
            payload, encoding = base64.b64encode(p).decode("ascii"), "base64"
        return {
            "seq": self.seq,
            "time": self.wall_time,
            "monotonic": self.time,
            "kind": str(self.kind),  # a StrEnum member while in the log: plain str out
            "direction": None if self.direction is None else str(self.direction),
            "role": self.role,
            "connection": self.connection,
            "opcode": self.opcode,
            "size": self.size,
            "code": self.code,
            "reason": self.reason,
            "summary": self.summary,
            "payload": payload,
            "payload_encoding": encoding,
            "truncated": self.truncated,
        }


def _clip(raw: str | bytes, size: int, budget: int) -> tuple[str | bytes, int, bool]:
    """``raw`` cut to at most ``budget`` bytes (text on a character boundary),
    its length in bytes, and whether it was cut; ``size`` is its byte length
    as the event says (UTF-8 length for text)."""
    if isinstance(raw, bytes):
        return (raw, len(raw), False) if len(raw) <= budget else (raw[:budget], budget, True)
    if len(raw) * 4 <= budget:  # cannot exceed the budget even as 4-byte UTF-8
        return raw, size if size else len(raw.encode("utf-8", "surrogatepass")), False
    encoded = raw.encode("utf-8", "surrogatepass")
    if len(encoded) <= budget:
        return raw, len(encoded), False
    cut = encoded[:budget].decode("utf-8", "ignore")
    return cut, len(cut.encode("utf-8", "surrogatepass")), True


def _summarize(row: LogRow, frame: Frame | None, info: dict[str, Any] | None) -> str:
    """``str(event)`` without its timestamp, from what the row kept (see :func:`~wskit.events.format_details`)."""
    details = format_details(
        row.kind, raw=row.payload, size=row.size, frame=frame, code=row.code, reason=row.reason, info=info
    )
    return format_summary(row.kind, row.connection, row.direction, details)


def row_from_event(event: Event, seq: int, max_payload: int = 64 * KIB) -> LogRow:
    """Reduce ``event`` to a :class:`LogRow`, keeping at most ``max_payload`` bytes of it."""
    raw = event.raw
    if event.kind is EventKind.WIRE:
        opcode = (event.info or {}).get("opcode")
        opcode = str(opcode) if opcode is not None else None
    elif event.kind is EventKind.MESSAGE and raw is not None:
        opcode = "TEXT" if isinstance(raw, str) else "BINARY"
    else:
        opcode = None
    payload: str | bytes | None = None
    truncated = False
    held = 0
    if raw is not None:
        if isinstance(raw, (bytearray, memoryview)):
            raw = bytes(raw[:max_payload])  # never hold a view on someone's buffer
        payload, held, truncated = _clip(raw, event.size, max_payload)
    conn = event.connection
    frame = event.frame
    # kind and direction stay StrEnum members (they are str); to_json makes them plain
    row = LogRow(
        seq,
        event.time,
        event.kind,
        event.direction,
        role_of(event.source),
        None if conn is None else getattr(conn, "id", None),
        opcode,
        event.size,
        event.code,
        event.reason or "",
        payload,
        truncated,
    )
    if event.error is not None:  # rare: write it all now, the exception is not kept
        row.detail = "".join(traceback.format_exception(event.error))[-8 * KIB :]
        row._summary = event.summary
    elif truncated:  # the preview needs the whole message: write it now
        row._parts = (frame, event.info)
        row.payload = raw
        row._summary = row.summary
        row.payload = payload
    elif frame is not None:
        row._parts = (frame, event.info)
        if not (
            getattr(frame, "data", None) is raw
            or getattr(frame, "text", None) is raw
            or getattr(frame, "audio", None) is raw
        ):
            held *= 2  # the frame holds its own copy (about as big) until the summary is written
    elif event.info:
        row._parts = (None, event.info)
    row._held = held
    return row


class LogBuffer:
    """The last ``max_rows`` events as :class:`LogRow` s, with bounded payload memory.

    Args:
        max_rows: rows kept; older rows fall off the front.
        max_payload: payload bytes kept per row (64 KiB).
        max_bytes: payload bytes kept by the whole log (32 MiB); past it the
            oldest rows lose their payload.
        connection: keep only events of this connection (and transport-wide
            ones without a connection, such as ``stopped``).

    ``append`` is what a transport's event bus calls: it is quick, never
    raises on odd events, and calls ``on_change`` (if set) so a view can
    schedule a redraw.
    """

    def __init__(
        self,
        max_rows: int = 10_000,
        *,
        max_payload: int = 64 * KIB,
        max_bytes: int = 32 * KIB * KIB,
        connection: object = None,
    ) -> None:
        if max_rows < 1 or max_payload < 0 or max_bytes < 0:
            raise ValueError("max_rows must be >= 1 and the byte budgets >= 0")
        self.max_rows = max_rows
        self.max_payload = min(max_payload, max_bytes)
        self.max_bytes = max_bytes
        self.connection = connection
        self.on_change: Callable[[], object] | None = None
        self._rows: deque[LogRow] = deque()
        self._with_payload: deque[LogRow] = deque()  # rows holding payload, oldest first
        self._payload_bytes = 0
        self._seq = 0
        self.dropped_rows = 0  #: rows that fell off the front
        self.dropped_payloads = 0  #: rows whose payload was dropped to keep under max_bytes
        self._unsubscribe: list[Callable[[], None]] = []

    # -- filling ----------------------------------------------------------------

    def attach(self, transport: Any) -> Callable[[], None]:
        """Subscribe to ``transport.events``; returns the unsubscribe function."""
        unsubscribe: Callable[[], None] = transport.events.subscribe(self.append)
        self._unsubscribe.append(unsubscribe)
        return unsubscribe

    def detach(self) -> None:
        """Stop logging from every transport attached so far."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()

    def append(self, event: Event) -> LogRow | None:
        """Log ``event`` (skipped when it belongs to another connection)."""
        if self.connection is not None and event.connection is not None and event.connection is not self.connection:
            return None
        self._seq += 1
        row = row_from_event(event, self._seq, self.max_payload)
        self._add(row)
        if self.on_change is not None:
            self.on_change()
        return row

    def _add(self, row: LogRow) -> None:
        rows = self._rows
        if len(rows) >= self.max_rows:
            old = rows.popleft()
            self.dropped_rows += 1
            if old.payload is not None:
                self._payload_bytes -= old._held
                # it is the oldest payload-holding row, or already gone from that queue
                if self._with_payload and self._with_payload[0] is old:
                    self._with_payload.popleft()
        rows.append(row)
        if row.payload is not None:
            self._with_payload.append(row)
            self._payload_bytes += row._held
            while self._payload_bytes > self.max_bytes and self._with_payload:
                victim = self._with_payload.popleft()
                if victim.payload is None:
                    continue
                self._payload_bytes -= victim._held
                _ = victim.summary  # written while the payload is still there; frees the frame
                victim.payload = None
                victim.truncated = True
                self.dropped_payloads += 1

    def clear(self) -> None:
        """Forget every row (sequence numbers go on from where they were)."""
        self._rows.clear()
        self._with_payload.clear()
        self._payload_bytes = 0
        if self.on_change is not None:
            self.on_change()

    # -- reading ----------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[LogRow]:
        return iter(self._rows)

    @property
    def seq(self) -> int:
        """The sequence number of the latest row (0 before the first)."""
        return self._seq

    @property
    def payload_bytes(self) -> int:
        """Payload bytes held now, counting frames not yet summarised (at most ``max_bytes``)."""
        return self._payload_bytes

    def get(self, seq: int) -> LogRow | None:
        """The row numbered ``seq``, if still held."""
        rows = self._rows
        if not rows:
            return None
        index = seq - rows[0].seq
        if 0 <= index < len(rows) and rows[index].seq == seq:
            return rows[index]
        return next((r for r in rows if r.seq == seq), None)

    def rows(
        self,
        kinds: Iterable[str] | None = None,
        directions: Iterable[str | None] | None = None,
        search: str = "",
        last: int | None = None,
    ) -> list[LogRow]:
        """The rows that match, oldest first.

        Args:
            kinds: keep these kinds (``"message"``, ``"wire"``, …); ``None`` for all.
            directions: keep these directions (``"in"``, ``"out"``, ``None`` for
                rows without one); ``None`` for all.
            search: case-insensitive text that must occur in the summary,
                in a text payload, or in a binary payload's hex (``"dead"``).
            last: at most this many, the newest.
        """
        kind_set = set(kinds) if kinds is not None else None
        dir_set = set(directions) if directions is not None else None
        needle = search.casefold()
        picked: list[LogRow] = []
        for row in reversed(self._rows):
            if kind_set is not None and row.kind not in kind_set:
                continue
            if dir_set is not None and row.direction not in dir_set:
                continue
            if needle and not _matches(row, needle):
                continue
            picked.append(row)
            if last is not None and len(picked) >= last:
                break
        picked.reverse()
        return picked

    # -- exporting --------------------------------------------------------------

    def export_json(self, rows: Iterable[LogRow] | None = None) -> list[ExportRow]:
        """Every row (or ``rows``) as a JSON-able dict."""
        return [row.to_json() for row in (self._rows if rows is None else rows)]

    def export_har(self) -> list[HarMessage]:
        """The messages as a HAR ``_webSocketMessages`` list.

        Only ``message`` rows count (wire frames would repeat them); binary
        data is base64, as browsers save it. A truncated payload is exported
        as far as it was kept.
        """
        out: list[HarMessage] = []
        for row in self._rows:
            if row.kind != EventKind.MESSAGE.value or row.direction is None:
                continue
            p = row.payload
            text = row.opcode == "TEXT"
            if p is None:
                data = ""
            elif isinstance(p, str):
                data = p
            else:
                data = base64.b64encode(p).decode("ascii")
            out.append(
                {
                    "type": "send" if row.direction == "out" else "receive",
                    "time": row.wall_time,
                    "opcode": 1 if text else 2,
                    "data": data,
                }
            )
        return out


def _matches(row: LogRow, needle: str) -> bool:
    if needle in row.summary.casefold():
        return True
    payload = row.payload
    if isinstance(payload, bytes):  # binary matches as hex with no spaces: "dead" finds de ad
        return needle in payload[: 4 * KIB].hex()
    return isinstance(payload, str) and needle in payload[: 64 * KIB].casefold()
