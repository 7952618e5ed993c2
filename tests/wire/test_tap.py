"""The live wire tap: what it records, what it emits, and that it changes nothing."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest

import wskit
from wskit import wire
from wskit.events import Direction, Event, EventKind
from wskit.wire.demos import Pair

from ..conftest import eventually

NO_PING = {"ping_interval": None}


def quiet_pair(**params: Any) -> Pair:
    return Pair(
        wskit.WebsocketServerParams(**NO_PING, **params),
        wskit.WebsocketClientParams(add_wav_header=False, **NO_PING, **params),
    )


def summary(tap: wire.WireTap) -> list[tuple[str, str, bool, int, int | None]]:
    return [(r.direction.value, r.opcode, r.fin, r.length, r.code) for r in tap.records]


async def test_sees_data_ping_pong_and_close_on_both_sides() -> None:
    async with quiet_pair() as pair:
        client_conn = pair.client_conn
        await pair.client_conn.send_text("hi")
        await eventually(lambda: pair.server_tap.frames_in == 1)  # type: ignore[union-attr]
        await pair.server_conn.send_bytes(b"\x00\x01")
        await eventually(lambda: pair.client_tap.frames_in == 1)  # type: ignore[union-attr]
        await pair.client_conn.ping(b"abcd")
        await eventually(lambda: pair.server_tap.frames_out == 2)  # type: ignore[union-attr]
        await pair.client_conn.close(4000, "bye")
        await pair.until_closed()
        assert summary(pair.client_tap) == [  # type: ignore[arg-type]
            ("out", "TEXT", True, 2, None),
            ("in", "BINARY", True, 2, None),
            ("out", "PING", True, 4, None),
            ("in", "PONG", True, 4, None),
            ("out", "CLOSE", True, 5, 4000),
            ("in", "CLOSE", True, 5, 4000),
        ]
        assert summary(pair.server_tap) == [  # type: ignore[arg-type]
            ("in", "TEXT", True, 2, None),
            ("out", "BINARY", True, 2, None),
            ("in", "PING", True, 4, None),
            ("out", "PONG", True, 4, None),  # after the ping it answers
            ("in", "CLOSE", True, 5, 4000),
            ("out", "CLOSE", True, 5, 4000),
        ]
        records = pair.client_tap.records  # type: ignore[union-attr]
        assert records[0].payload == b"hi" and records[2].payload == b"abcd"
        assert records[4].reason == "bye" and records[0].connection is client_conn
        assert [r.time for r in records] == sorted(r.time for r in records)
        tap = pair.client_tap
        assert tap is not None
        assert (tap.frames_in, tap.frames_out, tap.bytes_out) == (3, 3, 2 + 4 + 5)


async def test_emits_wire_events_with_the_contract_fields() -> None:
    events: list[Event] = []
    async with quiet_pair() as pair:
        pair.server.events.subscribe(lambda e: events.append(e) if e.kind is EventKind.WIRE else None)
        await pair.client_conn.ping(b"abcd")
        await pair.client_conn.close(1000, "bye")
        await pair.until_closed()
    ping, pong, close_in, close_out = events
    assert (ping.direction, ping.raw, ping.size, ping.source) == (Direction.IN, b"abcd", 4, pair.server)
    assert ping.info == {"opcode": "PING", "fin": True, "rsv1": False, "length": 4}
    assert ping.connection is not None and pong.direction is Direction.OUT
    assert (close_in.code, close_in.reason, close_in.info["opcode"]) == (1000, "bye", "CLOSE")  # type: ignore[index]
    conn = ping.connection.id
    assert str(ping).split(" ", 1)[1] == f"wire conn #{conn} in PING 'abcd' [4 bytes]"
    assert str(close_out).split(" ", 1)[1] == f"wire conn #{conn} out CLOSE code=1000 'bye' [5 bytes]"


def test_wire_event_rendering_without_a_connection() -> None:
    event = Event(
        EventKind.WIRE,
        None,
        None,
        Direction.OUT,
        b"\x00\x01\x02\x03",
        4,
        info={"opcode": "PING", "fin": True, "rsv1": False, "length": 4},
    )
    assert str(event).split(" ", 1)[1] == "wire out PING 00 01 02 03 [4 bytes]"
    frag = Event(
        EventKind.WIRE,
        None,
        None,
        Direction.IN,
        b"abc",
        3,
        info={"opcode": "TEXT", "fin": False, "rsv1": True, "length": 3},
    )
    assert str(frag).split(" ", 1)[1] == "wire in TEXT 'abc' [3 bytes] fin=0 rsv1 (compressed)"


async def _server_bytes(tapped: bool, compression: str | None) -> bytes:
    """Everything the server writes to its socket for a fixed exchange."""
    written: list[bytes] = []
    async with quiet_pair(compression=compression) as pair:
        transport = pair.server_conn.websocket.transport
        original = transport.write
        transport.write = lambda data: (written.append(bytes(data)), original(data))[1]  # type: ignore[method-assign]
        if not tapped:
            pair.server_tap.detach()  # type: ignore[union-attr]
            pair.client_tap.detach()  # type: ignore[union-attr]
        conn = pair.server_conn
        for i in range(20):
            await conn.send_text("hello " * i)
            await conn.send_bytes(bytes(range(i * 10 % 256)) * 3)
        await conn.websocket.ping(b"p1")
        await conn.websocket.send(["frag", "mented"])
        await pair.client_conn.ping(b"from client")
        await conn.close(4001, "the end")
        await pair.until_closed()
        del transport.write
    return b"".join(written)


@pytest.mark.parametrize("compression", [None, "deflate"])
async def test_bytes_on_the_wire_are_unchanged(compression: str | None) -> None:
    plain = await _server_bytes(False, compression)
    tapped = await _server_bytes(True, compression)
    assert tapped == plain and len(plain) > 500


async def test_client_bytes_match_the_records() -> None:
    """Every frame the client writes, decoded from the socket, is what the tap recorded."""
    written: list[bytes] = []
    async with quiet_pair() as pair:
        transport = pair.client_conn.websocket.transport
        original = transport.write
        transport.write = lambda data: (written.append(bytes(data)), original(data))[1]  # type: ignore[method-assign]
        await pair.client_conn.send_text("héllo")
        await pair.client_conn.send_bytes(bytes(300))
        await pair.client_conn.ping(b"x")
        await pair.client_conn.close()
        await pair.until_closed()
        del transport.write
        frames = []
        data = b"".join(written)
        while data:
            a = wire.decode(data, from_client=True)
            assert a.valid
            frames.append((a.opcode_name, a.length, a.payload))
            data = a.rest
        records = [(r.opcode, r.length, r.payload) for r in pair.client_tap.records if r.direction.value == "out"]  # type: ignore[union-attr]
        assert frames == records


async def test_compressed_frames_show_rsv1_and_wire_length() -> None:
    text = "abc" * 1000
    async with quiet_pair(compression="deflate") as pair:
        await pair.client_conn.send_text(text)
        await pair.client_conn.ping(b"p")
        await eventually(lambda: pair.server_tap.frames_in == 2)  # type: ignore[union-attr]
        for tap in (pair.client_tap, pair.server_tap):
            data, ping = list(tap.records)[:2]  # type: ignore[union-attr]
            assert (data.opcode, data.rsv1, data.payload) == ("TEXT", True, text.encode())
            assert data.length < 100
            assert (ping.opcode, ping.rsv1, ping.length) == ("PING", False, 1)


async def test_detach_restores_the_connection_exactly() -> None:
    async with quiet_pair(compression="deflate") as pair:
        protocol = pair.client_conn.websocket.protocol
        extension = protocol.extensions[-1]
        pair.client_tap.detach()  # type: ignore[union-attr]
        before = (set(vars(protocol)), set(vars(extension)))
        first = wire.tap(pair.client_conn)
        second = wire.tap(pair.client)
        assert {"send_frame", "recv_frame"} <= set(vars(protocol)) and {"encode", "decode"} <= set(vars(extension))
        await pair.client_conn.send_text("both")
        await eventually(lambda: pair.server_tap.frames_in == 1)  # type: ignore[union-attr]
        assert len(first.records) == len(second.records) == 1
        first.detach()
        await pair.client_conn.send_text("second only")
        await eventually(lambda: len(second.records) == 2)
        assert len(first.records) == 1
        second.detach()
        assert (set(vars(protocol)), set(vars(extension))) == before
        assert "send_frame" not in vars(protocol) and "recv_frame" not in vars(protocol)
        assert "encode" not in vars(extension) and "decode" not in vars(extension)
        assert protocol.send_frame.__func__ is type(protocol).send_frame
        await pair.client_conn.send_text("after")  # still works, nothing recorded
        await eventually(lambda: pair.server_tap.frames_in == 3)  # type: ignore[union-attr]
        assert len(second.records) == 2 and not second.attached
        second.detach()  # idempotent


async def test_history_is_bounded_in_count_and_bytes() -> None:
    async with quiet_pair() as pair:
        pair.client_tap.detach()  # type: ignore[union-attr]
        by_count = wire.tap(pair.client_conn, max_records=5)
        by_bytes = wire.tap(pair.client_conn, max_bytes=1000)
        for i in range(50):
            await pair.client_conn.send_bytes(bytes(100) + bytes([i]))
        await pair.client_conn.send_bytes(bytes(5000))
        assert len(by_count.records) == 5 and by_count.dropped == 46 and by_count.frames_out == 51
        assert by_count.records[0].payload[-1] == 46
        assert sum(len(r.payload) for r in by_bytes.records) <= 1000
        last = by_bytes.records[-1]
        assert (last.length, last.payload) == (5000, b"")  # too big to keep: the facts, not the payload
        assert by_bytes.bytes_out == 50 * 101 + 5000
        by_count.clear()
        assert not by_count.records and by_count.frames_out == 51


async def test_server_tap_covers_clients_connecting_later() -> None:
    server = wskit.WebsocketServerTransport(wskit.WebsocketServerParams(**NO_PING), port=0)
    await server.start()
    with wire.tap(server) as tap:
        clients = [
            wskit.WebsocketClientTransport(server.url, wskit.WebsocketClientParams(add_wav_header=False))
            for _ in range(3)
        ]
        for i, client in enumerate(clients):
            await client.start()
            await client.send_text(f"client {i}")
        await eventually(lambda: tap.frames_in == 3)
        assert sorted(r.payload for r in tap.records) == [b"client 0", b"client 1", b"client 2"]
        assert len({r.connection.id for r in tap.records}) == 3
        assert "client 2" in str(tap) and "frames" not in repr(tap)
    assert not tap.attached
    for conn in server.clients:
        assert "send_frame" not in vars(conn.websocket.protocol)
    await clients[0].send_text("after detach")
    await asyncio.sleep(0.05)
    assert tap.frames_in == 3


async def test_tap_rejects_other_objects() -> None:
    with pytest.raises(TypeError, match="cannot tap"):
        wire.tap(object())
    with pytest.raises(ValueError):
        wire.tap(wskit.WebsocketClientTransport("ws://127.0.0.1:9/"), max_records=0)


async def test_client_tap_follows_a_reconnect() -> None:
    server = wskit.WebsocketServerTransport(wskit.WebsocketServerParams(**NO_PING), port=0)
    await server.start()
    params = wskit.WebsocketClientParams(add_wav_header=False, reconnect=True, reconnect_min_delay=0.01, **NO_PING)
    client = wskit.WebsocketClientTransport(server.url, params)
    tap = wire.tap(client)
    await client.start()
    first = client.connection
    await client.send_text("one")
    await eventually(lambda: len(server.clients) == 1)
    await server.clients[0].close(1012, "restart")  # service restart: the client reconnects
    await eventually(lambda: client.connection is not None and client.connection is not first)
    await client.send_text("two")
    await eventually(lambda: tap.frames_out >= 3)
    sent = [(r.opcode, r.payload, r.connection) for r in tap.records if r.direction.value == "out"]
    second = client.connection
    assert sent[0] == ("TEXT", b"one", first)
    assert ("TEXT", b"two", second) in sent
    assert [r.code for r in tap.records if r.opcode == "CLOSE"] == [1012, 1012]
    tap.detach()
    await client.stop()


async def test_a_server_tap_does_not_keep_closed_connections_alive() -> None:
    server = wskit.WebsocketServerTransport(wskit.WebsocketServerParams(**NO_PING), port=0)
    await server.start()
    tap = wire.tap(server, max_records=10)
    for i in range(20):
        client = wskit.WebsocketClientTransport(
            server.url, wskit.WebsocketClientParams(add_wav_header=False, **NO_PING)
        )
        await client.start()
        await client.send_text(f"client {i}")
        await client.stop()
    await eventually(lambda: not server.clients)
    assert tap.frames_in == 40  # a message and a close from each
    assert len(tap.records) == 10
    del client
    gc.collect()
    # only the connections the bounded history still names (the last 5 clients) are alive
    assert len(tap._protocols) <= 5
    tap.detach()


async def test_a_failing_tap_never_breaks_the_connection(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(self: wire.WireTap, record: wire.WireRecord) -> None:
        raise RuntimeError("observer bug")

    async with quiet_pair() as pair:
        monkeypatch.setattr(wire.WireTap, "_add", broken)
        await pair.client_conn.send_text("still delivered")
        rtt = await pair.client_conn.ping(b"p")
        await eventually(lambda: pair.server_conn.messages_in == 1)
        assert rtt > 0 and pair.client_conn.close_code is None
    assert "wire tap failed to record a frame" in caplog.text
