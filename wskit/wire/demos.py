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
from websockets.http11 import Response
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
from ._closecodes import explain
from ._display import BOX, CELL, TABLE, Shown
from ._tap import WireRecord, WireTap, tap

__all__ = [
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
    "oversized",
    "ping_pong",
    "policy_violation",
]

Side = Literal["server", "client"]


@dataclass(repr=False)
class Report(Shown):
    """What a demo showed.

    Attributes:
        title: what was done.
        facts: what each side reported, by name (``"client close_code"`` …).
        wire: ``(side, record)`` for every frame either side's tap saw, in time order.
    """

    title: str
    facts: dict[str, Any] = field(default_factory=dict)
    wire: list[tuple[str, WireRecord]] = field(default_factory=list)

    def frames(self, side: Side, direction: str | None = None, opcode: str | None = None) -> list[WireRecord]:
        """The frames ``side`` saw, optionally only one direction (``"in"``/``"out"``) or opcode."""
        return [
            r
            for s, r in self.wire
            if s == side
            and (direction is None or r.direction.value == direction)
            and (opcode is None or r.opcode == opcode)
        ]

    def _wire_lines(self) -> list[str]:
        start = self.wire[0][1].time if self.wire else 0.0
        return [f"{(r.time - start) * 1000:7.1f} ms  {side:<6} {r}" for side, r in self.wire]

    def __str__(self) -> str:
        lines = [self.title, ""]
        lines += [f"  {k}: {v}" for k, v in self.facts.items()]
        if self.wire:
            lines += ["", "  frames on the wire:"] + [f"  {line}" for line in self._wire_lines()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        facts = "".join(
            f"<tr><td style='{CELL}'>{html.escape(k)}</td><td style='{CELL}'><b>{html.escape(str(v))}</b></td></tr>"
            for k, v in self.facts.items()
        )
        start = self.wire[0][1].time if self.wire else 0.0
        arrows = {("client", "out"): "→", ("server", "in"): "→", ("server", "out"): "←", ("client", "in"): "←"}
        wire = "".join(
            f"<tr><td style='{CELL}'>{(r.time - start) * 1000:.1f} ms</td><td style='{CELL}'>{side}</td>"
            f"<td style='{CELL}'>{arrows[(side, r.direction.value)]} {r.direction.value}</td>"
            f"<td style='{CELL}'>{html.escape(str(r).split(' ', 1)[1])}</td></tr>"
            for side, r in self.wire
        )
        frames = f"<p>frames on the wire:</p><table style='{TABLE}'>{wire}</table>" if wire else ""
        return (
            f"<div style='{BOX}'><p><b>{html.escape(self.title)}</b></p>"
            f"<table style='{TABLE}'>{facts}</table>{frames}</div>"
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

    def report(self, title: str, **facts: Any) -> Report:
        return Report(title, {**facts, **self.closes()}, self.wire())


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


async def keepalive_timeout(ping_interval: float = 0.2, ping_timeout: float = 0.3) -> Report:
    """A client stops reading; the server's keepalive ping goes unanswered and it closes with 1011.

    The client's socket is paused (nothing read, so no pong is sent), as a
    frozen or unplugged peer would be. After the timeout the server sends a
    close frame 1011 "keepalive ping timeout"; when the client reads again it
    finds the ping and the close.
    """
    server_params = WebsocketServerParams(ping_interval=ping_interval, ping_timeout=ping_timeout, close_timeout=0.5)
    async with Pair(server_params, WebsocketClientParams(add_wav_header=False, **_no_keepalive())) as pair:
        transport = pair.client_conn.websocket.transport
        transport.pause_reading()
        started = time.monotonic()
        await pair.until_closed("server", timeout=10 * (ping_interval + ping_timeout) + 2)
        waited = time.monotonic() - started
        transport.resume_reading()
        await pair.until_closed("client")
        return pair.report(
            f"keepalive: the server pings every {ping_interval} s and gives up {ping_timeout} s "
            "after an unanswered ping",
            server_gave_up_after_s=round(waited, 2),
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
        report.facts["data frames the server received"] = len(
            [r for r in report.frames("server", "in") if r.opcode in ("TEXT", "CONT")]
        )
        return report


async def compression(payload: str | None = None) -> Report:
    """The same message with permessage-deflate on and off (RFC 7692): RSV1 and sizes."""
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
            facts[f"{label}: extensions"] = pair.client_conn.websocket.response.headers.get(  # type: ignore[union-attr]
                "Sec-WebSocket-Extensions", "(none)"
            )
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


async def backpressure(message_size: int = 65_536, seconds: float = 0.3) -> Report:
    """The server stops reading; the client's ``send`` soon waits (flow control, not loss).

    TCP carries only what the receiver's buffers take; once the client's own
    write buffer passes websockets' ``write_limit`` (32 KiB), ``send`` waits
    until it drains. Nothing is dropped: when the server reads again,
    every message arrives.
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
        buffered = client.websocket.transport.get_write_buffer_size()
        server_socket.resume_reading()
        await pair.until(lambda: len(received) >= sent, timeout=10)
        await asyncio.sleep(0.05)  # a send cut short while waiting had already queued its message
        return pair.report(
            f"backpressure: the server stops reading {message_size}-byte messages for {seconds} s",
            messages_sent_before_send_waited=sent,
            client_write_buffer_bytes_while_waiting=buffered,
            client_write_limit=client.websocket.write_limit_high,
            messages_received_after_resuming=len(received),  # the message a send was waiting on arrives too
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
        report = pair.report(f"raw bytes after the handshake: {hex_preview(data, 16)}", server_accepted_them=accepted)
        close_frame = next((f for f in received if f.opcode is Opcode.CLOSE), None)
        close = parse_close(close_frame.data) if close_frame is not None else None
        if close is not None:
            report.facts["raw client received close code"] = int(close.code)
            report.facts["raw client received reason"] = close.reason
        elif close_frame is not None:
            report.facts["raw client received close code"] = "none: an empty close frame (reported as 1005)"
        return report
