"""What the README's audio page blocks print and do, with Chromium on the page the first one prints.

``tests/test_readme.py`` runs these blocks in the README's own kernel (the
second one with the ``browser`` directive); this test runs them in-process to
check their output and what the page itself counted: the chirp's stream
stats, the page playing it, and the echo coming back.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.audio_harness import audio_browser, open_page, page_stats, tone_wav, wait_for
from tests.browser.conftest import ROOT
from tests.conftest import eventually
from tests.readme_runner import blocks

pytestmark = [pytest.mark.browser, pytest.mark.timeout(90)]


def audio_page_blocks() -> tuple[str, str]:
    """The block that serves the page, and the one after it that needs a browser on it."""
    python = [b for b in blocks((ROOT / "README.md").read_text()) if b.lang == "python"]
    (i,) = [i for i, b in enumerate(python) if "browser" in b.directive]
    assert "html=wskit.AUDIO_PAGE" in python[i - 1].code
    return python[i - 1].code, python[i].code


async def run(block: str, namespace: dict[str, Any]) -> str:
    """One block with top-level await, as a notebook cell runs it; returns what it printed."""
    code = compile(block, "README.md", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = eval(code, namespace)
        if result is not None:
            await result
    return out.getvalue()


async def test_readme_audio_page_blocks(tmp_path: Path) -> None:
    first, second = audio_page_blocks()
    namespace: dict[str, Any] = {}
    printed = await run(first, namespace)
    (url,) = printed.split()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", url)
    async with audio_browser(tone_wav(tmp_path / "tone.wav")) as browser:
        page = await open_page(browser, url)
        await page.click("#start")
        rec, scope = namespace["rec"], namespace["scope"]
        await eventually(lambda: rec.stats.frames >= 50, timeout=20)
        printed = await run(second, namespace)
        assert printed.startswith("100 frames (2.00 s of audio")  # the chirp's StreamStats
        # the echo: the page now receives its own microphone back, after the chirp's 100 frames
        await wait_for(page, "s.framesReceived >= 150", timeout=20)
        stats = await page_stats(page)
    assert scope.stats.frames >= 50 and stats["errors"] == 0
    assert stats["playback"]["framesPlayed"] >= 100
