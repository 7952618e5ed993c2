"""The maths behind the live plots: ring buffer, levels, spectrum, gaps.

Pure numpy, no drawing, so every number a plot shows can be tested with
exact signals. Samples are floats in [-1, 1) (int16 / 32768), shape
``(n, channels)``.

Levels are in dBFS with a full-scale *sine* peaking at 0 dBFS: a half-scale
sine reads -6.0 dBFS peak and -9.0 dBFS RMS. Silence reads ``-inf``, never
NaN.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "FloatArray",
    "GapDetector",
    "RateMeter",
    "Ring",
    "ScopeStats",
    "Spectrogram",
    "dbfs",
    "envelope",
    "levels",
    "peak_frequency",
    "spectrum_db",
    "to_float",
]

FloatArray = npt.NDArray[np.float32]

#: Scale of int16 PCM: -32768 maps to -1.0.
FULL_SCALE = 32768.0


def to_float(samples: npt.ArrayLike) -> FloatArray:
    """PCM as float32 in [-1, 1), shape ``(n, channels)``.

    int16 is divided by 32768; floats are taken as already scaled; 1-D input
    is one channel.
    """
    array = np.asarray(samples)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise ValueError(f"samples must be 1-D or (n, channels), not {array.ndim}-D")
    if array.dtype.kind in "iu":
        if array.dtype.itemsize != 2 or array.dtype.kind != "i":
            raise TypeError(f"integer samples must be int16, not {array.dtype}")
        return array.astype(np.float32) / np.float32(FULL_SCALE)
    if array.dtype.kind == "f":
        return array.astype(np.float32, copy=False)
    raise TypeError(f"samples must be int16 or float, not {array.dtype}")


def dbfs(value: float) -> float:
    """An amplitude (1.0 = full scale) in dB; 0 is ``-inf``."""
    return 20.0 * math.log10(value) if value > 0 else -math.inf


def levels(samples: FloatArray) -> tuple[float, float]:
    """RMS and peak of ``samples`` (all channels together) in dBFS.

    Plain amplitude ratios, no AES-17 RMS correction: a sine's RMS reads
    3.01 dB below its peak. Empty or all-zero input is ``(-inf, -inf)``.
    """
    if samples.size == 0:
        return -math.inf, -math.inf
    peak = float(np.max(np.abs(samples)))
    rms = math.sqrt(float(np.mean(np.square(samples, dtype=np.float64))))
    return dbfs(rms), dbfs(peak)


def spectrum_db(mono: FloatArray, n_fft: int, window: FloatArray | None = None) -> FloatArray:
    """Magnitude spectrum of the last ``n_fft`` samples of ``mono``, in dBFS.

    A Hann window, normalised so a full-scale sine centred on a bin reads
    0 dB. Shorter input is zero-padded at the front. Zero bins read -inf.
    """
    if window is None:
        window = np.hanning(n_fft).astype(np.float32)
    block = np.zeros(n_fft, dtype=np.float32)
    tail = mono[-n_fft:]
    if tail.size:
        block[n_fft - tail.size :] = tail
    magnitude = np.abs(np.fft.rfft(block * window)) * (2.0 / float(np.sum(window)))
    with np.errstate(divide="ignore"):
        db: FloatArray = (20.0 * np.log10(magnitude)).astype(np.float32)
    return db


def peak_frequency(mono: FloatArray, sample_rate: int, n_fft: int) -> float | None:
    """Centre frequency (Hz) of the strongest bin of the last ``n_fft`` samples; ``None`` for silence."""
    db = spectrum_db(mono, n_fft)
    if not np.isfinite(db).any():
        return None
    return float(np.argmax(db)) * sample_rate / n_fft


def envelope(samples: FloatArray, columns: int) -> tuple[FloatArray, FloatArray]:
    """Min and max of ``samples`` (1-D) in ``columns`` equal slices.

    Drawing 32 000 points into 600 pixels costs more than it shows: the
    min/max envelope per pixel column draws the same picture from
    ``2 * columns`` points. Input shorter than ``columns`` is returned as is
    (min = max = sample).
    """
    n = samples.shape[0]
    if n <= columns:
        return samples, samples
    usable = (n // columns) * columns
    blocks = samples[n - usable :].reshape(columns, -1)
    return blocks.min(axis=1), blocks.max(axis=1)


class Ring:
    """A fixed-size ring of float32 samples ``(capacity, channels)``.

    Writing copies the new samples in (one or two slice assignments): O(frame)
    with no allocation, so accepting a frame is cheap on the data path.
    ``written`` counts every sample ever written, so readers can ask for
    "what came after sample N".
    """

    def __init__(self, capacity: int, channels: int) -> None:
        if capacity < 1 or channels < 1:
            raise ValueError("capacity and channels must be positive")
        self.capacity = capacity
        self.channels = channels
        self.data: FloatArray = np.zeros((capacity, channels), dtype=np.float32)
        self.written = 0

    def write(self, samples: FloatArray) -> None:
        """Append ``samples`` (n, channels); only the last ``capacity`` of a long block are kept."""
        n = samples.shape[0]
        if n == 0:
            return
        if n >= self.capacity:
            start = (self.written + n - self.capacity) % self.capacity
            tail = samples[n - self.capacity :]
            self.data[start:] = tail[: self.capacity - start]
            self.data[:start] = tail[self.capacity - start :]
        else:
            start = self.written % self.capacity
            first = min(n, self.capacity - start)
            self.data[start : start + first] = samples[:first]
            self.data[: n - first] = samples[first:]
        self.written += n

    @property
    def filled(self) -> int:
        """How many samples the ring holds now."""
        return min(self.written, self.capacity)

    def last(self, n: int | None = None) -> FloatArray:
        """The most recent ``n`` samples (default: all held), oldest first, as a new array."""
        n = self.filled if n is None else min(n, self.filled)
        end = self.written % self.capacity
        if n <= end:
            return self.data[end - n : end].copy()
        return np.concatenate((self.data[self.capacity - (n - end) :], self.data[:end]))

    def span(self, start: int, stop: int) -> FloatArray:
        """Samples with absolute indices ``start:stop`` (must still be held)."""
        if stop > self.written or start < self.written - self.filled or start > stop:
            raise IndexError(f"samples {start}:{stop} are not held (have {self.written - self.filled}:{self.written})")
        count = stop - start
        begin = start % self.capacity
        if begin + count <= self.capacity:
            return self.data[begin : begin + count]
        return np.concatenate((self.data[begin:], self.data[: count - (self.capacity - begin)]))


class Spectrogram:
    """A scrolling spectrogram image fed from a :class:`Ring`.

    The image is a fixed ``(bins, columns)`` float32 array of dBFS values; each
    column is the Hann-windowed spectrum of ``n_fft`` samples (channels mixed
    down), one column every ``hop`` samples. :meth:`update` rolls the image left
    by the number of new columns and fills them in, so drawing it is one
    ``set_data`` of an array that never changes size.
    """

    def __init__(self, n_fft: int, hop: int, columns: int, floor_db: float = -120.0) -> None:
        self.n_fft = n_fft
        self.hop = hop
        self.columns = columns
        self.floor_db = floor_db
        self.image: FloatArray = np.full((n_fft // 2 + 1, columns), floor_db, dtype=np.float32)
        self._window: FloatArray = np.hanning(n_fft).astype(np.float32)
        self._next = n_fft  # absolute sample index where the next column ends

    def update(self, ring: Ring) -> int:
        """Add the columns whose samples arrived since the last call; return how many."""
        ends = range(self._next, ring.written + 1, self.hop)
        if not ends:
            return 0
        self._next = ends[-1] + self.hop
        oldest = ring.written - ring.filled
        usable = [e for e in ends[-self.columns :] if e - self.n_fft >= oldest]
        count = min(len(ends), self.columns)
        if count < self.columns:
            self.image[:, :-count] = self.image[:, count:]
        self.image[:, -count:] = self.floor_db
        for i, end in enumerate(usable):
            mono = ring.span(end - self.n_fft, end).mean(axis=1)
            column = spectrum_db(mono, self.n_fft, self._window)
            np.maximum(column, self.floor_db, out=column)
            self.image[:, self.columns - len(usable) + i] = column
        return count


class GapDetector:
    """Counts the times a real-time listener would have run out of audio.

    A player that starts with the first frame has, at each arrival, played
    ``elapsed`` seconds and received ``audio`` seconds. A frame that arrives
    more than ``tolerance`` seconds after the audio before it ran out is a
    gap (an underrun): counted, its length added to :attr:`seconds`, and the
    clock restarted from that frame. Frames sent faster than real time never
    make gaps; a stall does, however long the frames are.
    """

    def __init__(self, tolerance: float = 0.05) -> None:
        self.tolerance = tolerance
        self.count = 0
        self.seconds = 0.0
        self._deadline: float | None = None  # when the audio received so far runs out

    def arrive(self, at: float, duration: float) -> bool:
        """Record a frame of ``duration`` seconds arriving at ``at``; True if it came after a gap."""
        gap = False
        if self._deadline is None or at - self._deadline > self.tolerance:
            if self._deadline is not None:
                self.count += 1
                self.seconds += at - self._deadline
                gap = True
            self._deadline = at
        self._deadline = max(self._deadline, at) + duration
        return gap


class RateMeter:
    """Arrivals per second over the last ``window`` seconds."""

    def __init__(self, window: float = 1.0, maxlen: int = 1024) -> None:
        self.window = window
        self._times: deque[float] = deque(maxlen=maxlen)

    def arrive(self, at: float) -> None:
        self._times.append(at)

    def rate(self, now: float | None = None) -> float:
        """Frames per second between the oldest arrival in the window and the newest."""
        times = self._times
        if len(times) < 2:
            return 0.0
        newest = times[-1] if now is None else now
        recent = [t for t in times if t >= newest - self.window]
        if len(recent) < 2 or recent[-1] <= recent[0]:
            return 0.0
        return (len(recent) - 1) / (recent[-1] - recent[0])


@dataclass(frozen=True, slots=True)
class ScopeStats:
    """What an :class:`~wskit.plot.AudioScope` has seen.

    Attributes:
        frames: audio frames accepted (every one, even when renders are skipped).
        rejected: frames refused because their sample rate or channel count
            differs from the scope's (reported, never mixed in).
        seconds: audio accepted, in seconds.
        rms_dbfs, peak_dbfs: levels over the visible window; ``-inf`` for silence.
        peak_hz: centre of the strongest spectrum bin of the latest ``n_fft``
            samples; ``None`` for silence.
        gaps: underruns seen (see :class:`GapDetector`); ``gap_seconds`` their total length.
        rate: frames per second arriving, over the second before the latest arrival.
        renders: images drawn so far.
        render_ms: kernel time per render, median of the last 100 (the
            JPEG encoding runs in a worker thread and is not counted).
        last_error: why the last frame was rejected, if one was.
    """

    frames: int
    rejected: int
    seconds: float
    rms_dbfs: float
    peak_dbfs: float
    peak_hz: float | None
    gaps: int
    gap_seconds: float
    rate: float
    renders: int
    render_ms: float = 0.0
    last_error: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (for tables and JSON; ``-inf`` stays ``-inf``)."""
        return {name: getattr(self, name) for name in self.__slots__}
