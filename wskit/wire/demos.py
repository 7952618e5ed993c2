"""Live demonstrations of the protocol, each on a fresh server and client.

Every demo starts a wskit server and client on ``127.0.0.1`` (a free port),
taps both with :func:`~wskit.wire.tap`, makes one thing happen (a ping, a
keepalive timeout, a fragmented or compressed message, a message that
breaks a rule, a dropped TCP connection), stops both, and returns a
:class:`Report`: the frames each side saw on the wire and what each side
reported (close code, reason, errors). Print it, or show it in Jupyter.
"""

from __future__ import annotations

import asyncio
import html
import os
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Request, Response
from websockets.protocol import State
from websockets.uri import parse_uri

from .._text import hex_preview
from ..closecodes import CloseCode, is_sendable, parse_close
from ..events import Direction, Event, EventKind
from ..transports import (
    Connection,
    WebsocketClientParams,
    WebsocketClientTransport,
    WebSocketException,
    WebsocketServerParams,
    WebsocketServerTransport,
)
from ._anatomy import encode
from ._closecodes import CLOSE_CODES, explain
from ._display import BOX, CELL, TABLE, Shown
from ._tap import WireRecord, WireTap, tap

__all__ = [
    "CloseSeen",
    "Pair",
    "Report",
    "abrupt_loss",
    "backpressure",
    "close_with",
    "compression",
    "fragmentation",
    "invalid_utf8",
    "keepalive_timeout",
    "malformed",
    "masked_from_server",
    "oversized",
    "ping_pong",
    "policy_violation",
    "split_utf8",
    "unsolicited_pong",
]

Side = Literal["server", "client"]


@dataclass(frozen=True)
class CloseSeen:
    """How one side's connection ended, from its own wire tap and its own report.

    Attributes:
        sent: ``(code, reason)`` of the close frame this side sent (code
            ``None`` for an empty one), or ``None`` if it sent none.
        received: the same for the close frame it received.
        reported: the ``close_code`` wskit reports on this side: the code of
            the closing handshake's first frame, whichever side sent it
            (1006 when no close frame crossed at all).
        initiator: which side started the closing handshake, as this side
            tells it (``None`` when TCP just dropped).
    """

    sent: tuple[int | None, str] | None
    received: tuple[int | None, str] | None
    reported: int | None
    initiator: str | None

    @property
    def rfc_code(self) -> int:
        """*The WebSocket Connection Close Code* as RFC 6455 §7.1.5 defines it.

        The code of the first close frame *received*: 1005 if it had none,
        1006 if none was received. A side that failed the connection (sent
        1002, then closed TCP) has 1006 here, while wskit reports the 1002
        it sent, so that the application knows why.
        """
        if self.received is None:
            return 1006
        return 1005 if self.received[0] is None else self.received[0]


def _shown_close(close: tuple[int | None, str] | None) -> str:
    if close is None:
        return "no close frame"
    code, reason = close
    if code is None:
        return "an empty close frame (no code)"
    return f"{code} {reason!r}" if reason else str(code)


def _frame_of(close: Any) -> tuple[int | None, str] | None:
    """websockets' ``Close`` as ``(code, reason)``; an empty close frame parses as 1005: code ``None``."""
    if close is None:
        return None
    code = int(close.code)
    return (None if code == 1005 else code), close.reason


def _close_seen(event: Event) -> CloseSeen:
    """What the connection of a ``DISCONNECTED`` event sent, received and reported.

    The close frames come from websockets' protocol object (``close_sent``,
    ``close_rcvd``), which holds them even when the connection ended before
    a tap could be put on it (an auth hook closing at once).
    """
    protocol = event.connection.websocket.protocol
    return CloseSeen(
        _frame_of(protocol.close_sent),
        _frame_of(protocol.close_rcvd),
        None if event.code is None else int(event.code),
        (event.info or {}).get("initiator"),
    )


