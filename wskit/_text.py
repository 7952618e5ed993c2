"""How wskit writes things for people: payload previews, hex dumps, clock times, labels.

One place for the small renderings that frames, events, the event log, the
wire tap, the panels and the command line all show, so a payload, a time or a
client reads the same everywhere. A leaf: it imports nothing from wskit.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

__all__ = [
    "client_label",
    "clock",
    "hex_preview",
    "hexdump",
    "parse_headers",
    "payload_preview",
    "preview",
    "wall_time",
]

# time.monotonic() is the cheap, steady clock events carry; this offset turns it
# into wall-clock time for display.
_WALL_OFFSET = time.time() - time.monotonic()


def hex_preview(data: bytes, limit: int = 20) -> str:
    """``data`` as spaced hex; past ``limit`` bytes, its first and last ``limit // 2`` with ``…`` between."""
    if len(data) <= limit:
        return data.hex(" ")
    half = limit // 2
    return data[:half].hex(" ") + " … " + data[-half:].hex(" ")


def preview(value: str | bytes, limit: int = 40) -> str:
    """A short readable rendering: quoted text (``limit`` characters) or hex bytes, middle elided."""
    if isinstance(value, str):
        text = value if len(value) <= limit else value[: limit // 2] + "…" + value[-limit // 2 :]
        return repr(text)
    return hex_preview(value, limit // 2)


def payload_preview(data: bytes, text: bool) -> str:
    """Quoted text when ``text`` and the bytes are printable UTF-8, else hex (middle elided)."""
    if text:
        try:
            decoded = data.decode()
        except UnicodeDecodeError:
            pass
        else:
            if decoded.isprintable() or all(c.isprintable() or c.isspace() for c in decoded):
                return preview(decoded)
    return preview(data)


def hexdump(data: bytes, width: int = 16, limit: int = 4 * 1024) -> str:
    """Offset, hex and ASCII columns, like ``xxd``; at most ``limit`` bytes shown."""
    lines = []
    shown = data[:limit]
    for offset in range(0, len(shown), width):
        chunk = shown[offset : offset + width]
        hexes = " ".join(f"{b:02x}" for b in chunk)
        ascii_ = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{offset:08x}  {hexes:<{width * 3 - 1}}  {ascii_}")
    if len(data) > limit:
        lines.append(f"… {len(data) - limit} more bytes")
    return "\n".join(lines)


def wall_time(monotonic: float) -> float:
    """Seconds since the epoch for a ``time.monotonic()`` reading (what events carry)."""
    return monotonic + _WALL_OFFSET


def clock(wall: float) -> str:
    """Local clock time with milliseconds, ``14:03:07.251``, for epoch seconds ``wall``."""
    return time.strftime("%H:%M:%S", time.localtime(wall)) + f".{int(wall * 1000) % 1000:03d}"


def client_label(connection: object) -> str:
    """``#3 127.0.0.1:50312`` (``#3 [::1]:50312`` for IPv6) for a connection, ``-`` for none."""
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


def parse_headers(lines: str | Iterable[str]) -> dict[str, str]:
    """``Name: value`` lines (one string of lines, or a list) as a dict; blank lines are skipped.

    Raises:
        ValueError: a line has no colon or an empty name.
    """
    items = lines.splitlines() if isinstance(lines, str) else lines
    headers: dict[str, str] = {}
    for number, line in enumerate(items, 1):
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            raise ValueError(f"header line {number} is not 'Name: value': {line!r}")
        headers[name.strip()] = value.strip()
    return headers
