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

CPU is the user + system time of the generator's processes (Locust's master
and workers; soak's generator process), per frame sent and echoed.

Usage::

    .venv/bin/python bench/load.py            # about 3 minutes
    .venv/bin/python bench/load.py --quick    # about 1.5 minutes
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
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


def children_cpu() -> float:
    """CPU seconds of every descendant that has ended and been waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Result:
    generator: str
    streams: int
    sent: int
    received: int
    lost: int
    late_p99_ms: float
    rtt_p99_ms: float
    cpu_s: float
    seconds: float
    failures: int = 0
    steady_late_p99_ms: float = float("nan")  # after the ramp

    @property
    def cpu_us_per_frame(self) -> float:
        frames = self.sent + self.received
        return self.cpu_s / frames * 1e6 if frames else float("nan")

    @property
    def sustained(self) -> bool:
        due = self.streams * 50 * max(self.seconds - 1.0, 0.5)
        return (
            self.steady_late_p99_ms < LATE_LIMIT_MS
            and self.lost == 0
            and self.failures == 0
            and self.sent >= 0.9 * due
            and self.received == self.sent
        )


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


def locust_run(url: str, streams: int, seconds: float, workers: int) -> Result:
    from wskit.load import LOCUSTFILE, read_report

    with tempfile.TemporaryDirectory(prefix="wskit-bench-load-") as folder:
        prefix = os.path.join(folder, "run")
        command = [
            sys.executable, "-m", "locust", "-f", LOCUSTFILE, "--headless", "--host", url,
            "--users", str(streams), "--spawn-rate", str(streams), "--run-time", f"{seconds:g}s",
            "--processes", str(workers), "--csv", prefix, "--only-summary", "--loglevel", "ERROR",
        ]  # fmt: skip
        before = children_cpu()
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 90, check=False)
        cpu = children_cpu() - before
        if done.returncode not in (0, 1):
            raise RuntimeError(f"locust exited with {done.returncode}: {done.stderr[-2000:]}")
        report = read_report(prefix + "_voice.json")
    s = report["summary"]
    steady = Histogram()  # lateness after the ramp: the first SETTLE_S seconds and the last (partial) one left out
    seconds_seen = sorted(report["metrics"]["seconds"])
    for _key, second in seconds_seen[SETTLE_S:-1]:
        steady.merge(Second.from_dict(second).lateness)
    label = f"Locust, {workers} worker{'s' if workers > 1 else ''}"
    return Result(
        label, streams, s["sent"], s["received"], s["lost"], s["lateness_p99_ms"], s["rtt_p99_ms"], cpu, seconds,
        s["failures"], steady.percentile(99) * 1000,
    )  # fmt: skip


def soak_run(url: str, streams: int, seconds: float) -> Result:
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    frames = int(seconds / soak.FRAME_S)
    start_at = time.monotonic() + 2.0 + streams / 200  # every client connects first, as soak.py does
    before = children_cpu()
    process = ctx.Process(target=soak.generate, args=(url, 0, streams, start_at, frames, False, out))
    process.start()
    tally = out.get(timeout=seconds + 60)
    process.join(10)
    cpu = children_cpu() - before
    # its senders append in time order: leave out the first SETTLE_S seconds and the last one, as for Locust
    per_second = streams * 50
    steady = tally.lateness[SETTLE_S * per_second : -per_second]
    return Result(
        "soak.py asyncio (1 process)",
        streams,
        tally.sent,
        tally.received,
        tally.lost,
        soak.pct(tally.lateness, 99) * 1000,
        soak.pct(tally.rtt, 99) * 1000,
        cpu,
        seconds,
        tally.connect_failures,
        soak.pct(steady, 99) * 1000,
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
                if r.steady_late_p99_ms < RELAXED_LIMIT_MS and r.lost == 0 and r.received == r.sent:
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
        "| CPU µs per frame, marginal | sustained |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    previous: dict[str, Result] = {}
    for r in results:
        before = previous.get(r.generator)
        frames = (r.sent + r.received) - ((before.sent + before.received) if before else 0)
        marginal = (r.cpu_s - before.cpu_s) / frames * 1e6 if before and frames > 0 else float("nan")
        previous[r.generator] = r
        print(
            f"| {r.generator} | {r.streams} | {r.sent:,} | {r.received:,} | {r.lost} "
            f"| {r.late_p99_ms:.2f} / {r.steady_late_p99_ms:.2f} "
            f"| {r.rtt_p99_ms:.2f} | {marginal:.1f} | {'yes' if r.sustained else 'no'} |"
        )
    print()
    print("CPU µs per frame, marginal: the generator's extra CPU time from the previous row's run to this one,")
    print("per extra frame sent and echoed (process start-up and imports cancel out).")
    print()
    for label in runners:
        print(
            f"largest N sustained, {label}: {best.get(label, 0)} "
            f"(with late p99 < {RELAXED_LIMIT_MS:g} ms instead: {relaxed.get(label, 0)})"
        )
    for limit, found in ((LATE_LIMIT_MS, best), (RELAXED_LIMIT_MS, relaxed)):
        one, two = found.get("Locust, 1 worker", 0), found.get("Locust, 2 workers", 0)
        if one:
            print(f"2 workers / 1 worker (late p99 < {limit:g} ms): {two / one:.2f}")
    print(f"load average at end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
