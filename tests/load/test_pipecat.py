"""A distributed run against Pipecat's own server transport: the echo bot of notebook 7, protobuf frames.

Pipecat's ``SingleClientWebsocketServerTransport`` takes one client at a time
(a second gets 1013), so two bots run, one per user class, and each of the two
worker processes streams to one of them. The bot re-chunks the audio it sends
into 40 ms pieces (``audio_out_10ms_chunks=4``) and holds back a piece until
it is full, so the callers send 40 ms frames: with 20 ms ones, an odd count
leaves the last frame in the bot's buffer when the stream ends (measured: 1 of
91 frames "lost" in a 3 s run).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO

import pytest

from tests.test_pipecat import ROOT, pipecat_python

from .runs import free_port, run_load

pytestmark = [pytest.mark.pipecat, pytest.mark.timeout(60)]


def _log(path: Path) -> IO[bytes]:
    return open(path, "wb")


def _tail(path: Path) -> str:
    return path.read_text()[-2000:]


@contextlib.asynccontextmanager
async def echo_bot(log: Path) -> AsyncIterator[str]:
    """notebooks/pipecat_echo_bot.py on a free port, until the block ends (its stdin closes)."""
    port = free_port()
    with _log(log) as err:
        process = await asyncio.create_subprocess_exec(
            pipecat_python(),
            str(ROOT / "notebooks" / "pipecat_echo_bot.py"),
            "--port",
            str(port),
            "--lifetime",
            "50",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=err,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        assert line.decode().strip() == f"READY {port}", _tail(log)
        yield f"ws://127.0.0.1:{port}/"
    finally:
        assert process.stdin is not None
        process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
            await process.wait()


async def test_against_two_pipecat_echo_bots(tmp_path: Path) -> None:
    async with contextlib.AsyncExitStack() as stack:
        # both bots start at once (Pipecat takes a few seconds to import)
        one, two = await asyncio.gather(
            stack.enter_async_context(echo_bot(tmp_path / "bot1.log")),
            stack.enter_async_context(echo_bot(tmp_path / "bot2.log")),
        )
        locustfile = tmp_path / "bots.py"
        locustfile.write_text(
            "from wskit.load import AudioStreamUser\n\n\n"
            f"class FirstBot(AudioStreamUser):\n    url = {one!r}\n    fixed_count = 1\n\n\n"
            f"class SecondBot(AudioStreamUser):\n    url = {two!r}\n    fixed_count = 1\n"
        )
        args = ["--users", "2", "--spawn-rate", "2", "--run-time", "2s", "--workers", "2", "-f", str(locustfile)]
        run = await run_load(
            one, *args, "--serializer", "protobuf", "--frame-ms", "40", "--max-lost", "0", report_dir=tmp_path / "r"
        )
    assert run.code == 0, run.output
    assert not run.leftovers, run.output
    report = run.report
    s = report["summary"]
    assert s["sent"] == s["received"] > 0, s
    assert (s["lost"], s["duplicated"], s["reordered"], s["foreign"], s["failures"]) == (0, 0, 0, 0, 0), s
    assert s["streams"] == 2
    workers = report["workers"]
    assert sorted(workers) == ["worker 0", "worker 1"], workers
    assert all(w["streams"] == 1 and w["sent"] == w["received"] > 0 for w in workers.values()), workers
    assert report["settings"]["serializer"] == "protobuf"
