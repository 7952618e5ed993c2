"""The exact bytes one side writes to its socket, for a short look (RFC 6455 §5.2-5.3).

The tap records frames as websockets sees them, unmasked. To see what really
crosses the wire — the masking key a client drew for each frame, the masked
payload — :func:`capture` keeps a copy of every chunk a connection writes to
its TCP transport while the ``with`` block runs, then restores the transport.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from websockets.protocol import Side

from ._anatomy import FrameAnatomy, decode

if TYPE_CHECKING:
    from websockets.asyncio.connection import Connection as WsConnection

    from ..transports import Connection

__all__ = ["Capture", "capture"]


class Capture:
    """Bytes written while capturing. ``frames()`` takes them apart.

    Attributes:
        chunks: each ``transport.write(...)`` call's bytes, in order.
        limit: bytes kept at most (later writes are counted, not kept).
        seen: bytes written in all.
    """

    def __init__(self, limit: int, from_client: bool | None) -> None:
        self.chunks: list[bytes] = []
        self.limit = limit
        self.seen = 0
        self.from_client = from_client

    @property
    def data(self) -> bytes:
        return b"".join(self.chunks)

    def _add(self, data: Any) -> None:
        chunk = bytes(data)
        if self.seen + len(chunk) <= self.limit:
            self.chunks.append(chunk)
        self.seen += len(chunk)

    def frames(self) -> list[FrameAnatomy]:
        """Every frame in the captured bytes, field by field."""
        out = []
        data = self.data
        while data:
            anatomy = decode(data, from_client=self.from_client)
            out.append(anatomy)
            if not anatomy.complete:
                break
            data = anatomy.rest
        return out


@contextmanager
def capture(connection: Connection | WsConnection, limit: int = 1 << 20) -> Iterator[Capture]:
    """Keep a copy of every byte ``connection`` writes while the block runs.

    Args:
        connection: a wskit ``Connection`` (or a websockets connection).
        limit: bytes to keep at most.

    The write still happens exactly as before; the transport's own ``write``
    is back in place when the block ends.
    """
    websocket: Any = getattr(connection, "websocket", connection)
    transport: Any = websocket.transport
    from_client = websocket.protocol.side is Side.CLIENT  # the Sans-I/O protocol knows its side
    result = Capture(limit, from_client)
    write = transport.write

    def copying_write(data: Any) -> None:
        result._add(data)
        write(data)

    transport.write = copying_write
    try:
        yield result
    finally:
        if transport.__dict__.get("write") is copying_write:
            del transport.write
