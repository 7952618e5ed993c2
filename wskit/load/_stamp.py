"""Sequence stamps inside audio frames: which stream, which frame, sent when.

A load test streams real audio, so the numbering has to travel inside the
audio itself: any serializer (raw PCM, Pipecat's protobuf, telephony JSON)
then carries it without a field of its own, and an echo server needs no
knowledge of it. The stamp is the one ``bench/soak.py`` puts at the start of
each 640-byte frame: stream id, sequence number and send time (``<IId``,
16 bytes, ``time.monotonic`` of the sending process).

Two encodings, chosen by what the wire does to the samples:

* ``"pcm"``: the 16 bytes overwrite the frame's first 8 int16 samples. Raw
  PCM and protobuf carry them bit for bit.
* ``"mulaw"`` / ``"alaw"``: G.711 telephony keeps only 8 bits of each sample,
  so each of the 32 nibbles of the stamp becomes one sample whose G.711 code
  is ``0x90 + nibble``. Those codes survive decode and encode unchanged
  (μ-law's code 0x7F is the one that does not, as -0 and +0 both decode
  to 0), so an 8 kHz G.711 echo brings the stamp back exactly.

Frames shorter than the stamp (under 8 samples, or 32 for G.711) cannot hold
one: :func:`stamp_size` says how many samples a stamp takes.
"""

from __future__ import annotations

import struct
from typing import Literal, NamedTuple

__all__ = ["STAMP", "Stamp", "StampCodec", "read_stamp", "stamp_size", "write_stamp"]

#: stream id (uint32), sequence number (uint32), send time (float64 seconds, monotonic clock).
STAMP = struct.Struct("<IId")

StampCodec = Literal["pcm", "mulaw", "alaw"]

_G711_BASE = 0x90  # codes 0x90..0x9F: one nibble each, stable through G.711 decode + encode


class Stamp(NamedTuple):
    """What a stamp says about its frame."""

    stream: int
    seq: int
    sent_at: float


def stamp_size(codec: StampCodec = "pcm") -> int:
    """Samples (mono int16) a stamp occupies at the start of a frame."""
    if codec == "pcm":
        return STAMP.size // 2
    if codec in ("mulaw", "alaw"):
        return STAMP.size * 2
    raise ValueError(f"codec must be 'pcm', 'mulaw' or 'alaw', not {codec!r}")


def write_stamp(pcm: bytes, stamp: Stamp, codec: StampCodec = "pcm") -> bytes:
    """``pcm`` (little-endian int16) with its first samples replaced by ``stamp``.

    Raises:
        ValueError: the frame is too short to hold a stamp.
    """
    size = stamp_size(codec)
    if len(pcm) < 2 * size:
        raise ValueError(f"a {len(pcm)}-byte frame cannot hold a stamp ({2 * size} bytes with codec {codec!r})")
    packed = STAMP.pack(*stamp)
    if codec == "pcm":
        return packed + pcm[len(packed) :]
    import numpy as np  # G.711 only: the PCM stamp, on every frame of most runs, needs no numpy

    from ..audio import alaw2lin, ulaw2lin

    raw = np.frombuffer(packed, np.uint8)
    nibbles = np.empty(2 * len(raw), np.uint8)
    nibbles[0::2] = raw >> 4
    nibbles[1::2] = raw & 0x0F
    decode = ulaw2lin if codec == "mulaw" else alaw2lin
    return decode(nibbles + _G711_BASE).astype("<i2").tobytes() + pcm[2 * size :]


def read_stamp(pcm: bytes, codec: StampCodec = "pcm") -> Stamp | None:
    """The stamp at the start of ``pcm``, or ``None`` when it holds none a G.711 wire could carry.

    A ``"pcm"`` stamp is any 16 bytes, so a frame that was never stamped reads
    as a stamp with a stream id nobody uses: callers compare the id with
    their own.
    """
    size = stamp_size(codec)
    if len(pcm) < 2 * size:
        return None
    if codec == "pcm":
        return Stamp(*STAMP.unpack_from(pcm))
    import numpy as np

    from ..audio import lin2alaw, lin2ulaw

    encode = lin2ulaw if codec == "mulaw" else lin2alaw
    codes = encode(np.frombuffer(pcm, "<i2", count=size)).astype(np.int16) - _G711_BASE
    if codes.min() < 0 or codes.max() > 0x0F:
        return None
    packed = ((codes[0::2] << 4) | codes[1::2]).astype(np.uint8).tobytes()
    return Stamp(*STAMP.unpack(packed))
