#!/usr/bin/env python3
"""Load generator capacity: real-time audio streams per process, Locust workers next to soak's asyncio generator.

A stream is 20 ms frames of 16 kHz mono PCM (640 B, 50 a second) sent on
absolute deadlines and echoed back. A generator *sustains* N streams when
its senders' lateness p99 (how far behind its deadline a frame went out)
stays under 5 ms, nothing is lost and at least 90 % of the frames due were
sent. The echo server is raw websockets in its own process (``bench/soak.py``'s
``serve("raw")``), the lightest there is, so the generator is what is measured.

Phases, in one run, on 127.0.0.1 with a free port:

1. **clients**: which synchronous WebSocket client to run under gevent.
   ``--client-streams`` streams for ``--seconds`` in one gevent-monkeypatched
   process, with websocket-client (what ``wskit.load`` uses) and with
   websockets' own sync client (``websockets.sync.client``, a reader thread
   per connection, which gevent turns into a greenlet): CPU per frame and
   lateness.
2. **ramp**: for each N in ``--ramp``, ``wskit.load``'s locustfile run by
   Locust headless with ``--processes 1`` and then ``--processes 2`` (a master
   and 1 or 2 workers; all users spawned in one step), and soak's asyncio
   generator (raw websockets clients, one process) with the same N; each
   ramp stops at the first N not sustained.

Locust's master and workers are started as separate processes (``--master``
and ``--worker``), as they would be on several machines. CPU is read from
``/proc`` over the steady part of each run (after the ramp): the workers' (or
soak's generator's) per frame sent or echoed, and the master's share of a core.

Usage::

    .venv/bin/python bench/load.py            # about 3 minutes
    .venv/bin/python bench/load.py --quick    # about 1.5 minutes
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any

import _machine  # bench/_machine.py, beside this script
import soak  # bench/soak.py: its echo server and its asyncio generator

from wskit.load import Histogram, Second

LATE_LIMIT_MS = 5.0
SETTLE_S = 2  # seconds of ramp (Locust's workers stall on each spawn message) left out of the steady lateness
RELAXED_LIMIT_MS = 20.0  # also reported: on a machine other jobs load, 5 ms may be out of reach at any count
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@dataclass
class Result:
    generator: str
    streams: int
    sent: int
    received: int
    lost: int
    late_p99_ms: float
    rtt_p99_ms: float
    failures: int
    steady_late_p99_ms: float  # after the ramp
    cpu_per_frame_us: float = float("nan")  # the generator processes' CPU after the ramp, per frame sent or echoed
    master_cpu_share: float = float("nan")  # Locust's master: its CPU after the ramp, in cores
    generator_cpu_share: float = float("nan")  # each generator process, in cores

    @property
    def sustained(self) -> bool:
        return self.steady_late_p99_ms < LATE_LIMIT_MS and self.lost == 0 and self.failures == 0 and self.clean

    @property
    def clean(self) -> bool:
        return self.received == self.sent > 0


# -- the echo server (soak's raw websockets server in its own process) ---------------------------------


class Server:
    def __init__(self) -> None:
        ctx = mp.get_context("spawn")
        self.pipe, child = ctx.Pipe()
        self.process = ctx.Process(target=soak.serve, args=("raw", None, child), daemon=True)
        self.process.start()
        if not self.pipe.poll(30):
            raise RuntimeError("the echo server did not start")
        self.url = f"ws://{HOST}:{self.pipe.recv()}/"

    def stop(self) -> None:
        self.pipe.send("stop")
        if self.pipe.poll(10):
            self.pipe.recv()
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()


# -- phase 2: Locust workers and soak's asyncio generator ----------------------------------------------


class CpuSampler:
    """CPU seconds of some processes, read from /proc every 0.1 s, to take the steady part of a run."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.samples: list[tuple[float, dict[str, float]]] = []  # (wall clock, {name: cpu seconds})

    def sample(self) -> None:
        cpu = {}
        for name, pid in self.pids.items():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                cpu[name] = (int(fields[11]) + int(fields[12])) / self.TICK  # utime + stime
            except (OSError, IndexError):
                continue
        self.samples.append((time.time(), cpu))

    def between(self, name: str, start: float, end: float) -> float:
        """CPU seconds ``name`` used from wall-clock ``start`` to ``end`` (nearest samples)."""
        inside = [(t, c[name]) for t, c in self.samples if start <= t <= end and name in c]
        return inside[-1][1] - inside[0][1] if len(inside) >= 2 else float("nan")

    def span(self, start: float, end: float) -> float:
        inside = [t for t, _ in self.samples if start <= t <= end]
        return inside[-1] - inside[0] if len(inside) >= 2 else float("nan")


