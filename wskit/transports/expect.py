"""Frame assertions for tests and notebooks: ``await conn.expect_text("hello")``.

:class:`Expectations` is a mixin of :class:`~wskit.Connection` and
:class:`~wskit.WebsocketClientTransport`. Each ``expect_*`` call takes the
*next* incoming message (or the close) and checks it, waiting at most
``timeout`` seconds; a mismatch raises :class:`AssertionError` saying what
arrived instead, with the last messages rendered as the event log renders them
(``str(event)``).

Nothing is missed between two calls: the first ``expect_*`` call on a
connection subscribes to its transport's events once, and from then on every
incoming message is buffered until an ``expect_*`` call reads it. Messages
that arrived before that first call are not buffered (a failure says how
many), unless buffering started earlier by
:meth:`Expectations.expect_from_start`: on a client before ``start()`` (the
pytest plugin's ``wskit_client`` does so), on a server's connection in an
``on_client_connected`` handler. Until then nothing listens, so a connection
nobody asserts on pays nothing per message. The subscription ends when the
connection closes (a client's stays for its next connection, until it
stops). The buffer is bounded: at most
:attr:`Expectations.expect_buffer` unread messages and
:attr:`Expectations.expect_buffer_bytes` payload bytes. When full, the oldest
unread message is dropped and counted, and the next ``expect_*`` call fails
saying how many were dropped, since the order it checks can no longer be trusted.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import deque
from collections.abc import Callable
from typing import Any

from .. import jsondiff
from ..events import Direction, Event, EventKind

__all__ = ["Expectations"]

_RECENT = 8  # messages shown in a failure


class _Inbox:
    """Incoming messages of one connection (or one client transport) since the first ``expect_*`` call."""

    def __init__(self, owner: Expectations, bus: Any, wanted: Callable[[Event], bool], seen_before: int) -> None:
        self.owner = owner
        self.wanted = wanted
        self.unread: deque[Event] = deque()
        self.unread_bytes = 0
        self.recent: deque[Event] = deque(maxlen=_RECENT)  # read or not: what a failure shows
        self.closed: Event | None = None
        self.dropped = 0
        self.seen_before = seen_before  # messages that had arrived before we subscribed
        self.waiter: asyncio.Future[None] | None = None
        self.unsubscribe: Callable[[], None] | None = bus.subscribe(self.on_event)

    def on_event(self, event: Event) -> None:
        if not self.wanted(event):
            return
        kind = event.kind
        if kind is EventKind.MESSAGE:
            if event.direction is not Direction.IN:
                return
            self.unread.append(event)
            self.recent.append(event)
            self.unread_bytes += event.size
            while len(self.unread) > 1 and (
                len(self.unread) > self.owner.expect_buffer or self.unread_bytes > self.owner.expect_buffer_bytes
            ):
                self.unread_bytes -= self.unread.popleft().size
                self.dropped += 1
        elif kind is EventKind.CONNECTED:
            self.closed = None  # a client's next connection
        elif kind in (EventKind.DISCONNECTED, EventKind.REJECTED, EventKind.STOPPED):
            if self.closed is None or kind is not EventKind.STOPPED:
                self.closed = event
            ends = kind is EventKind.STOPPED or self.owner._expect_ends_on_close()
            if ends and self.unsubscribe is not None:
                self.unsubscribe()
                self.unsubscribe = None
        else:
            return
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def wait(self, timeout: float) -> bool:
        """Wait until something arrives; False when ``timeout`` passed first."""
        self.waiter = waiter = asyncio.get_running_loop().create_future()
        try:
            async with asyncio.timeout(timeout):
                await waiter
        except TimeoutError:
            return False
        finally:
            self.waiter = None
        return True

    def take(self) -> Event:
        event = self.unread.popleft()
        self.unread_bytes -= event.size
        return event


def _describe(event: Event) -> str:
    """What one message looks like in the event log: ``TEXT 'hi' [2 bytes]``."""
    return event.details()


def _close_text(event: Event | None) -> str:
    if event is None or event.kind is EventKind.STOPPED:
        return "the client stopped"
    code = f" with {event.code}" if event.code is not None else ""
    reason = f" {event.reason!r}" if event.reason else ""
    return f"the connection closed{code}{reason}"


class Expectations:
    """``expect_text``, ``expect_json``, ``expect_binary``, ``expect_close``, ``expect_silence``.

    Mixed into :class:`~wskit.Connection` (what a server's handler or
    ``server.clients`` gives you: the messages that client sent) and
    :class:`~wskit.WebsocketClientTransport` (the messages the server sent).
    """

    #: Unread incoming messages kept (see the module docstring for what happens past it).
    expect_buffer: int = 1000
    #: Payload bytes of unread incoming messages kept.
    expect_buffer_bytes: int = 16 * 2**20

    # -- where the messages come from -------------------------------------------

    def expect_from_start(self) -> None:
        """Buffer incoming messages for ``expect_*`` from now on, not from the first ``expect_*`` call.

        On a client, call it before ``start()``: the first ``expect_*`` call
        then reads the connection's first message, whatever arrived before it.
        On a server's connection, call it in an ``on_client_connected``
        handler (the server reads nothing before its handlers return). It
        costs what the first ``expect_*`` call would: one subscription to the
        transport's events, bounded by :attr:`expect_buffer` and
        :attr:`expect_buffer_bytes`.
        """
        self._inbox()

    def _expect_ends_on_close(self) -> bool:
        """A connection stops listening when it closes; a client transport listens on."""
        return not hasattr(self, "events")

    def _inbox(self) -> _Inbox:
        inbox: _Inbox | None = self.__dict__.get("_wskit_expect")
        me: Any = self
        if inbox is not None and (inbox.unsubscribe is not None or inbox.unread or not hasattr(me, "events")):
            return inbox
        # first use, or a client transport that stopped and has been started again
        if hasattr(me, "events"):  # a client transport: whatever connection it has

            def wanted(event: Event) -> bool:
                return event.connection is not None or event.kind is EventKind.STOPPED

            conn = me.connection
            inbox = _Inbox(self, me.events, wanted, conn.messages_in if conn is not None else 0)
            if conn is None:
                inbox.closed = Event(EventKind.STOPPED, me)
        else:  # one connection, on its transport's bus

            def wanted(event: Event) -> bool:
                return event.connection is me

            inbox = _Inbox(self, me.transport.events, wanted, me.messages_in)
            if me.close_code is not None:  # closed before anyone listened: the code is known still
                inbox.closed = Event(
                    EventKind.DISCONNECTED, me.transport, me, code=me.close_code, reason=me.close_reason
                )
        self.__dict__["_wskit_expect"] = inbox
        return inbox

    # -- the one primitive --------------------------------------------------------

    async def _next(self, wanted: str, timeout: float) -> Event:
        """The next unread message, or an ``AssertionError`` saying why there is none."""
        __tracebackhide__ = True  # pytest shows the test's line, not these
        inbox = self._inbox()
        self._check_dropped(inbox, wanted)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not inbox.unread:
            if inbox.closed is not None:
                raise self._failure(inbox, f"expected {wanted}, but {_close_text(inbox.closed)}")
            left = deadline - loop.time()
            if left <= 0 or not await inbox.wait(left):
                raise self._failure(inbox, f"expected {wanted} within {timeout:g} s; nothing arrived")
            self._check_dropped(inbox, wanted)
        return inbox.take()

    def _check_dropped(self, inbox: _Inbox, wanted: str) -> None:
        if inbox.dropped:
            dropped, inbox.dropped = inbox.dropped, 0
            raise self._failure(
                inbox,
                f"expected {wanted}, but {dropped} unread incoming message(s) were dropped first "
                f"(the expect buffer keeps {self.expect_buffer} messages and {self.expect_buffer_bytes} bytes; "
                "read them with expect_* or raise expect_buffer)",
            )

    def _failure(self, inbox: _Inbox, message: str, got: Event | None = None) -> AssertionError:
        lines = [message]
        if inbox.recent:
            lines.append("last messages received (newest last):")
            lines += [("> " if event is got else "  ") + str(event) for event in inbox.recent]
        else:
            lines.append("no message has been received since expect_* started listening")
        if inbox.unread:
            lines.append(f"{len(inbox.unread)} more unread")
        if inbox.seen_before:
            lines.append(
                f"({inbox.seen_before} message(s) had arrived before the first expect_* call and were not checked; "
                "expect_from_start() buffers from the connection's start)"
            )
        return AssertionError("\n".join(lines))

    # -- assertions ---------------------------------------------------------------

    async def expect_text(self, text: str | re.Pattern[str] | None = None, *, timeout: float = 2.0) -> str:
        """The next message must be text, equal to ``text`` (or fully matching a compiled pattern).

        Returns:
            the text received.
        """
        __tracebackhide__ = True  # pytest shows the test's line, not these
        __tracebackhide__ = True  # pytest shows the test's line, not these
        if text is None:
            wanted = "a text message"
        elif isinstance(text, re.Pattern):
            wanted = f"TEXT matching {text.pattern!r}"
        else:
            wanted = f"TEXT {text!r}"
        event = await self._next(wanted, timeout)
        raw = event.raw
        if not isinstance(raw, str):
            raise self._failure(self._inbox(), f"expected {wanted}, got {_describe(event)}", event)
        ok = text is None or (text.fullmatch(raw) is not None if isinstance(text, re.Pattern) else raw == text)
        if not ok:
            raise self._failure(self._inbox(), f"expected {wanted}, got {_describe(event)}", event)
        return raw

    async def expect_json(self, expected: Any = ..., *, match: Any = ..., timeout: float = 2.0) -> Any:
        """The next message must be JSON (text or binary), equal to ``expected``,
        or containing ``match`` (objects may hold more keys than ``match`` names).

        Returns:
            the parsed value.
        """
        __tracebackhide__ = True  # pytest shows the test's line, not these
        if expected is not ... and match is not ...:
            raise TypeError("give expected or match, not both")
        wanted = (
            "a JSON message"
            if expected is ... and match is ...
            else f"JSON {jsondiff.render(expected if match is ... else match)}" + ("" if match is ... else " (subset)")
        )
        event = await self._next(wanted, timeout)
        try:
            value = json.loads(event.raw if event.raw is not None else "")
        except ValueError as exc:
            why = f"expected {wanted}, got {_describe(event)}: not JSON ({exc})"
            raise self._failure(self._inbox(), why, event) from None
        if expected is ... and match is ...:
            return value
        differences = jsondiff.diff(expected if match is ... else match, value, subset=match is not ...)
        if differences:
            detail = "\n".join("  " + line for line in differences)
            raise self._failure(self._inbox(), f"expected {wanted}, got {_describe(event)}:\n{detail}", event)
        return value

    async def expect_binary(
        self, data: bytes | None = None, *, length: int | None = None, timeout: float = 2.0
    ) -> bytes:
        """The next message must be binary, equal to ``data`` and/or ``length`` bytes long.

        Returns:
            the bytes received.
        """
        __tracebackhide__ = True  # pytest shows the test's line, not these
        wanted = "a binary message"
        if data is not None:
            wanted = f"BINARY {data[:16].hex(' ')}{' …' if len(data) > 16 else ''} [{len(data)} bytes]"
        elif length is not None:
            wanted = f"a binary message of {length} bytes"
        event = await self._next(wanted, timeout)
        raw = event.raw
        if (
            not isinstance(raw, bytes)
            or (data is not None and raw != data)
            or (length is not None and len(raw) != length)
        ):
            raise self._failure(self._inbox(), f"expected {wanted}, got {_describe(event)}", event)
        return raw

    async def expect_close(self, code: int | None = None, reason: str | None = None, *, timeout: float = 2.0) -> int:
        """The connection must close next (no unread message first), with ``code`` and ``reason`` if given.

        Returns:
            the close code (1006 when TCP dropped without a close frame).
        """
        __tracebackhide__ = True  # pytest shows the test's line, not these
        wanted = "the close" + (f" with {code}" if code is not None else "") + (f" {reason!r}" if reason else "")
        inbox = self._inbox()
        self._check_dropped(inbox, wanted)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while inbox.closed is None and not inbox.unread:
            left = deadline - loop.time()
            if left <= 0 or not await inbox.wait(left):
                raise self._failure(inbox, f"expected {wanted} within {timeout:g} s; the connection is still open")
        if inbox.unread:
            event = inbox.take()
            raise self._failure(inbox, f"expected {wanted}, got {_describe(event)}", event)
        closed = inbox.closed
        assert closed is not None
        if closed.kind is EventKind.STOPPED:
            why = f"expected {wanted}, but the client is not connected (its close code is unknown)"
            raise self._failure(inbox, why)
        got = closed.code if closed.code is not None else 1006
        if (code is not None and got != code) or (reason is not None and closed.reason != reason):
            raise self._failure(inbox, f"expected {wanted}, but {_close_text(closed)}")
        return got

    async def expect_silence(self, seconds: float = 0.2) -> None:
        """No message may arrive for ``seconds`` (and none may be waiting unread)."""
        __tracebackhide__ = True  # pytest shows the test's line, not these
        inbox = self._inbox()
        wanted = f"no message for {seconds:g} s"
        self._check_dropped(inbox, wanted)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not inbox.unread:
            left = deadline - loop.time()
            if left <= 0 or inbox.closed is not None or not await inbox.wait(left):
                return
        event = inbox.take()
        raise self._failure(inbox, f"expected {wanted}, got {_describe(event)}", event)
