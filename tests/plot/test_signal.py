"""The plots' maths on exact signals: levels, spectrum, ring buffer, gaps, rate."""

from __future__ import annotations

import math

import numpy as np
import pytest

from wskit.plot._signal import (
    GapDetector,
    RateMeter,
    Ring,
    Spectrogram,
    dbfs,
    envelope,
    levels,
    peak_frequency,
    spectrum_db,
    to_float,
)

RATE = 16_000


def sine(freq: float = 440.0, amplitude: float = 0.5, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    return (amplitude * 32768 * np.sin(2 * np.pi * freq * t)).astype(np.int16)


class TestLevels:
    def test_half_scale_sine(self) -> None:
        rms, peak = levels(to_float(sine()))
        assert peak == pytest.approx(-6.0, abs=0.5)
        assert rms == pytest.approx(-9.0, abs=0.5)
        assert peak - rms == pytest.approx(3.01, abs=0.05)  # a sine's crest factor

    def test_full_scale_square_is_zero(self) -> None:
        square = np.array([32767, -32768] * 100, dtype=np.int16)
        rms, peak = levels(to_float(square))
        assert peak == 0.0
        assert rms == pytest.approx(0.0, abs=0.001)

    def test_silence_is_minus_infinity_not_nan(self) -> None:
        rms, peak = levels(to_float(np.zeros(320, dtype=np.int16)))
        assert rms == peak == -math.inf
        assert levels(np.zeros((0, 1), dtype=np.float32)) == (-math.inf, -math.inf)
        assert dbfs(0.0) == -math.inf

    def test_to_float_scales_int16_and_rejects_other_ints(self) -> None:
        assert to_float(np.array([-32768, 16384], dtype=np.int16)).tolist() == [[-1.0], [0.5]]
        assert to_float(np.zeros((4, 2), dtype=np.float64)).shape == (4, 2)
        with pytest.raises(TypeError, match="int16"):
            to_float(np.zeros(4, dtype=np.int32))
        with pytest.raises(ValueError, match="3-D"):
            to_float(np.zeros((2, 2, 2), dtype=np.int16))


class TestSpectrum:
    def test_peak_within_one_bin_of_440(self) -> None:
        n_fft = 512
        found = peak_frequency(to_float(sine())[:, 0], RATE, n_fft)
        assert found is not None
        assert abs(found - 440.0) <= RATE / n_fft

    def test_bin_centred_full_scale_sine_reads_zero_db(self) -> None:
        n_fft = 512
        freq = 32 * RATE / n_fft  # exactly bin 32
        db = spectrum_db(to_float(sine(freq, amplitude=1.0 - 1e-4))[:, 0], n_fft)
        assert int(np.argmax(db)) == 32
        assert db[32] == pytest.approx(0.0, abs=0.05)

    def test_silence_has_no_peak(self) -> None:
        assert peak_frequency(np.zeros(512, dtype=np.float32), RATE, 512) is None
        assert peak_frequency(np.zeros(0, dtype=np.float32), RATE, 512) is None


class TestRing:
    def test_wraps_and_keeps_the_newest(self) -> None:
        ring = Ring(5, 1)
        ring.write(np.array([[1], [2], [3]], dtype=np.float32))
        assert ring.last()[:, 0].tolist() == [1, 2, 3]
        ring.write(np.array([[4], [5], [6], [7]], dtype=np.float32))
        assert ring.last()[:, 0].tolist() == [3, 4, 5, 6, 7]
        assert ring.last(2)[:, 0].tolist() == [6, 7]
        assert ring.written == 7 and ring.filled == 5
        assert ring.span(3, 6)[:, 0].tolist() == [4, 5, 6]
        with pytest.raises(IndexError):
            ring.span(1, 3)  # overwritten

    def test_block_longer_than_the_ring(self) -> None:
        ring = Ring(4, 2)
        ring.write(np.zeros((3, 2), dtype=np.float32))
        block = np.arange(20, dtype=np.float32).reshape(10, 2)
        ring.write(block)
        assert ring.last().tolist() == block[-4:].tolist()
        assert ring.written == 13


def test_envelope_min_max_per_column() -> None:
    low, high = envelope(np.array([0, 5, -1, 2, 3, -4, 1, 1], dtype=np.float32), 2)
    assert low.tolist() == [-1, -4]
    assert high.tolist() == [5, 3]
    short = np.array([1, 2], dtype=np.float32)
    assert envelope(short, 10) == (short, short)


class TestGaps:
    def test_real_time_stream_has_no_gaps(self) -> None:
        gaps = GapDetector()
        assert not any(gaps.arrive(i * 0.02 + 0.01 * (i % 2), 0.02) for i in range(500))
        assert gaps.count == 0

    def test_a_stall_is_one_gap_of_its_length(self) -> None:
        gaps = GapDetector(tolerance=0.05)
        for i in range(10):
            gaps.arrive(i * 0.02, 0.02)  # audio until 0.2 s
        assert gaps.arrive(0.5, 0.02)  # 300 ms late
        assert gaps.count == 1
        assert gaps.seconds == pytest.approx(0.3)
        for i in range(1, 10):  # back to real time from the new start: no more gaps
            assert not gaps.arrive(0.5 + i * 0.02, 0.02)

    def test_burst_then_pause_is_no_gap(self) -> None:
        gaps = GapDetector()
        for _ in range(50):
            gaps.arrive(0.0, 0.02)  # one second of audio at once
        assert not gaps.arrive(0.9, 0.02)  # still within what was buffered
        assert gaps.count == 0


def test_rate_meter() -> None:
    meter = RateMeter(window=1.0)
    assert meter.rate() == 0.0
    for i in range(100):
        meter.arrive(i * 0.02)
    assert meter.rate() == pytest.approx(50.0)


def test_spectrogram_scrolls_and_finds_the_tone() -> None:
    ring = Ring(RATE * 2, 1)
    spec = Spectrogram(n_fft=512, hop=320, columns=100)
    ring.write(to_float(sine(seconds=0.5)))
    added = spec.update(ring)
    assert added == (8000 - 512) // 320 + 1
    assert np.isfinite(spec.image).all()
    assert spec.image.min() >= spec.floor_db
    newest = spec.image[:, -1]
    assert abs(int(np.argmax(newest)) * RATE / 512 - 440) <= RATE / 512
    assert spec.update(ring) == 0  # nothing new
    ring.write(np.zeros((RATE * 3, 1), dtype=np.float32))  # more than the image holds
    assert spec.update(ring) == 100
    assert (spec.image == spec.floor_db).all()  # silence reads the floor, not NaN
