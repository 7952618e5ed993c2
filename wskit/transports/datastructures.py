"""Small request-side value types in Starlette's vocabulary.

They let a handler written for a FastAPI/Starlette endpoint read
``websocket.query_params["token"]`` or ``websocket.url.path`` unchanged.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from typing import NamedTuple
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit

__all__ = ["URL", "Address", "QueryParams", "WebSocketState", "parse_cookies"]


class WebSocketState(enum.Enum):
    """Where one side of a connection is (Starlette's ``WebSocketState``)."""

    CONNECTING = 0
    CONNECTED = 1
    DISCONNECTED = 2
    RESPONSE = 3


class Address(NamedTuple):
    """The peer's ``(host, port)``."""

    host: str
    port: int


class URL(str):
    """A URL string with its parts as properties (``url.path``, ``url.query`` …)."""

    __slots__ = ()

    @property
    def _split(self) -> SplitResult:
        return urlsplit(self)

    @property
    def scheme(self) -> str:
        return self._split.scheme

    @property
    def netloc(self) -> str:
        return self._split.netloc

    @property
    def hostname(self) -> str | None:
        return self._split.hostname

    @property
    def port(self) -> int | None:
        return self._split.port

    @property
    def path(self) -> str:
        return self._split.path or "/"

    @property
    def query(self) -> str:
        return self._split.query


class QueryParams(Mapping[str, str]):
    """Read-only query string parameters; the last value wins, ``getlist`` gives all."""

    def __init__(self, query: str = "") -> None:
        self._items: list[tuple[str, str]] = parse_qsl(query, keep_blank_values=True)
        self._last = dict(self._items)

    def __getitem__(self, key: str) -> str:
        return self._last[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._last)

    def __len__(self) -> int:
        return len(self._last)

    def getlist(self, key: str) -> list[str]:
        """Every value given for ``key``, in order."""
        return [v for k, v in self._items if k == key]

    def multi_items(self) -> list[tuple[str, str]]:
        return list(self._items)

    def __str__(self) -> str:
        return urlencode(self._items)

    def __repr__(self) -> str:
        return f"QueryParams({str(self)!r})"


def parse_cookies(header: str) -> dict[str, str]:
    """Parse a ``Cookie`` header leniently, as browsers send it (RFC 6265 §5.4).

    Unlike :class:`http.cookies.SimpleCookie` this never rejects the whole
    header for one odd cookie.
    """
    cookies: dict[str, str] = {}
    for chunk in header.split(";"):
        key, sep, value = chunk.partition("=")
        if not sep:
            key, value = "", key
        key, value = key.strip(), value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        if key or value:
            cookies[key] = value
    return cookies
