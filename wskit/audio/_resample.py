"""Sample-rate conversion: a polyphase windowed-sinc filter in numpy.

The ratio ``to_rate / from_rate`` is reduced to ``L / M`` (16 kHz -> 44.1 kHz
is 441/160). Conceptually the input is upsampled by ``L`` (zeros between
samples), low-pass filtered below the lower of the two Nyquist frequencies,
and every ``M``-th sample kept; the polyphase form computes only the kept
outputs, each a dot product of ``K`` input samples with one of ``L`` filter
phases. The filter is a Kaiser-windowed sinc (β = 10, about 90 dB stopband)
spanning 64 zero crossings of the lower rate, with the cutoff at 92 % of the
lower Nyquist: a tone at 80 % of it passes within 0.1 dB, one at 108 % or
above is attenuated by more than 60 dB.

:class:`Resampler` keeps the filter history between calls, so a stream cut
into 20 ms frames resamples exactly as the whole signal would (no clicks at
frame edges), at a delay of half the filter. :func:`resample` is the one-shot
form: the output is aligned with the input (no delay) and has
``ceil(n * to_rate / from_rate)`` samples.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["SUPPORTED_RATES", "Resampler", "resample"]

#: The rates the filters are checked at (any positive integer rates work).
SUPPORTED_RATES = (8000, 16000, 22050, 24000, 44100, 48000)

_ZERO_CROSSINGS = 32  # each side, in periods of the lower rate
_ROLLOFF = 0.92
_BETA = 10.0
_BLOCK = 8192  # outputs per vectorised step: bounds the temporary (block, K, channels)


@cache
def _phases(up: int, down: int) -> tuple[npt.NDArray[np.float64], int]:
    """The filter as an ``(up, K)`` table of phases, and the centre tap index."""
    span = max(up, down)
    half = _ZERO_CROSSINGS * span
    n = np.arange(-half, half + 1, dtype=np.float64)
    cutoff = _ROLLOFF * 0.5 / span  # cycles per sample at the upsampled rate
    h = 2 * cutoff * np.sinc(2 * cutoff * n) * np.kaiser(n.size, _BETA) * up
    taps = math.ceil(h.size / up)
    padded = np.zeros(taps * up)
    padded[: h.size] = h
    # phase p, tap k is h[p + k*up]
    return padded.reshape(taps, up).T.copy(), half


def _check_rate(name: str, rate: object) -> int:
    if not isinstance(rate, int) or isinstance(rate, bool) or rate <= 0:
        raise ValueError(f"{name} must be a positive int (Hz), got {rate!r}")
    return rate


class Resampler:
    """Streaming converter from ``from_rate`` to ``to_rate`` for ``num_channels`` channels.

    Feed chunks to :meth:`process`; each call returns what can be computed so
    far. ``flush()`` returns the tail. int16 in gives int16 out (rounded,
    clipped); float in gives float32 out.
    """

    def __init__(self, from_rate: int, to_rate: int, num_channels: int = 1) -> None:
        _check_rate("from_rate", from_rate)
        _check_rate("to_rate", to_rate)
        g = math.gcd(from_rate, to_rate)
        self.from_rate, self.to_rate, self.num_channels = from_rate, to_rate, num_channels
        self._up, self._down = to_rate // g, from_rate // g
        self._table, self._centre = _phases(self._up, self._down) if self._up != self._down else (np.ones((1, 1)), 0)
        taps = self._table.shape[1]
        # input history; absolute index of its first sample (negative: the zero padding before the start)
        self._buffer = np.zeros((taps, num_channels))
        self._start = -taps
        self._consumed = 0  # input samples received
        self._produced = 0  # output samples returned
        self._int16: bool | None = None

    def _outputs_ready(self, available: int) -> int:
        """Outputs n whose newest tap index ``(n*down + centre) // up`` is below ``available``."""
        if available <= 0:
            return 0
        limit = (available * self._up - self._centre - 1) // self._down + 1
        return max(limit - self._produced, 0)

    def _compute(self, count: int) -> npt.NDArray[np.float64]:
        up, down, taps = self._up, self._down, self._table.shape[1]
        out = np.empty((count, self.num_channels))
        for first in range(0, count, _BLOCK):
            n = np.arange(self._produced + first, self._produced + min(first + _BLOCK, count), dtype=np.int64)
            position = n * down + self._centre
            newest = position // up
            phase = position - newest * up
            index = (newest - self._start)[:, None] - np.arange(taps)[None, :]
            out[first : first + n.size] = np.einsum("nkc,nk->nc", self._buffer[index], self._table[phase])
        return out

    def process(self, samples: npt.ArrayLike, *, final: bool = False) -> npt.NDArray[Any]:
        """Resample the next chunk (``(frames, channels)`` or 1-D mono); ``final`` also flushes."""
        array = np.asarray(samples)
        mono = array.ndim == 1
        frames = array.reshape(-1, 1) if mono else array
        if frames.ndim != 2 or frames.shape[1] != self.num_channels:
            raise ValueError(f"expected {self.num_channels} channel(s), got shape {array.shape}")
        if array.dtype != np.int16 and array.dtype.kind != "f":
            raise TypeError(f"samples must be int16 or float, not {array.dtype}")
        if self._int16 is None:
            self._int16 = array.dtype == np.int16
        values = frames.astype(np.float64)
        if self._up == self._down:
            result: npt.NDArray[Any] = values
        else:
            self._buffer = np.concatenate([self._buffer, values])
            self._consumed += len(values)
            count = self._outputs_ready(self._consumed)
            if final:
                total = -(-self._consumed * self._up // self._down)
                pad = self._table.shape[1] + 1
                self._buffer = np.concatenate([self._buffer, np.zeros((pad, self.num_channels))])
                count = max(total - self._produced, 0)
            result = self._compute(count)
            self._produced += count
            # keep only the history the next output needs
            oldest = ((self._produced * self._down + self._centre) // self._up) - self._table.shape[1] + 1
            drop = max(oldest - self._start, 0)
            if drop:
                self._buffer = self._buffer[drop:]
                self._start += drop
        if self._int16:  # noqa: SIM108
            result = np.clip(np.rint(result), -32768, 32767).astype(np.int16)
        else:
            result = result.astype(np.float32)
        return result.reshape(-1) if mono else result

    def flush(self) -> npt.NDArray[Any]:
        """The remaining output once the input has ended."""
        return self.process(
            np.zeros((0, self.num_channels), dtype=np.int16 if self._int16 in (None, True) else np.float32), final=True
        )


def resample(samples: npt.ArrayLike, from_rate: int, to_rate: int) -> npt.NDArray[Any]:
    """Convert ``samples`` (1-D mono or ``(frames, channels)``, int16 or float) to ``to_rate``.

    The output has the input's dtype (int16 rounded and clipped, float as
    float32) and ``ceil(frames * to_rate / from_rate)`` frames.

    Raises:
        ValueError: a rate is not a positive int.
    """
    array = np.asarray(samples)
    channels = 1 if array.ndim == 1 else array.shape[-1]
    if array.ndim not in (1, 2):
        raise ValueError(f"samples must be 1-D or (frames, channels), not {array.ndim}-D")
    return Resampler(from_rate, to_rate, channels).process(array, final=True)
