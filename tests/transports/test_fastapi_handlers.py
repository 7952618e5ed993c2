"""FastAPI's seed WebSocket endpoints moved into wskit with ``@server.route(...)``.

The two handlers of FastAPI's WebSocket tutorial (``shared/seeds/002_*``,
``003_*``) run on a :class:`wskit.WebsocketServerTransport` with as few changes
as possible: the cookie-or-token dependency becomes the route's ``auth=`` hook
and its value arrives in the handler's ``auth`` parameter. The last test runs
one raw-websockets script against these handlers and against the FastAPI app
served by uvicorn (``tests/peers/fastapi_apps.py``) and expects the same
transcript from both.
"""

import asyncio
from collections.abc import AsyncIterator

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

import wskit
from tests.peers.clients import TIMEOUT, next_texts, started
from tests.peers.fastapi_apps import app as fastapi_app
from tests.peers.fastapi_apps import run_uvicorn
from wskit import CloseCode, WebSocket, WebSocketException
from wskit.transports.routing import ParameterError


def seed_server() -> wskit.WebsocketServerTransport:
    """A wskit server with the seed endpoints and the extras of ``fastapi_apps.app``."""
    server = wskit.WebsocketServerTransport(port=0)

    # -- seed 002: the echo chat, unchanged ----------------------------------

    @server.route("/ws")
    async def websocket_endpoint(websocket: WebSocket):
        await websocket.accept()
        while True:
            data = await websocket.receive_text()
            await websocket.send_text(f"Message text was: {data}")

    # -- seed 003: the dependency becomes the auth hook ------------------------

    async def get_cookie_or_token(websocket: WebSocket) -> str:
        session = websocket.cookies.get("session")
        token = websocket.query_params.get("token")
        if session is None and token is None:
            raise WebSocketException(code=CloseCode.POLICY_VIOLATION)
        return session or token  # type: ignore[return-value]

    @server.route("/items/{item_id}/ws", auth=get_cookie_or_token)
    async def items_websocket_endpoint(
        *,
        websocket: WebSocket,
        item_id: str,
        q: int | None = None,
        auth: str,
    ) -> None:
        await websocket.accept()
        while True:
            data = await websocket.receive_text()
            await websocket.send_text(f"Session cookie or query token value is: {auth}")
            if q is not None:
                await websocket.send_text(f"Query parameter q is: {q}")
            await websocket.send_text(f"Message text was: {data}, for item ID: {item_id}")

    # -- the extras, as in fastapi_apps.py ---------------------------------------

    @server.route("/json")
    async def json_echo(websocket: WebSocket) -> None:
        await websocket.accept()
        while True:
            data = await websocket.receive_json()
            await websocket.send_json(data)

    @server.route("/json/binary")
    async def json_binary(websocket: WebSocket) -> None:
        await websocket.accept()
        while True:
            data = await websocket.receive_json(mode="binary")
            await websocket.send_json({"got": data}, mode="binary")

    @server.route("/close/{code}")
    async def close_endpoint(websocket: WebSocket, code: int, reason: str = "") -> None:
        await websocket.accept()
        await websocket.close(code=code, reason=reason)

    return server


class Recorder:
    """Every event of a transport, with a bounded wait for the ones to come."""

    def __init__(self, transport: wskit.transports.BaseTransport) -> None:
        self.events: list[wskit.Event] = []
        self._changed = asyncio.Event()
        transport.events.subscribe(self._on_event)

    def _on_event(self, event: wskit.Event) -> None:
        self.events.append(event)
        self._changed.set()

    def of(self, kind: wskit.EventKind) -> list[wskit.Event]:
        return [e for e in self.events if e.kind is kind]

    async def wait(self, kind: wskit.EventKind, count: int = 1) -> list[wskit.Event]:
        async with asyncio.timeout(TIMEOUT):
            for _ in range(10_000):
                if len(self.of(kind)) >= count:
                    return self.of(kind)
                self._changed.clear()
                await self._changed.wait()
        raise AssertionError(f"fewer than {count} {kind} events: {self.events}")


