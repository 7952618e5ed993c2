"""WAV (RIFF) files and in-memory WAV bytes around 16-bit PCM.

Pipecat's client puts a WAV header in front of every audio chunk it sends
(``add_wav_header=True``) and its server never removes one; wskit removes it
on receive (an :class:`~wskit.frames.AudioFrame` built from WAV bytes keeps
only the PCM) and adds it on send when asked. The stdlib :mod:`wave` module
does the parsing, so extra chunks (``LIST``, ``fact``) are handled.

This module works on bytes and numpy arrays only; it knows nothing of frames.
"""

from __future__ import annotations

import io
import os
import wave
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

__all__ = ["WavData", "add_header", "is_wav", "parse", "read", "write"]


class WavData(NamedTuple):
    """The PCM inside a WAV file and how to play it."""

    pcm: bytes
    sample_rate: int
    num_channels: int


def is_wav(data: bytes) -> bool:
    """True if ``data`` starts like a RIFF/WAVE file."""
    return data.startswith(b"RIFF") and data[8:12] == b"WAVE"


def add_header(pcm: bytes, sample_rate: int, num_channels: int = 1) -> bytes:
    """Return ``pcm`` (int16 little-endian) as a complete WAV file."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(num_channels)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(pcm)
    return out.getvalue()


def parse(data: bytes) -> WavData:
    """Split a WAV file into its PCM and format.

    Raises:
        ValueError: not a WAV file, truncated, or not 16-bit PCM.
    """
    try:
        with wave.open(io.BytesIO(data), "rb") as w:
            if w.getsampwidth() != 2:
                raise ValueError(f"WAV sample width is {8 * w.getsampwidth()} bits; only 16-bit PCM is supported")
            channels, rate, nframes = w.getnchannels(), w.getframerate(), w.getnframes()
            pcm = w.readframes(nframes)
    except (wave.Error, EOFError) as exc:
        raise ValueError(f"invalid WAV data: {str(exc) or 'the header is truncated'}") from exc
    if rate <= 0:
        raise ValueError(f"invalid WAV data: sample rate {rate}")
    if len(pcm) != nframes * 2 * channels:
        raise ValueError(f"truncated WAV data: header announces {nframes} frames, {len(pcm) // (2 * channels)} present")
    return WavData(pcm, rate, channels)


def read(source: str | os.PathLike[str] | bytes) -> tuple[np.ndarray[Any, np.dtype[np.int16]], int]:
    """A WAV file (path or bytes) as ``(samples, sample_rate)``; samples are int16 ``(frames, channels)``."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    else:
        with open(source, "rb") as f:
            data = f.read()
    pcm, rate, channels = parse(data)
    return np.frombuffer(pcm, dtype="<i2").astype(np.int16).reshape(-1, channels), rate


def write(target: str | os.PathLike[str] | None, samples: npt.ArrayLike, sample_rate: int) -> bytes:
    """Write int16 samples (1-D mono or ``(frames, channels)``) as WAV; returns the bytes.

    With ``target=None`` nothing is written to disk (in-memory WAV bytes).
    """
    array = np.asarray(samples)
    if array.dtype != np.int16:
        raise TypeError(f"samples must be int16, not {array.dtype}")
    frames = array.reshape(-1, 1) if array.ndim == 1 else array
    if frames.ndim != 2:
        raise ValueError(f"samples must be 1-D or (frames, channels), not {array.ndim}-D")
    data = add_header(frames.astype("<i2", copy=False).tobytes(), sample_rate, frames.shape[1])
    if target is not None:
        with open(target, "wb") as f:
            f.write(data)
    return data
