"""Real-browser fixtures: Debian's Chromium driven by Playwright, never a downloaded browser.

Chromium comes from the system (``apt-get install chromium``; ``.ci/run``
installs it) and Playwright launches it through ``executable_path``, so
``playwright install`` is never needed. Without Chromium or Playwright the
browser tests skip with the reason, except when ``CI`` is set: there a
missing browser is a failure, not a silent skip.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser.lab_harness import Lab, copy_notebooks, lab_server

if TYPE_CHECKING:
    from playwright.async_api import Browser

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("WSKIT_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = ROOT / "test-artifacts"  # screenshots land here (gitignored)
# No sandbox (root in a container), no GPU (headless VM), and none of Chromium's own
# network chatter: the tests talk to loopback only.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def missing() -> str | None:
    """Why a real browser cannot run here, or ``None`` when it can."""
    if not CHROMIUM.exists():
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set WSKIT_CHROMIUM)"
    if importlib.util.find_spec("playwright") is None:
        return "Playwright's Python package is not installed (pip install -e '.[test]')"
    return None


def require_browser() -> None:
    """Skip (locally) or fail (``CI`` set) when there is no browser to drive."""
    reason = missing()
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI needs the real-browser tests: {reason}", pytrace=False)
    pytest.skip(reason)


def artifact(name: str) -> Path:
    """A path under ``test-artifacts/`` for a screenshot or similar."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """A headless Chromium for one test."""
    require_browser()
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """One JupyterLab for the whole session, serving a copy of the demo notebooks."""
    require_browser()
    base = tmp_path_factory.mktemp("lab")
    with lab_server(copy_notebooks(base / "notebooks"), base / "jupyter") as running:
        yield running
