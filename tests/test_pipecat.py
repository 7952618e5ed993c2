"""Interop with a real Pipecat (pytest -m pipecat): its WebSocket transports and protobuf serializer.

Pipecat runs in its own venv (``./dev setup-pipecat`` makes ``.venv-pipecat``; the
version is pinned in tests/peers/pipecat.txt) as a subprocess on loopback, port 0.
Without that venv the tests skip locally and fail under CI (``CI`` set), so CI can
never pass without having checked the claim "wire-compatible with Pipecat".
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import pathlib
from collections.abc import AsyncIterator
from typing import IO, Any

import numpy as np
import pytest

import wskit
from tests.conftest import eventually
from wskit.audio import Recorder, chirp, sine, stream

pytestmark = [pytest.mark.pipecat, pytest.mark.timeout(60)]

ROOT = pathlib.Path(__file__).resolve().parent.parent
PEERS = ROOT / "tests" / "peers"


def pipecat_python() -> str:
    venv = pathlib.Path(os.environ.get("WSKIT_PIPECAT_VENV") or ".venv-pipecat")
    python = str((venv if venv.is_absolute() else ROOT / venv) / "bin" / "python")
    if not os.path.exists(python):
        reason = f"no Pipecat venv at {python}: run ./dev setup-pipecat"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI is set, so the Pipecat interop tests must run, not skip)")
        pytest.skip(reason)
    return python


class Peer:
    """A Pipecat script running as a subprocess; its stdout read line by line."""

    def __init__(self, process: asyncio.subprocess.Process, log: pathlib.Path) -> None:
        self.process = process
        self.log = log

    async def line(self, timeout: float = 30.0) -> str:
        assert self.process.stdout is not None
        raw = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        if not raw:
            raise AssertionError(f"the Pipecat peer exited; its log:\n{self.log.read_text()[-3000:]}")
        return raw.decode().strip()

    async def json_lines(self, until: str, timeout: float = 30.0) -> list[dict[str, Any]]:
        """Every JSON line until one has the key ``until`` (included)."""
        lines: list[dict[str, Any]] = []
        async with asyncio.timeout(timeout):
            while True:
                text = await self.line()
                if not text.startswith("{"):
                    continue
                lines.append(json.loads(text))
                if until in lines[-1]:
                    return lines


def _log_file(path: pathlib.Path) -> IO[bytes]:
    return open(path, "wb")


@contextlib.asynccontextmanager
async def peer(tmp_path: pathlib.Path, script: str, *args: str) -> AsyncIterator[Peer]:
    log = tmp_path / f"{script}.log"
    with _log_file(log) as err:
        process = await asyncio.create_subprocess_exec(
            pipecat_python(),
            str(PEERS / script),
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=err,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        yield Peer(process, log)
    finally:
        if process.stdin is not None:
            process.stdin.close()  # the peer exits when its stdin closes
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
            await process.wait()


async def test_wskit_client_with_pipecat_server(tmp_path: pathlib.Path) -> None:
    """Text, transcription, message, audio and interruption against Pipecat's own server transport."""
    async with peer(tmp_path, "pipecat_server.py") as server:
        port = int((await server.line()).removeprefix("PORT "))
        # Pipecat's server never strips WAV headers, so send bare PCM (its own server default)
        params = wskit.WebsocketClientParams(serializer=wskit.ProtobufFrameSerializer(), add_wav_header=False)
        client = wskit.WebsocketClientTransport(f"ws://127.0.0.1:{port}", params)
        frames = client.frames()
        rec = Recorder().attach(client)
        await client.start()

        async def next_message() -> Any:
            while True:
                frame = await frames.get(timeout=15)
                if isinstance(frame, wskit.MessageFrame):
                    return frame.data

        await client.send(wskit.TextFrame("hello pipecat"))
        assert await next_message() == {"text": "hello pipecat"}
        await client.send(wskit.MessageFrame({"hi": [1, 2.5, None, "ü"]}))
        assert await next_message() == {"echo": {"hi": [1, 2.5, None, "ü"]}}
        await client.send(wskit.TranscriptionFrame("good morning", "user-7", "2026-01-01T00:00:00Z"))
        expected = {"transcription": "good morning", "user_id": "user-7", "timestamp": "2026-01-01T00:00:00Z"}
        assert await next_message() == expected

        source = chirp(0.4, sample_rate=16000)  # 10 × 40 ms: Pipecat re-chunks its output into 40 ms pieces
        stats = await stream(source, client, frame_ms=20)
        assert stats.frames_sent == 20
        await eventually(lambda: len(rec.to_numpy()) >= source.num_frames, timeout=15)
        np.testing.assert_array_equal(rec.to_numpy(), source.samples)
        assert rec.sample_rate == 16000 and rec.stats.frames == 10

        await client.send(wskit.TextFrame("interrupt"))
        assert await next_message() == {"text": "interrupt"}
        while not isinstance(await frames.get(timeout=15), wskit.InterruptionFrame):
            pass
        await client.stop()