@pytest.fixture
async def server() -> AsyncIterator[wskit.WebsocketServerTransport]:
    server = seed_server()
    async with asyncio.timeout(TIMEOUT):
        await server.start()
    try:
        yield server
    finally:
        async with asyncio.timeout(TIMEOUT):
            await server.stop()


@pytest.fixture
def events(server: wskit.WebsocketServerTransport) -> Recorder:
    return Recorder(server)


@pytest.fixture
def base(server: wskit.WebsocketServerTransport) -> str:
    """``ws://127.0.0.1:<port>``, without the trailing slash."""
    return server.url.rstrip("/")


async def close_of(ws: ClientConnection) -> tuple[int | None, str]:
    """Wait until the server closes ``ws``; its close code and reason."""
    with pytest.raises(ConnectionClosed):
        async with asyncio.timeout(TIMEOUT):
            await ws.recv()
    return ws.close_code, ws.close_reason


async def connect_expecting_status(uri: str) -> wskit.ConnectError:
    client = wskit.WebsocketClientTransport(uri)
    with pytest.raises(wskit.ConnectError) as caught:
        async with asyncio.timeout(TIMEOUT):
            await client.start()
    assert client.connection is None
    return caught.value


# -- seed 002: echo chat ---------------------------------------------------------


async def test_echo_handler_answers_in_order_and_a_leaving_client_is_no_error(base: str, events: Recorder) -> None:
    client = wskit.WebsocketClientTransport(f"{base}/ws")
    async with started(client):
        stream = client.frames()
        for text in ("hello", "ünïcödé ✓", ""):
            await client.send(wskit.TextFrame(text))
        assert await next_texts(stream, 3) == [
            "Message text was: hello",
            "Message text was: ünïcödé ✓",
            "Message text was: ",
        ]
    (gone,) = await events.wait(wskit.EventKind.DISCONNECTED)
    assert (gone.code, gone.reason) == (1000, "client stopping")
    assert events.of(wskit.EventKind.ERROR) == []
    assert [e.connection.url.path for e in events.of(wskit.EventKind.CONNECTED)] == ["/ws"]
    incoming = [e.raw for e in events.of(wskit.EventKind.MESSAGE) if e.direction is wskit.events.Direction.IN]
    assert incoming == ["hello", "ünïcödé ✓", ""]


# -- seed 003: cookie or token ------------------------------------------------------


async def test_items_handler_with_query_token_and_q(base: str, events: Recorder) -> None:
    client = wskit.WebsocketClientTransport(f"{base}/items/foo/ws?token=some-key-token&q=5")
    async with started(client):
        (connected,) = await events.wait(wskit.EventKind.CONNECTED)
        conn = connected.connection
        assert conn.path_params == {"item_id": "foo"}
        assert conn.query_params == {"token": "some-key-token", "q": "5"}
        assert conn.auth == "some-key-token"
        stream = client.frames()
        await client.send(wskit.TextFrame("hello"))
        await client.send(wskit.TextFrame("again"))
        assert await next_texts(stream, 6) == [
            "Session cookie or query token value is: some-key-token",
            "Query parameter q is: 5",
            "Message text was: hello, for item ID: foo",
            "Session cookie or query token value is: some-key-token",
            "Query parameter q is: 5",
            "Message text was: again, for item ID: foo",
        ]


async def test_items_handler_with_session_cookie_and_q_converted_to_int(base: str) -> None:
    params = wskit.WebsocketClientParams(additional_headers={"Cookie": "other=1; session=cookie-value"})
    client = wskit.WebsocketClientTransport(f"{base}/items/bar/ws?token=ignored&q=007", params)
    async with started(client):
        stream = client.frames()
        await client.send(wskit.TextFrame("hi"))
        assert await next_texts(stream, 3) == [
            "Session cookie or query token value is: cookie-value",
            "Query parameter q is: 7",
            "Message text was: hi, for item ID: bar",
        ]


