"""Bad input, one kind at a time: each gets a clear event and the right code, the server survives,
and a bystander client keeps talking throughout."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.frames import Frame, Opcode

import wskit
from tests.conftest import eventually
from tests.transports.rawpeer import raw_request, raw_upgrade
from tests.transports.test_handshake_failures import JUNK, PLAIN_GET, WRONG_VERSION
from tests.transports.test_server import kinds, recorder
from wskit import EventKind

LIMIT = 4096
BAD_KEY = (
    b"GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


def on_echo(request: bytes) -> bytes:
    return request.replace(b"GET / ", b"GET /echo ", 1)


Attack = Callable[[wskit.WebsocketServerTransport], Awaitable[None]]


async def handshake_junk(server: wskit.WebsocketServerTransport, data: bytes) -> None:
    await raw_request(server.url, data)


async def oversize(server: wskit.WebsocketServerTransport) -> None:
    async with connect(server.url + "echo", max_size=None) as ws:
        await ws.send("x" * (LIMIT + 1))
        with pytest.raises(ConnectionClosed):
            await ws.recv()


async def bad_utf8(server: wskit.WebsocketServerTransport) -> None:
    sock = await raw_upgrade(server.url, rcvbuf=65536, path="/echo")
    try:
        await asyncio.get_running_loop().sock_sendall(sock, Frame(Opcode.TEXT, b"ok \xc3\x28").serialize(mask=True))
        await asyncio.sleep(0.2)
    finally:
        sock.close()


async def binary_for_text(server: wskit.WebsocketServerTransport) -> None:
    async with connect(server.url + "echo") as ws:
        await ws.send(b"\x00\x01")
        with pytest.raises(ConnectionClosed):
            await ws.recv()


async def one_too_many(server: wskit.WebsocketServerTransport) -> None:
    async with connect(server.url + "echo"):  # the bystander plus this one fill the server
        await eventually(lambda: len(server.clients) == 2)
        async with connect(server.url + "echo") as extra:
            with pytest.raises(ConnectionClosed):
                await extra.recv()


CASES: list[tuple[str, Attack, EventKind, int]] = [
    ("random bytes instead of a handshake", lambda s: handshake_junk(s, JUNK), EventKind.REJECTED, 400),
    ("a non-upgrade HTTP request", lambda s: handshake_junk(s, on_echo(PLAIN_GET)), EventKind.REJECTED, 426),
    ("a wrong protocol version", lambda s: handshake_junk(s, on_echo(WRONG_VERSION)), EventKind.REJECTED, 400),
    ("a malformed key", lambda s: handshake_junk(s, BAD_KEY), EventKind.REJECTED, 400),
    ("an oversize message", oversize, EventKind.DISCONNECTED, 1009),
    ("invalid UTF-8 in a text frame", bad_utf8, EventKind.DISCONNECTED, 1007),
    ("binary where text is required", binary_for_text, EventKind.DISCONNECTED, 1003),
    ("one client too many", one_too_many, EventKind.REJECTED, 1013),
]


async def talk(bystander: ClientConnection, text: str) -> None:
    await bystander.send(text)
    assert await asyncio.wait_for(bystander.recv(), 2) == text


@pytest.mark.parametrize(("attack", "kind", "code"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
async def test_bad_input(attack: Attack, kind: EventKind, code: int) -> None:
    params = wskit.WebsocketServerParams(max_message_size=LIMIT, max_clients=2, close_timeout=0.5)
    server = wskit.WebsocketServerTransport(params, port=0)

    @server.route("/echo")
    async def echo(websocket: wskit.Connection) -> None:
        await websocket.accept()
        async for text in websocket.iter_text():
            await websocket.send_text(text)

    await server.start()
    async with connect(server.url + "echo") as bystander:
        await talk(bystander, "before")
        events = recorder(server)
        await attack(server)
        await eventually(lambda: [e for e in kinds(events, kind) if e.code == code], timeout=5)
        if code == 1009:
            gone = next(e for e in kinds(events, kind) if e.code == code)
            assert str(LIMIT) in gone.reason  # the limit is in the reason
        if kind is EventKind.DISCONNECTED and code != 1013:
            assert [e.code for e in kinds(events, EventKind.ERROR)] == [code]  # one clear error event
        await talk(bystander, "after")
        assert server.running


async def test_auth_refusal_is_http_401_and_reported() -> None:
    server = wskit.WebsocketServerTransport(wskit.WebsocketServerParams(auth=wskit.auth.token_auth("k")), port=0)
    events = recorder(server)
    await server.start()
    with pytest.raises(InvalidStatus):
        await connect(server.url)
    assert [e.code for e in kinds(events, EventKind.REJECTED)] == [401]


async def test_rejected_clients_are_not_reported_as_disconnected() -> None:
    server = wskit.WebsocketServerTransport(wskit.WebsocketServerParams(max_clients=1), port=0)
    events = recorder(server)
    gone: list[wskit.Connection] = []
    server.add_event_handler("on_client_disconnected", lambda t, conn: gone.append(conn))
    await server.start()
    async with connect(server.url):
        await eventually(lambda: len(server.clients) == 1)
        async with connect(server.url) as extra:
            with pytest.raises(ConnectionClosed):
                await extra.recv()
        await eventually(lambda: kinds(events, EventKind.REJECTED))
        await asyncio.sleep(0.1)
        assert kinds(events, EventKind.DISCONNECTED) == [] and gone == []