async def test_pipecat_client_with_wskit_server(tmp_path: pathlib.Path) -> None:
    """Pipecat's own client transport (WAV headers on, its default) against a wskit server."""
    server = wskit.WebsocketServerTransport(
        wskit.WebsocketServerParams(serializer=wskit.ProtobufFrameSerializer()), port=0
    )
    rec = Recorder().attach(server)
    received: list[wskit.Frame] = []

    @server.event_handler("on_frame")
    async def reply(_transport: Any, conn: wskit.Connection, frame: wskit.Frame) -> None:
        received.append(frame)
        if isinstance(frame, wskit.MessageFrame):
            await conn.send(wskit.MessageFrame({"echo": frame.data}))
            await conn.send(wskit.TextFrame("text from wskit"))
            await conn.send(wskit.TranscriptionFrame("transcribed by wskit", "user-1", "2026"))
        elif isinstance(frame, wskit.AudioFrame):
            await conn.send(frame)
            if sum(isinstance(f, wskit.AudioFrame) for f in received) == 10:
                # last: an interruption makes Pipecat's output transport drop the audio it still holds
                await conn.send(wskit.InterruptionFrame())

    await server.start()
    async with peer(tmp_path, "pipecat_client.py", server.url) as client:
        lines = await client.json_lines(until="done", timeout=40)
    got = {line["got"]: line for line in lines if "got" in line}
    sent = base64.b64decode(next(line["sent_audio"] for line in lines if "sent_audio" in line))

    # what wskit received: Pipecat's message, and its audio with the WAV headers stripped
    assert any(isinstance(f, wskit.MessageFrame) and f.data == {"hello": "wskit", "n": [1, 2, 3]} for f in received)
    assert rec.to_numpy().tobytes() == sent and rec.sample_rate == 16000
    assert rec.stats.frames == 10  # Pipecat's client sends 40 ms chunks
    # what Pipecat received from wskit
    assert got["message"]["message"] == {"echo": {"hello": "wskit", "n": [1, 2, 3]}}
    assert got["text"]["text"] == "text from wskit"
    assert (got["transcription"]["text"], got["transcription"]["user_id"]) == ("transcribed by wskit", "user-1")
    assert "interruption" in got
    assert base64.b64decode(got["all_audio"]["audio"]) == sent
    assert got["audio"]["sample_rate"] == 16000


async def test_telephony_serializer_with_pipecat_twilio_bot(tmp_path: pathlib.Path) -> None:
    """wskit plays Twilio (TelephonySerializer) to a Pipecat bot using Pipecat's TwilioFrameSerializer."""
    async with peer(tmp_path, "pipecat_server.py", "--serializer", "twilio") as server:
        port = int((await server.line()).removeprefix("PORT "))
        telephony = wskit.TelephonySerializer("MZwskit")  # 16 kHz on wskit's side, 8 kHz μ-law on the wire
        params = wskit.WebsocketClientParams(serializer=telephony, add_wav_header=False)
        client = wskit.WebsocketClientTransport(f"ws://127.0.0.1:{port}", params)
        frames = client.frames()
        rec = Recorder().attach(client)
        await client.start()
        await client.send(wskit.MessageFrame({"event": "connected", "protocol": "Call", "version": "1.0.0"}))

        tone = sine(0.8, freq=1000, sample_rate=16000, amplitude=0.4)
        await stream(tone, client, frame_ms=20)
        await eventually(lambda: rec.stats.seconds >= 0.6, timeout=15)
        assert rec.sample_rate == 16000 and rec.num_channels == 1
        # μ-law and two resamplers each way: not sample-exact, but the same tone at the same level
        echoed = rec.to_numpy()[:, 0].astype(float)
        middle = echoed[len(echoed) // 4 : 3 * len(echoed) // 4]
        spectrum = np.abs(np.fft.rfft(middle * np.hanning(len(middle))))
        peak_hz = np.argmax(spectrum) * 16000 / len(middle)
        assert abs(peak_hz - 1000) < 30
        level_db = 20 * np.log10(np.sqrt(np.mean(middle**2)) / (0.4 * 32768 / np.sqrt(2)))
        assert abs(level_db) < 1.0

        # a DTMF key: the bot interrupts, which Pipecat sends as Twilio's "clear"
        await client.send(wskit.MessageFrame({"event": "dtmf", "streamSid": "MZwskit", "dtmf": {"digit": "5"}}))
        while not isinstance(await frames.get(timeout=15), wskit.InterruptionFrame):
            pass
        await client.stop()
