"""``await replay(session, url)``: play a cassette's client side against a live server.

For each recorded conversation a wskit client connects to ``url`` with the
recorded path, query (masked values filled from ``secrets``), headers and
subprotocol, then walks the conversation: a client message is sent once the
server messages recorded before it have arrived (and, with
``realtime=True``, not before its recorded moment); each server message is
compared with the recorded one as it arrives (see
:class:`~wskit.testing.Matching`). The recorded close is replayed too: the client
closes with the recorded code, or waits for the server to close and checks
its code. The first difference stops the replay and raises
:class:`~wskit.testing.ReplayMismatch`, whose text names the cassette line,
the connection, the message number, and the difference.

Conversations run concurrently, each opening after the one recorded before
it is connected (at its recorded moment, with ``realtime=True``), so a
message one connection sends can be broadcast to another. Pings the client
recorded are sent again (and their pong awaited); the server's pings and
pongs are not compared: keepalive timing is not a service's behaviour.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..transports import ConnectError, WebsocketClientParams, WebsocketClientTransport, WebSocketDisconnect
from ._conversation import Close, Conversation, Step
from ._handshake import MissingSecret, fill_headers, fill_target
from ._matching import Difference, Matcher, Matching, ReplayMismatch, message_number, step_differences
from ._recorder import Recording
from ._session import Session

__all__ = ["ReplayResult", "replay"]


@dataclass
class ReplayResult:
    """What a replay did.

    Attributes:
        session: what was actually exchanged (a recording of the replay's clients).
        differences: what departed from the cassette (empty when it all matched).
    """

    session: Session
    differences: list[Difference]

    @property
    def ok(self) -> bool:
        """True when everything matched."""
        return not self.differences


def _connect_url(url: str, target: str) -> str:
    """``url`` (with no query) joined with a conversation's path and query; ``url``'s own path, if any, goes first."""
    scheme, sep, rest = url.partition("://")
    host, slash, path = rest.partition("/")
    prefix = ("/" + path).rstrip("/") if slash else ""
    return f"{scheme}{sep}{host}{prefix}{target}"


async def replay(
    session: Session,
    url: str,
    *,
    realtime: bool = False,
    timeout: float = 5.0,
    ignore: Iterable[str] = (),
    patterns: Iterable[Any] = (),
    match: Iterable[Matcher] | Matcher = (),
    ordered: bool = True,
    secrets: Mapping[str, str] | None = None,
    params: WebsocketClientParams | None = None,
    check: bool = True,
) -> ReplayResult:
    """Replay ``session``'s client side against the server at ``url`` and compare its answers.

    Args:
        session: the cassette (``Session.load("chat.jsonl")``).
        url: the server, e.g. ``ws://127.0.0.1:8000``; each conversation's
            recorded path and query are appended (after any path ``url`` has).
            A ``url`` with a query string is used as it is.
        realtime: send with the recorded pacing; by default as fast as the
            server answers.
        timeout: seconds to wait for each expected server message (and close).
        ignore, patterns, match, ordered: how answers are compared (see :class:`~wskit.testing.Matching`).
        secrets: values for what the cassette masked, by query parameter or
            header name (``{"token": "s3cret"}``).
        params: client parameters to start from (headers and subprotocols
            are set from the cassette; keepalive pings are off).
        check: raise :class:`~wskit.testing.ReplayMismatch` at the first
            difference (default); with ``False`` the differences are returned.

    Returns:
        a :class:`ReplayResult` with the session actually exchanged.
    """
    matching = Matching.of(ignore, patterns, match, ordered)
    recording = Recording()
    loop = asyncio.get_running_loop()
    start = loop.time()
    runs: list[_Run] = []
    tasks: list[asyncio.Task[None]] = []
    try:
        for conv in session.conversations:
            if realtime:
                await asyncio.sleep(max(0.0, start + conv.t - loop.time()))
            run = _Run(conv, session.source, url, matching, timeout, realtime, start, recording, secrets, params)
            runs.append(run)
            await run.connect()
            if run.difference is not None:
                break
            tasks.append(asyncio.create_task(run.play(), name=f"wskit.replay {conv}"))
        pending = set(tasks)
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()
            if any(r.difference is not None for r in runs):
                break
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*(r.stop() for r in runs), return_exceptions=True)
        recording.stop()
    differences = [r.difference for r in runs if r.difference is not None]
    result = ReplayResult(recording, differences)
    if check and differences:
        raise ReplayMismatch(differences, recording)
    return result


class _Run:
    """One conversation being replayed."""

    def __init__(
        self,
        conv: Conversation,
        source: str | None,
        url: str,
        matching: Matching,
        timeout: float,
        realtime: bool,
        start: float,
        recording: Recording,
        secrets: Mapping[str, str] | None,
        params: WebsocketClientParams | None,
    ) -> None:
        self.conv = conv
        self.source = source
        self.url = url
        self.matching = matching
        self.timeout = timeout
        self.realtime = realtime
        self.start = start
        self.recording = recording
        self.secrets = secrets
        self.params = params
        self.client: WebsocketClientTransport | None = None
        self.live: Conversation | None = None
        self.difference: Difference | None = None
        self.closed_by_us = False

    def fail(self, what: str, expected: Step | Close | None, got: Step | Close | None, detail: list[str]) -> None:
        if self.difference is None:
            self.difference = Difference(self.conv, what, expected, got, detail, self.source)

    async def connect(self) -> None:
        conv = self.conv
        try:
            url = self.url if "?" in self.url else _connect_url(self.url, fill_target(conv.handshake, self.secrets))
            headers = fill_headers(conv.handshake, self.secrets)
        except MissingSecret as exc:
            self.fail("the handshake", None, None, [str(exc)])
            return
        base = self.params or WebsocketClientParams()
        largest = max((s.size for s in conv.steps), default=0)
        params = dataclasses.replace(
            base,
            additional_headers={**(base.additional_headers or {}), **headers},
            subprotocols=[conv.handshake.subprotocol] if conv.handshake.subprotocol else base.subprotocols,
            add_wav_header=False,
            reconnect=False,
            ping_interval=None,
            max_message_size=None if base.max_message_size is None else max(base.max_message_size, largest + 1),
        )
        self.client = client = WebsocketClientTransport(url, params)
        self.recording.add(client)
        try:
            await client.start()
        except ConnectError as exc:
            self.fail("the handshake", None, None, [str(exc)])
            return
        assert client.connection is not None
        self.live = self.recording.conversation(client.connection)

    async def stop(self) -> None:
        if self.client is not None:
            await self.client.stop()

    def _received(self) -> list[Step]:
        assert self.live is not None
        return [s for s in self.live.steps if s.kind == "message" and s.sender == "server"]

    async def play(self) -> None:
        if self.live is None or self.client is None:
            return
        client, conv, loop = self.client, self.conv, asyncio.get_running_loop()
        expected = conv.messages
        server_steps = [s for s in expected if s.sender == "server"]
        compared = 0  # server messages compared so far (ordered mode)
        waited = 0  # server messages waited for so far
        for step in conv.steps:
            if step.sender == "server":
                if step.kind != "message":
                    continue
                waited += 1
                if not await self._wait_for(waited, step):
                    return
                if self.matching.ordered:
                    compared = self._compare_upto(compared, waited, server_steps)
                    if self.difference is not None:
                        return
                continue
            if self.realtime:
                await asyncio.sleep(max(0.0, self.start + step.t - loop.time()))
            conn = client.connection
            if conn is None:
                self._closed_early(step)
                return
            try:
                if step.kind == "message":
                    if isinstance(step.data, str):
                        await conn.send_text(step.data)
                    else:
                        await conn.send_bytes(step.data)
                elif step.kind == "ping":
                    await conn.ping(step.data, timeout=self.timeout)
            except WebSocketDisconnect:
                self._closed_early(step)
                return
            except TimeoutError:
                self.fail(message_number(conv, step), step, None, [f"(no pong within {self.timeout:g} s)"])
                return
        if not self.matching.ordered:
            self._compare_unordered(server_steps)
            if self.difference is not None:
                return
        await self._finish(len(server_steps))

    async def _wait_for(self, count: int, step: Step) -> bool:
        """Wait until ``count`` server messages have arrived; report a timeout or an early close."""
        live = self.live
        assert live is not None
        arrived = await self.recording.wait_for(
            lambda: len(self._received()) >= count or live.close is not None, self.timeout
        )
        if len(self._received()) >= count:
            return True
        if arrived and live.close is not None:
            self._closed_early(step)
        else:
            detail = [f"(nothing within {self.timeout:g} s)"]
            self.fail(message_number(self.conv, step), step, None, detail)
        return False

    def _closed_early(self, step: Step) -> None:
        close = self.live.close if self.live is not None else None
        self.fail(message_number(self.conv, step), step, close, ["(the connection closed before it)"])

    def _compare_upto(self, compared: int, upto: int, server_steps: list[Step]) -> int:
        received = self._received()
        for i in range(compared, upto):
            detail = step_differences(self.matching, server_steps[i], received[i])
            if detail is not None:
                self.fail(message_number(self.conv, server_steps[i]), server_steps[i], received[i], detail)
                return i
        return upto

    def _compare_unordered(self, server_steps: list[Step]) -> None:
        left = list(self._received())
        for step in server_steps:
            index = next((i for i, g in enumerate(left) if step_differences(self.matching, step, g) is None), None)
            if index is None:
                nearest = left[0] if left else None
                detail = ["(no received message matches it, in any order)"]
                if nearest is not None:
                    detail += step_differences(self.matching, step, nearest) or []
                self.fail(message_number(self.conv, step), step, nearest, detail)
                return
            del left[index]

    async def _finish(self, expected_count: int) -> None:
        """Replay the close, then check that nothing unexpected came."""
        client, live, close = self.client, self.live, self.conv.close
        assert client is not None and live is not None
        if close is not None and close.initiator == "server":
            if not await self.recording.wait_for(lambda: live.close is not None, self.timeout):
                self.fail("the close", close, None, [f"(the server did not close within {self.timeout:g} s)"])
                return
        else:
            code = close.code if close is not None and close.code not in (None, 1005, 1006) else 1000
            reason = close.reason if close is not None else ""
            with contextlib.suppress(ValueError):
                await client.stop(code, reason)
            await self.recording.wait_for(lambda: live.close is not None, self.timeout)
        received = self._received()
        if len(received) > expected_count:
            extra = received[expected_count]
            what = f"an extra message (the cassette has {len(self.conv.messages)})"
            self.fail(what, None, extra, ["(the cassette does not have it)"])
            return
        got = live.close
        if got is None:
            return
        if close is not None and close.initiator == "server":
            if got.code != close.code or (close.reason and got.reason != close.reason):
                self.fail("the close", close, got, [])
        elif got.initiator == "server":
            self.fail("the close", close, got, ["(the server closed; in the cassette it did not)"])
