"""Defects 2 and 8: failed opening handshakes leave nothing behind and show up as (rate-limited) events."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

from websockets.asyncio.server import ServerConnection

import wskit
from tests.conftest import eventually
from tests.transports.rawpeer import raw_request
from tests.transports.test_server import echo_server, kinds, recorder
from wskit import EventKind
from wskit.transports.server import HANDSHAKE_REPORTS_PER_SECOND

PLAIN_GET = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
WRONG_VERSION = (
    b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n"
)
JUNK = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage that is not HTTP\r\n\r\n"


def live_server_connections() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, ServerConnection))


async def flood(url: str, request: bytes, count: int, parallel: int = 16) -> list[bytes]:
    answers: list[bytes] = []

    async def worker(n: int) -> None:
        for _ in range(n):
            answers.append(await raw_request(url, request))

    await asyncio.gather(*(worker(count // parallel) for _ in range(parallel)))
    return answers


class TestNoLeak:
    async def test_thousands_of_refused_upgrades_leave_no_state(self) -> None:
        server = await echo_server()
        baseline = live_server_connections()
        answers = await flood(server.url, PLAIN_GET, 1600) + await flood(server.url, WRONG_VERSION, 1600)
        assert {a.split(b" ", 2)[1] for a in answers} == {b"426", b"400"}
        await eventually(lambda: len(server._pending) == 0)
        assert live_server_connections() - baseline <= 2  # nothing kept per refused request
        async with asyncio.timeout(5):
            await server.stop()
        assert len(server._pending) == 0

    async def test_normal_clients_still_served_after_a_flood(self) -> None:
        server = await echo_server()
        await flood(server.url, WRONG_VERSION, 200)
        client = wskit.WebsocketClientTransport(server.url)
        replies = client.frames()
        await client.start()
        await client.send(wskit.TextFrame("still here"))
        frame = await replies.get(timeout=5)
        assert isinstance(frame, wskit.TextFrame) and frame.text == "still here"
        await client.stop()


class TestReported:
    async def test_each_kind_of_failed_handshake_is_an_event_and_a_rejection(self) -> None:
        server = await echo_server()
        events = recorder(server)
        rejected: list[tuple[Any, int | None, str]] = []
        server.add_event_handler("on_client_rejected", lambda t, *args: rejected.append(args))
        for request in (JUNK, PLAIN_GET, WRONG_VERSION):
            await raw_request(server.url, request)
        await eventually(lambda: len(rejected) == 3)
        got = kinds(events, EventKind.REJECTED)
        assert [e.code for e in got] == [400, 426, 400]
        assert all(e.info is not None and e.info["stage"] == "handshake" for e in got)
        assert "Upgrade" in got[1].reason or "upgrade" in got[1].reason.lower()
        assert [(c, code) for c, code, _ in rejected] == [(None, 400), (None, 426), (None, 400)]

    async def test_a_flood_is_rate_limited_and_the_rest_counted(self) -> None:
        server = await echo_server()
        events = recorder(server)
        await flood(server.url, JUNK, 96)
        await eventually(lambda: kinds(events, EventKind.REJECTED))
        burst = kinds(events, EventKind.REJECTED)
        assert len(burst) <= 3 * HANDSHAKE_REPORTS_PER_SECOND  # 96 requests in well under 3 s
        await asyncio.sleep(1.1)
        await raw_request(server.url, JUNK)
        await eventually(lambda: len(kinds(events, EventKind.REJECTED)) == len(burst) + 1)
        got = kinds(events, EventKind.REJECTED)
        assert got[-1].info is not None and got[-1].info.get("suppressed", 0) > 0
        suppressed = sum(e.info.get("suppressed", 0) for e in got if e.info is not None)
        assert len(got) + suppressed == 97  # every failure is an event or counted in one
        assert all(e.info is not None and e.info["stage"] == "handshake" for e in got)