@dataclass(repr=False)
class Report(Shown):
    """What a demo showed.

    Attributes:
        title: what was done.
        facts: what each side reported, by name (``"client close_code"`` …).
        wire: ``(side, record)`` for every frame either side's tap saw, in time order.
        closes: per side, the close frames it sent and received and what it reported.
        dropped: per side, frames its tap's bounded history let go (they are
            counted, not shown).
    """

    title: str
    facts: dict[str, Any] = field(default_factory=dict)
    wire: list[tuple[str, WireRecord]] = field(default_factory=list)
    closes: dict[str, CloseSeen] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)

    def frames(self, side: Side, direction: str | None = None, opcode: str | None = None) -> list[WireRecord]:
        """The frames ``side`` saw, optionally only one direction (``"in"``/``"out"``) or opcode."""
        return [
            r
            for s, r in self.wire
            if s == side
            and (direction is None or r.direction.value == direction)
            and (opcode is None or r.opcode == opcode)
        ]

    def _runs(self) -> list[tuple[str, WireRecord, int]]:
        """``(side, first record, how many like it follow)``: repeats collapsed.

        Records are alike when side, direction, opcode, length and payload
        are the same (40 identical 64 KiB frames read as one line and a count).
        """
        runs: list[tuple[str, WireRecord, int]] = []
        for side, r in self.wire:
            if runs:
                last_side, last, count = runs[-1]
                if (last_side, last.direction, last.opcode, last.length, last.fin, last.payload) == (
                    side,
                    r.direction,
                    r.opcode,
                    r.length,
                    r.fin,
                    r.payload,
                ):
                    runs[-1] = (last_side, last, count + 1)
                    continue
            runs.append((side, r, 0))
        return runs

    def _wire_lines(self) -> list[str]:
        start = self.wire[0][1].time if self.wire else 0.0
        lines = []
        for side, r, more in self._runs():
            lines.append(f"{(r.time - start) * 1000:7.1f} ms  {side:<6} {r}")
            if more:
                lines.append(f"{'':10} {side:<6} … {more} more {r.direction.value} {r.opcode} {r.length} B, the same")
        return lines

    def _close_lines(self) -> list[str]:
        lines = []
        for side, seen in self.closes.items():
            rfc = "" if seen.rfc_code == seen.reported else f" (RFC 6455 §7.1.5 code: {seen.rfc_code})"
            lines.append(
                f"  {side}: sent {_shown_close(seen.sent)}; received {_shown_close(seen.received)}; "
                f"reports close_code {seen.reported}{rfc}; initiator {seen.initiator or 'none: TCP dropped'}"
            )
        return lines

    def _dropped_note(self) -> str:
        parts = [f"the {side}'s tap let {n} older frames go" for side, n in self.dropped.items() if n]
        return f"  ({'; '.join(parts)}: its history is bounded; counted, not shown)" if parts else ""

    def __str__(self) -> str:
        lines = [self.title, ""]
        lines += [f"  {k}: {v}" for k, v in self.facts.items()]
        if self.closes:
            lines += ["", "  how each side closed:", *self._close_lines()]
        if self.wire:
            lines += ["", "  frames on the wire:"] + [f"  {line}" for line in self._wire_lines()]
        note = self._dropped_note()
        if note:
            lines.append(note)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        facts = "".join(
            f"<tr><td style='{CELL}'>{html.escape(k)}</td><td style='{CELL}'><b>{html.escape(str(v))}</b></td></tr>"
            for k, v in self.facts.items()
        )
        closes = "".join(
            f"<tr><td style='{CELL}'>{side}</td><td style='{CELL}'>{html.escape(_shown_close(c.sent))}</td>"
            f"<td style='{CELL}'>{html.escape(_shown_close(c.received))}</td>"
            f"<td style='{CELL}'><b>{c.reported}</b>"
            f"{'' if c.rfc_code == c.reported else f' (§7.1.5: {c.rfc_code})'}</td>"
            f"<td style='{CELL}'>{html.escape(c.initiator or 'none: TCP dropped')}</td></tr>"
            for side, c in self.closes.items()
        )
        if closes:
            head = "".join(
                f"<th style='{CELL}'>{h}</th>" for h in ("side", "close sent", "close received", "reports", "initiator")
            )
            closes = f"<p>how each side closed:</p><table style='{TABLE}'><tr>{head}</tr>{closes}</table>"
        start = self.wire[0][1].time if self.wire else 0.0
        arrows = {("client", "out"): "→", ("server", "in"): "→", ("server", "out"): "←", ("client", "in"): "←"}
        wire = "".join(
            f"<tr><td style='{CELL}'>{(r.time - start) * 1000:.1f} ms</td><td style='{CELL}'>{side}</td>"
            f"<td style='{CELL}'>{arrows[(side, r.direction.value)]} {r.direction.value}</td>"
            f"<td style='{CELL}'>{html.escape(str(r).split(' ', 1)[1])}"
            f"{f' <i>… and {more} more, the same</i>' if more else ''}</td></tr>"
            for side, r, more in self._runs()
        )
        frames = f"<p>frames on the wire:</p><table style='{TABLE}'>{wire}</table>" if wire else ""
        note = self._dropped_note()
        dropped = f"<p><small>{html.escape(note.strip())}</small></p>" if note else ""
        return (
            f"<div style='{BOX}'><p><b>{html.escape(self.title)}</b></p>"
            f"<table style='{TABLE}'>{facts}</table>{closes}{frames}{dropped}</div>"
        )