async def test_items_handler_without_q_sends_two_texts(base: str) -> None:
    client = wskit.WebsocketClientTransport(f"{base}/items/foo/ws?token=t")
    async with started(client):
        stream = client.frames()
        await client.send(wskit.TextFrame("one"))
        await client.send(wskit.TextFrame("two"))
        assert await next_texts(stream, 4) == [
            "Session cookie or query token value is: t",
            "Message text was: one, for item ID: foo",
            "Session cookie or query token value is: t",
            "Message text was: two, for item ID: foo",
        ]


async def test_missing_cookie_and_token_connects_then_closes_with_1008(
    server: wskit.WebsocketServerTransport, base: str, events: Recorder
) -> None:
    rejected: list[tuple[wskit.Connection | None, int, str]] = []

    @server.event_handler("on_client_rejected")
    def on_client_rejected(
        transport: wskit.WebsocketServerTransport, conn: wskit.Connection | None, code: int, reason: str
    ) -> None:
        rejected.append((conn, code, reason))

    connected_calls: list[wskit.Connection] = []
    server.add_event_handler("on_client_connected", lambda transport, conn: connected_calls.append(conn))

    client = wskit.WebsocketClientTransport(f"{base}/items/foo/ws?q=5")
    closed: list[tuple[int | None, str]] = []
    done = asyncio.Event()

    @client.event_handler("on_disconnected")
    def on_disconnected(transport: wskit.WebsocketClientTransport, conn: wskit.Connection) -> None:
        closed.append((conn.close_code, conn.close_reason))
        done.set()

    client_events = Recorder(client)
    async with started(client):
        async with asyncio.timeout(TIMEOUT):
            await done.wait()
    # the upgrade succeeded (on_connected), then the server closed with 1008
    assert len(client_events.of(wskit.EventKind.CONNECTED)) == 1
    assert closed == [(CloseCode.POLICY_VIOLATION, "")]
    assert closed[0][0] == 1008

    (event,) = await events.wait(wskit.EventKind.REJECTED)
    assert (event.code, event.reason) == (1008, "")
    assert event.connection is not None
    assert event.connection.url.path == "/items/foo/ws"
    assert [(c, code, reason) for c, code, reason in rejected] == [(event.connection, 1008, "")]
    # a rejected client is never counted as connected
    assert connected_calls == []
    assert events.of(wskit.EventKind.CONNECTED) == []
    assert server.clients == ()


async def test_auth_hook_raising_http_reject_refuses_the_upgrade_with_its_status(
    server: wskit.WebsocketServerTransport, base: str, events: Recorder
) -> None:
    def require_token(websocket: WebSocket) -> str:
        token = websocket.query_params.get("token")
        if token != "secret":
            raise wskit.HTTPReject(401, "token required")
        return token

    @server.route("/private", auth=require_token)
    async def private(websocket: WebSocket, auth: str) -> None:
        await websocket.accept()
        await websocket.send_text(f"welcome, {auth}")

    rejected: list[tuple[wskit.Connection | None, int, str]] = []
    got_rejection = asyncio.Event()

    @server.event_handler("on_client_rejected")
    async def on_client_rejected(
        transport: wskit.WebsocketServerTransport, conn: wskit.Connection | None, code: int, reason: str
    ) -> None:
        rejected.append((conn, code, reason))
        got_rejection.set()

    error = await connect_expecting_status(f"{base}/private?token=wrong")
    assert error.status_code == 401
    assert isinstance(error.__cause__, InvalidStatus)
    assert error.__cause__.response.body == b"token required\n"
    async with asyncio.timeout(TIMEOUT):
        await got_rejection.wait()
    assert rejected == [(None, 401, "token required")]
    assert [(e.code, e.reason, e.connection) for e in events.of(wskit.EventKind.REJECTED)] == [
        (401, "token required", None)
    ]
    assert events.of(wskit.EventKind.CONNECTED) == []
    assert server.clients == ()

    # the right token gets in, and the hook's value reaches the handler's ``auth``
    async with asyncio.timeout(TIMEOUT), connect(f"{base}/private?token=secret") as ws:
        assert await ws.recv() == "welcome, secret"
        assert await close_of(ws) == (1000, "")
    assert len(events.of(wskit.EventKind.CONNECTED)) == 1


