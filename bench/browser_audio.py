#!/usr/bin/env python3
"""The audio page in Chromium against a wskit server and a raw websockets server, in one run.

Each setup runs one full-duplex session: the page's microphone (Chromium's fake device playing
a 440 Hz tone) streams 16 kHz / 20 ms frames to the server while the server streams a 1 kHz
sine back to the page for the same length of time. Both use Pipecat's protobuf frames (the page
with ``?format=protobuf&stamp=1``), so every captured frame carries the moment the capture
worklet completed it (``pts``, on the page's clock).

Measured, for each setup:

- **capture → server latency**: server arrival time minus the frame's ``pts``, moved onto the
  server's clock by a timestamp echo (the server sends ``{"type": "clock", "server": t0}`` every
  half second, the page answers at once with its own ``Date.now()``, and the reply with the
  shortest round trip gives the offset between the clocks, within half that round trip);
- **server arrival jitter**: ``|interval − 20 ms|`` between captured frames, as ``Recorder`` measures it;
- **page arrival jitter** and **playback buffer depth** (the page's own counters, sampled every
  50 ms of audio), underruns and late frames of the server's stream.

The wskit setup is ``WebsocketServerTransport`` with ``ProtobufFrameSerializer``, an ``on_frame``
handler and ``wskit.audio.stream``; the raw one is ``websockets.asyncio.server.serve`` with the same
serializer called by hand and the same absolute-deadline send loop. The page is served by the
wskit server in both cases; for the raw setup its socket goes to the raw server (``?ws=``).

Usage::

    .venv/bin/python bench/browser_audio.py            # 60 s per setup, about 2.5 minutes
    .venv/bin/python bench/browser_audio.py --quick    # 10 s per setup, about 40 s

Needs Chromium (``/usr/bin/chromium`` or ``WSKIT_CHROMIUM``) and Playwright's Python package.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import websockets
from websockets.asyncio.server import ServerConnection, serve

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import describe

import wskit
from wskit.audio import sine, stream, write_wav

CHROMIUM = os.environ.get("WSKIT_CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]
FRAME_S = 0.020


def now_ms() -> float:
    """The server's clock (wall time, so a page on another machine could be compared too)."""
    return time.time() * 1000


@dataclass
class Session:
    """What the server side of one setup saw."""

    latencies_ms: list[float] = field(default_factory=list)
    arrivals: list[float] = field(default_factory=list)
    best_rtt_ms: float = float("inf")
    offset_ms: float = 0.0  # page clock minus server clock
    pending: list[tuple[float, float]] = field(default_factory=list)  # (arrival, pts) before the first echo
    measuring: bool = False  # frames count from the end of the warm-up (the microphone starting)

    def clock_reply(self, data: dict[str, Any]) -> None:
        received = now_ms()
        rtt = received - float(data["server"])
        if rtt < self.best_rtt_ms:
            self.best_rtt_ms = rtt
            self.offset_ms = float(data["page"]) - (float(data["server"]) + received) / 2

    def audio(self, frame: wskit.AudioFrame) -> None:
        if not self.measuring:
            return
        arrival = now_ms()
        self.arrivals.append(time.monotonic())
        if frame.pts is not None:
            self.pending.append((arrival, frame.pts / 1e6))

    def finish(self) -> None:
        """Latencies once the offset is known from every echo (frames before the first echo included)."""
        self.latencies_ms = [arrival - (pts - self.offset_ms) for arrival, pts in self.pending]

    def jitter_ms(self) -> np.ndarray[Any, Any]:
        intervals = np.diff(np.asarray(self.arrivals))
        return np.abs(intervals - FRAME_S) * 1000


