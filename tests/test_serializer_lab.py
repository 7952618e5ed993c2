"""The serializer lab's headless API: round trips, pasted bytes, one instance per transport, live errors."""

from __future__ import annotations

import base64
import dataclasses
from typing import Any

import wskit
import wskit.frames
from tests.conftest import eventually
from wskit.frames import Frame, TextFrame
from wskit.serializer_lab import FRAME_KINDS, Lab, make_frame, parse_bytes


class Upper:
    name = "Upper"

    def serialize(self, frame: Frame) -> str | None:
        return frame.text.upper() if isinstance(frame, TextFrame) else None

    def deserialize(self, data: str | bytes) -> Frame:
        if not isinstance(data, str):
            raise ValueError("Upper only reads text")
        return TextFrame(data.lower())


class Counting:
    """A stateful serializer: it numbers what it sends (so sharing one instance would be visible)."""

    name = "Counting"

    def __init__(self) -> None:
        self.sent = 0

    def serialize(self, frame: Frame) -> str:
        self.sent += 1
        assert isinstance(frame, TextFrame)
        return f"{self.sent}:{frame.text}"

    def deserialize(self, data: str | bytes) -> Frame:
        assert isinstance(data, str)
        if ":" not in data:
            raise ValueError(f"no counter in {data!r}")
        return TextFrame(data.split(":", 1)[1])


async def test_round_trip_returns_message_decoded_rows_and_a_headline_that_agrees() -> None:
    lab = Lab(wskit.JsonSerializer)
    result = await lab.round_trip(make_frame("audio (sine)"))
    assert result.ok and result.equal and isinstance(result.message, str)
    assert isinstance(result.decoded, wskit.AudioFrame)
    names = [r.name for r in result.rows]
    assert names[0] == "type" and "id" in names and "audio" in names
    assert {r.name for r in result.rows if r.identity} == {"id", "name"}
    assert all(r.equal for r in result.compared)
    counted = len(result.compared)
    assert result.headline.startswith(f"round trip: {counted} of {counted} fields equal")

    shouted = await Lab(Upper).round_trip(TextFrame("Hi"))
    assert shouted.message == "HI" and shouted.differ == ["text"]
    assert (
        shouted.headline
        == f"round trip: {len(shouted.compared) - 1} of {len(shouted.compared)} fields equal; text differ"
    )


async def test_errors_are_data_with_their_stage() -> None:
    result = await Lab(Upper).round_trip(make_frame("interruption"))
    assert result.error is not None and result.error.stage == "serialize"
    assert result.error.type == "SerializerError" and "returned None" in result.error.message
    assert "Traceback" in result.error.traceback and result.message is None
    assert result.headline.startswith("serialize failed: SerializerError")


async def test_decode_bytes_pasted_as_hex_base64_or_text() -> None:
    lab = Lab(wskit.ProtobufFrameSerializer)
    wire = wskit.ProtobufFrameSerializer().serialize(TextFrame("hello pipecat"))
    assert isinstance(wire, bytes)
    for pasted in (wire.hex(" "), wire.hex(":"), base64.b64encode(wire).decode(), wire):
        result = await lab.decode_bytes(pasted)
        assert result.ok, result.error
        assert result.message == wire and isinstance(result.decoded, TextFrame)
        assert result.decoded.text == "hello pipecat" and result.same_bytes is True
    bad = await lab.decode_bytes("0a 0f 1a")  # truncated protobuf
    assert bad.error is not None and bad.error.stage == "deserialize"
    assert (await lab.decode_bytes("zz", "hex")).error.stage == "parse"  # type: ignore[union-attr]
    text = await Lab(wskit.JsonSerializer).decode_bytes('{"type": "text", "text": "hi"}', "text")
    assert isinstance(text.decoded, TextFrame) and text.decoded.text == "hi"
    assert parse_bytes("not hex, not base64!") == "not hex, not base64!"


def test_frame_kinds_cover_every_frame_type() -> None:
    made = {type(make_frame(kind, "{}" if kind == "JSON message" else "00")) for kind in FRAME_KINDS}
    every = {
        obj
        for obj in vars(wskit.frames).values()
        if isinstance(obj, type) and dataclasses.is_dataclass(obj) and issubclass(obj, Frame) and obj is not Frame
    }
    assert made == every


async def _pair(serializer: Any) -> tuple[wskit.WebsocketServerTransport, wskit.WebsocketClientTransport]:
    server = wskit.WebsocketServerTransport(wskit.WebsocketServerParams(ping_interval=None), port=0)

    @server.event_handler("on_frame")
    async def echo(transport: Any, conn: wskit.Connection, frame: Frame) -> None:
        await conn.send(frame)

    await server.start()
    client = wskit.WebsocketClientTransport(server.url, wskit.WebsocketClientParams(add_wav_header=False))
    await client.start()
    return server, client


async def test_attach_gives_each_transport_its_own_instance_and_collects_live_errors() -> None:
    server, client = await _pair(None)
    try:
        lab = Lab(Counting)
        on_server = await lab.attach(server)
        on_client = await lab.attach(client)
        assert on_server is not on_client and server.serializer is on_server and client.serializer is on_client
        assert lab.serializer is not on_server  # the lab's own instance stays its own
        replies = client.frames()
        await client.send(TextFrame("a"))
        await client.send(TextFrame("b"))
        assert [(await replies.get(timeout=3)).text for _ in range(2)] == ["a", "b"]  # type: ignore[attr-defined]
        assert (on_client.sent, on_server.sent) == (2, 2)  # each counted its own side only
        await client.connection.send_text("no counter")  # type: ignore[union-attr]
        await eventually(lambda: bool(lab.errors))
        assert "no counter" in lab.errors[0].summary and lab.errors[0].source is server
    finally:
        await client.stop()
        await server.stop()


async def test_a_redefined_class_replaces_the_attached_one() -> None:
    server, client = await _pair(None)
    try:
        await Lab(Counting).attach(server)

        class Counting2(Counting):  # the cell edited and re-run: a new class of the same name
            name = "Counting"

        Counting2.__name__ = "Counting"
        replaced = Lab(Counting2).use(Counting2)
        assert replaced == [] or server in replaced
        assert type(server.serializer) is Counting2
    finally:
        await client.stop()
        await server.stop()


async def test_widget_paste_mode_and_headless_methods() -> None:
    from wskit.widgets import SerializerLab

    lab = SerializerLab(wskit.ProtobufFrameSerializer)
    wire = wskit.ProtobufFrameSerializer().serialize(TextFrame("hello"))
    lab.kind.value = "paste bytes"
    lab.text.value = wire.hex(" ")
    await eventually(lambda: lab.result is not None and lab.result.decoded is not None)
    assert lab.result is not None and lab.result.decoded.text == "hello"  # type: ignore[union-attr]
    assert "encoded again: the same bytes" in lab.comparison.value
    direct = await lab.round_trip(TextFrame("x"))
    assert direct.equal and direct.serializer == "ProtobufFrameSerializer"
