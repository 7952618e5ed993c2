#!/usr/bin/env python3
"""Soak: many clients streaming 20 ms audio frames to one echoing server, wskit next to raw websockets.

Each client sends sequence-numbered 20 ms frames of 16 kHz mono PCM (640 B;
the first 16 bytes carry client id, sequence number and send time) at 50 per
second on absolute deadlines, and reads the echoes. The server runs in its
own process; the clients run in ``--workers`` other processes (raw websockets
clients, the lightest there are), so the load generator is not what is
measured. Everything is on 127.0.0.1 with a free port; every phase stops by
itself.

Phases, in one run:

1. **soak**: ``--clients`` (200) clients for ``--duration`` (60 s), against a
   wskit server (``WebsocketServerTransport`` + an ``on_frame`` echo) and then
   a raw websockets server (``serve`` + ``async for m in ws: await ws.send(m)``),
   measured the same way.
2. **ramp**: ``--ramp`` client counts for ``--ramp-duration`` each, both
   servers, to find the largest N sustained with p99 arrival jitter under
   5 ms and nothing lost.
3. **fault**: wskit clients with ``reconnect=True`` against a wskit server
   that restarts (``stop(code=1012)`` then ``start`` on the same port) every
   ``--restart-every`` (10 s) seconds. A send while a client is between
   connections raises ``NotConnectedError`` and is counted as *refused*
   (the sender knows); *no echo* counts frames sent without error but never
   echoed, and *lost* those of them that the server never received either
   (it records every frame it reads).

Per phase: frames sent / echoed / no echo / lost / duplicated / reordered, RTT p50
and p99, arrival jitter p50 and p99 (RFC 3550's transit-time difference
between consecutive echoes of one client: |(R_i - S_i) - (R_i-1 - S_i-1)|),
the p99 lateness of the senders (how far behind their deadlines the load
generator itself fell), and the server's RSS idle at start, at peak and
after the clients left.

Usage::

    .venv/bin/python bench/soak.py            # about 9 minutes
    .venv/bin/python bench/soak.py --quick    # about 1.5 minutes
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import multiprocessing as mp
import os
import platform
import struct
import sys
import time
from array import array
from dataclasses import dataclass, field
from multiprocessing.connection import Connection as Pipe
from typing import Any, Literal

from wskit.load import STAMP, SequenceTracker  # the stamp and the books wskit's Locust users keep too

HOST = "127.0.0.1"
FRAME_S = 0.020
FRAME_BYTES = 640  # 20 ms of 16 kHz mono int16
HEADER = STAMP  # client id, sequence number, send time (time.monotonic, system-wide): wskit.load's stamp
JITTER_LIMIT_MS = 5.0
ServerKind = Literal["wskit", "raw"]


def pcm_frame() -> bytes:
    """20 ms of a 440 Hz tone, int16 little-endian (the header overwrites its start)."""
    samples = (int(8000 * math.sin(2 * math.pi * 440 * n / 16_000)) for n in range(FRAME_BYTES // 2))
    return struct.pack(f"<{FRAME_BYTES // 2}h", *samples)


# -- the server process --------------------------------------------------------------------------


def serve(kind: ServerKind, restart_every: float | None, pipe: Pipe) -> None:
    """Run one echo server until the parent closes the pipe; report the port first."""
    asyncio.run(_serve(kind, restart_every, pipe))


async def _serve(kind: ServerKind, restart_every: float | None, pipe: Pipe) -> None:
    # cid << 32 | seq of every frame read, to tell "lost" from "no echo"; kept in the fault
    # phase only (8 bytes a frame), so that the soak's RSS figures are the server's own
    received = array("Q")
    keep = restart_every is not None

    def record(data: bytes) -> None:
        if keep:
            cid, seq, _ = HEADER.unpack_from(data)
            received.append((cid << 32) | seq)

    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    loop.add_reader(pipe.fileno(), done.set)  # the parent closing its end (or writing) means stop
    if kind == "raw":
        from websockets.asyncio.server import ServerConnection, serve

        async def echo(ws: ServerConnection) -> None:
            with contextlib.suppress(Exception):
                async for message in ws:
                    record(message)  # type: ignore[arg-type]
                    await ws.send(message)

        async with serve(echo, HOST, 0, compression=None, max_size=2**20) as server:
            pipe.send(server.sockets[0].getsockname()[1])
            await done.wait()
        pipe.send((0, {}, received.tobytes()))
        return

    import wskit

    closes: dict[str, int] = {}  # what ended each connection, seen by the server

    def count(event: wskit.Event) -> None:
        if event.kind is wskit.EventKind.DISCONNECTED:
            key = f"{event.code} by {(event.info or {}).get('initiator')}"
            closes[key] = closes.get(key, 0) + 1
        elif event.kind is wskit.EventKind.SLOW_CONSUMER:
            closes["slow consumer"] = closes.get("slow consumer", 0) + 1
        elif event.kind is wskit.EventKind.REJECTED:
            key = f"rejected {event.code}"
            closes[key] = closes.get(key, 0) + 1
        elif event.kind is wskit.EventKind.ERROR:
            key = f"error {type(event.error).__name__}"
            closes[key] = closes.get(key, 0) + 1

    def make(port: int) -> wskit.WebsocketServerTransport:
        server = wskit.WebsocketServerTransport(port=port)
        server.events.subscribe(count)

        @server.event_handler("on_frame")
        async def echo(transport: Any, conn: wskit.Connection, frame: wskit.Frame) -> None:
            record(frame.data)  # type: ignore[attr-defined]
            with contextlib.suppress(wskit.WebSocketDisconnect):
                await conn.send(frame)

        return server

    server = make(0)
    await server.start()
    port = server.listen_address[1]  # type: ignore[index]
    pipe.send(port)
    restarts = 0
    while not done.is_set():
        try:
            await asyncio.wait_for(done.wait(), restart_every)
        except TimeoutError:
            began = time.monotonic()
            await server.stop(code=1012, reason="service restart")  # default bound: 5 s
            took = time.monotonic() - began
            closes["slowest stop (ms)"] = max(closes.get("slowest stop (ms)", 0), round(took * 1000))
            server = make(port)
            await server.start()
            restarts += 1
    await server.stop(timeout=2)
    pipe.send((restarts, closes, received.tobytes()))


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


# -- the load generator processes ---------------------------------------------------------------


@dataclass
class Tally:
    """What one generator process saw; merged across processes by the parent."""

    sent: int = 0
    refused: int = 0  # raised to the sender (fault phase): known not sent
    received: int = 0
    duplicated: int = 0
    reordered: int = 0
    lost: int = 0  # sent without error, never echoed ("no echo"; see Result.lost for "lost")
    unechoed: array = field(default_factory=lambda: array("Q"))  # keys (cid << 32 | seq) of those
    connect_failures: int = 0
    rtt: array = field(default_factory=lambda: array("d"))  # seconds
    jitter: array = field(default_factory=lambda: array("d"))  # seconds
    lateness: array = field(default_factory=lambda: array("d"))  # seconds behind the send deadline

    def merge(self, other: Tally) -> None:
        for name in ("sent", "refused", "received", "duplicated", "reordered", "lost", "connect_failures"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.unechoed.extend(other.unechoed)
        self.rtt.extend(other.rtt)
        self.jitter.extend(other.jitter)
        self.lateness.extend(other.lateness)


class Stream:
    """One client's bookkeeping (wskit.load's SequenceTracker), added to this process's :class:`Tally`."""

    def __init__(self, cid: int, tally: Tally) -> None:
        self.cid = cid
        self.tally = tally
        self.books = SequenceTracker(cid, FRAME_S)
        self.draining = False
        self.all_back = asyncio.Event()

    def arrived(self, data: bytes) -> None:
        now = time.monotonic()
        cid, seq, sent_at = HEADER.unpack_from(data)
        t = self.tally
        arrival = self.books.arrived(cid, seq, sent_at, now)
        if arrival is None:  # seen before, or not this client's
            t.duplicated += 1
            return
        t.received += 1
        if arrival.reordered:
            t.reordered += 1
        t.rtt.append(arrival.rtt)
        if self.books.received > 1:
            t.jitter.append(arrival.transit_delta)
        if self.draining and not self.books.outstanding:
            self.all_back.set()

    def finish(self) -> None:
        missing = self.books.missing()
        self.tally.lost += len(missing)
        self.tally.unechoed.extend((self.cid << 32) | seq for seq in missing)


