"""Server transport on loopback: lifecycle, events, clients policy, timeouts, bad input."""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

import wskit
from tests.conftest import eventually
from wskit import Event, EventKind


def recorder(transport: wskit.WebsocketServerTransport | wskit.WebsocketClientTransport) -> list[Event]:
    events: list[Event] = []
    transport.events.subscribe(events.append)
    return events


def kinds(events: list[Event], kind: EventKind) -> list[Event]:
    return [e for e in events if e.kind is kind]


async def echo_server(**params: Any) -> wskit.WebsocketServerTransport:
    server = wskit.WebsocketServerTransport(wskit.WebsocketServerParams(**params), port=0)

    @server.event_handler("on_frame")
    async def echo(transport: Any, conn: wskit.Connection, frame: wskit.Frame) -> None:
        await conn.send(frame)

    await server.start()
    return server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class TestLifecycle:
    async def test_start_returns_and_serves_in_background(self) -> None:
        ready: list[object] = []
        server = wskit.WebsocketServerTransport(port=0)
        server.add_event_handler("on_websocket_ready", lambda t: ready.append(t))
        events = recorder(server)
        await server.start()
        assert ready == [server]
        assert server.running
        host, port = server.listen_address or ("", 0)
        assert host == "127.0.0.1" and port > 0
        assert server.url == f"ws://127.0.0.1:{port}/"
        async with connect(server.url) as ws:
            await ws.send("hi")
            await eventually(lambda: kinds(events, EventKind.MESSAGE))
        await server.stop()
        assert not server.running
        assert events[0].kind is EventKind.READY
        assert events[-1].kind is EventKind.STOPPED

    async def test_echo_keeps_order(self) -> None:
        server = await echo_server()
        async with connect(server.url) as ws:
            for i in range(100):
                await ws.send(f"m{i}")
            replies = [await asyncio.wait_for(ws.recv(), 2) for _ in range(100)]
        assert replies == [f"m{i}" for i in range(100)]

    async def test_async_with(self) -> None:
        async with wskit.WebsocketServerTransport(port=0) as server:
            assert server.running
        assert not server.running

    async def test_unknown_event_name_is_refused(self) -> None:
        server = wskit.WebsocketServerTransport(port=0)
        with pytest.raises(ValueError, match="on_conected"):
            server.add_event_handler("on_conected", lambda t: None)

    async def test_second_start_on_same_port_replaces_first(self) -> None:
        first = wskit.WebsocketServerTransport(port=0)
        await first.start()
        port = first.listen_address[1]  # type: ignore[index]
        client = wskit.WebsocketClientTransport(first.url)
        closed: list[int | None] = []
        client.add_event_handler("on_disconnected", lambda t, c: closed.append(c.close_code))
        await client.start()

        second = wskit.WebsocketServerTransport(port=port)

        @second.event_handler("on_frame")
        async def reply(transport: Any, conn: wskit.Connection, frame: wskit.Frame) -> None:
            await conn.send_text("second")

        await second.start()
        assert not first.running and second.running
        await eventually(lambda: closed == [1001])
        async with connect(second.url) as ws:
            await ws.send("who?")
            assert await asyncio.wait_for(ws.recv(), 2) == "second"

    async def test_port_taken_by_another_program(self) -> None:
        with socket.socket() as other:
            other.bind(("127.0.0.1", 0))
            other.listen()
            port = other.getsockname()[1]
            server = wskit.WebsocketServerTransport(port=port)
            with pytest.raises(OSError, match="in use by a program other than a wskit server"):
                await server.start()


