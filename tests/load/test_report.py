"""The voice report: its table, its thresholds, its files."""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

import pytest

from wskit.load import Threshold, VoiceMetrics, VoiceReport, read_report


def metrics() -> VoiceMetrics:
    m = VoiceMetrics(streams=2, finished=2, sent=200, received=199, lost=1, reordered=3, gaps=2, connects=2)
    for i in range(199):
        rtt = 0.100 if i % 10 == 0 else 0.002  # every 10th echo late by 100 ms
        m.rtt.add(rtt)
        m.jitter.add(0.001)
        m.second(50.0 + i // 100).rtt.add(rtt)
        m.second(50.0 + i // 100).received += 1
    for i in range(200):
        m.lateness.add(0.0005)
        m.second(50.0 + i // 100).lateness.add(0.0005 if i < 100 else 0.003)
        m.second(50.0 + i // 100).sent += 1
        m.second(50.0 + i // 100).streams.add(i % 2)
    m.failed("close 1008")
    return m


def test_the_table_shows_what_missed_a_threshold() -> None:
    workers = {"worker 0": VoiceMetrics(streams=1, sent=100), "worker 1": VoiceMetrics(streams=1, sent=100)}
    report = VoiceReport(metrics(), workers, {"source": "chirp", "users": 2}, max_p99_ms=50, max_lost=0)
    s = report.summary()
    assert s["rtt_p50_ms"] == pytest.approx(2.0, rel=0.01)
    assert s["rtt_p99_ms"] == pytest.approx(100.0, rel=0.01)
    assert s["rtt_max_ms"] == 100.0
    table = report.table()
    assert table.splitlines()[0] == "wskit load: voice metrics (source chirp, users 2)"
    assert "| frames sent | 200 |" in table
    assert "| lost | 1 |" in table
    assert "| reordered | 3 |" in table
    assert "| gaps (> 40 ms between echoes) | 2 |" in table
    assert "| failures | close 1008: 1 |" in table
    assert "| worker 1 | 1 streams, 100 sent, 0 echoed, 0 lost |" in table
    assert re.search(r"^MISSED: echo RTT p99 (99\.9\d|100\.\d\d) ms \(limit --max-p99-ms 50\)$", table, re.M)
    assert "MISSED: frames lost 1 (limit --max-lost 0)" in table
    assert not report.passed


def test_thresholds_met_and_nothing_measured() -> None:
    assert VoiceReport(metrics(), max_p99_ms=150, max_lost=1).passed
    assert VoiceReport(metrics()).passed  # no threshold given
    empty = VoiceReport(VoiceMetrics(), max_p99_ms=50)
    (threshold,) = empty.thresholds()
    assert math.isnan(threshold.value) and not threshold.ok
    assert str(threshold) == "MISSED: echo RTT p99 none measured (limit --max-p99-ms 50)"
    assert str(Threshold("frames lost", "--max-lost", 0, 0)) == "ok: frames lost 0 (limit --max-lost 0)"


def test_files_next_to_locusts(tmp_path: Path) -> None:
    report = VoiceReport(metrics(), settings={"frame_ms": 20}, max_jitter_ms=0.5)
    paths = report.write(str(tmp_path / "run" / "locust"))
    assert [Path(p).name for p in paths] == ["locust_voice.json", "locust_voice.md", "locust_voice_history.csv"]
    data = read_report(paths[0])
    assert data["summary"]["sent"] == 200
    assert data["passed"] is False
    assert data["thresholds"][0]["option"] == "--max-jitter-ms"
    assert VoiceMetrics.from_dict(data["metrics"]).to_dict() == report.metrics.to_dict()
    assert Path(paths[1]).read_text() == report.table() + "\n"
    with open(paths[2]) as f:
        rows = list(csv.DictReader(f))
    assert [(r["t"], r["streams"], r["sent"], r["received"]) for r in rows] == [
        ("0", "2", "100", "100"),
        ("1", "2", "100", "99"),
    ]
    assert float(rows[0]["rtt_p99_ms"]) == pytest.approx(100, rel=0.01)
    assert [float(r["late_p99_ms"]) for r in rows] == pytest.approx([0.5, 3.0], rel=0.01)
