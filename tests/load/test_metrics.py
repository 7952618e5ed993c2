"""Voice metrics: histogram percentiles, merging across workers, the dict that crosses the wire."""

from __future__ import annotations

import math

import msgpack  # Locust's wire format between workers and master
import pytest

from wskit.load import Histogram, VoiceMetrics


def test_histogram_percentiles_are_within_one_percent() -> None:
    h = Histogram()
    for ms in range(1, 101):  # 1 … 100 ms
        h.add(ms / 1000)
    assert h.count == 100
    assert h.percentile(50) == pytest.approx(0.050, rel=0.01)
    assert h.percentile(99) == pytest.approx(0.099, rel=0.01)
    assert h.percentile(100) == pytest.approx(0.100, rel=0.01)
    assert h.maximum == 0.1
    assert h.mean == pytest.approx(0.0505)
    assert math.isnan(Histogram().percentile(50))


def test_histogram_keeps_zero_and_sub_microsecond_times_in_the_first_bin() -> None:
    h = Histogram()
    h.add(0.0)
    h.add(5e-7)
    assert h.percentile(50) == 0.0


def test_merging_equals_recording_everything_in_one_place() -> None:
    one, two, both = VoiceMetrics(), VoiceMetrics(), VoiceMetrics()
    for i in range(300):
        target = one if i % 3 else two
        for m in (target, both):
            m.sent += 1
            m.rtt.add(0.001 * (1 + i % 17))
            m.second(1000.0 + i // 100).streams.add(i % 4)
    one.failed("HTTP 403")
    two.failed("HTTP 403")
    two.failed("close 1008")
    merged = VoiceMetrics()
    merged.merge(one)
    merged.merge(two)
    assert merged.sent == both.sent == 300
    assert merged.rtt.bins == both.rtt.bins
    assert merged.rtt.percentile(99) == both.rtt.percentile(99)
    assert merged.failures == {"HTTP 403": 2, "close 1008": 1}
    assert {k: s.streams for k, s in merged.seconds.items()} == {
        1000: {0, 1, 2, 3},
        1001: {0, 1, 2, 3},
        1002: {0, 1, 2, 3},
    }


def test_take_crosses_msgpack_and_starts_again_from_zero() -> None:
    m = VoiceMetrics(streams=2, sent=10, received=9, lost=1)
    m.rtt.add(0.002)
    m.lateness.add(0.0004)
    s = m.second(1234.5)
    s.sent, s.received = 10, 9
    s.streams.update({5, 6})
    s.rtt.add(0.002)
    data = m.take()
    wire = msgpack.unpackb(msgpack.packb(data), raw=False, strict_map_key=False)
    back = VoiceMetrics.from_dict(wire)
    assert back.to_dict() == data
    assert (back.streams, back.sent, back.received, back.lost) == (2, 10, 9, 1)
    assert back.seconds[1234].streams == {5, 6}
    assert m.to_dict() == VoiceMetrics().to_dict()  # everything taken