class Pair:
    """A wskit server and a client connected to it, both tapped (for demos and tests).

    ``async with Pair(...) as pair:`` starts both and waits until the server
    has the client; leaving stops both and detaches the taps.

    Attributes:
        server, client: the transports.
        server_tap, client_tap: their wire taps.
        events: ``(side, event)`` for every event other than messages and wire frames.
    """

    def __init__(
        self,
        server_params: WebsocketServerParams | None = None,
        client_params: WebsocketClientParams | None = None,
        *,
        path: str = "/",
        connect: bool = True,
    ) -> None:
        self.server = WebsocketServerTransport(server_params or WebsocketServerParams(), port=0)
        self.client_params = client_params or WebsocketClientParams(add_wav_header=False)
        self.path = path
        self.connect = connect
        self.client: WebsocketClientTransport | None = None
        self.server_tap: WireTap | None = None
        self.client_tap: WireTap | None = None
        self.events: list[tuple[Side, Event]] = []

    def _record(self, side: Side) -> Callable[[Event], None]:
        def record(event: Event) -> None:
            if event.kind not in (EventKind.MESSAGE, EventKind.WIRE):
                self.events.append((side, event))

        return record

    async def __aenter__(self) -> Pair:
        self.server.events.subscribe(self._record("server"))
        await self.server.start()
        self.server_tap = tap(self.server)
        if self.connect:
            self.client = WebsocketClientTransport(self.server.url.rstrip("/") + self.path, self.client_params)
            self.client.events.subscribe(self._record("client"))
            self.client_tap = tap(self.client)
            try:
                await self.client.start()
                await self.until(lambda: self.server.clients or self.event("server", EventKind.REJECTED))
            except BaseException:
                await self.__aexit__()
                raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        for wire_tap in (self.client_tap, self.server_tap):
            if wire_tap is not None:
                wire_tap.detach()
        if self.client is not None:
            await self.client.stop()
        await self.server.stop()

    @property
    def server_conn(self) -> Connection:
        return self.server.clients[0]

    @property
    def client_conn(self) -> Connection:
        assert self.client is not None and self.client.connection is not None, "the client is not connected"
        return self.client.connection

    def event(self, side: Side, kind: EventKind) -> Event | None:
        """The first event of ``kind`` that ``side`` emitted, if any."""
        return next((e for s, e in self.events if s == side and e.kind is kind), None)

    async def until(self, predicate: Callable[[], object], timeout: float = 5.0) -> None:
        """Wait (polling, bounded) until ``predicate()`` is true."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError(f"demo condition not met within {timeout} s")
            await asyncio.sleep(0.005)

    async def until_closed(self, *sides: Side, timeout: float = 5.0) -> None:
        """Wait until each of ``sides`` (default both) reported its disconnection."""
        wanted = sides or ("server", "client")
        await self.until(lambda: all(self.event(s, EventKind.DISCONNECTED) for s in wanted), timeout)

    def wire(self) -> list[tuple[str, WireRecord]]:
        both = [("server", r) for r in (self.server_tap.records if self.server_tap else ())]
        both += [("client", r) for r in (self.client_tap.records if self.client_tap else ())]
        return sorted(both, key=lambda item: item[1].time)

    def closes(self) -> dict[str, Any]:
        """What each side reports about how its connection closed."""
        facts: dict[str, Any] = {}
        sides: tuple[Side, ...] = ("server", "client")
        for side in sides:
            event = self.event(side, EventKind.DISCONNECTED)
            if event is not None:
                facts[f"{side} close_code"] = None if event.code is None else int(event.code)
                facts[f"{side} close_reason"] = event.reason
            errors = [e for s, e in self.events if s == side and e.kind is EventKind.ERROR]
            if errors:
                facts[f"{side} errors"] = "; ".join(str(e.error) for e in errors)
        return facts

    def close_seen(self) -> dict[str, CloseSeen]:
        """Per side that reported its disconnection: the close frames it sent and received, and its report."""
        seen: dict[str, CloseSeen] = {}
        sides: tuple[Side, ...] = ("server", "client")
        for side in sides:
            event = self.event(side, EventKind.DISCONNECTED)
            if event is None or event.connection is None:
                continue
            seen[side] = _close_seen(event)
        return seen

    def dropped(self) -> dict[str, int]:
        return {
            side: wire_tap.dropped
            for side, wire_tap in (("server", self.server_tap), ("client", self.client_tap))
            if wire_tap is not None
        }

    def report(self, title: str, **facts: Any) -> Report:
        return Report(title, {**facts, **self.closes()}, self.wire(), self.close_seen(), self.dropped())


def _message_sizes(transport: WebsocketServerTransport) -> list[int]:
    """A list that fills with the size of each message ``transport`` receives."""
    sizes: list[int] = []

    def collect(event: Event) -> None:
        if event.kind is EventKind.MESSAGE and event.direction is Direction.IN:
            sizes.append(event.size)

    transport.events.subscribe(collect)
    return sizes


def _no_keepalive(**kw: Any) -> dict[str, Any]:
    return {"ping_interval": None, **kw}


# -- the demos ----------------------------------------------------------------------


async def ping_pong(payload: bytes = b"wskit") -> Report:
    """The client pings, the server's websockets answers with a pong at once (RFC 6455 §5.5.2-3)."""
    async with Pair(
        WebsocketServerParams(**_no_keepalive()), WebsocketClientParams(add_wav_header=False, **_no_keepalive())
    ) as pair:
        rtt = await pair.client_conn.ping(payload)
        await pair.until(lambda: any(r.opcode == "PONG" for r in pair.client_tap.records))  # type: ignore[union-attr]
        return pair.report(
            "ping/pong: the client sends a PING; the peer must answer with a PONG carrying the same payload",
            round_trip_ms=round(rtt * 1000, 3),
            client_latency_ms=round(pair.client_conn.latency * 1000, 3),
        )


