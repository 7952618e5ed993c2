"""A test's cassette and its record mode, as vcrpy users know them (no pytest needed here).

What each ``--wskit-record`` mode does, for a test that records its own
conversation (``wskit_session.record(client)``, compared when the test ends)
and for one that replays the cassette (``await wskit_session.replay(url)``):

======  ===========================================  ==================================
mode    cassette exists                              cassette missing
======  ===========================================  ==================================
none    compare; a difference fails the test         the test fails: nothing is recorded
once    compare; a difference fails the test         record the test's session, write it
new     compare what the cassette holds; connections record the test's session, write it
        and messages past its end are added to it
all     record again and overwrite (never compare);  record the test's session, write it
        a replay keeps the client's messages and
        records the server's new answers
======  ===========================================  ==================================

``none`` is the default when the ``CI`` environment variable is set, ``once``
elsewhere: on CI a missing cassette is a failure, never a silent recording.
A cassette is only written when the test passed. A replay or a fake server
(``wskit_session.serve()``) needs a cassette in every mode: its client (or
server) side *is* the cassette.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator, Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from ._conversation import Conversation
from ._fake import serve
from ._matching import Matcher, Matching, ReplayMismatch, compare_sessions
from ._recorder import Recording
from ._replay import ReplayResult, replay
from ._session import Session

__all__ = ["RECORD_MODES", "Cassette", "MissingCassette", "RecordMode", "default_mode", "mode_of"]

RecordMode = Literal["none", "once", "new", "all"]
RECORD_MODES: tuple[RecordMode, ...] = ("none", "once", "new", "all")


class MissingCassette(AssertionError):
    """The cassette a test needs does not exist (and the record mode does not allow recording it)."""


def default_mode(environ: Mapping[str, str]) -> RecordMode:
    """``none`` under CI (the ``CI`` variable set and not ``0``/``false``), else ``once``."""
    ci = environ.get("CI", "").strip().lower()
    return "none" if ci not in ("", "0", "false", "no") else "once"


class Cassette:
    """One test's cassette file, its record mode and its matching options.

    Args:
        path: the cassette file (JSON Lines; ``.har`` files are read as HAR).
        mode: the record mode (see the module docstring).
        ignore, patterns, match, ordered: how sessions are compared (:class:`~wskit.testing.Matching`).
        secrets: values for what the cassette masked, for replays (``{"token": ...}``).
    """

    def __init__(
        self,
        path: str | Path,
        mode: RecordMode = "none",
        *,
        ignore: Iterable[str] = (),
        patterns: Iterable[Any] = (),
        match: Iterable[Matcher] | Matcher = (),
        ordered: bool = True,
        secrets: Mapping[str, str] | None = None,
    ) -> None:
        if mode not in RECORD_MODES:
            raise ValueError(f"record mode must be one of {', '.join(RECORD_MODES)}, not {mode!r}")
        self.path = Path(path)
        self.mode: RecordMode = mode
        self.matching = Matching.of(ignore, patterns, match, ordered)
        self.secrets = dict(secrets or {})
        self.recordings: list[Recording] = []
        self._session: Session | None = None
        self._rerecorded: Session | None = None
        self.written: str | None = None  #: what :meth:`finish` wrote, in words

    def __repr__(self) -> str:
        return f"<Cassette {self.path} mode={self.mode} {'exists' if self.exists else 'missing'}>"

    @property
    def exists(self) -> bool:
        """Whether the cassette file is there."""
        return self.path.exists()

    @property
    def session(self) -> Session:
        """The cassette's session, read once.

        Raises:
            MissingCassette: there is no such file.
            CassetteError: the file is not a cassette (file name and line in the message).
        """
        __tracebackhide__ = True
        if self._session is None:
            if not self.exists:
                raise MissingCassette(self._missing("to compare with"))
            self._session = Session.load(self.path)
        return self._session

    def _missing(self, why: str) -> str:
        hint = (
            "run once with --wskit-record=once to record it"
            if self.mode == "none"
            else "record it with wskit_session.record(...) in a passing test, or wskit.testing.record(...)"
        )
        return f"cassette {self.path} does not exist: there is nothing {why} ({hint})"

    def check_available(self) -> None:
        """Fail at once in ``none`` mode when the cassette is missing (called before the test runs)."""
        __tracebackhide__ = True
        if self.mode == "none" and not self.exists:
            raise MissingCassette(self._missing("to compare with or replay") + "; --wskit-record is none")

    # -- what a test does -----------------------------------------------------------

    def record(self, *targets: Any, control_frames: bool = True) -> Recording:
        """Record ``targets`` for the length of the test; compared with the cassette (or written) when it ends."""
        recording = Recording(*targets, control_frames=control_frames)
        self.recordings.append(recording)
        return recording

    async def replay(self, url: str, **options: Any) -> ReplayResult:
        """Replay the cassette against ``url`` (see :func:`wskit.testing.replay`), with this cassette's options.

        In ``all`` mode nothing is compared: the server's answers become the new cassette.
        """
        __tracebackhide__ = True
        if not self.exists:
            raise MissingCassette(self._missing("to replay"))
        options.setdefault("secrets", self.secrets)
        matching = self.matching
        kwargs = {
            "ignore": matching.ignore,
            "patterns": matching.patterns,
            "match": matching.matchers,
            "ordered": matching.ordered,
            **options,
        }
        if self.mode == "all":
            result = await replay(self.session, url, check=False, **kwargs)
            self._rerecorded = result.session
            return result
        return await replay(self.session, url, **kwargs)

    @contextlib.asynccontextmanager
    async def serve(self, **options: Any) -> AsyncIterator[str]:
        """A fake server playing the cassette's server side (see :func:`wskit.testing.serve`)."""
        if not self.exists:
            raise MissingCassette(self._missing("to serve"))
        matching = self.matching
        kwargs = {
            "ignore": matching.ignore,
            "patterns": matching.patterns,
            "match": matching.matchers,
            "ordered": matching.ordered,
            **options,
        }
        async with serve(self.session, **kwargs) as url:
            yield url

    # -- the end of the test ---------------------------------------------------------

    def recorded(self) -> Session | None:
        """Every recording of this test as one session, or ``None`` when nothing was recorded."""
        if not self.recordings:
            return None
        conversations: list[Conversation] = []
        created = min(r.created for r in self.recordings)
        for recording in self.recordings:
            recording.stop()
            shift = recording.created - created
            for conv in recording.conversations:
                conversations.append(_shifted(conv, len(conversations) + 1, shift))
        conversations.sort(key=lambda c: c.t)
        for number, conv in enumerate(conversations, 1):
            conv.id = number
        truncated = any(r.truncated for r in self.recordings)
        return Session(conversations, created=created, truncated=truncated)

    def finish(self) -> str | None:
        """Compare what the test recorded with the cassette, or write it, as the mode says.

        Returns:
            what was written, in words, or ``None``.

        Raises:
            ReplayMismatch: the session departed from the cassette.
        """
        __tracebackhide__ = True
        if self._rerecorded is not None:
            self._write(self._rerecorded, "re-recorded the server's answers")
        actual = self.recorded()
        if actual is None:
            return self.written
        if self.mode == "all" or not self.exists:
            self._write(actual, "recorded")
            return self.written
        expected = self.session
        if self.mode == "new":
            differences = compare_sessions(expected, actual, self.matching, prefix=True)
            if differences:
                raise ReplayMismatch(differences, actual)
            extended, added = _extend(expected, actual)
            if added:
                self._write(extended, f"added {added} to")
            return self.written
        differences = compare_sessions(expected, actual, self.matching)
        if differences:
            raise ReplayMismatch(differences, actual)
        return self.written

    def _write(self, session: Session, verb: str) -> None:
        session.save(self.path)
        messages = len(session.messages)
        self.written = (
            f"{verb} {self.path} ({len(session.conversations)} connection(s), {messages} message(s)"
            + (", truncated" if session.truncated else "")
            + ")"
        )
        self._session = None


