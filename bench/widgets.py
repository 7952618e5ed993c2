#!/usr/bin/env python3
"""What the event log costs: on the data path, and on the comm to the frontend.

Part 0, the model alone: ``LogBuffer.append`` of one 640 B message event,
timed with ``timeit`` (best of 7), next to building the ``Event`` itself.

Part 1, data-path cost per logged event. One-way 640-byte binary frames
client→server on 127.0.0.1 (port 0), the server counting arrivals, for:

* ``raw``       websockets' ``serve`` + ``connect`` (``compression=None``);
* ``wskit``     ``WebsocketServerTransport`` + ``WebsocketClientTransport``, no subscriber;
* ``+buffer``   the same with one :class:`wskit.eventlog.LogBuffer` (the log's
                model, no widget) subscribed to both transports;
* ``+EventLog`` the same with one ``wskit.widgets.EventLog`` on both transports,
                redrawing at its default 15 Hz during the run (the redraws run on
                the same loop, so their cost is in the number).

Every message is logged twice (``out`` at the client, ``in`` at the server),
so the cost per logged event is ``(cpu_with_log - cpu_wskit) / 2``, from the
process's CPU time per frame (``time.process_time``: client and server both
run in this process, and CPU time is less disturbed than wall time by the
other jobs on a shared machine). Rounds measure every variant back to back in a rotated order; the table
shows medians, and ratios and per-event costs are medians of per-round values
(so a slow phase of the shared machine hits both sides).

Part 2, comm bytes. ipywidgets is given a counting comm (``comm.create_comm``
replaced by a ``DummyComm`` subclass whose ``publish_msg`` adds up the JSON
size of each message's ``data`` plus binary buffers: what the kernel would
put on the wire, without the ~300 B Jupyter message header). Then 10,000
messages arrive at 1,000/s (absolute deadlines, batches of 10 every 10 ms)
through a live server with an ``EventLog`` attached, and we count comm
messages and bytes, redraws, and the kernel's CPU time. For contrast, the
same with a naive log that redraws its last 200 rows on every event.

Part 3, memory. 1 MiB messages into a server with a ``LogBuffer`` (64 KiB
per row, 32 MiB per log) versus a subscriber keeping the last 1000 events,
as a log that stores events would: payload bytes kept and RSS growth.

Usage::

    .venv/bin/python bench/widgets.py           # about 60 s
    .venv/bin/python bench/widgets.py --quick   # about 20 s
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import _machine  # bench/_machine.py, beside this script
import comm
from comm import DummyComm
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.version import version as websockets_version

import wskit
from wskit import BinaryFrame, WebsocketClientTransport, WebsocketServerTransport
from wskit.eventlog import LogBuffer

HOST = "127.0.0.1"
PAYLOAD = bytes(range(256)) * 2 + bytes(128)  # 640 B
VARIANTS = ("raw", "wskit", "+buffer", "+EventLog")


class CountingComm(DummyComm):  # type: ignore[misc]
    """A comm that counts what it would send to the frontend."""

    messages = 0
    bytes = 0

    def publish_msg(
        self, msg_type: str, data: Any = None, metadata: Any = None, buffers: Any = None, **keys: Any
    ) -> None:
        CountingComm.messages += 1
        CountingComm.bytes += len(json.dumps(data, default=str, separators=(",", ":")).encode())
        CountingComm.bytes += sum(len(b) for b in buffers or ())

    @classmethod
    def reset(cls) -> None:
        cls.messages = cls.bytes = 0


comm.create_comm = lambda *args, **kwargs: CountingComm(*args, **kwargs)

from wskit.widgets import EventLog  # noqa: E402  (after the counting comm is in place)


class Counter:
    def __init__(self) -> None:
        self.count = 0
        self.target = 0
        self.reached = asyncio.Event()

    def add(self) -> None:
        self.count += 1
        if self.target and self.count >= self.target:
            self.target = 0
            self.reached.set()

    async def wait_for(self, n: int) -> None:
        if self.count < n:
            self.reached.clear()
            self.target = n
            await asyncio.wait_for(self.reached.wait(), 60)


async def one_way(variant: str, n: int) -> tuple[float, float]:
    """Frames per second client→server for one variant, and the process's CPU µs
    per frame (client and server both run here), warm-up excluded."""
    counter = Counter()
    closers: list[Callable[[], Awaitable[None]]] = []
    if variant == "raw":

        async def handler(ws: ServerConnection) -> None:
            async for _ in ws:
                counter.add()

        server = await serve(handler, HOST, 0, compression=None)
        ws = await connect(f"ws://{HOST}:{server.sockets[0].getsockname()[1]}/", compression=None)

        async def send() -> None:
            await ws.send(PAYLOAD)

        async def close_raw() -> None:
            await ws.close()
            server.close()
            await server.wait_closed()

        closers.append(close_raw)
    else:
        wserver = WebsocketServerTransport(port=0)
        wserver.add_event_handler("on_frame", lambda t, c, f: counter.add())
        await wserver.start()
        client = WebsocketClientTransport(wserver.url)
        await client.start()
        log: Any = None
        if variant == "+buffer":
            log = LogBuffer()
            log.attach(wserver)
            log.attach(client)
        elif variant == "+EventLog":
            log = EventLog([wserver, client])

        async def send() -> None:
            await client.send(BinaryFrame(PAYLOAD))

        async def close_wskit() -> None:
            if log is not None:
                log.detach()
            await client.stop()
            await wserver.stop()

        closers.append(close_wskit)
    warmup = max(200, n // 10)
    for _ in range(warmup):
        await send()
    await counter.wait_for(warmup)
    t0, cpu0 = time.perf_counter(), time.process_time()
    for _ in range(n):
        await send()
    await counter.wait_for(warmup + n)
    rate = n / (time.perf_counter() - t0)
    cpu_us = (time.process_time() - cpu0) / n * 1e6
    for close in closers:
        await close()
    return rate, cpu_us


async def part1(rounds: int, n: int) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    rates: dict[str, list[float]] = {v: [] for v in VARIANTS}
    cpu: dict[str, list[float]] = {v: [] for v in VARIANTS}
    for r in range(rounds):
        order = VARIANTS[r % len(VARIANTS) :] + VARIANTS[: r % len(VARIANTS)]
        for variant in order:
            rate, cpu_us = await one_way(variant, n)
            rates[variant].append(rate)
            cpu[variant].append(cpu_us)
    return rates, cpu


class NaiveLog:
    """What a log without throttling does: redraw the last 200 rows on every event."""

    def __init__(self, transport: Any) -> None:
        import ipywidgets as widgets

        from wskit.widgets._eventlog import _row_html

        self.buffer = LogBuffer()
        self.html = widgets.HTML()
        self._row_html = _row_html
        self.buffer.on_change = self.render
        self.buffer.attach(transport)

    def render(self) -> None:
        rows = self.buffer.rows(last=200)
        self.html.value = "<table>" + "".join(self._row_html(r) for r in rows) + "</table>"

    def detach(self) -> None:
        self.buffer.detach()


async def part2(kind: str, total: int, rate: float) -> dict[str, float]:
    server = WebsocketServerTransport(port=0)
    arrived = Counter()
    server.add_event_handler("on_frame", lambda t, c, f: arrived.add())
    await server.start()
    client = WebsocketClientTransport(server.url)
    await client.start()
    CountingComm.reset()
    log: Any = EventLog(server) if kind == "EventLog" else NaiveLog(server)
    built_messages, built_bytes = CountingComm.messages, CountingComm.bytes
    CountingComm.reset()
    batch = 10
    period = batch / rate
    cpu0, t0 = time.process_time(), time.monotonic()
    deadline = t0
    for _ in range(total // batch):
        for _ in range(batch):
            await client.send(BinaryFrame(PAYLOAD))
        deadline += period
        await asyncio.sleep(max(0.0, deadline - time.monotonic()))
    await arrived.wait_for(total)
    await asyncio.sleep(0.2)  # the last throttled redraw
    elapsed, cpu = time.monotonic() - t0, time.process_time() - cpu0
    renders = log._refresher.renders if kind == "EventLog" else total
    result = {
        "events": float(log.buffer.seq),
        "seconds": elapsed,
        "cpu_s": cpu,
        "comm_messages": float(CountingComm.messages),
        "comm_bytes": float(CountingComm.bytes),
        "renders": float(renders),
        "build_bytes": float(built_bytes),
        "build_messages": float(built_messages),
    }
    log.detach()
    await client.stop()
    await server.stop()
    return result


def part0() -> dict[str, float]:
    """µs per call of the log model's entry point, alone (no sockets, no loop)."""
    import timeit

    from wskit import Event, EventKind
    from wskit.events import Direction

    class Conn:
        id = 1

    source = WebsocketServerTransport(port=0)
    frame = BinaryFrame(PAYLOAD)
    event = Event(EventKind.MESSAGE, source, Conn(), Direction.IN, PAYLOAD, len(PAYLOAD), frame)
    log = LogBuffer()
    n = 20_000

    def build() -> None:
        Event(EventKind.MESSAGE, source, event.connection, Direction.IN, PAYLOAD, len(PAYLOAD), frame)

    def append() -> None:
        log.append(event)

    return {
        name: min(timeit.repeat(f, number=n, repeat=7)) / n * 1e6
        for name, f in (("Event(...)", build), ("LogBuffer.append", append))
    }


