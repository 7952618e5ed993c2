"""Messages handled in websockets' protocol callback (sync serializer and handlers) keep
every promise of the read loop: order, error events, close codes, async fallbacks."""

from __future__ import annotations

import asyncio
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

import wskit
from tests.conftest import eventually
from wskit import EventKind, Frame, TextFrame


async def recording_server(**params: Any) -> tuple[wskit.WebsocketServerTransport, list[tuple[str, Any]]]:
    """A server whose sync on_frame handler records each frame and whether it ran in a task."""
    server = wskit.WebsocketServerTransport(wskit.WebsocketServerParams(**params), port=0)
    seen: list[tuple[str, Any]] = []

    @server.event_handler("on_frame")
    def record(transport: Any, conn: wskit.Connection, frame: Frame) -> None:
        payload = frame.text if isinstance(frame, TextFrame) else frame.data  # type: ignore[attr-defined]
        seen.append((payload, asyncio.current_task()))

    await server.start()
    return server, seen


async def send_all(ws: ClientConnection, messages: list[str | bytes | list[str]]) -> None:
    for message in messages:
        await ws.send(message)  # a list is sent as one fragmented message (RFC 6455 §5.4)


class TestDirectPath:
    async def test_sync_handlers_run_in_the_protocol_callback_in_order(self) -> None:
        server, seen = await recording_server()
        assert server._direct
        messages: list[str | bytes | list[str]] = [f"m{i}" for i in range(300)]
        messages[100] = ["frag", "mented"]  # goes through websockets' queue and the read loop
        messages[200] = b"bin"
        async with connect(server.url) as ws:
            for start, end in ((0, 100), (100, 101), (101, 300)):  # in a burst, later ones queue behind it
                await send_all(ws, messages[start:end])
                await eventually(lambda end=end: len(seen) == end)  # type: ignore[misc]
        expected = [m if not isinstance(m, list) else "".join(m) for m in messages]
        assert [payload for payload, _ in seen] == expected
        direct = sum(task is None for _, task in seen)
        assert direct > 250  # handled without a task switch
        assert seen[100][1] is not None  # the fragmented one came through the read loop
        await server.stop()

    async def test_counters_and_events_are_those_of_the_read_loop(self) -> None:
        server, seen = await recording_server()
        events: list[wskit.Event] = []
        server.events.subscribe(events.append)
        async with connect(server.url) as ws:
            await send_all(ws, ["héllo", b"\x00\x01"])
            await eventually(lambda: len(seen) == 2)
            conn = server.clients[0]
            assert (conn.messages_in, conn.bytes_in) == (2, 8)
        messages = [e for e in events if e.kind is EventKind.MESSAGE]
        assert [(e.direction, e.raw, e.size) for e in messages] == [
            (wskit.events.Direction.IN, "héllo", 6),
            (wskit.events.Direction.IN, b"\x00\x01", 2),
        ]
        assert messages[0].frame == TextFrame("héllo", id=messages[0].frame.id)  # type: ignore[union-attr]
        await server.stop()

    async def test_invalid_utf8_still_closes_1007_and_the_server_lives(self) -> None:
        server, seen = await recording_server()
        errors: list[BaseException] = []
        server.add_event_handler("on_error", lambda t, c, e: errors.append(e))
        async with connect(server.url) as bad:
            await bad.send("fine")
            await bad.send(b"\xff\xfe", text=True)
            await asyncio.wait_for(bad.wait_closed(), 3)
            assert bad.close_code == 1007
        await eventually(lambda: errors)
        async with connect(server.url) as good:
            await good.send("after")
            await eventually(lambda: [p for p, _ in seen] == ["fine", "after"])
        await server.stop()

    async def test_handler_error_is_reported_with_its_connection(self) -> None:
        server = wskit.WebsocketServerTransport(port=0)
        errors: list[tuple[Any, BaseException]] = []
        server.add_event_handler("on_error", lambda t, c, e: errors.append((c, e)))
        got: list[str] = []

        @server.event_handler("on_frame")
        def picky(transport: Any, conn: wskit.Connection, frame: Frame) -> None:
            if frame.text == "boom":  # type: ignore[attr-defined]
                raise ValueError("boom")
            got.append(frame.text)  # type: ignore[attr-defined]

        await server.start()
        async with connect(server.url) as ws:
            await send_all(ws, ["a", "boom", "b"])
            await eventually(lambda: got == ["a", "b"])
            assert len(errors) == 1 and errors[0][0] is server.clients[0]
        assert str(errors[0][1]) == "boom"
        await server.stop()

    async def test_serializer_error_is_an_event_and_the_connection_lives(self) -> None:
        class Picky:
            def serialize(self, frame: Frame) -> str:
                return frame.text  # type: ignore[attr-defined,no-any-return]

            def deserialize(self, data: str | bytes) -> Frame:
                if data == "bad":
                    raise ValueError("cannot read this")
                return TextFrame(str(data))

        server, seen = await recording_server(serializer=Picky())
        errors: list[tuple[Any, BaseException]] = []
        server.add_event_handler("on_error", lambda t, c, e: errors.append((c, e)))
        async with connect(server.url) as ws:
            await send_all(ws, ["bad", "good"])
            await eventually(lambda: [p for p, _ in seen] == ["good"])
            assert errors[0][0] is server.clients[0]
        assert isinstance(errors[0][1], wskit.serializers.SerializerError)
        await server.stop()


