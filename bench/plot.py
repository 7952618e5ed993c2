#!/usr/bin/env python3
"""The live audio scope's cost: per render, and beside a real-time stream.

Two parts, in one process and one run:

1. **Render cost.** An ``AudioScope`` holding 2 s of a 16 kHz tone gets one
   more 20 ms frame and renders, again and again; the table gives the kernel
   time per rendered image (median, p90), waveform only and with the
   spectrogram. The reference is the naive way on the same figure: a full
   ``canvas.draw()`` and JPEG per image.
2. **Beside a stream.** A client streams 16 kHz mono PCM in 20 ms frames
   (50 frames/s, paced on absolute deadlines) to a server on 127.0.0.1 in
   the same asyncio loop, as a notebook talking to itself does. A monitor
   task measures the loop's lag (how late a 5 ms sleep wakes up: p50, p99).
   Setups, back to back in rotated order each round:

   * ``raw``         websockets ``serve`` + ``connect``, the server counting frames;
   * ``wskit``       wskit's transports, the server counting ``on_frame`` calls;
   * ``wskit+scope`` the same with an ``AudioScope`` (spectrogram on, 20 fps)
                     attached to the server.

   Frames accepted by the scope must equal frames that arrived: the scope may
   skip renders, never data. CPU is the process's CPU time over the stream.
   "render ms" is the time a render holds the loop (drawing; the JPEG
   encoding runs in a worker thread).

Usage::

    .venv/bin/python bench/plot.py            # full: 3 rounds of 8 s streams, about 90 s
    .venv/bin/python bench/plot.py --quick    # 1 round of 4 s streams, about 20 s
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import _machine  # bench/_machine.py, beside this script
import matplotlib
import numpy as np
import websockets
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve

import wskit
from wskit.plot import AudioScope
from wskit.plot._draw import encode

RATE = 16_000
FRAME = 320  # 20 ms at 16 kHz
HOST = "127.0.0.1"
SETUPS = ("raw", "wskit", "wskit+scope")


def tone(seconds: float, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    return (0.5 * 32767 * np.sin(2 * np.pi * freq * t)).astype(np.int16)


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


# -- 1. render cost ---------------------------------------------------------------


def render_cost(spectrogram: bool, renders: int) -> tuple[list[float], list[float]]:
    """Milliseconds per render: the scope's blitting render, and a full redraw of the same figure."""
    scope = AudioScope(sample_rate=RATE, spectrogram=spectrogram)
    signal = tone(2.0 + renders * 0.02)
    scope.push(signal[: 2 * RATE], at=0.0)
    scope.render()  # build the figure
    blit, full = [], []
    for i in range(renders):
        start = 2 * RATE + i * FRAME
        scope.push(signal[start : start + FRAME], at=2.0 + i * 0.02)
        t0 = time.perf_counter()
        scope.render()
        blit.append((time.perf_counter() - t0) * 1000)
    figure = scope._ensure_figure()
    for _ in range(max(10, renders // 5)):
        t0 = time.perf_counter()
        figure.canvas.draw()
        encode(figure.figure, "jpeg")
        full.append((time.perf_counter() - t0) * 1000)
    return blit, full


# -- 2. beside a stream -----------------------------------------------------------


@dataclass
class StreamResult:
    sent: int = 0
    arrived: int = 0
    accepted: int | None = None
    renders: int | None = None
    render_ms: list[float] = field(default_factory=list)
    lags_ms: list[float] = field(default_factory=list)
    late_sends: int = 0  # frames sent more than 5 ms after their deadline
    cpu_s: float = 0.0
    wall_s: float = 0.0


async def monitor(lags: list[float], stop: asyncio.Event, period: float = 0.005) -> None:
    """Record how late each ``sleep(period)`` wakes up, in ms."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        due = loop.time() + period
        await asyncio.sleep(period)
        lags.append(max(0.0, loop.time() - due) * 1000)


async def pace(send: Callable[[bytes], Awaitable[None]], frames: list[bytes], result: StreamResult) -> None:
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05
    for i, frame in enumerate(frames):
        deadline = start + i * 0.02
        delay = deadline - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        elif delay < -0.005:
            result.late_sends += 1
        await send(frame)
        result.sent += 1


async def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.005)):
        if predicate():
            return
        await asyncio.sleep(0.005)


async def stream_raw(frames: list[bytes]) -> StreamResult:
    result = StreamResult()

    async def count(ws: ServerConnection) -> None:
        async for _ in ws:
            result.arrived += 1

    server = await serve(count, HOST, 0, compression=None)
    port = server.sockets[0].getsockname()[1]
    ws = await connect(f"ws://{HOST}:{port}/", compression=None)
    try:
        await measure(lambda: pace(ws.send, frames, result), result, lambda: result.arrived >= len(frames))
    finally:
        await ws.close()
        server.close()
        await server.wait_closed()
    return result


async def stream_wskit(frames: list[bytes], with_scope: bool) -> StreamResult:
    result = StreamResult()
    server = wskit.WebsocketServerTransport(wskit.WebsocketServerParams(audio_in_enabled=True), port=0)

    def count(transport: Any, conn: Any, frame: Any) -> None:
        result.arrived += 1

    server.add_event_handler("on_frame", count)
    await server.start()
    client = wskit.WebsocketClientTransport(server.url)
    await client.start()
    scope = None
    if with_scope:
        scope = AudioScope(sample_rate=RATE, fps=20).attach(server)
        scope._render_times = deque(maxlen=100_000)  # keep every render's loop time, not the last 100
    try:
        await measure(lambda: pace(client.send_bytes, frames, result), result, lambda: result.arrived >= len(frames))
        if scope is not None:
            scope.detach()
            result.accepted = scope.stats.frames
            result.renders = scope.stats.renders
            result.render_ms = [t * 1000 for t in scope._render_times]
    finally:
        await wskit.stop_all_async()
    return result


async def measure(run: Callable[[], Awaitable[None]], result: StreamResult, done: Callable[[], bool]) -> None:
    stop = asyncio.Event()
    watcher = asyncio.create_task(monitor(result.lags_ms, stop))
    cpu0, wall0 = time.process_time(), time.perf_counter()
    await run()
    await wait_until(done)
    result.cpu_s = time.process_time() - cpu0
    result.wall_s = time.perf_counter() - wall0
    stop.set()
    await watcher


async def stream_rounds(rounds: int, seconds: float) -> dict[str, list[StreamResult]]:
    frames = [tone(seconds)[i : i + FRAME].tobytes() for i in range(0, int(seconds * RATE), FRAME)]
    results: dict[str, list[StreamResult]] = {name: [] for name in SETUPS}
    for r in range(rounds):
        order = SETUPS[r % 3 :] + SETUPS[: r % 3]
        for name in order:
            if name == "raw":
                results[name].append(await stream_raw(frames))
            else:
                results[name].append(await stream_wskit(frames, with_scope=name == "wskit+scope"))
        print(f"  stream round {r + 1}/{rounds} done", file=sys.stderr)
    return results


# -- report -----------------------------------------------------------------------


def machine() -> list[str]:
    return _machine.describe(
        "default asyncio loop",
        f"websockets {websockets.__version__}, matplotlib {matplotlib.__version__}, numpy {np.__version__}",
        f"wskit {wskit.__version__}",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="1 round of 4 s streams, 100 renders")
    args = parser.parse_args()
    rounds, seconds, renders = (1, 4.0, 100) if args.quick else (3, 8.0, 300)
    t0 = time.monotonic()
    print("\n".join(machine()))

    print(f"\n## Render cost ({renders} renders of a 640x360 scope, 2 s window, 16 kHz mono)\n")
    print("| figure | blit + JPEG, median ms | p90 ms | full draw + JPEG, median ms | full/blit |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for spectrogram in (False, True):
        blit, full = render_cost(spectrogram, renders)
        name = "waveform + meter + spectrogram" if spectrogram else "waveform + meter"
        b, f = statistics.median(blit), statistics.median(full)
        print(f"| {name} | {b:.2f} | {percentile(blit, 90):.2f} | {f:.2f} | {f / b:.1f}x |")

    results = asyncio.run(stream_rounds(rounds, seconds))
    frames = int(seconds * RATE) // FRAME
    print(f"\n## Beside a stream: {frames} frames of 20 ms at 50 frames/s ({seconds:.0f} s), {rounds} round(s)\n")
    print("Medians over rounds; lag = how late a 5 ms sleep wakes up; ratio to raw websockets in the same round.\n")
    print(
        "| setup | loop lag p50 ms | loop lag p99 ms | p99 / raw | CPU % | frames sent / arrived / accepted "
        "| renders (per s) | render ms p50 / p99 |"
    )
    print("| --- | ---: | ---: | ---: | ---: | --- | ---: | --- |")
    raw_p99 = [percentile(r.lags_ms, 99) for r in results["raw"]]
    for name in SETUPS:
        rs = results[name]
        p50 = statistics.median(percentile(r.lags_ms, 50) for r in rs)
        p99s = [percentile(r.lags_ms, 99) for r in rs]
        ratio = statistics.median(p / max(q, 1e-6) for p, q in zip(p99s, raw_p99, strict=True))
        cpu = statistics.median(100 * r.cpu_s / r.wall_s for r in rs)
        counts = " / ".join(
            str(x) for x in (sum(r.sent for r in rs), sum(r.arrived for r in rs), _sum(r.accepted for r in rs))
        )
        renders_cell = "–"
        render_cell = "–"
        if name == "wskit+scope":
            total = sum(r.renders or 0 for r in rs)
            renders_cell = f"{total} ({total / sum(r.wall_s for r in rs):.1f})"
            times = [t for r in rs for t in r.render_ms]
            render_cell = f"{percentile(times, 50):.2f} / {percentile(times, 99):.2f}"
        print(
            f"| {name} | {p50:.2f} | {statistics.median(p99s):.2f} | {ratio:.2f} | {cpu:.1f} | {counts} "
            f"| {renders_cell} | {render_cell} |"
        )
    scope_runs = results["wskit+scope"]
    lost = sum(r.arrived - (r.accepted or 0) for r in scope_runs)
    late = {name: sum(r.late_sends for r in rs) for name, rs in results.items()}
    print(f"\nframes arrived but not accepted by the scope: {lost}; sends > 5 ms late: {late}")
    print(f"run took {time.monotonic() - t0:.0f} s")
    if lost:
        print("FAILED: the scope lost frames")
        sys.exit(1)


def _sum(values: Any) -> str:
    items = list(values)
    return "–" if any(v is None for v in items) else str(sum(items))


if __name__ == "__main__":
    main()
