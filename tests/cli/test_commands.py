"""``wskit serve`` and ``wskit connect`` as subprocesses on loopback, each bounded in time.

``connect`` is driven the way scripts use it: stdin piped in, stdout read,
the exit code checked. Its peers are ``wskit serve`` (another subprocess)
or an in-process wskit server when the test needs the server to misbehave.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import signal
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed

import wskit
from tests.conftest import eventually
from tests.transports.test_pages import http_get
from wskit import EventKind
from wskit.auth import token_auth
from wskit.cli import _connect as connect_cli

TIMEOUT = 20.0  # for any one subprocess (a loaded 2-core machine starts Python slowly)


@dataclass
class Result:
    code: int
    out: str
    err: str


async def run_wskit(*args: str, stdin: str = "", timeout: float = TIMEOUT) -> Result:
    """Run ``python -m wskit ARGS`` with ``stdin`` piped in; its exit code and output."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "wskit",
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(stdin.encode()), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode is not None
    return Result(proc.returncode, out.decode(), err.decode())


class Serve:
    """``wskit serve ARGS --port 0`` running in the background; its URL from the first line."""

    def __init__(self, proc: asyncio.subprocess.Process, url: str, first_lines: list[str]) -> None:
        self.proc = proc
        self.url = url
        self.lines = first_lines

    async def stop(self) -> tuple[int, str]:
        """SIGTERM, then the exit code and everything it printed."""
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        assert self.proc.stdout is not None
        rest = await asyncio.wait_for(self.proc.stdout.read(), TIMEOUT)
        code = await asyncio.wait_for(self.proc.wait(), TIMEOUT)
        return code, "\n".join(self.lines) + "\n" + rest.decode()


@contextlib.asynccontextmanager
async def serve(*args: str) -> AsyncIterator[Serve]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "wskit",
        "serve",
        "--port",
        "0",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    try:
        first = (await asyncio.wait_for(proc.stdout.readline(), TIMEOUT)).decode()
        match = re.match(r"wskit serve: listening on (ws://\S+) ", first)
        assert match, f"unexpected first line {first!r}"
        lines = [first.rstrip("\n")]
        if "--chat-page" in args:
            lines.append((await asyncio.wait_for(proc.stdout.readline(), TIMEOUT)).decode().rstrip("\n"))
        yield Serve(proc, match.group(1), lines)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def in_process_server(
    on_frame: Callable[[wskit.Connection, wskit.Frame], Awaitable[None]] | None = None, **params: Any
) -> tuple[wskit.WebsocketServerTransport, list[wskit.Event]]:
    """A wskit server in the test's own loop (echoing unless told otherwise), and its events."""
    server = wskit.WebsocketServerTransport(wskit.WebsocketServerParams(**params), port=0)
    events: list[wskit.Event] = []
    server.events.subscribe(events.append)

    @server.event_handler("on_frame")
    async def handle(transport: Any, conn: wskit.Connection, frame: wskit.Frame) -> None:
        await (on_frame(conn, frame) if on_frame else conn.send(frame))

    await server.start()
    return server, events


def received(events: list[wskit.Event]) -> list[str | bytes | None]:
    return [e.raw for e in events if e.kind is EventKind.MESSAGE and e.direction is wskit.events.Direction.IN]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# -- connect against serve ------------------------------------------------------------------


async def test_piped_stdin_into_connect_against_serve_echo() -> None:
    async with serve("--echo") as server:
        result = await run_wskit("connect", server.url, stdin='hello\n{"a": [1, 2]}\n/binary 6869\n')
        code, log = await server.stop()
    assert result.code == connect_cli.EXIT_OK, result.err
    assert "< hello\n" in result.out
    assert '< {\n    "a": [\n      1,\n      2\n    ]\n  }\n' in result.out  # JSON pretty-printed
    assert "< [2 bytes] 68 69\n" in result.out
    assert "> hello\n" in result.out  # stdin is not a terminal: what was sent is shown too
    assert "closed with code 1000" in result.err
    # serve's log: one line per event, with direction, opcode, size, and the close code
    assert code == 0 and log.rstrip().endswith("wskit serve: stopped")
    assert re.search(r"#\d+ 127\.0\.0\.1:\d+ +<-  message +TEXT +5 B  TEXT 'hello'", log)
    assert re.search(r"->  message +BINARY +2 B  BINARY 68 69", log)
    assert re.search(r"disconnected +code=1000 'client stopping'", log)


