"""What one direction of a bad network does to a byte stream: pure and loop-free.

Three pieces, each a plain object driven by explicit times (seconds on any
monotonic clock), so they are tested with exact vectors:

* :class:`Conditions` — the settings of one direction: latency, jitter,
  bandwidth. They may change while traffic flows.
* :class:`DelayLine` — gives each chunk its release time. TCP keeps order,
  so jitter here is variable delay without reordering: a chunk is released
  at ``max(arrival + delay, previous release)``, where ``delay`` is drawn
  uniformly from ``latency ± jitter`` (floored at 0), as netem's
  ``delay TIME JITTER`` and Toxiproxy's latency toxic draw it.
* :class:`TokenBucket` — the bandwidth: bytes pass at ``rate`` bytes a
  second, with at most ``burst`` bytes at once after an idle spell.
"""

from __future__ import annotations

import math
import random

__all__ = ["MSS", "Conditions", "DelayLine", "TokenBucket"]

#: Bytes of payload in one Ethernet-sized TCP segment (1500 - 40 bytes of
#: IP and TCP headers): the smallest burst a bandwidth limit lets through.
MSS = 1460


def _check_ms(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number of milliseconds >= 0, not {value!r}")
    return float(value)


def _check_kbps(value: float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"bandwidth_kbps must be a positive number of kbit/s, or None for no limit, not {value!r}")
    return float(value)


class Conditions:
    """The settings of one direction of a link; every attribute may be set at any time.

    Attributes:
        latency_ms: one-way delay added to every chunk (ms).
        jitter_ms: each chunk's delay is drawn uniformly from
            ``latency_ms ± jitter_ms`` (never below 0); order is kept, so a
            chunk drawn shorter than the one before waits for it.
        bandwidth_kbps: the most the direction carries, in kbit/s (1000 bits
            of payload a second; TCP/IP headers are not counted); ``None``
            for no limit.

    A latency or jitter change applies to chunks that arrive after it; a
    bandwidth change applies at once, to what is queued too.
    """

    __slots__ = ("_bandwidth_kbps", "_jitter_ms", "_latency_ms")

    def __init__(self, latency_ms: float = 0.0, jitter_ms: float = 0.0, bandwidth_kbps: float | None = None) -> None:
        self.latency_ms = latency_ms
        self.jitter_ms = jitter_ms
        self.bandwidth_kbps = bandwidth_kbps

    @property
    def latency_ms(self) -> float:
        return self._latency_ms

    @latency_ms.setter
    def latency_ms(self, value: float) -> None:
        self._latency_ms = _check_ms("latency_ms", value)

    @property
    def jitter_ms(self) -> float:
        return self._jitter_ms

    @jitter_ms.setter
    def jitter_ms(self, value: float) -> None:
        self._jitter_ms = _check_ms("jitter_ms", value)

    @property
    def bandwidth_kbps(self) -> float | None:
        return self._bandwidth_kbps

    @bandwidth_kbps.setter
    def bandwidth_kbps(self, value: float | None) -> None:
        self._bandwidth_kbps = _check_kbps(value)

    @property
    def rate(self) -> float | None:
        """The bandwidth in bytes per second (``None``: no limit)."""
        return None if self._bandwidth_kbps is None else self._bandwidth_kbps * 1000 / 8

    @property
    def impaired(self) -> bool:
        """True when this direction adds delay or limits bandwidth."""
        return self._latency_ms > 0 or self._jitter_ms > 0 or self._bandwidth_kbps is not None

    def copy(self) -> Conditions:
        return Conditions(self._latency_ms, self._jitter_ms, self._bandwidth_kbps)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Conditions):
            return NotImplemented
        return (self._latency_ms, self._jitter_ms, self._bandwidth_kbps) == (
            other._latency_ms,
            other._jitter_ms,
            other._bandwidth_kbps,
        )

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        bandwidth = "unlimited" if self._bandwidth_kbps is None else f"{self._bandwidth_kbps:g} kbit/s"
        return f"Conditions(latency {self._latency_ms:g} ms ± {self._jitter_ms:g} ms, {bandwidth})"


class DelayLine:
    """Release times for the chunks of one byte stream, in arrival order.

    Args:
        conditions: read at each :meth:`release_time` call, so changes apply
            to the chunks that arrive after them.
        rng: the random source of the jitter (seeded for repeatable runs).
    """

    def __init__(self, conditions: Conditions, rng: random.Random | None = None) -> None:
        self.conditions = conditions
        self.rng = rng if rng is not None else random.Random()
        self.last_release = -math.inf

    def draw(self) -> float:
        """One chunk's delay in seconds: uniform in ``latency ± jitter``, at least 0."""
        c = self.conditions
        delay = c.latency_ms
        if c.jitter_ms:
            delay += self.rng.uniform(-c.jitter_ms, c.jitter_ms)
        return max(0.0, delay) / 1000

    def release_time(self, arrival: float) -> float:
        """When a chunk arriving at ``arrival`` may leave: never before the chunk before it."""
        release = max(arrival + self.draw(), self.last_release)
        self.last_release = release
        return release


class TokenBucket:
    """A token bucket: ``rate`` bytes a second, at most ``burst`` bytes saved up.

    The bucket starts full. :meth:`take` spends tokens; :meth:`wait` says how
    long until ``n`` tokens are there. A rate change applies from the moment
    it is made: tokens earned so far are kept.
    """

    def __init__(self, rate: float, burst: float, now: float) -> None:
        if rate <= 0 or burst <= 0:
            raise ValueError("rate and burst must be positive")
        self.rate = rate
        self.burst = burst
        self._tokens = burst
        self._time = now

    @staticmethod
    def burst_for(rate: float) -> float:
        """The burst a limit of ``rate`` bytes/s allows: 10 ms of traffic, at least one segment."""
        return max(float(MSS), rate * 0.010)

    def _refill(self, now: float) -> None:
        if now > self._time:
            self._tokens = min(self.burst, self._tokens + (now - self._time) * self.rate)
            self._time = now

    def set_rate(self, rate: float, now: float) -> None:
        """Change the rate (and the burst with it) from ``now`` on."""
        self._refill(now)
        self.rate = rate
        self.burst = self.burst_for(rate)
        self._tokens = min(self._tokens, self.burst)

    def available(self, now: float) -> float:
        """Tokens (bytes) that may be sent at ``now``."""
        self._refill(now)
        return self._tokens

    def take(self, n: int, now: float) -> None:
        """Spend ``n`` tokens at ``now`` (the caller checked :meth:`available`)."""
        self._refill(now)
        self._tokens -= n

    def wait(self, n: float, now: float) -> float:
        """Seconds from ``now`` until ``n`` tokens (at most ``burst``) are there."""
        self._refill(now)
        missing = min(n, self.burst) - self._tokens
        return max(0.0, missing / self.rate)