async def test_unknown_path_is_refused_with_http_404(
    server: wskit.WebsocketServerTransport, base: str, events: Recorder
) -> None:
    error = await connect_expecting_status(f"{base}/nowhere?token=t")
    assert error.status_code == 404
    assert [(e.code, e.reason) for e in events.of(wskit.EventKind.REJECTED)] == [
        (404, "no WebSocket route for /nowhere")
    ]
    assert events.of(wskit.EventKind.CONNECTED) == []
    # a template does not match more (or fewer) segments than it has
    for path in ("/items/foo/ws/extra", "/items/ws", "/ws/"):
        assert (await connect_expecting_status(f"{base}{path}?token=t")).status_code == 404
    assert server.clients == ()


async def test_on_frame_handlers_serve_the_paths_no_route_claims(
    server: wskit.WebsocketServerTransport, base: str, events: Recorder
) -> None:
    """An on_frame echo and FastAPI-style routes share one server (the README does both)."""

    @server.event_handler("on_frame")
    async def echo(transport: object, conn: wskit.Connection, frame: wskit.Frame) -> None:
        await conn.send(frame)

    async with asyncio.timeout(TIMEOUT), connect(f"{base}/nowhere") as ws:
        await ws.send("ping")
        assert await ws.recv() == "ping"
    async with asyncio.timeout(TIMEOUT), connect(f"{base}/ws") as ws:
        await ws.send("hi")
        assert await ws.recv() == "Message text was: hi"  # the route still serves its own path
    assert events.of(wskit.EventKind.REJECTED) == []


async def test_q_that_is_not_an_int_closes_with_1008_and_an_error_event(base: str, events: Recorder) -> None:
    async with asyncio.timeout(TIMEOUT), connect(f"{base}/items/foo/ws?token=t&q=abc") as ws:
        assert await close_of(ws) == (1008, "parameter 'q': 'abc' is not a valid int")
    (error_event,) = await events.wait(wskit.EventKind.ERROR)
    assert isinstance(error_event.error, ParameterError)
    assert str(error_event.error) == "parameter 'q': 'abc' is not a valid int"
    assert error_event.connection is not None
    assert error_event.connection.query_params["q"] == "abc"
    (gone,) = await events.wait(wskit.EventKind.DISCONNECTED)
    assert gone.code == 1008
    # the handler never ran: nothing was sent
    assert [e for e in events.of(wskit.EventKind.MESSAGE) if e.direction is wskit.events.Direction.OUT] == []


async def test_auth_hook_that_fails_refuses_with_http_500_and_an_error_event(
    server: wskit.WebsocketServerTransport, base: str, events: Recorder
) -> None:
    def broken(websocket: WebSocket) -> str:
        raise KeyError("no such user")

    @server.route("/broken", auth=broken)
    async def never(websocket: WebSocket) -> None:
        raise AssertionError("the handler must not run")

    error = await connect_expecting_status(f"{base}/broken")
    assert error.status_code == 500
    (error_event,) = await events.wait(wskit.EventKind.ERROR)
    assert isinstance(error_event.error, KeyError)
    assert error_event.info == {"hook": "auth"}
    assert [(e.code, e.reason) for e in events.of(wskit.EventKind.REJECTED)] == [(500, "authentication hook failed")]
    assert events.of(wskit.EventKind.CONNECTED) == []


