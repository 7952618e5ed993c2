"""The voice-metrics report of a load run: one table, thresholds, files next to Locust's.

The master builds a :class:`VoiceReport` from the merged
:class:`~wskit.load.VoiceMetrics` (and each worker's share), prints
:meth:`VoiceReport.table`, and :meth:`VoiceReport.write` saves it beside
Locust's own CSV and HTML reports:

* ``PREFIX_voice.json``: everything (:meth:`VoiceReport.to_dict`), what
  :func:`read_report` and the notebooks read;
* ``PREFIX_voice.md``: the table as printed;
* ``PREFIX_voice_history.csv``: one row per second (streams, frames, round
  trip p50/p99, jitter, the senders' lateness p99), for plots over time.
"""

from __future__ import annotations

import csv
import json
import math
import os
from dataclasses import dataclass
from typing import Any

from ._metrics import VoiceMetrics

__all__ = ["THRESHOLD_EXIT_CODE", "Threshold", "VoiceReport", "read_report"]

#: exit code of a run that missed a voice threshold (``--max-p99-ms`` …); Locust's own is 1 for failed requests.
THRESHOLD_EXIT_CODE = 3


@dataclass(frozen=True, slots=True)
class Threshold:
    """One limit given on the command line and how the run did against it."""

    what: str
    option: str
    limit: float
    value: float
    unit: str = ""

    @property
    def ok(self) -> bool:
        return not math.isnan(self.value) and self.value <= self.limit

    def __str__(self) -> str:
        verdict = "ok" if self.ok else "MISSED"
        if math.isnan(self.value):
            shown = "none measured"
        else:
            shown = f"{self.value:.2f}{self.unit}" if self.unit else f"{self.value:g}"
        return f"{verdict}: {self.what} {shown} (limit {self.option} {self.limit:g})"


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3) if not math.isnan(seconds) else math.nan


def _cell(value: float, digits: int = 2) -> str:
    return "-" if math.isnan(value) else f"{value:.{digits}f}"