def rss_mib() -> float:
    """Resident memory of this process now, in MiB."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


async def part3(kind: str, count: int) -> dict[str, float]:
    """Memory a log holds after ``count`` 1 MiB messages: the log's model vs keeping the events."""
    import gc
    from collections import deque

    from wskit import WebsocketClientParams, WebsocketServerParams

    size = 2**20
    server = WebsocketServerTransport(WebsocketServerParams(max_message_size=2 * size), port=0)
    arrived = Counter()
    server.add_event_handler("on_frame", lambda t, c, f: arrived.add())
    await server.start()
    client = WebsocketClientTransport(server.url, WebsocketClientParams(max_message_size=2 * size))
    await client.start()
    gc.collect()
    before = rss_mib()
    held: Any
    if kind == "LogBuffer":
        held = LogBuffer()
        held.attach(server)
    else:
        held = deque(maxlen=1000)
        server.events.subscribe(held.append)
    for i in range(count):
        await client.send_bytes(os.urandom(16) + bytes(size - 16))  # distinct messages
        if i % 20 == 19:
            await arrived.wait_for(i + 1)
    await arrived.wait_for(count)
    gc.collect()
    grown = rss_mib() - before
    kept = held.payload_bytes / 2**20 if kind == "LogBuffer" else sum(len(e.raw or b"") for e in held) / 2**20
    await client.stop()
    await server.stop()
    del held
    gc.collect()
    return {"rss_mib": grown, "kept_mib": kept}


