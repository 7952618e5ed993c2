"""The audio page as a microphone client for a real Pipecat bot (notebook 7's echo bot).

The page comes from a wskit server's port; its socket goes to the bot (``?ws=ws://…``),
speaking Pipecat's protobuf frames. The bot echoes the microphone and the page plays the echo.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO

import pytest

import wskit
from tests.browser.audio_harness import audio_browser, audio_server, open_page, page_stats, report, tone_wav, wait_for
from tests.browser.conftest import artifact
from tests.test_pipecat import pipecat_python

pytestmark = [pytest.mark.browser, pytest.mark.pipecat, pytest.mark.timeout(120)]

BOT = Path(__file__).resolve().parents[2] / "notebooks" / "pipecat_echo_bot.py"


def _log_file(path: Path) -> IO[bytes]:
    return open(path, "wb")


def _tail(path: Path) -> str:
    return path.read_text()[-3000:]


@contextlib.asynccontextmanager
async def echo_bot(log: Path) -> AsyncIterator[int]:
    """notebooks/pipecat_echo_bot.py on a free loopback port; yields the port once it is READY."""
    python = pipecat_python()  # skips without .venv-pipecat (fails under CI)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with _log_file(log) as err:
        bot = await asyncio.create_subprocess_exec(
            python,
            str(BOT),
            "--port",
            str(port),
            "--lifetime",
            "100",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=err,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        assert bot.stdout is not None
        line = await asyncio.wait_for(bot.stdout.readline(), 60)
        assert line.decode().strip() == f"READY {port}", _tail(log)
        yield port
    finally:
        if bot.stdin is not None:
            bot.stdin.close()  # the bot exits when its stdin closes
        try:
            await asyncio.wait_for(bot.wait(), 10)
        except TimeoutError:
            bot.kill()
            await bot.wait()


async def test_the_page_drives_the_pipecat_echo_bot(tmp_path: Path) -> None:
    pages = audio_server()  # serves the page; the audio goes to the bot
    await pages.start()
    async with echo_bot(tmp_path / "bot.log") as port, audio_browser(tone_wav(tmp_path / "tone.wav")) as browser:
        url = wskit.AUDIO_PAGE.url(pages, format="protobuf", ws=f"ws://127.0.0.1:{port}/", echo_cancellation=0)
        page = await open_page(browser, url)
        await page.click("#start")
        await wait_for(page, "s.playback.framesPlayed >= 50", timeout=30)  # 50 of the bot's 40 ms pieces: 2 s
        stats = await page_stats(page)
        await page.screenshot(path=artifact("audio_page_pipecat.png"), full_page=True)

    playback = stats["playback"]
    assert stats["url"] == f"ws://127.0.0.1:{port}/"
    assert stats["errors"] == 0 and stats["framesRejected"] == 0
    assert stats["framesSent"] >= 100
    # the microphone's tone, echoed: the output meter's latest window, in steady state (the loudest
    # window can hold the tone's onset, a step the resamplers ring on: up to +0.6 dB seen)
    assert playback["peakDbfs"] == pytest.approx(-6.02, abs=0.5)
    report(
        "audio_page_pipecat",
        {
            "frames_sent": stats["framesSent"],
            "echo_frames_received": stats["framesReceived"],
            "echo_frames_played": playback["framesPlayed"],
            "underruns": playback["underruns"],
            "overflow_frames": playback["overflowFrames"],
            "output_peak_dbfs": round(playback["peakDbfs"], 2),
            "loudest_output_peak_dbfs": round(playback["loudestPeakDbfs"], 2),
        },
    )
