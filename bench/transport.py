#!/usr/bin/env python3
"""wskit's transports against raw websockets, in one process and one run.

Three implementations, each a server and a client on 127.0.0.1 (port 0) in
one asyncio loop (the default loop, as in a notebook kernel):

* ``raw``        websockets' ``serve`` (echo or counting handler) + ``connect``,
                 ``compression=None`` on both, as wskit defaults to.
* ``wskit``      ``WebsocketServerTransport(port=0)`` with an ``on_frame``
                 handler, ``WebsocketClientTransport(server.url)`` receiving
                 through an ``on_frame`` handler: no event subscriber, so no
                 :class:`~wskit.Event` is ever built.
* ``wskit+sub``  the same with one subscriber on both transports appending
                 every event to a ``deque(maxlen=1000)``, as a widget log does.

and two references, each a ratio to ``raw`` from the same round:

* ``raw+relay``  raw websockets whose client reads in a background task and
                 hands each message to the waiting caller through a future:
                 the one extra task switch any handler- or queue-based
                 client (wskit's ``on_frame`` and ``frames()``) pays per reply.
* ``picows``     picows (Cython, frame callbacks), the fastest asyncio
                 WebSocket library: the upper reference (when installed).

Metrics: echo round trip of a 32-byte text message (p50, p99), one-way
640-byte binary frames client→server (frames/s, the server counting
arrivals), one-way 1 MiB binary messages (MB/s, 10**6 bytes). An extra row
times the echo with the client reading through ``client.frames()`` (which is
itself an event subscriber) instead of an ``on_frame`` handler.

Each round measures every implementation back to back, in an order rotated
round by round; the table shows medians over rounds, and each ratio is the
median of the per-round ratios (so slow phases of this shared machine hit
both sides of a ratio). Every loop is bounded in count and in time.

Usage::

    .venv/bin/python bench/transport.py            # full run, about 50 s (90 s budget)
    .venv/bin/python bench/transport.py --quick    # about 11 s
    .venv/bin/python bench/transport.py --profile wskit --metric rtt   # cProfile one case
    .venv/bin/python bench/transport.py --quick --loop uvloop           # the same on uvloop
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import importlib.metadata
import os
import pstats
import statistics
import sys
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import _machine  # bench/_machine.py, beside this script
import websockets
from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.version import version as websockets_version

import wskit
from wskit import (
    BinaryFrame,
    Connection,
    Event,
    Frame,
    TextFrame,
    WebsocketClientParams,
    WebsocketClientTransport,
    WebsocketServerParams,
    WebsocketServerTransport,
)
from wskit.cli._loop import loop_factory as choose_loop

HOST = "127.0.0.1"
LOOP_NAME = "asyncio (default)"
loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None  # None: asyncio's default loop
Mode = Literal["echo", "count"]
Reader = Literal["handler", "frames"]
try:
    import picows
except ImportError:  # optional reference
    picows = None

IMPLS = ("raw", "wskit", "wskit+sub", "raw+relay") + (("picows",) if picows is not None else ())
METRICS = ("rtt", "rtt_frames", "tput", "big")
SMALL_TEXT = "x" * 32
FRAME_640 = os.urandom(640)
MIB = 2**20
BIG_MAX_SIZE = 4 * MIB  # max_size / max_message_size for the 1 MiB test, on both sides


@dataclass(frozen=True)
class Config:
    rounds: int
    rtt_n: int
    rtt_warmup: int
    tput_n: int
    tput_warmup: int
    big_n: int
    big_warmup: int
    step_timeout: float  # seconds allowed for one measurement of one implementation
    budget: float  # seconds for the whole run; later rounds are skipped past it


FULL = Config(
    rounds=7, rtt_n=6000, rtt_warmup=500, tput_n=60_000, tput_warmup=3000, big_n=300, big_warmup=10,
    step_timeout=30, budget=150,
)  # fmt: skip
QUICK = Config(
    rounds=3, rtt_n=3000, rtt_warmup=300, tput_n=30_000, tput_warmup=2000, big_n=150, big_warmup=5,
    step_timeout=15, budget=45,
)  # fmt: skip


# -- harnesses: one server + one client, same interface for every implementation --


class Arrivals:
    """The server's count of received messages, with a wait for a target."""

    def __init__(self) -> None:
        self.count = 0
        self._target = 0
        self._reached = asyncio.Event()

    def add(self) -> None:
        self.count += 1
        if self._target and self.count >= self._target:
            self._target = 0
            self._reached.set()

    async def wait_for(self, n: int) -> None:
        if self.count >= n:
            return
        self._reached.clear()
        self._target = n
        await self._reached.wait()


