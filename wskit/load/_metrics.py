"""Voice-stream metrics that add up across users, worker processes and machines.

Every Locust worker keeps one :class:`VoiceMetrics` that its users write
into; Locust's ``report_to_master`` event takes what accumulated since the
last report (:meth:`VoiceMetrics.take`) as a plain dict (Locust sends it with
msgpack), and the master's ``worker_report`` event merges it
(:meth:`VoiceMetrics.merge`). Times go into :class:`Histogram`, 1 %-wide
logarithmic bins, so percentiles merge exactly and a report's size does not
grow with the number of frames. Per wall-clock second a :class:`Second`
holds what the plots over time need.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Histogram", "Second", "VoiceMetrics"]

_STEP = math.log(1.01)  # bin width: 1 %
_FLOOR = 1e-6  # seconds: times below 1 µs share the first bin


class Histogram:
    """Times in seconds, binned 1 % wide on a log scale; percentiles within 1 %."""

    __slots__ = ("bins", "count", "maximum", "total")

    def __init__(self) -> None:
        self.bins: dict[int, int] = {}
        self.count = 0
        self.total = 0.0
        self.maximum = 0.0

    def add(self, seconds: float) -> None:
        key = 0 if seconds <= _FLOOR else round(math.log(seconds / _FLOOR) / _STEP)
        self.bins[key] = self.bins.get(key, 0) + 1
        self.count += 1
        self.total += seconds
        if seconds > self.maximum:
            self.maximum = seconds

    def percentile(self, p: float) -> float:
        """The ``p``-th percentile in seconds (NaN when empty): the bin holding that rank."""
        if not self.count:
            return math.nan
        rank = min(self.count, max(1, math.ceil(self.count * p / 100)))
        seen = 0
        for key in sorted(self.bins):
            seen += self.bins[key]
            if seen >= rank:
                return min(_FLOOR * math.exp(key * _STEP), self.maximum) if key else 0.0
        return self.maximum  # pragma: no cover - the loop always reaches rank

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else math.nan

    def merge(self, other: Histogram) -> None:
        for key, n in other.bins.items():
            self.bins[key] = self.bins.get(key, 0) + n
        self.count += other.count
        self.total += other.total
        self.maximum = max(self.maximum, other.maximum)

    def to_dict(self) -> dict[str, Any]:
        return {"bins": [[k, n] for k, n in self.bins.items()], "total": self.total, "max": self.maximum}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Histogram:
        h = cls()
        for key, n in data["bins"]:
            h.bins[int(key)] = h.bins.get(int(key), 0) + int(n)
        h.count = sum(h.bins.values())
        h.total = float(data["total"])
        h.maximum = float(data["max"])
        return h


@dataclass
class Second:
    """One wall-clock second of a run (``time.time()`` floored), for plots over time."""

    sent: int = 0
    received: int = 0
    streams: set[int] = field(default_factory=set)  # ids of streams that sent in this second
    rtt: Histogram = field(default_factory=Histogram)
    jitter: Histogram = field(default_factory=Histogram)  # the running RFC 3550 estimate at each arrival
    lateness: Histogram = field(default_factory=Histogram)  # how far behind its deadline each frame went out

    def merge(self, other: Second) -> None:
        self.sent += other.sent
        self.received += other.received
        self.streams |= other.streams
        self.rtt.merge(other.rtt)
        self.jitter.merge(other.jitter)
        self.lateness.merge(other.lateness)

    def to_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "received": self.received,
            "streams": sorted(self.streams),
            "rtt": self.rtt.to_dict(),
            "jitter": self.jitter.to_dict(),
            "lateness": self.lateness.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Second:
        return cls(
            int(data["sent"]),
            int(data["received"]),
            {int(s) for s in data["streams"]},
            Histogram.from_dict(data["rtt"]),
            Histogram.from_dict(data["jitter"]),
            Histogram.from_dict(data["lateness"]),
        )


_COUNTERS = (
    "streams",
    "finished",
    "sent",
    "received",
    "lost",
    "duplicated",
    "reordered",
    "foreign",
    "gaps",
    "connects",
)


@dataclass
class VoiceMetrics:
    """What voice streams did: counters, failures by cause, histograms, seconds.

    Attributes:
        streams: streams that connected; finished: those that ended (lost is
            known only then).
        sent, received: frames sent, and echoes received once each.
        lost: frames a finished stream sent and never got back.
        duplicated, reordered, gaps: as :class:`~wskit.load.SequenceTracker` counts them.
        foreign: echoes whose stamp named another stream or an unsent frame.
        connects: successful handshakes.
        failures: ``{cause: count}``, cause such as ``"HTTP 403"``,
            ``"close 1008"`` or ``"connect ConnectionRefusedError"``.
        rtt, jitter, lateness: echo round trip, RFC 3550 jitter estimate per
            arrival, and how far behind its deadline the sender sent each frame.
        seconds: per wall-clock second (``int(time.time())``).
    """

    streams: int = 0
    finished: int = 0
    sent: int = 0
    received: int = 0
    lost: int = 0
    duplicated: int = 0
    reordered: int = 0
    foreign: int = 0
    gaps: int = 0
    connects: int = 0
    failures: dict[str, int] = field(default_factory=dict)
    rtt: Histogram = field(default_factory=Histogram)
    jitter: Histogram = field(default_factory=Histogram)
    lateness: Histogram = field(default_factory=Histogram)
    seconds: dict[int, Second] = field(default_factory=dict)

    def second(self, wall: float) -> Second:
        """The :class:`Second` holding wall-clock time ``wall``."""
        key = int(wall)
        bucket = self.seconds.get(key)
        if bucket is None:
            bucket = self.seconds[key] = Second()
        return bucket

    def failed(self, cause: str) -> None:
        self.failures[cause] = self.failures.get(cause, 0) + 1

    def merge(self, other: VoiceMetrics) -> None:
        for name in _COUNTERS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for cause, n in other.failures.items():
            self.failures[cause] = self.failures.get(cause, 0) + n
        self.rtt.merge(other.rtt)
        self.jitter.merge(other.jitter)
        self.lateness.merge(other.lateness)
        for key, bucket in other.seconds.items():
            self.second(key).merge(bucket)

    def take(self) -> dict[str, Any]:
        """Everything recorded since the last call, as a plain dict; the counts start again from zero."""
        data = self.to_dict()
        fresh = VoiceMetrics()
        for name in vars(fresh):
            setattr(self, name, getattr(fresh, name))
        return data

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {name: getattr(self, name) for name in _COUNTERS}
        data["failures"] = dict(self.failures)
        data["rtt"] = self.rtt.to_dict()
        data["jitter"] = self.jitter.to_dict()
        data["lateness"] = self.lateness.to_dict()
        data["seconds"] = [[key, bucket.to_dict()] for key, bucket in sorted(self.seconds.items())]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VoiceMetrics:
        m = cls()
        for name in _COUNTERS:
            setattr(m, name, int(data[name]))
        m.failures = {str(k): int(v) for k, v in data["failures"].items()}
        m.rtt = Histogram.from_dict(data["rtt"])
        m.jitter = Histogram.from_dict(data["jitter"])
        m.lateness = Histogram.from_dict(data["lateness"])
        m.seconds = {int(key): Second.from_dict(bucket) for key, bucket in data["seconds"]}
        return m
