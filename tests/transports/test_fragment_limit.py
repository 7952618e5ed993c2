"""The fragment limit the README states: websockets assembles at most 4,096 frames into one message.

It is websockets' (``WEBSOCKETS_MAX_FRAGMENTS`` in ``websockets/asyncio/messages.py``), not
wskit's: a message in more fragments closes with 1009 "too many fragments" even when it is far
under ``max_message_size``. These tests pin it so the README stays true when websockets changes.
"""

from __future__ import annotations

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

import wskit

MAX_FRAGMENTS = 4096


async def echo_server() -> wskit.WebsocketServerTransport:
    server = wskit.WebsocketServerTransport(port=0)

    @server.event_handler("on_frame")
    async def echo(transport: object, conn: wskit.Connection, frame: wskit.Frame) -> None:
        await conn.send(frame)

    await server.start()
    return server


@pytest.mark.timeout(30)
async def test_a_message_of_4096_fragments_arrives_one_more_closes_with_1009() -> None:
    server = await echo_server()
    async with connect(server.url) as ws:
        # websockets sends each item of an iterable as one frame (RFC 6455 §5.4), then an empty
        # final frame: n items are n + 1 fragments
        await ws.send(["x"] * (MAX_FRAGMENTS - 1))
        assert await ws.recv() == "x" * (MAX_FRAGMENTS - 1)
        await ws.send(["x"] * MAX_FRAGMENTS)
        with pytest.raises(ConnectionClosed) as info:
            await ws.recv()
    assert info.value.rcvd is not None
    assert (info.value.rcvd.code, info.value.rcvd.reason) == (1009, "too many fragments")
