#!/usr/bin/env python3
"""wskit's audio path against its references, each measured in the same run.

1. G.711 μ-law and A-law, encode + decode, bytes in and bytes out: wskit.audio
   (numpy lookup tables) against the stdlib ``audioop`` (C), on one minute of
   16 kHz audio in one call, and per 20 ms frame (320 samples, one call each).
2. Protobuf, µs per 20 ms 16 kHz mono audio frame (640 B of PCM), encode and
   decode: wskit's ProtobufFrameSerializer against Pipecat's (run in the Pipecat
   venv, ``./dev setup-pipecat``, by a subprocess, alternating rounds), next to
   the protobuf library's generated ``frames_pb2`` alone (no frame objects built).
3. Pacing: one 50 frames/s stream for 60 s (``--quick``: 10 s) from a wskit
   client to a wskit server with ``wskit.audio.stream``; then, as the baseline,
   the same absolute-deadline loop over a raw websockets client and server.
4. Concurrent real-time streams (16 kHz, 20 ms, 640 B binary frames): the most
   one server sustains with arrival-interval jitter p99 under 5 ms, for a wskit
   server (``on_frame`` handler, AudioFrames) and a raw websockets server
   (``async for message in ws``) measured the same way at the same time: each
   server and each load generator is its own process, all four running at once,
   so both servers share the same background load (each also sees the other's
   streams). A generator runs raw websockets clients, each stream on its own
   absolute deadlines, start times spread over 20 ms, stamping each frame with
   its send time; it reports its own send lateness, so a generator-limited step
   is visible as such.

Usage::

    .venv/bin/python bench/audio.py            # full run, 3 to 8 minutes (it stops when both servers fail)
    .venv/bin/python bench/audio.py --quick    # about 1 minute
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pathlib
import platform
import statistics
import struct
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import websockets
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve

import wskit
from wskit.audio import alaw2lin, chirp, lin2alaw, lin2ulaw, stream, ulaw2lin

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

ROOT = pathlib.Path(__file__).resolve().parent.parent
FRAME = 0.020
FRAME_BYTES = 640


def best_of(fn: Callable[[], object], number: int, repeat: int) -> float:
    """Seconds per call: the best (least disturbed) of ``repeat`` timings of ``number`` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - start) / number)
    return min(times)


# -- 1. G.711 -------------------------------------------------------------------------------


def bench_g711(quick: bool) -> list[tuple[str, float, float]]:
    big = chirp(60.0, sample_rate=16000).samples.tobytes()  # 960 000 samples
    frame = big[:FRAME_BYTES]
    repeat = 3 if quick else 7
    rows = []
    for law, enc, dec, c_enc, c_dec in (
        ("μ-law", lin2ulaw, ulaw2lin, audioop.lin2ulaw, audioop.ulaw2lin),
        ("A-law", lin2alaw, alaw2lin, audioop.lin2alaw, audioop.alaw2lin),
    ):
        ours_out = dec(enc(big).tobytes()).tobytes()
        assert ours_out == c_dec(c_enc(big, 2), 2)  # bit-exact, checked on the benchmark data too
        cases = (
            ("60 s in one call", big, 3),
            ("per 1 s chunk (16 000 samples)", big[:32000], 200),
            ("per 20 ms frame (320 samples)", frame, 5000),
        )
        for label, data, number in cases:
            n = len(data) // 2

            def ours_fn(d: bytes = data, enc: Any = enc, dec: Any = dec) -> bytes:
                return bytes(dec(enc(d).tobytes()).tobytes())

            def ref_fn(d: bytes = data, enc: Any = c_enc, dec: Any = c_dec) -> bytes:
                return bytes(dec(enc(d, 2), 2))

            ours, ref = best_of(ours_fn, number, repeat), best_of(ref_fn, number, repeat)
            rows.append((f"{law} encode+decode, {label}", n / ours, n / ref))
    return rows


# -- 2. protobuf ----------------------------------------------------------------------------

