"""The opening handshake (RFC 6455 §4): an HTTP/1.1 upgrade, seen header by header.

:func:`accept_key` computes ``Sec-WebSocket-Accept`` from the client's
``Sec-WebSocket-Key`` (§4.2.2). :func:`handshake` shows the request and the
response of a live wskit connection side by side, with what each header is
for. websockets keeps both on every connection (``.request``, ``.response``),
on the server side as on the client side.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from websockets.utils import accept_key as _ws_accept_key

from ..redact import MASK, is_secret, mask_text, mask_url
from ._display import BOX, CELL, TABLE, Shown
from ._tap import Tappable

__all__ = ["HEADER_MEANINGS", "Handshake", "accept_key", "handshake"]

#: What each handshake header does (lower-case names).
HEADER_MEANINGS: dict[str, str] = {
    "host": "which host the client wants; a server may refuse names it does not serve (§4.1)",
    "upgrade": "'websocket': asks to switch from HTTP to the WebSocket protocol (§4.1, §4.2.2)",
    "connection": "'Upgrade': this hop must act on the Upgrade header (§4.1)",
    "sec-websocket-key": "16 random bytes, base64: proves the server understood a WebSocket request (§4.1)",
    "sec-websocket-accept": "base64(SHA-1(key + 258EAFA5-E914-47DA-95CA-C5AB0DC85B11)): the server's proof (§4.2.2)",
    "sec-websocket-version": "protocol version; 13 is RFC 6455's (§4.1)",
    "sec-websocket-protocol": "subprotocols the client offers / the one the server chose (§1.9, §4.2.2)",
    "sec-websocket-extensions": "extensions offered / accepted, e.g. permessage-deflate (RFC 7692) (§9)",
    "origin": "the page's origin (browsers send it): servers check it against cross-site use (§10.2)",
    "user-agent": "the client software (not required by the protocol)",
    "server": "the server software (not required by the protocol)",
    "date": "when the response was made (HTTP)",
    "cookie": "HTTP cookies, e.g. a session: one way to authenticate the upgrade",
    "authorization": "HTTP credentials, e.g. a bearer token: one way to authenticate the upgrade",
}


def accept_key(key: str) -> str:
    """``Sec-WebSocket-Accept`` for a ``Sec-WebSocket-Key`` (RFC 6455 §4.2.2).

    >>> accept_key("dGhlIHNhbXBsZSBub25jZQ==")
    's3pPLMBiTxaQ9kYGzzhZRbK+xOo='
    """
    return _ws_accept_key(key)


@dataclass(repr=False)
class Handshake(Shown):
    """The request and response of one opening handshake.

    The attributes hold the real values; what it shows (``str()``,
    ``_repr_html_()``) has secrets masked (:mod:`wskit.redact`): a
    ``?token=`` in the request line, ``Authorization`` and ``Cookie`` values.

    Attributes:
        request_line: e.g. ``GET /chat?x=1 HTTP/1.1``.
        status_line: e.g. ``HTTP/1.1 101 Switching Protocols``.
        rows: ``(header, request value, response value, meaning)`` per header.
        key, accept: ``Sec-WebSocket-Key`` and ``Sec-WebSocket-Accept``.
    """

    request_line: str
    status_line: str
    rows: list[tuple[str, str, str, str]]
    key: str
    accept: str

    @property
    def accept_ok(self) -> bool:
        """The server's accept value is the one the key calls for."""
        return bool(self.key) and accept_key(self.key) == self.accept

    def _shown_rows(self) -> list[tuple[str, str, str, str]]:
        """:attr:`rows` as displayed: secret header values as ``***``, secrets in other values masked."""
        return [
            (name, _shown_value(name, req), _shown_value(name, resp), meaning) for name, req, resp, meaning in self.rows
        ]

    @property
    def _shown_request_line(self) -> str:
        """:attr:`request_line` as displayed: secret query values as ``***``."""
        method, _, rest = self.request_line.partition(" ")
        target, _, version = rest.rpartition(" ")
        return f"{method} {mask_url(target)} {version}" if target else mask_text(self.request_line)

    def __str__(self) -> str:
        rows = self._shown_rows()
        w1 = max((len(r[0]) for r in rows), default=6)
        w2 = max((min(len(r[1]), 40) for r in rows), default=7)
        lines = [f"request:  {self._shown_request_line}", f"response: {self.status_line}", ""]
        lines.append(f"{'header':<{w1}}  {'request':<{w2}}  {'response'}")
        for name, req, resp, _meaning in rows:
            lines.append(f"{name:<{w1}}  {req[:40]:<{w2}}  {resp}")
        check = "matches" if self.accept_ok else "DOES NOT match"
        lines.append(f"\naccept_key({self.key!r}) = {accept_key(self.key)!r}: {check} the response")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = "".join(f"<th style='{CELL}'>{h}</th>" for h in ("header", "request", "response", "meaning"))
        body = "".join(
            f"<tr><td style='{CELL}'><b>{html.escape(n)}</b></td><td style='{CELL}'>{html.escape(q)}</td>"
            f"<td style='{CELL}'>{html.escape(r)}</td><td style='{CELL}'>{html.escape(m)}</td></tr>"
            for n, q, r, m in self._shown_rows()
        )
        check = "✔ matches" if self.accept_ok else "✘ does not match"
        return (
            f"<div style='{BOX}'><p><code>{html.escape(self._shown_request_line)}</code> → "
            f"<code>{html.escape(self.status_line)}</code></p><table style='{TABLE}'><tr>{head}</tr>{body}</table>"
            f"<p>accept_key(<code>{html.escape(self.key)}</code>) = <code>{html.escape(accept_key(self.key))}</code>: "
            f"{check} the response</p></div>"
        )


def _shown_value(name: str, value: str) -> str:
    if not value:
        return value
    return MASK if is_secret(name) else mask_text(value)


def _websocket(target: Any) -> Any:
    """The websockets connection behind a wskit connection or transport."""
    if hasattr(target, "protocol") and hasattr(target, "request"):
        return target  # already a websockets connection
    if hasattr(target, "websocket"):
        return target.websocket  # a wskit Connection
    conn = getattr(target, "connection", None)  # a client transport
    if conn is None:
        clients = getattr(target, "clients", ())  # a server transport: its oldest client
        conn = clients[0] if clients else None
    if conn is None:
        raise ValueError(f"{target!r} has no open connection to show the handshake of")
    return conn.websocket


def handshake(target: Tappable) -> Handshake:
    """The opening handshake of a live connection, header by header (RFC 6455 §4).

    Args:
        target: a wskit ``Connection``, a client transport (its connection), a
            server transport (its oldest client) or a websockets connection.
    """
    ws = _websocket(target)
    request, response = ws.request, ws.response
    if request is None or response is None:
        raise ValueError("the opening handshake has not completed on this connection")
    names: list[str] = []
    for name in [*request.headers.keys(), *response.headers.keys()]:
        if name.lower() not in [n.lower() for n in names]:
            names.append(name)
    rows = [
        (
            name,
            ", ".join(request.headers.get_all(name)),
            ", ".join(response.headers.get_all(name)),
            HEADER_MEANINGS.get(name.lower(), ""),
        )
        for name in names
    ]
    return Handshake(
        request_line=f"GET {request.path} HTTP/1.1",
        status_line=f"HTTP/1.1 {response.status_code} {response.reason_phrase}",
        rows=rows,
        key=request.headers.get("Sec-WebSocket-Key", ""),
        accept=response.headers.get("Sec-WebSocket-Accept", ""),
    )