async def keepalive_timeout(
    ping_interval: float = 0.2, ping_timeout: float = 0.3, close_timeout: float = 0.5
) -> Report:
    """A client stops reading; the server's keepalive ping goes unanswered and it closes with 1011.

    The client's socket is paused (nothing read, so no pong is sent), as a
    frozen process would be. The server pings ``ping_interval`` s after the
    pause began (its keepalive timer runs from the last ping), gives up
    ``ping_timeout`` s after that ping and sends a close frame 1011
    "keepalive ping timeout" (websockets' convention; RFC 6455 names no code
    for it), then waits up to ``close_timeout`` s for the client's close
    before dropping TCP and reporting the disconnection. The report gives the
    three moments separately. The client sees 1011 only because its kernel
    kept the bytes and it resumes reading: a peer whose network is gone never
    receives that close frame and, when it notices, reports 1006.
    """
    server_params = WebsocketServerParams(
        ping_interval=ping_interval, ping_timeout=ping_timeout, close_timeout=close_timeout
    )
    async with Pair(server_params, WebsocketClientParams(add_wav_header=False, **_no_keepalive())) as pair:
        transport = pair.client_conn.websocket.transport
        transport.pause_reading()
        started = time.monotonic()
        await pair.until_closed("server", timeout=10 * (ping_interval + ping_timeout + close_timeout) + 2)
        transport.resume_reading()
        await pair.until_closed("client")
        server_out = pair.server_tap.records if pair.server_tap else []
        ping = next((r.time for r in server_out if r.opcode == "PING" and r.direction is Direction.OUT), None)
        close = next((r.time for r in server_out if r.opcode == "CLOSE" and r.direction is Direction.OUT), None)
        gone = pair.event("server", EventKind.DISCONNECTED)

        def since(moment: float | None) -> float | None:
            return None if moment is None else round(moment - started, 2)

        return pair.report(
            f"keepalive: the server pings every {ping_interval} s and gives up {ping_timeout} s after an "
            f"unanswered ping, then waits up to close_timeout={close_timeout} s for the closing handshake",
            ping_sent_at_s=since(ping),
            close_sent_at_s=since(close),
            disconnect_reported_at_s=since(gone.time if gone else None),
        )