PIPECAT_SNIPPET = r"""
import asyncio, json, sys, time
from loguru import logger
logger.remove()
from pipecat.serializers.protobuf import ProtobufFrameSerializer
from pipecat.frames.frames import OutputAudioRawFrame
import pipecat.frames.protobufs.frames_pb2 as pb2
number, repeat = int(sys.argv[1]), int(sys.argv[2])
pcm = bytes(range(256)) * 2 + bytes(128)

def best(fn):
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        for _ in range(number):
            fn()
        out.append((time.perf_counter() - t) / number)
    return min(out) * 1e6

async def abest(fn):
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        for _ in range(number):
            await fn()
        out.append((time.perf_counter() - t) / number)
    return min(out) * 1e6

async def main():
    s = ProtobufFrameSerializer()
    frame = OutputAudioRawFrame(pcm, 16000, 1)
    data = await s.serialize(frame)
    def pb_encode():
        f = pb2.Frame()
        a = f.audio
        a.audio = pcm; a.sample_rate = 16000; a.num_channels = 1
        return f.SerializeToString()
    def pb_decode():
        f = pb2.Frame.FromString(data)
        return f.audio.audio, f.audio.sample_rate, f.audio.num_channels
    result = {
        "pipecat_encode": await abest(lambda: s.serialize(frame)),
        "pipecat_decode": await abest(lambda: s.deserialize(data)),
        "pb2_encode": best(pb_encode),
        "pb2_decode": best(pb_decode),
        "bytes": data.hex(),
    }
    print(json.dumps(result))

asyncio.run(main())
"""


def pipecat_python() -> str | None:
    venv = pathlib.Path(os.environ.get("WSKIT_PIPECAT_VENV") or ".venv-pipecat")
    python = (venv if venv.is_absolute() else ROOT / venv) / "bin" / "python"
    return str(python) if python.exists() else None


def bench_protobuf(quick: bool) -> tuple[list[tuple[str, float, float | None, str, float | None]], str]:
    """Rounds alternate wskit and Pipecat (a fresh subprocess each), so load changes hit both."""
    number, repeat, rounds = (2000, 3, 3) if quick else (5000, 3, 5)
    pcm = bytes(range(256)) * 2 + bytes(128)
    frame = wskit.AudioFrame(pcm, 16000, 1, id=7, name="OutputAudioRawFrame#0")
    plain, with_ids = wskit.ProtobufFrameSerializer(), wskit.ProtobufFrameSerializer(send_ids=True)
    data = plain.serialize(frame) or b""
    python = pipecat_python()
    note = "Pipecat venv missing (./dev setup-pipecat): no reference"
    ours: dict[str, list[float]] = {"encode": [], "encode_ids": [], "decode": []}
    ref: dict[str, list[float]] = {"pipecat_encode": [], "pipecat_decode": [], "pb2_encode": [], "pb2_decode": []}
    for _ in range(rounds):
        ours["encode"].append(best_of(lambda: plain.serialize(frame), number, repeat) * 1e6)
        ours["encode_ids"].append(best_of(lambda: with_ids.serialize(frame), number, repeat) * 1e6)
        ours["decode"].append(best_of(lambda: plain.deserialize(data), number, repeat) * 1e6)
        if python:
            done = subprocess.run(
                [python, "-c", PIPECAT_SNIPPET, str(number), str(repeat)],
                capture_output=True,
                text=True,
                timeout=300,
                check=True,
            )
            result = json.loads(done.stdout.strip().splitlines()[-1])
            for key in ref:
                ref[key].append(result[key])
            pipecat_bytes = bytes.fromhex(result["bytes"])
            decoded = plain.deserialize(pipecat_bytes)
            assert isinstance(decoded, wskit.AudioFrame) and decoded.audio == pcm  # the same wire format
            note = (
                f"Pipecat's bytes for this frame: {len(pipecat_bytes)} B (id and name included); "
                f"wskit's: {len(data)} B. Medians of {rounds} alternating rounds; "
                "ratio: median [range] of the per-round ratios."
            )

    def ratio(a: list[float], b: list[float]) -> str:
        if not b:
            return "n/a"
        r = sorted(x / y for x, y in zip(a, b, strict=True))
        return f"{statistics.median(r):.2f} [{r[0]:.2f}–{r[-1]:.2f}]"

    def med(values: list[float]) -> float | None:
        return statistics.median(values) if values else None

    rows = [
        ("encode (wskit default: no id/name)", ours["encode"], ref["pipecat_encode"], ref["pb2_encode"]),
        ("encode (send_ids=True, as Pipecat)", ours["encode_ids"], ref["pipecat_encode"], ref["pb2_encode"]),
        ("decode", ours["decode"], ref["pipecat_decode"], ref["pb2_decode"]),
    ]
    return [(label, statistics.median(o), med(p), ratio(o, p), med(b)) for label, o, p, b in rows], note


