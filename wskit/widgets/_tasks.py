"""Running a panel's coroutine from a synchronous widget callback."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from .. import runtime

__all__ = ["schedule"]


def schedule(
    coro: Coroutine[Any, Any, Any], on_error: Callable[[BaseException], object], name: str = "wskit.widgets"
) -> asyncio.Task[Any] | None:
    """Run ``coro`` for a widget callback: in the background on the running loop
    (a notebook, a test), held and with failures sent to ``on_error``; with no
    loop running, to completion now."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass  # no loop: run it now, below (outside this handler, so tracebacks stay clean)
    else:
        return runtime.spawn(coro, name=name, on_error=on_error)
    try:
        runtime.run_sync(coro)
    except Exception as exc:
        on_error(exc)
    return None
