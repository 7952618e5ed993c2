"""Static plots of recorded audio: waveform and spectrogram after the fact."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from ..frames import AudioFrame
from ._draw import displayable
from ._signal import FloatArray, envelope, levels, to_float

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["as_samples", "plot_audio"]


def as_samples(audio: Any, sample_rate: int | None = None) -> tuple[FloatArray, int]:
    """Float samples ``(n, channels)`` and their rate from any audio-like value.

    Accepts an int16 or float ndarray (1-D or ``(n, channels)``; needs
    ``sample_rate``), one :class:`~wskit.AudioFrame` or a sequence of them (all
    at one rate and channel count), or an object with ``to_numpy()`` and
    ``sample_rate`` (a recorder) or with ``samples`` and ``sample_rate`` (a
    generated source).

    Raises:
        ValueError: frames of different formats, or an array without a rate.
        TypeError: something that is not audio.
    """
    if isinstance(audio, AudioFrame):
        audio = [audio]
    if hasattr(audio, "sample_rate") and (hasattr(audio, "to_numpy") or hasattr(audio, "samples")):
        data = audio.to_numpy() if hasattr(audio, "to_numpy") else audio.samples
        return to_float(data), int(sample_rate or audio.sample_rate)
    if isinstance(audio, np.ndarray):
        if sample_rate is None:
            raise ValueError("an array of samples needs sample_rate")
        return to_float(audio), sample_rate
    if isinstance(audio, Iterable) and not isinstance(audio, (str, bytes)):
        frames = list(audio)
        if not frames:
            raise ValueError("no audio frames to plot")
        if not all(isinstance(f, AudioFrame) for f in frames):
            raise TypeError("a sequence to plot must hold only AudioFrames")
        formats = {(f.sample_rate, f.num_channels) for f in frames}
        if len(formats) > 1:
            raise ValueError(f"frames differ in format (rate, channels): {sorted(formats)}")
        rate = frames[0].sample_rate
        return to_float(np.concatenate([f.samples for f in frames])), int(sample_rate or rate)
    raise TypeError(f"cannot plot {type(audio).__name__} as audio")


def plot_audio(
    audio: Any, sample_rate: int | None = None, *, n_fft: int = 512, title: str | None = None, width: float = 8.0
) -> Figure:
    """A waveform (one trace per channel) over a spectrogram of the channels mixed down.

    Args:
        audio: an array, ``AudioFrame``\\ s, a recorder or a source (see :func:`as_samples`).
        sample_rate: the rate of an array (other inputs carry theirs).
        n_fft: spectrogram FFT size (bin width ``sample_rate / n_fft`` Hz).
        title: figure title; by default the duration, format and levels.
        width: figure width in inches.

    Returns:
        A matplotlib ``Figure`` (not registered with pyplot: display or save it).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    samples, rate = as_samples(audio, sample_rate)
    n, channels = samples.shape
    figure = Figure(figsize=(width, 4.5), layout="constrained")
    FigureCanvasAgg(figure)
    wave_ax, spec_ax = figure.subplots(2, 1, sharex=True, height_ratios=(1, 1.3))
    duration = n / rate
    for channel in range(channels):
        low, high = envelope(samples[:, channel], 2000)
        x = np.linspace(0, duration, low.shape[0])
        label = f"ch {channel}" if channels > 1 else None
        if low is high:
            wave_ax.plot(x, low, lw=0.8, label=label)
        else:
            wave_ax.fill_between(x, low, high, lw=0.5, alpha=0.8, label=label)
    if channels > 1:
        wave_ax.legend(loc="upper right", fontsize=8)
    wave_ax.set_ylim(-1, 1)
    wave_ax.set_ylabel("amplitude")
    wave_ax.grid(True, alpha=0.3)
    mono = samples.mean(axis=1)
    if n >= n_fft:
        *_, image = spec_ax.specgram(
            mono, NFFT=n_fft, Fs=rate, noverlap=n_fft // 2, mode="magnitude", scale="dB", cmap="magma", vmin=-100
        )
        figure.colorbar(image, ax=spec_ax, label="dB", pad=0.01)
    spec_ax.set_xlim(0, duration)
    spec_ax.set_ylabel("Hz")
    spec_ax.set_xlabel("seconds")
    rms, peak = levels(samples)
    figure.suptitle(
        title or f"{duration:.2f} s · {channels} ch @ {rate} Hz · RMS {rms:.1f} dBFS · peak {peak:.1f} dBFS",
        fontsize=10,
    )
    return displayable(figure)