async def fragmentation(size: int = 100_000, fragment_size: int = 16_384, ping_between: bool = True) -> Report:
    """The client sends one text message as several frames (RFC 6455 §5.4).

    websockets sends an iterable of chunks as TEXT (FIN=0), CONT …, and an
    empty CONT with FIN=1. With ``ping_between`` the client also pings
    between two fragments: control frames may be interleaved.
    """
    async with Pair(
        WebsocketServerParams(**_no_keepalive()), WebsocketClientParams(add_wav_header=False, **_no_keepalive())
    ) as pair:
        received = _message_sizes(pair.server)
        ws = pair.client_conn.websocket
        text = ("0123456789abcdef" * (size // 16 + 1))[:size]
        pings: list[Any] = []

        async def chunks() -> AsyncIterator[str]:
            for i in range(0, size, fragment_size):
                yield text[i : i + fragment_size]
                if ping_between and i == 0:
                    pings.append(await ws.ping(b"between fragments"))

        await ws.send(chunks())
        await pair.until(lambda: bool(received))
        for pong in pings:
            await asyncio.wait_for(pong, 5)  # the pong answering the ping between fragments
        report = pair.report(
            f"fragmentation: one {size}-byte text message sent in {fragment_size}-byte fragments",
            message_bytes_delivered=received[0],
        )
        data = [r for r in report.frames("server", "in") if r.opcode in ("TEXT", "CONT")]
        report.facts["fragments carrying data"] = len([r for r in data if r.length])
        # websockets sends the chunks of an iterable as they come and cannot know which one is
        # the last until the iterator ends: it then closes the message with an empty CONT, FIN=1
        report.facts["empty final CONT (FIN=1) closing the message"] = len([r for r in data if not r.length and r.fin])
        return report


def _deflate_parameters(header: str) -> str:
    """Say in words what a ``Sec-WebSocket-Extensions: permessage-deflate; ...`` answer agreed."""
    from websockets.headers import parse_extension

    for name, params in parse_extension(header):
        if name != "permessage-deflate":
            continue
        agreed = dict(params)
        parts = []
        for side in ("server", "client"):
            bits = agreed.get(f"{side}_max_window_bits")
            window = f"window 2**{bits} = {1 << int(bits)} bytes" if bits else "window 2**15 = 32768 bytes (default)"
            takeover = "no context takeover" if f"{side}_no_context_takeover" in agreed else "context takeover"
            parts.append(f"{side} compresses with a {window}, {takeover}")
        return "; ".join(parts)
    return "(not negotiated)"


async def compression(payload: str | None = None) -> Report:
    """The same message with permessage-deflate on and off (RFC 7692): RSV1, sizes, parameters.

    websockets' client offers ``client_max_window_bits`` and, by default,
    asks for a 2**12-byte window each way instead of zlib's 2**15 (less
    memory per connection, a little less compression); no side asks for
    ``*_no_context_takeover``, so each side's compressor carries on from one
    message to the next (RFC 7692 §7.1).
    """
    text = payload if payload is not None else '{"type": "transcript", "text": "hello hello hello"}' * 20
    facts: dict[str, Any] = {"payload_bytes": len(text.encode())}
    wire: list[tuple[str, WireRecord]] = []
    for mode in ("deflate", None):
        params: dict[str, Any] = {"compression": mode, "ping_interval": None}
        async with Pair(WebsocketServerParams(**params), WebsocketClientParams(add_wav_header=False, **params)) as pair:
            got = _message_sizes(pair.server)
            await pair.client_conn.send_text(text)
            await pair.until(lambda: bool(got))  # noqa: B023 (awaited inside the loop)
            sent = [r for r in pair.client_tap.records if r.opcode == "TEXT"]  # type: ignore[union-attr]
            label = "deflate" if mode else "no compression"
            facts[f"{label}: bytes on the wire"] = sent[0].length
            facts[f"{label}: RSV1"] = int(sent[0].rsv1)
            offered = pair.client_conn.websocket.request.headers.get(  # type: ignore[union-attr]
                "Sec-WebSocket-Extensions", "(none)"
            )
            agreed = pair.client_conn.websocket.response.headers.get(  # type: ignore[union-attr]
                "Sec-WebSocket-Extensions", "(none)"
            )
            if mode:
                facts[f"{label}: client offered"] = offered
            facts[f"{label}: extensions"] = agreed
            if mode:
                facts[f"{label}: what that means"] = _deflate_parameters(agreed)
            wire += pair.wire()
    return Report("permessage-deflate on and off: one text message", facts, wire)


async def invalid_utf8(data: bytes = b"caf\xc3") -> Report:
    """The client sends a text frame that is not UTF-8: the server closes with 1007 (RFC 6455 §8.1)."""
    async with Pair(
        WebsocketServerParams(**_no_keepalive()), WebsocketClientParams(add_wav_header=False, **_no_keepalive())
    ) as pair:
        # websockets sends bytes as a text frame unchecked when told text=True
        await pair.client_conn.websocket.send(data, text=True)
        await pair.until_closed()
        return pair.report(f"invalid UTF-8: a text frame carrying {data!r}")


async def oversized(limit: int = 1024) -> Report:
    """The client sends a message one byte over the server's limit: the server closes with 1009."""
    async with Pair(
        WebsocketServerParams(max_message_size=limit, **_no_keepalive()),
        WebsocketClientParams(add_wav_header=False, **_no_keepalive()),
    ) as pair:
        await pair.client_conn.send_bytes(bytes(limit + 1))
        await pair.until_closed()
        return pair.report(f"message too big: {limit + 1} bytes to a server that accepts {limit}")


async def policy_violation() -> Report:
    """An auth hook refuses a client without a token: it is accepted, then closed with 1008."""

    def need_token(conn: Connection) -> str:
        token = conn.query_params.get("token")
        if token is None:
            raise WebSocketException(CloseCode.POLICY_VIOLATION, "token required")
        return token

    async with Pair(
        WebsocketServerParams(auth=need_token, **_no_keepalive()),
        WebsocketClientParams(add_wav_header=False, **_no_keepalive()),
    ) as pair:
        await pair.until_closed("client")
        rejected = pair.event("server", EventKind.REJECTED)
        return pair.report(
            "policy violation: an auth hook refuses a client that has no token",
            server_rejected_with=rejected.code if rejected else None,
        )


async def abrupt_loss(side: Side = "client") -> Report:
    """One side's TCP connection is dropped without a close frame: the other reports 1006."""
    async with Pair(
        WebsocketServerParams(**_no_keepalive()), WebsocketClientParams(add_wav_header=False, **_no_keepalive())
    ) as pair:
        conn = pair.client_conn if side == "client" else pair.server_conn
        conn.websocket.transport.abort()
        await pair.until_closed()
        return pair.report(f"abrupt loss: the {side}'s TCP connection is aborted, no close frame")


def _socket_buffers(transport: Any) -> dict[str, int | None]:
    """The kernel's buffer sizes and fill levels for one asyncio transport's socket.

    ``SO_SNDBUF``/``SO_RCVBUF`` from ``getsockopt`` (Linux reports twice the
    size asked for, the rest being its bookkeeping, and grows them on its
    own: TCP autotuning); the bytes queued in them from ``ioctl``
    ``TIOCOUTQ``/``FIONREAD`` where the platform has them (Linux, macOS).
    """
    import socket

    sock = transport.get_extra_info("socket")
    found: dict[str, int | None] = {
        "SO_SNDBUF": sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF),
        "SO_RCVBUF": sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF),
        "send queue": None,
        "receive queue": None,
    }
    try:
        import array
        import fcntl
        import termios

        for key, request in (("send queue", termios.TIOCOUTQ), ("receive queue", termios.FIONREAD)):
            buf = array.array("i", [0])
            fcntl.ioctl(sock.fileno(), request, buf)
            found[key] = buf[0]
    except (ImportError, AttributeError, OSError):  # not on this platform: the sizes still say enough
        pass
    return found


