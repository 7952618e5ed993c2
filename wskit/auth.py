"""Auth hooks for servers: a shared token checked in constant time.

``WebsocketServerParams(auth=wskit.auth.token_auth("s3cret"))`` accepts a
client that presents the token as ``?token=...``, an ``Authorization: Bearer
...`` header, or (when named) a cookie, and refuses everyone else before the
upgrade with HTTP 401. The comparison is :func:`hmac.compare_digest`, whose
time does not depend on where the first wrong character is, so the token
cannot be guessed one character at a time by timing refusals.

Cookies ride along with every request a browser makes, including a socket
opened by a page on another site (cross-site WebSocket hijacking): a server
that authenticates by cookie must also set ``WebsocketServerParams(origins=[...])``
to the pages allowed to connect.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from .transports import HTTPReject, WebSocketException

if TYPE_CHECKING:
    from .transports import Connection

__all__ = ["bearer_token", "same_secret", "token_auth"]


def same_secret(given: str | bytes | None, expected: str | bytes) -> bool:
    """True when ``given`` equals ``expected``, compared in constant time (``None`` never matches)."""
    if given is None:
        return False
    a = given.encode() if isinstance(given, str) else given
    b = expected.encode() if isinstance(expected, str) else expected
    return hmac.compare_digest(a, b)


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header value (RFC 6750 §2.1), else ``None``."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def token_auth(
    expected: str | bytes | Sequence[str | bytes],
    *,
    query: str | None = "token",
    header: bool = True,
    cookie: str | None = None,
    close_code: int | None = None,
) -> Callable[[Connection], str]:
    """An auth hook accepting clients that present one of the ``expected`` tokens.

    Args:
        expected: the token, or several (e.g. during a rotation).
        query: query parameter to read (``None``: not from the query string).
        header: also read ``Authorization: Bearer <token>``.
        cookie: cookie to read (``None``: not from cookies). Pair it with
            ``origins=[...]``: browsers send cookies cross-site.
        close_code: ``None`` refuses with HTTP 401 before the upgrade; a code
            (say 1008) accepts the upgrade and closes at once, for clients
            that cannot see HTTP statuses (browsers cannot).

    Returns:
        A hook for ``WebsocketServerParams(auth=...)`` or ``@server.route(..., auth=...)``;
        ``websocket.auth`` is then where the token came from (``"query"``,
        ``"header"`` or ``"cookie"``). Every candidate is compared with every
        expected token, so the time taken does not say which one matched.
    """
    tokens = [expected] if isinstance(expected, (str, bytes)) else list(expected)
    if not tokens or any(not t for t in tokens):
        raise ValueError("token_auth needs at least one non-empty token")

    def check(websocket: Connection) -> str:
        candidates = []
        if query is not None:
            candidates.append(("query", websocket.query_params.get(query)))
        if header:
            candidates.append(("header", bearer_token(websocket.headers.get("authorization"))))
        if cookie is not None:
            candidates.append(("cookie", websocket.cookies.get(cookie)))
        found = None
        for source, given in candidates:
            ok = False
            for token in tokens:
                ok |= same_secret(given, token)
            if ok and found is None:
                found = source
        if found is not None:
            return found
        if close_code is not None:
            raise WebSocketException(close_code, "invalid or missing token")
        raise HTTPReject(401, "invalid or missing token")

    return check