def machine() -> list[str]:
    import ipywidgets

    return _machine.describe(
        f"websockets {websockets_version}, ipywidgets {ipywidgets.__version__}", f"wskit {wskit.__version__}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and messages")
    args = parser.parse_args()
    rounds, n = (4, 4_000) if args.quick else (15, 8_000)
    total, rate = (3_000, 1_000.0) if args.quick else (10_000, 1_000.0)
    print("\n".join(machine()))

    print("\n0. the log model alone, best of 7 × 20,000 calls (a 640 B binary message event)\n")
    for name, us in part0().items():
        print(f"{name:<18} {us:6.2f} µs")

    print(f"\n1. one-way 640 B frames, {rounds} rounds × {n:,} frames per variant\n")
    rates, cpu = asyncio.run(part1(rounds, n))
    header = f"{'variant':<11} {'frames/s':>10} {'vs raw':>7} {'vs wskit':>8} {'CPU µs/frame':>13} "
    header += f"{'CPU µs per logged event [range]':>32}"
    print(header + "\n" + "-" * len(header))
    for variant in VARIANTS:
        med = statistics.median(rates[variant])
        ratio = statistics.median(v / r for v, r in zip(rates[variant], rates["raw"], strict=True))
        vs_wskit = statistics.median(v / w for v, w in zip(rates[variant], rates["wskit"], strict=True))
        per_event = "-"
        if variant.startswith("+"):
            costs = [(c - w) / 2 for c, w in zip(cpu[variant], cpu["wskit"], strict=True)]
            per_event = f"{statistics.median(costs):.2f} [{min(costs):.1f}–{max(costs):.1f}]"
        shown = f"{vs_wskit:.2f}" if variant != "raw" else "-"
        cpu_med = statistics.median(cpu[variant])
        print(f"{variant:<11} {med:>10,.0f} {ratio:>7.2f} {shown:>8} {cpu_med:>13.2f} {per_event:>32}")

    print(f"\n2. {total:,} messages arriving at {rate:,.0f}/s on a server with a log (counting comm)\n")
    header = (
        f"{'log':<9} {'events':>7} {'s':>5} {'CPU s':>6} {'redraws':>8} {'comm msgs':>10} {'comm MB':>8} "
        f"{'bytes/event':>11}"
    )
    print(header + "\n" + "-" * len(header))
    for kind in ("EventLog", "naive"):
        r = asyncio.run(part2(kind, total, rate))
        print(
            f"{kind:<9} {r['events']:>7,.0f} {r['seconds']:>5.1f} {r['cpu_s']:>6.2f} {r['renders']:>8,.0f} "
            f"{r['comm_messages']:>10,.0f} {r['comm_bytes'] / 1e6:>8.2f} {r['comm_bytes'] / r['events']:>11,.0f}"
        )
    count = 100 if args.quick else 300
    print(f"\n3. memory after {count} messages of 1 MiB on a server with a log\n")
    header = f"{'log':<22} {'payload kept MiB':>16} {'RSS growth MiB':>15}"
    print(header + "\n" + "-" * len(header))
    for kind in ("LogBuffer", "deque of events"):
        m = asyncio.run(part3(kind, count))
        print(f"{kind:<22} {m['kept_mib']:>16.1f} {m['rss_mib']:>15.1f}")
    print(
        "\nEventLog: 15 Hz throttled redraw of the newest 200 rows into one HTML widget under hold_sync;"
        "\nnaive: the same 200 rows redrawn on every event. Bytes are JSON `data` of comm messages"
        "\n(Jupyter headers not counted); building the widgets themselves is not counted."
    )


if __name__ == "__main__":
    main()
