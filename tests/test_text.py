"""wskit._text: the renderings frames, events, logs, taps, panels and the CLI share."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest

from wskit._text import (
    client_label,
    clock,
    hex_preview,
    hexdump,
    parse_headers,
    payload_preview,
    preview,
    wall_time,
)
from wskit.transports.datastructures import Address

LOCAL = Address("127.0.0.1", 50312)


@dataclass
class FakeConnection:
    id: int
    client: Address | None = LOCAL


class TestPreview:
    def test_short_text_is_quoted(self) -> None:
        assert preview("hi") == "'hi'"

    def test_long_text_keeps_both_ends(self) -> None:
        assert preview("a" * 20 + "b" * 10 + "c" * 20) == repr("a" * 20 + "…" + "c" * 20)

    def test_bytes_are_hex(self) -> None:
        assert preview(b"\x00\xff") == "00 ff"

    def test_long_bytes_keep_ten_bytes_of_each_end(self) -> None:
        data = bytes(range(30))
        assert preview(data) == data[:10].hex(" ") + " … " + data[-10:].hex(" ")

    def test_hex_preview_limit(self) -> None:
        assert hex_preview(bytes(range(4)), 4) == "00 01 02 03"
        assert hex_preview(bytes(range(5)), 4) == "00 01 … 03 04"

    def test_payload_preview_decodes_printable_text(self) -> None:
        assert payload_preview(b"hi there", text=True) == "'hi there'"
        assert payload_preview(b"hi", text=False) == "68 69"
        assert payload_preview(b"\xff\xfe", text=True) == "ff fe"  # not UTF-8
        assert payload_preview(b"\x00\x01", text=True) == "00 01"  # UTF-8, but not printable


def test_hexdump() -> None:
    assert hexdump(b"hello world, 0123\x00") == (
        "00000000  68 65 6c 6c 6f 20 77 6f 72 6c 64 2c 20 30 31 32  hello world, 012\n"
        "00000010  " + "33 00".ljust(47) + "  3."
    )
    assert hexdump(b"abc", limit=2).splitlines()[-1] == "… 1 more bytes"


@pytest.mark.usefixtures("utc")
def test_clock_and_wall_time() -> None:
    assert clock(1_700_000_000.2505) == "22:13:20.250"
    before = time.time()
    assert before - 1 < wall_time(time.monotonic()) < time.time() + 1


def test_client_label() -> None:
    assert client_label(None) == "-"
    assert client_label(FakeConnection(3)) == "#3 127.0.0.1:50312"
    assert client_label(FakeConnection(4, Address("::1", 9))) == "#4 [::1]:9"
    assert client_label(FakeConnection(5, None)) == "#5"


class TestParseHeaders:
    def test_lines_or_a_list(self) -> None:
        assert parse_headers("X-A: 1\n\nX-B:two words \n") == {"X-A": "1", "X-B": "two words"}
        assert parse_headers(["X-A: 1", "X-B: 2"]) == {"X-A": "1", "X-B": "2"}

    def test_a_value_may_hold_colons(self) -> None:
        assert parse_headers(["Referer: http://x/"]) == {"Referer": "http://x/"}

    @pytest.mark.parametrize("bad", ["no colon", ": empty name"])
    def test_bad_lines_say_which(self, bad: str) -> None:
        with pytest.raises(ValueError, match=rf"^header line 2 is not 'Name: value': {bad!r}$"):
            parse_headers(["X-A: 1", bad])
