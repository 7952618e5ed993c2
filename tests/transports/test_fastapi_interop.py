"""A wskit client against a real FastAPI app served by uvicorn in the test.

The endpoints are the seed's (FastAPI's WebSocket tutorial) plus small JSON
and close endpoints, in ``tests/peers/fastapi_apps.py``. Everything runs on
the test's own loop, on 127.0.0.1 and a free port.
"""

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

import wskit
from tests.peers.clients import TIMEOUT, next_frames, started, texts
from tests.peers.fastapi_apps import app, run_uvicorn


@pytest.fixture
async def base_url() -> AsyncIterator[str]:
    async with run_uvicorn(app) as url:
        yield url


# -- seed 002: echo chat ------------------------------------------------------


async def test_echo_chat_answers_each_text_frame_in_order(base_url: str) -> None:
    client = wskit.WebsocketClientTransport(f"{base_url}/ws")
    async with started(client):
        stream = client.frames()
        for text in ("hello", "ünïcödé ✓", ""):
            await client.send(wskit.TextFrame(text))
        frames = await next_frames(stream, 3)
    assert texts(frames) == [
        "Message text was: hello",
        "Message text was: ünïcödé ✓",
        "Message text was: ",
    ]


async def test_echo_chat_fires_on_frame_with_the_connection(base_url: str) -> None:
    client = wskit.WebsocketClientTransport(f"{base_url}/ws")
    seen: list[tuple[int, str]] = []
    got = asyncio.Event()

    @client.event_handler("on_frame")
    async def on_frame(transport: wskit.WebsocketClientTransport, conn: wskit.Connection, frame: wskit.Frame) -> None:
        assert transport is client
        assert isinstance(frame, wskit.TextFrame)
        seen.append((conn.id, frame.text))
        got.set()

    async with started(client):
        assert client.connection is not None
        conn_id = client.connection.id
        await client.send_text("ping")
        async with asyncio.timeout(TIMEOUT):
            await got.wait()
    assert seen == [(conn_id, "Message text was: ping")]


# -- seed 003: cookie or token, path and query parameters ---------------------


async def test_items_with_query_token_and_q(base_url: str) -> None:
    client = wskit.WebsocketClientTransport(f"{base_url}/items/foo/ws?token=some-key-token&q=5")
    async with started(client):
        stream = client.frames()
        await client.send(wskit.TextFrame("hello"))
        await client.send(wskit.TextFrame("again"))
        frames = await next_frames(stream, 6)
    assert texts(frames) == [
        "Session cookie or query token value is: some-key-token",
        "Query parameter q is: 5",
        "Message text was: hello, for item ID: foo",
        "Session cookie or query token value is: some-key-token",
        "Query parameter q is: 5",
        "Message text was: again, for item ID: foo",
    ]


async def test_items_with_session_cookie_and_no_q(base_url: str) -> None:
    params = wskit.WebsocketClientParams(additional_headers={"Cookie": "session=cookie-value"})
    client = wskit.WebsocketClientTransport(f"{base_url}/items/bar/ws?token=ignored-token", params)
    async with started(client):
        stream = client.frames()
        await client.send(wskit.TextFrame("hi"))
        frames = await next_frames(stream, 2)
    # session wins over token (``session or token``); no q, no "Query parameter" line
    assert texts(frames) == [
        "Session cookie or query token value is: cookie-value",
        "Message text was: hi, for item ID: bar",
    ]


async def test_items_without_cookie_or_token_is_refused_with_http_403(base_url: str) -> None:
    client = wskit.WebsocketClientTransport(f"{base_url}/items/foo/ws?q=5")
    connected: list[wskit.Connection] = []
    client.add_event_handler("on_connected", lambda transport, conn: connected.append(conn))
    with pytest.raises(wskit.ConnectError) as caught:
        async with asyncio.timeout(TIMEOUT):
            await client.start()
    # Starlette turns a close before accept() into an HTTP 403 response
    assert caught.value.status_code == 403
    assert caught.value.uri == f"{base_url}/items/foo/ws?q=5"
    assert caught.value.attempts == 1
    assert isinstance(caught.value.__cause__, InvalidStatus)
    assert connected == []
    assert client.connection is None
    assert not client.running


