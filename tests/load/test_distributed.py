"""Distributed runs (a Locust master and two worker processes) against servers on loopback.

Each run is a few seconds of real-time audio from ``wskit load`` in a child
process (see ``runs.py``); the servers run here, on the test's loop, and count
what they receive, which the aggregated report must match.
"""

from __future__ import annotations

import asyncio
import csv
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

import wskit
from tests.peers.fastapi_apps import run_uvicorn

from .runs import free_port, run_load

pytestmark = pytest.mark.timeout(60)

RUN = ["--users", "4", "--spawn-rate", "4", "--run-time", "2s", "--workers", "2"]


def names_in(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir()]


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path) as f:
        return list(csv.DictReader(f))


def assert_clean(run: Any, counted: int) -> dict[str, Any]:
    """Exit 0, nothing left running; what was sent and echoed equals what the server counted; both workers sent."""
    assert run.code == 0, run.output
    assert not run.leftovers, run.output
    report = run.report
    s = report["summary"]
    assert s["sent"] == s["received"] == counted > 0, (s, counted)
    assert (s["lost"], s["duplicated"], s["reordered"], s["foreign"], s["failures"]) == (0, 0, 0, 0, 0), s
    assert s["streams"] == s["finished"] == 4
    workers = report["workers"]
    assert sorted(workers) == ["worker 0", "worker 1"], workers
    assert all(w["sent"] > 0 and w["sent"] == w["received"] for w in workers.values()), workers
    assert sum(w["sent"] for w in workers.values()) == counted
    assert "| frames sent |" in run.stdout and "| worker 1 |" in run.stdout
    return report


async def test_against_a_wskit_echo_server(tmp_path: Path) -> None:
    server = wskit.WebsocketServerTransport(wskit.WebsocketServerParams(audio_in_enabled=True), port=0)
    counted = 0

    @server.event_handler("on_frame")
    async def echo(transport: Any, conn: wskit.Connection, frame: wskit.Frame) -> None:
        nonlocal counted
        counted += 1
        await conn.send(frame)

    await server.start()
    run = await run_load(server.url, *RUN, "--source", "chirp", "--max-lost", "0", report_dir=tmp_path)
    report = assert_clean(run, counted)
    assert report["settings"]["serializer"] == "raw"
    assert report["passed"] is True
    assert set(names_in(tmp_path)) >= {"locust.html", "locust_stats.csv", "locust_voice_history.csv"}
    history = report["history"]
    assert sum(row["sent"] for row in history) == counted
    assert max(row["streams"] for row in history) == 4


async def test_against_a_fastapi_endpoint_with_protobuf(tmp_path: Path) -> None:
    app = FastAPI()
    counted = 0

    @app.websocket("/audio")
    async def audio(websocket: WebSocket) -> None:
        nonlocal counted
        await websocket.accept()
        try:
            while True:
                data = await websocket.receive_bytes()
                counted += 1
                await websocket.send_bytes(data)
        except WebSocketDisconnect:
            pass

    async with run_uvicorn(app) as url:
        run = await run_load(f"{url}/audio", *RUN, "--serializer", "protobuf", report_dir=tmp_path)
    assert_clean(run, counted)


async def test_a_missed_threshold_exits_3_and_the_table_says_why(tmp_path: Path) -> None:
    """Every 10th echo 100 ms late: p99 is over 50 ms. Telephony (μ-law, 8 kHz) stamps on the way."""
    serializer = wskit.TelephonySerializer(sample_rate=8000)
    serializer.deserialize(serializer.serialize(wskit.AudioFrame(bytes(320), 8000)))  # G.711 tables built now
    params = wskit.WebsocketServerParams(serializer=serializer, audio_in_sample_rate=8000)
    server = wskit.WebsocketServerTransport(params, port=0)
    counted = 0

    async def later(conn: wskit.Connection, frame: wskit.Frame) -> None:
        await asyncio.sleep(0.1)
        await conn.send(frame)

    @server.event_handler("on_frame")
    async def echo(transport: Any, conn: wskit.Connection, frame: wskit.Frame) -> None:
        nonlocal counted
        counted += 1
        if counted % 10 == 0:
            wskit.spawn(later(conn, frame), name="late echo")
        else:
            await conn.send(frame)

    await server.start()
    run = await run_load(
        server.url, *RUN, "--serializer", "telephony", "--max-p99-ms", "50", "--max-lost", "0", report_dir=tmp_path
    )
    assert run.code == 3, run.output
    assert not run.leftovers
    s = run.report["summary"]
    assert s["sent"] == s["received"] == counted > 0
    assert s["lost"] == 0
    assert s["rtt_p99_ms"] >= 100, s
    assert s["rtt_p50_ms"] < 50, s
    rtt = run.report["metrics"]["rtt"]["bins"]  # 1 %-wide bins: key k holds 1 µs × 1.01**k
    late = sum(n for key, n in rtt if 1e-6 * 1.01**key >= 0.099)
    assert late >= 0.09 * s["received"], (late, s)  # the delayed tenth, at least
    assert s["reordered"] > 0  # a late echo arrives after the next ones
    lines = run.stdout.splitlines()
    verdict = next(line for line in lines if "echo RTT p99" in line and "limit" in line)
    assert verdict.startswith("MISSED: echo RTT p99 1") and verdict.endswith("ms (limit --max-p99-ms 50)"), verdict
    assert "ok: frames lost 0 (limit --max-lost 0)" in lines
    assert run.report["settings"]["serializer"] == "telephony"