async def test_ping_prints_the_round_trip() -> None:
    async with serve() as server:
        result = await run_wskit("connect", server.url, stdin="/ping\n/ping abc\n")
        await server.stop()
    assert result.code == 0, result.err
    assert len(re.findall(r"^\* ping: round trip \d+\.\d{3} ms$", result.out, re.M)) == 2


async def test_stdin_end_waits_for_replies_in_flight() -> None:
    async def slow_echo(conn: wskit.Connection, frame: wskit.Frame) -> None:
        await asyncio.sleep(0.5)
        await conn.send(frame)

    server, _ = await in_process_server(slow_echo)
    result = await run_wskit("connect", server.url, "--wait", "10", stdin="one\ntwo\n")
    assert result.code == 0
    assert "< one\n" in result.out and "< two\n" in result.out


async def test_stdin_end_gives_up_after_wait_when_no_reply_comes() -> None:
    async def silent(conn: wskit.Connection, frame: wskit.Frame) -> None:
        pass

    server, events = await in_process_server(silent)
    result = await run_wskit("connect", server.url, "--wait", "0.3", stdin="anyone?\n")
    assert result.code == 0 and "< " not in result.out
    assert received(events) == ["anyone?"]


async def test_close_with_code_and_reason() -> None:
    server, events = await in_process_server()
    result = await run_wskit("connect", server.url, stdin="/close 4000 done here\nnot sent\n")
    assert result.code == 0, result.err
    await eventually(lambda: any(e.kind is EventKind.DISCONNECTED for e in events))
    [closed] = [e for e in events if e.kind is EventKind.DISCONNECTED]
    assert (closed.code, closed.reason) == (4000, "done here")
    assert received(events) == []


async def test_invalid_close_code_is_refused_locally() -> None:
    server, _ = await in_process_server()
    result = await run_wskit("connect", server.url, stdin="/close 1005\nhi\n")
    assert "not closed" in result.err and "< hi\n" in result.out and result.code == 0


# -- exit codes -------------------------------------------------------------------------------


async def test_refused_exit_code() -> None:
    result = await run_wskit("connect", f"ws://127.0.0.1:{free_port()}/")
    assert result.code == connect_cli.EXIT_REFUSED == 3
    assert "could not connect" in result.err


async def test_rejected_with_http_status_exit_code() -> None:
    async with serve("--echo", "--token", "s3cret") as server:
        rejected = await run_wskit("connect", server.url, stdin="hi\n")
        admitted = await run_wskit("connect", server.url, "--token", "s3cret", stdin="hi\n")
        _, log = await server.stop()
    assert rejected.code == connect_cli.EXIT_REJECTED == 4
    assert "HTTP 401" in rejected.err
    assert admitted.code == 0 and "< hi\n" in admitted.out
    assert re.search(r"rejected +code=401", log)


async def test_server_closing_with_an_error_code_exit_code() -> None:
    async def police(conn: wskit.Connection, frame: wskit.Frame) -> None:
        await conn.close(1008, "policy violation")

    server, _ = await in_process_server(police)
    result = await run_wskit("connect", server.url, stdin="bad words\nmore\n")
    assert result.code == connect_cli.EXIT_CLOSED_WITH_ERROR == 6
    assert "closed with code 1008 'policy violation'" in result.err


async def test_server_closing_normally_exit_code() -> None:
    async def goodbye(conn: wskit.Connection, frame: wskit.Frame) -> None:
        await conn.close(1000, "bye")

    server, _ = await in_process_server(goodbye)
    result = await run_wskit("connect", server.url, stdin="hi\n")
    assert result.code == 0 and "closed with code 1000 'bye'" in result.err


async def test_abnormal_close_exit_code() -> None:
    async def drop(conn: wskit.Connection, frame: wskit.Frame) -> None:
        conn.websocket.transport.abort()  # the TCP connection goes away without a close frame

    server, _ = await in_process_server(drop)
    result = await run_wskit("connect", server.url, stdin="hi\nmore\n")
    assert result.code == connect_cli.EXIT_ABNORMAL == 5
    assert "closed with code 1006" in result.err


async def test_bad_header_is_a_usage_error() -> None:
    result = await run_wskit("connect", "ws://127.0.0.1:1/", "-H", "no colon here")
    assert result.code == connect_cli.EXIT_USAGE and "Name: value" in result.err


# -- input modes, headers, subprotocols ---------------------------------------------------------