# -- 3. pacing ------------------------------------------------------------------------------


async def raw_paced(url: str, frames: int) -> dict[str, float]:
    """The same absolute-deadline loop as wskit.audio.stream, over a raw websockets client."""
    payload = bytes(FRAME_BYTES)
    lateness = np.zeros(frames)
    async with connect(url, compression=None) as ws:
        start = time.monotonic()
        for i in range(frames):
            deadline = start + i * FRAME
            delay = deadline - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            lateness[i] = time.monotonic() - deadline
            await ws.send(payload)
    p50, p99 = np.percentile(lateness, [50, 99]) * 1000
    return {"p50": float(p50), "p99": float(p99), "drift": float(lateness[-1] * 1000), "late": 0.0}


async def bench_pacing(seconds: float) -> dict[str, dict[str, float]]:
    server = wskit.WebsocketServerTransport(wskit.WebsocketServerParams(audio_in_enabled=True), port=0)
    received = [0]

    @server.event_handler("on_frame")
    def count(_t: Any, _c: Any, _f: Any) -> None:
        received[0] += 1

    async def sink(ws: ServerConnection) -> None:
        async for _ in ws:
            pass

    await server.start()
    raw_server = await serve(sink, "127.0.0.1", 0, compression=None)
    raw_url = f"ws://127.0.0.1:{raw_server.sockets[0].getsockname()[1]}"
    client = wskit.WebsocketClientTransport(server.url, wskit.WebsocketClientParams(add_wav_header=False))
    await client.start()
    source = chirp(seconds, sample_rate=16000)
    frames = int(seconds / FRAME)
    # one after the other: sharing the loop, each stream's wake-ups would delay the other's
    stats = await stream(source, client, frame_ms=20)
    raw = await raw_paced(raw_url, frames)
    await client.stop()
    await server.stop()
    raw_server.close()
    await raw_server.wait_closed()
    ours = {
        "p50": stats.send_jitter_p50_ms,
        "p99": stats.send_jitter_p99_ms,
        "drift": stats.drift_ms,
        "late": stats.late_frames,
    }
    return {"wskit": ours, "raw": raw}


# -- 4. concurrent streams ------------------------------------------------------------------


async def generate(url: str, streams: int, seconds: float) -> None:
    """The load generator (its own process): ``streams`` paced clients; prints its send lateness."""
    padding = bytes(FRAME_BYTES - 8)
    frames = int(seconds / FRAME)
    lateness: list[float] = []

    async def one(offset: float, t0: float) -> None:
        async with connect(url, compression=None, max_queue=None) as ws:
            start = t0 + offset
            for i in range(frames):
                deadline = start + i * FRAME
                delay = deadline - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                now = time.monotonic()
                lateness.append(now - deadline)
                await ws.send(struct.pack("<d", now) + padding)  # the send time: same clock in every process

    t0 = time.monotonic() + 1.0  # time to open every connection first
    await asyncio.gather(*(one(FRAME * k / streams, t0) for k in range(streams)))
    late = np.array(lateness) * 1000
    print(json.dumps({"p50": float(np.percentile(late, 50)), "p99": float(np.percentile(late, 99))}), flush=True)


class Arrivals:
    """Arrival times per stream, and each frame's one-way delay from the generator's send-time stamp."""

    def __init__(self) -> None:
        self.times: dict[int, list[float]] = {}
        self.delays: list[float] = []

    def add(self, key: int, payload: bytes) -> None:
        now = time.monotonic()
        self.times.setdefault(key, []).append(now)
        self.delays.append(now - struct.unpack_from("<d", payload)[0])

    def delay_p99(self) -> float:
        return float(np.percentile(self.delays, 99) * 1000) if self.delays else float("inf")

    def jitter_p99(self, skip: float) -> float:
        values = []
        for times in self.times.values():
            t = np.array(times)
            t = t[t >= t[0] + skip] if len(t) else t
            if len(t) > 2:
                values.append(np.abs(np.diff(t) - FRAME))
        return float(np.percentile(np.concatenate(values), 99) * 1000) if values else float("inf")


