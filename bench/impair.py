#!/usr/bin/env python3
"""The cost of ``wskit.impair.Link`` itself: a link with no impairment against a direct connection.

A notebook that puts a link between its client and server should be
watching the network the link emulates, not the link. This measures raw
websockets (the reference of every benchmark here) on loopback, port 0,
in one loop, three ways, in an order rotated round by round:

* ``direct``       the client connects to the server;
* ``link``         through a ``Link`` with no latency, jitter or limit
                   (its defaults: Ethernet-sized segments, a 16 KiB receive buffer);
* ``link, loopback buffers``  the same with ``mss=None`` and the kernel's own
                   receive buffer sizing, to show what those defaults cost.

Metrics, with ``bench/transport.py``'s harness and measurements: echo round
trip of 32 B text (p50, p99, in µs; the link adds two relay hops per round
trip), one-way 640 B frames (a 20 ms audio frame) per second, and 1 MiB
messages in MB/s. Each ratio is the median of the per-round ratios against
``direct``.

Usage::

    .venv/bin/python bench/impair.py            # 7 rounds
    .venv/bin/python bench/impair.py --quick    # 3 rounds, fewer messages
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from typing import Any

import transport as bench  # bench/transport.py, beside this script
from websockets.asyncio.client import connect

from wskit.impair import Link

SETUPS = ("direct", "link", "link, loopback buffers")
METRICS = ("rtt", "tput", "big")


async def open_setup(setup: str, mode: bench.Mode, max_size: int) -> tuple[bench.RawHarness, Link | None]:
    """A raw websockets server and client, the client connected directly or through a link."""
    harness = await bench.RawHarness.open(mode, max_size)
    if setup == "direct":
        return harness, None
    port = harness.server.sockets[0].getsockname()[1]
    target = f"ws://{bench.HOST}:{port}/"
    link = Link(target) if setup == "link" else Link(target, mss=None, receive_buffer=None)
    await link.start()
    await harness.ws.close()
    harness.ws = await connect(link.url, compression=None, max_size=max_size)
    return harness, link


async def measure(setup: str, metric: str, cfg: bench.Config) -> dict[str, float]:
    if metric == "rtt":
        harness, link = await open_setup(setup, "echo", bench.MIB)
    else:
        harness, link = await open_setup(setup, "count", bench.BIG_MAX_SIZE if metric == "big" else bench.MIB)
    try:
        async with asyncio.timeout(cfg.step_timeout):
            if metric == "rtt":
                return await bench.measure_rtt(harness, cfg)
            if metric == "tput":
                return {"fps": await bench.measure_one_way(harness, bench.FRAME_640, cfg.tput_n, cfg.tput_warmup)}
            rate = await bench.measure_one_way(harness, os.urandom(bench.MIB), cfg.big_n, cfg.big_warmup)
            return {"mbps": rate * bench.MIB / 1e6}
    finally:
        await harness.close()
        if link is not None:
            await link.stop()


async def run(cfg: bench.Config) -> dict[tuple[str, str], list[float]]:
    values: dict[tuple[str, str], list[float]] = {}
    for setup in SETUPS:  # warm-up pass, untimed
        await measure(setup, "rtt", bench.Config(**{**cfg.__dict__, "rtt_n": 200, "rtt_warmup": 50}))
    for r in range(cfg.rounds):
        for metric in METRICS:
            order = SETUPS[r % len(SETUPS) :] + SETUPS[: r % len(SETUPS)]
            for setup in order:
                for key, value in (await measure(setup, metric, cfg)).items():
                    values.setdefault((setup, key), []).append(value)
        print(f"  round {r + 1}/{cfg.rounds} done", file=sys.stderr)
    return values


ROWS: tuple[tuple[str, str, int], ...] = (
    ("p50", "echo RTT 32 B text, p50 (µs)", 1),
    ("p99", "echo RTT 32 B text, p99 (µs)", 1),
    ("fps", "one-way 640 B frames (frames/s)", 0),
    ("mbps", "one-way 1 MiB messages (MB/s)", 0),
)


def table(values: dict[tuple[str, str], list[float]]) -> str:
    others = SETUPS[1:]
    head = "| metric | direct | " + " | ".join(f"{s} | {s}/direct" for s in others) + " |"
    lines = [head, "| --- | ---: |" + " ---: | ---: |" * len(others)]
    for key, label, decimals in ROWS:
        base = values[("direct", key)]
        cells = [f"{statistics.median(base):,.{decimals}f}"]
        for setup in others:
            mine = values[(setup, key)]
            ratios = [a / b for a, b in zip(mine, base, strict=True)]
            spread = f"{min(ratios):.2f}–{max(ratios):.2f}"
            cells.append(f"{statistics.median(mine):,.{decimals}f} | {statistics.median(ratios):.2f} [{spread}]")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    added = [b - a for a, b in zip(values[("direct", "p50")], values[("link", "p50")], strict=True)]
    lines.append("")
    median = statistics.median(added)
    lines.append(f"The link adds {median:.1f} µs to an echo round trip at the median (two relay hops).")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 rounds, fewer messages")
    args = parser.parse_args()
    cfg = bench.QUICK if args.quick else bench.FULL
    cfg = bench.Config(**{**cfg.__dict__, "big_n": cfg.big_n // 3})  # 1 MiB rows: enough for a ratio
    started = time.monotonic()
    values: Any = asyncio.run(run(cfg))
    print("# wskit.impair.Link with no impairment against a direct connection (raw websockets both ways)")
    for line in bench.machine():
        print(f"# {line}")
    print(
        f"# {cfg.rounds} rounds; {cfg.rtt_n} echoes, {cfg.tput_n:,} frames of 640 B, {cfg.big_n} messages of "
        f"1 MiB per setup and round; took {time.monotonic() - started:.0f} s\n"
    )
    print(table(values))


if __name__ == "__main__":
    main()
