"""Defect 1: a client that never reads is bounded, reported and closed; others keep their timing."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

import wskit
from tests.conftest import eventually
from tests.transports.rawpeer import raw_upgrade
from tests.transports.test_server import kinds, recorder
from wskit import EventKind

CHUNK = b"\x00" * 256 * 1024


async def push_server(**params: Any) -> wskit.WebsocketServerTransport:
    server = wskit.WebsocketServerTransport(wskit.WebsocketServerParams(**params), port=0)
    await server.start()
    return server


class TestSlowConsumer:
    async def test_broadcast_to_a_stalled_client_is_bounded_and_closes_it_1008(self) -> None:
        server = await push_server(max_send_buffer=2**20)
        events = recorder(server)
        stalled = await raw_upgrade(server.url)
        good = wskit.WebsocketClientTransport(server.url)
        got: list[float] = []
        good.add_event_handler("on_frame", lambda t, c, f: got.append(time.monotonic()))
        await good.start()
        await eventually(lambda: len(server.clients) == 2)
        stalled_conn = server.clients[0]
        try:
            for _ in range(60):  # 15 MiB in all, far beyond any socket buffer
                await server.broadcast(CHUNK)
                buffered = stalled_conn.websocket.transport.get_write_buffer_size()
                assert buffered <= 2**20 + len(CHUNK)
                await asyncio.sleep(0.01)
            await eventually(lambda: len(server.clients) == 1)
            assert server.clients[0] is not stalled_conn
            slow = kinds(events, EventKind.SLOW_CONSUMER)
            assert [e.connection for e in slow] == [stalled_conn]
            assert slow[0].info is not None and slow[0].info["policy"] == "close"
            await eventually(lambda: any(e.connection is stalled_conn for e in kinds(events, EventKind.DISCONNECTED)))
            gone = [e for e in kinds(events, EventKind.DISCONNECTED) if e.connection is stalled_conn]
            assert gone[0].code == 1008
            await eventually(lambda: len(got) == 60, timeout=10)  # the reading client lost nothing
            gaps = [b - a for a, b in itertools.pairwise(got)]
            assert max(gaps) < 1.0, max(gaps)  # and kept its timing (one broadcast every ~10 ms)
        finally:
            stalled.close()
            await good.stop()

    async def test_send_to_a_stalled_client_times_out_and_raises_disconnect(self) -> None:
        server = await push_server(send_timeout=0.3)
        stalled = await raw_upgrade(server.url)
        await eventually(lambda: len(server.clients) == 1)
        conn = server.clients[0]
        started = time.monotonic()
        try:
            async with asyncio.timeout(10):
                try:
                    while True:
                        await conn.send_bytes(CHUNK)
                except wskit.WebSocketDisconnect as exc:
                    assert exc.code == 1008
            assert time.monotonic() - started < 5
            assert conn.close_code == 1008
        finally:
            stalled.close()

    async def test_drop_policy_counts_and_keeps_the_connection(self) -> None:
        server = await push_server(max_send_buffer=2**20, slow_consumer="drop")
        events = recorder(server)
        stalled = await raw_upgrade(server.url)
        await eventually(lambda: len(server.clients) == 1)
        conn = server.clients[0]
        try:
            for _ in range(40):
                await server.broadcast(CHUNK)
                await asyncio.sleep(0.005)
            assert conn.websocket.transport.get_write_buffer_size() <= 2**20 + len(CHUNK)
            assert conn.messages_dropped > 0
            assert conn.messages_out + conn.messages_dropped == 40
            slow = kinds(events, EventKind.SLOW_CONSUMER)
            assert len(slow) == 1 and slow[0].info is not None and slow[0].info["policy"] == "drop"
            assert server.clients == (conn,)
        finally:
            stalled.close()
