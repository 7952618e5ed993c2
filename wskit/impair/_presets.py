"""Named network conditions, each a documented set of numbers with its source.

Every preset gives one :class:`~wskit.impair.Conditions` per
direction: ``up`` is what the client sends, ``down`` what it receives. The
sources publish round-trip times; a :class:`~wskit.impair.Link` adds latency
per direction, so each preset puts half of the round trip on each way.

The numbers, and where they come from:

``lan``
    A wired local network: 1 ms round trip (0.5 ms each way), no jitter, no
    bandwidth limit. A round figure, not a measurement: ping on switched
    Ethernet is well under a millisecond, and loopback itself takes tens of µs.
``wifi``
    Firefox DevTools' "Wi-Fi" throttling profile: 30 Mbit/s down, 15 Mbit/s
    up, 2 ms minimum latency (Firefox Network Monitor documentation,
    "Throttling"; ``devtools/client/shared/components/throttling/profiles.js``).
``wifi-bad``
    A congested Wi-Fi hop, after two measurement studies of campus Wi-Fi:
    Sui et al., "Characterizing and Improving WiFi Latency in Large-Scale
    Operational Networks" (MobiSys 2016; 47,000 devices: median 3 ms, 90th
    percentile about 20 ms, 99th about 250 ms) and Pei et al., "WiFi can be
    the weakest link of round trip network latency in the wild" (INFOCOM
    2016: over half of TCP packets see more than 20 ms on the Wi-Fi hop, a
    tenth more than 100 ms; a median of 50 ms in a congested case). Here: 25 ms
    ± 20 ms each way (round trips of 10-90 ms, median 50 ms), no bandwidth
    limit. Uniform jitter has no long tail: add the 250 ms spikes with
    :meth:`~wskit.impair.Link.stall`.
``3g``
    Chrome DevTools' "3G" preset (called "Slow 3G" before 2024): 500 kbit/s
    down and up, 400 ms round trip. These are the preset's target values
    (``Slow3GConditions`` in devtools-frontend's
    ``front_end/core/sdk/NetworkManager.ts``); DevTools itself applies
    adjusted ones (400 kbit/s, a 2000 ms request latency) because it throttles
    whole HTTP requests, not a byte stream. Jitter ± 50 ms each way, from
    Loadero's "3G" network condition (its WebRTC test profiles).
``slow-4g``
    Chrome DevTools' "Slow 4G" (called "Fast 3G" before 2024, Lighthouse's
    mobile default): 1.6 Mbit/s down, 750 kbit/s up, 150 ms round trip (the
    target values of ``Slow4GConditions``), no jitter.
``4g``
    Chrome DevTools' "Fast 4G" (added in 2024): 9 Mbit/s down, 1.5 Mbit/s up,
    60 ms round trip (the target values of ``Fast4GConditions``), with
    Loadero's "4G" jitter: ± 5 ms down, ± 15 ms up.
``transatlantic``
    New York to Paris: 78 ms round trip in WonderProxy's city-to-city ping
    measurements ("Miles per Millisecond", 2011; WonderNetwork publishes
    current ones), taken as 80 ms; no jitter, no bandwidth limit (the ocean
    is a long fibre, not a bottleneck).
"""

from __future__ import annotations

from dataclasses import dataclass

from ._shaping import Conditions

__all__ = ["PRESETS", "Preset", "preset"]


@dataclass(frozen=True, slots=True)
class Preset:
    """A named pair of conditions; ``up`` and ``down`` are templates (copy before use)."""

    name: str
    up: Conditions
    down: Conditions
    source: str

    @property
    def rtt_ms(self) -> float:
        """The round trip it adds with no jitter: both latencies."""
        return self.up.latency_ms + self.down.latency_ms


def _symmetric(latency_ms: float, jitter_ms: float = 0.0, bandwidth_kbps: float | None = None) -> Conditions:
    return Conditions(latency_ms, jitter_ms, bandwidth_kbps)


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset("lan", _symmetric(0.5), _symmetric(0.5), "round figure for switched Ethernet"),
        Preset(
            "wifi",
            Conditions(1.0, 0.0, 15_000),
            Conditions(1.0, 0.0, 30_000),
            "Firefox DevTools 'Wi-Fi' profile",
        ),
        Preset(
            "wifi-bad",
            Conditions(25.0, 20.0),
            Conditions(25.0, 20.0),
            "Sui et al. MobiSys 2016; Pei et al. INFOCOM 2016 (campus Wi-Fi latency measurements)",
        ),
        Preset(
            "3g",
            Conditions(200.0, 50.0, 500),
            Conditions(200.0, 50.0, 500),
            "Chrome DevTools '3G' target values; jitter from Loadero's '3G'",
        ),
        Preset(
            "slow-4g",
            Conditions(75.0, 0.0, 750),
            Conditions(75.0, 0.0, 1_600),
            "Chrome DevTools 'Slow 4G' target values",
        ),
        Preset(
            "4g",
            Conditions(30.0, 15.0, 1_500),
            Conditions(30.0, 5.0, 9_000),
            "Chrome DevTools 'Fast 4G' target values; jitter from Loadero's '4G'",
        ),
        Preset(
            "transatlantic",
            _symmetric(40.0),
            _symmetric(40.0),
            "WonderProxy ping measurements, New York - Paris",
        ),
    )
}


def preset(name: str) -> Preset:
    """The preset called ``name``.

    Raises:
        ValueError: no such preset (the message lists them).
    """
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"no network preset {name!r}; known: {', '.join(PRESETS)}") from None
