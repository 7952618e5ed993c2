"""Shared fixtures: every test leaves no wskit server, client or task behind."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator

import pytest

import wskit


@pytest.fixture(autouse=True)
async def _stop_everything() -> AsyncIterator[None]:
    yield
    await wskit.stop_all_async()


async def eventually(predicate: Callable[[], object], timeout: float = 3.0, step: float = 0.01) -> None:
    """Wait until ``predicate()`` is true, polling at most ``timeout / step`` times."""
    for _ in range(int(timeout / step)):
        if predicate():
            return
        await asyncio.sleep(step)
    raise AssertionError(f"condition not met within {timeout} s: {predicate}")


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Render local times in UTC, so that timestamps are exact."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