async def test_bad_peers_are_failures_with_their_codes(tmp_path: Path) -> None:
    """An unreachable URL, HTTP 403 and a close with 1008 mid-stream, one user class each.

    A fourth class, a plain WebSocketUser, talks to the same server's echo meanwhile: its
    exchanges are Locust requests of their own, and succeed.
    """
    server = wskit.WebsocketServerTransport(port=0)

    @server.event_handler("on_frame")
    async def echo(transport: Any, conn: wskit.Connection, frame: wskit.Frame) -> None:
        await conn.send(frame)

    def forbid(websocket: wskit.Connection) -> None:
        raise wskit.HTTPReject(403, "no entry")

    @server.route("/forbidden", auth=forbid)
    async def forbidden(websocket: wskit.Connection) -> None:  # pragma: no cover - never admitted
        await websocket.accept()

    @server.route("/policy")
    async def policy(websocket: wskit.Connection) -> None:
        await websocket.accept()
        for _ in range(10):
            await websocket.send_bytes(await websocket.receive_bytes())
        await websocket.close(1008, "ten frames only")

    await server.start()
    base = server.url.rstrip("/")
    locustfile = tmp_path / "bad_peers.py"
    locustfile.write_text(
        "from locust import constant, task\n\n"
        "from wskit import TextFrame\n"
        "from wskit.load import AudioStreamUser, WebSocketUser\n\n\n"
        f"class Unreachable(AudioStreamUser):\n    url = 'ws://127.0.0.1:{free_port()}/'\n\n\n"
        f"class Forbidden(AudioStreamUser):\n    url = '{base}/forbidden'\n\n\n"
        f"class Policy(AudioStreamUser):\n    url = '{base}/policy'\n\n\n"
        "class Chat(WebSocketUser):\n"
        "    path = '/chat'\n"
        "    wait_time = constant(0.2)\n\n"
        "    @task\n"
        "    def talk(self):\n"
        "        self.expect(TextFrame('hi'), 'hi', name='hi')\n"
        "        self.send('as it is')\n"
        "        assert self.receive(name='reply').text == 'as it is'\n"
    )
    args = ["--users", "4", "--spawn-rate", "4", "--run-time", "2s", "--workers", "2", "-f", str(locustfile)]
    run = await run_load(server.url, *args, report_dir=tmp_path / "report")
    assert run.code == 1, run.output  # Locust's code for failed requests
    assert not run.leftovers, run.output
    assert run.seconds < 30
    failures = run.report["failures"]
    assert failures.get("HTTP 403", 0) >= 1, failures
    assert failures.get("close 1008", 0) >= 1, failures
    assert failures.get("connect ConnectionRefusedError", 0) >= 1, failures
    assert set(failures) == {"HTTP 403", "close 1008", "connect ConnectionRefusedError"}, failures
    s = run.report["summary"]
    assert s["sent"] >= 10 * failures["close 1008"]  # each policy stream sent its ten frames first
    assert re.search(r"^\| failures \| .*close 1008: \d+", run.stdout, re.M), run.stdout
    rows = read_csv(tmp_path / "report" / "locust_failures.csv")
    errors = {(r["Method"], r["Error"]) for r in rows}
    assert ("connect", "HTTP 403: Forbidden") in errors, rows
    assert ("connect", "connect ConnectionRefusedError: [Errno 111] Connection refused") in errors, rows
    assert ("stream", "close 1008 'ten frames only'") in errors, rows
    assert not [r for r in rows if r["Name"] in ("/chat", "hi", "text", "reply")], rows
    stats = {(r["Type"], r["Name"]): r for r in read_csv(tmp_path / "report" / "locust_stats.csv")}
    for key in (("connect", "/chat"), ("expect", "hi"), ("send", "text"), ("recv", "reply")):
        assert int(stats[key]["Request Count"]) >= 1 and stats[key]["Failure Count"] == "0", (key, stats.get(key))
    assert float(stats[("send", "text")]["Average Content Size"]) == len("as it is")