def generate(url: str, first: int, count: int, start_at: float, frames: int, fault: bool, out: Any) -> None:
    """Run ``count`` clients in this process and put the merged :class:`Tally` on ``out``."""
    tally = asyncio.run(_generate(url, first, count, start_at, frames, fault))
    out.put(tally)


async def _generate(url: str, first: int, count: int, start_at: float, frames: int, fault: bool) -> Tally:
    tally = Tally()
    payload = bytearray(pcm_frame())
    runner = _wskit_client if fault else _raw_client
    await asyncio.gather(*(runner(url, first + i, start_at, frames, tally, payload) for i in range(count)))
    return tally


async def _pace(stream: Stream, start_at: float, frames: int, payload: bytearray, send: Any) -> None:
    for seq in range(frames):
        deadline = start_at + seq * FRAME_S
        delay = deadline - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        now = time.monotonic()
        stream.tally.lateness.append(max(0.0, now - deadline))
        frame = bytearray(payload)
        HEADER.pack_into(frame, 0, stream.cid, seq, now)
        stream.books.sending(seq)  # before the send: its echo may arrive while send() yields
        if await send(bytes(frame)):
            stream.tally.sent += 1
        else:
            stream.books.cancel(seq)
            stream.tally.refused += 1


async def _raw_client(url: str, cid: int, start_at: float, frames: int, tally: Tally, payload: bytearray) -> None:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    stream = Stream(cid, tally)
    try:
        ws = await connect(url, compression=None, open_timeout=30)
    except Exception:
        tally.connect_failures += 1
        return

    async def read() -> None:
        with contextlib.suppress(ConnectionClosed):
            async for message in ws:
                stream.arrived(message)  # type: ignore[arg-type]

    async def send(data: bytes) -> bool:
        try:
            await ws.send(data)
            return True
        except ConnectionClosed:
            return False

    reader = asyncio.create_task(read())
    await _pace(stream, start_at, frames, payload, send)
    await _drain(stream)
    await ws.close()
    reader.cancel()
    stream.finish()