async def test_json_mode_sends_only_valid_json() -> None:
    server, events = await in_process_server()
    result = await run_wskit("connect", server.url, "--json", stdin='not json\n{"ok": true}\n')
    assert result.code == 0
    assert "invalid JSON" in result.err
    assert received(events) == ['{"ok": true}']
    assert '< {\n    "ok": true\n  }' in result.out


async def test_binary_modes() -> None:
    server, events = await in_process_server()
    hexed = await run_wskit("connect", server.url, "--binary-hex", stdin="00ff\nzz\n")
    b64 = await run_wskit("connect", server.url, "--binary-base64", stdin="aGk=\n")
    assert "< [2 bytes] 00 ff\n" in hexed.out and "not sent: not hex" in hexed.err
    assert "< [2 bytes] aGk=\n" in b64.out
    assert received(events) == [b"\x00\xff", b"hi"]


async def test_double_slash_sends_a_line_starting_with_a_slash() -> None:
    server, events = await in_process_server()
    result = await run_wskit("connect", server.url, stdin="//etc/hosts\n/nope\n/help\n")
    assert received(events) == ["/etc/hosts"]
    assert "unknown command /nope" in result.err
    assert "* " + connect_cli.COMMANDS_HELP.replace("\n", "\n  ") + "\n" in result.out


async def test_headers_token_and_subprotocol_reach_the_server() -> None:
    seen: dict[str, Any] = {}
    server, _ = await in_process_server(subprotocols=["chat.v1"], auth=token_auth("tok"))
    server.add_event_handler(
        "on_client_connected", lambda t, conn: seen.update(headers=conn.headers, sub=conn.subprotocol)
    )
    args = ["-H", "X-Trace: abc", "--subprotocol", "chat.v1", "--token", "tok"]
    result = await run_wskit("connect", server.url, *args, stdin="hi\n")
    assert result.code == 0, result.err
    assert seen["headers"]["X-Trace"] == "abc" and seen["sub"] == "chat.v1"
    assert "(subprotocol chat.v1)" in result.err


async def test_reconnect_after_the_server_restarts() -> None:
    server, _ = await in_process_server()
    port = server.listen_address[1] if server.listen_address else 0
    proc = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "wskit", "connect", server.url, "--reconnect"],
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    try:

        async def read_until(stream: asyncio.StreamReader, text: str) -> None:
            for _ in range(50):
                line = (await asyncio.wait_for(stream.readline(), TIMEOUT)).decode()
                if text in line:
                    return
            raise AssertionError(f"{text!r} never came")

        await read_until(proc.stderr, "connected to")
        proc.stdin.write(b"one\n")
        await read_until(proc.stdout, "< one")
        await server.stop()  # 1001 going away; the client retries
        await read_until(proc.stderr, "reconnecting")
        restarted = wskit.WebsocketServerTransport(port=port)
        restarted.add_event_handler("on_frame", lambda t, conn, frame: conn.send(frame))
        await restarted.start()
        await read_until(proc.stderr, "connected to")
        proc.stdin.write(b"two\n")
        proc.stdin.close()
        await read_until(proc.stdout, "< two")
        assert await asyncio.wait_for(proc.wait(), TIMEOUT) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


# -- serve's modes ------------------------------------------------------------------------------


async def test_serve_broadcast_and_max_clients() -> None:
    async with serve("--broadcast", "--max-clients", "2") as server:
        async with ws_connect(server.url) as a, ws_connect(server.url) as b:
            async with ws_connect(server.url) as c:
                with pytest.raises(ConnectionClosed) as closed:
                    await asyncio.wait_for(c.recv(), 5)
                assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013
            await a.send("to everyone")
            assert await asyncio.wait_for(a.recv(), 5) == "to everyone"
            assert await asyncio.wait_for(b.recv(), 5) == "to everyone"
        code, log = await server.stop()
    assert code == 0
    assert re.search(r"rejected +code=1013 'server full: 2 client\(s\) at most'", log)


async def test_serve_json_serializer_reports_bad_input_and_keeps_serving() -> None:
    async with serve("--echo", "--serializer", "json") as server:
        async with ws_connect(server.url) as ws:
            await ws.send("{not json")
            frame = json.dumps({"type": "text", "text": "hi"})
            await ws.send(frame)
            reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
        _, log = await server.stop()
    assert (reply["type"], reply["text"]) == ("text", "hi")
    assert "json serializer" in log.splitlines()[0]
    assert re.search(r" error +.*SerializerError", log)