async def test_long_non_ascii_parameter_error_still_closes_with_1008(base: str, events: Recorder) -> None:
    async with asyncio.timeout(TIMEOUT), connect(f"{base}/items/foo/ws?token=t&q={'é' * 100}") as ws:
        code, reason = await close_of(ws)
    assert code == 1008
    assert reason.startswith("parameter 'q': 'éé")
    assert len(reason.encode()) <= 123
    (gone,) = await events.wait(wskit.EventKind.DISCONNECTED)
    assert gone.code == 1008


async def test_websocket_exception_with_a_long_reason_still_closes_with_its_code(
    server: wskit.WebsocketServerTransport, base: str, events: Recorder
) -> None:
    @server.route("/verbose")
    async def verbose(websocket: WebSocket) -> None:
        await websocket.accept()
        raise WebSocketException(code=4000, reason="why " * 50)

    async with asyncio.timeout(TIMEOUT), connect(f"{base}/verbose") as ws:
        code, reason = await close_of(ws)
    assert code == 4000
    assert reason.startswith("why why")
    assert len(reason.encode()) <= 123
    (gone,) = await events.wait(wskit.EventKind.DISCONNECTED)
    assert gone.code == 4000


# -- failures inside a handler -------------------------------------------------------


async def test_handler_exception_closes_with_1011_and_the_server_keeps_serving(
    server: wskit.WebsocketServerTransport, base: str, events: Recorder
) -> None:
    @server.route("/fragile")
    async def fragile(websocket: WebSocket) -> None:
        await websocket.accept()
        while True:
            data = await websocket.receive_text()
            if data == "boom":
                raise RuntimeError("the handler broke")
            await websocket.send_text(f"Message text was: {data}")

    errors: list[tuple[wskit.Connection | None, BaseException]] = []

    @server.event_handler("on_error")
    def on_error(
        transport: wskit.WebsocketServerTransport, conn: wskit.Connection | None, error: BaseException
    ) -> None:
        errors.append((conn, error))

    async with asyncio.timeout(TIMEOUT), connect(f"{base}/fragile") as ws:
        await ws.send("fine")
        assert await ws.recv() == "Message text was: fine"
        await ws.send("boom")
        assert await close_of(ws) == (1011, "internal error")

    (error_event,) = await events.wait(wskit.EventKind.ERROR)
    assert isinstance(error_event.error, RuntimeError)
    assert str(error_event.error) == "the handler broke"
    assert error_event.info == {"handler": "/fragile"}
    assert [(conn, error) for conn, error in errors] == [(error_event.connection, error_event.error)]
    (gone,) = await events.wait(wskit.EventKind.DISCONNECTED)
    assert gone.code == 1011
    assert server.clients == ()

    # a second client is served as if nothing happened
    async with asyncio.timeout(TIMEOUT), connect(f"{base}/fragile") as ws:
        await ws.send("still there?")
        assert await ws.recv() == "Message text was: still there?"
    assert len(events.of(wskit.EventKind.CONNECTED)) == 2
    assert len(events.of(wskit.EventKind.ERROR)) == 1


async def test_receive_text_on_a_binary_message_closes_with_1003(base: str, events: Recorder) -> None:
    async with asyncio.timeout(TIMEOUT), connect(f"{base}/ws") as ws:
        await ws.send("text first")
        assert await ws.recv() == "Message text was: text first"
        await ws.send(b"\x00\x01\x02")
        assert await close_of(ws) == (1003, "expected a text message, got 3 bytes of binary")
    (error_event,) = await events.wait(wskit.EventKind.ERROR)
    assert isinstance(error_event.error, wskit.InvalidMessage)
    assert error_event.error.code == 1003
    (gone,) = await events.wait(wskit.EventKind.DISCONNECTED)
    assert gone.code == 1003


async def test_malformed_json_in_receive_json_closes_with_1007(base: str, events: Recorder) -> None:
    async with asyncio.timeout(TIMEOUT), connect(f"{base}/json") as ws:
        await ws.send('{"ok": true}')
        assert await ws.recv() == '{"ok":true}'
        await ws.send("{not json")
        code, reason = await close_of(ws)
    assert code == 1007
    assert reason.startswith("malformed JSON: Expecting property name enclosed in double quotes")
    (error_event,) = await events.wait(wskit.EventKind.ERROR)
    assert isinstance(error_event.error, wskit.InvalidMessage)
    assert error_event.error.code == 1007
    assert error_event.error.reason == reason


