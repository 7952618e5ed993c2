"""Notebook 10 with a browser at the other end: Chromium opens the page the notebook prints and
presses Start microphone, while the notebook runs in a real kernel; the live cells then show
what their prose says (the tone arrives, the echo goes back, the chirp and the WAV file play)."""

from __future__ import annotations

import asyncio
import re
import socket
import urllib.request
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.browser.audio_harness import TONE_HZ, audio_browser, open_page, page_stats, tone_wav
from tests.browser.conftest import ROOT, artifact
from tests.test_notebooks import _text

pytestmark = [
    pytest.mark.browser,
    pytest.mark.timeout(180),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]

NOTEBOOK = ROOT / "notebooks" / "10_browser_audio.ipynb"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def page_is_served(url: str, timeout: float = 60.0) -> None:
    """Until the notebook's server answers ``url`` (its kernel takes a few seconds to start)."""

    def get() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    for _ in range(round(timeout / 0.2)):
        if await asyncio.to_thread(get):
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"the notebook's server did not answer {url} within {timeout:g} s")


async def test_notebook_with_a_browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()
    monkeypatch.setenv("WSKIT_AUDIO_PORT", str(port))
    monkeypatch.setenv("WSKIT_BROWSER_WAIT", "45")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        notebook, timeout=90, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    )
    running = asyncio.ensure_future(client.async_execute())
    url = f"http://127.0.0.1:{port}/"
    async with audio_browser(tone_wav(tmp_path / "tone.wav")) as browser:
        await page_is_served(url)
        page = await open_page(browser, url + "?echo_cancellation=0")
        await page.click("#start")
        await asyncio.wait_for(running, 150)  # the notebook's cells run while the page streams and plays
        stats = await page_stats(page)
        await page.screenshot(path=artifact("audio_notebook_page.png"), full_page=True)

    assert not [o for c in notebook.cells for o in c.get("outputs", []) if o.get("name") == "stderr"]
    assert not [o for c in notebook.cells for o in c.get("outputs", []) if o.output_type == "error"]
    outputs = [_text(cell) for cell in notebook.cells if cell.cell_type == "code"]
    lines = "\n".join(outputs).splitlines()
    assert f"open {url} in a browser on this machine" in lines
    assert any(line.startswith("a browser connected: ") for line in lines)
    (recorder,) = [line for line in lines if line.startswith("recorder: ")]
    frames = int(re.match(r"recorder: (\d+) frames, (\d+\.\d+) s", recorder).group(1))  # type: ignore[union-attr]
    assert frames >= 150  # three seconds at 50 frames/s
    (scope,) = [line for line in lines if line.startswith("scope: ")]
    match = re.fullmatch(r"scope: \d+ frames, peak (-?\d+\.\d) dBFS, strongest (\d+) Hz, \d+ gaps", scope)
    assert match is not None
    # a -6 dBFS tone; the window holds its onset too, where the resampler's filter rings (a step
    # from silence overshoots by up to ~9 %, +0.8 dB)
    assert -6.5 <= float(match.group(1)) <= -5.0
    assert abs(int(match.group(2)) - TONE_HZ) <= 16_000 / 512
    assert any(re.fullmatch(r"saved .*voice\.wav \(\d+ bytes\)", line) for line in lines)
    (echoed,) = [line for line in lines if line.startswith("echoed ")]
    echo_count = int(echoed.split()[1])
    assert 115 <= echo_count <= 135  # 2.5 s of the 3: the last 0.5 s is still waiting
    assert echoed.endswith(f"each 0.5 s after it arrived ({echo_count * 0.02:.1f} s of audio:")
    assert any(line.startswith("chirp: 100 frames") for line in lines)
    assert any(line.startswith("keypad: 46 frames") for line in lines)
    assert not any("skipped" in line for line in lines)
    # the page played the echo, the chirp and the keypad tones it was sent
    assert stats["framesReceived"] >= echo_count + 146
    assert stats["playback"]["framesPlayed"] >= echo_count + 100
    assert stats["errors"] == 0
