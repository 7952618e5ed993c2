"""Presets (numbers and their sources) and the schedule of faults, parsed and run."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from wskit.impair import PRESETS, preset
from wskit.impair._script import parse, run


class TestPresets:
    def test_the_named_conditions_are_there(self) -> None:
        assert {"lan", "wifi", "wifi-bad", "3g", "slow-4g", "4g", "transatlantic"} <= set(PRESETS)

    @pytest.mark.parametrize(
        ("name", "rtt_ms", "up_kbps", "down_kbps"),
        [
            ("3g", 400, 500, 500),  # Chrome DevTools "3G" target: 400 ms RTT, 500 kbit/s
            ("slow-4g", 150, 750, 1600),  # DevTools "Slow 4G": 150 ms, 750 kbit/s up, 1.6 Mbit/s down
            ("4g", 60, 1500, 9000),  # DevTools "Fast 4G": 60 ms, 1.5 up, 9 Mbit/s down
            ("transatlantic", 80, None, None),  # New York - Paris, 78 ms measured
            ("lan", 1, None, None),
        ],
    )
    def test_numbers_match_their_sources(
        self, name: str, rtt_ms: float, up_kbps: float | None, down_kbps: float | None
    ) -> None:
        chosen = preset(name)
        assert chosen.rtt_ms == rtt_ms
        assert (chosen.up.bandwidth_kbps, chosen.down.bandwidth_kbps) == (up_kbps, down_kbps)
        assert chosen.source

    def test_every_preset_is_documented_in_the_module(self) -> None:
        import wskit.impair._presets as module

        assert module.__doc__ is not None
        for name in PRESETS:
            assert f"``{name}``" in module.__doc__

    def test_an_unknown_name_lists_the_known_ones(self) -> None:
        with pytest.raises(ValueError, match="no network preset 'dialup'; known: lan, wifi"):
            preset("dialup")


class Recording:
    """Stands in for a Link: records each call with the loop time it came at."""

    def __init__(self) -> None:
        self.calls: list[tuple[float, str, tuple[Any, ...], dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> None:
            self.calls.append((asyncio.get_running_loop().time(), name, args, kwargs))

        return call


class TestScript:
    def test_a_schedule_is_parsed_into_steps(self) -> None:
        steps = parse([(2.0, "stall", 1.5), (5, "latency", 200), (5, "bandwidth", None, "up"), (6, "drop")])
        assert [(s.at, s.action, s.args) for s in steps] == [
            (2.0, "stall", (1.5,)),
            (5.0, "latency", (200,)),
            (5.0, "bandwidth", (None, "up")),
            (6.0, "drop", ()),
        ]

    @pytest.mark.parametrize(
        ("steps", "message"),
        [
            ([(1, "explode")], "step 1: unknown action 'explode'"),
            ([(1, "stall")], "step 1: 'stall' takes seconds, not ()"),
            ([(1, "latency", -5)], r"'latency' takes ms\[, direction\]"),
            ([(1, "latency", 5, "sideways")], r"'latency' takes ms\[, direction\]"),
            ([(1, "bandwidth", 0)], "'bandwidth' takes kbit/s or None"),
            ([(1, "limit", 1.5)], "'limit' takes a byte count or None"),
            ([(1, "half_open", "both")], "'half_open' takes 'up' or 'down'"),
            ([(1, "preset", "dialup")], "'preset' takes a preset name"),
            ([(-1, "drop")], "the time must be seconds >= 0"),
            (["drop"], "must be \\(seconds, action, \\*args\\)"),
            ([(3, "drop"), (1, "drop")], "step 2 at 1 s comes before step 1 at 3.0 s"),
        ],
    )
    def test_mistakes_are_caught_before_anything_runs(self, steps: list[Any], message: str) -> None:
        with pytest.raises(ValueError, match=message):
            parse(steps)

    @pytest.mark.timeout(10)
    async def test_steps_run_at_their_times_as_link_calls(self) -> None:
        link = Recording()
        start = asyncio.get_running_loop().time()
        steps = parse([(0.05, "stall", 1.5), (0.1, "latency", 200), (0.1, "jitter", 5, "down"), (0.15, "preset", "3g")])
        await run(link, steps)  # type: ignore[arg-type]
        assert [(name, args, kwargs) for _, name, args, kwargs in link.calls] == [
            ("stall", (1.5,), {}),
            ("set", (), {"latency_ms": 200, "direction": "both"}),
            ("set", (), {"jitter_ms": 5, "direction": "down"}),
            ("apply", ("3g",), {}),
        ]
        offsets = [t - start for t, *_ in link.calls]
        for offset, wanted in zip(offsets, (0.05, 0.1, 0.1, 0.15), strict=True):
            assert wanted <= offset < wanted + 0.5
