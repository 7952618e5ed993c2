"""Frame assertions: expect_text / expect_json / expect_binary / expect_close / expect_silence."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

import wskit
from tests.conftest import eventually

pytestmark = pytest.mark.timeout(20)


@pytest.fixture
async def server() -> AsyncIterator[wskit.WebsocketServerTransport]:
    """Each text message is a command: ``say:<text>``, ``json:<text>``, ``bin:<n>``, ``burst:<n>``, ``close:<code>``."""
    server = wskit.WebsocketServerTransport(port=0)

    @server.event_handler("on_frame")
    async def command(transport: Any, conn: wskit.Connection, frame: wskit.Frame) -> None:
        assert isinstance(frame, wskit.TextFrame)
        verb, _, arg = frame.text.partition(":")
        if verb == "say" or verb == "json":
            await conn.send_text(arg)
        elif verb == "bin":
            await conn.send_bytes((bytes(range(256)) * (int(arg) // 256 + 1))[: int(arg)])
        elif verb == "burst":
            for i in range(int(arg)):
                await conn.send_text(f"m{i}")
        elif verb == "close":
            await conn.close(int(arg), "as asked")

    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def client(server: wskit.WebsocketServerTransport) -> AsyncIterator[wskit.WebsocketClientTransport]:
    client = wskit.WebsocketClientTransport(server.url)
    await client.start()
    yield client
    await client.stop()


async def test_each_expectation_returns_what_arrived(client: wskit.WebsocketClientTransport) -> None:
    await client.send_text("say:hello")
    assert await client.expect_text("hello", timeout=2) == "hello"
    await client.send_text('json:{"op": "add", "n": [1, 2], "id": 7}')
    assert await client.expect_json(match={"op": "add", "n": [1, 2]}) == {"op": "add", "n": [1, 2], "id": 7}
    await client.send_text('json:{"a": 1}')
    assert await client.expect_json({"a": 1}) == {"a": 1}
    await client.send_text("bin:640")
    data = await client.expect_binary(length=640)
    assert data[:3] == b"\x00\x01\x02" and len(data) == 640
    await client.send_text("say:the 12th")
    assert await client.expect_text(re.compile(r"the \d+th")) == "the 12th"
    await client.expect_silence(0.1)
    await client.send_text("close:4001")
    assert await client.expect_close(4001, "as asked") == 4001


async def test_no_message_is_missed_between_two_calls(client: wskit.WebsocketClientTransport) -> None:
    await client.send_text("burst:1")
    await client.expect_text("m0")  # the first call subscribes
    await client.send_text("burst:5")  # all five arrive while nobody waits
    await eventually(lambda: client.connection is not None and client.connection.messages_in == 6)
    await asyncio.sleep(0.05)
    assert [await client.expect_text() for _ in range(5)] == ["m0", "m1", "m2", "m3", "m4"]


async def test_a_failure_shows_what_arrived_instead(client: wskit.WebsocketClientTransport) -> None:
    await client.send_text("say:one")
    await client.expect_text("one")
    await client.send_text("say:two")
    with pytest.raises(AssertionError) as failure:
        await client.expect_text("three")
    lines = str(failure.value).splitlines()
    assert lines[0] == "expected TEXT 'three', got TEXT 'two' [3 bytes]"
    assert lines[1] == "last messages received (newest last):"
    assert re.fullmatch(r"  \d\d:\d\d:\d\d\.\d{3} message #1 in TEXT 'one' \[3 bytes\]", lines[2])
    assert re.fullmatch(r"> \d\d:\d\d:\d\d\.\d{3} message #1 in TEXT 'two' \[3 bytes\]", lines[3])


async def test_timeouts_and_json_failures_say_why(client: wskit.WebsocketClientTransport) -> None:
    with pytest.raises(AssertionError, match=r"^expected TEXT 'x' within 0.1 s; nothing arrived\n"):
        await client.expect_text("x", timeout=0.1)
    await client.send_text('json:{"user": {"name": "ada", "id": 1}}')
    with pytest.raises(AssertionError) as failure:
        await client.expect_json(match={"user": {"name": "bob"}})
    assert str(failure.value).splitlines()[:2] == [
        'expected JSON {"user":{"name":"bob"}} (subset), got TEXT \'{"user": {"name": "ada", "id": 1}}\' [34 bytes]:',
        '  $.user.name: expected "bob", got "ada"',
    ]
    await client.send_text("say:not json")
    with pytest.raises(AssertionError, match=r"got TEXT 'not json' \[8 bytes\]: not JSON \(Expecting value"):
        await client.expect_json()
    await client.send_text("bin:10")
    with pytest.raises(
        AssertionError, match=r"^expected a binary message of 640 bytes, got BINARY 00 01 .* \[10 bytes\]"
    ):
        await client.expect_binary(length=640)
    with pytest.raises(TypeError):
        await client.expect_json({"a": 1}, match={"a": 1})


async def test_close_and_silence(client: wskit.WebsocketClientTransport) -> None:
    await client.expect_silence(0)  # listening from now on
    await client.send_text("say:early")
    await asyncio.sleep(0.05)
    with pytest.raises(AssertionError, match=r"^expected no message for 0.2 s, got TEXT 'early'"):
        await client.expect_silence(0.2)
    await client.send_text("say:before the close")
    await client.send_text("close:1008")
    with pytest.raises(AssertionError, match=r"^expected the close with 1008, got TEXT 'before the close'"):
        await client.expect_close(1008)
    with pytest.raises(
        AssertionError, match=r"^expected the close with 1000, but the connection closed with 1008 'as asked'"
    ):
        await client.expect_close(1000)
    with pytest.raises(AssertionError, match=r"^expected a text message, but the connection closed with 1008"):
        await client.expect_text()
    await client.expect_silence(0.05)  # closed: nothing can come


async def test_close_timeout(client: wskit.WebsocketClientTransport) -> None:
    with pytest.raises(AssertionError, match=r"^expected the close within 0.1 s; the connection is still open"):
        await client.expect_close(timeout=0.1)


async def test_a_server_connection_expects_what_its_client_sent(server: wskit.WebsocketServerTransport) -> None:
    client = wskit.WebsocketClientTransport(server.url)
    await client.start()
    await eventually(lambda: len(server.clients) == 1)
    conn = server.clients[0]
    await client.send_text("say:x")
    assert await conn.expect_text("say:x") == "say:x"
    assert server.events.active  # listening while the connection is open
    await client.stop(4000, "bye")
    assert await conn.expect_close(4000, "bye") == 4000
    assert not server.events.active  # the subscription ended with the connection
    await client.stop()


async def test_closed_before_the_first_call_still_knows_its_code(server: wskit.WebsocketServerTransport) -> None:
    client = wskit.WebsocketClientTransport(server.url)
    await client.start()
    await eventually(lambda: len(server.clients) == 1)
    conn = server.clients[0]
    await client.stop(4002, "gone")
    await eventually(lambda: conn.close_code is not None)
    assert await conn.expect_close(4002) == 4002


async def test_messages_before_the_first_call_are_counted(client: wskit.WebsocketClientTransport) -> None:
    await client.send_text("say:unseen")
    await eventually(lambda: client.connection is not None and client.connection.messages_in == 1)
    with pytest.raises(AssertionError) as failure:
        await client.expect_text(timeout=0.05)
    assert str(failure.value).splitlines()[-1] == (
        "(1 message(s) had arrived before the first expect_* call and were not checked; "
        "expect_from_start() buffers from the connection's start)"
    )


async def test_nothing_listens_before_the_first_call(client: wskit.WebsocketClientTransport) -> None:
    """A connection nobody asserts on pays nothing per message: no subscriber on its bus."""
    await client.send_text("say:x")
    await eventually(lambda: client.connection is not None and client.connection.messages_in == 1)
    assert not client.events.active


@pytest.fixture
async def greeter() -> AsyncIterator[wskit.WebsocketServerTransport]:
    """A server that greets each client the moment it connects, and buffers each connection for expect_*."""
    server = wskit.WebsocketServerTransport(port=0)

    @server.event_handler("on_client_connected")
    async def greet(transport: Any, conn: wskit.Connection) -> None:
        conn.expect_from_start()  # before the server reads anything from it
        await conn.send_text("welcome")

    await server.start()
    yield server
    await server.stop()


async def test_expect_from_start_on_a_client_reads_its_first_message(greeter: wskit.WebsocketServerTransport) -> None:
    late = wskit.WebsocketClientTransport(greeter.url)
    await late.start()
    await eventually(lambda: late.connection is not None and late.connection.messages_in == 1)
    with pytest.raises(AssertionError, match=r"1 message\(s\) had arrived before the first expect_\* call"):
        await late.expect_text("welcome", timeout=0.05)  # the greeting came before anyone listened
    await late.stop()

    early = wskit.WebsocketClientTransport(greeter.url)
    early.expect_from_start()
    assert early.events.active  # listening before the connection exists
    await early.start()
    await eventually(lambda: early.connection is not None and early.connection.messages_in == 1)
    assert await early.expect_text("welcome") == "welcome"
    await early.stop()


async def test_expect_from_start_on_a_servers_connection(greeter: wskit.WebsocketServerTransport) -> None:
    client = wskit.WebsocketClientTransport(greeter.url)
    await client.start()
    await client.send_text("straight away")
    await eventually(lambda: len(greeter.clients) == 1 and greeter.clients[0].messages_in == 1)
    conn = greeter.clients[0]
    assert await conn.expect_text("straight away", timeout=1) == "straight away"
    await client.stop(4000, "bye")
    assert await conn.expect_close(4000) == 4000


async def test_the_buffer_is_bounded_and_says_when_it_dropped(client: wskit.WebsocketClientTransport) -> None:
    client.expect_buffer = 3
    await client.expect_silence(0.01)  # subscribe
    await client.send_text("burst:5")
    await eventually(lambda: client.connection is not None and client.connection.messages_in == 5)
    await asyncio.sleep(0.05)
    with pytest.raises(
        AssertionError, match=r"^expected a text message, but 2 unread incoming message\(s\) were dropped"
    ):
        await client.expect_text()
    assert [await client.expect_text() for _ in range(3)] == ["m2", "m3", "m4"]


async def test_a_client_that_is_not_connected(server: wskit.WebsocketServerTransport) -> None:
    client = wskit.WebsocketClientTransport(server.url)
    with pytest.raises(AssertionError, match="the client stopped"):
        await client.expect_text(timeout=0.1)
    await client.start()  # started after a first use: listening again
    await client.send_text("say:now")
    assert await client.expect_text("now") == "now"
    await client.stop()
    with pytest.raises(AssertionError, match="the client is not connected"):
        await client.expect_close()
