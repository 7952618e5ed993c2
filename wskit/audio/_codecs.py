"""G.711 μ-law and A-law (ITU-T G.711) on numpy arrays.

Telephony media streams (Twilio, SIP gateways) carry 8 kHz audio as one byte
per sample. Each encoder is a 65,536-entry lookup table indexed by the int16
sample, built once from the segment rules of G.711, so encoding a buffer is a
single ``numpy.take``; each decoder is a 256-entry table. The results are bit
for bit those of the former stdlib ``audioop`` (Python ≤ 3.12): μ-law drops
the two low bits (14-bit input, clipped at 8159), A-law the three low bits
(13-bit input).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["alaw2lin", "lin2alaw", "lin2ulaw", "ulaw2lin"]

Int16Array = np.ndarray[Any, np.dtype[np.int16]]
UInt8Array = np.ndarray[Any, np.dtype[np.uint8]]

_ULAW_BIAS = 0x84
_ULAW_CLIP = 8159


def _segment(magnitude: npt.NDArray[np.int32], ends: tuple[int, ...]) -> npt.NDArray[np.int32]:
    """Index of the first segment end >= magnitude (8 when above every end)."""
    return np.searchsorted(np.array(ends), magnitude, side="left").astype(np.int32)


@cache
def _ulaw_encode_table() -> UInt8Array:
    pcm = np.arange(-32768, 32768, dtype=np.int32) >> 2  # 14-bit
    mask = np.where(pcm < 0, 0x7F, 0xFF)
    mag = np.minimum(np.abs(pcm), _ULAW_CLIP) + (_ULAW_BIAS >> 2)
    seg = _segment(mag, (0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF))
    code = np.where(seg >= 8, 0x7F, (seg << 4) | ((mag >> (np.minimum(seg, 7) + 1)) & 0xF))
    # index by the int16 bit pattern read as uint16: 0..32767 then -32768..-1
    return np.roll((code ^ mask).astype(np.uint8), 32768)


@cache
def _ulaw_decode_table() -> Int16Array:
    u = ~np.arange(256, dtype=np.int32) & 0xFF
    t = (((u & 0x0F) << 3) + _ULAW_BIAS) << ((u & 0x70) >> 4)
    return np.where(u & 0x80, _ULAW_BIAS - t, t - _ULAW_BIAS).astype(np.int16)


@cache
def _alaw_encode_table() -> UInt8Array:
    pcm = np.arange(-32768, 32768, dtype=np.int32) >> 3  # 13-bit
    mask = np.where(pcm >= 0, 0xD5, 0x55)
    mag = np.where(pcm >= 0, pcm, -pcm - 1)
    seg = _segment(mag, (0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF))
    shift = np.where(seg < 2, 1, np.minimum(seg, 7))
    code = np.where(seg >= 8, 0x7F, (seg << 4) | ((mag >> shift) & 0x0F))
    return np.roll((code ^ mask).astype(np.uint8), 32768)


@cache
def _alaw_decode_table() -> Int16Array:
    a = np.arange(256, dtype=np.int32) ^ 0x55
    seg = (a & 0x70) >> 4
    t = (a & 0x0F) << 4
    t = np.where(seg == 0, t + 8, (t + 0x108) << np.maximum(seg - 1, 0))
    return np.where(a & 0x80, t, -t).astype(np.int16)


_U2 = np.dtype("<u2")  # dtype objects, not strings: parsing "<u2" on every call is a measurable share of 20 ms frames
_U8 = np.dtype(np.uint8)


def _pcm(samples: npt.ArrayLike | bytes) -> npt.NDArray[np.uint16]:
    """int16 samples (array, or little-endian bytes) as uint16 table indices."""
    if isinstance(samples, (bytes, bytearray, memoryview)):
        if len(samples) & 1:
            raise ValueError(f"int16 PCM needs an even number of bytes, got {len(samples)}")
        return np.frombuffer(samples, dtype=_U2)
    array = np.asarray(samples)
    if array.dtype != np.int16:
        raise TypeError(f"samples must be int16, not {array.dtype}; see wskit.audio.to_int16")
    return array.view(np.uint16)


def _codes(data: npt.ArrayLike | bytes) -> npt.NDArray[np.uint8]:
    if isinstance(data, (bytes, bytearray, memoryview)):
        return np.frombuffer(data, dtype=_U8)
    array = np.asarray(data)
    if array.dtype != np.uint8:
        raise TypeError(f"G.711 codes must be uint8, not {array.dtype}")
    return array


def lin2ulaw(samples: npt.ArrayLike | bytes) -> UInt8Array:
    """Encode int16 PCM (array of any shape, or bytes) as μ-law codes (uint8, same shape)."""
    return _ulaw_encode_table().take(_pcm(samples))


def ulaw2lin(codes: npt.ArrayLike | bytes) -> Int16Array:
    """Decode μ-law codes (uint8 array or bytes) to int16 PCM."""
    return _ulaw_decode_table().take(_codes(codes))


def lin2alaw(samples: npt.ArrayLike | bytes) -> UInt8Array:
    """Encode int16 PCM (array of any shape, or bytes) as A-law codes (uint8, same shape)."""
    return _alaw_encode_table().take(_pcm(samples))


def alaw2lin(codes: npt.ArrayLike | bytes) -> Int16Array:
    """Decode A-law codes (uint8 array or bytes) to int16 PCM."""
    return _alaw_decode_table().take(_codes(codes))
