"""Whole messages handled in websockets' protocol callback when nothing has to wait.

websockets parses incoming bytes in its protocol callback and passes each
frame to ``Connection.process_event``, the method its subclasses override
(``serve``/``connect`` take the subclass as ``create_connection``). The base
method queues data frames for ``recv()``; a reader task then wakes up to take
each message. When a transport's serializer and ``on_frame`` handlers are all
synchronous that task switch buys nothing, and it is the largest cost wskit
adds to a round trip: so the message is decoded and handled right there, in
the callback that parsed it.

Order is kept by handing a message over only when none is queued for
``recv()`` and wskit's read loop is not busy with one. Everything else goes
the usual way, through websockets' queue to the read loop: fragmented
messages, text that is not valid UTF-8 (websockets' ``recv()`` then closes
with 1007, RFC 6455 §8.1), messages that arrived before the read loop
started, and any message while a serializer or handler needs to await.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.connection import Connection
from websockets.frames import Frame, Opcode
from websockets.protocol import Event

__all__ = ["DirectClientConnection", "DirectDelivery"]

_TEXT, _BINARY, _CONT = Opcode.TEXT, Opcode.BINARY, Opcode.CONT


class DirectDelivery(Connection):
    """websockets' asyncio connection, handing whole messages to a wskit sink when it can.

    Attributes:
        wskit_sink: called with the last (``fin``) frame of an unfragmented
            message; returns ``False`` to leave the message to ``recv()``.
            ``None`` (the default) leaves every message to ``recv()``.
        wskit_queued: whole messages queued for ``recv()`` that wskit has not
            read yet (wskit's readers count them down).
        wskit_busy: wskit's read loop is handling a message it read.
        wskit_pending: a message handed over whose handling had to be
            finished in a task; the read loop waits for it before the next.
    """

    wskit_sink: Callable[[Frame], bool] | None = None
    wskit_queued = 0
    wskit_busy = False
    wskit_pending: asyncio.Task[None] | None = None

    def process_event(self, event: Event) -> None:
        if type(event) is Frame and event.fin:
            opcode = event.opcode
            if opcode is _TEXT or opcode is _BINARY or opcode is _CONT:
                sink = self.wskit_sink
                if (
                    sink is not None
                    and opcode is not _CONT
                    and not self.wskit_queued
                    and not self.wskit_busy
                    and (self.wskit_pending is None or self.wskit_pending.done())
                    and sink(event)
                ):
                    return
                self.wskit_queued += 1
        super().process_event(event)

    def wskit_read(self) -> None:
        """Count down one message that a wskit reader took from ``recv()``."""
        if self.wskit_queued:
            self.wskit_queued -= 1


class DirectClientConnection(DirectDelivery, ClientConnection):
    """The client connection wskit's client transport asks ``connect`` for."""
