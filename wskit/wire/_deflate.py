"""permessage-deflate (RFC 7692) by hand: what a compressed message is, byte by byte.

:func:`deflate` compresses messages the way RFC 7692 §7.2.1 says an
endpoint does: raw DEFLATE (no zlib header), flushed with ``Z_SYNC_FLUSH``
at the end of each message, which always ends the output with the four
bytes ``00 00 ff ff``; those are removed before the payload goes into a
frame whose RSV1 bit says "compressed" (§6). With context takeover (the
default) one compressor carries on from message to message, so a repeat of
an earlier message becomes a back-reference; ``*_no_context_takeover``
starts each message afresh. ``*_max_window_bits`` bounds how far back a
reference may reach (2**bits bytes).

This is zlib on its own, for study; the transports' compression is
websockets' ``permessage-deflate`` extension, and the tests check that
both give the same bytes (the §7.2.3 vectors).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from ._anatomy import encode
from ._display import Shown

__all__ = ["SYNC_TRAILER", "Deflated", "DeflatedMessage", "deflate"]

#: What ``Z_SYNC_FLUSH`` ends every message with; removed on the wire (RFC 7692 §7.2.1).
SYNC_TRAILER = b"\x00\x00\xff\xff"


@dataclass(frozen=True)
class DeflatedMessage:
    """One message through permessage-deflate.

    Attributes:
        message: the message's bytes (UTF-8 for text).
        deflated: the DEFLATE output, ending with :data:`SYNC_TRAILER`.
        payload: what goes into the frame: ``deflated`` without the trailer.
        frame: the whole unmasked frame (a server's), RSV1 set.
    """

    message: bytes
    deflated: bytes
    payload: bytes
    frame: bytes


@dataclass(repr=False)
class Deflated(Shown):
    """Messages compressed in turn with one set of parameters."""

    context_takeover: bool
    window_bits: int
    messages: list[DeflatedMessage] = field(default_factory=list)

    def _summary(self) -> str:
        return f"{len(self.messages)} messages"

    def __str__(self) -> str:
        takeover = "context takeover" if self.context_takeover else "no context takeover"
        lines = [f"permessage-deflate, {takeover}, window 2**{self.window_bits} = {1 << self.window_bits} bytes"]
        for i, m in enumerate(self.messages, 1):
            shown = m.message[:24].decode(errors="replace") + ("…" if len(m.message) > 24 else "")
            lines.append(f"  message {i}: {shown!r} ({len(m.message)} bytes)")
            lines.append(f"    deflate output  {_hex(m.deflated)}  ({len(m.deflated)} bytes)")
            lines.append(f"    frame           {_hex(m.frame)}  ({len(m.frame)} bytes, trailer removed)")
        return "\n".join(lines)


def _hex(data: bytes, limit: int = 24) -> str:
    return data.hex(" ") if len(data) <= limit else f"{data[:16].hex(' ')} … {data[-4:].hex(' ')}"


def deflate(
    messages: Iterable[str | bytes], *, context_takeover: bool = True, window_bits: int = 15, text: bool = True
) -> Deflated:
    """Compress ``messages`` one after another as permessage-deflate does (RFC 7692 §7.2.1).

    Args:
        messages: the messages, in order; ``str`` is UTF-8 encoded.
        context_takeover: keep the compressor between messages (the default
            when neither side asks for ``*_no_context_takeover``, §7.1.1).
        window_bits: the LZ77 window, 9-15 (``*_max_window_bits``, §7.1.2);
            zlib's own minimum for raw DEFLATE is 9.
        text: build TEXT frames (``False``: BINARY).
    """
    if not 9 <= window_bits <= 15:
        raise ValueError(f"window_bits is 9-15 (RFC 7692 allows 8-15; zlib's raw DEFLATE needs 9+), not {window_bits}")
    result = Deflated(context_takeover, window_bits)
    compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -window_bits)
    for item in messages:
        data = item.encode() if isinstance(item, str) else bytes(item)
        if not context_takeover:
            compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -window_bits)
        out = compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)
        assert out.endswith(SYNC_TRAILER)  # Z_SYNC_FLUSH ends on an empty stored block
        payload = out[: -len(SYNC_TRAILER)]
        frame = encode("TEXT" if text else "BINARY", payload, rsv=(1, 0, 0))
        result.messages.append(DeflatedMessage(data, out, payload, frame))
    return result
