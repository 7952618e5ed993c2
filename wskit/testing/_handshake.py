"""What a cassette keeps of an opening handshake (RFC 6455 §4.1), and how a replay fills it back in.

A cassette keeps the request path, the query, the subprotocol and the request
headers a test may need; the handshake's own mechanics (``Host``,
``Upgrade``, ``Sec-WebSocket-Key`` …) and a browser's noise (``User-Agent``,
``Accept-Language`` …) are left out. Secrets are masked with
:mod:`wskit.redact`: a query parameter or header whose name says it is a
secret is stored as ``***``. A replay fills masked values from its
``secrets`` argument, by name, and refuses to send a literal ``***``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

from ..redact import MASK, is_secret
from ._conversation import Handshake

__all__ = [
    "MissingSecret",
    "fill_headers",
    "fill_target",
    "handshake_of",
    "keep_headers",
    "mask_query",
    "query_matches",
]

# The handshake's mechanics (RFC 6455 §4.1, RFC 7692) and what browsers add on their own.
_LEFT_OUT = frozenset(
    {
        "host",
        "upgrade",
        "connection",
        "sec-websocket-key",
        "sec-websocket-version",
        "sec-websocket-extensions",
        "sec-websocket-accept",
        "sec-websocket-protocol",  # kept as Handshake.subprotocol
        "user-agent",
        "accept-encoding",
        "accept-language",
        "cache-control",
        "pragma",
        "content-length",
    }
)


class MissingSecret(ValueError):
    """A replay needs a value the cassette masked (``***``); pass it in ``secrets``."""


def mask_query(query: str) -> str:
    """``query`` with the values of secret parameters (``token``, ``api_key`` …) replaced by ``***``."""
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True)
    if not any(is_secret(k) for k, _ in pairs):
        return query
    return urlencode([(k, MASK if is_secret(k) else v) for k, v in pairs], safe="*")


def keep_headers(headers: Iterable[tuple[str, str]] | Mapping[str, str]) -> dict[str, str]:
    """The request headers worth keeping, lower-case names, secrets masked; repeats joined with ``, ``."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    kept: dict[str, str] = {}
    for name, value in items:
        key = name.lower()
        if key in _LEFT_OUT or key.startswith(":"):  # ":authority" and friends from HTTP/2 tools
            continue
        value = MASK if is_secret(key) else value
        kept[key] = f"{kept[key]}, {value}" if key in kept else value
    return kept


def handshake_of(conn: Any) -> Handshake:
    """The :class:`Handshake` of a live wskit connection (either side), from websockets' request and response."""
    ws = conn.websocket
    request = ws.request
    target = request.path if request is not None else conn.url.path
    path, _, query = target.partition("?")
    response = ws.response
    return Handshake(
        path=path or "/",
        query=mask_query(query),
        subprotocol=conn.subprotocol,
        headers=keep_headers(request.headers.raw_items()) if request is not None else {},
        status=response.status_code if response is not None else 101,
    )


def fill_target(handshake: Handshake, secrets: Mapping[str, str] | None) -> str:
    """The request target (path and query) to send, masked query values filled from ``secrets``.

    Raises:
        MissingSecret: a masked value has no entry in ``secrets``.
    """
    given = {k.lower(): v for k, v in (secrets or {}).items()}
    pairs = []
    for name, value in parse_qsl(handshake.query, keep_blank_values=True):
        if value == MASK:
            if name.lower() not in given:
                raise MissingSecret(
                    f"the cassette masked the query parameter {name!r}: pass secrets={{{name!r}: ...}} to replay it"
                )
            value = given[name.lower()]
        pairs.append((name, value))
    query = urlencode(pairs) if pairs else ""
    return f"{handshake.path}?{query}" if query else handshake.path


def fill_headers(handshake: Handshake, secrets: Mapping[str, str] | None) -> dict[str, str]:
    """The request headers to send, masked values filled from ``secrets`` (by header name).

    Raises:
        MissingSecret: a masked value has no entry in ``secrets``.
    """
    given = {k.lower(): v for k, v in (secrets or {}).items()}
    headers = {}
    for name, value in handshake.headers.items():
        if value == MASK:
            if name not in given:
                raise MissingSecret(
                    f"the cassette masked the {name!r} header: pass secrets={{{name!r}: ...}} to replay it"
                )
            value = given[name]
        headers[name] = value
    return headers


def query_matches(recorded: str, got: str) -> bool:
    """Whether a request's query is the recorded one: same names and values, masked values matching any."""
    want = sorted(parse_qsl(recorded, keep_blank_values=True), key=lambda pair: pair[0])
    have = sorted(parse_qsl(got, keep_blank_values=True), key=lambda pair: pair[0])
    if [k for k, _ in want] != [k for k, _ in have]:
        return False
    return all(w in (MASK, h) for (_, w), (_, h) in zip(want, have, strict=True))
