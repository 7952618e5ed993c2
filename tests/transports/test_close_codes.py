"""Defects 3, 4 and 10: the close code actually exchanged, who started it, and one exception for a gone peer."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, ConnectionClosedError
from websockets.frames import Frame, Opcode

import wskit
from tests.conftest import eventually
from tests.transports.rawpeer import raw_upgrade
from tests.transports.test_server import echo_server, kinds, recorder
from wskit import EventKind


def disconnected(events: list[wskit.Event]) -> wskit.Event:
    gone = kinds(events, EventKind.DISCONNECTED)
    assert len(gone) == 1, gone
    return gone[0]


def rst(sock: socket.socket) -> None:
    """Drop the TCP connection abruptly (RST, no close frame)."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class TestCodeExchanged:
    async def test_oversize_reports_1009_sent_by_the_server(self) -> None:
        server = await echo_server(max_message_size=1024)
        events = recorder(server)
        seen: list[tuple[int | None, str | None]] = []
        server.add_event_handler("on_client_disconnected", lambda t, c: seen.append((c.close_code, c.close_initiator)))
        async with connect(server.url, max_size=None) as ws:
            await ws.send(b"x" * 5000)
            with pytest.raises(ConnectionClosedError) as info:
                await asyncio.wait_for(ws.recv(), 5)
            assert info.value.rcvd is not None and info.value.rcvd.code == 1009
        await eventually(lambda: kinds(events, EventKind.DISCONNECTED))
        gone = disconnected(events)
        assert gone.code == 1009 and "1024" in gone.reason
        assert gone.info == {"initiator": "server"}
        assert seen == [(1009, "server")]
        errors = kinds(events, EventKind.ERROR)
        assert [e.code for e in errors] == [1009]

    async def test_invalid_utf8_reports_1007(self) -> None:
        server = await echo_server(close_timeout=0.5)  # the raw peer never answers the close
        events = recorder(server)
        sock = await raw_upgrade(server.url, rcvbuf=65536)
        try:
            bad = Frame(Opcode.TEXT, b"\xff\xfe").serialize(mask=True, extensions=[])
            await asyncio.get_running_loop().sock_sendall(sock, bad)
            await eventually(lambda: kinds(events, EventKind.DISCONNECTED), timeout=12)
        finally:
            sock.close()
        assert disconnected(events).code == 1007
        assert [e.code for e in kinds(events, EventKind.ERROR)] == [1007]

    async def test_peer_close_is_reported_with_its_code_and_initiator(self) -> None:
        server = await echo_server()
        events = recorder(server)
        async with connect(server.url) as ws:
            await ws.close(4000, "bye")
        await eventually(lambda: kinds(events, EventKind.DISCONNECTED))
        gone = disconnected(events)
        assert (gone.code, gone.reason, gone.info) == (4000, "bye", {"initiator": "client"})

    async def test_client_side_sees_the_server_initiated_code(self) -> None:
        server = await echo_server()
        client = wskit.WebsocketClientTransport(server.url)
        events = recorder(client)
        await client.start()
        await eventually(lambda: len(server.clients) == 1)
        await server.clients[0].close(4001, "go")
        await eventually(lambda: kinds(events, EventKind.DISCONNECTED))
        gone = disconnected(events)
        assert (gone.code, gone.reason, gone.info) == (4001, "go", {"initiator": "server"})


class TestGonePeer:
    async def test_send_after_abrupt_drop_is_always_websocket_disconnect_1006(self) -> None:
        server = wskit.WebsocketServerTransport(port=0)
        events = recorder(server)
        await server.start()
        sock = await raw_upgrade(server.url, rcvbuf=65536)
        await eventually(lambda: len(server.clients) == 1)
        conn = server.clients[0]
        rst(sock)
        await eventually(lambda: kinds(events, EventKind.DISCONNECTED))
        assert disconnected(events).code == 1006
        for _ in range(3):
            with pytest.raises(wskit.WebSocketDisconnect) as info:
                await conn.send_text("anyone?")
            assert info.value.code == 1006

    async def test_send_after_own_close_is_still_a_runtime_error(self) -> None:
        server = await echo_server()
        async with connect(server.url):
            await eventually(lambda: len(server.clients) == 1)
            conn = server.clients[0]
            await conn.close()
            with pytest.raises(RuntimeError, match="once a close message has been sent"):
                await conn.send_text("late")