async def backpressure(message_size: int = 65_536, seconds: float = 0.3) -> Report:
    """The server stops reading; the client's ``send`` soon waits (flow control, not loss).

    Three buffers fill, in order, before ``send`` waits: the server's kernel
    receive buffer (what TCP delivered but the server has not read), the
    client's kernel send buffer (what TCP has not delivered yet: the
    receiver's window is full), and last the client's user-space write
    buffer in asyncio, where websockets' ``write_limit`` (32 KiB) applies:
    only once *that* one passes the limit does ``send`` wait. That is why far
    more than 32 KiB leaves before the first wait. The report reads every
    level from the live sockets. Nothing is dropped: when the server reads
    again, every message arrives.
    """
    async with Pair(
        WebsocketServerParams(**_no_keepalive()), WebsocketClientParams(add_wav_header=False, **_no_keepalive())
    ) as pair:
        received = _message_sizes(pair.server)
        server_socket = pair.server_conn.websocket.transport
        server_socket.pause_reading()
        client = pair.client_conn
        sent = 0
        payload = bytes(message_size)
        try:
            async with asyncio.timeout(seconds):
                while sent < 10_000:  # bounded even if the buffers were huge
                    await client.send_bytes(payload)
                    sent += 1
        except TimeoutError:
            pass
        client_transport = client.websocket.transport
        buffered = client_transport.get_write_buffer_size()
        client_kernel = _socket_buffers(client_transport)
        server_kernel = _socket_buffers(server_socket)
        server_socket.resume_reading()
        await pair.until(lambda: len(received) >= sent, timeout=10)
        await asyncio.sleep(0.05)  # a send cut short while waiting had already queued its message
        frame_bytes = len(encode("BINARY", payload)) + 4  # a client's frame carries a 4-byte mask key too
        levels = (buffered, client_kernel["send queue"], server_kernel["receive queue"])
        waiting = None if None in levels else sum(x or 0 for x in levels)
        return pair.report(
            f"backpressure: the server stops reading {message_size}-byte messages for {seconds} s",
            messages_sent_before_send_waited=sent,
            frame_bytes=frame_bytes,
            bytes_waiting_in_the_three_buffers=waiting,
            frames_worth_waiting=None if waiting is None else round(waiting / frame_bytes, 1),
            client_write_buffer_bytes_while_waiting=buffered,
            client_write_limit=client.websocket.write_limit_high,
            client_kernel_send_queue_bytes=client_kernel["send queue"],
            client_SO_SNDBUF=client_kernel["SO_SNDBUF"],
            server_kernel_receive_queue_bytes=server_kernel["receive queue"],
            server_SO_RCVBUF=server_kernel["SO_RCVBUF"],
            messages_received_after_resuming=len(received),  # the message a send was waiting on arrives too
        )


