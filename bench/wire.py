#!/usr/bin/env python3
"""What a wire tap costs per frame, against untapped wskit and raw websockets.

Four setups, each a server and a client on 127.0.0.1 (port 0) in one asyncio
loop (the default loop, as in a notebook kernel), ``compression=None``:

* ``raw``        websockets' ``serve`` + ``connect`` (echo or counting handler).
* ``wskit``      ``WebsocketServerTransport`` with an ``on_frame`` handler and
                 ``WebsocketClientTransport``; no subscriber, no tap.
* ``tap conn``   the same with ``wskit.wire.tap`` on the two connections
                 (every frame recorded in a bounded history; nobody listens
                 to the buses, so no event is built): the cost of the hook.
* ``tap transport``  ``wskit.wire.tap`` on both transports instead. A
                 transport tap subscribes to the bus (to tap connections
                 that open later), so the transport now builds a ``MESSAGE``
                 event per message and the tap a ``WIRE`` event per frame.
* ``tap+sub``    the transport taps plus one subscriber on both buses
                 appending every event (``MESSAGE`` and ``WIRE``) to a
                 ``deque(maxlen=1000)``, as a widget event log does.

Metrics: one-way 640-byte binary frames client→server (frames/s, the server
counting arrivals), and the echo round trip of a 32-byte text message (p50).
Each round measures every setup back to back in an order rotated round by
round; the table shows medians over rounds and the median of per-round
ratios, so slow phases of this shared machine hit both sides of a ratio.
Every loop is bounded in count and in time.

Usage::

    .venv/bin/python bench/wire.py            # 5 rounds, about 30 s
    .venv/bin/python bench/wire.py --quick    # 3 rounds, about 10 s
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve

import wskit
from wskit import wire

HOST = "127.0.0.1"
SETUPS = ("raw", "wskit", "tap conn", "tap transport", "tap+sub")
FRAME_640 = os.urandom(640)
SMALL_TEXT = "x" * 32
BUDGET_S = 20.0  # per measurement, a hard bound whatever the machine does


@dataclass
class Harness:
    send: Callable[[Any], Awaitable[None]]
    received: Callable[[], int]
    reply: Callable[[], Awaitable[Any]] | None
    close: Callable[[], Awaitable[None]]


async def open_raw(echo: bool) -> Harness:
    count = 0

    async def handler(ws: ServerConnection) -> None:
        nonlocal count
        async for message in ws:
            count += 1
            if echo:
                await ws.send(message)

    server = await serve(handler, HOST, 0, compression=None, ping_interval=None)
    port = server.sockets[0].getsockname()[1]
    client = await connect(f"ws://{HOST}:{port}/", compression=None, ping_interval=None, max_size=None)

    async def close() -> None:
        await client.close()
        server.close()
        await server.wait_closed()

    return Harness(client.send, lambda: count, client.recv if echo else None, close)


async def open_wskit(echo: bool, tapped: str | None, subscribed: bool) -> Harness:
    server = wskit.WebsocketServerTransport(wskit.WebsocketServerParams(ping_interval=None), port=0)
    count = 0

    @server.event_handler("on_frame")
    async def on_frame(transport: Any, conn: wskit.Connection, frame: wskit.Frame) -> None:
        nonlocal count
        count += 1
        if echo:
            await conn.send(frame)

    await server.start()
    client = wskit.WebsocketClientTransport(
        server.url, wskit.WebsocketClientParams(add_wav_header=False, ping_interval=None)
    )
    replies: asyncio.Queue[wskit.Frame] = asyncio.Queue()
    client.add_event_handler("on_frame", lambda t, c, f: replies.put_nowait(f))
    logs: deque[wskit.Event] = deque(maxlen=1000)
    if subscribed:
        server.events.subscribe(logs.append)
        client.events.subscribe(logs.append)
    taps = [wire.tap(server), wire.tap(client)] if tapped == "transport" else []
    await client.start()
    for _ in range(500):
        if server.clients:
            break
        await asyncio.sleep(0.01)
    if tapped == "conn":
        assert client.connection is not None
        taps = [wire.tap(server.clients[0]), wire.tap(client.connection)]

    async def send(message: Any) -> None:
        frame = wskit.TextFrame(message) if isinstance(message, str) else wskit.BinaryFrame(message)
        await client.send(frame)

    async def close() -> None:
        for t in taps:
            t.detach()
        await client.stop()
        await server.stop()

    return Harness(send, lambda: count, replies.get if echo else None, close)


async def open_setup(name: str, echo: bool) -> Harness:
    if name == "raw":
        return await open_raw(echo)
    tapped = {"tap conn": "conn", "tap transport": "transport", "tap+sub": "transport"}.get(name)
    return await open_wskit(echo, tapped=tapped, subscribed=name == "tap+sub")


async def one_way(h: Harness, n: int) -> float:
    """Frames per second, from the first send to the server counting the last."""
    for _ in range(200):  # warm-up
        await h.send(FRAME_640)
    deadline = time.monotonic() + BUDGET_S
    while h.received() < 200 and time.monotonic() < deadline:  # noqa: ASYNC110 (polls a counter, bounded)
        await asyncio.sleep(0.001)
    start_count = h.received()
    start = time.perf_counter()
    for _ in range(n):
        await h.send(FRAME_640)
    while h.received() < start_count + n and time.monotonic() < deadline:  # noqa: ASYNC110 (as above)
        await asyncio.sleep(0)
    return n / (time.perf_counter() - start)


async def rtt_p50(h: Harness, n: int) -> float:
    """Median echo round trip in µs."""
    assert h.reply is not None
    for _ in range(200):
        await h.send(SMALL_TEXT)
        await h.reply()
    samples = []
    deadline = time.monotonic() + BUDGET_S
    for _ in range(n):
        start = time.perf_counter()
        await h.send(SMALL_TEXT)
        await h.reply()
        samples.append((time.perf_counter() - start) * 1e6)
        if time.monotonic() > deadline:
            break
    return statistics.median(samples)


async def measure(name: str, metric: str, n: int) -> float:
    h = await open_setup(name, echo=metric == "rtt")
    try:
        return await (one_way(h, n) if metric == "tput" else rtt_p50(h, n // 10))
    finally:
        await h.close()


async def run(rounds: int, n: int) -> dict[str, dict[str, list[float]]]:
    results: dict[str, dict[str, list[float]]] = {m: {s: [] for s in SETUPS} for m in ("tput", "rtt")}
    for r in range(rounds):
        for metric in ("tput", "rtt"):
            order = SETUPS[r % len(SETUPS) :] + SETUPS[: r % len(SETUPS)]
            for name in order:
                results[metric][name].append(await measure(name, metric, n))
        print(f"round {r + 1}/{rounds} done", file=sys.stderr)
    return results


def ratio(values: list[float], base: list[float]) -> str:
    ratios = sorted(v / b for v, b in zip(values, base, strict=True))
    return f"{statistics.median(ratios):.2f} [{ratios[0]:.2f}–{ratios[-1]:.2f}]"


def table(results: dict[str, dict[str, list[float]]]) -> str:
    lines = [
        "| metric | raw websockets | wskit | tap conn | tap transport | tap+sub | wskit/raw | tap conn/raw "
        "| tap transport/raw | tap+sub/raw | tap conn/wskit | tap transport/wskit | tap+sub/wskit |",
        "| --- |" + " ---: |" * 12,
    ]
    labels = {"tput": "one-way 640 B binary (frames/s)", "rtt": "echo RTT 32 B text, p50 (µs)"}
    for metric, by in results.items():
        med = {s: statistics.median(v) for s, v in by.items()}
        fmt = "{:,.0f}" if metric == "tput" else "{:.1f}"
        cells = [fmt.format(med[s]).replace(",", " ") for s in SETUPS]
        ratios = [ratio(by[s], by["raw"]) for s in SETUPS[1:]] + [ratio(by[s], by["wskit"]) for s in SETUPS[2:]]
        lines.append(f"| {labels[metric]} | " + " | ".join(cells + ratios) + " |")
    tput = {s: statistics.median(v) for s, v in results["tput"].items()}
    rtt = {s: statistics.median(v) for s, v in results["rtt"].items()}
    lines.append("")
    lines.append("Added cost per tapped frame (µs): from one-way throughput (each frame tapped twice: out at the")
    lines.append("client, in at the server) / from the echo p50 (four tapped frames per round trip):")
    for s in SETUPS[2:]:
        one_way = (1 / tput[s] - 1 / tput["wskit"]) * 1e6 / 2
        echo = (rtt[s] - rtt["wskit"]) / 4
        lines.append(f"- {s}: {one_way:.2f} / {echo:.2f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 rounds of fewer frames")
    args = parser.parse_args()
    rounds, n = (3, 10_000) if args.quick else (5, 30_000)
    load = os.getloadavg()[0]
    started = time.monotonic()
    results = asyncio.run(run(rounds, n))
    print(table(results))
    print(
        f"\n{rounds} rounds, {n} frames one-way and {n // 10} echoes per setup and round; "
        f"load average {load:.2f} at the start; took {time.monotonic() - started:.0f} s; "
        f"Python {sys.version.split()[0]}, websockets {__import__('websockets').__version__}."
    )


if __name__ == "__main__":
    main()