class VoiceReport:
    """A run's voice metrics, summed over every worker.

    Args:
        metrics: the merged metrics.
        workers: each worker's own metrics, by label (``"worker 0"`` …).
        settings: what was run (source, serializer, frame_ms, users …), shown and saved.
        max_p99_ms, max_lost, max_jitter_ms: thresholds; ``None`` for none.
    """

    def __init__(
        self,
        metrics: VoiceMetrics,
        workers: dict[str, VoiceMetrics] | None = None,
        settings: dict[str, Any] | None = None,
        *,
        max_p99_ms: float | None = None,
        max_lost: int | None = None,
        max_jitter_ms: float | None = None,
    ) -> None:
        self.metrics = metrics
        self.workers = dict(sorted((workers or {}).items()))
        self.settings = dict(settings or {})
        self.limits = {"max_p99_ms": max_p99_ms, "max_lost": max_lost, "max_jitter_ms": max_jitter_ms}

    # -- numbers ----------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        """Totals and percentiles (times in ms; NaN where nothing was measured)."""
        m = self.metrics
        return {
            "streams": m.streams,
            "finished": m.finished,
            "sent": m.sent,
            "received": m.received,
            "lost": m.lost,
            "duplicated": m.duplicated,
            "reordered": m.reordered,
            "foreign": m.foreign,
            "gaps": m.gaps,
            "connects": m.connects,
            "failures": sum(m.failures.values()),
            "rtt_p50_ms": _ms(m.rtt.percentile(50)),
            "rtt_p99_ms": _ms(m.rtt.percentile(99)),
            "rtt_max_ms": _ms(m.rtt.maximum) if m.rtt.count else math.nan,
            "jitter_mean_ms": _ms(m.jitter.mean),
            "jitter_p99_ms": _ms(m.jitter.percentile(99)),
            "lateness_p99_ms": _ms(m.lateness.percentile(99)),
        }

    def history(self) -> list[dict[str, Any]]:
        """One row per second from the first: ``t`` (s), streams, sent, received, and in ms
        RTT p50/p99, jitter and the senders' lateness p99."""
        if not self.metrics.seconds:
            return []
        first = min(self.metrics.seconds)
        return [
            {
                "t": key - first,
                "streams": len(s.streams),
                "sent": s.sent,
                "received": s.received,
                "rtt_p50_ms": _ms(s.rtt.percentile(50)),
                "rtt_p99_ms": _ms(s.rtt.percentile(99)),
                "jitter_ms": _ms(s.jitter.mean),
                "late_p99_ms": _ms(s.lateness.percentile(99)),
            }
            for key, s in sorted(self.metrics.seconds.items())
        ]

    def thresholds(self) -> list[Threshold]:
        s = self.summary()
        out = []
        if self.limits["max_p99_ms"] is not None:
            out.append(Threshold("echo RTT p99", "--max-p99-ms", self.limits["max_p99_ms"], s["rtt_p99_ms"], " ms"))
        if self.limits["max_lost"] is not None:
            out.append(Threshold("frames lost", "--max-lost", self.limits["max_lost"], s["lost"]))
        if self.limits["max_jitter_ms"] is not None:
            limit = self.limits["max_jitter_ms"]
            out.append(Threshold("RFC 3550 jitter p99", "--max-jitter-ms", limit, s["jitter_p99_ms"], " ms"))
        return out

    @property
    def passed(self) -> bool:
        """Every threshold met (true when none was given)."""
        return all(t.ok for t in self.thresholds())

    # -- text -------------------------------------------------------------------

    def table(self) -> str:
        """The report as a Markdown table, with the thresholds' verdicts below it."""
        s = self.summary()
        m = self.metrics
        frame_ms = self.settings.get("frame_ms", 20)
        what = ", ".join(f"{k} {v}" for k, v in self.settings.items() if v is not None)
        rows = [
            ("streams (finished)", f"{s['streams']:,} ({s['finished']:,})"),
            ("frames sent", f"{s['sent']:,}"),
            ("frames echoed", f"{s['received']:,}"),
            ("lost", f"{s['lost']:,}"),
            ("duplicated", f"{s['duplicated']:,}"),
            ("reordered", f"{s['reordered']:,}"),
            (f"gaps (> {2 * frame_ms:g} ms between echoes)", f"{s['gaps']:,}"),
            (
                "echo RTT p50 / p99 / max (ms)",
                f"{_cell(s['rtt_p50_ms'])} / {_cell(s['rtt_p99_ms'])} / {_cell(s['rtt_max_ms'])}",
            ),
            ("jitter, RFC 3550, mean / p99 (ms)", f"{_cell(s['jitter_mean_ms'])} / {_cell(s['jitter_p99_ms'])}"),
            ("sender lateness p99 (ms)", _cell(s["lateness_p99_ms"])),
        ]
        if s["foreign"]:
            rows.append(("echoes of frames never sent by that stream", f"{s['foreign']:,}"))
        if m.failures:
            shown = "; ".join(f"{cause}: {n:,}" for cause, n in sorted(m.failures.items()))
            rows.append(("failures", shown))
        for label, w in self.workers.items():
            rows.append((label, f"{w.streams:,} streams, {w.sent:,} sent, {w.received:,} echoed, {w.lost:,} lost"))
        lines = [f"wskit load: voice metrics ({what})" if what else "wskit load: voice metrics", ""]
        lines += ["| metric | value |", "| --- | ---: |"]
        lines += [f"| {name} | {value} |" for name, value in rows]
        verdicts = self.thresholds()
        if verdicts:
            lines.append("")
            lines += [str(t) for t in verdicts]
        return "\n".join(lines)

    # -- files ------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Settings, summary, history, per-worker counts, failures, thresholds and the metrics themselves."""
        return {
            "settings": self.settings,
            "summary": self.summary(),
            "history": self.history(),
            "workers": {label: w.to_dict() for label, w in self.workers.items()},
            "failures": dict(self.metrics.failures),
            "thresholds": [
                {"what": t.what, "option": t.option, "limit": t.limit, "value": t.value, "ok": t.ok}
                for t in self.thresholds()
            ],
            "passed": self.passed,
            "metrics": self.metrics.to_dict(),
        }

    def write(self, prefix: str) -> list[str]:
        """Write ``PREFIX_voice.json``, ``PREFIX_voice.md`` and ``PREFIX_voice_history.csv``; returns the paths."""
        folder = os.path.dirname(prefix)
        if folder:
            os.makedirs(folder, exist_ok=True)
        paths = [f"{prefix}_voice.json", f"{prefix}_voice.md", f"{prefix}_voice_history.csv"]
        with open(paths[0], "w", encoding="utf-8") as f:
            json.dump(self.to_dict(), f, indent=1, allow_nan=True)
        with open(paths[1], "w", encoding="utf-8") as f:
            f.write(self.table() + "\n")
        history = self.history()
        with open(paths[2], "w", encoding="utf-8", newline="") as f:
            names = ["t", "streams", "sent", "received", "rtt_p50_ms", "rtt_p99_ms", "jitter_ms", "late_p99_ms"]
            writer = csv.DictWriter(f, names)
            writer.writeheader()
            writer.writerows(history)
        return paths


def read_report(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A ``*_voice.json`` file written by :meth:`VoiceReport.write`, as a dict."""
    with open(path, encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    return data
