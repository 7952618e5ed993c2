"""``async with serve(session) as url:``: a fake server that says what a real one once said.

It is a wskit server on ``127.0.0.1`` and a free port. Each client that
connects is given the next recorded conversation with the same path (and a
matching query: masked values match anything); the fake sends the server
messages recorded before the client's first message, then answers each
recorded client message with the server messages recorded after it, and
closes where the server closed. A client message that is not the recorded
one (see :class:`~wskit.testing.Matching`) is a difference: the fake closes that
connection with 1008 and, when the ``async with`` block ends, raises
:class:`~wskit.testing.ReplayMismatch` with the diff. So do a connection
nobody recorded, a conversation left unfinished, a recorded conversation
never opened, and a client closing with another code than recorded.

The client under test runs offline against what a real service once said:
wskit's own client, a browser, Node's ``ws``, anything that speaks RFC 6455.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterable
from typing import Any

from ..frames import TextFrame
from ..serializers import RawSerializer
from ..transports import WebSocketDisconnect, WebsocketServerParams, WebsocketServerTransport
from ._conversation import Close, Conversation, Handshake, Step
from ._handshake import query_matches
from ._matching import Difference, Matcher, Matching, ReplayMismatch, message_number
from ._recorder import record
from ._session import Session

__all__ = ["serve"]

_NOT_RECORDED = "wskit.testing: not the recorded conversation"


class _Script:
    """One recorded conversation, played as the server for one connection."""

    def __init__(self, conv: Conversation, conn: Any) -> None:
        self.conv = conv
        self.conn = conn
        self.messages = conv.messages
        self.index = 0  # next recorded message
        self.group: list[Step] = []  # client messages expected next (any order, when not ordered)
        self.failed = False
        self.last_t: float | None = None  # recorded time of the last step played
        self.last_at = time.monotonic()

    @property
    def finished(self) -> bool:
        return self.index >= len(self.messages) and not self.group


class _Fake:
    def __init__(self, session: Session, matching: Matching, realtime: bool) -> None:
        self.session = session
        self.matching = matching
        self.realtime = realtime
        self.unused = list(session.conversations)
        self.scripts: dict[Any, _Script] = {}
        self.differences: list[Difference] = []
        self.progress = asyncio.Event()

    def differ(self, conv: Conversation, what: str, expected: Any, got: Any, detail: list[str]) -> None:
        self.differences.append(Difference(conv, what, expected, got, detail, self.session.source))

    async def fail(self, script: _Script) -> None:
        script.failed = True
        self.progress.set()
        with contextlib.suppress(Exception):
            await script.conn.close(1008, _NOT_RECORDED)

    # -- the server's handlers ----------------------------------------------------

    async def connected(self, _transport: Any, conn: Any) -> None:
        path, query = conn.url.path or "/", conn.url.query
        candidates = [c for c in self.unused if c.handshake.path == path]
        conv = next((c for c in candidates if query_matches(c.handshake.query, query)), None)
        if conv is None:
            target = f"{path}?{query}" if query else path
            stand_in = candidates[0] if candidates else Conversation(0, Handshake(path, query))
            if candidates:
                detail = [f"query: expected {candidates[0].handshake.query!r}, got {query!r}"]
            else:
                recorded = ", ".join(sorted({c.handshake.target for c in self.session.conversations})) or "none"
                detail = [f"a connection to {target}, which no unused recorded conversation has (recorded: {recorded})"]
            self.differ(stand_in, "the handshake", None, None, detail)
            await conn.close(1008, _NOT_RECORDED)
            return
        self.unused.remove(conv)
        script = self.scripts[conn] = _Script(conv, conn)
        if conv.handshake.subprotocol != conn.subprotocol:
            detail = [f"subprotocol: expected {conv.handshake.subprotocol!r}, got {conn.subprotocol!r}"]
            self.differ(conv, "the handshake", None, None, detail)
            await self.fail(script)
            return
        await self.play_server_steps(script)

    async def frame(self, _transport: Any, conn: Any, frame: Any) -> None:
        script = self.scripts.get(conn)
        if script is None or script.failed:
            return
        data = frame.text if isinstance(frame, TextFrame) else bytes(frame.data)
        got = Step("message", "client", 0.0, data)
        if not script.group:
            self.differ(
                script.conv,
                f"an extra message (the cassette has {len(script.messages)})",
                None,
                got,
                ["(the client sent more than the cassette holds)"],
            )
            await self.fail(script)
            return
        candidates = script.group if not self.matching.ordered else script.group[:1]
        found = next((s for s in candidates if self.matching.differ(s, got) is None), None)
        if found is None:
            expected = candidates[0]
            detail = self.matching.differ(expected, got) or []
            if not self.matching.ordered:
                detail = ["(no recorded client message matches it, in any order)", *detail]
            self.differ(script.conv, message_number(script.conv, expected), expected, got, detail)
            await self.fail(script)
            return
        script.group.remove(found)
        script.last_t, script.last_at = found.t, time.monotonic()
        self.progress.set()
        if not script.group:
            await self.play_server_steps(script)

    async def play_server_steps(self, script: _Script) -> None:
        """Send the server messages up to the next client message (and the close, at the end)."""
        messages = script.messages
        while script.index < len(messages) and messages[script.index].sender == "server":
            step = messages[script.index]
            if self.realtime and script.last_t is not None:
                await asyncio.sleep(max(0.0, step.t - script.last_t - (time.monotonic() - script.last_at)))
            try:
                if isinstance(step.data, str):
                    await script.conn.send_text(step.data)
                else:
                    await script.conn.send_bytes(step.data)
            except WebSocketDisconnect:
                return  # the client left: disconnected() reports it
            script.index += 1
            script.last_t, script.last_at = step.t, time.monotonic()
        while script.index < len(messages) and messages[script.index].sender == "client":
            script.group.append(messages[script.index])
            script.index += 1
            if self.matching.ordered:
                break
        self.progress.set()
        close = script.conv.close
        if script.finished and close is not None and close.initiator == "server":
            code = close.code if close.code not in (None, 1005, 1006) else 1000
            await script.conn.close(code, close.reason)

    async def disconnected(self, _transport: Any, conn: Any) -> None:
        script = self.scripts.get(conn)
        self.progress.set()
        if script is None or script.failed:
            return
        script.failed = True  # nothing more to check on it
        got = Close(conn.close_code, conn.close_reason, conn.close_initiator)
        if not script.finished:
            expected = script.group[0] if script.group else script.messages[script.index]
            what = message_number(script.conv, expected)
            self.differ(script.conv, what, expected, got, ["(the connection closed before it)"])
            return
        close = script.conv.close
        if close is not None and close.initiator == "client" and got.code != close.code:
            self.differ(script.conv, "the close", close, got, [])

    # -- the end --------------------------------------------------------------------

    async def settle(self, timeout: float) -> None:
        """Give clients that are still talking up to ``timeout`` seconds to finish."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while any(not s.failed and not s.finished for s in self.scripts.values()):
            self.progress.clear()
            left = deadline - loop.time()
            if left <= 0:
                return
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(left):
                    await self.progress.wait()

    def leftovers(self) -> None:
        for script in self.scripts.values():
            if not script.failed and not script.finished:
                expected = script.group[0] if script.group else script.messages[script.index]
                what = message_number(script.conv, expected)
                self.differ(script.conv, what, expected, None, ["(the client was still connected and had not sent it)"])
                script.failed = True
        for conv in self.unused:
            self.differ(conv, "the connection", None, None, ["(no client opened it)"])


