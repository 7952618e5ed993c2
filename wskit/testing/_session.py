"""A recorded WebSocket session, and its file: a cassette in JSON Lines.

A :class:`Session` holds one or more conversations (one per connection), each
with its opening handshake, its steps in order (messages, pings, pongs) and
its close (the model is in ``_conversation.py``). Directions are
named by who sent (``"client"`` or ``"server"``), not "in"/"out", so a
cassette reads the same whichever side recorded it. :meth:`Session.load`
reads a HAR file too, and :meth:`Session.to_har` writes one
(``_har.py``).

The file is JSON Lines, one record a line, so a changed reply is a one-line
diff in review::

    {"wskit_session": 1, "created": "2025-01-01T12:00:00Z", "by": "wskit 0.1.0", "connections": 1, "messages": 2}
    {"type": "connect", "conn": 1, "t": 0.0, "path": "/ws", "query": "token=***", "subprotocol": null, ...}
    {"type": "message", "conn": 1, "t": 0.0012, "from": "client", "opcode": "text", "data": "hello"}
    {"type": "message", "conn": 1, "t": 0.0019, "from": "server", "opcode": "binary", "data": "AAEC"}
    {"type": "ping", "conn": 1, "t": 0.0021, "from": "client", "data": ""}
    {"type": "close", "conn": 1, "t": 0.0030, "code": 1000, "reason": "", "initiator": "client"}

``t`` is seconds since the session's first connection opened; text is stored
as text and binary (and ping/pong payloads) as base64; secrets in the query
and headers are masked (``***``, see :mod:`wskit.redact`). A file that is not
such a cassette fails with :class:`CassetteError`, naming the file and line.
"""

from __future__ import annotations

import base64
import binascii
import heapq
import json
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, cast

from .._version import __version__
from ._conversation import SENDERS, CassetteError, Close, Conversation, Handshake, Sender, Step, StepKind
from ._har import parse_har, session_to_har

__all__ = ["FORMAT_VERSION", "Session"]

#: The cassette format this wskit writes and reads.
FORMAT_VERSION = 1


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _iso(epoch: float) -> str:
    millis = round(epoch * 1000) % 1000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{millis:03d}Z"


