"""``wskit connect URL``: an interactive WebSocket client for terminals and scripts.

Each line read from stdin is sent as a text message, or, with ``--json``, as
a text message once it parses as JSON, or, with ``--binary-hex`` /
``--binary-base64``, as a binary message decoded from hex / base64.
Commands (a line starting with ``/``; ``//`` sends a line starting with ``/``)::

    /ping [DATA]          ping (RFC 6455 §5.5.2) and print the round trip
    /close [CODE [REASON]] close with CODE (default 1000) and REASON, then exit
    /binary HEX           send a binary message
    /help                 list the commands

Output on stdout: ``"< "`` before each received message (JSON pretty-printed,
binary as hex, or base64 with ``--binary-base64``), ``"> "`` before each sent
one when stdin is not a terminal, ``"* "`` before command results. Connection
news goes to stderr, prefixed ``wskit connect:``. What the server sent is shown
with its control characters escaped (``\\x1b``, ``\\n``), so a message cannot
drive the terminal or forge a line, and secrets in the URL are shown as ``***``.

When stdin ends the client waits for replies in flight (until it has received
as many messages as it sent, or ``--wait`` seconds pass), then closes with
1000. Exit codes (:data:`EXIT_CODES`, listed below) let scripts tell outcomes apart.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import codecs
import contextlib
import json
import os
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, TextIO

from .._text import parse_headers
from ..closecodes import CloseCode, is_sendable
from ..events import Direction, Event, EventKind
from ..redact import mask_url
from ..serializers import RawSerializer
from ..transports import ConnectError, WebsocketClientParams, WebsocketClientTransport, WebSocketDisconnect
from . import _loop as loop
from .terminal import TerminalLogHandler, printable

__all__ = [
    "COMMANDS_HELP",
    "EXIT_ABNORMAL",
    "EXIT_CLOSED_WITH_ERROR",
    "EXIT_CODES",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_REFUSED",
    "EXIT_REJECTED",
    "EXIT_USAGE",
    "add_arguments",
    "check_url",
    "main",
]

EXIT_OK = 0  # closed normally: by us (end of input, /close) or by the server with 1000/1001
EXIT_USAGE = 2  # bad command line
EXIT_REFUSED = 3  # could not connect: nothing listening, unreachable, timed out
EXIT_REJECTED = 4  # the server refused the upgrade with an HTTP status (401, 403, 404 …)
EXIT_ABNORMAL = 5  # the connection dropped without a closing handshake (1006, RFC 6455 §7.1.5)
EXIT_CLOSED_WITH_ERROR = 6  # the server closed with a code other than 1000/1001 (1008, 1011, 4xxx …)
EXIT_INTERRUPTED = 130  # Ctrl-C

#: Exit code -> meaning, as documented in ``wskit connect --help``.
EXIT_CODES = {
    EXIT_OK: "normal close (by us at end of input or /close, or by the server with 1000/1001)",
    EXIT_USAGE: "bad command line",
    EXIT_REFUSED: "connection refused, unreachable or timed out",
    EXIT_REJECTED: "the server refused the upgrade with an HTTP status",
    EXIT_ABNORMAL: "the connection dropped without a close frame (1006)",
    EXIT_CLOSED_WITH_ERROR: "the server closed with an error code (not 1000/1001)",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C)",
}

#: What ``/help`` prints.
COMMANDS_HELP = """\
/ping [DATA]            ping (RFC 6455 §5.5.2) and print the round trip
/close [CODE [REASON]]  close with CODE (default 1000) and REASON, then exit
/binary HEX             send a binary message
/help                   list the commands
//TEXT                  send /TEXT"""

