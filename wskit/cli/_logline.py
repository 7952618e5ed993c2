"""One readable terminal line per event: what ``wskit serve`` prints.

Columns: wall-clock time, the client (``#id host:port``), the direction
(``<-`` in, ``->`` out), the kind (``message``, ``wire``, ``connected`` …),
the wire opcode, the size in bytes, and :meth:`wskit.Event.details` (payload
preview, close code and reason, error, flags). The wording of an event lives
in :class:`wskit.Event`; this module only lays it out in columns.
"""

from __future__ import annotations

from .._text import client_label, clock
from ..events import Direction, Event

__all__ = ["format_event"]

_ARROWS = {Direction.IN: "<-", Direction.OUT: "->"}


def format_event(event: Event) -> str:
    """The event as one line of fixed columns (the last one free text)."""
    stamp = clock(event.wall_time)
    arrow = _ARROWS.get(event.direction, "  ") if event.direction is not None else "  "
    opcode = event.opcode or ""
    size = f"{event.size} B" if event.raw is not None or opcode else ""
    line = f"{stamp}  {client_label(event.connection):<22} {arrow}  {event.kind!s:<12} {opcode:<6} {size:>9}"
    details = event.details()
    return f"{line}  {details}" if details else line.rstrip()
