"""When a received message counts as the recorded one, and how a difference is reported.

Matching is exact by default: a binary message byte for byte, a text message
character for character, except that text holding a JSON object or array is
compared as JSON (key order and spacing are formatting, not content; types
count: ``1`` is not ``1.0`` is not ``true``). For what changes between runs:

* ``ignore=["$.id", "$.items[*].ts"]``: JSON paths whose values are not compared
  (an ignored object key may also be missing);
* ``patterns=[r"\\d\\d:\\d\\d:\\d\\d"]``: regular expressions for the varying parts
  of text (in text messages and in JSON string values), replaced by ``…`` on
  both sides before comparing;
* ``match=[binary_length(), my_check]``: callables ``(expected, got) -> bool | None``
  on :class:`~wskit.testing.Step` s, tried first: ``True`` accepts, ``False``
  rejects, ``None`` leaves it to the rules above;
* ``ordered=False``: each side's messages may come in any order (interleaved
  streams); each recorded message must still be matched by one received message.

A :class:`Difference` says where (cassette file and line, connection,
message number) and what: expected against got, as the event log shows
messages, then a JSON diff naming each field, or a text diff.
"""

from __future__ import annotations

import copy
import difflib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .. import jsondiff
from ._conversation import Close, Conversation, Step
from ._handshake import query_matches
from ._session import Session

__all__ = [
    "Difference",
    "Matcher",
    "Matching",
    "ReplayMismatch",
    "binary_length",
    "compare_sessions",
    "step_differences",
]

#: ``matcher(expected, got)``: ``True`` accepts, ``False`` rejects, ``None`` defers.
Matcher = Callable[[Step, Step], "bool | None"]

_PATH_TOKEN = re.compile(
    r"""\.(?P<name>[A-Za-z_][\w-]*|\*)"""  # .name or .*
    r"""|\[(?P<index>-?\d+|\*)\]"""  # [3] or [*]
    r"""|\[(?P<quoted>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")\]"""  # ['odd name'] or ["odd name"]
)
_WILDCARD = object()


class _Ignored:
    """What an ignored JSON value becomes on both sides."""

    def __repr__(self) -> str:
        return "<ignored>"


_IGNORED = _Ignored()


def _parse_path(path: str) -> list[Any]:
    if not path.startswith("$"):
        raise ValueError(f"a JSON path starts with '$' (as in '$.id'), not {path!r}")
    segments: list[Any] = []
    pos = 1
    while pos < len(path):
        m = _PATH_TOKEN.match(path, pos)
        if m is None:
            raise ValueError(f"cannot read JSON path {path!r} at {path[pos:]!r} (use $.name, $['name'], $[0], $[*])")
        if m["name"] is not None:
            segments.append(_WILDCARD if m["name"] == "*" else m["name"])
        elif m["index"] is not None:
            segments.append(_WILDCARD if m["index"] == "*" else int(m["index"]))
        else:
            segments.append(json.loads(m["quoted"]) if m["quoted"][0] == '"' else m["quoted"][1:-1].replace("\\'", "'"))
        pos = m.end()
    if not segments:
        raise ValueError("the JSON path '$' is the whole message: leave the message out instead")
    return segments


def _drop(value: Any, segments: list[Any]) -> None:
    """Blank out what ``segments`` points at in ``value`` (in place)."""
    head, rest = segments[0], segments[1:]
    if isinstance(value, dict):
        keys = list(value) if head is _WILDCARD else [head] if isinstance(head, str) and head in value else []
        for key in keys:
            if rest:
                _drop(value[key], rest)
            else:
                del value[key]
    elif isinstance(value, list):
        if head is _WILDCARD:
            indexes = range(len(value))
        elif isinstance(head, int) and -len(value) <= head < len(value):
            indexes = range(head % len(value), head % len(value) + 1)
        else:
            indexes = range(0)
        for i in indexes:
            if rest:
                _drop(value[i], rest)
            else:
                value[i] = _IGNORED  # keep the positions: the length still counts


def _scrub(value: Any, patterns: tuple[re.Pattern[str], ...]) -> Any:
    if isinstance(value, str):
        for pattern in patterns:
            value = pattern.sub("…", value)
        return value
    if isinstance(value, list):
        return [_scrub(v, patterns) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v, patterns) for k, v in value.items()}
    return value


def _json_container(text: str) -> Any:
    stripped = text.lstrip()
    if not stripped or stripped[0] not in "[{":
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, (dict, list)) else None


