"""Masking secrets before they reach a repr, a log line, an event or a close reason.

Tokens travel in query strings (``?token=...``), ``Authorization`` headers,
cookies and URL user-info; all of them end up in messages people paste into
issues and notebooks they share. One helper masks them everywhere, so a
secret is shown as ``***`` wherever wskit prints, logs or reports it. The
real values stay available to the code that needs them
(``websocket.query_params``, ``websocket.headers``, ``client.uri``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["MASK", "RedactingFilter", "is_secret", "mask_headers", "mask_text", "mask_url", "mask_value"]

MASK = "***"

# Names whose values are secrets: query parameters, header names, form fields.
_SECRET_NAME = re.compile(
    r"(token|passw(or)?d|pwd|secret|api[-_]?key|apikey|auth|credential|session|cookie|signature|sig$|jwt)",
    re.IGNORECASE,
)
# URLs in text; name=value / "Name: value" pairs (query strings, cookies, headers in log
# text), where the value may be "Bearer xyz"; a lone "Bearer xyz"; URL user:password@.
_URL = re.compile(r"\b[a-z][a-z0-9+.\-]*://[^\s'\"<>]+", re.IGNORECASE)
_PAIR = re.compile(
    r"(?P<name>[A-Za-z0-9_.\-]+)(?P<sep>=|:\s*)(?P<value>(?:(?:Bearer|Basic|Token|Digest)\s+)?[^\s&;,:'\"<>]+)",
    re.IGNORECASE,
)
# "scheme://user:password@" in a URL too malformed to parse
_USERINFO = re.compile(r"(://[^/\s:@]*:)[^/\s@]*@")
# the credential after a scheme word must look like one (a digit or token punctuation, or 16+
# letters), so that prose such as "token required" or "bearer authentication failed" stays as written
_SCHEME_AUTH = re.compile(
    r"\b(?P<scheme>Bearer|Basic|Token|Digest)\s+"
    r"(?P<value>(?=[A-Za-z]*[0-9._~+/=\-])[A-Za-z0-9._~+/=\-]+|[A-Za-z]{16,})",
    re.IGNORECASE,
)


def is_secret(name: str) -> bool:
    """True if a parameter, header or cookie called ``name`` holds a secret."""
    return bool(_SECRET_NAME.search(name))


def mask_value(name: str, value: str) -> str:
    """``value``, or ``***`` when ``name`` says it is a secret."""
    return MASK if is_secret(name) else value


def mask_url(url: str) -> str:
    """``url`` with secret query values and a user-info password replaced by ``***``."""
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed "[" (IPv6): mask what looks secret, without parsing it as a URL
        head, mark, query = url.partition("?")
        return _USERINFO.sub(rf"\g<1>{MASK}@", head) + mark + _mask_pairs(query)
    netloc = parts.netloc
    if "@" in netloc and ":" in netloc.rpartition("@")[0]:
        user = netloc.rpartition("@")[0].partition(":")[0]
        netloc = f"{user}:{MASK}@{netloc.rpartition('@')[2]}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(is_secret(k) for k, _ in pairs):
            query = urlencode([(k, mask_value(k, v)) for k, v in pairs], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def mask_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Header pairs with the values of ``Authorization``, ``Cookie`` and other secret headers masked."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    return [(k, MASK if is_secret(k) else v) for k, v in items]


def mask_text(text: str) -> str:
    """Free text (an error message, a close reason) with secrets that look like secrets masked:
    ``token=abc`` / ``password: abc`` pairs, ``Bearer abc``, and ``user:password@`` in URLs."""
    if not text:
        return text
    return _mask_pairs(_URL.sub(_mask_url_match, text))


def _mask_pairs(text: str) -> str:
    """``name=secret`` / ``Name: secret`` pairs and ``Bearer secret`` masked (no URL parsing)."""
    text = _PAIR.sub(lambda m: f"{m['name']}{m['sep']}{MASK}" if is_secret(m["name"]) else m[0], text)
    return _SCHEME_AUTH.sub(lambda m: f"{m['scheme']} {MASK}", text)


def _mask_url_match(match: re.Match[str]) -> str:
    url = match[0]
    stripped = url.rstrip(":,.;)]}")  # punctuation after a URL in a sentence
    return mask_url(stripped) + url[len(stripped) :]


class RedactingFilter(logging.Filter):
    """Masks what a log record carries: its message and its traceback text.

    Installed on the ``wskit`` logger when this module is imported, so every
    record wskit logs (an error from a user's handler whose exception names a
    token, a peer's header line quoted in a warning) reaches the handlers with
    its secrets already masked, whatever formatter prints it. The traceback is
    formatted once here and kept, masked, as ``record.exc_text``, which
    :class:`logging.Formatter` uses as it is.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_wskit_masked", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: mask what there is
            message = f"{record.msg} {record.args}"
        record.msg, record.args = mask_text(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = mask_text(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        record._wskit_masked = True
        return True


def _install(logger: logging.Logger) -> None:
    """Add one :class:`RedactingFilter` to ``logger`` (once, however often this module is reloaded)."""
    if not any(type(f).__name__ == RedactingFilter.__name__ for f in logger.filters):
        logger.addFilter(RedactingFilter())


_install(logging.getLogger("wskit"))
