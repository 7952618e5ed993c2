"""What a recorded WebSocket session is made of: conversations, their steps, their close.

A conversation is one connection's part of a session: its opening
:class:`Handshake`, its :class:`Step` s in order (messages, pings, pongs) and
its :class:`Close`. Directions are named by who sent (``"client"`` or
``"server"``), not "in"/"out", so a recording reads the same whichever side
made it. The cassette file (:class:`wskit.testing.Session`) and the HAR
import and export both build on these, and both fail with
:class:`CassetteError`, naming the file and line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ..events import Event, EventKind

__all__ = ["SENDERS", "CassetteError", "Close", "Conversation", "Handshake", "Sender", "Step", "StepKind"]

Sender = Literal["client", "server"]
StepKind = Literal["message", "ping", "pong"]
#: the two values of :data:`Sender`, for checking what a file says
SENDERS: tuple[Sender, Sender] = ("client", "server")


class CassetteError(ValueError):
    """A cassette (or HAR file) that cannot be read: the message names the file and line.

    Attributes:
        source: the file name (or ``"<string>"``).
        line: the 1-based line number, when one applies.
    """

    def __init__(self, source: str, line: int | None, message: str) -> None:
        self.source = source
        self.line = line
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {message}")


@dataclass(slots=True)
class Handshake:
    """The opening handshake (RFC 6455 §4.1) as a test needs it.

    Attributes:
        path: the request path (``/items/foo/ws``).
        query: the query string, secrets masked (``token=***&q=5``).
        subprotocol: the subprotocol the server chose, if any.
        headers: request headers worth replaying (``origin``, ``authorization``,
            ``cookie``, custom ones), lower-case names, secrets masked; the
            handshake's own mechanics (``sec-websocket-key`` …) are left out.
        status: the HTTP status of the answer (101 when upgraded).
    """

    path: str = "/"
    query: str = ""
    subprotocol: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 101

    @property
    def target(self) -> str:
        """Path and query, as in the request line."""
        return f"{self.path}?{self.query}" if self.query else self.path


@dataclass(slots=True)
class Step:
    """One message or control frame of a conversation.

    Attributes:
        kind: ``"message"``, ``"ping"`` or ``"pong"``.
        sender: ``"client"`` or ``"server"``.
        t: seconds since the session started.
        data: a text message's ``str``; a binary message's (or a ping's, a pong's) ``bytes``.
        line: the cassette line it was read from (``None`` when recorded live).
    """

    kind: StepKind
    sender: Sender
    t: float
    data: str | bytes
    line: int | None = None

    @property
    def opcode(self) -> str:
        """``TEXT``, ``BINARY``, ``PING`` or ``PONG``, as the event log names them."""
        if self.kind == "message":
            return "TEXT" if isinstance(self.data, str) else "BINARY"
        return self.kind.upper()

    @property
    def size(self) -> int:
        """Payload bytes (UTF-8 length for text)."""
        return len(self.data.encode()) if isinstance(self.data, str) else len(self.data)

    def describe(self) -> str:
        """The step as the event log shows a message: ``TEXT 'hi' [2 bytes]``."""
        if self.kind == "message":
            return Event(EventKind.MESSAGE, None, raw=self.data, size=self.size).details()
        info = {"opcode": self.opcode, "length": self.size}
        return Event(EventKind.WIRE, None, raw=self.data, size=self.size, info=info).details()

    def __str__(self) -> str:
        return f"{self.sender} {self.describe()}"


@dataclass(slots=True)
class Close:
    """How a conversation ended (RFC 6455 §7).

    Attributes:
        code: the close code exchanged (1006: TCP dropped with no close frame).
        reason: the close reason.
        initiator: which side started the closing handshake, if known.
        t: seconds since the session started.
        line: the cassette line it was read from.
    """

    code: int | None
    reason: str = ""
    initiator: Sender | None = None
    t: float = 0.0
    line: int | None = None

    def __str__(self) -> str:
        who = f" by the {self.initiator}" if self.initiator else ""
        reason = f" {self.reason!r}" if self.reason else ""
        return f"close {self.code}{reason}{who}"


@dataclass(slots=True)
class Conversation:
    """One connection's part of a session.

    Attributes:
        id: its number in the session (``conn`` in the file), from 1.
        handshake: how it opened.
        t: when it opened, seconds since the session started.
        steps: messages and control frames, in order.
        close: how it ended (``None`` while open or when not recorded).
        line: the cassette line of its ``connect`` record.
    """

    id: int
    handshake: Handshake = field(default_factory=Handshake)
    t: float = 0.0
    steps: list[Step] = field(default_factory=list)
    close: Close | None = None
    line: int | None = None

    @property
    def messages(self) -> list[Step]:
        """The messages only (no pings or pongs)."""
        return [s for s in self.steps if s.kind == "message"]

    def __str__(self) -> str:
        return f"connection {self.id} ({self.handshake.target})"