class TestBroadcastSkipsClosed:
    async def test_push_only_route_peer_closed_is_not_counted_and_is_disconnected(self) -> None:
        server = wskit.WebsocketServerTransport(port=0)
        events = recorder(server)
        release = asyncio.Event()

        @server.route("/")
        async def pusher(websocket: wskit.Connection) -> None:
            await websocket.accept()
            await release.wait()  # never reads

        await server.start()
        keep = await connect(server.url)
        gone = await connect(server.url)
        await eventually(lambda: len(server.clients) == 2)
        leaving = server.clients[1]
        await gone.close()
        await eventually(lambda: leaving.client_state is wskit.transports.WebSocketState.DISCONNECTED)
        await eventually(lambda: len(server.clients) == 1)
        await eventually(lambda: any(e.connection is leaving for e in kinds(events, EventKind.DISCONNECTED)))
        before = len(kinds(events, EventKind.MESSAGE))
        assert await server.broadcast("hello") == 1
        outs = kinds(events, EventKind.MESSAGE)[before:]
        assert [e.connection for e in outs] == [server.clients[0]]
        assert await asyncio.wait_for(keep.recv(), 2) == "hello"
        release.set()
        await keep.close()


class TestNothingLostAtClose:
    async def test_frames_buffered_when_the_peer_closes_are_all_read_before_disconnected(self) -> None:
        server = wskit.WebsocketServerTransport(port=0)
        order: list[str] = []

        @server.event_handler("on_frame")
        async def slow(transport: object, conn: wskit.Connection, frame: wskit.Frame) -> None:
            await asyncio.sleep(0.005)  # slower than the peer: frames queue up (max_queue) behind this
            assert isinstance(frame, wskit.TextFrame)
            order.append(frame.text)

        server.add_event_handler("on_client_disconnected", lambda t, conn: order.append("gone"))
        await server.start()
        async with connect(server.url) as ws:
            for i in range(60):
                await ws.send(str(i))
        await eventually(lambda: "gone" in order, timeout=10)
        assert order == [str(i) for i in range(60)] + ["gone"]

    async def test_a_failed_echo_during_the_servers_close_does_not_stop_reading(self) -> None:
        server = wskit.WebsocketServerTransport(wskit.WebsocketServerParams(close_timeout=5), port=0)
        seen: list[str] = []

        @server.event_handler("on_frame")
        async def echo(transport: object, conn: wskit.Connection, frame: wskit.Frame) -> None:
            await asyncio.sleep(0.005)
            assert isinstance(frame, wskit.TextFrame)
            seen.append(frame.text)
            with contextlib.suppress(wskit.WebSocketDisconnect):
                await conn.send(frame)  # fails once the server has started closing

        await server.start()
        async with connect(server.url) as ws:
            for i in range(60):
                await ws.send(str(i))
            await eventually(lambda: len(seen) >= 5)
            stopping = asyncio.create_task(server.stop(timeout=5))  # frames are still queued
            with contextlib.suppress(ConnectionClosed):
                async for _ in ws:  # read echoes and the close frame, so the handshake completes
                    pass
            await stopping
        assert seen == [str(i) for i in range(60)]


class TestCodesThatCannotBeSent:
    """RFC 6455 §7.4: 1005, 1006 and 1015 only describe what an endpoint saw; 1004 is reserved."""

    @pytest.mark.parametrize("code", [999, 1004, 1005, 1006, 1015, 2999, 5000])
    async def test_close_refuses_the_code_and_the_connection_stays_open(self, code: int) -> None:
        server = wskit.WebsocketServerTransport(port=0)
        server.add_event_handler("on_frame", lambda transport, conn, frame: None)
        await server.start()
        async with connect(server.url) as ws:
            await eventually(lambda: server.clients)
            (conn,) = server.clients
            with pytest.raises(ValueError, match=f"close code {code} cannot be sent"):
                await conn.close(code, "nope")
            assert conn.application_state is wskit.transports.WebSocketState.CONNECTED
            await conn.close(4000, "a sendable code")
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 2)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4000


class TestEchoedCloseIsNotAFault:
    async def test_a_client_echoing_the_servers_1007_reports_no_error(self) -> None:
        server = wskit.WebsocketServerTransport(port=0)

        @server.route("/")
        async def invalid(websocket: wskit.Connection) -> None:
            await websocket.accept()
            await websocket.close(1007, "your payload")

        await server.start()
        client = wskit.WebsocketClientTransport(server.url)
        errors: list[BaseException] = []
        closed: list[int | None] = []
        client.add_event_handler("on_error", lambda t, c, e: errors.append(e))
        client.add_event_handler("on_disconnected", lambda t, c: closed.append(c.close_code))
        await client.start()
        await eventually(lambda: closed)
        assert closed == [1007]
        assert errors == []