_BINARY_PREVIEW = 1024  # bytes of a received binary message shown before eliding the rest
_LINE_PREVIEW = 40  # characters of a refused input line quoted in the note
_QUIET = 0.1  # after the last expected reply, wait this long for stragglers


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``connect`` command's options."""
    parser.add_argument("url", help="ws:// or wss:// URL")
    parser.add_argument(
        "-H",
        "--header",
        action="append",
        default=[],
        metavar="'Name: value'",
        help="extra HTTP header for the opening handshake (repeatable)",
    )
    parser.add_argument("--subprotocol", action="append", default=[], metavar="P", help="offer subprotocol P")
    parser.add_argument("--token", metavar="T", help="send 'Authorization: Bearer T'")
    encoding = parser.add_mutually_exclusive_group()
    encoding.add_argument("--binary-hex", action="store_true", help="lines are hex: send them as binary messages")
    encoding.add_argument("--binary-base64", action="store_true", help="lines are base64: send them as binary")
    encoding.add_argument("--json", action="store_true", help="lines must be JSON: invalid lines are not sent")
    parser.add_argument("--reconnect", action="store_true", help="reconnect with backoff when the connection drops")
    parser.add_argument(
        "--wait",
        type=float,
        default=2.0,
        metavar="S",
        help="at end of input, wait up to S seconds for replies in flight (default: 2)",
    )
    parser.add_argument(
        "--loop", choices=["auto", "asyncio", "uvloop"], default="auto", help="event loop (default: auto)"
    )
    parser.epilog = "exit codes:\n" + "\n".join(f"  {code:>3}  {meaning}" for code, meaning in EXIT_CODES.items())
    parser.formatter_class = argparse.RawDescriptionHelpFormatter


def check_url(url: str) -> str | None:
    """Why ``url`` is not a WebSocket URL, with the spelling to use, or ``None`` when it is one."""
    shown = printable(mask_url(url))
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname
    except ValueError as exc:  # e.g. an unclosed [IPv6 bracket
        return f"{shown} is not a valid URL ({exc})"
    scheme = parts.scheme.lower()
    if scheme in ("ws", "wss") and host:
        return None
    if scheme in ("http", "https"):
        fixed = ("wss" if scheme == "https" else "ws") + url[len(scheme) :]
        return f"{shown} is an HTTP URL; a WebSocket URL starts with ws:// or wss://: {printable(mask_url(fixed))}"
    if "://" not in url:
        return f"{shown} has no scheme; a WebSocket URL starts with ws:// (or wss:// for TLS): ws://{shown}"
    return f"{shown} is not a WebSocket URL: it starts with ws:// (or wss:// for TLS), then a host"


def render_text(text: str) -> str:
    """A received text for display, control characters escaped (:func:`~wskit.cli.terminal.printable`).

    JSON objects and arrays are pretty-printed (their line breaks are ours;
    JSON escapes the newlines inside strings); anything else is one line.
    """
    if text.lstrip()[:1] in ("{", "["):
        try:
            return printable(json.dumps(json.loads(text), indent=2, ensure_ascii=False), keep_newlines=True)
        except ValueError:
            pass
    return printable(text)


def render_binary(data: bytes, as_base64: bool = False) -> str:
    """A received binary message for display: its size, then hex (or base64), long ones elided."""
    shown = data[:_BINARY_PREVIEW]
    body = base64.b64encode(shown).decode() if as_base64 else shown.hex(" ")
    more = f" … ({len(data) - len(shown)} more bytes)" if len(data) > len(shown) else ""
    return f"[{len(data)} bytes] {body}{more}"


def _marked(marker: str, text: str) -> str:
    return marker + text.replace("\n", "\n" + " " * len(marker))


@dataclass
class _Outcome:
    """How the session ended, for the exit code."""

    closed_by_us: bool = False
    code: int | None = None
    reason: str = ""
    connect_error: ConnectError | None = None

    def exit_code(self) -> int:
        if self.connect_error is not None:
            return EXIT_REJECTED if self.connect_error.status_code is not None else EXIT_REFUSED
        if self.code is None or self.code == CloseCode.ABNORMAL_CLOSURE:
            return EXIT_ABNORMAL
        if self.closed_by_us or self.code in (CloseCode.NORMAL_CLOSURE, CloseCode.GOING_AWAY):
            return EXIT_OK
        return EXIT_CLOSED_WITH_ERROR