async def wskit_sink(arrivals: Arrivals) -> tuple[str, Callable[[], Any]]:
    server = wskit.WebsocketServerTransport(
        wskit.WebsocketServerParams(audio_in_enabled=True, max_clients=None), port=0
    )

    @server.event_handler("on_frame")
    def on_frame(_t: Any, conn: wskit.Connection, frame: wskit.Frame) -> None:
        arrivals.add(conn.id, frame.audio)  # type: ignore[attr-defined]

    await server.start()
    return server.url, server.stop


async def raw_sink(arrivals: Arrivals) -> tuple[str, Callable[[], Any]]:
    async def handler(ws: ServerConnection) -> None:
        key = id(ws)
        async for message in ws:
            arrivals.add(key, message)  # type: ignore[arg-type]

    server = await serve(handler, "127.0.0.1", 0, compression=None)

    async def stop() -> None:
        server.close()
        await server.wait_closed()

    return f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}", stop


async def serve_sink(kind: str) -> None:
    """A server process: prints its URL, records arrivals until stdin closes, prints its stats."""
    arrivals = Arrivals()
    url, stop = await (wskit_sink if kind == "wskit" else raw_sink)(arrivals)
    print(url, flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await stop()
    print(json.dumps({"jitter": arrivals.jitter_p99(skip=0.5), "delay": arrivals.delay_p99()}), flush=True)


async def one_step(streams: int, seconds: float) -> dict[str, tuple[float, float, float]]:
    """Raw and wskit at once, each server and each generator in its own process: the same load for both."""

    async def spawn(*args: str) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable, __file__, *args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
        )

    servers = {kind: await spawn("--serve", kind) for kind in ("raw", "wskit")}
    urls = {}
    for kind, server in servers.items():
        assert server.stdout is not None
        urls[kind] = (await asyncio.wait_for(server.stdout.readline(), 60)).decode().strip()
    generators = {kind: await spawn("--generate", urls[kind], str(streams), str(seconds)) for kind in servers}
    outputs = await asyncio.gather(*(asyncio.wait_for(g.communicate(), seconds + 60) for g in generators.values()))
    results = {}
    for (kind, server), (out, _) in zip(servers.items(), outputs, strict=True):
        stats, _ = await asyncio.wait_for(server.communicate(b""), 60)
        measured = json.loads(stats.decode().strip().splitlines()[-1])
        generator = json.loads(out.decode().strip().splitlines()[-1])
        results[kind] = (measured["jitter"], generator["p99"], measured["delay"])
    return results


Row = tuple[int, float, float, float]  # streams, arrival jitter p99, generator lateness p99, one-way delay p99


async def bench_streams(seconds: float, steps: list[int], trials: int) -> dict[str, list[Row]]:
    """Each step runs ``trials`` times (raw and wskit at once each time); a row holds the medians.

    The steps stop after two in a row where both servers are over 5 ms on both measures.
    """
    results: dict[str, list[Row]] = {"raw": [], "wskit": []}
    misses = 0
    for streams in steps:
        runs = [await one_step(streams, seconds) for _ in range(trials)]
        over = True
        for kind in ("raw", "wskit"):
            jitter, gen, delay = (statistics.median(run[kind][i] for run in runs) for i in range(3))
            results[kind].append((streams, jitter, gen, delay))
            print(
                f"  {kind:5} {streams:4} streams: arrival jitter p99 {jitter:6.2f} ms, one-way delay p99 "
                f"{delay:6.2f} ms (generator late p99 {gen:.2f} ms; medians of {trials})"
            )
            over = over and jitter >= 5.0 and delay >= 5.0
        misses = misses + 1 if over else 0
        if misses >= 2:
            break
    return results


def sustained(rows: list[Row], column: int) -> int:
    """The most streams that kept ``column`` under 5 ms (a noisy miss at a lower count does not hide it)."""
    return max((row[0] for row in rows if row[column] < 5.0), default=0)


# -- report ---------------------------------------------------------------------------------