@contextlib.asynccontextmanager
async def serve(
    session: Session,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    realtime: bool = False,
    ignore: Iterable[str] = (),
    patterns: Iterable[Any] = (),
    match: Iterable[Matcher] | Matcher = (),
    ordered: bool = True,
    settle: float = 2.0,
) -> AsyncIterator[str]:
    """Serve ``session``'s server side; the block gets the base URL (``ws://127.0.0.1:PORT``).

    Args:
        session: the cassette.
        host, port: where to listen (loopback and a free port by default).
        realtime: answer with the recorded pacing; by default at once.
        ignore, patterns, match, ordered: how client messages are compared (see :class:`~wskit.testing.Matching`).
        settle: at the end of the block, how long clients still mid-conversation may take to finish.

    Raises:
        ReplayMismatch: at the end of the block, if any client departed from the cassette.
    """
    matching = Matching.of(ignore, patterns, match, ordered)
    subprotocols = sorted({c.handshake.subprotocol for c in session.conversations if c.handshake.subprotocol})
    largest = max((s.size for s in session.messages), default=0)
    params = WebsocketServerParams(
        serializer=RawSerializer(binary="bytes"),
        subprotocols=subprotocols or None,
        ping_interval=None,
        max_message_size=max(2**20, largest + 1),
    )
    server = WebsocketServerTransport(params, host=host, port=port)
    fake = _Fake(session, matching, realtime)
    server.add_event_handler("on_client_connected", fake.connected)
    server.add_event_handler("on_frame", fake.frame)
    server.add_event_handler("on_client_disconnected", fake.disconnected)
    recording = record(server)
    await server.start()
    failure: BaseException | None = None
    try:
        yield server.url.rstrip("/")
    except BaseException as exc:
        failure = exc
    finally:
        try:
            if failure is None:
                await fake.settle(settle)
                fake.leftovers()
        finally:
            await server.stop()
            recording.stop()
    if fake.differences:
        raise ReplayMismatch(fake.differences, recording) from failure
    if failure is not None:
        raise failure