async def test_items_with_q_not_an_int_is_refused_with_http_403(base_url: str) -> None:
    """FastAPI validates ``q: int`` before the endpoint runs; wskit closes with 1008 instead
    (see test_fastapi_handlers.py): the upgrade has already happened when wskit's handler runs."""
    client = wskit.WebsocketClientTransport(f"{base_url}/items/foo/ws?token=t&q=abc")
    with pytest.raises(wskit.ConnectError) as caught:
        async with asyncio.timeout(TIMEOUT):
            await client.start()
    assert caught.value.status_code == 403


async def test_unknown_path_is_refused_with_http_403(base_url: str) -> None:
    client = wskit.WebsocketClientTransport(f"{base_url}/nowhere")
    with pytest.raises(wskit.ConnectError) as caught:
        async with asyncio.timeout(TIMEOUT):
            await client.start()
    assert caught.value.status_code == 403


# -- JSON both ways -------------------------------------------------------------


async def test_json_serializer_frames_round_trip_through_receive_json_and_send_json(base_url: str) -> None:
    params = wskit.WebsocketClientParams(serializer=wskit.JsonSerializer())
    client = wskit.WebsocketClientTransport(f"{base_url}/json", params)
    sent = [
        wskit.MessageFrame({"nested": {"list": [1, 2.5, None, True]}, "ünï": "cödé"}),
        wskit.TextFrame("plain text, as a tagged JSON object"),
        wskit.MessageFrame([1, "two", 3.0]),
    ]
    async with started(client):
        stream = client.frames()
        for frame in sent:
            await client.send(frame)
        received = await next_frames(stream, len(sent))
    # the app parsed each message and re-serialized it: same type, id, name and data
    assert received == sent


async def test_send_json_with_raw_serializer_comes_back_compact(base_url: str) -> None:
    client = wskit.WebsocketClientTransport(f"{base_url}/json")
    async with started(client):
        stream = client.frames()
        await client.send_json({"b": [1, 2], "a": "é"})
        await client.send_json([None, False])
        frames = await next_frames(stream, 2)
    # wskit sends compact JSON; Starlette's send_json answers compact too, without ASCII escapes
    assert texts(frames) == ['{"b":[1,2],"a":"é"}', "[null,false]"]
    assert [json.loads(t) for t in texts(frames)] == [{"b": [1, 2], "a": "é"}, [None, False]]


async def test_json_in_binary_messages(base_url: str) -> None:
    params = wskit.WebsocketClientParams(serializer=wskit.RawSerializer(binary="bytes"))
    client = wskit.WebsocketClientTransport(f"{base_url}/json/binary", params)
    async with started(client):
        stream = client.frames()
        await client.send_bytes(b'{"x": 1}')
        (frame,) = await next_frames(stream, 1)
    assert isinstance(frame, wskit.BinaryFrame)
    assert frame.data == b'{"got":{"x":1}}'


# -- server-initiated close -------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "code", "reason"),
    [
        ("/close/4001?reason=bye", 4001, "bye"),
        ("/close/1000", 1000, ""),
        ("/close/1008?reason=policy", 1008, "policy"),
    ],
)
async def test_server_close_code_reaches_on_disconnected(base_url: str, path: str, code: int, reason: str) -> None:
    client = wskit.WebsocketClientTransport(f"{base_url}{path}")
    closed: list[tuple[int | None, str]] = []
    done = asyncio.Event()

    @client.event_handler("on_disconnected")
    def on_disconnected(transport: wskit.WebsocketClientTransport, conn: wskit.Connection) -> None:
        closed.append((conn.close_code, conn.close_reason))
        done.set()

    events: list[wskit.Event] = []
    client.events.subscribe(events.append)
    async with started(client):
        async with asyncio.timeout(TIMEOUT):
            await done.wait()
        assert client.connection is None
    assert closed == [(code, reason)]
    disconnected = [(e.code, e.reason) for e in events if e.kind is wskit.EventKind.DISCONNECTED]
    assert disconnected == [(code, reason)]
    assert [e for e in events if e.kind is wskit.EventKind.ERROR] == []


# -- the raw protocol, for reference ---------------------------------------------


async def test_raw_websockets_client_sees_the_seed_texts(base_url: str) -> None:
    async with asyncio.timeout(TIMEOUT), connect(f"{base_url}/items/foo/ws?token=some-key-token") as ws:
        await ws.send("hello")
        texts = [await ws.recv() for _ in range(2)]
    assert texts == [
        "Session cookie or query token value is: some-key-token",
        "Message text was: hello, for item ID: foo",
    ]
