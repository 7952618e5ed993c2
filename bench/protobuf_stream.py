#!/usr/bin/env python3
"""One-way 20 ms audio frames (640 B of 16 kHz PCM) through Pipecat's protobuf framing.

What a voice bot's uplink costs: a wskit client sends ``AudioFrame``s through
``ProtobufFrameSerializer`` to a wskit server that decodes each one back into
an ``AudioFrame`` (``on_frame`` counts it). Measured in the same run, in an
order rotated round by round, next to:

* ``raw``          websockets sending the same 640 bytes as a binary message;
* ``wskit raw``    wskit with its default raw serializer (``BinaryFrame``s).

It reuses ``bench/transport.py``'s harness and measurement (one loop, port 0,
the server counting arrivals). The table shows medians over rounds; each
ratio is the median of the per-round ratios against ``raw``.

Usage::

    .venv/bin/python bench/protobuf_stream.py            # 7 rounds of 30,000 frames
    .venv/bin/python bench/protobuf_stream.py --quick    # 3 rounds of 10,000 frames
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time

import transport as bench  # bench/transport.py, beside this script

from wskit import (
    AudioFrame,
    Connection,
    Frame,
    ProtobufFrameSerializer,
    WebsocketClientParams,
    WebsocketClientTransport,
    WebsocketServerParams,
    WebsocketServerTransport,
)

PCM_20MS = bytes(range(256)) * 2 + bytes(128)  # 640 B: 320 samples of 16-bit PCM at 16 kHz
SETUPS = ("raw", "wskit raw", "wskit protobuf")


class ProtobufHarness:
    """A wskit server and client that both speak Pipecat's protobuf frames."""

    def __init__(self, server: WebsocketServerTransport, client: WebsocketClientTransport, arrivals: bench.Arrivals):
        self.server = server
        self.client = client
        self.arrivals = arrivals

    @classmethod
    async def open(cls) -> ProtobufHarness:
        arrivals = bench.Arrivals()
        server = WebsocketServerTransport(WebsocketServerParams(serializer=ProtobufFrameSerializer()), port=0)

        def count(transport: WebsocketServerTransport, conn: Connection, frame: Frame) -> None:
            arrivals.add()

        server.add_event_handler("on_frame", count)
        await server.start()
        client_params = WebsocketClientParams(serializer=ProtobufFrameSerializer(), add_wav_header=False)
        client = WebsocketClientTransport(server.url, client_params)
        await client.start()
        return cls(server, client, arrivals)

    async def send(self, payload: bytes) -> None:
        # a new frame per message, as an application streaming audio does
        await self.client.send(AudioFrame(payload, 16_000))

    async def close(self) -> None:
        await self.client.stop()
        await self.server.stop()


async def one_round(setup: str, n: int, warmup: int) -> float:
    harness: ProtobufHarness | bench.Harness
    if setup == "raw":
        harness = await bench.open_harness("raw", "count")
    elif setup == "wskit raw":
        harness = await bench.open_harness("wskit", "count")
    else:
        harness = await ProtobufHarness.open()
    try:
        async with asyncio.timeout(120):
            return await bench.measure_one_way(harness, PCM_20MS, n, warmup)  # type: ignore[arg-type]
    finally:
        await harness.close()


async def run(rounds: int, n: int, warmup: int) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {setup: [] for setup in SETUPS}
    await one_round("wskit protobuf", 1000, 100)  # warm-up: the protobuf schema is built on first use
    for r in range(rounds):
        for setup in SETUPS[r % 3 :] + SETUPS[: r % 3]:
            results[setup].append(await one_round(setup, n, warmup))
        print(f"  round {r + 1}/{rounds} done", file=sys.stderr)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 rounds of 10,000 frames")
    args = parser.parse_args()
    rounds, n = (3, 10_000) if args.quick else (7, 30_000)
    started = time.monotonic()
    results = asyncio.run(run(rounds, n, warmup=1000))
    print("# one-way 640 B audio frames (20 ms at 16 kHz), client -> server")
    for line in bench.machine():
        print(f"# {line}")
    print(f"# {rounds} rounds of {n:,} frames per setup; took {time.monotonic() - started:.0f} s\n")
    print("| setup | frames/s (median) | /raw (median [range]) |")
    print("| --- | ---: | ---: |")
    for setup in SETUPS:
        ratios = [value / raw for value, raw in zip(results[setup], results["raw"], strict=True)]
        spread = f"{min(ratios):.2f}–{max(ratios):.2f}"
        print(f"| {setup} | {statistics.median(results[setup]):,.0f} | {statistics.median(ratios):.2f} [{spread}] |")


if __name__ == "__main__":
    main()
