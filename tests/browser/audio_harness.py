"""Chromium as a microphone and a speaker for the audio page tests.

Chromium's fake media devices stand in for the hardware: ``--use-fake-ui-for-media-stream``
grants the microphone without a prompt, ``--use-fake-device-for-media-stream`` with
``--use-file-for-fake-audio-capture=<wav>`` makes the microphone play that file in a loop,
and ``--autoplay-policy=no-user-gesture-required`` lets the page's AudioContext run before
anyone clicks. With no sound card, headless Chromium renders audio into its fake output
device in real time, so the page's playback worklet runs on the audio clock as it would on
speakers: the page's own counters and output meter are what the tests read.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import wskit
from tests.browser.conftest import CHROMIUM, FLAGS, artifact, require_browser
from wskit.audio import sine, write_wav

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

TONE_HZ = 440
TONE_AMPLITUDE = 0.5  # -6.02 dBFS peak


def tone_wav(path: Path, seconds: float = 10.0, sample_rate: int = 48_000) -> Path:
    """The microphone's input: a 440 Hz sine at -6 dBFS (Chromium loops the file)."""
    write_wav(path, sine(seconds, freq=TONE_HZ, sample_rate=sample_rate, amplitude=TONE_AMPLITUDE).samples, sample_rate)
    return path


def audio_flags(wav: Path, *extra: str) -> list[str]:
    return [
        *FLAGS,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav}",
        "--autoplay-policy=no-user-gesture-required",
        *extra,
    ]


@contextlib.asynccontextmanager
async def audio_browser(wav: Path, *extra: str) -> AsyncIterator[Browser]:
    """A headless Chromium whose microphone plays ``wav``."""
    require_browser()
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=audio_flags(wav, *extra), headless=True
        )
        try:
            yield chromium
        finally:
            await chromium.close()


async def open_page(browser: Browser, url: str, **context: Any) -> Page:
    """The audio page at ``url``, once its socket is open (page errors fail the test)."""
    page = await (await browser.new_context(**context)).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(url)
    try:
        await page.wait_for_function("window.wskitAudio && window.wskitAudio.stats().socket === 'open'", timeout=15_000)
    finally:
        assert not errors, errors
    return page


async def page_stats(page: Page) -> dict[str, Any]:
    stats: dict[str, Any] = await page.evaluate("window.wskitAudio.stats()")
    return stats


async def wait_for(page: Page, condition: str, timeout: float = 20.0) -> None:
    """Until ``condition`` (JS, with ``s`` the page's stats) holds."""
    await page.wait_for_function(
        f"(() => {{ const s = window.wskitAudio.stats(); return {condition}; }})()", timeout=timeout * 1000
    )


def report(name: str, facts: dict[str, Any]) -> None:
    """Numbers a test measured, kept in test-artifacts/ (and shown with pytest -s)."""
    artifact(f"{name}.json").write_text(json.dumps(facts, indent=2, default=str))
    print(f"{name}: {json.dumps(facts, default=str)}")


def audio_server(**params: Any) -> wskit.WebsocketServerTransport:
    return wskit.WebsocketServerTransport(wskit.WebsocketServerParams(html=wskit.AUDIO_PAGE, **params), port=0)