def locust_run(url: str, streams: int, seconds: float, workers: int) -> Result:
    """Locust's master and ``workers`` worker processes started apart, as on several machines."""
    from wskit.load import LOCUSTFILE, read_report

    port = free_port()
    with tempfile.TemporaryDirectory(prefix="wskit-bench-load-") as folder:
        prefix = os.path.join(folder, "run")
        common = [sys.executable, "-m", "locust", "-f", LOCUSTFILE, "--loglevel", "ERROR"]
        master = subprocess.Popen(
            [*common, "--master", "--master-bind-host", HOST, "--master-bind-port", str(port), "--headless",
             "--expect-workers", str(workers), "--host", url, "--users", str(streams), "--spawn-rate", str(streams),
             "--run-time", f"{seconds:g}s", "--csv", prefix, "--only-summary"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        worker_processes = [
            subprocess.Popen(
                [*common, "--worker", "--master-host", HOST, "--master-port", str(port)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(workers)
        ]
        sampler = CpuSampler({"master": master.pid, **{f"w{i}": w.pid for i, w in enumerate(worker_processes)}})
        deadline = time.monotonic() + seconds + 90
        while master.poll() is None and time.monotonic() < deadline:
            sampler.sample()
            time.sleep(0.1)
        for process in [master, *worker_processes]:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        if master.returncode not in (0, 1):
            raise RuntimeError(f"locust exited with {master.returncode}: {master.stderr.read()[-2000:]!r}")  # type: ignore[union-attr]
        report = read_report(prefix + "_voice.json")
    s = report["summary"]
    seconds_seen = sorted(report["metrics"]["seconds"])
    steady_seconds = seconds_seen[SETTLE_S:-1]  # after the ramp, without the last (partial) second
    steady = Histogram()
    frames = 0
    for _key, data in steady_seconds:
        second = Second.from_dict(data)
        steady.merge(second.lateness)
        frames += second.sent + second.received
    start, end = float(steady_seconds[0][0]), float(steady_seconds[-1][0]) + 1.0
    worker_cpu = sum(sampler.between(f"w{i}", start, end) for i in range(workers))
    span = sampler.span(start, end)
    label = f"Locust, {workers} worker{'s' if workers > 1 else ''}"
    return Result(
        label, streams, s["sent"], s["received"], s["lost"], s["lateness_p99_ms"], s["rtt_p99_ms"],
        s["failures"], steady.percentile(99) * 1000,
        cpu_per_frame_us=worker_cpu / (frames * span / (end - start)) * 1e6 if frames else float("nan"),
        master_cpu_share=sampler.between("master", start, end) / span,
        generator_cpu_share=worker_cpu / span / workers,
    )  # fmt: skip


def soak_run(url: str, streams: int, seconds: float) -> Result:
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    frames = int(seconds / soak.FRAME_S)
    start_at = time.monotonic() + 2.0 + streams / 200  # every client connects first, as soak.py does
    wall_start = time.time() + (start_at - time.monotonic())
    process = ctx.Process(target=soak.generate, args=(url, 0, streams, start_at, frames, False, out))
    process.start()
    assert process.pid is not None
    sampler = CpuSampler({"gen": process.pid})
    tally = None
    while tally is None and time.monotonic() < start_at + seconds + 60:
        sampler.sample()
        try:
            tally = out.get(timeout=0.1)
        except Exception:  # queue.Empty
            continue
    process.join(10)
    if tally is None:
        raise RuntimeError("soak's generator did not report")
    # its senders append in time order: leave out the first SETTLE_S seconds and the last one, as for Locust
    per_second = streams * 50
    steady = tally.lateness[SETTLE_S * per_second : -per_second]
    start, end = wall_start + SETTLE_S, wall_start + seconds - 1
    span = sampler.span(start, end)
    cpu = sampler.between("gen", start, end)
    return Result(
        "soak.py asyncio (1 process)",
        streams,
        tally.sent,
        tally.received,
        tally.lost,
        soak.pct(tally.lateness, 99) * 1000,
        soak.pct(tally.rtt, 99) * 1000,
        tally.connect_failures,
        soak.pct(steady, 99) * 1000,
        cpu_per_frame_us=cpu / (2 * per_second * span) * 1e6,
        generator_cpu_share=cpu / span,
    )


# -- phase 1: synchronous clients under gevent (run in a child process: it monkeypatches) --------------


def gevent_clients(kind: str, url: str, streams: int, seconds: float) -> dict[str, Any]:
    """In this (child) process: ``streams`` paced streams on ``kind``'s client under gevent."""
    from gevent import monkey

    monkey.patch_all()
    import gevent

    payload = soak.pcm_frame()
    late: list[float] = []
    counts = {"sent": 0, "received": 0}

    def connect() -> tuple[Any, Any, Any]:
        if kind == "websocket-client":
            import websocket

            ws = websocket.create_connection(url)
            return ws, ws.send_binary, ws.recv
        from websockets.sync.client import connect as sync_connect

        ws = sync_connect(url, compression=None)
        return ws, ws.send, ws.recv

    def stream(start: float) -> None:
        ws, send, recv = connect()

        def read() -> None:
            try:
                while recv():  # websocket-client returns "" for the close frame
                    counts["received"] += 1
            except Exception:
                return

        reader = gevent.spawn(read)
        gevent.sleep(max(0.0, start - time.monotonic()))
        for seq in range(int(seconds / soak.FRAME_S)):
            deadline = start + seq * soak.FRAME_S
            delay = deadline - time.monotonic()
            if delay > 0:
                gevent.sleep(delay)
            late.append(max(0.0, time.monotonic() - deadline))
            send(payload)
            counts["sent"] += 1
        gevent.sleep(0.5)
        ws.close()
        reader.kill()

    if kind == "websocket-client":  # imports before the clock starts
        import websocket  # noqa: F401
    else:
        import websockets.sync.client  # noqa: F401
    start = time.monotonic() + 1.0 + streams / 100
    clock: dict[str, float] = {}

    def mark(name: str, at: float) -> None:
        gevent.sleep(max(0.0, at - time.monotonic()))
        clock[name] = time.process_time()

    # CPU between the first frame and the last one: connecting and closing not included
    marks = [gevent.spawn(mark, "start", start), gevent.spawn(mark, "end", start + seconds)]
    gevent.joinall([gevent.spawn(stream, start) for _ in range(streams)] + marks, timeout=seconds + 30)
    cpu = clock["end"] - clock["start"]
    late.sort()
    p99 = late[min(len(late) - 1, int(len(late) * 0.99))] * 1000 if late else float("nan")
    return {"kind": kind, "late_p99_ms": p99, "cpu_s": cpu, **counts}


def client_run(kind: str, url: str, streams: int, seconds: float) -> dict[str, Any]:
    command = [sys.executable, __file__, "--_clients", kind, url, str(streams), str(seconds)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


# -- report ----------------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="shorter runs, a shorter ramp")
    ap.add_argument("--seconds", type=float, default=6.0, help="length of each run")
    ap.add_argument("--ramp", default="25,50,100,200,400", help="stream counts to try")
    ap.add_argument("--client-streams", type=int, default=100, help="streams in the client comparison")
    ap.add_argument("--_clients", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args._clients:
        kind, url, streams, seconds = args._clients
        print(json.dumps(gevent_clients(kind, url, int(streams), float(seconds))))
        return
    if args.quick:
        args.seconds, args.ramp, args.client_streams = 4.0, "25,50,100,200", 50
    import locust
    import websocket
    import websockets

    for line in _machine.describe(
        f"locust {locust.__version__}",
        f"websocket-client {websocket.__version__}",
        f"websockets {websockets.__version__}",
    ):
        print(line)
    print()
    server = Server()
    try:
        print(f"clients under gevent: {args.client_streams} streams, {args.seconds:g} s ...", file=sys.stderr)
        clients = [
            client_run(k, server.url, args.client_streams, args.seconds)
            for k in ("websocket-client", "websockets.sync")
        ]
        print(f"Synchronous clients under gevent, {args.client_streams} streams for {args.seconds:g} s, one process:\n")
        print("| client | frames sent | echoed | sender late p99 ms | CPU µs per frame (sent + echoed) |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for c in clients:
            per = c["cpu_s"] / max(1, c["sent"] + c["received"]) * 1e6
            print(f"| {c['kind']} | {c['sent']:,} | {c['received']:,} | {c['late_p99_ms']:.2f} | {per:.1f} |")
        print()
        results: list[Result] = []
        best: dict[str, int] = {}
        relaxed: dict[str, int] = {}
        ramp = [int(x) for x in args.ramp.split(",")]
        runners = {
            "Locust, 1 worker": lambda n: locust_run(server.url, n, args.seconds, 1),
            "Locust, 2 workers": lambda n: locust_run(server.url, n, args.seconds, 2),
            "soak.py asyncio (1 process)": lambda n: soak_run(server.url, n, args.seconds),
        }
        for label, runner in runners.items():
            misses = 0
            for n in ramp:
                print(f"ramp: {label}, {n} streams ...", file=sys.stderr)
                r = runner(n)
                results.append(r)
                if r.sustained:
                    best[label] = n
                if r.steady_late_p99_ms < RELAXED_LIMIT_MS and r.lost == 0 and r.clean:
                    relaxed[label] = n
                misses = misses + 1 if not r.steady_late_p99_ms < RELAXED_LIMIT_MS else 0
                if misses == 2:
                    break  # well past what it holds
    finally:
        server.stop()
    print(
        f"Ramp, {args.seconds:g} s per run (sustained: sender late p99 after the ramp < {LATE_LIMIT_MS:g} ms, "
        f"nothing lost; after the ramp = without the first {SETTLE_S} s and the last one):\n"
    )
    print(
        "| generator | streams | sent | echoed | lost | sender late p99 ms, all / after the ramp | RTT p99 ms "
        "| CPU µs per frame | CPU per generator process | Locust master CPU | sustained |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for r in results:
        master = "-" if r.master_cpu_share != r.master_cpu_share else f"{r.master_cpu_share * 100:.1f} %"
        print(
            f"| {r.generator} | {r.streams} | {r.sent:,} | {r.received:,} | {r.lost} "
            f"| {r.late_p99_ms:.2f} / {r.steady_late_p99_ms:.2f} | {r.rtt_p99_ms:.2f} | {r.cpu_per_frame_us:.1f} "
            f"| {r.generator_cpu_share * 100:.0f} % | {master} | {'yes' if r.sustained else 'no'} |"
        )
    print()
    print("CPU columns: read from /proc every 0.1 s over the same window as the lateness after the ramp; per")
    print("frame sent or echoed, and as a share of one core (generator: each process; master: Locust's master).")
    print()
    for label in runners:
        print(
            f"largest N sustained, {label}: {best.get(label, 0)} "
            f"(with late p99 < {RELAXED_LIMIT_MS:g} ms instead: {relaxed.get(label, 0)})"
        )
    for limit, found in ((LATE_LIMIT_MS, best), (RELAXED_LIMIT_MS, relaxed)):
        one, two = found.get("Locust, 1 worker", 0), found.get("Locust, 2 workers", 0)
        reference = found.get("soak.py asyncio (1 process)", 0)
        if one:
            print(f"2 workers / 1 worker (late p99 < {limit:g} ms): {two / one:.2f}")
        if reference:
            print(f"Locust 1 worker / soak.py's asyncio generator (late p99 < {limit:g} ms): {one / reference:.2f}")
    print(f"load average at end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
