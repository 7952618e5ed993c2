"""``record(target)``: a session, filled live from a transport's events.

The recorder is a subscriber of the transport's event bus, like the event
log: ``connected`` events give a conversation its handshake, ``message``
events its messages, ``disconnected`` (and a server's ``rejected``) its close.
Pings and pongs never reach the bus; with ``control_frames=True`` (the
default) a :func:`wskit.wire.tap` that emits no events watches the same
connections, and its records place each ping and pong at its moment on the
wire. The tap's times also date each message by its last frame on the wire.

A socket seen from both ends (a recording of a server and of its client, in
one process) is recorded once, from the side that saw it first.

A recording is bounded (``max_messages``, ``max_bytes``): past either, further
messages (and connections, each counting as one message) are not kept,
:attr:`Recording.truncated` is set and
:attr:`Recording.dropped` counts them (a cassette saved from it says
``"truncated": true``); the close is still recorded.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..events import Direction, Event, EventKind
from ..transports import Connection, WebsocketClientTransport, WebsocketServerTransport
from ._conversation import Close, Conversation, Sender, Step
from ._handshake import handshake_of
from ._session import Session

__all__ = ["Recording", "record"]

logger = logging.getLogger("wskit")
MIB = 2**20
_MESSAGE, _IN = EventKind.MESSAGE, Direction.IN
#: who sent a message, by (recorded on the server side) == (it came in): False -> server, True -> client
_SENDERS: tuple[Sender, Sender] = ("server", "client")


@dataclass(slots=True)
class _Live:
    """A conversation being recorded, and what its wire frames said so far."""

    conversation: Conversation
    side: Sender  # which end recorded it
    ignored: bool = False  # the same socket is being recorded from its other end
    controls: deque[Step] = field(default_factory=deque)  # pings and pongs not placed yet
    frame_times: dict[Direction, deque[float]] = field(default_factory=dict)  # last-frame times of messages

    def sender(self, direction: Direction | None) -> Sender:
        if self.side == "server":
            return "client" if direction is Direction.IN else "server"
        return "server" if direction is Direction.IN else "client"


def _socket_key(conn: Any, side: Sender) -> tuple[Any, Any] | None:
    """``(client address, server address)`` of a connection, whichever end it is."""
    ws = conn.websocket
    try:
        local, remote = ws.local_address, ws.remote_address
    except (AttributeError, OSError):
        return None
    if local is None or remote is None:
        return None
    local, remote = tuple(local[:2]), tuple(remote[:2])
    return (remote, local) if side == "server" else (local, remote)


class Recording(Session):
    """A :class:`~wskit.testing.Session` that fills itself while its targets talk.

    Read it like any session (``conversations``, ``save``, ``to_har`` …) at any
    time; :meth:`stop` ends the recording. Use it as a context manager to stop
    at the end of a block.

    Attributes:
        truncated: the bounds were hit and messages were left out.
        dropped: how many messages were left out.
    """

    def __init__(
        self,
        *targets: Any,
        control_frames: bool = True,
        max_messages: int = 100_000,
        max_bytes: int = 64 * MIB,
    ) -> None:
        super().__init__()
        self.control_frames = control_frames
        self.max_messages = max_messages
        self.max_bytes = max_bytes
        self.dropped = 0
        self._t0 = time.monotonic()
        self.created = time.time()
        self._messages = 0
        self._bytes = 0
        self._live: dict[Any, _Live] = {}  # wskit Connection -> its conversation
        self._sockets: set[tuple[Any, Any]] = set()
        self._stops: list[Callable[[], None]] = []
        self._taps: list[Any] = []
        self._waiters: list[asyncio.Future[None]] = []
        self._recording = False
        for target in targets:
            self.add(target)

    # -- targets ----------------------------------------------------------------

    @staticmethod
    def accepts(target: Any) -> bool:
        """Whether :meth:`add` can record ``target`` (a server, a client or a connection)."""
        return isinstance(target, (WebsocketServerTransport, WebsocketClientTransport, Connection))

    def add(self, target: Any) -> Recording:
        """Record ``target`` too: a server (every connection from now on), a client, or one connection."""
        self._recording = True
        if isinstance(target, Connection):
            transport = target.transport
            side: Sender = "server" if isinstance(transport, WebsocketServerTransport) else "client"

            def on_event(event: Event) -> None:
                if event.connection is target:
                    self._on_event(event, side)

            self._stops.append(transport.events.subscribe(on_event))
            if self.control_frames:
                self._taps.append(_tap(target))
            if target.close_code is None:
                self._open(target, side, target.connected_at)
        elif isinstance(target, (WebsocketServerTransport, WebsocketClientTransport)):
            side = "server" if isinstance(target, WebsocketServerTransport) else "client"
            self._stops.append(target.events.subscribe(lambda event: self._on_event(event, side)))
            if self.control_frames:
                self._taps.append(_tap(target))
            if isinstance(target, WebsocketServerTransport):
                current = list(target.clients)
            else:
                current = [target.connection] if target.connection is not None else []
            for conn in current:
                self._open(conn, side, conn.connected_at)
        else:
            raise TypeError(
                f"cannot record {target!r}: give a WebsocketServerTransport, a WebsocketClientTransport or a Connection"
            )
        return self

    @property
    def recording(self) -> bool:
        """True until :meth:`stop`."""
        return self._recording

    def stop(self) -> Recording:
        """Stop recording (unsubscribe, detach the taps); what was recorded stays. Returns ``self``."""
        self._drain()
        for live in self._live.values():
            self._place_controls(live, None)
        for stop in self._stops:
            stop()
        for wire_tap in self._taps:
            wire_tap.detach()
        self._stops.clear()
        self._taps.clear()
        self._recording = False
        self._wake()
        return self

    def __enter__(self) -> Recording:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def conversations(self) -> list[Conversation]:
        """The conversations so far (pings and pongs placed up to now)."""
        if self._recording:
            self._drain()
            for live in self._live.values():
                self._place_controls(live, None)
        return self._conversations

    def conversation(self, connection: Any) -> Conversation | None:
        """The conversation recording ``connection`` (a wskit ``Connection``), if any."""
        live = self._live.get(connection)
        return None if live is None or live.ignored else live.conversation

    async def wait_for(self, predicate: Callable[[], object], timeout: float) -> bool:
        """Wait until ``predicate()`` is true, re-checking after each recorded event; False on timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            left = deadline - loop.time()
            if left <= 0:
                return False
            waiter = loop.create_future()
            self._waiters.append(waiter)
            try:
                async with asyncio.timeout(left):
                    await waiter
            except TimeoutError:
                return bool(predicate())
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
        return True

    def _wake(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    # -- events -----------------------------------------------------------------

    def _t(self, monotonic: float) -> float:
        return monotonic - self._t0

    def _open(self, conn: Any, side: Sender, when: float) -> _Live:
        live = self._live.get(conn)
        if live is not None:
            return live
        key = _socket_key(conn, side)
        conversation = Conversation(len(self._conversations) + 1, handshake_of(conn), self._t(when))
        live = _Live(conversation, side)
        if key is not None and key in self._sockets:
            live.ignored = True  # recorded from its other end already
        elif len(self._conversations) >= self.max_messages:
            live.ignored = True  # past the bounds: a connection counts as a message
            self._truncate()
        else:
            if key is not None:
                self._sockets.add(key)
            self._conversations.append(conversation)
        self._live[conn] = live
        return live

    def _on_event(self, event: Event, side: Sender) -> None:
        conn = event.connection
        if conn is None:
            return
        kind = event.kind
        live = self._live.get(conn)
        if kind is _MESSAGE and live is not None:  # the data path: kept short (it runs for every message)
            raw = event.raw
            if live.ignored or raw is None:
                return
            if self._taps:
                self._drain()
            moment = event.time
            direction = event.direction
            frames = live.frame_times.get(direction) if live.frame_times else None  # type: ignore[arg-type]
            if frames:
                moment = frames.popleft()
            if live.controls:
                self._place_controls(live, moment)
            conversation = live.conversation
            if conversation.close is None:
                size = len(raw) if type(raw) is bytes or raw.isascii() else len(raw.encode())  # type: ignore[union-attr]
                if self._messages >= self.max_messages or self._bytes + size > self.max_bytes:
                    self._truncate()
                else:
                    self._messages += 1
                    self._bytes += size
                    sender: Sender = _SENDERS[(side == "server") == (direction is _IN)]
                    conversation.steps.append(Step("message", sender, moment - self._t0, raw))
            if self._waiters:
                self._wake()
            return
        if kind not in (EventKind.CONNECTED, EventKind.MESSAGE, EventKind.DISCONNECTED, EventKind.REJECTED):
            return
        if live is None:
            if kind is EventKind.DISCONNECTED:
                return  # it ended before we saw it open
            live = self._open(conn, side, event.time)
            if kind is _MESSAGE:
                self._on_event(event, side)
                return
        if live.ignored:
            if kind in (EventKind.DISCONNECTED, EventKind.REJECTED):
                del self._live[conn]
            return
        self._drain()
        conversation = live.conversation
        if kind in (EventKind.DISCONNECTED, EventKind.REJECTED) and conversation.close is None:
            self._place_controls(live, None)
            initiator = (event.info or {}).get("initiator") if kind is EventKind.DISCONNECTED else "server"
            conversation.close = Close(
                event.code if event.code is not None else 1006,
                event.reason or "",
                "client" if initiator == "client" else "server" if initiator == "server" else None,
                self._t(event.time),
            )
            del self._live[conn]  # nothing more comes from it: do not keep the connection alive
        self._wake()

    def _truncate(self) -> None:
        if not self.truncated:
            logger.warning(
                "wskit.testing: recording truncated at %d messages / %d bytes (max_messages=%d, max_bytes=%d)",
                self._messages,
                self._bytes,
                self.max_messages,
                self.max_bytes,
            )
        self.truncated = True
        self.dropped += 1

    # -- wire frames --------------------------------------------------------------

    def _drain(self) -> None:
        """Move what the taps saw into the conversations: pings/pongs to place, messages' frame times."""
        for wire_tap in self._taps:
            if not wire_tap.records:
                continue
            records = list(wire_tap.records)
            wire_tap.clear()
            for record in records:
                live = self._live.get(record.connection)
                if live is None or live.ignored:
                    continue
                if record.opcode in ("PING", "PONG"):
                    kind: Any = "ping" if record.opcode == "PING" else "pong"
                    live.controls.append(
                        Step(kind, live.sender(record.direction), self._t(record.time), bytes(record.payload))
                    )
                elif record.opcode in ("TEXT", "BINARY", "CONT") and record.fin:
                    times = live.frame_times.setdefault(record.direction, deque(maxlen=10_000))
                    times.append(record.time)

    def _place_controls(self, live: _Live, before: float | None) -> None:
        """Append the pending pings and pongs seen on the wire before ``before`` (all of them for ``None``)."""
        controls = live.controls
        cutoff = None if before is None else self._t(before)
        while controls and (cutoff is None or controls[0].t <= cutoff):
            step = controls.popleft()
            if live.conversation.close is None:
                live.conversation.steps.append(step)


def _tap(target: Any) -> Any:
    """A wire tap that emits no events, for the pings and pongs (wskit.wire, imported on first use)."""
    from .. import wire

    return wire.tap(target, emit=False, max_records=10_000)


def record(
    *targets: Any, control_frames: bool = True, max_messages: int = 100_000, max_bytes: int = 64 * MIB
) -> Recording:
    """Start recording what ``targets`` say and hear.

    Args:
        targets: servers (every connection from now on, and the open ones),
            clients (their connection, and the next after a reconnect), or
            single connections.
        control_frames: also record pings and pongs (through a wire tap that emits no events).
        max_messages, max_bytes: the recording's bounds (see the module docstring).

    Returns:
        the live :class:`Recording`; ``recording.save("chat.jsonl")`` writes it as a cassette.

    Messages that went by before this call are not in it: start recording
    before the conversation you want.
    """
    return Recording(*targets, control_frames=control_frames, max_messages=max_messages, max_bytes=max_bytes)