# -- the Starlette helpers ------------------------------------------------------------


async def test_iter_text_ends_when_the_client_leaves(
    server: wskit.WebsocketServerTransport, base: str, events: Recorder
) -> None:
    received: list[str] = []
    finished = asyncio.Event()

    @server.route("/upper")
    async def upper(websocket: WebSocket) -> None:
        await websocket.accept()
        async for text in websocket.iter_text():
            received.append(text)
            await websocket.send_text(text.upper())
        finished.set()  # reached only because iter_text stops quietly on disconnect

    async with asyncio.timeout(TIMEOUT), connect(f"{base}/upper") as ws:
        for text in ("abc", "ß and é"):
            await ws.send(text)
        assert [await ws.recv() for _ in range(2)] == ["ABC", "SS AND É"]
    async with asyncio.timeout(TIMEOUT):
        await finished.wait()
    assert received == ["abc", "ß and é"]
    (gone,) = await events.wait(wskit.EventKind.DISCONNECTED)
    assert gone.code == 1000
    assert events.of(wskit.EventKind.ERROR) == []


async def test_receive_json_and_send_json_text_mode(base: str) -> None:
    async with asyncio.timeout(TIMEOUT), connect(f"{base}/json") as ws:
        await ws.send('{"a": [1, 2.5, null, true], "é": "ü"}')
        await ws.send("42")
        await ws.send('"just a string"')
        replies = [await ws.recv() for _ in range(3)]
    # compact separators, non-ASCII kept as is (Starlette's send_json does the same)
    assert replies == ['{"a":[1,2.5,null,true],"é":"ü"}', "42", '"just a string"']


async def test_receive_json_and_send_json_binary_mode(base: str, events: Recorder) -> None:
    async with asyncio.timeout(TIMEOUT), connect(f"{base}/json/binary") as ws:
        await ws.send(b'{"x": 1}')
        await ws.send('["ü"]'.encode())
        replies = [await ws.recv() for _ in range(2)]
        # text where binary is expected
        await ws.send('{"x": 1}')
        assert await close_of(ws) == (1003, "expected a binary message, got text")
    assert replies == [b'{"got":{"x":1}}', '{"got":["ü"]}'.encode()]
    (error_event,) = await events.wait(wskit.EventKind.ERROR)
    assert isinstance(error_event.error, wskit.InvalidMessage)


async def test_wskit_client_json_serializer_against_the_wskit_handler(base: str) -> None:
    params = wskit.WebsocketClientParams(serializer=wskit.JsonSerializer())
    client = wskit.WebsocketClientTransport(f"{base}/json", params)
    sent = [wskit.MessageFrame({"k": [1, None]}), wskit.TextFrame("tagged")]
    async with started(client):
        stream = client.frames()
        for frame in sent:
            await client.send(frame)
        received = [await stream.get(timeout=TIMEOUT) for _ in sent]
    assert received == sent


async def test_server_close_with_code_and_reason(base: str) -> None:
    client = wskit.WebsocketClientTransport(f"{base}/close/4001?reason=bye")
    closed: list[tuple[int | None, str]] = []
    done = asyncio.Event()

    @client.event_handler("on_disconnected")
    def on_disconnected(transport: wskit.WebsocketClientTransport, conn: wskit.Connection) -> None:
        closed.append((conn.close_code, conn.close_reason))
        done.set()

    async with started(client):
        async with asyncio.timeout(TIMEOUT):
            await done.wait()
    assert closed == [(4001, "bye")]


# -- the same script against wskit and FastAPI -----------------------------------------


