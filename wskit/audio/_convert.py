"""Sample formats and channel layouts: int16 <-> float32, interleaving.

wskit's PCM is int16 with shape ``(frames, channels)``; DSP code wants float32
in [-1, 1). Conversions scale by 32768 and clip on the way back, so a float
signal that overshoots saturates instead of wrapping around.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["as_frames", "deinterleave", "from_bytes", "interleave", "to_bytes", "to_float32", "to_int16"]

Int16Array = np.ndarray[Any, np.dtype[np.int16]]
Float32Array = np.ndarray[Any, np.dtype[np.float32]]

_SCALE = 32768.0


def to_float32(samples: npt.ArrayLike) -> Float32Array:
    """int16 PCM to float32 in [-1, 1) (``x / 32768``); float input is passed through as float32."""
    array = np.asarray(samples)
    if array.dtype == np.int16:
        return array.astype(np.float32) / np.float32(_SCALE)
    if array.dtype.kind == "f":
        return array.astype(np.float32, copy=False)
    raise TypeError(f"expected int16 or float samples, not {array.dtype}")


def to_int16(samples: npt.ArrayLike) -> Int16Array:
    """float PCM in [-1, 1) to int16, rounded and clipped; int16 input is returned as is."""
    array = np.asarray(samples)
    if array.dtype == np.int16:
        return array
    if array.dtype.kind != "f":
        raise TypeError(f"expected float or int16 samples, not {array.dtype}")
    scaled = np.rint(array.astype(np.float64) * _SCALE)
    return np.clip(scaled, -32768, 32767).astype(np.int16)


def as_frames(samples: npt.ArrayLike, num_channels: int | None = None) -> npt.NDArray[Any]:
    """View samples as ``(frames, channels)``: 1-D input is mono, or interleaved when ``num_channels`` is given."""
    array = np.asarray(samples)
    if array.ndim == 2:
        if num_channels is not None and array.shape[1] != num_channels:
            raise ValueError(f"samples have {array.shape[1]} channels, expected {num_channels}")
        return array
    if array.ndim != 1:
        raise ValueError(f"samples must be 1-D or (frames, channels), not {array.ndim}-D")
    return deinterleave(array, num_channels or 1)


def interleave(samples: npt.ArrayLike) -> npt.NDArray[Any]:
    """``(frames, channels)`` (or a sequence of equal-length channel arrays) to one interleaved 1-D array."""
    if isinstance(samples, (list, tuple)):
        samples = np.stack([np.asarray(c) for c in samples], axis=1)
    array = np.asarray(samples)
    if array.ndim != 2:
        raise ValueError(f"interleave needs (frames, channels), not {array.ndim}-D")
    return np.ascontiguousarray(array).reshape(-1)


def deinterleave(samples: npt.ArrayLike, num_channels: int) -> npt.NDArray[Any]:
    """An interleaved 1-D array to ``(frames, channels)`` (a view when possible)."""
    if num_channels < 1:
        raise ValueError(f"num_channels must be at least 1, got {num_channels}")
    array = np.asarray(samples)
    if array.ndim != 1:
        raise ValueError(f"deinterleave needs a 1-D array, not {array.ndim}-D")
    if array.size % num_channels:
        raise ValueError(f"{array.size} samples do not split into {num_channels} channels")
    return array.reshape(-1, num_channels)


def from_bytes(pcm: bytes, num_channels: int = 1) -> Int16Array:
    """Little-endian int16 PCM bytes to a ``(frames, channels)`` array (read-only view)."""
    block = 2 * num_channels
    if num_channels < 1:
        raise ValueError(f"num_channels must be at least 1, got {num_channels}")
    if len(pcm) % block:
        raise ValueError(
            f"{len(pcm)} bytes are not a whole number of int16 frames "
            f"for {num_channels} channel(s) ({block} bytes each)"
        )
    return np.frombuffer(pcm, dtype="<i2").astype(np.int16, copy=False).reshape(-1, num_channels)


def to_bytes(samples: npt.ArrayLike) -> bytes:
    """int16 samples (any shape, frames-major) to little-endian PCM bytes."""
    array = np.asarray(samples)
    if array.dtype != np.int16:
        raise TypeError(f"samples must be int16, not {array.dtype}; see to_int16")
    return array.astype("<i2", copy=False).tobytes()
