"""Defects 5 and 6: stop() ends reconnecting at once, stop(timeout) is a bound, stop_all stops concurrently."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from websockets.asyncio.client import connect

import wskit
from tests.conftest import eventually
from tests.transports.test_server import echo_server, kinds, recorder
from wskit import EventKind


async def hung_server(**params: Any) -> wskit.WebsocketServerTransport:
    """A server whose ``on_frame`` handler never returns."""
    server = wskit.WebsocketServerTransport(wskit.WebsocketServerParams(**params), port=0)
    forever = asyncio.Event()

    @server.event_handler("on_frame")
    async def hang(transport: Any, conn: wskit.Connection, frame: wskit.Frame) -> None:
        await forever.wait()

    await server.start()
    return server


class TestClientStop:
    async def test_stop_while_reconnecting_is_immediate_and_silent(self) -> None:
        server = await echo_server()
        client = wskit.WebsocketClientTransport(
            server.url, wskit.WebsocketClientParams(reconnect=True, reconnect_min_delay=0.5, max_reconnect_attempts=5)
        )
        events = recorder(client)
        errors: list[BaseException] = []
        client.add_event_handler("on_error", lambda t, conn, exc: errors.append(exc))
        await client.start()
        await server.stop()
        await eventually(lambda: len(kinds(events, EventKind.RECONNECTING)) >= 2)
        started = time.monotonic()
        await client.stop()
        assert time.monotonic() - started < 0.3
        assert not client.running
        count = len(kinds(events, EventKind.RECONNECTING))
        await asyncio.sleep(0.7)  # past the next backoff: nothing more happens
        assert len(kinds(events, EventKind.RECONNECTING)) == count
        assert errors == [] and kinds(events, EventKind.ERROR) == []

    async def test_a_stopped_client_does_not_reconnect_when_the_server_returns(self) -> None:
        server = await echo_server()
        port = server.listen_address[1]  # type: ignore[index]
        client = wskit.WebsocketClientTransport(
            server.url, wskit.WebsocketClientParams(reconnect=True, reconnect_min_delay=0.05, max_reconnect_attempts=50)
        )
        events = recorder(client)
        await client.start()
        await server.stop()
        await eventually(lambda: kinds(events, EventKind.RECONNECTING))
        await client.stop()
        back = wskit.WebsocketServerTransport(port=port)
        await back.start()
        await asyncio.sleep(0.3)
        assert back.clients == () and len(kinds(events, EventKind.CONNECTED)) == 1

    async def test_send_between_reconnects_says_so(self) -> None:
        server = await echo_server()
        client = wskit.WebsocketClientTransport(
            server.url, wskit.WebsocketClientParams(reconnect=True, reconnect_min_delay=0.5, max_reconnect_attempts=5)
        )
        events = recorder(client)
        await client.start()
        await server.stop()
        await eventually(lambda: len(kinds(events, EventKind.RECONNECTING)) >= 2)
        with pytest.raises(wskit.NotConnectedError, match=r"reconnecting to .* \(attempt \d of 5\)"):
            await client.send_text("lost?")
        await client.stop()
        with pytest.raises(RuntimeError, match=r"await client\.start"):
            await client.send_text("after stop")


class TestServerStop:
    async def test_timeout_bounds_stop_with_a_hung_handler_and_a_full_queue(self) -> None:
        server = await hung_server(close_timeout=10)
        ws = await connect(server.url)
        for i in range(40):  # the handler hangs on the first: the rest fill the queue, reading pauses
            await ws.send(f"m{i}")
        await eventually(lambda: server.clients and server.clients[0].messages_in >= 1)
        started = time.monotonic()
        await server.stop(timeout=1)
        assert time.monotonic() - started < 1 + wskit.transports.server.STOP_GRACE + 0.5
        assert not server.running and server.clients == ()
        await ws.close()

    async def test_stop_all_stops_servers_concurrently(self) -> None:
        servers = [await hung_server(close_timeout=1.0) for _ in range(3)]
        peers = []
        for server in servers:
            ws = await connect(server.url)
            for i in range(40):
                await ws.send(f"m{i}")
            peers.append(ws)
        started = time.monotonic()
        await wskit.stop_all_async(timeout=1.0)
        took = time.monotonic() - started
        assert took < 2.5, took  # one after another: 3 x (timeout + grace) or more
        assert not any(s.running for s in servers)
        for ws in peers:
            await ws.close()
