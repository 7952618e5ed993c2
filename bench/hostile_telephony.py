"""One huge telephony ``media`` event against a TelephonySerializer echo server.

A wskit server (``TelephonySerializer``, echoing every frame, audio at 16 kHz)
runs in a subprocess with a ticker that records how long its event loop was
blocked. Client B sends a small ``mark`` event every 10 ms and times each
echo; client A sends one ``media`` event just under ``max_message_size``
(1 MiB, about 750 KB of μ-law). The table gives the loop's longest stall,
B's round trip at idle and during the attack, the server's RSS before and
after, and what A got back (its echo, or an error event and nothing).

Run: ``.venv/bin/python bench/hostile_telephony.py``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import statistics
import sys
import time

import websockets
from _machine import describe
from websockets.asyncio.client import connect

SERVER = r"""
import asyncio, resource, sys, time
import wskit

async def main():
    server = wskit.WebsocketServerTransport(
        wskit.WebsocketServerParams(serializer=wskit.TelephonySerializer(), audio_in_sample_rate=16000), port=0)
    lag = [0.0]
    errors = []
    server.events.subscribe(lambda e: errors.append(str(e.error)[:80]) if e.kind is wskit.EventKind.ERROR else None)

    @server.event_handler("on_frame")
    async def echo(transport, conn, frame):
        if isinstance(frame, wskit.MessageFrame) and frame.data.get("event") == "stats":
            rss = int(next(l for l in open("/proc/self/status") if l.startswith("VmRSS")).split()[1]) / 1024
            await conn.send(wskit.MessageFrame({"event": "stats", "lag": lag[0], "rss": rss, "errors": errors}))
            lag[0] = 0.0
            return
        await conn.send(frame)

    async def ticker():
        while True:
            t = time.perf_counter()
            await asyncio.sleep(0.005)
            lag[0] = max(lag[0], time.perf_counter() - t - 0.005)

    await server.start()
    asyncio.get_running_loop().create_task(ticker())
    print(server.url, flush=True)
    await asyncio.sleep(120)

asyncio.run(main())
"""

MARK = json.dumps({"event": "mark", "streamSid": "MZB", "mark": {"name": "rtt"}})
STATS = json.dumps({"event": "stats"})


async def stats(ws: websockets.ClientConnection) -> dict[str, object]:
    await ws.send(STATS)
    while True:
        reply = json.loads(await ws.recv())
        if reply.get("event") == "stats":
            return dict(reply)


async def round_trips(ws: websockets.ClientConnection, seconds: float, every: float = 0.01) -> list[float]:
    times: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        await ws.send(MARK)
        await ws.recv()
        times.append(time.perf_counter() - started)
        await asyncio.sleep(every)
    return times


async def main() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", SERVER, stdout=asyncio.subprocess.PIPE, cwd=os.path.dirname(__file__) + "/.."
    )
    assert proc.stdout is not None
    url = (await proc.stdout.readline()).decode().strip()
    assert re.match(r"ws://", url), url
    try:
        async with connect(url, max_size=None) as b, connect(url, max_size=None) as a:
            # a first small media event: numpy and the resampler are loaded before the measurement
            await b.send(json.dumps({"event": "media", "streamSid": "MZB", "media": {"payload": "/w=="}}))
            await b.recv()
            idle = await round_trips(b, 1.0)
            before = await stats(b)
            payload = base64.b64encode(bytes([0xFF, 0x7F]) * 375_000).decode()  # 750 KB of μ-law
            attack = json.dumps({"event": "media", "streamSid": "MZA", "media": {"payload": payload}})
            await a.send(attack)
            during = await round_trips(b, 3.0)
            after = await stats(b)
            try:
                echoed = len(await asyncio.wait_for(a.recv(), 2.0))
            except TimeoutError:
                echoed = 0
    finally:
        proc.kill()
        await proc.wait()
    for line in describe(f"websockets {websockets.__version__}"):
        print(line)
    print(f"\ninput: one media event of {len(attack):,} bytes (payload {len(payload):,} base64 chars)\n")
    print("| measure | value |")
    print("| --- | --- |")
    print(f"| server loop blocked (longest stall) | {float(after['lag']) * 1000:,.0f} ms |")  # type: ignore[arg-type]
    print(f"| other client's round trip, idle (median) | {statistics.median(idle) * 1000:.2f} ms |")
    print(f"| other client's round trip during it (max) | {max(during) * 1000:,.1f} ms |")
    print(f"| server RSS before / after | {before['rss']:.0f} / {after['rss']:.0f} MiB |")
    print(f"| echo to the attacker | {f'{echoed:,} bytes' if echoed else 'none'} |")
    print(f"| error events | {after['errors'] or 'none'} |")


if __name__ == "__main__":
    asyncio.run(main())
