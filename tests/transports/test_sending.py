"""Defect 7 and first-hour friction: serializer failures name the connection; plain values can be sent."""

from __future__ import annotations

import json
from typing import Any

import pytest
from websockets.asyncio.client import connect

import wskit
from tests.conftest import eventually
from tests.transports.rawpeer import raw_request
from tests.transports.test_server import echo_server, kinds, recorder
from wskit import EventKind


class Broken:
    name = "Broken"

    def serialize(self, frame: wskit.Frame) -> str:
        raise ValueError("cannot encode")

    def deserialize(self, data: str | bytes) -> wskit.Frame:
        return wskit.TextFrame(str(data))


class TestSerializerFailureNamesTheConnection:
    async def test_on_error_gets_the_connection_once(self) -> None:
        server = wskit.WebsocketServerTransport(wskit.WebsocketServerParams(serializer=Broken()), port=0)
        events = recorder(server)
        seen: list[tuple[Any, BaseException]] = []
        server.add_event_handler("on_error", lambda t, conn, exc: seen.append((conn, exc)))
        await server.start()
        async with connect(server.url):
            await eventually(lambda: len(server.clients) == 1)
            conn = server.clients[0]
            with pytest.raises(wskit.serializers.SerializerError, match="cannot encode"):
                await conn.send(wskit.TextFrame("x"))
        assert [(c, type(e)) for c, e in seen] == [(conn, wskit.serializers.SerializerError)]
        assert [e.connection for e in kinds(events, EventKind.ERROR)] == [conn]


class TestPlainValues:
    async def test_client_send_accepts_str_bytes_and_json_values(self) -> None:
        server = await echo_server(serializer=wskit.JsonSerializer())
        client = wskit.WebsocketClientTransport(
            server.url, wskit.WebsocketClientParams(serializer=wskit.JsonSerializer())
        )
        replies = client.frames()
        await client.start()
        await client.send("hi")
        await client.send(b"\x00\x01")
        await client.send({"op": "add", "n": [1, 2]})
        await client.send_json({"untagged": True})  # decoded as a MessageFrame by the other side
        got = [await replies.get(timeout=5) for _ in range(4)]
        assert got[0] == wskit.TextFrame("hi", id=got[0].id, name=got[0].name)
        assert isinstance(got[1], wskit.BinaryFrame) and got[1].data == b"\x00\x01"
        assert isinstance(got[2], wskit.MessageFrame) and got[2].data == {"op": "add", "n": [1, 2]}
        assert isinstance(got[3], wskit.MessageFrame) and got[3].data == {"untagged": True}
        await client.stop()

    async def test_broadcast_accepts_a_dict(self) -> None:
        server = await echo_server()
        async with connect(server.url) as ws:
            await eventually(lambda: len(server.clients) == 1)
            assert await server.broadcast({"op": "tick"}) == 1
            assert json.loads(await ws.recv()) == {"op": "tick"}

    async def test_a_value_that_is_no_frame_says_what_is_expected(self) -> None:
        server = await echo_server()
        async with connect(server.url):
            await eventually(lambda: len(server.clients) == 1)
            with pytest.raises(TypeError, match="MessageFrame"):
                await server.clients[0].send(object())


class TestConnectionIds:
    async def test_ids_are_numbered_per_transport_from_1(self) -> None:
        first = await echo_server()
        async with connect(first.url), connect(first.url):
            await eventually(lambda: len(first.clients) == 2)
            assert [c.id for c in first.clients] == [1, 2]
        await first.stop()
        fresh = await echo_server()
        for _ in range(3):  # failed upgrades take no number
            await raw_request(fresh.url, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        client = wskit.WebsocketClientTransport(fresh.url)
        await client.start()
        await eventually(lambda: len(fresh.clients) == 1)
        assert fresh.clients[0].id == 1 and client.connection is not None and client.connection.id == 1
        await client.stop()
