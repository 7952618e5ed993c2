"""WAV (RIFF) headers around 16-bit PCM.

Pipecat's client puts a WAV header in front of every audio chunk it sends
(``add_wav_header=True``) and its server never removes one; wskit removes it
on receive (an :class:`~wskit.frames.AudioFrame` built from WAV bytes keeps
only the PCM) and adds it on send when asked. The stdlib :mod:`wave` module
does the parsing, so extra chunks (``LIST``, ``fact``) are handled.
"""

from __future__ import annotations

import io
import wave
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from ..frames import AudioFrame

__all__ = ["WavData", "add_header", "frame_with_header", "is_wav", "parse"]


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
    if len(pcm) != nframes * 2 * channels:
        raise ValueError(f"truncated WAV data: header announces {nframes} frames, {len(pcm) // (2 * channels)} present")
    return WavData(pcm, rate, channels)


def frame_with_header(frame: AudioFrame) -> AudioFrame:
    """The same frame (same id, name, pts) whose ``audio`` is a whole WAV file.

    Used on the way out when ``add_wav_header`` is on, so that any serializer
    puts the header where the PCM would go. Such a frame is only for
    serializing: it skips validation and its ``samples`` are not audio.
    """
    wrapped = object.__new__(type(frame))
    for name in ("id", "name", "pts", "sample_rate", "num_channels"):
        object.__setattr__(wrapped, name, getattr(frame, name))
    object.__setattr__(wrapped, "audio", add_header(frame.audio, frame.sample_rate, frame.num_channels))
    return wrapped
