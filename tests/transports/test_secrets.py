"""Defect 9: tokens, passwords and Authorization values never reach reprs, logs, events or close reasons."""

from __future__ import annotations

import logging

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

import wskit
from tests.conftest import eventually
from tests.transports.test_server import echo_server, free_port, kinds, recorder
from wskit import EventKind

SECRET = "s3cretTOKEN42"


class TestClientSide:
    async def test_repr_events_and_connect_error_hide_the_token(self) -> None:
        server = await echo_server()
        client = wskit.WebsocketClientTransport(f"{server.url}?token={SECRET}")
        events = recorder(client)
        await client.start()
        await client.send_text("hi")
        await eventually(lambda: kinds(events, EventKind.MESSAGE))
        await client.stop()
        shown = [repr(client), str(client)] + [repr(e) for e in events] + [str(e) for e in events]
        assert not any(SECRET in s for s in shown), shown
        assert SECRET in client.uri  # the real value is still there for code that needs it

        bad = wskit.WebsocketClientTransport(f"ws://127.0.0.1:{free_port()}/?token={SECRET}")
        with pytest.raises(wskit.ConnectError) as info:
            await bad.start()
        assert SECRET not in str(info.value) and "token=***" in str(info.value)

    def test_params_repr_masks_authorization(self) -> None:
        params = wskit.WebsocketClientParams(additional_headers={"Authorization": f"Bearer {SECRET}", "X-Room": "7"})
        assert SECRET not in repr(params) and "X-Room" in repr(params)


class TestServerSide:
    async def test_rejected_query_value_is_masked_in_logs_events_and_close_reason(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        server = wskit.WebsocketServerTransport(port=0)
        events = recorder(server)

        @server.route("/ws")
        async def handler(websocket: wskit.Connection, token: int) -> None:
            await websocket.accept()

        await server.start()
        with caplog.at_level(logging.DEBUG, logger="wskit"):
            async with connect(f"{server.url}ws?token={SECRET}") as ws:
                with pytest.raises(ConnectionClosed) as info:
                    await ws.recv()
            await eventually(lambda: kinds(events, EventKind.DISCONNECTED))
        assert info.value.rcvd is not None and info.value.rcvd.code == 1008
        assert SECRET not in info.value.rcvd.reason and "'token'" in info.value.rcvd.reason
        assert not any(SECRET in r.getMessage() for r in caplog.records)
        assert not any(SECRET in str(e) or SECRET in e.reason for e in events)
        # a peer's bad parameter is its fault: a warning, no traceback
        errors = [r for r in caplog.records if "token" in r.getMessage()]
        assert errors and all(r.levelno == logging.WARNING and not r.exc_info for r in errors)

    async def test_close_reason_given_by_code_is_masked(self) -> None:
        server = await echo_server()
        async with connect(server.url) as ws:
            await eventually(lambda: len(server.clients) == 1)
            await server.clients[0].close(1008, f"bad token={SECRET}")
            with pytest.raises(ConnectionClosed) as info:
                await ws.recv()
        assert info.value.rcvd is not None and info.value.rcvd.reason == "bad token=***"


class TestErrorEvents:
    async def test_failing_handler_error_event_repr_and_traceback_are_masked(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        server = wskit.WebsocketServerTransport(port=0)
        events = recorder(server)

        @server.event_handler("on_frame")
        async def fail(transport: object, conn: wskit.Connection, frame: wskit.Frame) -> None:
            raise RuntimeError(f"upstream refused Authorization: Bearer {SECRET} (ws://up/?token={SECRET})")

        await server.start()
        with caplog.at_level(logging.DEBUG, logger="wskit"):
            async with connect(server.url) as ws:
                await ws.send("hi")
                await eventually(lambda: kinds(events, EventKind.ERROR))
        errors = kinds(events, EventKind.ERROR)
        assert SECRET in str(errors[0].error)  # the exception itself is untouched, for code that needs it
        assert not any(SECRET in repr(e) for e in events)
        logged = [r for r in caplog.records if r.exc_info]
        assert logged, "a failing handler is logged with its traceback"
        formatted = "\n".join(logging.Formatter("%(message)s").format(r) for r in caplog.records)
        assert "RuntimeError: upstream refused Authorization: ***" in formatted
        assert SECRET not in formatted


class TestMalformedUrls:
    async def test_an_unparsable_origin_is_rejected_with_its_token_masked(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        from tests.transports.rawpeer import raw_request

        server = wskit.WebsocketServerTransport(wskit.WebsocketServerParams(origins=["https://ok.test"]), port=0)
        events = recorder(server)
        await server.start()
        request = (
            b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            b"Origin: http://[x?token=" + SECRET.encode() + b"\r\n\r\n"
        )  # masking this once recursed until RecursionError
        with caplog.at_level(logging.DEBUG, logger="wskit"):
            answer = await raw_request(server.url, request)
            await eventually(lambda: kinds(events, EventKind.REJECTED))
        assert answer.startswith(b"HTTP/1.1 403")
        (rejected,) = kinds(events, EventKind.REJECTED)
        assert rejected.code == 403 and "http://[x?token=***" in rejected.reason
        assert not any(SECRET in r.getMessage() for r in caplog.records)
