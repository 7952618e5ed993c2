"""Close codes (RFC 6455 §7.4): what each means and which may go on the wire.

:func:`close_codes` is the table of registered codes 1000-1015 and the
ranges around them; :func:`explain` says what one code means; and
:func:`close_with` makes a live connection close with a chosen code, so one
can watch the close frames cross and what each side reports afterwards.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from .anatomy import _BOX, _CELL, _TABLE, _Shown

if TYPE_CHECKING:
    from .demos import Report

__all__ = ["CLOSE_CODES", "CloseCodeInfo", "CloseCodeTable", "close_codes", "close_with", "explain"]


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


#: The codes RFC 6455 §7.4.1 and the IANA registry define.
CLOSE_CODES: dict[int, CloseCodeInfo] = {
    info.code: info
    for info in [
        CloseCodeInfo(1000, "NORMAL_CLOSURE", True, "normal closure: the purpose of the connection is fulfilled"),
        CloseCodeInfo(1001, "GOING_AWAY", True, "going away: a server shutting down, a browser leaving the page"),
        CloseCodeInfo(1002, "PROTOCOL_ERROR", True, "protocol error: the peer broke a framing rule"),
        CloseCodeInfo(1003, "UNSUPPORTED_DATA", True, "unsupported data: e.g. binary sent to a text-only endpoint"),
        CloseCodeInfo(1004, "", False, "reserved: no meaning yet; never sent"),
        CloseCodeInfo(
            1005, "NO_STATUS_RCVD", False, "no status received: reported when the close frame carried no code"
        ),
        CloseCodeInfo(
            1006,
            "ABNORMAL_CLOSURE",
            False,
            "abnormal closure: reported when the TCP connection dropped without a close frame",
        ),
        CloseCodeInfo(1007, "INVALID_DATA", True, "invalid payload data: e.g. a text message that is not UTF-8"),
        CloseCodeInfo(1008, "POLICY_VIOLATION", True, "policy violation: generic refusal, e.g. failed authentication"),
        CloseCodeInfo(1009, "MESSAGE_TOO_BIG", True, "message too big to process"),
        CloseCodeInfo(1010, "MANDATORY_EXTENSION", True, "a client needed an extension the server did not negotiate"),
        CloseCodeInfo(1011, "INTERNAL_ERROR", True, "internal error: an unexpected condition (also keepalive timeout)"),
        CloseCodeInfo(1012, "SERVICE_RESTART", True, "service restart: reconnect soon"),
        CloseCodeInfo(1013, "TRY_AGAIN_LATER", True, "try again later: overloaded, e.g. too many clients"),
        CloseCodeInfo(1014, "BAD_GATEWAY", True, "bad gateway: a proxy got an invalid answer upstream"),
        CloseCodeInfo(1015, "TLS_HANDSHAKE", False, "TLS handshake failure: reported, never sent"),
    ]
}

_RANGES = [
    ("0-999", False, "not used"),
    ("1016-2999", False, "reserved for future revisions of the protocol and extensions"),
    ("3000-3999", True, "registered with IANA by libraries, frameworks and applications"),
    ("4000-4999", True, "private use: agree on meanings between your own client and server"),
]


def explain(code: int) -> str:
    """What ``code`` means and whether it may be sent in a close frame."""
    info = CLOSE_CODES.get(code)
    if info is not None:
        sent = "may be sent" if info.on_wire else "may NOT be sent on the wire"
        return f"{code} {info.name or 'reserved'}: {info.meaning} ({sent})"
    for span, on_wire, meaning in _RANGES:
        low, high = (int(x) for x in span.split("-"))
        if low <= code <= high:
            return f"{code}: {meaning} ({'may be sent' if on_wire else 'may NOT be sent on the wire'})"
    return f"{code}: not a close code (they are 0-4999)"


@dataclass(repr=False)
class CloseCodeTable(_Shown):
    """The close codes as a table: ``print()`` it, or show it in Jupyter."""

    rows: list[tuple[str, str, bool, str]]

    def _summary(self) -> str:
        return f"{len(self.rows)} rows"

    def __str__(self) -> str:
        lines = [f"{'code':<10} {'name':<20} {'on wire':<8} meaning"]
        lines += [f"{c:<10} {n:<20} {'yes' if w else 'NO':<8} {m}" for c, n, w, m in self.rows]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = "".join(f"<th style='{_CELL}'>{h}</th>" for h in ("code", "name", "on the wire", "meaning"))
        body = "".join(
            f"<tr><td style='{_CELL}'><b>{c}</b></td><td style='{_CELL}'>{html.escape(n)}</td>"
            f"<td style='{_CELL}'>{'yes' if w else '<b>never sent</b>'}</td>"
            f"<td style='{_CELL}'>{html.escape(m)}</td></tr>"
            for c, n, w, m in self.rows
        )
        return f"<div style='{_BOX}'><table style='{_TABLE}'><tr>{head}</tr>{body}</table></div>"


def close_codes() -> CloseCodeTable:
    """Every registered close code and the ranges around them (RFC 6455 §7.4)."""
    rows = [(str(i.code), i.name, i.on_wire, i.meaning) for i in CLOSE_CODES.values()]
    rows += [(span, "", on_wire, meaning) for span, on_wire, meaning in _RANGES]
    return CloseCodeTable(rows)


async def close_with(
    code: int, reason: str = "", *, by: Literal["server", "client"] = "server", timeout: float = 5.0
) -> Report:
    """Open a fresh server and client, close with ``code`` from one side, report both sides.

    1006 is not sent: the closing side drops the TCP connection without a
    close frame, which is how a peer comes to report 1006. 1005 is not sent
    either: with ``by="client"`` a raw client sends a close frame with no
    code, which the server reports as 1005. Other codes that may not be sent
    (1015, 1004, 1016-2999) raise ``ValueError``.

    Returns:
        a :class:`~wskit.wire.demos.Report`: the close frames on the wire and
        the ``close_code``/``close_reason`` each side reports.
    """
    from .demos import close_demo

    return await close_demo(code, reason, by=by, timeout=timeout)
