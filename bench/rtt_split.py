#!/usr/bin/env python3
"""Where an echo round trip's extra time goes: each side raw or wskit, and thin layers alone.

``bench/transport.py`` gives wskit/raw for a whole round trip. This script
splits it: the same 32-byte echo with the server and the client each either
raw websockets or wskit (``on_frame`` handlers, as in transport.py), and
three servers that isolate layers:

* ``route+ws``    a wskit route handler that reads and writes the
                  underlying websockets connection itself: wskit's server,
                  none of its per-message code;
* ``route+text``  a wskit route handler using ``receive_text``/``send_text``
                  (Starlette's vocabulary): the thinnest per-message layer;
* ``on_frame``    the usual wskit server (decode, frame, events, handler, encode).

Each case runs in every round, in the same process and loop; the table shows
medians over rounds of the p50 round trip and of the process CPU time per
round trip (less sensitive to other jobs on a shared machine), each with its
ratio to raw/raw from the same round. Loops are bounded in count and time.

Usage::

    .venv/bin/python bench/rtt_split.py              # 7 rounds
    .venv/bin/python bench/rtt_split.py --rounds 3 --loop uvloop
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve

import wskit
from wskit.cli._loop import loop_factory as choose_loop

HOST = "127.0.0.1"
MESSAGE = "x" * 32
Closer = Callable[[], Awaitable[None]]
RoundTrip = Callable[[], Awaitable[None]]


async def raw_server() -> tuple[str, Closer]:
    async def echo(ws: ServerConnection) -> None:
        async for message in ws:
            await ws.send(message)

    server = await serve(echo, HOST, 0, compression=None)
    port = server.sockets[0].getsockname()[1]

    async def close() -> None:
        server.close()
        await server.wait_closed()

    return f"ws://{HOST}:{port}/", close


async def wskit_server(kind: str) -> tuple[str, Closer]:
    server = wskit.WebsocketServerTransport(port=0)
    if kind == "on_frame":

        async def echo(transport: Any, conn: wskit.Connection, frame: wskit.Frame) -> None:
            await conn.send(frame)

        server.add_event_handler("on_frame", echo)
    elif kind == "route+text":

        @server.route("/")
        async def text_echo(websocket: wskit.Connection) -> None:
            await websocket.accept()
            while True:
                await websocket.send_text(await websocket.receive_text())

    else:

        @server.route("/")
        async def ws_echo(websocket: wskit.Connection) -> None:
            ws = websocket.websocket
            async for message in ws:
                await ws.send(message)

    await server.start()
    return server.url, server.stop


async def raw_client(url: str) -> tuple[RoundTrip, Closer]:
    ws = await connect(url, compression=None)

    async def round_trip() -> None:
        await ws.send(MESSAGE)
        await ws.recv()

    return round_trip, ws.close


async def wskit_client(url: str) -> tuple[RoundTrip, Closer]:
    client = wskit.WebsocketClientTransport(url)
    inbox: deque[wskit.Frame] = deque()
    waiter: list[asyncio.Future[None]] = []

    def on_frame(transport: Any, conn: wskit.Connection, frame: wskit.Frame) -> None:
        inbox.append(frame)
        if waiter and not waiter[0].done():
            waiter[0].set_result(None)

    client.add_event_handler("on_frame", on_frame)
    await client.start()

    async def round_trip() -> None:
        await client.send(wskit.TextFrame(MESSAGE))
        while not inbox:
            waiter[:] = [asyncio.get_running_loop().create_future()]
            await waiter[0]
        inbox.popleft()

    return round_trip, client.stop


CASES = (
    ("raw", "raw"),
    ("raw", "wskit"),
    ("on_frame", "raw"),
    ("on_frame", "wskit"),
    ("route+ws", "raw"),
    ("route+text", "raw"),
)


async def measure(server_kind: str, client_kind: str, n: int, warmup: int) -> tuple[float, float]:
    """p50 round trip and CPU time per round trip, both in µs."""
    url, close_server = await (raw_server() if server_kind == "raw" else wskit_server(server_kind))
    round_trip, close_client = await (raw_client(url) if client_kind == "raw" else wskit_client(url))
    try:
        async with asyncio.timeout(30):
            for _ in range(warmup):
                await round_trip()
            samples = []
            cpu0 = time.process_time()
            for _ in range(n):
                t0 = time.perf_counter_ns()
                await round_trip()
                samples.append((time.perf_counter_ns() - t0) / 1000)
            cpu = (time.process_time() - cpu0) / n * 1e6
    finally:
        async with asyncio.timeout(10):
            await close_client()
            await close_server()
    return statistics.median(samples), cpu


async def run(rounds: int, n: int) -> dict[tuple[str, str], list[tuple[float, float]]]:
    results: dict[tuple[str, str], list[tuple[float, float]]] = {case: [] for case in CASES}
    await measure("raw", "raw", 300, 100)  # warm-up pass
    for _ in range(rounds):
        for case in CASES:
            results[case].append(await measure(*case, n=n, warmup=300))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, help="rounds (default 7, --quick 3)")
    parser.add_argument("--quick", action="store_true", help="3 rounds (./dev bench --quick passes it to every script)")
    parser.add_argument("-n", type=int, default=3000, help="round trips per case and round")
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    args = parser.parse_args()
    rounds = max(1, min(args.rounds or (3 if args.quick else 7), 30))
    n = max(100, min(args.n, 20_000))
    name, factory = choose_loop(args.loop)
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    print(f"loop {name}, {rounds} rounds x {n} round trips per case, load average {load}\n")
    with asyncio.Runner(loop_factory=factory) as runner:
        results = runner.run(run(rounds, n))
    base = results[("raw", "raw")]
    header = ("server", "client", "p50 (µs)", "x raw", "CPU per round trip (µs)", "x raw", "CPU added (µs)")
    rows = [header]
    for case in CASES:
        p50 = statistics.median(p for p, _ in results[case])
        cpu = statistics.median(c for _, c in results[case])
        p50_ratio = statistics.median(p / b for (p, _), (b, _) in zip(results[case], base, strict=True))
        cpu_ratio = statistics.median(c / b for (_, c), (_, b) in zip(results[case], base, strict=True))
        added = statistics.median(c - b for (_, c), (_, b) in zip(results[case], base, strict=True))
        rows.append((*case, f"{p50:.1f}", f"{p50_ratio:.2f}", f"{cpu:.1f}", f"{cpu_ratio:.2f}", f"{added:+.1f}"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for i, row in enumerate(rows):
        print("  ".join([c.ljust(w) for c, w in zip(row[:2], widths[:2], strict=True)])
              + "  " + "  ".join(c.rjust(w) for c, w in zip(row[2:], widths[2:], strict=True)))  # fmt: skip
        if i == 0:
            print("  ".join("-" * w for w in widths))


if __name__ == "__main__":
    main()