class TestFallbacks:
    async def test_a_plain_function_returning_a_coroutine_keeps_order(self) -> None:
        """``lambda t, c, f: c.send(f)`` looks synchronous; the message it turned async
        is finished in a task, the next ones wait for it in the read loop."""
        server = wskit.WebsocketServerTransport(port=0)
        server.add_event_handler("on_frame", lambda t, c, f: c.send(f))
        await server.start()
        assert server._direct
        async with connect(server.url) as ws:
            sent = [f"m{i}" for i in range(200)]
            await send_all(ws, list(sent))
            echoed = [await asyncio.wait_for(ws.recv(), 3) for _ in sent]
        assert echoed == sent
        assert not server._direct  # learnt: the rest went through the read loop
        await server.stop()

    async def test_a_plain_deserialize_returning_a_coroutine_keeps_order(self) -> None:
        class Deferred:
            def serialize(self, frame: Frame) -> str:
                return frame.text  # type: ignore[attr-defined,no-any-return]

            def deserialize(self, data: str | bytes) -> Any:
                async def later() -> Frame:
                    await asyncio.sleep(0)
                    return TextFrame(str(data))

                return later()

        server, seen = await recording_server(serializer=Deferred())
        async with connect(server.url) as ws:
            sent = [f"m{i}" for i in range(100)]
            await send_all(ws, list(sent))
            await eventually(lambda: len(seen) == 100)
        assert [p for p, _ in seen] == sent
        await server.stop()

    async def test_async_handler_added_and_removed_on_a_live_server(self) -> None:
        server, seen = await recording_server()
        slow_seen: list[str] = []

        async def slow(transport: Any, conn: wskit.Connection, frame: Frame) -> None:
            await asyncio.sleep(0.001)
            slow_seen.append(frame.text)  # type: ignore[attr-defined]

        async with connect(server.url) as ws:
            await send_all(ws, ["a", "b"])
            await eventually(lambda: len(seen) == 2)
            server.add_event_handler("on_frame", slow)
            assert not server._direct
            assert server.clients[0].websocket.wskit_sink is None  # type: ignore[attr-defined]
            await send_all(ws, ["c", "d"])
            await eventually(lambda: slow_seen == ["c", "d"])
            server.remove_event_handler("on_frame", slow)
            assert server._direct
            assert server.clients[0].websocket.wskit_sink is not None  # type: ignore[attr-defined]
            await send_all(ws, ["e", "f"])
            await eventually(lambda: len(seen) == 6)
        assert [p for p, _ in seen] == ["a", "b", "c", "d", "e", "f"]
        assert all(task is not None for _, task in seen[2:4])  # awaited in the read loop
        await server.stop()

    async def test_serializer_swapped_for_an_async_one(self) -> None:
        class AsyncRaw:
            def serialize(self, frame: Frame) -> str:
                return frame.text  # type: ignore[attr-defined,no-any-return]

            async def deserialize(self, data: str | bytes) -> Frame:
                return TextFrame(f"async {data}")

        server, seen = await recording_server()
        async with connect(server.url) as ws:
            await ws.send("a")
            await eventually(lambda: len(seen) == 1)
            server.serializer = AsyncRaw()
            assert not server._direct
            await ws.send("b")
            await eventually(lambda: len(seen) == 2)
        assert [p for p, _ in seen] == ["a", "async b"]
        await server.stop()


class TestClient:
    async def test_client_sync_handler_gets_replies_in_order(self) -> None:
        server = wskit.WebsocketServerTransport(port=0)

        @server.event_handler("on_frame")
        async def echo(transport: Any, conn: wskit.Connection, frame: Frame) -> None:
            await conn.send(frame)

        await server.start()
        client = wskit.WebsocketClientTransport(server.url)
        got: list[tuple[str, Any]] = []
        client.add_event_handler("on_frame", lambda t, c, f: got.append((f.text, asyncio.current_task())))
        await client.start()
        stream = client.frames()
        for i in range(100):
            await client.send(TextFrame(f"m{i}"))
        await eventually(lambda: len(got) == 100)
        assert [text for text, _ in got] == [f"m{i}" for i in range(100)]
        assert any(task is None for _, task in got)
        assert [(await stream.get(timeout=1)).text for _ in range(100)] == [f"m{i}" for i in range(100)]  # type: ignore[attr-defined]
        await client.stop()
        await server.stop()