async def clock_pings(send: Any, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        await send(wskit.MessageFrame({"type": "clock", "server": now_ms()}))
        await asyncio.sleep(0.5)


async def wskit_session(pages: wskit.WebsocketServerTransport, seconds: float, run_page: Any) -> tuple[Session, Any]:
    server = wskit.WebsocketServerTransport(
        wskit.WebsocketServerParams(serializer=wskit.ProtobufFrameSerializer(), audio_in_enabled=True), port=0
    )
    session = Session()

    @server.event_handler("on_frame")
    def on_frame(transport: Any, conn: wskit.Connection, frame: wskit.Frame) -> None:
        if isinstance(frame, wskit.AudioFrame):
            session.audio(frame)
        elif (
            isinstance(frame, wskit.MessageFrame) and isinstance(frame.data, dict) and frame.data.get("type") == "clock"
        ):
            session.clock_reply(frame.data)

    connected = asyncio.Event()
    server.add_event_handler("on_client_connected", lambda transport, conn: connected.set())
    await server.start()

    async def serve_session() -> None:
        await connected.wait()
        conn = server.clients[0]
        await asyncio.sleep(1.0)  # the microphone starts
        session.measuring = True
        await asyncio.gather(
            clock_pings(conn.send, seconds), stream(sine(seconds, freq=1000, sample_rate=16000), conn, frame_ms=20)
        )

    page_stats = await run_page(server.url, serve_session())
    await server.stop()
    session.finish()
    return session, page_stats


async def raw_session(pages: wskit.WebsocketServerTransport, seconds: float, run_page: Any) -> tuple[Session, Any]:
    serializer = wskit.ProtobufFrameSerializer()
    session = Session()
    connected: asyncio.Queue[ServerConnection] = asyncio.Queue()

    async def handler(ws: ServerConnection) -> None:
        connected.put_nowait(ws)
        async for message in ws:
            frame = serializer.deserialize(message)
            if isinstance(frame, wskit.AudioFrame):
                session.audio(frame)
            elif isinstance(frame, wskit.MessageFrame) and isinstance(frame.data, dict):
                session.clock_reply(frame.data)

    async with serve(handler, "127.0.0.1", 0, compression=None) as raw:
        port = next(iter(raw.sockets)).getsockname()[1]

        async def send(frame: wskit.Frame) -> None:
            data = serializer.serialize(frame)
            assert data is not None
            await ws.send(data)

        async def paced() -> None:  # the same absolute deadlines as wskit.audio.stream
            start = time.monotonic()
            for i, frame in enumerate(sine(seconds, freq=1000, sample_rate=16000).frames(20)):
                delay = start + i * FRAME_S - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                await send(frame)

        async def serve_session() -> None:
            nonlocal ws
            ws = await connected.get()
            await asyncio.sleep(1.0)  # the microphone starts
            session.measuring = True
            await asyncio.gather(clock_pings(send, seconds), paced())

        ws: Any = None
        page_stats = await run_page(f"ws://127.0.0.1:{port}/", serve_session())
    session.finish()
    return session, page_stats


def pct(values: Any, p: float) -> float:
    array = np.asarray(values, dtype=float)
    return float(np.percentile(array, p)) if array.size else float("nan")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="10 s per setup instead of 60 s")
    parser.add_argument("--seconds", type=float, help="seconds per setup")
    args = parser.parse_args()
    seconds = args.seconds or (10.0 if args.quick else 60.0)
    from playwright.async_api import async_playwright

    print(f"# bench/browser_audio.py: {seconds:g} s per setup")
    for line in describe(f"websockets {websockets.__version__}", f"Chromium ({CHROMIUM})", "default asyncio loop"):
        print(f"# {line}")
    workdir = Path(tempfile.mkdtemp(prefix="wskit-bench-"))
    tone = workdir / "tone.wav"
    write_wav(tone, sine(10.0, freq=440, sample_rate=48000, amplitude=0.5).samples, 48000)
    pages = wskit.WebsocketServerTransport(wskit.WebsocketServerParams(html=wskit.AUDIO_PAGE), port=0)
    await pages.start()

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*FLAGS, f"--use-file-for-fake-audio-capture={tone}"], headless=True
        )

        async def run_page(socket_url: str, serving: Any) -> Any:
            page = await browser.new_page()
            url = wskit.AUDIO_PAGE.url(pages, format="protobuf", stamp=1, ws=socket_url, echo_cancellation=0)
            await page.goto(url)
            await page.wait_for_function("window.wskitAudio && window.wskitAudio.stats().socket === 'open'")
            await page.click("#start")
            await serving
            await asyncio.sleep(0.5)  # the last frames play out
            stats = await page.evaluate("window.wskitAudio.stats()")
            await page.close()
            return stats

        results = {}
        for name, run in (("raw websockets", raw_session), ("wskit", wskit_session)):
            started = time.monotonic()
            results[name] = await run(pages, seconds, run_page)
            print(f"# {name}: {time.monotonic() - started:.1f} s")
        await browser.close()
    await pages.stop()

    rows: list[tuple[str, float, float]] = []
    for label, key in (
        ("capture → server latency p50 (ms)", lambda s, p: pct(s.latencies_ms, 50)),
        ("capture → server latency p99 (ms)", lambda s, p: pct(s.latencies_ms, 99)),
        ("server arrival jitter p50 (ms)", lambda s, p: pct(s.jitter_ms(), 50)),
        ("server arrival jitter p99 (ms)", lambda s, p: pct(s.jitter_ms(), 99)),
        ("page arrival jitter p50 (ms)", lambda s, p: p["arrivalJitterP50Ms"]),
        ("page arrival jitter p99 (ms)", lambda s, p: p["arrivalJitterP99Ms"]),
        ("page buffer depth p50 (ms, target 60)", lambda s, p: p["depthP50Ms"]),
        ("page buffer depth p99 (ms)", lambda s, p: p["depthP99Ms"]),
        ("page underruns", lambda s, p: p["playback"]["underruns"]),
        ("page late frames", lambda s, p: p["playback"]["lateFrames"]),
        ("page overflow frames", lambda s, p: p["playback"]["overflowFrames"]),
        ("frames captured (server)", lambda s, p: len(s.arrivals)),
        ("frames played (page)", lambda s, p: p["playback"]["framesPlayed"]),
        ("clock echo: best round trip (ms)", lambda s, p: s.best_rtt_ms),
        ("clock offset page − server (ms)", lambda s, p: s.offset_ms),
    ):
        raw_value = float(key(*results["raw websockets"]))
        wskit_value = float(key(*results["wskit"]))
        rows.append((label, raw_value, wskit_value))
    print()
    print("| metric | raw websockets | wskit | wskit/raw |")
    print("| --- | ---: | ---: | ---: |")
    for label, raw_value, wskit_value in rows:
        ratio = f"{wskit_value / raw_value:.2f}" if raw_value and "offset" not in label else "–"
        shown = [
            f"{v:.0f}" if label.startswith(("frames", "page underruns", "page late", "page overflow")) else f"{v:.2f}"
            for v in (raw_value, wskit_value)
        ]
        print(f"| {label} | {shown[0]} | {shown[1]} | {ratio} |")


if __name__ == "__main__":
    if not os.path.exists(CHROMIUM):
        sys.exit(f"bench/browser_audio.py needs Chromium at {CHROMIUM} (apt-get install chromium)")
    asyncio.run(main())
