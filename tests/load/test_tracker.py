"""One stream's books: RFC 3550 jitter by hand, lost, duplicated, reordered, foreign, gaps."""

from __future__ import annotations

import pytest

from wskit.load import SequenceTracker


def test_rfc3550_jitter_worked_by_hand() -> None:
    t = SequenceTracker(7, 0.020)
    for seq in range(4):
        t.sending(seq)
    # sent every 20 ms; transits 10, 10, 15, 5 ms: |D| = 0, 5, 10 ms
    first = t.arrived(7, 0, 0.000, 0.010)
    second = t.arrived(7, 1, 0.020, 0.030)
    third = t.arrived(7, 2, 0.040, 0.055)
    fourth = t.arrived(7, 3, 0.060, 0.065)
    assert first is not None and second is not None and third is not None and fourth is not None
    assert first.rtt == pytest.approx(0.010)
    assert [a.transit_delta for a in (first, second, third, fourth)] == pytest.approx([0, 0, 0.005, 0.010])
    j3 = 0.005 / 16
    j4 = j3 + (0.010 - j3) / 16
    assert third.jitter == pytest.approx(j3)
    assert fourth.jitter == pytest.approx(j4)
    assert t.jitter == pytest.approx(j4)
    assert (t.sent, t.received, t.outstanding, t.gaps) == (4, 4, 0, 0)
    assert t.missing() == []


def test_duplicates_reordering_foreign_and_loss() -> None:
    t = SequenceTracker(1)
    for seq in range(5):
        t.sending(seq)
    assert t.arrived(1, 1, 0.02, 0.03) is not None
    reordered = t.arrived(1, 0, 0.00, 0.031)
    assert reordered is not None and reordered.reordered
    assert t.arrived(1, 1, 0.02, 0.032) is None  # the same frame twice
    assert t.arrived(2, 2, 0.04, 0.05) is None  # another stream's frame
    assert t.arrived(1, 9, 0.04, 0.05) is None  # a number never sent
    assert t.arrived(1, 3, 0.06, 0.07) is not None
    assert (t.received, t.duplicated, t.reordered, t.foreign) == (3, 1, 1, 2)
    assert t.missing() == [2, 4]
    assert t.outstanding == 2


def test_a_gap_is_more_than_two_frame_durations_between_arrivals() -> None:
    t = SequenceTracker(1, 0.020)
    for seq in range(3):
        t.sending(seq)
    t.arrived(1, 0, 0.0, 0.001)
    on_time = t.arrived(1, 1, 0.02, 0.041)  # 40 ms later: not yet a gap
    late = t.arrived(1, 2, 0.04, 0.0811)  # 40.1 ms later
    assert on_time is not None and not on_time.gap
    assert late is not None and late.gap
    assert t.gaps == 1


def test_cancel_takes_back_a_send_that_failed() -> None:
    t = SequenceTracker(1)
    t.sending(0)
    t.sending(0)  # counted once
    t.sending(1)
    t.cancel(1)
    assert (t.sent, t.missing()) == (1, [0])
