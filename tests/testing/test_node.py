"""Replay-as-server drives Node's ``ws`` client (tests/peers/node, installed by ./dev with npm ci)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

import wskit
import wskit.testing as wt

pytestmark = pytest.mark.timeout(60)

PEER = Path(__file__).resolve().parents[1] / "peers" / "node"


def node() -> str:
    """The ``node`` executable with ``ws`` installed; skip without (fail under CI)."""
    exe = shutil.which("node")
    if exe is None or shutil.which("npm") is None:
        reason = "node and npm are needed for the Node ws peer"
    elif not (PEER / "node_modules" / "ws" / "package.json").exists():
        reason = f"ws is not installed in {PEER} (./dev test runs npm ci there)"
    else:
        return exe
    if os.environ.get("CI"):
        pytest.fail(f"CI needs the Node peer: {reason}", pytrace=False)
    pytest.skip(reason)


async def run_node(url: str, replies: int, *messages: str) -> tuple[int, list[dict[str, Any]]]:
    process = await asyncio.create_subprocess_exec(
        node(),
        str(PEER / "chat_client.mjs"),
        url,
        str(replies),
        *messages,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert not err, err.decode()
    return process.returncode or 0, [json.loads(line) for line in out.decode().splitlines()]


async def recorded_session() -> wt.Recording:
    """A wskit client chatting with a wskit server: text answered in text, binary answered reversed."""
    server = wskit.WebsocketServerTransport(port=0)

    @server.route("/chat/{room}")
    async def chat(websocket: wskit.Connection, room: str) -> None:
        await websocket.accept()
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            if "text" in message:
                await websocket.send_text(f"[{room}] {message['text']}")
                await websocket.send_json({"room": room, "length": len(message["text"])})
            else:
                await websocket.send_bytes(message["bytes"][::-1])
                await websocket.send_text(f"{len(message['bytes'])} bytes")

    await server.start()
    session = wt.record(server)
    client = wskit.WebsocketClientTransport(server.url + "chat/lobby?user=ada")
    await client.start()
    await client.send("hello")
    await client.expect_text("[lobby] hello")
    await client.expect_json({"room": "lobby", "length": 5})
    await client.send(b"\x00\x01\xff")
    await client.expect_binary(b"\xff\x01\x00")
    await client.expect_text("3 bytes")
    await client.send("bye")
    await client.expect_text("[lobby] bye")
    await client.expect_json({"room": "lobby", "length": 3})
    await client.stop(1000, "done")
    await asyncio.sleep(0.05)
    await server.stop()
    session.stop()
    return session


async def test_node_ws_runs_through_the_recorded_conversation() -> None:
    node()
    session = await recorded_session()
    assert [str(s) for s in session.messages] == [
        "client TEXT 'hello' [5 bytes]",
        "server TEXT '[lobby] hello' [13 bytes]",
        """server TEXT '{"room":"lobby","length":5}' [27 bytes]""",
        "client BINARY 00 01 ff [3 bytes]",
        "server BINARY ff 01 00 [3 bytes]",
        "server TEXT '3 bytes' [7 bytes]",
        "client TEXT 'bye' [3 bytes]",
        "server TEXT '[lobby] bye' [11 bytes]",
        """server TEXT '{"room":"lobby","length":3}' [27 bytes]""",
    ]
    async with wt.serve(session) as url:
        code, lines = await run_node(url + "/chat/lobby?user=ada", 2, "hello", "bin:0001ff", "bye")
    assert code == 0
    assert lines == [
        {"received": "[lobby] hello"},
        {"received": '{"room":"lobby","length":5}'},
        {"received_binary": "ff0100"},
        {"received": "3 bytes"},
        {"received": "[lobby] bye"},
        {"received": '{"room":"lobby","length":3}'},
        {"closed": 1000, "reason": "done"},
    ]


async def test_node_ws_departing_from_the_cassette_fails_with_a_diff() -> None:
    node()
    session = await recorded_session()
    with pytest.raises(wt.ReplayMismatch) as failure:
        async with wt.serve(session) as url:
            _, lines = await run_node(url + "/chat/lobby?user=ada", 2, "hello", "bin:0002ff")
            assert lines[-1] == {"closed": 1008, "reason": "wskit.testing: not the recorded conversation"}
    assert str(failure.value).splitlines() == [
        "connection 1 (/chat/lobby?user=ada), message 4 of 9, from the client:",
        "  expected: BINARY 00 01 ff [3 bytes]",
        "  got:      BINARY 00 02 ff [3 bytes]",
        "  binary differs from byte 1: expected 3 bytes, got 3",
        "    expected[1:]: 01 ff",
        "    got[1:]:      02 ff",
    ]