async def chat_script(base: str) -> list[object]:
    """Talk to every endpoint with a raw websockets client; everything seen, in order."""
    transcript: list[object] = []
    async with asyncio.timeout(3 * TIMEOUT):
        async with connect(f"{base}/ws") as ws:
            for text in ("hello", "ünïcödé ✓", ""):
                await ws.send(text)
                transcript.append(await ws.recv())
        sessions: list[tuple[str, dict[str, str] | None, list[str], int]] = [
            # path, extra headers, messages to send, replies per message
            ("/items/foo/ws?token=some-key-token", None, ["hello"], 2),
            ("/items/foo/ws?token=some-key-token&q=5", None, ["hello", "bye"], 3),
            ("/items/bar/ws?token=some%20key%2Btoken&q=05", None, ["x"], 3),
            ("/items/bar%20baz/ws?token=t", None, ["x"], 2),
            ("/items/%C3%A9t%C3%A9/ws?token=t", None, ["x"], 2),
            ("/items/foo/ws", {"Cookie": "session=cookie-value"}, ["hi"], 2),
            ("/items/baz/ws?token=tok", {"Cookie": 'a=b; session="quoted"'}, ["hi"], 2),
        ]
        for path, headers, messages, per_message in sessions:
            transcript.append(path)
            async with connect(f"{base}{path}", additional_headers=headers) as ws:
                for message in messages:
                    await ws.send(message)
                    transcript.extend([await ws.recv() for _ in range(per_message)])
        async with connect(f"{base}/json") as ws:
            for message in ('{"a": [1, 2.5, null, true], "é": "ü"}', "[]", "3.25"):
                await ws.send(message)
                transcript.append(await ws.recv())
        async with connect(f"{base}/json/binary") as ws:
            await ws.send(b'{"x": 1}')
            transcript.append(await ws.recv())
        for path in ("/close/4001?reason=bye", "/close/1000"):
            async with connect(f"{base}{path}") as ws:
                try:
                    transcript.append(await ws.recv())
                except ConnectionClosed:
                    transcript.append((ws.close_code, ws.close_reason))
    return transcript


EXPECTED_TRANSCRIPT: list[object] = [
    "Message text was: hello",
    "Message text was: ünïcödé ✓",
    "Message text was: ",
    "/items/foo/ws?token=some-key-token",
    "Session cookie or query token value is: some-key-token",
    "Message text was: hello, for item ID: foo",
    "/items/foo/ws?token=some-key-token&q=5",
    "Session cookie or query token value is: some-key-token",
    "Query parameter q is: 5",
    "Message text was: hello, for item ID: foo",
    "Session cookie or query token value is: some-key-token",
    "Query parameter q is: 5",
    "Message text was: bye, for item ID: foo",
    "/items/bar/ws?token=some%20key%2Btoken&q=05",
    "Session cookie or query token value is: some key+token",
    "Query parameter q is: 5",
    "Message text was: x, for item ID: bar",
    "/items/bar%20baz/ws?token=t",
    "Session cookie or query token value is: t",
    "Message text was: x, for item ID: bar baz",
    "/items/%C3%A9t%C3%A9/ws?token=t",
    "Session cookie or query token value is: t",
    "Message text was: x, for item ID: été",
    "/items/foo/ws",
    "Session cookie or query token value is: cookie-value",
    "Message text was: hi, for item ID: foo",
    "/items/baz/ws?token=tok",
    "Session cookie or query token value is: quoted",
    "Message text was: hi, for item ID: baz",
    '{"a":[1,2.5,null,true],"é":"ü"}',
    "[]",
    "3.25",
    b'{"got":{"x":1}}',
    (4001, "bye"),
    (1000, ""),
]


async def test_same_script_same_transcript_from_wskit_and_fastapi(base: str) -> None:
    from_wskit = await chat_script(base)
    async with run_uvicorn(fastapi_app) as fastapi_base:
        from_fastapi = await chat_script(fastapi_base)
    assert from_fastapi == EXPECTED_TRANSCRIPT
    assert from_wskit == from_fastapi
