"""wskit.cli.terminal: peer text escaped for a terminal, exact vectors."""

from __future__ import annotations

import io
import logging

import pytest

from wskit.cli.terminal import TerminalLogHandler, printable


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("\x1b]0;pwned\x07\x1b[2J", "\\x1b]0;pwned\\x07\\x1b[2J"),
        ("two\nlines\r\n", "two\\nlines\\r\\n"),
        ("tab\there", "tab\\there"),
        ("C1 \x9b2J and DEL \x7f", "C1 \\x9b2J and DEL \\x7f"),
        ("bidi \u202eevil\u2066", "bidi \\u202eevil\\u2066"),
        ("sep\u2028x", "sep\\u2028x"),
        ("lone \ud800", "lone \\ud800"),
        ("héllo wörld → ✓ 日本", "héllo wörld → ✓ 日本"),
        ("a \\x1b typed by hand", "a \\x1b typed by hand"),
        ("", ""),
    ],
)
def test_printable(text: str, shown: str) -> None:
    assert printable(text) == shown


def test_printable_can_keep_our_own_line_breaks() -> None:
    assert printable('{\n  "a": "\x1b[2J"\n}', keep_newlines=True) == '{\n  "a": "\\x1b[2J"\n}'
    assert printable("a\r\nb", keep_newlines=True) == "a\\r\nb"


def test_log_handler_escapes_message_and_traceback() -> None:
    stream = io.StringIO()
    handler = TerminalLogHandler("wskit serve", stream)
    record = logging.LogRecord("wskit", logging.WARNING, __file__, 1, "bad line %s", ("X-Evil \x1b]0;pwned\x07",), None)
    handler.emit(record)
    try:
        raise ValueError("peer said \x1b[2J\nforged line")
    except ValueError:
        import sys

        record = logging.LogRecord("wskit", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    handler.emit(record)
    out = stream.getvalue()
    assert "\x1b" not in out and "\x07" not in out
    assert out.startswith("wskit serve: warning: bad line X-Evil \\x1b]0;pwned\\x07\n")
    assert "wskit serve: error: failed\nTraceback (most recent call last):\n" in out
    assert "ValueError: peer said \\x1b[2J\nforged line" in out  # the traceback's own lines stay lines


def test_install_replaces_an_earlier_handler() -> None:
    logger = logging.getLogger("wskit")
    first = TerminalLogHandler.install("wskit serve")
    second = TerminalLogHandler.install("wskit serve")
    try:
        assert first not in logger.handlers and second in logger.handlers
    finally:
        logger.removeHandler(second)