@dataclass
class _Session:
    client: WebsocketClientTransport
    args: argparse.Namespace
    out: TextIO
    echo_sent: bool
    outcome: _Outcome = field(default_factory=_Outcome)
    ended: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    sent: int = 0
    received: int = 0
    last_received: float = 0.0

    # -- output -----------------------------------------------------------------

    def show(self, line: str) -> None:
        print(line, file=self.out, flush=True)

    def note(self, line: str) -> None:
        print(f"wskit connect: {printable(line)}", file=sys.stderr, flush=True)

    def render(self, raw: str | bytes) -> str:
        return render_text(raw) if isinstance(raw, str) else render_binary(raw, self.args.binary_base64)

    def on_event(self, event: Event) -> None:
        """The client's event bus: print messages, follow the connection's life."""
        kind = event.kind
        if kind is EventKind.MESSAGE and event.raw is not None:
            if event.direction is Direction.IN:
                self.received += 1
                self.last_received = time.monotonic()
                self.show(_marked("< ", self.render(event.raw)))
            else:
                self.sent += 1
                if self.echo_sent:
                    self.show(_marked("> ", self.render(event.raw)))
        elif kind is EventKind.CONNECTED:
            subprotocol = getattr(event.connection, "subprotocol", None)
            shown = mask_url(self.client.uri)
            self.note(f"connected to {shown}" + (f" (subprotocol {subprotocol})" if subprotocol else ""))
        elif kind is EventKind.DISCONNECTED:
            self.outcome.code, self.outcome.reason = event.code, event.reason
            reason = f" {event.reason!r}" if event.reason else ""
            self.note(f"closed with code {event.code}{reason}")
            if not self.args.reconnect or self.outcome.closed_by_us:
                self._end()
        elif kind is EventKind.RECONNECTING:
            info = event.info or {}
            self.note(f"reconnecting: attempt {info.get('attempt')} in {info.get('delay', 0):.1f} s")
        elif kind is EventKind.ERROR:
            if isinstance(event.error, ConnectError):  # reconnecting gave up
                self.outcome.connect_error = event.error
                self.note(str(event.error))
                self._end()
            else:
                self.note(f"error: {event.details()}")

    def _end(self) -> None:
        if not self.ended.done():
            self.ended.set_result(None)

    # -- input ------------------------------------------------------------------

    def encode(self, line: str, number: int = 0) -> str | bytes | None:
        """A typed line as the message to send, or ``None`` (with a note) when it is not valid.

        ``number`` is the line's number in the input (from 1), named in the note.
        """
        where = f"line {number} {_line_preview(line)}" if number else _line_preview(line)
        try:
            if self.args.binary_hex:
                return bytes.fromhex(line)
            if self.args.binary_base64:
                return base64.b64decode(line, validate=True)
        except (ValueError, binascii.Error) as exc:
            self.note(f"not sent: not {'hex' if self.args.binary_hex else 'base64'} on {where}: {exc}")
            return None
        if self.args.json:
            try:
                json.loads(line)
            except ValueError as exc:
                self.note(f"not sent: invalid JSON on {where}: {exc}")
                return None
        return line

    async def send(self, message: str | bytes) -> None:
        conn = self.client.connection
        if conn is None:
            self.note("not sent: not connected")
            return
        try:
            if isinstance(message, str):
                await conn.send_text(message)
            else:
                await conn.send_bytes(message)
        except (WebSocketDisconnect, RuntimeError) as exc:
            self.note(f"not sent: the connection is closed ({exc})")

    async def command(self, line: str) -> None:
        """Run a ``/command`` line."""
        name, _, rest = line.partition(" ")
        rest = rest.strip()
        if name == "/ping":
            await self.ping(rest)
        elif name == "/close":
            await self.close(rest)
        elif name == "/binary":
            try:
                await self.send(bytes.fromhex(rest))
            except ValueError as exc:
                self.note(f"not sent: /binary needs hex: {exc}")
        elif name == "/help":
            self.show(_marked("* ", COMMANDS_HELP))
        else:
            self.note(f"unknown command {name} (/help lists them; // sends a line starting with /)")

    async def ping(self, data: str) -> None:
        conn = self.client.connection
        if conn is None:
            self.note("no ping: not connected")
            return
        # timed here with perf_counter: the loop's clock is coarse on uvloop (1 ms steps)
        started = time.perf_counter()
        try:
            await conn.ping(data or None, timeout=10.0)
            rtt = time.perf_counter() - started
        except TimeoutError:
            self.show("* ping: no pong within 10 s")
        except WebSocketDisconnect:
            self.note("no ping: the connection is closed")
        else:
            self.show(f"* ping: round trip {rtt * 1000:.3f} ms")

    async def close(self, arguments: str) -> None:
        code_text, _, reason = arguments.partition(" ")
        try:
            code = int(code_text) if code_text else CloseCode.NORMAL_CLOSURE
            if not is_sendable(code):
                raise ValueError(f"close code {code} cannot be sent")
        except ValueError as exc:
            self.note(f"not closed: {exc} (a code 1000-1003, 1007-1014 or 3000-4999; reason <= 123 bytes)")
            return
        self.outcome.closed_by_us = True
        await self.client.stop(code, reason)
        self._end()

    async def drain(self, wait: float) -> None:
        """Wait until as many messages came back as were sent (then a little more), or ``wait`` s."""
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and not self.ended.done():
            now = time.monotonic()
            if self.received >= self.sent and now - max(self.last_received, 0.0) >= _QUIET:
                return
            await asyncio.sleep(0.02)