class Harness(Protocol):
    arrivals: Arrivals

    async def send(self, payload: str | bytes) -> None: ...

    async def recv(self) -> None: ...

    async def close(self) -> None: ...


class RawHarness:
    """websockets alone: what wskit is measured against."""

    def __init__(self, server: Server, ws: ClientConnection, arrivals: Arrivals) -> None:
        self.server = server
        self.ws = ws
        self.arrivals = arrivals

    @classmethod
    async def open(cls, mode: Mode, max_size: int) -> RawHarness:
        arrivals = Arrivals()

        async def echo(ws: ServerConnection) -> None:
            async for message in ws:
                await ws.send(message)

        async def count(ws: ServerConnection) -> None:
            async for _ in ws:
                arrivals.add()

        server = await serve(echo if mode == "echo" else count, HOST, 0, compression=None, max_size=max_size)
        port = server.sockets[0].getsockname()[1]
        ws = await connect(f"ws://{HOST}:{port}/", compression=None, max_size=max_size)
        return cls(server, ws, arrivals)

    async def send(self, payload: str | bytes) -> None:
        await self.ws.send(payload)

    async def recv(self) -> None:
        await self.ws.recv()

    async def close(self) -> None:
        await self.ws.close()
        self.server.close()
        await self.server.wait_closed()


class RelayHarness(RawHarness):
    """Raw websockets with the client read in a background task, as a handler-based client does."""

    inbox: deque[str | bytes]
    waiter: asyncio.Future[None] | None
    reader: asyncio.Task[None]

    @classmethod
    async def open(cls, mode: Mode, max_size: int) -> RelayHarness:
        h = await super().open(mode, max_size)
        assert isinstance(h, RelayHarness)
        h.inbox, h.waiter = deque(), None

        async def read() -> None:
            async for message in h.ws:
                h.inbox.append(message)
                if h.waiter is not None and not h.waiter.done():
                    h.waiter.set_result(None)

        h.reader = asyncio.create_task(read())
        return h

    async def recv(self) -> None:
        while not self.inbox:
            self.waiter = asyncio.get_running_loop().create_future()
            await self.waiter
        self.inbox.popleft()

    async def close(self) -> None:
        await super().close()
        await asyncio.wait({self.reader}, timeout=5)


