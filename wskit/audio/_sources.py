"""Test signals and recordings as :class:`AudioSource` objects.

A source is int16 PCM of shape ``(frames, channels)`` with its sample rate.
``stream()`` sends it frame by frame; ``source.frames(frame_ms)`` cuts it into
:class:`~wskit.frames.AudioFrame` objects (10, 20, 40 ms or any length that
is a whole number of samples at the source's rate).

Every generator takes its duration first, in seconds, and everything else by
keyword: ``sine(0.5, freq=440)``, ``chirp(2.0, f0=100, f1=4000)``,
``noise(1.0, color="pink")``, ``silence(0.2, sample_rate=8000)``; ``dtmf``
takes its digits, which decide its length. (``sine`` once took the frequency
first, so ``sine(440, 0.2)`` now fails at once instead of meaning something else.)

Signals are built in float64 and converted once with clipping; a fixed
``seed`` makes noise reproducible.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from . import _wav as wav
from ._convert import to_int16

if TYPE_CHECKING:
    from ..frames import AudioFrame

__all__ = ["AudioSource", "chirp", "dtmf", "from_array", "from_wav", "noise", "silence", "sine"]

Int16Array = np.ndarray[Any, np.dtype[np.int16]]

# DTMF (ITU-T Q.23): each key is one low (row) and one high (column) tone.
_DTMF_ROWS = (697, 770, 852, 941)
_DTMF_COLS = (1209, 1336, 1477, 1633)
_DTMF_KEYS = ("123A", "456B", "789C", "*0#D")


def _check_rate(sample_rate: object) -> int:
    if not isinstance(sample_rate, int) or isinstance(sample_rate, bool) or sample_rate <= 0:
        raise ValueError(f"sample_rate must be a positive int (Hz), got {sample_rate!r}")
    return sample_rate


def _count(seconds: float, sample_rate: int) -> int:
    if seconds < 0:
        raise ValueError(f"seconds must not be negative, got {seconds}")
    return round(seconds * _check_rate(sample_rate))


class AudioSource:
    """int16 PCM ``(frames, channels)`` at ``sample_rate``, ready to stream.

    Args:
        samples: int16 array, 1-D (mono) or ``(frames, channels)``.
        sample_rate: in Hz.
        name: a label for displays.
    """

    def __init__(self, samples: npt.ArrayLike, sample_rate: int, name: str = "audio") -> None:
        array = np.asarray(samples)
        if array.dtype != np.int16:
            raise TypeError(f"samples must be int16, not {array.dtype}; see wskit.audio.to_int16")
        if array.ndim == 1:
            array = array.reshape(-1, 1)
        if array.ndim != 2 or array.shape[1] < 1:
            raise ValueError(f"samples must be 1-D or (frames, channels), got shape {array.shape}")
        self.samples: Int16Array = np.ascontiguousarray(array)
        self.sample_rate = _check_rate(sample_rate)
        self.name = name

    @property
    def num_channels(self) -> int:
        return int(self.samples.shape[1])

    @property
    def num_frames(self) -> int:
        """Samples per channel."""
        return int(self.samples.shape[0])

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.num_frames / self.sample_rate

    def __len__(self) -> int:
        return self.num_frames

    def __repr__(self) -> str:
        return f"<AudioSource {self.name}: {self.duration:.3f} s, {self.sample_rate} Hz, {self.num_channels} ch>"

    def frame_size(self, frame_ms: float) -> int:
        """Samples per channel in one frame of ``frame_ms``.

        Raises:
            ValueError: ``frame_ms`` is not a whole number of samples at this rate.
        """
        exact = self.sample_rate * frame_ms / 1000
        size = round(exact)
        if size < 1 or abs(size - exact) > 1e-9:
            raise ValueError(f"{frame_ms} ms is not a whole number of samples at {self.sample_rate} Hz ({exact:g})")
        return size

    def chunks(self, frame_ms: float = 20, *, pad: bool = False) -> Iterator[Int16Array]:
        """Consecutive ``(frame_size, channels)`` views; the last one is shorter unless ``pad``."""
        size = self.frame_size(frame_ms)
        for start in range(0, self.num_frames, size):
            chunk = self.samples[start : start + size]
            if pad and len(chunk) < size:
                chunk = np.concatenate([chunk, np.zeros((size - len(chunk), self.num_channels), np.int16)])
            yield chunk

    def frames(self, frame_ms: float = 20, *, pad: bool = False) -> Iterator[AudioFrame]:
        """The source as :class:`~wskit.frames.AudioFrame` objects of ``frame_ms`` each."""
        from ..frames import AudioFrame  # frame-facing helper: wskit.audio itself stays frame-free

        for chunk in self.chunks(frame_ms, pad=pad):
            yield AudioFrame(chunk.astype("<i2", copy=False).tobytes(), self.sample_rate, self.num_channels)

    def to_wav(self, path: str | os.PathLike[str] | None = None) -> bytes:
        """WAV bytes of the whole source, also written to ``path`` if given."""
        return wav.write(path, self.samples, self.sample_rate)

    def with_channels(self, num_channels: int) -> AudioSource:
        """The same audio with ``num_channels`` (mono is copied to each; many to mono is the mean)."""
        if num_channels == self.num_channels:
            return self
        if self.num_channels == 1:
            return AudioSource(np.repeat(self.samples, num_channels, axis=1), self.sample_rate, self.name)
        if num_channels == 1:
            mean = self.samples.mean(axis=1, keepdims=True)
            return AudioSource(np.rint(mean).astype(np.int16), self.sample_rate, self.name)
        raise ValueError(f"cannot map {self.num_channels} channels to {num_channels}")


def _source(signal: npt.NDArray[np.float64], sample_rate: int, channels: int, name: str) -> AudioSource:
    if channels < 1:
        raise ValueError(f"channels must be at least 1, got {channels}")
    mono = to_int16(signal).reshape(-1, 1)
    return AudioSource(np.repeat(mono, channels, axis=1), sample_rate, name)


def sine(
    seconds: float, *, freq: float = 440.0, sample_rate: int = 16000, amplitude: float = 0.5, channels: int = 1
) -> AudioSource:
    """``seconds`` of a sine tone of ``freq`` Hz (``amplitude`` is a fraction of full scale)."""
    t = np.arange(_count(seconds, sample_rate)) / sample_rate
    return _source(amplitude * np.sin(2 * np.pi * freq * t), sample_rate, channels, f"sine {freq:g} Hz")


def chirp(
    seconds: float,
    *,
    f0: float = 100,
    f1: float = 4000,
    sample_rate: int = 16000,
    amplitude: float = 0.5,
    channels: int = 1,
) -> AudioSource:
    """``seconds`` of a linear sweep from ``f0`` to ``f1`` Hz: every frame differs, so loss or reordering shows."""
    n = _count(seconds, sample_rate)
    t = np.arange(n) / sample_rate
    rate = (f1 - f0) / seconds if seconds > 0 else 0.0
    phase = 2 * np.pi * (f0 * t + 0.5 * rate * t * t)
    return _source(amplitude * np.sin(phase), sample_rate, channels, f"chirp {f0:g}-{f1:g} Hz")


def noise(
    seconds: float,
    *,
    color: Literal["white", "pink"] = "white",
    sample_rate: int = 16000,
    amplitude: float = 0.25,
    channels: int = 1,
    seed: int | None = None,
) -> AudioSource:
    """``seconds`` of white (flat) or pink (-3 dB/octave, 1/f power) Gaussian noise; RMS is ``amplitude / 2``."""
    n = _count(seconds, sample_rate)
    rng = np.random.default_rng(seed)
    white = rng.standard_normal((n, channels))
    if color == "white":
        signal = white
    elif color == "pink":
        spectrum = np.fft.rfft(white, axis=0)
        f = np.fft.rfftfreq(n, 1 / sample_rate)
        f[0] = f[1] if n > 1 else 1.0
        spectrum /= np.sqrt(f)[:, None]
        signal = np.fft.irfft(spectrum, n, axis=0)
        signal /= signal.std() or 1.0
    else:
        raise ValueError(f"color must be 'white' or 'pink', not {color!r}")
    return AudioSource(to_int16(0.5 * amplitude * signal), sample_rate, f"{color} noise")


def dtmf(
    digits: str,
    *,
    sample_rate: int = 16000,
    tone_ms: float = 100,
    gap_ms: float = 50,
    amplitude: float = 0.25,
    channels: int = 1,
) -> AudioSource:
    """Touch-tone digits (``0-9 * # A-D``), each ``tone_ms`` long followed by ``gap_ms`` of silence."""
    tone_n, gap_n = _count(tone_ms / 1000, sample_rate), _count(gap_ms / 1000, sample_rate)
    t = np.arange(tone_n) / sample_rate
    parts = []
    for digit in digits.upper():
        row = next((r for r, keys in enumerate(_DTMF_KEYS) if digit in keys), None)
        if row is None:
            raise ValueError(f"{digit!r} is not a DTMF key (0-9, *, #, A-D)")
        col = _DTMF_KEYS[row].index(digit)
        tone = np.sin(2 * np.pi * _DTMF_ROWS[row] * t) + np.sin(2 * np.pi * _DTMF_COLS[col] * t)
        parts += [amplitude * tone, np.zeros(gap_n)]
    signal = np.concatenate(parts) if parts else np.zeros(0)
    return _source(signal, sample_rate, channels, f"dtmf {digits}")


def silence(seconds: float, *, sample_rate: int = 16000, channels: int = 1) -> AudioSource:
    """``seconds`` of digital silence (all zeros)."""
    return _source(np.zeros(_count(seconds, sample_rate)), sample_rate, channels, "silence")


def from_wav(path: str | os.PathLike[str] | bytes) -> AudioSource:
    """A 16-bit PCM WAV file (path or bytes) as a source."""
    samples, rate = wav.read(path)
    name = os.path.basename(os.fspath(path)) if not isinstance(path, (bytes, bytearray)) else "wav"
    return AudioSource(samples, rate, name)


def from_array(samples: npt.ArrayLike, sample_rate: int, *, num_channels: int | None = None) -> AudioSource:
    """int16 or float samples (1-D mono, 1-D interleaved with ``num_channels``, or ``(frames, channels)``)."""
    array = np.asarray(samples)
    if array.ndim == 1 and num_channels and num_channels > 1:
        if array.size % num_channels:
            raise ValueError(f"{array.size} samples do not split into {num_channels} channels")
        array = array.reshape(-1, num_channels)
    return AudioSource(to_int16(array), sample_rate, "array")
