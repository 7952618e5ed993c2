"""Client transport on loopback: connect, send, receive, stop, reconnect."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import wskit
from tests.conftest import eventually
from tests.transports.test_server import echo_server, free_port, kinds, recorder
from wskit import EventKind


def client_for(url: str, **params: Any) -> wskit.WebsocketClientTransport:
    return wskit.WebsocketClientTransport(url, wskit.WebsocketClientParams(**params))


class TestConnect:
    async def test_send_and_receive_frames(self) -> None:
        server = await echo_server()
        client = client_for(server.url)
        connected: list[wskit.Connection] = []
        client.add_event_handler("on_connected", lambda t, conn: connected.append(conn))
        replies = client.frames()
        await client.start()
        assert client.running and connected == [client.connection]
        await client.send(wskit.TextFrame("one"))
        await client.send_bytes(b"\x02")
        await client.send_json({"n": 3})
        got = [await replies.get(timeout=2) for _ in range(3)]
        assert [str(f) for f in got] == ["TEXT 'one' [3 bytes]", "BINARY 02 [1 bytes]", "TEXT '{\"n\":3}' [7 bytes]"]

    async def test_on_frame_handler(self) -> None:
        server = await echo_server()
        client = client_for(server.url)
        seen: list[str] = []

        @client.event_handler("on_frame")
        def collect(transport: Any, conn: wskit.Connection, frame: wskit.Frame) -> None:
            seen.append(frame.text)  # type: ignore[attr-defined]

        await client.start()
        await client.send_text("ping")
        await eventually(lambda: seen == ["ping"])

    async def test_additional_headers_reach_the_server(self) -> None:
        server = await echo_server()
        client = client_for(server.url, additional_headers={"X-Trace": "abc", "Cookie": "session=s1"})
        await client.start()
        await eventually(lambda: server.clients)
        conn = server.clients[0]
        assert conn.headers["x-trace"] == "abc"
        assert conn.cookies == {"session": "s1"}
        assert conn.client is not None and conn.client.host == "127.0.0.1"
        assert client.connection is not None and client.connection.headers["upgrade"].lower() == "websocket"

    async def test_refused_without_reconnect_raises_clearly(self) -> None:
        url = f"ws://127.0.0.1:{free_port()}/"
        client = client_for(url)
        with pytest.raises(wskit.ConnectError, match=f"could not connect to {url}: ConnectionRefusedError"):
            await client.start()
        assert not client.running

    async def test_send_before_start(self) -> None:
        client = client_for("ws://127.0.0.1:9/")
        with pytest.raises(RuntimeError, match="not connected"):
            await client.send_text("x")

    async def test_stop_closes_with_1000(self) -> None:
        server = await echo_server()
        events = recorder(server)
        client = client_for(server.url)
        await client.start()
        await client.stop()
        assert not client.running
        await eventually(lambda: kinds(events, EventKind.DISCONNECTED))
        assert kinds(events, EventKind.DISCONNECTED)[0].code == 1000

    async def test_server_going_away_is_seen(self) -> None:
        server = await echo_server()
        client = client_for(server.url)
        codes: list[int | None] = []
        client.add_event_handler("on_disconnected", lambda t, conn: codes.append(conn.close_code))
        await client.start()
        await server.stop()
        await eventually(lambda: codes == [1001])
        await eventually(lambda: not client.running)


class TestReconnect:
    async def test_reconnects_after_server_restart(self) -> None:
        server = await echo_server()
        port = server.listen_address[1]  # type: ignore[index]
        client = client_for(server.url, reconnect=True, reconnect_min_delay=0.05, max_reconnect_attempts=50)
        events = recorder(client)
        connects: list[int] = []
        client.add_event_handler("on_connected", lambda t, conn: connects.append(conn.id))
        attempts: list[tuple[int, float]] = []
        client.add_event_handler("on_reconnecting", lambda t, attempt, delay, error: attempts.append((attempt, delay)))
        await client.start()
        await server.stop()
        await asyncio.sleep(0.2)  # a few refused attempts while the server is down
        restarted = wskit.WebsocketServerTransport(port=port)

        @restarted.event_handler("on_frame")
        async def reply(transport: Any, conn: wskit.Connection, frame: wskit.Frame) -> None:
            await conn.send_text("back")

        replies = client.frames()
        await restarted.start()
        await eventually(lambda: len(connects) == 2)
        await client.send_text("hello?")
        assert str(await replies.get(timeout=2)) == "TEXT 'back' [4 bytes]"
        # attempt 1 follows the drop at once; later ones back off; numbered from 1, one event each
        assert attempts[:2] == [(1, 0.0), (2, 0.05)]
        assert [a for a, _ in attempts] == list(range(1, 1 + len(attempts)))
        reconnecting = kinds(events, EventKind.RECONNECTING)
        assert [e.info["attempt"] for e in reconnecting if e.info] == [a for a, _ in attempts]
        assert reconnecting[0].error is None and isinstance(reconnecting[1].error, OSError)

    async def test_gives_up_after_max_attempts(self) -> None:
        url = f"ws://127.0.0.1:{free_port()}/"
        client = client_for(url, reconnect=True, reconnect_min_delay=0.01, max_reconnect_attempts=3)
        seen: list[tuple[int, float]] = []
        client.add_event_handler("on_reconnecting", lambda t, attempt, delay, error: seen.append((attempt, delay)))
        with pytest.raises(wskit.ConnectError, match="after 4 attempts") as info:
            await client.start()
        assert info.value.attempts == 4  # the first connection and 3 reconnect attempts
        assert seen == [(1, 0.01), (2, 0.02), (3, 0.04)]  # one event per reconnect attempt, from 1
        assert not client.running

    async def test_http_rejection_is_not_retried(self) -> None:
        server = wskit.WebsocketServerTransport(port=0)

        def deny(websocket: wskit.Connection) -> None:
            raise wskit.HTTPReject(403, "go away")

        server.params.auth = deny
        await server.start()
        client = client_for(server.url, reconnect=True, reconnect_min_delay=0.01)
        with pytest.raises(wskit.ConnectError, match="HTTP 403") as info:
            await client.start()
        assert info.value.status_code == 403 and info.value.attempts == 1