async def _wskit_client(url: str, cid: int, start_at: float, frames: int, tally: Tally, payload: bytearray) -> None:
    import wskit

    stream = Stream(cid, tally)
    params = wskit.WebsocketClientParams(
        reconnect=True, reconnect_min_delay=0.05, reconnect_max_delay=0.5, max_reconnect_attempts=1000, open_timeout=30
    )
    client = wskit.WebsocketClientTransport(url, params)
    client.add_event_handler("on_frame", lambda t, c, f: stream.arrived(f.data))
    try:
        await client.start()
    except wskit.ConnectError:
        tally.connect_failures += 1
        return

    async def send(data: bytes) -> bool:
        try:
            await client.send_bytes(data)
            return True
        except (wskit.NotConnectedError, wskit.WebSocketDisconnect):
            return False

    await _pace(stream, start_at, frames, payload, send)
    await _drain(stream)
    await client.stop(timeout=2)
    stream.finish()


async def _drain(stream: Stream, timeout: float = 2.0) -> None:
    """Wait (bounded) for the echoes still in flight."""
    stream.draining = True
    if not stream.books.outstanding:
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stream.all_back.wait(), timeout)


# -- the parent: one phase ----------------------------------------------------------------------


@dataclass
class Result:
    label: str
    server: str
    clients: int
    seconds: float
    tally: Tally
    rss_start: int
    rss_peak: int
    rss_end: int
    restarts: int = 0
    closes: dict[str, int] = field(default_factory=dict)
    lost: int = 0  # sent without error and never read by the server

    @property
    def jitter_p99_ms(self) -> float:
        return pct(self.tally.jitter, 99) * 1000

    @property
    def sustained(self) -> bool:
        t = self.tally
        clean = t.lost == self.lost == t.duplicated == t.reordered == t.connect_failures == 0
        return clean and t.received > 0 and self.jitter_p99_ms < JITTER_LIMIT_MS


