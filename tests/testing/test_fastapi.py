"""The proof against a real service: a FastAPI app under uvicorn, recorded, replayed, changed, replayed again."""

# no "from __future__ import annotations": FastAPI reads the endpoints' annotations at runtime
from pathlib import Path
from typing import Annotated

import pytest
from fastapi import Depends, FastAPI, Query, WebSocket, WebSocketDisconnect, WebSocketException, status

import wskit
import wskit.testing as wt
from tests.peers.fastapi_apps import app as seed_app
from tests.peers.fastapi_apps import run_uvicorn

pytestmark = pytest.mark.timeout(60)


def json_chat_app(field: str = "text") -> FastAPI:
    """The seed's items endpoint (path, query and token parameters), answering in JSON.

    ``field`` names the reply's text field: changing it is the kind of format
    change a regression test must catch.
    """
    app = FastAPI()

    async def get_token(token: Annotated[str | None, Query()] = None) -> str:
        if token is None:
            raise WebSocketException(code=status.WS_1008_POLICY_VIOLATION)
        return token

    @app.websocket("/items/{item_id}/ws")
    async def items(
        websocket: WebSocket, item_id: str, token: Annotated[str, Depends(get_token)], q: int | None = None
    ) -> None:
        await websocket.accept()
        try:
            while True:
                data = await websocket.receive_text()
                await websocket.send_json({"item_id": item_id, "q": q, field: f"Message text was: {data}"})
        except WebSocketDisconnect:
            pass

    return app


async def record_chat(url: str, messages: list[str], replies_per_message: int) -> wt.Recording:
    client = wskit.WebsocketClientTransport(url)
    await client.start()
    with wt.record(client) as session:
        for text in messages:
            await client.send_text(text)
            for _ in range(replies_per_message):
                await client.expect_text(timeout=5)
        await client.stop(1000, "done")
    return session


async def test_the_seed_endpoint_recorded_and_replayed(tmp_path: Path) -> None:
    async with run_uvicorn(seed_app) as base:
        session = await record_chat(f"{base}/items/foo/ws?token=some-token&q=3", ["hello", "bye"], 3)
        path = session.save(tmp_path / "items.jsonl")
        cassette = wt.Session.load(path)
        (conv,) = cassette.conversations
        assert conv.handshake.target == "/items/foo/ws?token=***&q=3"  # the handshake's token is masked
        assert [s.data for s in conv.messages[:4]] == [
            "hello",
            "Session cookie or query token value is: some-token",
            "Query parameter q is: 3",
            "Message text was: hello, for item ID: foo",
        ]
        result = await wt.replay(cassette, base, secrets={"token": "some-token"})
        assert result.ok and len(result.session.messages) == 8
        with pytest.raises(wt.ReplayMismatch) as failure:  # another token: the server echoes it
            await wt.replay(cassette, base, secrets={"token": "other-token"})
    assert str(failure.value).splitlines() == [
        f"{path}:4: connection 1 (/items/foo/ws?token=***&q=3), message 2 of 8, from the server:",
        "  expected: TEXT 'Session cookie or qu…value is: some-token' [50 bytes]",
        "  got:      TEXT 'Session cookie or qu…alue is: other-token' [51 bytes]",
        "  - Session cookie or query token value is: some-token",
        "  ?                                         - ^",
        "  + Session cookie or query token value is: other-token",
        "  ?                                          ^^ +",
    ]


async def test_a_changed_reply_format_fails_naming_the_message_and_field(tmp_path: Path) -> None:
    async with run_uvicorn(json_chat_app("text")) as base:
        session = await record_chat(f"{base}/items/foo/ws?token=t0k&q=5", ["hello", "how are you?"], 1)
    path = session.save(tmp_path / "chat.jsonl")
    cassette = wt.Session.load(path)
    async with run_uvicorn(json_chat_app("text")) as base:  # the same app again: passes
        assert (await wt.replay(cassette, base, secrets={"token": "t0k"})).ok
    async with run_uvicorn(json_chat_app("message")) as base:  # the reply's field renamed: fails
        with pytest.raises(wt.ReplayMismatch) as failure:
            await wt.replay(cassette, base, secrets={"token": "t0k"})
    assert str(failure.value) == (
        f"{path}:4: connection 1 (/items/foo/ws?token=***&q=5), message 2 of 4, from the server:\n"
        """  expected: TEXT '{"item_id":"foo","q"…ge text was: hello"}' [56 bytes]\n"""
        """  got:      TEXT '{"item_id":"foo","q"…ge text was: hello"}' [59 bytes]\n"""
        "  JSON diff:\n"
        '    $.text: missing (expected "Message text was: hello")\n'
        '    $.message: unexpected "Message text was: hello"'
    )


async def test_a_wrong_token_is_refused_the_same_way(tmp_path: Path) -> None:
    """The handshake is part of the session: without a token the endpoint closes with 1008, and a replay says so."""
    async with run_uvicorn(json_chat_app()) as base:
        client = wskit.WebsocketClientTransport(f"{base}/items/foo/ws")
        with pytest.raises(wskit.ConnectError):
            await client.start()  # uvicorn refuses before the upgrade completes (HTTP 403)
        session = await record_chat(f"{base}/items/foo/ws?token=t&q=1", ["x"], 1)
        result = await wt.replay(session, base, secrets={"token": "t"})
        assert result.ok
        bad = await wt.replay(session, base + "/items/foo/ws?q=1", check=False)  # a url with a query is used as given
    assert bad.differences[0].what == "the handshake"
    assert "HTTP 403" in bad.differences[0].detail[0]
