"""Close codes (RFC 6455 §7.4): what each means and which may go on the wire.

:func:`close_codes` is the table of registered codes 1000-1015 and the
ranges around them, and :func:`explain` says what one code means. Whether a
code may be sent is :func:`wskit.closecodes.is_sendable`'s answer (websockets'
own check); the names are websockets' ``CloseCode``. To watch a live
connection close with a chosen code, see :func:`wskit.wire.close_with`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from ..closecodes import CloseCode, is_sendable
from ._display import BOX, CELL, TABLE, Shown

__all__ = ["CLOSE_CODES", "CloseCodeInfo", "CloseCodeTable", "close_codes", "explain"]


@dataclass(frozen=True)
class CloseCodeInfo:
    """One registered close code.

    Attributes:
        code: the number.
        name: websockets' ``CloseCode`` name.
        on_wire: whether an endpoint may put it in a close frame. 1005, 1006
            and 1015 are only *reported* by an endpoint, never sent (§7.4.1).
        meaning: when it is used.
    """

    code: int
    name: str
    on_wire: bool
    meaning: str


_MEANINGS: dict[int, str] = {
    CloseCode.NORMAL_CLOSURE: "normal closure: the purpose of the connection is fulfilled",
    CloseCode.GOING_AWAY: "going away: a server shutting down, a browser leaving the page",
    CloseCode.PROTOCOL_ERROR: "protocol error: the peer broke a framing rule",
    CloseCode.UNSUPPORTED_DATA: "unsupported data: e.g. binary sent to a text-only endpoint",
    1004: "reserved: no meaning yet; never sent",  # reserved: websockets names no CloseCode for it
    CloseCode.NO_STATUS_RCVD: "no status received: reported when the close frame carried no code",
    CloseCode.ABNORMAL_CLOSURE: "abnormal closure: reported when the TCP connection dropped without a close frame",
    CloseCode.INVALID_DATA: "invalid payload data: e.g. a text message that is not UTF-8",
    CloseCode.POLICY_VIOLATION: "policy violation: generic refusal, e.g. failed authentication",
    CloseCode.MESSAGE_TOO_BIG: "message too big to process",
    CloseCode.MANDATORY_EXTENSION: "a client needed an extension the server did not negotiate",
    CloseCode.INTERNAL_ERROR: "internal error: an unexpected condition (also keepalive timeout)",
    CloseCode.SERVICE_RESTART: "service restart: reconnect soon",
    CloseCode.TRY_AGAIN_LATER: "try again later: overloaded, e.g. too many clients",
    CloseCode.BAD_GATEWAY: "bad gateway: a proxy got an invalid answer upstream",
    CloseCode.TLS_HANDSHAKE: "TLS handshake failure: reported, never sent",
}

#: The codes RFC 6455 §7.4.1 and the IANA registry define.
CLOSE_CODES: dict[int, CloseCodeInfo] = {
    int(code): CloseCodeInfo(int(code), getattr(code, "name", ""), is_sendable(code), meaning)
    for code, meaning in _MEANINGS.items()
}

_RANGES = [
    ("0-999", "not used"),
    ("1016-2999", "reserved for future revisions of the protocol and extensions"),
    ("3000-3999", "registered with IANA by libraries, frameworks and applications"),
    ("4000-4999", "private use: agree on meanings between your own client and server"),
]


def _low(span: str) -> int:
    return int(span.partition("-")[0])


def explain(code: int) -> str:
    """What ``code`` means and whether it may be sent in a close frame."""
    sent = "may be sent" if is_sendable(code) else "may NOT be sent on the wire"
    info = CLOSE_CODES.get(code)
    if info is not None:
        return f"{code} {info.name or 'reserved'}: {info.meaning} ({sent})"
    for span, meaning in _RANGES:
        low, high = (int(x) for x in span.split("-"))
        if low <= code <= high:
            return f"{code}: {meaning} ({sent})"
    return f"{code}: not a close code (they are 0-4999)"


@dataclass(repr=False)
class CloseCodeTable(Shown):
    """The close codes as a table: ``print()`` it, or show it in Jupyter."""

    rows: list[tuple[str, str, bool, str]]

    def _summary(self) -> str:
        return f"{len(self.rows)} rows"

    def __str__(self) -> str:
        lines = [f"{'code':<10} {'name':<20} {'on wire':<8} meaning"]
        lines += [f"{c:<10} {n:<20} {'yes' if w else 'NO':<8} {m}" for c, n, w, m in self.rows]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = "".join(f"<th style='{CELL}'>{h}</th>" for h in ("code", "name", "on the wire", "meaning"))
        body = "".join(
            f"<tr><td style='{CELL}'><b>{c}</b></td><td style='{CELL}'>{html.escape(n)}</td>"
            f"<td style='{CELL}'>{'yes' if w else '<b>never sent</b>'}</td>"
            f"<td style='{CELL}'>{html.escape(m)}</td></tr>"
            for c, n, w, m in self.rows
        )
        return f"<div style='{BOX}'><table style='{TABLE}'><tr>{head}</tr>{body}</table></div>"


def close_codes() -> CloseCodeTable:
    """Every registered close code and the ranges around them (RFC 6455 §7.4)."""
    rows = [(str(i.code), i.name, i.on_wire, i.meaning) for i in CLOSE_CODES.values()]
    rows += [(span, "", is_sendable(_low(span)), meaning) for span, meaning in _RANGES]
    return CloseCodeTable(rows)