def _shifted(conv: Conversation, number: int, shift: float) -> Conversation:
    steps = [dataclasses.replace(s, t=s.t + shift) for s in conv.steps]
    close = dataclasses.replace(conv.close, t=conv.close.t + shift) if conv.close is not None else None
    return Conversation(number, conv.handshake, conv.t + shift, steps, close)


def _extend(expected: Session, actual: Session) -> tuple[Session, int]:
    """The cassette, with the connections and trailing messages only ``actual`` has; and how many were added."""
    conversations: list[Conversation] = []
    added = 0
    for i, conv in enumerate(expected.conversations):
        steps = list(conv.steps)
        close = conv.close
        if i < len(actual.conversations):
            got = actual.conversations[i]
            have = len(conv.messages)
            positions = [j for j, s in enumerate(got.steps) if s.kind == "message"]
            if len(positions) > have:
                start = positions[have]
                last = max([conv.t, *(s.t for s in conv.steps)])
                offset = last - (got.steps[start - 1].t if start > 0 else got.t)
                tail = [dataclasses.replace(s, t=s.t + offset, line=None) for s in got.steps[start:]]
                steps += tail
                added += sum(1 for s in tail if s.kind == "message")
                if close is None and got.close is not None:
                    close = dataclasses.replace(got.close, t=got.close.t + offset, line=None)
        conversations.append(Conversation(conv.id, conv.handshake, conv.t, steps, close))
    base = max([0.0, *(c.t for c in expected.conversations)])
    for got in actual.conversations[len(expected.conversations) :]:
        shift = base - got.t if got.t < base else 0.0
        conversations.append(_shifted(got, len(conversations) + 1, shift))
        added += len(got.messages)
    return Session(conversations, created=expected.created, truncated=expected.truncated), added


def mode_of(value: str | None, environ: Mapping[str, str]) -> RecordMode:
    """The record mode named by ``value``, or the default for ``environ``."""
    if value is None:
        return default_mode(environ)
    for mode in RECORD_MODES:
        if value == mode:
            return mode
    raise ValueError(f"--wskit-record must be one of {', '.join(RECORD_MODES)}, not {value!r}")
