"""One readable terminal line per event: what ``wskit serve`` prints.

Columns: wall-clock time, the client (``#id host:port``), the direction
(``<-`` in, ``->`` out), the kind (``message``, ``wire``, ``connected`` …),
the wire opcode, the size in bytes, and :meth:`wskit.Event.details` (payload
preview, close code and reason, error, flags). The wording of an event lives
in :class:`wskit.Event`; this module only lays it out in columns.
"""

from __future__ import annotations

import time

from ..events import Direction, Event

__all__ = ["client_label", "format_event"]

_ARROWS = {Direction.IN: "<-", Direction.OUT: "->"}


def client_label(connection: object) -> str:
    """``#3 127.0.0.1:50312`` for a connection, ``-`` for none (a server-wide event)."""
    if connection is None:
        return "-"
    label = f"#{getattr(connection, 'id', '?')}"
    try:
        address = getattr(connection, "client", None)
    except Exception:  # a socket already gone has no peer address
        address = None
    if address is not None:
        host, port = address[0], address[1]
        label += f" [{host}]:{port}" if ":" in str(host) else f" {host}:{port}"
    return label


def format_event(event: Event) -> str:
    """The event as one line of fixed columns (the last one free text)."""
    wall = event.wall_time
    stamp = time.strftime("%H:%M:%S", time.localtime(wall)) + f".{int(wall * 1000) % 1000:03d}"
    arrow = _ARROWS.get(event.direction, "  ") if event.direction is not None else "  "
    opcode = event.opcode or ""
    size = f"{event.size} B" if event.raw is not None or opcode else ""
    line = f"{stamp}  {client_label(event.connection):<22} {arrow}  {event.kind!s:<12} {opcode:<6} {size:>9}"
    details = event.details()
    return f"{line}  {details}" if details else line.rstrip()