def pct(values: array, p: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


def run_phase(
    label: str, kind: ServerKind, clients: int, seconds: float, workers: int, restart_every: float | None = None
) -> Result:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    server = ctx.Process(target=serve, args=(kind, restart_every, child), daemon=True)
    server.start()
    if not parent.poll(30):
        server.kill()
        raise RuntimeError(f"{kind} server did not start")
    port = parent.recv()
    url = f"ws://{HOST}:{port}/"
    time.sleep(0.3)
    rss_start = rss_kib(server.pid)  # type: ignore[arg-type]
    frames = int(seconds / FRAME_S)
    start_at = time.monotonic() + 3.0 + clients / 100  # time for every client to connect first
    out = ctx.Queue()
    share = [clients // workers + (1 if i < clients % workers else 0) for i in range(workers)]
    firsts = [sum(share[:i]) for i in range(workers)]
    gens = [
        ctx.Process(target=generate, args=(url, firsts[i], share[i], start_at, frames, restart_every is not None, out))
        for i in range(workers)
        if share[i]
    ]
    for g in gens:
        g.start()
    tally = Tally()
    rss_peak = rss_start
    pending = len(gens)
    limit = time.monotonic() + (start_at - time.monotonic()) + seconds + 60
    while pending and time.monotonic() < limit:
        rss_peak = max(rss_peak, rss_kib(server.pid))  # type: ignore[arg-type]
        try:
            tally.merge(out.get(timeout=0.5))
            pending -= 1
        except Exception:  # queue.Empty
            continue
    for g in gens:
        g.join(5)
        if g.is_alive():
            g.kill()
    time.sleep(0.5)  # let the server release the connections
    rss_end = rss_kib(server.pid)  # type: ignore[arg-type]
    parent.send("stop")
    restarts, closes, seen_bytes = parent.recv() if parent.poll(30) else (0, {}, b"")
    server_saw = array("Q")
    server_saw.frombytes(seen_bytes)
    got = set(server_saw)
    never_arrived = sum(1 for key in tally.unechoed if key not in got) if restart_every is not None else tally.lost
    if os.environ.get("SOAK_DEBUG") and restart_every is not None:
        where: dict[int, int] = {}
        for key in tally.unechoed:
            if key not in got:
                where[(key & 0xFFFFFFFF) // 50] = where.get((key & 0xFFFFFFFF) // 50, 0) + 1
        print("lost by second of the run:", sorted(where.items()), file=sys.stderr)
    server.join(10)
    if server.is_alive():
        server.kill()
    if pending:
        raise RuntimeError(f"{label}: {pending} generator(s) did not report in time")
    return Result(label, kind, clients, seconds, tally, rss_start, rss_peak, rss_end, restarts, closes, never_arrived)


# -- report ---------------------------------------------------------------------------------------


def row(r: Result) -> str:
    t = r.tally
    ms = 1000
    cells = [
        r.label,
        r.server,
        f"{r.clients}",
        f"{t.sent:,}",
        f"{t.received:,}",
        f"{t.lost}",
        f"{r.lost}",
        f"{t.duplicated}",
        f"{t.reordered}",
        f"{t.refused}",
        f"{pct(t.rtt, 50) * ms:.2f}",
        f"{pct(t.rtt, 99) * ms:.2f}",
        f"{pct(t.jitter, 50) * ms:.2f}",
        f"{pct(t.jitter, 99) * ms:.2f}",
        f"{pct(t.lateness, 99) * ms:.2f}",
        f"{r.rss_start / 1024:.1f} / {r.rss_peak / 1024:.1f} / {r.rss_end / 1024:.1f}",
    ]
    return "| " + " | ".join(cells) + " |"


HEAD = (
    "| phase | server | N | sent | echoed | no echo | lost | dup | reord | refused | RTT p50 ms | RTT p99 ms "
    "| jitter p50 ms | jitter p99 ms | sender late p99 ms | server RSS MB start / peak / end |\n"
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="short phases (about a minute in all)")
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--ramp", type=str, default="25,50,100,200,400,800")
    ap.add_argument("--ramp-duration", type=float, default=10.0)
    ap.add_argument("--restart-every", type=float, default=10.0)
    ap.add_argument("--fault-duration", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=2, help="load generator processes")
    ap.add_argument("--skip", type=str, default="", help="phases to skip: soak,ramp,fault")
    args = ap.parse_args()
    if args.quick:
        args.clients, args.duration = min(args.clients, 100), 8.0
        args.ramp, args.ramp_duration = "25,50,100,200", 4.0
        args.fault_duration, args.restart_every = 12.0, 5.0
    skip = set(filter(None, args.skip.split(",")))
    import websockets

    import wskit

    print(f"CPU: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; load average at start "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")  # fmt: skip
    print(f"Python {platform.python_version()}, websockets {websockets.__version__}, wskit {wskit.__version__}; "
          f"{args.workers} load-generator processes")  # fmt: skip
    results: list[Result] = []
    if "soak" not in skip:
        for kind in ("wskit", "raw"):
            print(f"soak: {kind}, {args.clients} clients, {args.duration:.0f} s ...", file=sys.stderr)
            results.append(run_phase("soak", kind, args.clients, args.duration, args.workers))
    sustained: dict[str, int] = {}
    if "ramp" not in skip:
        for kind in ("wskit", "raw"):
            for n in (int(x) for x in args.ramp.split(",")):
                print(f"ramp: {kind}, {n} clients, {args.ramp_duration:.0f} s ...", file=sys.stderr)
                r = run_phase("ramp", kind, n, args.ramp_duration, args.workers)
                results.append(r)
                if not r.sustained:
                    break
                sustained[kind] = n
    if "fault" not in skip:
        print(f"fault: wskit restarting every {args.restart_every:.0f} s ...", file=sys.stderr)
        fault = run_phase("fault", "wskit", args.clients, args.fault_duration, args.workers, args.restart_every)
        results.append(fault)
    print()
    print(HEAD)
    for r in results:
        print(row(r))
    print()
    if "ramp" not in skip:
        for kind in ("wskit", "raw"):
            print(f"largest N sustained ({kind}): {sustained.get(kind, 0)} clients "
                  f"(p99 jitter < {JITTER_LIMIT_MS:.0f} ms, nothing lost, duplicated or reordered)")  # fmt: skip
    if "fault" not in skip:
        print(f"fault phase: {fault.restarts} restarts; {fault.tally.refused} sends refused while reconnecting "
              f"(reported to the sender); {fault.tally.lost} sent but not echoed, of which {fault.lost} "
              "never reached the server")  # fmt: skip
    for r in results:
        if r.closes:
            shown = ", ".join(f"{k}: {v}" for k, v in sorted(r.closes.items()))
            print(f"server-side closes, {r.label} {r.server} N={r.clients}: {shown}")
    print(f"load average at end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
