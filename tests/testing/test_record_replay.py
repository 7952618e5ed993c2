"""record() on live transports, replay() against a server, serve() for a client: wskit on both ends."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import wskit
import wskit.testing as wt
from tests.conftest import eventually

pytestmark = pytest.mark.timeout(30)


def chat_server(style: str = "text") -> wskit.WebsocketServerTransport:
    """``/items/{item_id}/ws``: each message answered twice (text, then JSON with an id), ``bye`` closes with 4000."""
    server = wskit.WebsocketServerTransport(port=0)
    counter = iter(range(1000, 10**6))

    def token(websocket: wskit.Connection) -> str:
        value = websocket.query_params.get("token")
        if value is None:
            raise wskit.WebSocketException(code=1008)
        return value

    @server.route("/items/{item_id}/ws", auth=token)
    async def items(websocket: wskit.Connection, item_id: str, auth: str) -> None:
        await websocket.accept()
        async for text in websocket.iter_text():
            if text == "bye":
                await websocket.close(4000, "see you")
                return
            if style == "text":
                await websocket.send_text(f"Message text was: {text}, for item ID: {item_id}")
            else:
                await websocket.send_json({"text": text, "item": item_id})
            await websocket.send_json({"echo": text, "id": next(counter)})

    return server


@pytest.fixture
async def server() -> AsyncIterator[wskit.WebsocketServerTransport]:
    server = chat_server()
    await server.start()
    yield server
    await server.stop()


async def chat(url: str, *texts: str, close: tuple[int, str] | None = (1000, "done")) -> wskit.WebsocketClientTransport:
    client = wskit.WebsocketClientTransport(
        url, wskit.WebsocketClientParams(additional_headers={"X-Trace": "t1", "Authorization": "Bearer abc"})
    )
    await client.start()
    for text in texts:
        await client.send_text(text)
        if text != "bye":
            await client.expect_text()
            await client.expect_json()
    if close is not None:
        await client.stop(*close)
    return client


async def recorded_chat(server: wskit.WebsocketServerTransport) -> wt.Recording:
    with wt.record(server) as session:
        client = await chat(server.url + "items/foo/ws?token=s3cret&q=5", "hello", "again")
        await eventually(lambda: session.conversations and session.conversations[0].close is not None)
    await client.stop()
    return session


async def test_a_recording_holds_handshake_messages_and_close(server: wskit.WebsocketServerTransport) -> None:
    session = await recorded_chat(server)
    (conv,) = session.conversations
    assert conv.handshake.path == "/items/foo/ws"
    assert conv.handshake.query == "token=***&q=5"
    assert conv.handshake.headers == {"x-trace": "t1", "authorization": "***"}
    assert [(s.sender, s.opcode) for s in conv.steps] == [
        ("client", "TEXT"),
        ("server", "TEXT"),
        ("server", "TEXT"),
        ("client", "TEXT"),
        ("server", "TEXT"),
        ("server", "TEXT"),
    ]
    assert conv.steps[1].data == "Message text was: hello, for item ID: foo"
    assert conv.close == wt.Close(1000, "done", "client", conv.close.t)
    assert all(a.t <= b.t for a, b in zip(conv.steps, conv.steps[1:], strict=False))
    assert not session.recording and not server.events.active  # stopping unsubscribed everything


async def test_pings_and_pongs_are_placed_where_they_were_on_the_wire(server: wskit.WebsocketServerTransport) -> None:
    client = wskit.WebsocketClientTransport(server.url + "items/foo/ws?token=t")
    await client.start()
    session = wt.record(client)
    await client.send_text("one")
    await client.expect_text()
    await client.expect_json()
    assert client.connection is not None
    await client.connection.ping(b"are you there")
    await client.send_text("two")
    await client.expect_text()
    await client.expect_json()
    await client.stop()
    session.stop()
    assert [str(s) for s in session.conversations[0].steps if s.kind != "message" or s.sender == "client"] == [
        "client TEXT 'one' [3 bytes]",
        "client PING 'are you there' [13 bytes]",
        "server PONG 'are you there' [13 bytes]",
        "client TEXT 'two' [3 bytes]",
    ]


async def test_both_ends_in_one_process_are_recorded_once(server: wskit.WebsocketServerTransport) -> None:
    client = wskit.WebsocketClientTransport(server.url + "items/foo/ws?token=t")
    await client.start()
    await eventually(lambda: len(server.clients) == 1)
    session = wt.record(server, client)
    await client.send_text("x")
    await client.expect_text()
    await client.expect_json()
    await client.stop()
    session.stop()
    assert len(session.conversations) == 1 and len(session.messages) == 3


async def test_a_refused_client_is_a_conversation_closed_by_the_server(server: wskit.WebsocketServerTransport) -> None:
    session = wt.record(server)
    client = wskit.WebsocketClientTransport(server.url + "items/foo/ws")  # no token: 1008
    await client.start()
    assert await client.expect_close(1008) == 1008
    await eventually(lambda: session.conversations and session.conversations[0].close is not None)
    session.stop()
    assert session.conversations[0].close == wt.Close(1008, "", "server", session.conversations[0].close.t)


async def test_a_recording_is_bounded(server: wskit.WebsocketServerTransport, tmp_path: Path) -> None:
    session = wt.record(server, max_messages=3)
    await chat(server.url + "items/foo/ws?token=t", "a", "b")
    await eventually(lambda: session.conversations and session.conversations[0].close is not None)
    session.stop()
    assert session.truncated and session.dropped == 3 and len(session.messages) == 3
    assert session.conversations[0].close is not None  # the close is kept anyway
    assert '"truncated": true' in session.save(tmp_path / "t.jsonl").read_text().splitlines()[0]


async def test_replay_passes_against_the_same_server(server: wskit.WebsocketServerTransport, tmp_path: Path) -> None:
    path = (await recorded_chat(server)).save(tmp_path / "chat.jsonl")
    cassette = wt.Session.load(path)
    result = await wt.replay(
        cassette, server.url, secrets={"token": "s3cret", "authorization": "Bearer abc"}, ignore=["$.id"]
    )
    assert result.ok and len(result.session.messages) == 6
    assert result.session.conversations[0].close == wt.Close(
        1000, "done", "client", result.session.conversations[0].close.t
    )


async def test_replay_fails_with_the_first_difference(server: wskit.WebsocketServerTransport, tmp_path: Path) -> None:
    path = (await recorded_chat(server)).save(tmp_path / "chat.jsonl")
    cassette = wt.Session.load(path)
    secrets = {"token": "s3cret", "authorization": "Bearer abc"}
    with pytest.raises(wt.ReplayMismatch) as failure:
        await wt.replay(cassette, server.url, secrets=secrets)  # the ids differ from run to run
    assert str(failure.value).splitlines()[:5] == [
        f"{path}:5: connection 1 (/items/foo/ws?token=***&q=5), message 3 of 6, from the server:",
        '  expected: TEXT \'{"echo":"hello","id":1000}\' [26 bytes]',
        '  got:      TEXT \'{"echo":"hello","id":1002}\' [26 bytes]',
        "  JSON diff:",
        "    $.id: expected 1000, got 1002",
    ]
    other = chat_server(style="json")
    await other.start()
    with pytest.raises(wt.ReplayMismatch) as failure:
        await wt.replay(cassette, other.url, secrets=secrets, ignore=["$.id"])
    assert str(failure.value).splitlines() == [
        f"{path}:4: connection 1 (/items/foo/ws?token=***&q=5), message 2 of 6, from the server:",
        "  expected: TEXT 'Message text was: he…lo, for item ID: foo' [41 bytes]",
        """  got:      TEXT '{"text":"hello","item":"foo"}' [29 bytes]""",
        "  - Message text was: hello, for item ID: foo",
        '  + {"text":"hello","item":"foo"}',
    ]
    await other.stop()


async def test_replay_needs_the_masked_secrets(server: wskit.WebsocketServerTransport) -> None:
    cassette = await recorded_chat(server)
    result = await wt.replay(cassette, server.url, check=False)
    assert not result.ok
    assert result.differences[0].detail == [
        "the cassette masked the query parameter 'token': pass secrets={'token': ...} to replay it"
    ]


async def test_the_servers_close_is_checked(server: wskit.WebsocketServerTransport) -> None:
    with wt.record(server) as cassette:
        await chat(server.url + "items/foo/ws?token=t", "hi", "bye", close=None)
        await eventually(lambda: cassette.conversations and cassette.conversations[0].close is not None)
    assert cassette.conversations[0].close == wt.Close(4000, "see you", "server", cassette.conversations[0].close.t)
    assert (await wt.replay(cassette, server.url, secrets={"token": "t", "authorization": "x"}, ignore=["$.id"])).ok
    cassette.conversations[0].close = wt.Close(4001, "", "server")
    with pytest.raises(
        wt.ReplayMismatch,
        match=r"the close.*\n  expected: close 4001 by the server\n  got:      close 4000 'see you' by the server",
    ):
        await wt.replay(cassette, server.url, secrets={"token": "t", "authorization": "x"}, ignore=["$.id"])


async def test_realtime_keeps_the_recorded_pacing() -> None:
    server = wskit.WebsocketServerTransport(port=0)

    @server.event_handler("on_frame")
    async def echo(transport: Any, conn: wskit.Connection, frame: wskit.Frame) -> None:
        await conn.send(frame)

    await server.start()
    steps = [wt.Step("message", "client", 0.0, "a"), wt.Step("message", "server", 0.001, "a")]
    steps += [wt.Step("message", "client", 0.4, "b"), wt.Step("message", "server", 0.401, "b")]
    cassette = wt.Session([wt.Conversation(1, wt.Handshake("/"), 0.0, steps, wt.Close(1000, "", "client", 0.5))])
    began = time.monotonic()
    assert (await wt.replay(cassette, server.url)).ok
    fast = time.monotonic() - began
    began = time.monotonic()
    assert (await wt.replay(cassette, server.url, realtime=True)).ok
    paced = time.monotonic() - began
    assert paced >= 0.4 > fast
    await server.stop()


async def test_unordered_streams() -> None:
    server = wskit.WebsocketServerTransport(port=0)
    flip = iter([False, True])

    @server.event_handler("on_frame")
    async def two(transport: Any, conn: wskit.Connection, frame: wskit.Frame) -> None:
        first, second = ("audio", "transcript") if not next(flip) else ("transcript", "audio")
        await conn.send_text(first)
        await conn.send_text(second)

    await server.start()
    steps = [
        wt.Step("message", "client", 0.0, "go"),
        wt.Step("message", "server", 0.0, "audio"),
        wt.Step("message", "server", 0.0, "transcript"),
    ]
    cassette = wt.Session([wt.Conversation(1, wt.Handshake("/"), 0.0, steps)])
    assert (await wt.replay(cassette, server.url)).ok  # the first run answers in the recorded order
    assert (await wt.replay(cassette, server.url, ordered=False)).ok  # the second does not
    await server.stop()


async def test_an_extra_message_from_the_server(server: wskit.WebsocketServerTransport) -> None:
    cassette = await recorded_chat(server)
    conv = cassette.conversations[0]
    del conv.steps[-1]  # the cassette now lacks the last reply
    result = await wt.replay(
        cassette, server.url, secrets={"token": "t", "authorization": "x"}, ignore=["$.id"], check=False
    )
    assert [d.what for d in result.differences] == ["an extra message (the cassette has 5)"]


async def test_serve_plays_the_server_side(server: wskit.WebsocketServerTransport) -> None:
    cassette = await recorded_chat(server)
    async with wt.serve(cassette) as url:
        client = await chat(url + "/items/foo/ws?token=anything&q=5", "hello", "again")
        assert client.connection is None
    with pytest.raises(wt.ReplayMismatch) as failure:  # raised when the block ends
        async with wt.serve(cassette) as url:
            client = wskit.WebsocketClientTransport(url + "/items/foo/ws?token=x&q=5")
            await client.start()
            await client.send_text("hello")
            assert await client.expect_text() == "Message text was: hello, for item ID: foo"
            assert (await client.expect_json())["echo"] == "hello"
            await client.send_text("something else")
            assert await client.expect_close(1008) == 1008  # the fake hangs up at once
            await client.stop()
    assert str(failure.value).splitlines() == [
        "connection 1 (/items/foo/ws?token=***&q=5), message 4 of 6, from the client:",
        "  expected: TEXT 'again' [5 bytes]",
        "  got:      TEXT 'something else' [14 bytes]",
        "  - again",
        "  + something else",
    ]


async def test_serve_reports_unused_and_unknown_connections(server: wskit.WebsocketServerTransport) -> None:
    cassette = await recorded_chat(server)
    with pytest.raises(wt.ReplayMismatch, match=r"the connection:\n.*\n.*\n  \(no client opened it\)"):
        async with wt.serve(cassette):
            pass
    with pytest.raises(wt.ReplayMismatch) as failure:
        async with wt.serve(cassette) as url:
            client = wskit.WebsocketClientTransport(url + "/elsewhere")
            await client.start()
            assert await client.expect_close(1008) == 1008
            await client.stop()
    assert "a connection to /elsewhere, which no unused recorded conversation has" in str(failure.value)


async def test_serve_reports_a_conversation_left_unfinished(server: wskit.WebsocketServerTransport) -> None:
    cassette = await recorded_chat(server)
    with pytest.raises(wt.ReplayMismatch) as failure:
        async with wt.serve(cassette, settle=0.2) as url:
            client = wskit.WebsocketClientTransport(url + "/items/foo/ws?token=x&q=5")
            await client.start()
            await client.send_text("hello")
            await client.expect_json(timeout=2) if await client.expect_text() else None
    assert "message 4 of 6, from the client" in str(failure.value)
    assert "(the client was still connected and had not sent it)" in str(failure.value)
    await client.stop()