async def test_serve_unknown_serializer() -> None:
    result = await run_wskit("serve", "--port", "0", "--serializer", "xml")
    assert result.code == 2 and "no serializer named 'xml'" in result.err and "json" in result.err


async def test_serve_address_in_use() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = await run_wskit("serve", "--port", str(busy.getsockname()[1]))
    assert result.code == 1 and "cannot listen" in result.err


async def test_serve_frames_logs_control_frames_and_close_codes() -> None:
    async with serve("--echo", "--frames") as server:
        async with ws_connect(server.url) as ws:
            await ws.send("hi")
            assert await asyncio.wait_for(ws.recv(), TIMEOUT) == "hi"
            await asyncio.wait_for(await ws.ping(b"rtt"), TIMEOUT)
            await ws.close(4000, "bye")
        code, out = await server.stop()
    assert code == 0
    wire_lines = [line for line in out.splitlines() if " wire " in line]
    assert any("<-" in line and "TEXT 'hi' [2 bytes]" in line for line in wire_lines), out
    assert any("<-" in line and "PING" in line for line in wire_lines), out
    assert any("->" in line and "PONG" in line for line in wire_lines), out
    assert any("<-" in line and "CLOSE code=4000 'bye'" in line for line in wire_lines), out
    assert any("->" in line and "CLOSE code=4000 'bye'" in line for line in wire_lines), out


async def test_serve_quiet_logs_connections_and_closes_but_no_messages() -> None:
    async with serve("--echo", "--quiet") as server:
        async with ws_connect(server.url) as ws:
            for n in range(3):
                await ws.send(f"m{n}")
                assert await asyncio.wait_for(ws.recv(), TIMEOUT) == f"m{n}"
            await ws.close(4000, "bye")
        code, out = await server.stop()
    assert code == 0
    assert re.search(r" connected\n", out) and "code=4000 'bye'" in out, out
    assert "m0" not in out and " message " not in out, out


async def test_serve_chat_page() -> None:
    async with serve("--echo", "--chat-page", "--token", "a b") as server:
        assert server.lines[1].startswith("wskit serve: chat page at http://127.0.0.1:")
        page_url = server.lines[1].split(" at ", 1)[1]
        assert page_url.endswith("/?token=a%20b")
        status, headers, body = await http_get(page_url)
        await server.stop()
    assert status == 200 and headers["Content-Type"].startswith("text/html") and body == wskit.CHAT_PAGE


# -- hostile peers and first-hour frictions -------------------------------------------------------

HOSTILE = "\x1b]0;pwned\x07\x1b[2J"


async def test_connect_escapes_terminal_control_characters_from_the_peer() -> None:
    async def hostile(conn: wskit.Connection, frame: wskit.Frame) -> None:
        await conn.send_text(HOSTILE)  # plain text
        await conn.send_text('{"a": "' + HOSTILE + '"')  # looks like JSON, is not
        await conn.send_text('{"a": "\\u001b[2J \u009b6n"}')  # JSON: ESC escaped inside, C1 raw
        await conn.send_text("one\n< forged line")
        await conn.close(1008, "bye \x1b[2J")

    server, _ = await in_process_server(hostile)
    result = await run_wskit("connect", server.url, stdin="go\n")
    assert "\x1b" not in result.out + result.err and "\x07" not in result.out and "\x9b" not in result.out
    assert "< \\x1b]0;pwned\\x07\\x1b[2J\n" in result.out
    assert '< {"a": "\\x1b]0;pwned\\x07\\x1b[2J"\n' in result.out
    assert '< {\n    "a": "\\u001b[2J \\x9b6n"\n  }\n' in result.out
    assert "< one\\n< forged line\n" in result.out  # one message, one line
    assert "\n< forged line" not in result.out
    assert "closed with code 1008 'bye \\x1b[2J'" in result.err


async def test_serve_escapes_a_peers_header_line_in_its_warning() -> None:
    async with serve() as server:
        port = int(server.url.rsplit(":", 1)[1].strip("/"))
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nX-Evil " + HOSTILE.encode() + b"\r\n\r\n")
        await writer.drain()
        await asyncio.wait_for(reader.read(), TIMEOUT)
        writer.close()
        await asyncio.sleep(0.2)
        assert server.proc.stderr is not None
        server.proc.send_signal(signal.SIGTERM)
        err = (await asyncio.wait_for(server.proc.stderr.read(), TIMEOUT)).decode()
        _, log = await server.stop()
    assert "invalid HTTP header line" in err and "X-Evil \\x1b]0;pwned\\x07\\x1b[2J" in err
    assert "\x1b" not in err + log and "\x07" not in err + log
    assert len(err.strip().splitlines()) == 1  # one record, one line


