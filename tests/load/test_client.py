"""The synchronous client the Locust users run on, against a wskit server on loopback.

The client is websocket-client, which blocks: it runs in a thread here (no
gevent in the test process) while the server runs on the test's loop.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

import wskit
from wskit.load import Closed, ConnectFailed, SyncConnection

pytestmark = pytest.mark.timeout(20)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def server_with_routes(
    subprotocols: list[str] | None = None,
) -> tuple[wskit.WebsocketServerTransport, dict[str, Any]]:
    seen: dict[str, Any] = {}
    server = wskit.WebsocketServerTransport(wskit.WebsocketServerParams(subprotocols=subprotocols), port=0)

    @server.event_handler("on_frame")
    async def echo(transport: Any, conn: wskit.Connection, frame: wskit.Frame) -> None:
        seen["headers"] = dict(conn.headers)
        seen["query"] = dict(conn.query_params)
        await conn.send(frame)

    def forbid(websocket: wskit.Connection) -> None:
        raise wskit.HTTPReject(403, "not you")

    @server.route("/forbidden", auth=forbid)
    async def forbidden(websocket: wskit.Connection) -> None:  # pragma: no cover - never admitted
        await websocket.accept()

    @server.route("/policy")
    async def policy(websocket: wskit.Connection) -> None:
        await websocket.accept()
        await websocket.receive_bytes()
        await websocket.close(1008, "one frame only")

    await server.start()
    return server, seen


async def test_frames_through_a_serializer_token_and_subprotocol() -> None:
    server, seen = await server_with_routes(["voice.v1"])

    def talk() -> tuple[Any, ...]:
        conn = SyncConnection(
            server.url, serializer="protobuf", token="s3cret", subprotocols=["voice.v1"], headers={"X-Run": "7"}
        )
        took = conn.connect()
        size = conn.send(wskit.AudioFrame(bytes(640), 16000))
        frame, received = conn.recv(timeout=5)
        text_size = conn.send("plain text, no serializer")
        chosen = conn.subprotocol
        conn.close()
        conn.close()  # twice is fine
        return took, size, frame, received, text_size, chosen

    took, size, frame, received, text_size, subprotocol = await asyncio.to_thread(talk)
    assert 0 < took < 5
    # protobuf: Frame{audio = AudioRawFrame{audio (3 + 640), sample_rate (3), num_channels (2)}}, its own 3 bytes
    assert size == received == 651
    assert isinstance(frame, wskit.AudioFrame) and frame.audio == bytes(640) and frame.sample_rate == 16000
    assert text_size == 25
    assert subprotocol == "voice.v1"
    assert seen["headers"]["authorization"] == "Bearer s3cret"
    assert seen["headers"]["x-run"] == "7"


async def test_token_as_a_query_parameter() -> None:
    server, seen = await server_with_routes()

    def talk() -> None:
        conn = SyncConnection(server.url + "?room=1", token="abc", token_param="token")
        conn.connect()
        conn.send(wskit.TextFrame("hi"))
        frame, _ = conn.recv(timeout=5)
        assert isinstance(frame, wskit.TextFrame) and frame.text == "hi"
        conn.close()

    await asyncio.to_thread(talk)
    assert seen["query"] == {"room": "1", "token": "abc"}
    assert "authorization" not in seen["headers"]


async def test_failures_carry_their_cause() -> None:
    server, _ = await server_with_routes()
    base = server.url.rstrip("/")

    def refused() -> ConnectFailed:
        with pytest.raises(ConnectFailed) as info:
            SyncConnection(f"ws://127.0.0.1:{free_port()}/", timeout=2).connect()
        return info.value

    def forbidden() -> ConnectFailed:
        with pytest.raises(ConnectFailed) as info:
            SyncConnection(base + "/forbidden", token="hidden-token-123").connect()
        return info.value

    def policy() -> Closed:
        conn = SyncConnection(base + "/policy")
        conn.connect()
        conn.send(b"\x00\x01")
        with pytest.raises(Closed) as info:
            conn.recv(timeout=5)
        conn.close()
        return info.value

    refused_error = await asyncio.to_thread(refused)
    assert refused_error.cause == "connect ConnectionRefusedError"
    forbidden_error = await asyncio.to_thread(forbidden)
    assert forbidden_error.cause == "HTTP 403"
    assert "hidden-token-123" not in str(forbidden_error)
    closed = await asyncio.to_thread(policy)
    assert (closed.code, closed.reason, closed.cause) == (1008, "one frame only", "close 1008")


async def test_a_receive_that_times_out() -> None:
    server, _ = await server_with_routes()

    def wait() -> None:
        conn = SyncConnection(server.url)
        conn.connect()
        with pytest.raises(TimeoutError):
            conn.recv(timeout=0.1)
        conn.send("still open")
        assert conn.recv(timeout=5)[1] == 10
        conn.close()

    await asyncio.to_thread(wait)


class _AsyncSerializer:
    async def serialize(self, frame: wskit.Frame) -> bytes:  # pragma: no cover - refused before any call
        return b""

    def deserialize(self, data: str | bytes) -> wskit.Frame | None:  # pragma: no cover
        return None


class _Fussy:
    """Tells its format, and cannot decode what it did not encode."""

    def __init__(self) -> None:
        self.told: Any = None

    def setup(self, audio: Any) -> None:
        self.told = audio

    def serialize(self, frame: wskit.Frame) -> str:
        return "ok"

    def deserialize(self, data: str | bytes) -> wskit.Frame | None:
        raise ValueError(f"not mine: {data!r}")


def test_an_async_serializer_is_refused_before_connecting() -> None:
    with pytest.raises(TypeError, match=r"_AsyncSerializer\.serialize is async: load users need a synchronous"):
        SyncConnection("ws://127.0.0.1:9/", serializer=_AsyncSerializer())  # type: ignore[arg-type]


async def test_a_message_the_serializer_cannot_decode_is_a_serializer_error_and_the_connection_stays() -> None:
    server, _ = await server_with_routes()
    fussy = _Fussy()

    def talk() -> tuple[wskit.serializers.SerializerError, int]:
        conn = SyncConnection(server.url, serializer=fussy, sample_rate=8000, channels=2)
        conn.connect()
        conn.send(wskit.TextFrame("anything"))  # the server's raw serializer echoes "ok"
        with pytest.raises(wskit.serializers.SerializerError) as info:
            conn.recv(timeout=5)
        size = conn.send("still open")  # a raw message: no serializer involved
        conn.close()
        return info.value, size

    error, size = await asyncio.to_thread(talk)
    assert isinstance(error.__cause__, ValueError) and error.operation == "deserialize"
    assert "not mine: 'ok'" in str(error)
    assert size == 10
    assert (fussy.told.audio_in_enabled, fussy.told.audio_in_sample_rate, fussy.told.audio_in_channels) == (
        True,
        8000,
        2,
    )
