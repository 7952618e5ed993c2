"""The opening handshake (RFC 6455 §4): an HTTP/1.1 upgrade, seen header by header.

:func:`accept_key` computes ``Sec-WebSocket-Accept`` from the client's
``Sec-WebSocket-Key`` (§4.2.2). :func:`handshake` shows the request and the
response of a live wskit connection side by side, with what each header is
for. websockets keeps both on every connection (``.request``, ``.response``),
on the server side as on the client side.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from websockets.utils import accept_key as _ws_accept_key

from ..redact import MASK, is_secret, mask_text, mask_url
from ._display import BOX, CELL, TABLE, Shown
from ._tap import Tappable

__all__ = [
    "HEADER_MEANINGS",
    "RFC_REQUEST",
    "RFC_RESPONSE",
    "Handshake",
    "RawExchange",
    "accept_key",
    "handshake",
    "raw_exchange",
]

#: The client's handshake of RFC 6455 §1.2, byte for byte (CRLF line ends).
RFC_REQUEST = (
    b"GET /chat HTTP/1.1\r\n"
    b"Host: server.example.com\r\n"
    b"Upgrade: websocket\r\n"
    b"Connection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    b"Origin: http://example.com\r\n"
    b"Sec-WebSocket-Protocol: chat, superchat\r\n"
    b"Sec-WebSocket-Version: 13\r\n"
    b"\r\n"
)

#: The server's answer in RFC 6455 §1.2 (its accept value is worked out in §1.3).
RFC_RESPONSE = (
    b"HTTP/1.1 101 Switching Protocols\r\n"
    b"Upgrade: websocket\r\n"
    b"Connection: Upgrade\r\n"
    b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
    b"Sec-WebSocket-Protocol: chat\r\n"
    b"\r\n"
)

#: What each handshake header does (lower-case names).
HEADER_MEANINGS: dict[str, str] = {
    "host": "which host the client wants; a server may refuse names it does not serve (§4.1)",
    "upgrade": "'websocket': asks to switch from HTTP to the WebSocket protocol (§4.1, §4.2.2)",
    "connection": "'Upgrade': this hop must act on the Upgrade header (§4.1)",
    "sec-websocket-key": "16 random bytes, base64: a nonce the server must turn into Sec-WebSocket-Accept (§4.1)",
    "sec-websocket-accept": "base64(SHA-1(key + 258EAFA5-E914-47DA-95CA-C5AB0DC85B11)): derived from the key, "
    "it proves the server understood a WebSocket request (§1.3, §4.2.2)",
    "sec-websocket-version": "protocol version; 13 is RFC 6455's (§4.1)",
    "sec-websocket-protocol": "subprotocols the client offers / the one the server chose (§1.9, §4.2.2)",
    "sec-websocket-extensions": "extensions offered / accepted, e.g. permessage-deflate (RFC 7692) (§9)",
    "origin": "the page's origin, set by browsers: servers check it against cross-site use (§10.2); "
    "any other client can write anything here, so it is not authentication",
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
        raw_request, raw_response: the bytes of both, as websockets wrote
            them (it serializes these same request and response objects
            onto the socket); :meth:`raw` shows them with secrets masked.
    """

    request_line: str
    status_line: str
    rows: list[tuple[str, str, str, str]]
    key: str
    accept: str
    raw_request: bytes = field(default=b"")
    raw_response: bytes = field(default=b"")

    def raw(self) -> str:
        """Both messages as text, CRLF shown as ``\\r\\n``, secret values masked."""
        return f"{_raw_text(self.raw_request)}\n{_raw_text(self.raw_response)}"

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


def _raw_text(data: bytes) -> str:
    """An HTTP head as lines ending in a visible ``\\r\\n``, secrets masked."""
    lines = []
    for line in data.decode("latin-1").split("\r\n")[:-1]:
        name, sep, value = line.partition(": ")
        if sep and value:
            line = f"{name}: {_shown_value(name, value)}"
        elif line.startswith("GET "):
            method, _, rest = line.partition(" ")
            target, _, version = rest.rpartition(" ")
            line = f"{method} {mask_url(target)} {version}"
        lines.append(line + "\\r\\n")
    return "\n".join(lines)


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
        raw_request=request.serialize(),
        raw_response=response.serialize(),
    )


@dataclass(repr=False)
class RawExchange(Shown):
    """An HTTP request written byte for byte and the server's answer, parsed by websockets.

    Attributes:
        request: the bytes sent.
        response: the bytes of the answer's head (status line and headers).
        status: the status code; ``reason`` the reason phrase.
        headers: the answer's headers, lower-case names, in order.
        body: the answer's body (websockets' error text, for a refusal).
    """

    request: bytes
    response: bytes
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        """One header's value (the first), or ``None``."""
        return next((v for k, v in self.headers if k == name.lower()), None)

    def __str__(self) -> str:
        body = self.body.decode(errors="replace").strip()
        return f"{_raw_text(self.request)}\n\n{_raw_text(self.response)}" + (f"\n{body}" if body else "")


async def raw_exchange(host: str, port: int, request: bytes, *, timeout: float = 5.0) -> RawExchange:
    """Write ``request`` as-is to ``host:port`` and read the answer (RFC 6455 §4).

    For looking at failed upgrades: a wrong ``Sec-WebSocket-Version``, a
    missing key, a plain ``GET``. The answer is parsed with websockets'
    Sans-I/O HTTP parser; a ``101`` answer is returned too (the connection
    is then closed without a word, which the server sees as a lost peer).
    """
    import asyncio

    from websockets.http11 import Response
    from websockets.streams import StreamReader

    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(request)
        async with asyncio.timeout(timeout):
            received = b""
            while b"\r\n\r\n" not in received:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                received += chunk
            head, sep, _ = received.partition(b"\r\n\r\n")
            stream = StreamReader()
            stream.feed_data(received)
            parser = Response.parse(stream.read_line, stream.read_exact, stream.read_to_eof)
            while True:
                try:
                    next(parser)
                except StopIteration as done:
                    response: Response = done.value
                    break
                chunk = await reader.read(65536)  # the parser wants more: the body
                if chunk:
                    stream.feed_data(chunk)
                else:
                    stream.feed_eof()
    finally:
        writer.close()
    return RawExchange(
        request=request,
        response=head + sep,
        status=response.status_code,
        reason=response.reason_phrase,
        headers=[(k.lower(), v) for k, v in response.headers.raw_items()],
        body=bytes(response.body or b""),
    )