async def test_connect_masks_the_token_in_its_url() -> None:
    server, _ = await in_process_server()
    result = await run_wskit("connect", f"{server.url}?token=s3cretTOKEN42", stdin="hi\n")
    assert result.code == 0, result.err
    assert "connected to ws://127.0.0.1:" in result.err and "?token=***" in result.err
    assert "s3cretTOKEN42" not in result.err + result.out


async def test_ping_is_timed_finer_than_the_loops_clock() -> None:
    # uvloop's loop.time() moves in 1 ms steps: a loopback round trip timed with it reads 0.000 or 1.000
    pytest.importorskip("uvloop")
    async with serve() as server:
        result = await run_wskit("connect", server.url, "--loop", "uvloop", stdin="/ping\n" * 5)
        await server.stop()
    times = re.findall(r"^\* ping: round trip (\d+\.\d{3}) ms$", result.out, re.M)
    assert len(times) == 5, result.out
    assert set(times) - {"0.000", "1.000", "2.000"}, times


async def test_json_mode_names_the_line_it_refuses() -> None:
    server, events = await in_process_server()
    result = await run_wskit("connect", server.url, "--json", stdin='hello\n{"a": 1}\n\n' + "x" * 100 + "\n")
    assert result.code == 0
    assert "not sent: invalid JSON on line 1 'hello': Expecting value: line 1 column 1 (char 0)" in result.err
    assert "not sent: invalid JSON on line 4 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…'" in result.err
    assert received(events) == ['{"a": 1}']


@pytest.mark.parametrize(
    ("url", "hint"),
    [
        ("http://127.0.0.1:8765/", "ws://127.0.0.1:8765/"),
        ("https://example.test/chat", "wss://example.test/chat"),
        ("127.0.0.1:8765", "ws://127.0.0.1:8765"),
        ("localhost:8765/ws?token=s3cret", "ws://localhost:8765/ws?token=***"),
        ("ftp://h/", "ws:// (or wss:// for TLS)"),
    ],
)
async def test_connect_without_a_websocket_scheme_is_a_usage_error(url: str, hint: str) -> None:
    result = await run_wskit("connect", url)
    assert result.code == connect_cli.EXIT_USAGE == 2, result.err
    assert hint in result.err and "s3cret" not in result.err


async def test_help_shows_no_rest_markup() -> None:
    for command in ("connect", "serve", "load", "lab"):
        result = await run_wskit(command, "--help")
        assert result.code == 0
        assert "``" not in result.out and ":data:" not in result.out and ":mod:" not in result.out, result.out
    connect_help = (await run_wskit("connect", "--help")).out
    assert "wskit connect URL: an interactive WebSocket client" in connect_help
    assert "(\\x1b, \\n)" in connect_help and "\x1b" not in connect_help


async def test_serve_on_a_busy_port_names_the_cli_option() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = await run_wskit("serve", "--port", str(busy.getsockname()[1]))
    assert result.code == 1 and "--port 0" in result.err and "port=0" not in result.err


def readme_cli_block() -> str:
    """The bash block of the README's Command line section."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    return readme.split("### Command line", 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]


async def test_readme_scripted_examples_do_what_their_comments_say() -> None:
    block = readme_cli_block()
    scripted = [line for line in block.splitlines() if line.startswith("printf ")]
    assert len(scripted) == 2
    server, events = await in_process_server()
    outputs = []
    for line in scripted:
        command = line.split("  #", 1)[0].replace("ws://127.0.0.1:8765/", server.url)
        command = command.replace("| wskit ", f"| {sys.executable} -m wskit ")
        proc = await asyncio.create_subprocess_shell(
            command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
        assert proc.returncode == 0, err
        outputs.append((out.decode(), err.decode()))
    assert received(events) == ["hello", '{"a": 1}', '{"a": 1}']
    quoted = block.rstrip().splitlines()[-1].removeprefix("# ").strip('"')
    assert quoted == "not sent: invalid JSON on line 2 'hello': Expecting value: line 1 column 1 (char 0)"
    assert f"wskit connect: {quoted}\n" in outputs[1][1]