def machine() -> str:
    load = os.getloadavg()
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Linux {platform.release()}, "
        f"CPython {platform.python_version()}, numpy {np.__version__}, websockets {websockets.__version__}; "
        f"load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="shorter runs (about 1 minute)")
    parser.add_argument("--generate", nargs=3, metavar=("URL", "STREAMS", "SECONDS"), help=argparse.SUPPRESS)
    parser.add_argument("--serve", choices=("raw", "wskit"), help=argparse.SUPPRESS)
    parser.add_argument("--skip-streams", action="store_true", help="leave out the concurrent-streams part")
    args, _ = parser.parse_known_args()  # ./dev bench passes the same arguments to every script
    if args.serve:
        asyncio.run(serve_sink(args.serve))
        return
    if args.generate:
        url, streams, seconds = args.generate
        asyncio.run(generate(url, int(streams), float(seconds)))
        return

    print(f"# machine: {machine()}")
    started = time.monotonic()
    print("\n## G.711, encode + decode, bytes in and out (samples/s, higher is better)\n")
    print("| case | wskit.audio (numpy) | audioop (C) | wskit/audioop |")
    print("| --- | ---: | ---: | ---: |")
    for label, ours, ref in bench_g711(args.quick):
        print(f"| {label} | {ours / 1e6:,.1f} M | {ref / 1e6:,.1f} M | {ours / ref:.2f} |")

    print("\n## Protobuf, one 20 ms 16 kHz mono audio frame (µs per frame, lower is better)\n")
    rows, note = bench_protobuf(args.quick)
    print("| operation | wskit | Pipecat's serializer | wskit/Pipecat | protobuf lib (frames_pb2) alone |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for label, ours_us, pipecat_us, ratio, pb2_us in rows:
        pc = f"{pipecat_us:.2f}" if pipecat_us else "n/a"
        pb = f"{pb2_us:.2f}" if pb2_us else "n/a"
        print(f"| {label} | {ours_us:.2f} | {pc} | {ratio} | {pb} |")
    print(f"\n{note}")

    seconds = 10.0 if args.quick else 60.0
    print(f"\n## Pacing: one stream, 50 frames/s for {seconds:.0f} s (ms)\n")
    pacing = asyncio.run(bench_pacing(seconds))
    print("| | send lateness p50 | p99 | drift at the end | late frames (> 10 ms) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for kind, label in (("wskit", "wskit.audio.stream → wskit server"), ("raw", "same loop, raw websockets")):
        p = pacing[kind]
        late = f"{p['late']:.0f}" if kind == "wskit" else "-"
        print(f"| {label} | {p['p50']:.3f} | {p['p99']:.3f} | {p['drift']:+.3f} | {late} |")

    if not args.skip_streams:
        step_seconds = 3.0 if args.quick else 4.0
        steps = [10, 25, 50, 75, 100, 150, 200, 300, 400, 600] if not args.quick else [10, 50, 100, 200]
        print(f"\n## Concurrent 16 kHz / 20 ms streams, {step_seconds:.0f} s per step, raw and wskit at once")
        print("(each server and each load generator in its own process)\n")
        results = asyncio.run(bench_streams(step_seconds, steps, trials=1 if args.quick else 3))
        print("\n| streams sustained with ... < 5 ms | raw websockets | wskit | wskit/raw |")
        print("| --- | ---: | ---: | ---: |")
        for column, label in ((1, "arrival-interval jitter p99"), (3, "one-way delay p99")):
            raw_n, wskit_n = sustained(results["raw"], column), sustained(results["wskit"], column)
            ratio = f"{wskit_n / raw_n:.2f}" if raw_n else "n/a"
            print(f"| {label} | {raw_n} | {wskit_n} | {ratio} |")
        print("\n| streams | arrival jitter p99, raw / wskit | one-way delay p99, raw / wskit ", end="")
        print("| generator late p99, in each run |")
        print("| ---: | ---: | ---: | ---: |")
        by_n: dict[int, dict[str, Row]] = {}
        for kind, rows_k in results.items():
            for row in rows_k:
                by_n.setdefault(row[0], {})[kind] = row

        def pair(n: int, column: int) -> str:
            return " / ".join(f"{by_n[n][k][column]:.2f}" if k in by_n[n] else "-" for k in ("raw", "wskit"))

        for n in sorted(by_n):
            print(f"| {n} | {pair(n, 1)} | {pair(n, 3)} | {pair(n, 2)} |")
    print(f"\n# took {time.monotonic() - started:.0f} s; load average now {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