class PicowsHarness:
    """picows: callbacks per frame, synchronous send with write-buffer backpressure."""

    def __init__(self) -> None:
        self.arrivals = Arrivals()
        self.server: asyncio.Server | None = None
        self.transport: Any = None
        self.inbox: deque[bytes] = deque()
        self.waiter: asyncio.Future[None] | None = None
        self.writable = asyncio.Event()
        self.writable.set()
        self._types: tuple[Any, Any] = (None, None)

    @classmethod
    async def open(cls, mode: Mode, max_size: int) -> PicowsHarness:
        assert picows is not None
        from picows import WSListener, WSMsgType

        h = cls()

        class ServerSide(WSListener):  # type: ignore[misc]
            def on_ws_frame(self, transport: Any, frame: Any) -> None:
                if frame.msg_type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    if mode == "echo":
                        transport.send(frame.msg_type, frame.get_payload_as_bytes())
                    else:
                        h.arrivals.add()
                elif frame.msg_type is WSMsgType.CLOSE:
                    transport.send_close(frame.get_close_code(), frame.get_close_message())
                    transport.disconnect()

        class ClientSide(WSListener):  # type: ignore[misc]
            def on_ws_frame(self, transport: Any, frame: Any) -> None:
                if frame.msg_type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    h.inbox.append(frame.get_payload_as_bytes())
                    if h.waiter is not None and not h.waiter.done():
                        h.waiter.set_result(None)

            def pause_writing(self) -> None:
                h.writable.clear()

            def resume_writing(self) -> None:
                h.writable.set()

        h.server = await picows.ws_create_server(lambda request: ServerSide(), HOST, 0, max_frame_size=max_size)
        port = h.server.sockets[0].getsockname()[1]
        h.transport, _ = await picows.ws_connect(ClientSide, f"ws://{HOST}:{port}/", max_frame_size=max_size)
        h._types = (WSMsgType.TEXT, WSMsgType.BINARY)
        return h

    async def send(self, payload: str | bytes) -> None:
        if not self.writable.is_set():
            await self.writable.wait()
        if isinstance(payload, str):
            self.transport.send(self._types[0], payload.encode())
        else:
            self.transport.send(self._types[1], payload)

    async def recv(self) -> None:
        while not self.inbox:
            self.waiter = asyncio.get_running_loop().create_future()
            await self.waiter
        self.inbox.popleft()

    async def close(self) -> None:
        self.transport.send_close()
        self.transport.disconnect()
        await self.transport.wait_disconnected()
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()


class WskitHarness:
    """wskit's transports, optionally with a widget-like event subscriber."""

    def __init__(
        self,
        server: WebsocketServerTransport,
        client: WebsocketClientTransport,
        arrivals: Arrivals,
        recv: Callable[[], Awaitable[object]],
        log: deque[Event],
    ) -> None:
        self.server = server
        self.client = client
        self.arrivals = arrivals
        self._recv = recv
        self.log = log

    @classmethod
    async def open(cls, mode: Mode, max_size: int, subscriber: bool, reader: Reader = "handler") -> WskitHarness:
        arrivals = Arrivals()
        server = WebsocketServerTransport(WebsocketServerParams(max_message_size=max_size), port=0)
        if mode == "echo":

            async def echo(transport: WebsocketServerTransport, conn: Connection, frame: Frame) -> None:
                await conn.send(frame)

            server.add_event_handler("on_frame", echo)
        else:

            def count(transport: WebsocketServerTransport, conn: Connection, frame: Frame) -> None:
                arrivals.add()

            server.add_event_handler("on_frame", count)

        log: deque[Event] = deque(maxlen=1000)
        if subscriber:

            def on_event(event: Event) -> None:  # what a widget log's subscriber does
                log.append(event)

            server.events.subscribe(on_event)

        await server.start()
        client = WebsocketClientTransport(server.url, WebsocketClientParams(max_message_size=max_size))
        if subscriber:
            client.events.subscribe(on_event)

        recv: Callable[[], Awaitable[object]]
        if reader == "frames":
            stream = client.frames()
            recv = stream.get
        else:
            inbox: deque[Frame] = deque()
            waiter: list[asyncio.Future[None]] = []

            def on_frame(transport: WebsocketClientTransport, conn: Connection, frame: Frame) -> None:
                inbox.append(frame)
                if waiter and not waiter[0].done():
                    waiter[0].set_result(None)

            async def next_frame() -> Frame:
                while not inbox:
                    future = asyncio.get_running_loop().create_future()
                    waiter[:] = [future]
                    await future
                return inbox.popleft()

            client.add_event_handler("on_frame", on_frame)
            recv = next_frame

        await client.start()
        return cls(server, client, arrivals, recv, log)

    async def send(self, payload: str | bytes) -> None:
        # An application sends frames, so each message is a new frame object.
        await self.client.send(TextFrame(payload) if isinstance(payload, str) else BinaryFrame(payload))

    async def recv(self) -> None:
        await self._recv()

    async def close(self) -> None:
        await self.client.stop()
        await self.server.stop()


