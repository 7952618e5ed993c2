"""The event loop a command runs on: uvloop when it is installed, else asyncio's.

A script may choose its loop (a notebook kernel may not: it already runs
one). uvloop is optional, never a dependency: ``pip install uvloop`` to use it.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable, Coroutine
from typing import Any, Literal

__all__ = ["LoopChoice", "loop_factory", "run"]

LoopChoice = Literal["auto", "asyncio", "uvloop"]


def loop_factory(choice: LoopChoice = "auto") -> tuple[str, Callable[[], asyncio.AbstractEventLoop] | None]:
    """``(name, factory)`` for ``choice``; ``factory`` is ``None`` for asyncio's default loop.

    Raises:
        SystemExit: ``"uvloop"`` was asked for and is not installed.
    """
    if choice == "asyncio":
        return "asyncio", None
    try:
        uvloop = importlib.import_module("uvloop")
    except ImportError:
        if choice == "uvloop":
            raise SystemExit("wskit: --loop uvloop needs uvloop (pip install uvloop)") from None
        return "asyncio", None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return "uvloop", factory


def run(main: Callable[[str], Coroutine[Any, Any, int]], choice: LoopChoice = "auto") -> int:
    """Run ``main(loop_name)`` to completion on the chosen loop; returns its exit code."""
    name, factory = loop_factory(choice)
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main(name))