async def unsolicited_pong(payload: bytes = b"heartbeat") -> Report:
    """The client sends a PONG nobody asked for: the server ignores it (RFC 6455 §5.5.3).

    A pong may be sent unsolicited, as a one-way heartbeat; no answer is
    expected, and the connection goes on (a message sent after it is echoed).
    """
    async with Pair(
        WebsocketServerParams(**_no_keepalive()), WebsocketClientParams(add_wav_header=False, **_no_keepalive())
    ) as pair:
        echoed: list[Any] = []
        pair.server.add_event_handler("on_frame", lambda t, conn, frame: echoed.append(frame))
        await pair.client_conn.websocket.pong(payload)
        await pair.client_conn.send_text("still open?")
        await pair.until(lambda: bool(echoed))
        answers = [r for r in pair.server_tap.records if r.direction is Direction.OUT]  # type: ignore[union-attr]
        return pair.report(
            "an unsolicited PONG: the server takes it and answers nothing",
            frames_the_server_sent_back=len(answers),
            next_message_delivered=str(echoed[0]),
            connection_open=pair.server_conn.close_code is None,
        )


async def split_utf8(text: str = "é", split_at: int = 1) -> Report:
    """One text message whose UTF-8 bytes are split inside a character across two frames.

    RFC 6455 §5.6: only the *whole* message must be valid UTF-8; a single
    fragment may end in the middle of a character (here ``c3 | a9``). The
    raw bytes go to a live wskit server, which reassembles and accepts them.
    """
    data = text.encode()
    key = os.urandom(4)
    frames = encode("TEXT", data[:split_at], fin=False, mask=key) + encode("CONT", data[split_at:], mask=key)
    report = await malformed(frames, settle=0.3)
    report.title = f"{text!r} as UTF-8 {data.hex(' ')}, split after byte {split_at} across two frames"
    report.facts["first fragment"] = data[:split_at].hex(" ")
    report.facts["second fragment"] = data[split_at:].hex(" ")
    return report