async def open_harness(impl: str, mode: Mode, max_size: int = MIB, reader: Reader = "handler") -> Harness:
    if impl == "raw":
        return await RawHarness.open(mode, max_size)
    if impl == "raw+relay":
        return await RelayHarness.open(mode, max_size)
    if impl == "picows":
        return await PicowsHarness.open(mode, max_size)
    return await WskitHarness.open(mode, max_size, subscriber=impl == "wskit+sub", reader=reader)


# -- measurements -----------------------------------------------------------------


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    index = min(len(sorted_values) - 1, max(0, round(q / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


async def measure_rtt(h: Harness, cfg: Config) -> dict[str, float]:
    """Echo round trips of a 32-byte text message: p50 and p99 in µs."""
    for _ in range(cfg.rtt_warmup):
        await h.send(SMALL_TEXT)
        await h.recv()
    samples: list[float] = []
    clock = time.perf_counter_ns
    for _ in range(cfg.rtt_n):
        t0 = clock()
        await h.send(SMALL_TEXT)
        await h.recv()
        samples.append((clock() - t0) / 1000)
    samples.sort()
    return {"p50": percentile(samples, 50), "p99": percentile(samples, 99)}


async def measure_one_way(h: Harness, payload: bytes, n: int, warmup: int) -> float:
    """Messages per second, client→server, until the server has counted the last one."""
    for _ in range(warmup):
        await h.send(payload)
    await h.arrivals.wait_for(warmup)
    t0 = time.perf_counter()
    for _ in range(n):
        await h.send(payload)
    await h.arrivals.wait_for(warmup + n)
    return n / (time.perf_counter() - t0)


async def run_metric(impl: str, metric: str, cfg: Config) -> dict[str, float]:
    """Open a fresh server and client, measure one metric, close them."""
    if metric in ("rtt", "rtt_frames"):
        h = await open_harness(impl, "echo", reader="frames" if metric == "rtt_frames" else "handler")
    else:
        h = await open_harness(impl, "count", max_size=BIG_MAX_SIZE if metric == "big" else MIB)
    try:
        async with asyncio.timeout(cfg.step_timeout):
            if metric in ("rtt", "rtt_frames"):
                return await measure_rtt(h, cfg)
            if metric == "tput":
                return {"fps": await measure_one_way(h, FRAME_640, cfg.tput_n, cfg.tput_warmup)}
            big = os.urandom(MIB)
            rate = await measure_one_way(h, big, cfg.big_n, cfg.big_warmup)
            return {"mbps": rate * MIB / 1e6}
    finally:
        async with asyncio.timeout(10):
            await h.close()


# -- the run and the table ------------------------------------------------------------


@dataclass
class Results:
    # values[(impl, key)] -> one value per completed round
    values: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    # ratios[(impl, key)] -> per-round ratio impl/raw (same round)
    ratios: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    rounds_done: int = 0


@dataclass(frozen=True)
class Row:
    label: str
    metric: str
    key: str
    raw_metric: str  # which raw measurement the ratio is taken against
    decimals: int


ROWS = (
    Row("echo RTT 32 B text, p50 (µs, lower is better)", "rtt", "p50", "rtt", 1),
    Row("echo RTT 32 B text, p99 (µs, lower is better)", "rtt", "p99", "rtt", 1),
    Row("echo RTT p50, client reads frames() (µs)", "rtt_frames", "p50", "rtt", 1),
    Row("one-way 640 B binary (frames/s)", "tput", "fps", "tput", 0),
    Row("one-way 1 MiB binary (MB/s)", "big", "mbps", "big", 0),
)


def impls_for(metric: str) -> tuple[str, ...]:
    """Only wskit has a frames() reader; every implementation has the other metrics."""
    return tuple(i for i in IMPLS if i.startswith("wskit")) if metric == "rtt_frames" else IMPLS


def rotated(items: tuple[str, ...], k: int) -> Iterator[str]:
    k %= len(items)
    yield from items[k:] + items[:k]


async def run(cfg: Config) -> Results:
    results = Results()
    # An untimed pass first: the first connections of a process run slow (imports, caches, allocator).
    warm = Config(**{**cfg.__dict__, "rtt_n": 300, "tput_n": 3000, "big_n": 10})
    for metric in METRICS:
        for impl in impls_for(metric):
            await run_metric(impl, metric, warm)
    started = time.monotonic()
    slowest_round = 0.0
    for r in range(cfg.rounds):
        if r and time.monotonic() - started + slowest_round > cfg.budget:
            print(f"  another round would pass the {cfg.budget:.0f} s budget: stopping after {r}", file=sys.stderr)
            break
        round_t0 = time.monotonic()
        this_round: dict[tuple[str, str], float] = {}
        for m, metric in enumerate(METRICS):
            for impl in rotated(impls_for(metric), r + m):
                try:
                    measured = await run_metric(impl, metric, cfg)
                except (TimeoutError, OSError, websockets.exceptions.WebSocketException) as exc:
                    results.failures.append(f"round {r + 1} {impl} {metric}: {type(exc).__name__}: {exc}")
                    continue
                for key, value in measured.items():
                    this_round[(impl, f"{metric}.{key}")] = value
        for (impl, name), value in this_round.items():
            results.values.setdefault((impl, name), []).append(value)
            metric, key = name.split(".")
            raw_name = f"{'rtt' if metric == 'rtt_frames' else metric}.{key}"
            raw = this_round.get(("raw", raw_name))
            if impl != "raw" and raw:
                results.ratios.setdefault((impl, name), []).append(value / raw)
        results.rounds_done += 1
        slowest_round = max(slowest_round, time.monotonic() - round_t0)
        print(f"  round {r + 1}/{cfg.rounds} done in {time.monotonic() - round_t0:.1f} s", file=sys.stderr)
    return results


def machine() -> list[str]:
    return _machine.describe(
        f"loop: {LOOP_NAME}",
        f"websockets {websockets_version}, wskit {wskit.__version__}",
        f"picows {picows.__version__}" if picows is not None else "picows not installed",
    )


def _fmt(values: list[float] | None, decimals: int) -> str:
    return "-" if not values else f"{statistics.median(values):,.{decimals}f}"


def _fmt_ratio(ratios: list[float] | None) -> str:
    if not ratios:
        return "-"
    med = statistics.median(ratios)
    if len(ratios) == 1:
        return f"{med:.2f}"
    return f"{med:.2f} [{min(ratios):.2f}-{max(ratios):.2f}]"


def table(results: Results) -> str:
    others = [impl for impl in IMPLS if impl != "raw"]
    header = ("metric", "raw websockets", *(c for impl in others for c in (impl, f"{impl}/raw")))
    lines = [header]
    for row in ROWS:
        name = f"{row.metric}.{row.key}"
        raw = results.values.get(("raw", f"{row.raw_metric}.{row.key}"))
        cells = [row.label, _fmt(raw, row.decimals) + (" *" if row.metric != row.raw_metric else "")]
        for impl in others:
            cells.append(_fmt(results.values.get((impl, name)), row.decimals))
            cells.append(_fmt_ratio(results.ratios.get((impl, name))))
        lines.append(tuple(cells))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for i, line in enumerate(lines):
        cells = [line[0].ljust(widths[0])] + [cell.rjust(w) for cell, w in zip(line[1:], widths[1:], strict=True)]
        out.append("  ".join(cells))
        if i == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


# -- profiling one case ------------------------------------------------------------------


def _area(filename: str) -> str:
    path = filename.replace("\\", "/")
    for marker, area in (("/wskit/", "wskit"), ("/websockets/", "websockets"), ("/asyncio/", "asyncio")):
        if marker in path:
            return area
    if path.endswith("transport.py") and "/bench/" in path:
        return "bench script"
    return "other (C builtins, stdlib)"


def profile(impl: str, metric: str, cfg: Config, top: int) -> None:
    """Run one measurement under cProfile; print time by area and the top functions."""
    profiler = cProfile.Profile()
    profiler.enable()
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        measured = runner.run(run_metric(impl, metric, cfg))
    profiler.disable()
    print(f"{impl} {metric}: {measured} (under cProfile, so slower than unprofiled)")
    stats = pstats.Stats(profiler)
    entries = stats.stats  # type: ignore[attr-defined]
    total = sum(tt for (_, _, tt, _, _) in entries.values())
    by_area: dict[str, float] = {}
    for (filename, _, _), (_, _, tt, _, _) in entries.items():
        by_area[_area(filename)] = by_area.get(_area(filename), 0.0) + tt
    print(f"\nown time by area (total {total:.2f} s):")
    for area, tt in sorted(by_area.items(), key=lambda kv: -kv[1]):
        print(f"  {area:28s} {100 * tt / total:5.1f} %")
    print(f"\ntop {top} functions by own time (share of total), with cumulative share:")
    ranked = sorted(entries.items(), key=lambda kv: -kv[1][2])[:top]
    for (filename, line, func), (_, ncalls, tt, ct, _) in ranked:
        where = f"{os.path.basename(filename)}:{line}" if line else filename
        print(f"  {100 * tt / total:5.1f} %  cum {100 * ct / total:5.1f} %  {ncalls:>9,d}  {func}  ({where})")
    print("\nwskit functions by cumulative time:")
    wskit_funcs = [(k, v) for k, v in entries.items() if _area(k[0]) == "wskit"]
    for (filename, line, func), (_, ncalls, tt, ct, _) in sorted(wskit_funcs, key=lambda kv: -kv[1][3])[:top]:
        where = f"{os.path.basename(filename)}:{line}"
        print(f"  cum {100 * ct / total:5.1f} %  own {100 * tt / total:5.1f} %  {ncalls:>9,d}  {func}  ({where})")


# -- main ------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer rounds and messages (about 15 s)")
    parser.add_argument("--rounds", type=int, help="override the number of rounds")
    parser.add_argument("--profile", choices=IMPLS, help="cProfile one implementation instead of the benchmark")
    parser.add_argument("--metric", choices=METRICS, default="rtt", help="metric to profile (with --profile)")
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio", help="event loop to run on")
    parser.add_argument("--top", type=int, default=25, help="functions to list (with --profile)")
    args = parser.parse_args()
    cfg = QUICK if args.quick else FULL
    if args.loop == "uvloop":
        global loop_factory, LOOP_NAME
        _, loop_factory = choose_loop("uvloop")  # exits saying "pip install uvloop" when missing
        LOOP_NAME = f"uvloop {importlib.metadata.version('uvloop')}"
    if args.rounds is not None:
        cfg = Config(**{**cfg.__dict__, "rounds": max(1, min(args.rounds, 50))})

    print("\n".join(machine()))
    if args.profile:
        profile(args.profile, args.metric, cfg, args.top)
        return

    print(
        f"{'quick' if args.quick else 'full'} run: {cfg.rounds} rounds; echo {cfg.rtt_n} round trips "
        f"(+{cfg.rtt_warmup} warm-up), {cfg.tput_n:,} × 640 B, {cfg.big_n} × 1 MiB per implementation and round\n",
        flush=True,
    )
    t0 = time.monotonic()
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        results = runner.run(run(cfg))
    print(f"\nmedians over {results.rounds_done} rounds ({time.monotonic() - t0:.0f} s); ratio = median of per-round")
    print("ratios [min-max], each round measuring all implementations back to back\n")
    print(table(results))
    print(
        "\n* raw websockets has one way to read: the frames() row is compared with the same raw echo."
        "\nwskit: on_frame handlers on both sides, no subscriber; wskit+sub: plus one deque(maxlen=1000)"
        "\nsubscriber on server and client; raw+relay: raw with the client read in a background task"
        "\n(one more task switch per reply); picows: the upper reference. Ratios are x/raw: above 1 is"
        "\nslower for µs rows, below 1 is slower for throughput rows."
    )
    for failure in results.failures:
        print(f"FAILED: {failure}")
    if results.failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
