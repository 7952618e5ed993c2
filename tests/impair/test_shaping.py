"""The pure parts of a bad network: conditions, the ordered delay line, the token bucket."""

from __future__ import annotations

import math
import random

import pytest

from wskit.impair import MSS, Conditions, DelayLine, TokenBucket


class Fixed(random.Random):
    """A random source whose ``uniform(a, b)`` returns the next of some fractions of the way from a to b."""

    def __init__(self, *fractions: float) -> None:
        super().__init__(0)
        self.fractions = list(fractions)

    def uniform(self, a: float, b: float) -> float:
        return a + (b - a) * self.fractions.pop(0)


class TestConditions:
    def test_defaults_and_rate(self) -> None:
        c = Conditions()
        assert (c.latency_ms, c.jitter_ms, c.bandwidth_kbps, c.rate) == (0.0, 0.0, None, None)
        assert not c.impaired
        c.bandwidth_kbps = 256
        assert c.rate == 32_000  # kbit/s are 1000 bits: 256 kbit/s carry 32,000 bytes a second
        assert c.impaired

    @pytest.mark.parametrize(
        ("name", "value"),
        [
            ("latency_ms", -1),
            ("jitter_ms", math.nan),
            ("latency_ms", True),
            ("jitter_ms", "5"),
            ("latency_ms", math.inf),
        ],
    )
    def test_bad_times_are_refused(self, name: str, value: object) -> None:
        c = Conditions()
        with pytest.raises(ValueError, match=name):
            setattr(c, name, value)

    @pytest.mark.parametrize("value", [0, -5, math.inf, False])
    def test_bad_bandwidths_are_refused(self, value: object) -> None:
        with pytest.raises(ValueError, match="bandwidth_kbps"):
            Conditions(bandwidth_kbps=value)  # type: ignore[arg-type]

    def test_copy_equality_and_repr(self) -> None:
        c = Conditions(50, 20, 256)
        d = c.copy()
        assert d == c and d is not c
        d.latency_ms = 60
        assert d != c
        assert repr(c) == "Conditions(latency 50 ms ± 20 ms, 256 kbit/s)"
        assert repr(Conditions()) == "Conditions(latency 0 ms ± 0 ms, unlimited)"


class TestDelayLine:
    def test_fixed_latency_shifts_every_chunk(self) -> None:
        line = DelayLine(Conditions(latency_ms=50))
        assert [line.release_time(t) for t in (0.0, 0.02, 0.04)] == pytest.approx([0.05, 0.07, 0.09])

    def test_jitter_is_uniform_around_the_latency(self) -> None:
        # fractions 0, 1/2, 1 of the way through [-20, +20] ms: 30, 50, 70 ms of delay
        line = DelayLine(Conditions(50, 20), Fixed(0.0, 0.5, 1.0))
        assert [line.draw() for _ in range(3)] == pytest.approx([0.030, 0.050, 0.070])

    def test_order_is_kept_a_short_delay_waits_for_the_chunk_before(self) -> None:
        # delays 70, 30, 50 ms for chunks arriving at 0, 20, 40 ms: the second would leave at 50 ms,
        # before the first (70 ms), so it leaves with it; the third at 90 ms as drawn
        line = DelayLine(Conditions(50, 20), Fixed(1.0, 0.0, 0.5))
        assert [line.release_time(t) for t in (0.0, 0.020, 0.040)] == pytest.approx([0.070, 0.070, 0.090])

    def test_delay_never_goes_below_zero(self) -> None:
        line = DelayLine(Conditions(5, 20), Fixed(0.0))
        assert line.draw() == 0.0

    def test_a_change_applies_to_later_chunks(self) -> None:
        c = Conditions(latency_ms=10)
        line = DelayLine(c)
        first = line.release_time(0.0)
        c.latency_ms = 100
        assert (first, line.release_time(0.001)) == pytest.approx((0.010, 0.101))

    def test_a_seeded_line_repeats(self) -> None:
        a = DelayLine(Conditions(50, 20), random.Random(7))
        b = DelayLine(Conditions(50, 20), random.Random(7))
        assert [a.draw() for _ in range(20)] == [b.draw() for _ in range(20)]


class TestTokenBucket:
    def test_starts_full_then_refills_at_the_rate(self) -> None:
        bucket = TokenBucket(rate=1000, burst=500, now=0.0)
        assert bucket.available(0.0) == 500
        bucket.take(500, 0.0)
        assert bucket.available(0.0) == 0
        assert bucket.available(0.25) == pytest.approx(250)
        assert bucket.available(10.0) == 500  # never more than the burst

    def test_wait_says_when_enough_is_there(self) -> None:
        bucket = TokenBucket(rate=1000, burst=500, now=0.0)
        bucket.take(500, 0.0)
        assert bucket.wait(100, 0.0) == pytest.approx(0.1)
        assert bucket.wait(2000, 0.0) == pytest.approx(0.5)  # capped at the burst: it goes out in pieces
        assert bucket.wait(100, 0.2) == 0.0

    def test_a_rate_change_keeps_what_was_earned(self) -> None:
        bucket = TokenBucket(rate=32_000, burst=TokenBucket.burst_for(32_000), now=0.0)
        bucket.take(MSS, 0.0)
        bucket.set_rate(64_000, 0.01)  # 10 ms at 32 kB/s earned 320 bytes
        assert bucket.available(0.01) == pytest.approx(320)
        assert bucket.available(0.02) == pytest.approx(320 + 640)

    def test_the_burst_is_ten_ms_and_at_least_one_segment(self) -> None:
        assert TokenBucket.burst_for(32_000) == MSS
        assert TokenBucket.burst_for(1_250_000) == pytest.approx(12_500)

    def test_sending_a_megabyte_at_256_kbit_s_takes_its_size_over_the_rate(self) -> None:
        """What the link does, step by step: send what the bucket allows, wait for the rest."""
        bucket = TokenBucket(rate=32_000, burst=TokenBucket.burst_for(32_000), now=0.0)
        now, left = 0.0, 2**20
        for _ in range(10_000):
            if not left:
                break
            now += bucket.wait(min(left, bucket.burst), now)
            n = min(left, int(bucket.available(now)))
            bucket.take(n, now)
            left -= n
        assert left == 0
        assert now == pytest.approx((2**20 - MSS) / 32_000, rel=1e-3)  # 32.72 s: the first segment goes at once
