"""Peer text made safe for a terminal: control characters shown escaped, one message one line.

A peer controls the text of its messages, close reasons and header lines. Printed
raw, ``"\\x1b]0;pwned\\x07\\x1b[2J"`` retitles the window and clears the screen, and an
embedded newline forges a line of our own output. Every command that prints peer text
passes it through :func:`printable` first, which shows control characters the way
``repr`` does (``\\x1b``, ``\\n``, ``\\t``) and leaves every other character alone. The
same applies to the log records a command prints (:class:`TerminalLogHandler`).
"""

from __future__ import annotations

import logging
import re
import sys
from typing import TextIO

__all__ = ["TerminalLogHandler", "printable"]

# C0 and C1 controls and DEL; the line and paragraph separators, which some terminals and
# most editors break lines at; the bidirectional overrides and isolates, which reorder what
# is shown (CVE-2021-42574, "Trojan Source"); lone surrogates, which cannot be encoded.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_UNSAFE_KEEP_NEWLINES = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    return repr(match[0])[1:-1]


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with control characters escaped as ``repr`` shows them.

    >>> printable("\\x1b]0;pwned\\x07\\x1b[2J")
    '\\\\x1b]0;pwned\\\\x07\\\\x1b[2J'
    >>> printable("two\\nlines")
    'two\\\\nlines'

    Args:
        text: text that came (at least in part) from a peer.
        keep_newlines: leave ``"\\n"`` as it is, for text whose line breaks are
            ours (pretty-printed JSON, a traceback); every other control
            character is still escaped.
    """
    return (_UNSAFE_KEEP_NEWLINES if keep_newlines else _UNSAFE).sub(_escape, text)


class TerminalLogHandler(logging.StreamHandler[TextIO]):
    """Prints ``wskit``'s log records on stderr as ``PREFIX: level: message``, escaped.

    Log records quote peers (a malformed header line, a close reason): the
    message is one line with its control characters escaped, and a traceback
    keeps its own line breaks but nothing else a terminal would act on.
    """

    def __init__(self, prefix: str, stream: TextIO | None = None) -> None:
        super().__init__(stream if stream is not None else sys.stderr)
        self.prefix = prefix

    def format(self, record: logging.LogRecord) -> str:
        line = f"{self.prefix}: {record.levelname.lower()}: {printable(record.getMessage())}"
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            line += "\n" + printable(record.exc_text, keep_newlines=True)
        return line

    @classmethod
    def install(cls, prefix: str, level: int = logging.WARNING) -> TerminalLogHandler:
        """Attach one handler to the ``wskit`` logger (replacing an earlier one); returns it."""
        logger = logging.getLogger("wskit")
        for handler in [h for h in logger.handlers if isinstance(h, cls)]:
            logger.removeHandler(handler)
        handler = cls(prefix)
        handler.setLevel(level)
        logger.addHandler(handler)
        return handler