class TestEvents:
    async def test_message_events_carry_what_observers_need(self) -> None:
        server = await echo_server()
        events = recorder(server)
        async with connect(server.url) as ws:
            await ws.send("héllo")
            assert await asyncio.wait_for(ws.recv(), 2) == "héllo"
        await eventually(lambda: kinds(events, EventKind.DISCONNECTED))
        connected, incoming, outgoing, disconnected = (
            kinds(events, EventKind.CONNECTED)[0],
            *kinds(events, EventKind.MESSAGE),
            kinds(events, EventKind.DISCONNECTED)[0],
        )
        conn = connected.connection
        assert isinstance(conn, wskit.Connection)
        assert incoming.connection is conn and outgoing.connection is conn
        assert incoming.direction is wskit.events.Direction.IN and outgoing.direction is wskit.events.Direction.OUT
        assert incoming.raw == "héllo" and incoming.size == 6  # UTF-8 bytes
        assert incoming.frame == wskit.TextFrame("héllo", id=incoming.frame.id)  # type: ignore[union-attr]
        assert outgoing.frame is incoming.frame
        assert incoming.time <= outgoing.time <= disconnected.time
        assert disconnected.code == 1000
        assert "héllo" in str(incoming)

    async def test_unsubscribe_stops_delivery(self) -> None:
        server = await echo_server()
        events: list[Event] = []
        unsubscribe = server.events.subscribe(events.append)
        async with connect(server.url) as ws:
            await ws.send("one")
            await ws.recv()
            unsubscribe()
            count = len(events)
            await ws.send("two")
            await ws.recv()
        assert len(events) == count

    async def test_frames_iterator(self) -> None:
        server = wskit.WebsocketServerTransport(port=0)
        await server.start()
        stream = server.frames()
        async with connect(server.url) as ws:
            for text in ("a", "b", "c"):
                await ws.send(text)
            got = []
            async with asyncio.timeout(2):
                async for conn, frame in stream:
                    assert isinstance(conn, wskit.Connection)
                    got.append(frame.text)  # type: ignore[attr-defined]
                    if len(got) == 3:
                        break
        assert got == ["a", "b", "c"]

    async def test_frames_overflow_drops_oldest_and_reports_once(self) -> None:
        server = wskit.WebsocketServerTransport(port=0)
        errors: list[BaseException] = []
        server.add_event_handler("on_error", lambda t, c, e: errors.append(e))
        await server.start()
        stream = server.frames(maxsize=2)
        async with connect(server.url) as ws:
            for i in range(5):
                await ws.send(str(i))
            await eventually(lambda: stream.dropped == 3)
        assert [(await stream.get(timeout=1))[1].text for _ in range(2)] == ["3", "4"]  # type: ignore[attr-defined]
        assert len(errors) == 1 and "fell behind" in str(errors[0])


class TestClientsPolicy:
    async def test_reject_one_too_many_with_1013(self) -> None:
        server = await echo_server(max_clients=2)
        rejected: list[tuple[int, str]] = []
        server.add_event_handler("on_client_rejected", lambda t, c, code, reason: rejected.append((code, reason)))
        a, b = await connect(server.url), await connect(server.url)
        await eventually(lambda: len(server.clients) == 2)
        c = await connect(server.url)
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(c.recv(), 2)
        assert c.close_code == 1013
        assert rejected == [(1013, "server full: 2 client(s) at most")]
        # the first two still work
        for ws in (a, b):
            await ws.send("still here")
            assert await asyncio.wait_for(ws.recv(), 2) == "still here"
        assert len(server.clients) == 2
        await a.close()
        await b.close()

    async def test_replace_oldest(self) -> None:
        server = await echo_server(max_clients=2, when_full="replace_oldest")
        a = await connect(server.url)
        await eventually(lambda: len(server.clients) == 1)
        first = server.clients[0]
        b = await connect(server.url)
        await eventually(lambda: len(server.clients) == 2)
        c = await connect(server.url)
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(a.recv(), 2)
        assert (a.close_code, a.close_reason) == (1000, "replaced by a newer client")
        assert first not in server.clients and len(server.clients) == 2
        for ws in (b, c):
            await ws.send("ok")
            assert await asyncio.wait_for(ws.recv(), 2) == "ok"
        await b.close()
        await c.close()

    async def test_session_timeout_fires_for_every_client(self) -> None:
        server = await echo_server(session_timeout=0.3, close_on_session_timeout=True)
        timed_out: list[int] = []
        server.add_event_handler("on_session_timeout", lambda t, conn: timed_out.append(conn.id))
        sockets = []
        ids = []
        for _ in range(3):
            sockets.append(await connect(server.url))
            await eventually(lambda: len(server.clients) == len(sockets))
            ids.append(server.clients[-1].id)
            await asyncio.sleep(0.1)
        await eventually(lambda: len(timed_out) == 3)
        assert timed_out == ids  # the second and third clients too, in order
        for ws in sockets:
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 2)
            assert (ws.close_code, ws.close_reason) == (1000, "session timeout")

    async def test_session_timeout_without_close_only_notifies(self) -> None:
        server = await echo_server(session_timeout=0.1)
        timed_out: list[int] = []
        server.add_event_handler("on_session_timeout", lambda t, conn: timed_out.append(conn.id))
        async with connect(server.url) as ws:
            await eventually(lambda: timed_out)
            await ws.send("alive")
            assert await asyncio.wait_for(ws.recv(), 2) == "alive"

    async def test_broadcast(self) -> None:
        server = await echo_server()
        sockets = [await connect(server.url) for _ in range(3)]
        await eventually(lambda: len(server.clients) == 3)
        assert await server.broadcast(wskit.TextFrame("news")) == 3
        assert await server.broadcast(b"\x01") == 3
        for ws in sockets:
            assert await asyncio.wait_for(ws.recv(), 2) == "news"
            assert await asyncio.wait_for(ws.recv(), 2) == b"\x01"
            await ws.close()

    async def test_connections_count_messages_and_bytes_each_way(self) -> None:
        server = await echo_server()
        async with connect(server.url) as ws:
            await ws.send("héllo")  # 6 bytes in UTF-8
            await ws.send(b"\x00" * 10)
            for _ in range(2):
                await asyncio.wait_for(ws.recv(), 2)
            (conn,) = server.clients
            assert await server.broadcast("all") == 1
            await asyncio.wait_for(ws.recv(), 2)
            assert (conn.messages_in, conn.bytes_in) == (2, 16)
            assert (conn.messages_out, conn.bytes_out) == (3, 19)

    async def test_ping_returns_the_round_trip_and_sets_latency(self) -> None:
        server = await echo_server()
        client = wskit.WebsocketClientTransport(server.url)
        await client.start()
        assert client.connection is not None
        assert client.connection.latency == 0.0
        rtt = await client.connection.ping()
        assert 0 < rtt < 2
        assert client.connection.latency == rtt
        await eventually(lambda: server.clients)
        assert 0 < await server.clients[0].ping(b"server-side") < 2

    async def test_ping_on_a_closed_connection_is_a_disconnect(self) -> None:
        server = await echo_server()
        client = wskit.WebsocketClientTransport(server.url)
        await client.start()
        conn = client.connection
        assert conn is not None
        await eventually(lambda: server.clients)
        await server.stop()
        with pytest.raises(wskit.WebSocketDisconnect) as caught:
            await conn.ping()
        assert caught.value.code == 1001


