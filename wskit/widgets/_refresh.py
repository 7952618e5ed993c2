"""Throttled, coalesced redraws for widgets fed by events.

An event subscriber only calls :meth:`Refresher.request` (a flag check when a
redraw is already scheduled), so the data path never waits for drawing. One
background task per widget then redraws at most ``hz`` times a second, under
``hold_sync`` so a redraw is one burst of comm messages. With no event loop
running (a plain script), a request redraws at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from .. import runtime

__all__ = ["Refresher"]

logger = logging.getLogger("wskit")


class Refresher:
    """Call ``render()`` at most ``hz`` times a second, after a :meth:`request`.

    Args:
        render: draws the widget; its failure goes to ``on_error``.
        hz: the most redraws per second.
        on_error: told about a failed redraw (the widget shows it).
    """

    def __init__(
        self, render: Callable[[], None], hz: float = 15.0, on_error: Callable[[BaseException], object] | None = None
    ) -> None:
        if hz <= 0:
            raise ValueError("hz must be positive")
        self._render = render
        self.interval = 1.0 / hz
        self._on_error = on_error
        self._task: asyncio.Task[None] | None = None
        self._last = 0.0
        self.renders = 0  #: redraws so far

    def request(self) -> None:
        """Ask for a redraw; requests before it happens are merged into one."""
        if self._task is not None:
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        self._task = runtime.spawn(self._later(), name="wskit.widgets.refresh", on_error=self._failed)

    async def _later(self) -> None:
        try:
            delay = self._last + self.interval - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        finally:
            self._task = None
        self.flush()

    def flush(self) -> None:
        """Redraw now."""
        self._last = time.monotonic()
        self.renders += 1
        try:
            self._render()
        except Exception as exc:
            self._failed(exc)

    def _failed(self, exc: BaseException) -> None:
        if self._on_error is not None:
            self._on_error(exc)
        else:
            logger.error("widget redraw failed", exc_info=exc)

    def close(self) -> None:
        """Cancel a pending redraw."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
