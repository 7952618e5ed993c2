"""A schedule of network changes and faults for a :class:`~wskit.impair.Link`.

``link.script([(2.0, "stall", 1.5), (5.0, "latency", 200)])`` stalls the link
2 s from now for 1.5 s, then sets 200 ms of latency each way at 5 s. The
steps are checked by :func:`parse` before anything runs, so a typo fails at
once instead of halfway through a demo; :func:`run` then applies them on
absolute deadlines from the start (a late step does not delay the next).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from ._presets import PRESETS
from ._relay import Way

__all__ = ["ACTIONS", "Controls", "Step", "parse", "run"]

_DIRECTIONS = ("up", "down", "both")


class Controls(Protocol):
    """What a schedule drives: the settings and faults of a :class:`~wskit.impair.Link`."""

    def set(
        self,
        *,
        latency_ms: float | None = ...,
        jitter_ms: float | None = ...,
        bandwidth_kbps: float | Literal["keep"] | None = ...,
        direction: Way = ...,
    ) -> None: ...

    def apply(self, name: str) -> None: ...

    def stall(self, seconds: float | None = ...) -> None: ...

    def half_open(self, direction: Literal["up", "down"] = ...) -> None: ...

    def resume(self) -> None: ...

    def drop(self) -> None: ...

    def limit(self, nbytes: int | None) -> None: ...


def _number(value: Any, *, allow_none: bool = False) -> bool:
    if value is None:
        return allow_none
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value) and value >= 0


def _count(value: Any, *, allow_none: bool = False) -> bool:
    if value is None:
        return allow_none
    return not isinstance(value, bool) and isinstance(value, int) and value >= 0


def _amount_then_direction(args: tuple[Any, ...], *, bandwidth: bool = False) -> bool:
    """``(ms,)`` or ``(ms, direction)``; for bandwidth, kbit/s > 0 or None."""
    if not 1 <= len(args) <= 2 or (len(args) == 2 and args[1] not in _DIRECTIONS):
        return False
    if bandwidth:
        return args[0] is None or (_number(args[0]) and args[0] > 0)
    return _number(args[0])


#: action -> (what its arguments are, a check of them)
ACTIONS: dict[str, tuple[str, Callable[[tuple[Any, ...]], bool]]] = {
    "stall": ("seconds", lambda a: len(a) == 1 and _number(a[0])),
    "drop": ("no arguments", lambda a: not a),
    "half_open": ("'up' or 'down'", lambda a: a in ((), ("up",), ("down",))),
    "resume": ("no arguments", lambda a: not a),
    "limit": ("a byte count or None", lambda a: len(a) == 1 and _count(a[0], allow_none=True)),
    "latency": ("ms[, direction]", _amount_then_direction),
    "jitter": ("ms[, direction]", _amount_then_direction),
    "bandwidth": ("kbit/s or None[, direction]", lambda a: _amount_then_direction(a, bandwidth=True)),
    "preset": (f"a preset name ({', '.join(PRESETS)})", lambda a: len(a) == 1 and a[0] in PRESETS),
}


@dataclass(frozen=True, slots=True)
class Step:
    """One scheduled change: at ``at`` seconds from the start, do ``action(*args)``."""

    at: float
    action: str
    args: tuple[Any, ...]

    def apply(self, link: Controls) -> None:
        """Do it now."""
        a = self.args
        if self.action == "stall":
            link.stall(a[0])
        elif self.action == "drop":
            link.drop()
        elif self.action == "half_open":
            link.half_open(*a)
        elif self.action == "resume":
            link.resume()
        elif self.action == "limit":
            link.limit(a[0])
        elif self.action == "latency":
            link.set(latency_ms=a[0], direction=a[1] if len(a) > 1 else "both")
        elif self.action == "jitter":
            link.set(jitter_ms=a[0], direction=a[1] if len(a) > 1 else "both")
        elif self.action == "bandwidth":
            link.set(bandwidth_kbps=a[0], direction=a[1] if len(a) > 1 else "both")
        elif self.action == "preset":
            link.apply(a[0])


def parse(steps: Sequence[Sequence[Any]]) -> list[Step]:
    """Check a schedule and return its steps.

    Raises:
        ValueError: a step is not ``(seconds, action, *args)``, its action is
            unknown, its arguments do not fit, or steps are out of time order.
    """
    parsed: list[Step] = []
    for number, raw in enumerate(steps, 1):
        if isinstance(raw, str | bytes) or not isinstance(raw, Sequence) or len(raw) < 2:
            raise ValueError(f"step {number} must be (seconds, action, *args), not {raw!r}")
        at, action, *args = raw
        if not _number(at):
            raise ValueError(f"step {number}: the time must be seconds >= 0, not {at!r}")
        if action not in ACTIONS:
            raise ValueError(f"step {number}: unknown action {action!r}; known: {', '.join(ACTIONS)}")
        wants, check = ACTIONS[action]
        if not check(tuple(args)):
            raise ValueError(f"step {number}: {action!r} takes {wants}, not {tuple(args)!r}")
        if parsed and at < parsed[-1].at:
            raise ValueError(f"step {number} at {at} s comes before step {number - 1} at {parsed[-1].at} s")
        parsed.append(Step(float(at), action, tuple(args)))
    return parsed


async def run(link: Controls, steps: Sequence[Step]) -> None:
    """Apply ``steps`` at their times, counted from now."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    for step in steps:
        delay = start + step.at - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        step.apply(link)