class TestBadInput:
    async def test_handler_error_is_reported_and_connection_lives(self, caplog: pytest.LogCaptureFixture) -> None:
        server = wskit.WebsocketServerTransport(port=0)
        errors: list[tuple[object, BaseException]] = []

        @server.event_handler("on_frame")
        async def flaky(transport: Any, conn: wskit.Connection, frame: wskit.Frame) -> None:
            if getattr(frame, "text", "") == "boom":
                raise RuntimeError("handler exploded")
            await conn.send(frame)

        server.add_event_handler("on_error", lambda t, c, e: errors.append((c, e)))
        events = recorder(server)
        await server.start()
        with caplog.at_level(logging.ERROR, logger="wskit"):
            async with connect(server.url) as ws:
                await ws.send("boom")
                await ws.send("after")
                assert await asyncio.wait_for(ws.recv(), 2) == "after"
        assert [str(e) for _, e in errors] == ["handler exploded"]
        assert isinstance(errors[0][0], wskit.Connection)
        error_event = kinds(events, EventKind.ERROR)[0]
        assert error_event.info == {
            "handler": "TestBadInput.test_handler_error_is_reported_and_connection_lives.<locals>.flaky",
            "event": "on_frame",
        }
        assert "handler exploded" in caplog.text

    async def test_serializer_that_raises(self) -> None:
        class Picky:
            def serialize(self, frame: wskit.Frame) -> str:
                return frame.text  # type: ignore[attr-defined,no-any-return]

            def deserialize(self, data: str | bytes) -> wskit.Frame:
                if data == "bad":
                    raise ValueError("cannot read this")
                return wskit.TextFrame(str(data))

        server = await echo_server(serializer=Picky())
        errors: list[BaseException] = []
        server.add_event_handler("on_error", lambda t, c, e: errors.append(e))
        other = await connect(server.url)
        async with connect(server.url) as ws:
            await ws.send("bad")
            await ws.send("good")
            assert await asyncio.wait_for(ws.recv(), 2) == "good"
        await other.send("unaffected")
        assert await asyncio.wait_for(other.recv(), 2) == "unaffected"
        await other.close()
        assert len(errors) == 1
        assert isinstance(errors[0], wskit.serializers.SerializerError)
        assert "Picky.deserialize raised ValueError: cannot read this" in str(errors[0])
        assert "'bad'" in str(errors[0])

    async def test_serializer_returning_wrong_type(self) -> None:
        class Wrong:
            def serialize(self, frame: wskit.Frame) -> Any:
                return 42

            async def deserialize(self, data: str | bytes) -> Any:
                return {"not": "a frame"} if data == "dict" else wskit.TextFrame(str(data))

        server = await echo_server(serializer=Wrong())
        errors: list[BaseException] = []
        server.add_event_handler("on_error", lambda t, c, e: errors.append(e))
        async with connect(server.url) as ws:
            await ws.send("dict")
            await ws.send("text")
            await eventually(lambda: len(errors) == 2)
        assert "Wrong.deserialize returned dict, expected a Frame or None" in str(errors[0])
        assert "Wrong.serialize returned int, expected str or bytes" in str(errors[1])

    async def test_invalid_utf8_closes_1007_and_server_lives(self) -> None:
        server = await echo_server()
        errors: list[BaseException] = []
        server.add_event_handler("on_error", lambda t, c, e: errors.append(e))
        async with connect(server.url) as bad:
            await bad.send(b"\xff\xfe", text=True)  # a text frame that is not UTF-8
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(bad.recv(), 2)
            assert bad.close_code == 1007
        await eventually(lambda: errors)
        assert "1007" in str(errors[0])
        async with connect(server.url) as good:
            await good.send("fine")
            assert await asyncio.wait_for(good.recv(), 2) == "fine"

    async def test_oversized_message_closes_1009(self) -> None:
        server = await echo_server(max_message_size=1000)
        errors: list[BaseException] = []
        server.add_event_handler("on_error", lambda t, c, e: errors.append(e))
        async with connect(server.url) as ws:
            await ws.send(b"x" * 1001)
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 2)
            assert ws.close_code == 1009
        await eventually(lambda: errors)
        assert "1009" in str(errors[0])

    async def test_odd_length_pcm_is_an_error_not_a_crash(self) -> None:
        server = await echo_server(audio_in_enabled=True)
        errors: list[BaseException] = []
        server.add_event_handler("on_error", lambda t, c, e: errors.append(e))
        async with connect(server.url) as ws:
            await ws.send(b"\x01\x02\x03")
            await ws.send(b"\x01\x02")
            assert await asyncio.wait_for(ws.recv(), 2) == b"\x01\x02"
        assert "3 bytes, not a whole number of 16-bit samples" in str(errors[0])