def _clip(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text_diff(expected: str, got: str) -> list[str]:
    lines = list(difflib.ndiff(expected.splitlines() or [""], got.splitlines() or [""]))
    shown = [_clip(line.rstrip("\n")) for line in lines if not line.startswith("  ")]
    return shown[:20] + ([f"… {len(shown) - 20} more diff lines"] if len(shown) > 20 else [])


def binary_length() -> Matcher:
    """A matcher accepting any binary message with the recorded length (audio, random bytes)."""

    def any_binary_of_the_recorded_length(expected: Step, got: Step) -> bool | None:
        if isinstance(expected.data, bytes) and isinstance(got.data, bytes):
            return len(expected.data) == len(got.data)
        return None

    return any_binary_of_the_recorded_length


@dataclass(frozen=True)
class Matching:
    """How received messages are compared with recorded ones (see the module docstring).

    Build one with :meth:`of`, which checks the paths and compiles the patterns.
    """

    ignore: tuple[str, ...] = ()
    patterns: tuple[re.Pattern[str], ...] = ()
    matchers: tuple[Matcher, ...] = ()
    ordered: bool = True
    _paths: tuple[tuple[Any, ...], ...] = field(default=(), repr=False, compare=False)

    @classmethod
    def of(
        cls,
        ignore: Iterable[str] = (),
        patterns: Iterable[str | re.Pattern[str]] = (),
        match: Iterable[Matcher] | Matcher = (),
        ordered: bool = True,
    ) -> Matching:
        """Checked options.

        Raises:
            ValueError: a JSON path or a pattern cannot be read.
            TypeError: a matcher is not callable.
        """
        if isinstance(ignore, str):
            ignore = [ignore]
        if isinstance(patterns, (str, re.Pattern)):
            patterns = [patterns]
        matchers = (match,) if callable(match) else tuple(match)
        for m in matchers:
            if not callable(m):
                raise TypeError(f"a matcher is a callable (expected, got) -> bool | None, not {m!r}")
        paths = tuple(tuple(_parse_path(p)) for p in ignore)
        compiled = tuple(p if isinstance(p, re.Pattern) else re.compile(p) for p in patterns)
        return cls(tuple(ignore), compiled, matchers, ordered, paths)

    def differ(self, expected: Step, got: Step) -> list[str] | None:
        """``None`` when ``got`` counts as ``expected``; else lines saying how they differ."""
        for matcher in self.matchers:
            verdict = matcher(expected, got)
            if verdict is True:
                return None
            if verdict is False:
                return [f"rejected by {getattr(matcher, '__name__', repr(matcher))}"]
        if expected.kind != got.kind or expected.opcode != got.opcode:
            return [f"expected a {expected.opcode} {expected.kind}, got a {got.opcode} {got.kind}"]
        e, g = expected.data, got.data
        if isinstance(e, bytes) or isinstance(g, bytes):
            eb = e if isinstance(e, bytes) else e.encode()
            gb = g if isinstance(g, bytes) else g.encode()
            if eb == gb:
                return None
            at = next((i for i, (a, b) in enumerate(zip(eb, gb, strict=False)) if a != b), min(len(eb), len(gb)))
            lines = [f"binary differs from byte {at}: expected {len(eb)} bytes, got {len(gb)}"]
            lines.append(f"  expected[{at}:]: {eb[at : at + 16].hex(' ') or '(end)'}")
            lines.append(f"  got[{at}:]:      {gb[at : at + 16].hex(' ') or '(end)'}")
            return lines
        ej = _json_container(e)
        if ej is not None:
            gj = _json_container(g)
            if gj is None:
                return ["expected JSON, got text that is not a JSON object or array", *_text_diff(e, g)]
            ej, gj = self._normalize(ej), self._normalize(gj)
            differences = jsondiff.diff(ej, gj)
            return ["JSON diff:", *("  " + d for d in differences)] if differences else None
        es, gs = _scrub(e, self.patterns), _scrub(g, self.patterns)
        return None if es == gs else _text_diff(es, gs)

    def _normalize(self, value: Any) -> Any:
        if self._paths:
            value = copy.deepcopy(value)
            for path in self._paths:
                _drop(value, list(path))
        return _scrub(value, self.patterns) if self.patterns else value


@dataclass
class Difference:
    """The first place a session departed from its cassette.

    Attributes:
        conversation: the recorded conversation concerned.
        what: one line: what departed (``message 3 of 6``, ``the close``, ``the handshake``).
        expected, got: the recorded and the received step or close (``None`` for none).
        detail: how they differ (JSON diff, text diff, a reason).
        source: the cassette's file name, when it came from one.
    """

    conversation: Conversation
    what: str
    expected: Step | Close | None = None
    got: Step | Close | None = None
    detail: list[str] = field(default_factory=list)
    source: str | None = None

    @property
    def line(self) -> int | None:
        """The cassette line of the expected step (or of the connection's ``connect`` line)."""
        if self.expected is not None and self.expected.line is not None:
            return self.expected.line
        return self.conversation.line

    def __str__(self) -> str:
        where = ""
        if self.source:
            where = f"{self.source}:{self.line}: " if self.line else f"{self.source}: "
        sender = ""
        if isinstance(self.expected, Step):
            sender = f", from the {self.expected.sender}"
        elif isinstance(self.got, Step):
            sender = f", from the {self.got.sender}"
        lines = [f"{where}{self.conversation}, {self.what}{sender}:"]
        lines.append(f"  expected: {_show(self.expected)}")
        lines.append(f"  got:      {_show(self.got)}")
        lines += ["  " + d for d in self.detail]
        return "\n".join(lines)


def _show(item: Step | Close | None) -> str:
    if item is None:
        return "nothing"
    if isinstance(item, Close):
        return str(item)
    return item.describe()


class ReplayMismatch(AssertionError):
    """A replay (or a comparison with a cassette) found a difference; ``str()`` is the report.

    Attributes:
        differences: every difference found (the first is the report's).
        session: what was actually exchanged, when there was a live run.
    """

    def __init__(self, differences: list[Difference], session: Session | None = None) -> None:
        self.differences = differences
        self.session = session
        first = str(differences[0])
        more = f"\n(and {len(differences) - 1} more difference(s))" if len(differences) > 1 else ""
        super().__init__(first + more)


ReplayMismatch.__module__ = "wskit.testing"  # tracebacks name it where it is imported from


def message_number(conv: Conversation, step: Step) -> str:
    """``message 3 of 6``: the step's place among its conversation's messages."""
    messages = conv.messages
    index = next((i for i, s in enumerate(messages) if s is step), None)
    return f"message {index + 1} of {len(messages)}" if index is not None else "a message"


def compare_conversation(
    expected: Conversation, got: Conversation, matching: Matching, source: str | None, *, prefix: bool = False
) -> list[Difference]:
    """Where ``got`` departs from ``expected``: handshake, messages, close.

    With ``prefix``, ``got`` may go on past what ``expected`` holds.
    """
    out: list[Difference] = []
    eh, gh = expected.handshake, got.handshake
    if eh.path != gh.path or not query_matches(eh.query, gh.query):
        detail = [f"path: expected {eh.target}, got {gh.target}"]
        out.append(Difference(expected, "the handshake", detail=detail, source=source))
        return out
    if eh.subprotocol != gh.subprotocol:
        detail = [f"subprotocol: expected {eh.subprotocol!r}, got {gh.subprotocol!r}"]
        out.append(Difference(expected, "the handshake", detail=detail, source=source))
    want, have = expected.messages, got.messages
    if matching.ordered:
        for i, step in enumerate(want):
            if i >= len(have):
                why = f"the {got.close}" if got.close is not None else "nothing more was received"
                out.append(Difference(expected, message_number(expected, step), step, None, [f"({why})"], source))
                return out
            how = step_differences(matching, step, have[i])
            if how is not None:
                out.append(Difference(expected, message_number(expected, step), step, have[i], how, source))
                return out
        extras = have[len(want) :]
    else:
        extras = list(have)
        for step in want:
            index = next((i for i, g in enumerate(extras) if step_differences(matching, step, g) is None), None)
            if index is None:
                nearest = next((g for g in extras if g.sender == step.sender), None)
                detail = ["(no received message matches it, in any order)"]
                if nearest is not None:
                    detail += step_differences(matching, step, nearest) or []
                out.append(Difference(expected, message_number(expected, step), step, nearest, detail, source))
                return out
            del extras[index]
    if extras and not prefix:
        what = f"an extra message (the cassette has {len(want)})"
        out.append(Difference(expected, what, None, extras[0], ["(the cassette does not have it)"], source))
        return out
    ec, gc = expected.close, got.close
    if ec is not None and gc is not None and (ec.code != gc.code or (ec.initiator and ec.initiator != gc.initiator)):
        out.append(Difference(expected, "the close", ec, gc, [], source))
    return out


def step_differences(matching: Matching, expected: Step, got: Step) -> list[str] | None:
    """How ``got`` departs from the recorded ``expected`` step (another sender first), or ``None`` when it matches."""
    if expected.sender != got.sender:
        return [f"expected a message from the {expected.sender}, got one from the {got.sender}"]
    return matching.differ(expected, got)


def compare_sessions(expected: Session, got: Session, matching: Matching, *, prefix: bool = False) -> list[Difference]:
    """Where ``got`` departs from ``expected``, conversation by conversation, in the order they opened.

    With ``prefix``, ``got`` may hold more (more connections, longer conversations).
    """
    out: list[Difference] = []
    source = expected.source
    for i, conv in enumerate(expected.conversations):
        if i >= len(got.conversations):
            detail = [f"only {len(got.conversations)} connection(s) were opened"]
            out.append(Difference(conv, "the connection", detail=detail, source=source))
            break
        out += compare_conversation(conv, got.conversations[i], matching, source, prefix=prefix)
    if not prefix and len(got.conversations) > len(expected.conversations):
        extra = got.conversations[len(expected.conversations)]
        out.append(
            Difference(
                extra,
                "an extra connection",
                detail=[f"the cassette has {len(expected.conversations)} connection(s); this one is not in it"],
                source=source,
            )
        )
    return out
