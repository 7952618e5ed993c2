"""``wskit serve``: a server transport in a terminal, logging every event as a line.

What wscat/websocat ``-s`` do, plus what they hide: each connection, message,
close code, rejection and error is one line (see :mod:`wskit.cli._logline`),
and with ``--frames`` each wire frame, control frames included. ``--quiet``
leaves the messages out: a server under load (``wskit load``) would spend
more on a line per message than on the echo.

The first line printed is ``wskit serve: listening on ws://HOST:PORT/ ...``,
so a script (or a test) that starts it on ``--port 0`` can read the port.
Peer text in the lines (payloads, close reasons, the header lines of a
failed upgrade in warnings) has its control characters escaped.
SIGINT or SIGTERM closes every client with 1001 (going away) and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import signal
import sys
import urllib.parse
from typing import Any

from .. import wire
from ..auth import token_auth
from ..events import Event, EventKind
from ..frames import Frame
from ..serializers import get_serializer, serializer_names
from ..transports import (
    CHAT_PAGE,
    Connection,
    WebsocketServerParams,
    WebsocketServerTransport,
)
from . import _loop as loop
from ._logline import format_event
from .terminal import TerminalLogHandler, printable

__all__ = ["add_arguments", "main"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``serve`` command's options."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port to listen on (default: 8765; 0 picks a free one)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--echo", action="store_true", help="send every message back to its sender")
    mode.add_argument("--broadcast", action="store_true", help="send every message to every client (a chat room)")
    parser.add_argument(
        "--serializer",
        default="raw",
        metavar="NAME",
        help=f"frame serializer: {', '.join(serializer_names())} (default: raw)",
    )
    parser.add_argument("--token", metavar="T", help="require this token (?token=T or 'Authorization: Bearer T')")
    parser.add_argument("--max-clients", type=int, metavar="N", help="at most N clients at once; more get 1013")
    parser.add_argument("--chat-page", action="store_true", help="serve a chat page at http://HOST:PORT/")
    parser.add_argument("--frames", action="store_true", help="also log every wire frame, control frames included")
    parser.add_argument(
        "--quiet", action="store_true", help="no line per message: connections, closes, rejections and errors only"
    )
    parser.add_argument(
        "--loop", choices=["auto", "asyncio", "uvloop"], default="auto", help="event loop (default: auto)"
    )


async def _serve(args: argparse.Namespace, loop_name: str) -> int:
    TerminalLogHandler.install("wskit serve")
    try:
        serializer = get_serializer(args.serializer)
    except (KeyError, ImportError) as exc:
        print(f"wskit serve: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return 2
    params = WebsocketServerParams(
        serializer=serializer,
        max_clients=args.max_clients,
        auth=token_auth(args.token) if args.token else None,
        html=CHAT_PAGE if args.chat_page else None,
    )
    server = WebsocketServerTransport(params, host=args.host, port=args.port)
    if args.echo:

        @server.event_handler("on_frame")
        async def echo(transport: Any, conn: Connection, frame: Frame) -> None:
            await conn.send(frame)

    elif args.broadcast:

        @server.event_handler("on_frame")
        async def broadcast(transport: Any, conn: Connection, frame: Frame) -> None:
            await server.broadcast(frame)

    try:
        await server.start()
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            why = "the port is in use by another program; pick another --port, or --port 0 for a free one"
        else:
            why = str(exc.strerror or exc)
        print(f"wskit serve: cannot listen on {args.host}:{args.port}: {why}", file=sys.stderr)
        return 1
    mode = "echo" if args.echo else "broadcast" if args.broadcast else "log only"
    print(
        f"wskit serve: listening on {server.url} ({mode}, {args.serializer} serializer, {loop_name} loop)", flush=True
    )
    if args.chat_page:
        page = server.url.replace("ws://", "http://", 1) + (
            f"?token={urllib.parse.quote(args.token)}" if args.token else ""
        )
        print(f"wskit serve: chat page at {page}", flush=True)

    def log(event: Event) -> None:
        if args.quiet and event.kind is EventKind.MESSAGE:
            return
        print(printable(format_event(event)), flush=True)

    server.events.subscribe(log)
    # --frames: the wire tap makes the server emit one WIRE event per RFC 6455 frame,
    # control frames included, which the log renders like any other event
    wire_tap = wire.tap(server) if args.frames else None

    stop = asyncio.Event()
    running_loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows: Ctrl-C raises KeyboardInterrupt instead
            running_loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await server.stop()
        del wire_tap
        print("wskit serve: stopped", flush=True)
    return 0


def main(args: argparse.Namespace) -> int:
    """Run ``wskit serve`` with parsed options; returns the exit code."""
    try:
        return loop.run(lambda name: _serve(args, name), args.loop)
    except KeyboardInterrupt:
        return 130
