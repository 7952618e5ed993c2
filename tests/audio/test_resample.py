"""Polyphase resampling: passband kept, aliases and images removed, streaming equals one-shot."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wskit.audio import SUPPORTED_RATES, Resampler, chirp, resample, sine, to_float32

PAIRS = [(a, b) for a in SUPPORTED_RATES for b in SUPPORTED_RATES if a != b]


def level_db(samples: np.ndarray, freq: float, rate: int) -> float:
    """Level of the component at ``freq`` (dB re. a full-scale-0.5 sine), from a windowed FFT of the middle."""
    x = to_float32(samples)[:, 0] if samples.dtype == np.int16 else samples[:, 0]
    x = x[len(x) // 4 : 3 * len(x) // 4]
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)))) / (np.hanning(len(x)).sum() / 2)
    f = np.fft.rfftfreq(len(x), 1 / rate)
    band = (f > freq - 20) & (f < freq + 20)
    return float(20 * np.log10(spectrum[band].max() / 0.5 + 1e-15))


@pytest.mark.parametrize(("src", "dst"), PAIRS)
def test_tone_below_new_nyquist_keeps_its_amplitude(src: int, dst: int) -> None:
    freq = 0.8 * min(src, dst) / 2
    out = resample(to_float32(sine(0.5, freq=freq, sample_rate=src, amplitude=0.5).samples), src, dst)
    middle = out[len(out) // 4 : 3 * len(out) // 4, 0]
    rms_db = 20 * np.log10(np.sqrt(np.mean(middle**2)) / (0.5 / np.sqrt(2)))
    assert abs(rms_db) < 0.1


@pytest.mark.parametrize(("src", "dst"), [(a, b) for a, b in PAIRS if b < a])
def test_tone_above_new_nyquist_is_removed(src: int, dst: int) -> None:
    freq = 1.1 * dst / 2  # would alias to 0.9 × the new Nyquist
    alias = dst - freq
    out = resample(to_float32(sine(0.5, freq=freq, sample_rate=src, amplitude=0.5).samples), src, dst)
    assert level_db(out, alias, dst) < -60


@pytest.mark.parametrize(("src", "dst"), [(8000, 16000), (16000, 48000), (22050, 44100)])
def test_upsampling_leaves_no_image(src: int, dst: int) -> None:
    freq = 0.8 * src / 2
    out = resample(to_float32(sine(0.5, freq=freq, sample_rate=src).samples), src, dst)
    assert level_db(out, src - freq, dst) < -60  # the image above the old Nyquist


def test_length_and_dtype() -> None:
    x = np.zeros(441, np.int16)
    assert resample(x, 44100, 16000).shape == (160,)
    assert resample(x, 44100, 16000).dtype == np.int16
    assert resample(np.zeros((100, 2), np.float32), 8000, 16000).shape == (200, 2)


def test_same_rate_is_identity() -> None:
    x = chirp(0.1).samples
    np.testing.assert_array_equal(resample(x, 16000, 16000), x)


@pytest.mark.parametrize(("src", "dst"), [(16000, 8000), (8000, 16000), (44100, 16000), (16000, 24000)])
def test_streaming_in_20ms_frames_equals_one_shot(src: int, dst: int) -> None:
    x = chirp(0.5, sample_rate=src, channels=2).samples
    step = src // 50
    r = Resampler(src, dst, 2)
    parts = [r.process(x[i : i + step]) for i in range(0, len(x), step)]
    streamed = np.concatenate([*parts, r.flush()])
    np.testing.assert_array_equal(streamed, resample(x, src, dst))


def test_int16_output_is_clipped_not_wrapped() -> None:
    square = np.tile(np.array([32767] * 8 + [-32768] * 8, np.int16), 100)
    out = resample(square, 16000, 8000)  # Gibbs overshoot beyond full scale
    assert out.max() == 32767 and out.min() == -32768


@pytest.mark.parametrize("rate", [0, -8000, 16000.0, True])
def test_bad_rate_is_a_clear_error(rate: object) -> None:
    with pytest.raises(ValueError, match="positive int"):
        resample(np.zeros(10, np.int16), rate, 8000)  # type: ignore[arg-type]


@settings(deadline=None, max_examples=40)
@given(
    st.sampled_from([(16000, 8000), (8000, 16000), (44100, 16000), (16000, 24000), (48000, 22050)]),
    st.lists(st.integers(0, 700), min_size=1, max_size=12),
)
def test_any_chunking_equals_one_shot(rates: tuple[int, int], cuts: list[int]) -> None:
    src, dst = rates
    x = chirp(0.12, sample_rate=src).samples
    bounds = sorted({min(c * 5, len(x)) for c in cuts} | {0, len(x)})
    r = Resampler(src, dst)
    parts = [r.process(x[a:b]) for a, b in itertools.pairwise(bounds)]
    np.testing.assert_array_equal(np.concatenate([*parts, r.flush()]), resample(x, src, dst))
