"""Close codes (RFC 6455 §7.4): what each means, who may send it, where it is defined.

:func:`close_codes` is the table of registered codes 1000-1015 and the
ranges around them; :func:`explain` says what one code means; and
:func:`close_with` makes a live connection close with a chosen code, so one
can watch the close frames cross and what each side reports afterwards.
Whether a code may be sent is :func:`wskit.closecodes.is_sendable`'s answer
(websockets' own check); the table's ``on_wire`` column is built from it.

RFC 6455 §7.4.1 defines 1000-1011 and 1015 (1004 reserved); 1012, 1013 and
1014 were added later to IANA's "WebSocket Close Code Number Registry"
(§11.7), which is the list every library implements.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Literal

from ..closecodes import is_sendable
from ._display import BOX, CELL, TABLE, Shown

__all__ = ["CLOSE_CODES", "CONVENTIONS", "CloseCodeInfo", "CloseCodeTable", "close_codes", "explain"]

RFC = "RFC 6455 §7.4.1"
IANA = "IANA registry"


@dataclass(frozen=True)
class CloseCodeInfo:
    """One registered close code.

    Attributes:
        code: the number.
        name: websockets' ``CloseCode`` name.
        on_wire: whether an endpoint may put it in a close frame. 1005, 1006
            and 1015 are only *reported* by an endpoint, never sent (§7.4.1).
        meaning: when it is used.
        defined_in: ``"RFC 6455 §7.4.1"`` or ``"IANA registry"`` (1012-1014).
        sent_by: who may send it: ``"either"`` endpoint, ``"client"`` only
            (1010: a server that lacks an extension fails the handshake
            instead, §7.4.1), or ``"none"`` for codes never sent.
    """

    code: int
    name: str
    on_wire: bool
    meaning: str
    defined_in: str = RFC
    sent_by: Literal["either", "client", "none"] = "either"


#: The codes RFC 6455 §7.4.1 and the IANA registry define.
CLOSE_CODES: dict[int, CloseCodeInfo] = {
    info.code: info
    for info in [
        CloseCodeInfo(1000, "NORMAL_CLOSURE", True, "normal closure: the purpose of the connection is fulfilled"),
        CloseCodeInfo(1001, "GOING_AWAY", True, "going away: a server shutting down, a browser leaving the page"),
        CloseCodeInfo(
            1002, "PROTOCOL_ERROR", True, "protocol error: the peer broke a rule of the protocol (framing or otherwise)"
        ),
        CloseCodeInfo(
            1003,
            "UNSUPPORTED_DATA",
            True,
            "unsupported data: a type of data it cannot accept, e.g. binary where only text is",
        ),
        CloseCodeInfo(1004, "", False, "reserved: no meaning yet; never sent", sent_by="none"),
        CloseCodeInfo(
            1005,
            "NO_STATUS_RCVD",
            False,
            "no status received: reported when the close frame carried no code",
            sent_by="none",
        ),
        CloseCodeInfo(
            1006,
            "ABNORMAL_CLOSURE",
            False,
            "abnormal closure: reported when the connection closed with no close frame received (e.g. TCP dropped)",
            sent_by="none",
        ),
        CloseCodeInfo(
            1007,
            "INVALID_DATA",
            True,
            "invalid payload data: data inconsistent with the message type, e.g. text not UTF-8",
        ),
        CloseCodeInfo(1008, "POLICY_VIOLATION", True, "policy violation: generic refusal, e.g. failed authentication"),
        CloseCodeInfo(1009, "MESSAGE_TOO_BIG", True, "message too big to process"),
        CloseCodeInfo(
            1010,
            "MANDATORY_EXTENSION",
            True,
            "mandatory extension: the server did not negotiate an extension the client needs",
            sent_by="client",
        ),
        CloseCodeInfo(
            1011, "INTERNAL_ERROR", True, "internal error: an unexpected condition prevented fulfilling the request"
        ),
        CloseCodeInfo(1012, "SERVICE_RESTART", True, "service restart: reconnect soon", IANA),
        CloseCodeInfo(1013, "TRY_AGAIN_LATER", True, "try again later: overloaded, e.g. too many clients", IANA),
        CloseCodeInfo(1014, "BAD_GATEWAY", True, "bad gateway: a proxy got an invalid answer upstream", IANA),
        CloseCodeInfo(1015, "TLS_HANDSHAKE", False, "TLS handshake failure: reported, never sent", sent_by="none"),
    ]
}

# what the table says may be sent is what websockets (and so every wskit side) lets through
assert all(info.on_wire == is_sendable(code) for code, info in CLOSE_CODES.items())

#: Conventions of libraries rather than of the RFC, by code.
CONVENTIONS: dict[int, str] = {
    1011: "websockets also closes with 1011 'keepalive ping timeout' when a ping goes unanswered: "
    "its convention, not the RFC's",
}

_RANGES = [
    ("0-999", False, "RFC 6455 §7.4.2", "not used"),
    ("1016-2999", False, "RFC 6455 §7.4.2", "reserved for future revisions of the protocol and extensions"),
    ("3000-3999", True, "RFC 6455 §7.4.2", "registered with IANA by libraries, frameworks and applications"),
    ("4000-4999", True, "RFC 6455 §7.4.2", "private use: agree on meanings between your own client and server"),
]


def _may_send(info: CloseCodeInfo) -> str:
    if not info.on_wire:
        return "may NOT be sent on the wire"
    if info.sent_by == "client":
        return "may be sent by a client only"
    return "may be sent"


def explain(code: int) -> str:
    """What ``code`` means, who may send it, and where it is defined."""
    info = CLOSE_CODES.get(code)
    if info is not None:
        note = CONVENTIONS.get(code)
        extra = f"; {note}" if note else ""
        return f"{code} {info.name or 'reserved'}: {info.meaning} ({_may_send(info)}; {info.defined_in}{extra})"
    for span, on_wire, _source, meaning in _RANGES:
        low, high = (int(x) for x in span.split("-"))
        if low <= code <= high:
            return f"{code}: {meaning} ({'may be sent' if on_wire else 'may NOT be sent on the wire'})"
    return f"{code}: not a close code (they are 0-4999)"


@dataclass(repr=False)
class CloseCodeTable(Shown):
    """The close codes as a table: ``print()`` it, or show it in Jupyter.

    Attributes:
        rows: ``(code, name, sent, defined in, meaning)``; ``sent`` is
            ``"yes"``, ``"client only"`` or ``"never"``.
    """

    rows: list[tuple[str, str, str, str, str]]

    def _summary(self) -> str:
        return f"{len(self.rows)} rows"

    def __str__(self) -> str:
        lines = [f"{'code':<10} {'name':<20} {'sent':<12} {'defined in':<16} meaning"]
        lines += [f"{c:<10} {n:<20} {w:<12} {d:<16} {m}" for c, n, w, d, m in self.rows]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = "".join(
            f"<th style='{CELL}'>{h}</th>" for h in ("code", "name", "sent on the wire", "defined in", "meaning")
        )
        body = "".join(
            f"<tr><td style='{CELL}'><b>{c}</b></td><td style='{CELL}'>{html.escape(n)}</td>"
            f"<td style='{CELL}'>{'<b>never</b>' if w == 'never' else html.escape(w)}</td>"
            f"<td style='{CELL}'>{html.escape(d)}</td><td style='{CELL}'>{html.escape(m)}</td></tr>"
            for c, n, w, d, m in self.rows
        )
        return f"<div style='{BOX}'><table style='{TABLE}'><tr>{head}</tr>{body}</table></div>"


def _sent(info: CloseCodeInfo) -> str:
    return "never" if not info.on_wire else "client only" if info.sent_by == "client" else "yes"


def close_codes() -> CloseCodeTable:
    """Every registered close code and the ranges around them (RFC 6455 §7.4, IANA)."""
    rows = [(str(i.code), i.name, _sent(i), i.defined_in, i.meaning) for i in CLOSE_CODES.values()]
    rows += [(span, "", "yes" if on_wire else "never", source, meaning) for span, on_wire, source, meaning in _RANGES]
    return CloseCodeTable(rows)