async def masked_from_server(data: bytes | None = None, *, timeout: float = 5.0) -> Report:
    """A server that breaks a rule: after a real handshake it writes ``data`` to a wskit client.

    The server here is websockets' Sans-I/O ``ServerProtocol`` over a plain
    asyncio socket, so ``data`` can be anything; by default a *masked* TEXT
    frame, which a server must never send (RFC 6455 §5.1): the client fails
    the connection with 1002.
    """
    from websockets.server import ServerProtocol

    data = data if data is not None else encode("TEXT", "masked by a server", mask=os.urandom(4))
    done = asyncio.Event()
    connected = asyncio.Event()

    async def raw_server(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        protocol = ServerProtocol()
        try:
            while protocol.state is State.CONNECTING:
                chunk = await reader.read(65536)
                if not chunk:
                    return
                protocol.receive_data(chunk)
                for event in protocol.events_received():
                    if isinstance(event, Request):
                        protocol.send_response(protocol.accept(event))
                for out in protocol.data_to_send():
                    writer.write(out)
            await connected.wait()  # the client's tap is on its connection: it sees what follows
            writer.write(data)
            await writer.drain()
            # then act as a server does: answer the client's close frame and close TCP first (§7.1.1)
            while protocol.state is not State.CLOSED and (chunk := await reader.read(65536)):
                protocol.receive_data(chunk)
                protocol.events_received()
                outgoing = protocol.data_to_send()
                for out in outgoing:
                    if out:
                        writer.write(out)
                if b"" in outgoing:  # websockets says: close the TCP connection now
                    break
        finally:
            writer.close()
            done.set()

    listener = await asyncio.start_server(raw_server, "127.0.0.1", 0)
    host, port = listener.sockets[0].getsockname()[:2]
    client = WebsocketClientTransport(
        f"ws://{host}:{port}/", WebsocketClientParams(add_wav_header=False, **_no_keepalive())
    )
    events: list[Event] = []
    disconnected = asyncio.Event()

    def record(event: Event) -> None:
        if event.kind not in (EventKind.MESSAGE, EventKind.WIRE):
            events.append(event)
        if event.kind is EventKind.CONNECTED:
            connected.set()
        if event.kind is EventKind.DISCONNECTED:
            disconnected.set()

    client.events.subscribe(record)
    client_tap = tap(client)
    try:
        async with asyncio.timeout(timeout):
            await client.start()
            await disconnected.wait()
            await done.wait()
    finally:
        client_tap.detach()
        await client.stop()
        listener.close()
        await listener.wait_closed()
    gone = next(e for e in events if e.kind is EventKind.DISCONNECTED)
    seen = _close_seen(gone)
    facts: dict[str, Any] = {"client close_code": seen.reported, "client close_reason": gone.reason}
    errors = [e for e in events if e.kind is EventKind.ERROR]
    if errors:
        facts["client errors"] = "; ".join(str(e.error) for e in errors)
    return Report(
        f"a raw server writes {hex_preview(data, 16)} to a wskit client",
        facts,
        [("client", r) for r in client_tap.records],
        {"client": seen},
        {"client": client_tap.dropped},
    )


async def close_with(code: int, reason: str = "", *, by: Side = "server", timeout: float = 5.0) -> Report:
    """Open a fresh server and client, close with ``code`` from one side, report both sides.

    1006 is not sent: the closing side drops the TCP connection without a
    close frame, which is how a peer comes to report 1006. 1005 is not sent
    either: with ``by="client"`` a raw client sends a close frame with no
    code, which the server reports as 1005. Other codes that may not be sent
    (1015, 1004, 1016-2999) raise ``ValueError``.

    Returns:
        a :class:`Report`: the close frames on the wire and the
        ``close_code``/``close_reason`` each side reports.
    """
    if code == CloseCode.NO_STATUS_RCVD and by == "client" and not reason:
        # 1005 is what a side reports for a close frame without a code: send an empty one
        report = await malformed(encode("CLOSE", b"", mask=os.urandom(4)), timeout=timeout)
        report.title = f"the client sends an empty close frame: {explain(code)}"
        return report
    if code == CloseCode.NO_STATUS_RCVD:
        raise ValueError("1005 comes from an empty close frame: close_with(1005, by='client') sends one")
    if code != CloseCode.ABNORMAL_CLOSURE and not is_sendable(code):
        raise ValueError(f"cannot send {explain(code)}")
    info = CLOSE_CODES.get(code)
    if info is not None and info.sent_by == "client" and by == "server":
        raise ValueError(f"a server does not send {code} (RFC 6455 §7.4.1: {explain(code)}); try by='client'")
    async with Pair(
        WebsocketServerParams(**_no_keepalive()), WebsocketClientParams(add_wav_header=False, **_no_keepalive())
    ) as pair:
        conn = pair.server_conn if by == "server" else pair.client_conn
        if code == CloseCode.ABNORMAL_CLOSURE:
            conn.websocket.transport.abort()
        else:
            await conn.close(code, reason)
        await pair.until_closed(timeout=timeout)
        return pair.report(f"the {by} closes with {explain(code)}")


async def malformed(data: bytes, *, timeout: float = 5.0, settle: float = 0.5) -> Report:
    """Send ``data`` as-is to a wskit server after a real handshake; report its answer.

    The client here is websockets' Sans-I/O ``ClientProtocol`` over a plain
    asyncio socket: it does the opening handshake and reads the server's
    frames, while ``data`` goes straight onto the socket, so it can break any
    rule (build it with :func:`wskit.wire.encode`). The server's tap never
    sees a frame its parser refuses, only the close it answers with. If the
    server has not closed ``settle`` seconds later, it accepted the bytes,
    and the raw client closes normally (1000).
    """
    async with Pair(WebsocketServerParams(**_no_keepalive()), connect=False) as pair:
        delivered: list[str] = []
        pair.server.add_event_handler("on_frame", lambda t, conn, frame: delivered.append(str(frame)))
        address = pair.server.listen_address
        assert address is not None
        reader, writer = await asyncio.open_connection(*address)
        client = ClientProtocol(parse_uri(pair.server.url))
        received: list[Frame] = []
        accepted = False

        async def pump(wait: float | None = None) -> bool:
            """Write what the protocol wants sent; feed it what arrives. False at EOF."""
            for chunk in client.data_to_send():
                if chunk:
                    writer.write(chunk)
            async with asyncio.timeout(wait):
                chunk = await reader.read(65536)
            if chunk:
                client.receive_data(chunk)
            else:
                client.receive_eof()
            for event in client.events_received():
                if isinstance(event, Frame):
                    received.append(event)
                elif isinstance(event, Response) and event.status_code != 101:
                    raise ConnectionError(f"handshake refused: HTTP {event.status_code}")
            return bool(chunk)

        try:
            async with asyncio.timeout(timeout):
                client.send_request(client.connect())
                while client.state is State.CONNECTING and await pump():
                    pass
                await pair.until(lambda: bool(pair.server.clients))
                writer.write(data)
                try:
                    while await pump(settle if client.state is State.OPEN else None):
                        pass
                except TimeoutError:  # no close from the server: it took the bytes
                    accepted = True
                    client.send_close(CloseCode.NORMAL_CLOSURE, "done")
                    while await pump():
                        pass
        finally:
            writer.close()
        await pair.until_closed("server")
        report = pair.report(
            f"raw bytes after the handshake: {hex_preview(data, 16)}",
            server_accepted_them=accepted,
            messages_the_server_received=delivered,
        )
        close_frame = next((f for f in received if f.opcode is Opcode.CLOSE), None)
        close = parse_close(close_frame.data) if close_frame is not None else None
        if close is not None:
            report.facts["raw client received close code"] = int(close.code)
            report.facts["raw client received reason"] = close.reason
        elif close_frame is not None:
            report.facts["raw client received close code"] = "none: an empty close frame (reported as 1005)"
        return report