def _line_preview(line: str) -> str:
    """``'hello'``: an input line quoted for a note, long ones cut."""
    shown = line if len(line) <= _LINE_PREVIEW else line[: _LINE_PREVIEW - 1] + "…"
    return repr(shown)


def _read_stdin(queue: asyncio.Queue[str | None], loop_: asyncio.AbstractEventLoop) -> None:
    """Feed stdin's lines into ``queue`` (``None`` at the end), from a daemon thread.

    A thread reading the raw file descriptor works for terminals, pipes and
    files alike on every loop, and never holds ``sys.stdin``'s lock at exit.
    """

    def put(item: str | None) -> bool:
        try:
            loop_.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:  # the loop is closed: nobody is listening any more
            return False
        return True

    def pump() -> None:
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        pending = ""
        fd = sys.stdin.fileno()
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            pending += decoder.decode(chunk, final=not chunk)
            *lines, pending = pending.split("\n")
            for line in lines:
                if not put(line.removesuffix("\r")):
                    return
            if not chunk:
                if pending:
                    put(pending)
                put(None)
                return

    threading.Thread(target=pump, name="wskit-connect-stdin", daemon=True).start()


async def _connect(args: argparse.Namespace, loop_name: str) -> int:
    TerminalLogHandler.install("wskit connect")
    problem = check_url(args.url)
    if problem is not None:
        print(f"wskit connect: {problem}", file=sys.stderr)
        return EXIT_USAGE
    try:
        headers = parse_headers(args.header)
    except ValueError as exc:
        print(f"wskit connect: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.token:
        headers["Authorization"] = f"Bearer {args.token}"
    params = WebsocketClientParams(
        serializer=RawSerializer("bytes"),
        add_wav_header=False,
        additional_headers=headers or None,
        subprotocols=args.subprotocol or None,
        reconnect=args.reconnect,
    )
    client = WebsocketClientTransport(args.url, params)
    session = _Session(client, args, sys.stdout, echo_sent=not sys.stdin.isatty())
    client.events.subscribe(session.on_event)
    try:
        await client.start()
    except ConnectError as exc:
        print(f"wskit connect: {printable(str(exc))}", file=sys.stderr)
        return EXIT_REJECTED if exc.status_code is not None else EXIT_REFUSED
    except ValueError as exc:  # a URL websockets refuses
        print(f"wskit connect: {printable(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    lines: asyncio.Queue[str | None] = asyncio.Queue()
    _read_stdin(lines, asyncio.get_running_loop())
    number = 0  # of the line read last, from 1
    try:
        while not session.ended.done():
            next_line: asyncio.Future[str | None] = asyncio.ensure_future(lines.get())
            waiting: set[asyncio.Future[Any]] = {next_line, session.ended}
            await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            if not next_line.done():
                next_line.cancel()
                break
            line = next_line.result()
            number += 1
            if line is None:  # end of input
                await session.drain(args.wait)
                if not session.ended.done():
                    session.outcome.closed_by_us = True
                    await client.stop()
                break
            if not line:
                continue
            if line.startswith("/") and not line.startswith("//"):
                await session.command(line)
                continue
            message = session.encode(line.removeprefix("/") if line.startswith("//") else line, number)
            if message is not None:
                await session.send(message)
    finally:
        with contextlib.suppress(Exception):
            await client.stop()
    return session.outcome.exit_code()


def main(args: argparse.Namespace) -> int:
    """Run ``wskit connect`` with parsed options; returns the exit code."""
    try:
        return loop.run(lambda name: _connect(args, name), args.loop)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