class Session:
    """A recorded session: conversations, and where it came from.

    Args:
        conversations: the conversations, in the order they opened.
        created: when it was recorded (epoch seconds).
        source: the file it was read from, for error messages.
        truncated: the recording hit its bounds and is missing messages.
    """

    def __init__(
        self,
        conversations: Iterable[Conversation] = (),
        *,
        created: float | None = None,
        source: str | None = None,
        truncated: bool = False,
    ) -> None:
        self._conversations = list(conversations)
        self.created = time.time() if created is None else created
        self.source = source
        self.truncated = truncated

    @property
    def conversations(self) -> list[Conversation]:
        """The conversations, in the order they opened."""
        return self._conversations

    @property
    def messages(self) -> list[Step]:
        """Every message of every conversation, conversation by conversation."""
        return [s for c in self.conversations for s in c.messages]

    def __len__(self) -> int:
        return len(self.conversations)

    def __iter__(self) -> Iterator[Conversation]:
        return iter(self.conversations)

    def __repr__(self) -> str:
        where = f" from {self.source}" if self.source else ""
        return f"<Session {len(self.conversations)} connection(s), {len(self.messages)} message(s){where}>"

    def __str__(self) -> str:
        """Every conversation, one line per step, with times in milliseconds."""
        lines = []
        for conv in self.conversations:
            lines.append(f"{conv} at {conv.t * 1000:.1f} ms")
            for step in conv.steps:
                lines.append(f"  {step.t * 1000:8.1f} ms  {step}")
            if conv.close is not None:
                lines.append(f"  {conv.close.t * 1000:8.1f} ms  {conv.close}")
        return "\n".join(lines) or "(empty session)"

    # -- the file ---------------------------------------------------------------

    def records(self) -> list[dict[str, Any]]:
        """The lines of the file, as dicts (header first); times start at the first connection."""
        conversations = self.conversations
        base = min((c.t for c in conversations), default=0.0)

        def t(value: float) -> float:
            return round(max(value - base, 0.0), 4)

        header: dict[str, Any] = {
            "wskit_session": FORMAT_VERSION,
            "created": _iso(self.created),
            "by": f"wskit {__version__}",
            "connections": len(conversations),
            "messages": sum(len(c.messages) for c in conversations),
        }
        if self.truncated:
            header["truncated"] = True
        out = [header]
        for conv in conversations:
            hs = conv.handshake
            out.append(
                {
                    "type": "connect",
                    "conn": conv.id,
                    "t": t(conv.t),
                    "path": hs.path,
                    "query": hs.query,
                    "subprotocol": hs.subprotocol,
                    "headers": dict(hs.headers),
                    "status": hs.status,
                }
            )
        per_conversation: list[list[dict[str, Any]]] = []
        for conv in conversations:
            records: list[dict[str, Any]] = []
            for step in conv.steps:
                record: dict[str, Any] = {"type": step.kind, "conn": conv.id, "t": t(step.t), "from": step.sender}
                if step.kind == "message":
                    record["opcode"] = "text" if isinstance(step.data, str) else "binary"
                    record["data"] = step.data if isinstance(step.data, str) else _b64(step.data)
                else:
                    record["data"] = _b64(step.data.encode() if isinstance(step.data, str) else step.data)
                records.append(record)
            if conv.close is not None:
                close = conv.close
                records.append(
                    {
                        "type": "close",
                        "conn": conv.id,
                        "t": t(close.t),
                        "code": close.code,
                        "reason": close.reason,
                        "initiator": close.initiator,
                    }
                )
            per_conversation.append(records)
        # conversations interleave by time; heapq.merge never reorders one conversation's own records
        out += heapq.merge(*per_conversation, key=lambda r: float(r["t"]))
        return out

    def dumps(self) -> str:
        """The cassette as text: JSON Lines, a header line first."""
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in self.records())

    def save(self, path: str | Path) -> Path:
        """Write the cassette to ``path`` (JSON Lines; parent folders are created).

        Returns:
            the path written.
        """
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(self.dumps(), encoding="utf-8")
        return target

    @classmethod
    def loads(cls, text: str, source: str = "<string>") -> Session:
        """Read a cassette from its text.

        Raises:
            CassetteError: the text is not a cassette this wskit can read; the
                message names ``source`` and the line.
        """
        __tracebackhide__ = True  # pytest shows the caller's line, not this parser's insides
        return _parse(text, source)

    @classmethod
    def load(cls, path: str | Path) -> Session:
        """Read a cassette file; a ``.har`` file is read as a HAR (see :meth:`from_har`).

        Raises:
            CassetteError: the file is not a cassette (or HAR) this wskit can
                read; the message names the file and line.
            OSError: the file cannot be read.
        """
        __tracebackhide__ = True
        target = Path(path)
        try:
            text = target.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise CassetteError(str(path), None, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        if target.suffix.lower() == ".har":
            return cls.from_har(text, str(path))
        return _parse(text, str(path))

    # -- HAR ----------------------------------------------------------------------

    @classmethod
    def from_har(cls, har: str | Path | dict[str, Any], source: str | None = None) -> Session:
        """A session from a HAR (Chrome DevTools' ``_webSocketMessages``): a file, its text, or the parsed dict.

        Each WebSocket entry becomes a conversation: its URL's path and query,
        its request headers (masked), and its messages (``send`` from the
        client, ``receive`` from the server). HAR records no close frames.

        Raises:
            CassetteError: not a HAR, or one with no WebSocket entry.
        """
        __tracebackhide__ = True
        document: str | dict[str, Any]
        if isinstance(har, dict) or (isinstance(har, str) and har.lstrip().startswith("{")):
            document, source = har, source or "<HAR>"
        else:  # a path
            document, source = Path(har).read_text(encoding="utf-8"), source or str(har)
        conversations, created = parse_har(document, source)
        return Session(conversations, created=created, source=source)

    def to_har(self, base_url: str = "ws://localhost") -> dict[str, Any]:
        """This session as a HAR document (one WebSocket entry per conversation), as DevTools saves it."""
        return session_to_har(self.conversations, self.created, base_url)

    def save_har(self, path: str | Path, base_url: str = "ws://localhost") -> Path:
        """Write :meth:`to_har` to ``path``."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(self.to_har(base_url), ensure_ascii=False, indent=1), encoding="utf-8")
        return target


# -- reading ------------------------------------------------------------------------


class _Line:
    """One parsed line, with typed accessors that fail naming the file and line."""

    __slots__ = ("data", "number", "source")

    def __init__(self, data: dict[str, Any], source: str, number: int) -> None:
        self.data = data
        self.source = source
        self.number = number

    def error(self, message: str) -> CassetteError:
        return CassetteError(self.source, self.number, message)

    def get(self, key: str, kinds: type | tuple[type, ...], default: Any = ..., what: str = "") -> Any:
        __tracebackhide__ = True
        if key not in self.data:
            if default is ...:
                raise self.error(f"{self.data.get('type', 'record')!s} record has no {key!r}")
            return default
        value = self.data[key]
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in _tuple(kinds)):
            raise self.error(f"{key!r} must be {what or _names(kinds)}, not {json.dumps(value)[:40]}")
        return value

    def time(self) -> float:
        __tracebackhide__ = True
        t = self.get("t", (int, float), 0.0, "a number of seconds")
        if t < 0:
            raise self.error(f"'t' must be 0 or more, not {t}")
        return float(t)

    def base64(self, key: str) -> bytes:
        __tracebackhide__ = True
        text = self.get(key, str, "", "base64 text")
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise self.error(f"{key!r} is not valid base64 ({exc}): {text[:40]!r}") from None

    def sender(self, key: str = "from") -> Sender:
        __tracebackhide__ = True
        value = self.get(key, str, what="'client' or 'server'")
        if value not in SENDERS:
            raise self.error(f"{key!r} must be 'client' or 'server', not {value!r}")
        return cast(Sender, value)


def _tuple(kinds: type | tuple[type, ...]) -> tuple[type, ...]:
    return kinds if isinstance(kinds, tuple) else (kinds,)


def _names(kinds: type | tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", float: "a number", dict: "an object", bool: "true or false"}
    return " or ".join(names.get(k, k.__name__) for k in _tuple(kinds) if k is not type(None)) + (
        " or null" if type(None) in _tuple(kinds) else ""
    )


def _parse(text: str, source: str) -> Session:
    __tracebackhide__ = True
    lines = text.splitlines()
    parsed: list[_Line] = []
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            continue  # blank lines are allowed: people edit these files
        try:
            record = json.loads(raw)
        except ValueError as exc:
            column = f" (column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
            message = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
            raise CassetteError(source, number, f"not valid JSON: {message}{column}") from None
        if not isinstance(record, dict):
            raise CassetteError(source, number, f"expected a JSON object, got {type(record).__name__}")
        parsed.append(_Line(record, source, number))
    if not parsed:
        raise CassetteError(source, 1, "empty file: a cassette starts with a header line")
    header = parsed[0]
    if "wskit_session" not in header.data:
        raise header.error(
            'the first line must be the header, {"wskit_session": 1, ...}'
            + (" (is this a HAR file? name it .har or use Session.from_har)" if "log" in header.data else "")
        )
    version = header.data["wskit_session"]
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise header.error(f"unknown format version {json.dumps(version)} (this wskit reads version {FORMAT_VERSION})")
    created_text = header.get("created", str, None, "an ISO 8601 time")
    created = _parse_iso(created_text, header) if created_text else None
    truncated = bool(header.get("truncated", bool, False))

    conversations: dict[int, Conversation] = {}
    for line in parsed[1:]:
        kind = line.get("type", str, what="a string")
        conn_id = line.get("conn", int, what="a connection number")
        if kind == "connect":
            if conn_id in conversations:
                raise line.error(f"connection {conn_id} is opened twice (first on line {conversations[conn_id].line})")
            headers = line.get("headers", dict, {}, "an object of header names and values")
            for name, value in headers.items():
                if not isinstance(value, str):
                    raise line.error(f"header {name!r} must have a string value, not {json.dumps(value)[:40]}")
            handshake = Handshake(
                path=line.get("path", str, "/"),
                query=line.get("query", str, ""),
                subprotocol=line.get("subprotocol", (str, type(None)), None),
                headers={k.lower(): v for k, v in headers.items()},
                status=line.get("status", int, 101),
            )
            conversations[conn_id] = Conversation(conn_id, handshake, line.time(), line=line.number)
            continue
        conv = conversations.get(conn_id)
        if conv is None:
            raise line.error(f"connection {conn_id} has no connect line before this one")
        if conv.close is not None:
            raise line.error(f"connection {conn_id} was closed on line {conv.close.line}")
        if kind == "message":
            opcode = line.get("opcode", str, what="'text' or 'binary'")
            data: str | bytes
            if opcode == "text":
                data = line.get("data", str, what="text")
            elif opcode == "binary":
                data = line.base64("data")
            else:
                raise line.error(f"'opcode' must be 'text' or 'binary', not {opcode!r}")
            conv.steps.append(Step("message", line.sender(), line.time(), data, line.number))
        elif kind in ("ping", "pong"):
            step_kind: StepKind = "ping" if kind == "ping" else "pong"
            conv.steps.append(Step(step_kind, line.sender(), line.time(), line.base64("data"), line.number))
        elif kind == "close":
            initiator = line.get("initiator", (str, type(None)), None)
            if initiator is not None and initiator not in SENDERS:
                raise line.error(f"'initiator' must be 'client', 'server' or null, not {initiator!r}")
            conv.close = Close(
                code=line.get("code", (int, type(None)), None),
                reason=line.get("reason", str, ""),
                initiator=cast(Sender | None, initiator),
                t=line.time(),
                line=line.number,
            )
        else:
            raise line.error(f"unknown record type {kind!r} (known: connect, message, ping, pong, close)")
    ordered = sorted(conversations.values(), key=lambda c: (c.t, c.id))
    return Session(ordered, created=created, source=source, truncated=truncated)


def _parse_iso(text: str, line: _Line) -> float:
    from datetime import datetime

    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        raise line.error(f"'created' is not an ISO 8601 time: {text!r}") from None
