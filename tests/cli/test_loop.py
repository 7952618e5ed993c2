"""The commands' event loop: uvloop when installed, asyncio's otherwise, or as asked."""

from __future__ import annotations

import asyncio
import importlib.util
import sys

import pytest

from wskit.cli import _loop as loop

HAS_UVLOOP = importlib.util.find_spec("uvloop") is not None


def test_asyncio_when_asked() -> None:
    assert loop.loop_factory("asyncio") == ("asyncio", None)


def test_auto_picks_uvloop_only_when_installed() -> None:
    name, factory = loop.loop_factory("auto")
    assert name == ("uvloop" if HAS_UVLOOP else "asyncio")
    assert (factory is None) is (not HAS_UVLOOP)


@pytest.fixture
def without_uvloop(monkeypatch: pytest.MonkeyPatch) -> None:
    """uvloop made unimportable (``./dev`` always installs it): the path users without it take."""
    monkeypatch.setitem(sys.modules, "uvloop", None)  # None in sys.modules: import raises ImportError


def test_asking_for_a_missing_uvloop_says_how_to_get_it(without_uvloop: None) -> None:
    with pytest.raises(SystemExit, match="pip install uvloop"):
        loop.loop_factory("uvloop")


def test_auto_without_uvloop_is_asyncio(without_uvloop: None) -> None:
    assert loop.loop_factory("auto") == ("asyncio", None)


def test_run_returns_the_exit_code_and_names_the_loop() -> None:
    async def main(name: str) -> int:
        assert asyncio.get_running_loop() is not None
        return 7 if name == "asyncio" else 8

    assert loop.run(main, "asyncio") == 7