class TestAudio:
    async def test_wav_header_added_on_send_and_stripped_on_receive(self) -> None:
        server = wskit.WebsocketServerTransport(wskit.WebsocketServerParams(add_wav_header=True), port=0)

        @server.event_handler("on_client_connected")
        async def greet(transport: Any, conn: wskit.Connection) -> None:
            await conn.send(wskit.AudioFrame(b"\x01\x00\x02\x00", 8000))

        await server.start()
        async with connect(server.url) as raw:
            data = await asyncio.wait_for(raw.recv(), 2)
        assert isinstance(data, bytes) and data.startswith(b"RIFF") and data.endswith(b"\x01\x00\x02\x00")

        client = wskit.WebsocketClientTransport(server.url, wskit.WebsocketClientParams(audio_in_enabled=True))
        frames = client.frames()
        await client.start()
        frame = await frames.get(timeout=2)
        assert isinstance(frame, wskit.AudioFrame)
        assert (frame.audio, frame.sample_rate, frame.num_channels) == (b"\x01\x00\x02\x00", 8000, 1)
        assert frame.samples.tolist() == [[1], [2]]


class TestStop:
    async def test_a_handler_that_never_reads_does_not_hang_stop(self) -> None:
        server = wskit.WebsocketServerTransport(port=0)
        cancelled = asyncio.Event()

        @server.route("/stuck")
        async def stuck(websocket: wskit.Connection) -> None:
            await websocket.accept()
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                cancelled.set()
                raise

        await server.start()
        async with connect(server.url + "stuck"):
            await eventually(lambda: server.clients)
            async with asyncio.timeout(3):
                await server.stop(timeout=0.2)
        assert cancelled.is_set() and not server.running
