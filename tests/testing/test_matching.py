"""When a received message counts as the recorded one, and the report when it does not."""

from __future__ import annotations

import pytest

from wskit.testing import Close, Conversation, Handshake, Matching, ReplayMismatch, Session, Step, binary_length
from wskit.testing._matching import compare_sessions


def server(data: str | bytes, line: int | None = None) -> Step:
    return Step("message", "server", 0.0, data, line)


def client(data: str | bytes, line: int | None = None) -> Step:
    return Step("message", "client", 0.0, data, line)


def test_exact_by_default_json_by_value() -> None:
    m = Matching.of()
    assert m.differ(server("hi"), server("hi")) is None
    assert m.differ(server(b"\x01"), server(b"\x01")) is None
    assert m.differ(server('{"a": 1, "b": 2}'), server('{"b":2,"a":1}')) is None  # same JSON value
    assert m.differ(server('{"a": 1}'), server('{"a": 1.0}')) == ["JSON diff:", "  $.a: expected 1, got 1.0"]
    assert m.differ(server("hi"), server("hi ")) == ["- hi", "+ hi ", "?   +"]
    assert m.differ(server("hi"), server(b"hi")) == ["expected a TEXT message, got a BINARY message"]
    assert m.differ(server(b"\x00\x01\x02"), server(b"\x00\x09")) == [
        "binary differs from byte 1: expected 3 bytes, got 2",
        "  expected[1:]: 01 02",
        "  got[1:]:      09",
    ]
    assert (
        m.differ(server('{"a": 1}'), server("a: 1"))[0] == "expected JSON, got text that is not a JSON object or array"
    )


def test_ignored_json_paths() -> None:
    m = Matching.of(ignore=["$.id", "$.items[*].ts", "$['odd key']", "$.list[0]"])
    recorded = '{"id": 1, "items": [{"ts": 1, "n": 1}, {"ts": 2, "n": 2}], "odd key": 0, "list": [5, 6]}'
    assert (
        m.differ(server(recorded), server('{"id": 9, "items": [{"ts": 7, "n": 1}, {"n": 2}], "list": [0, 6]}')) is None
    )
    assert m.differ(server(recorded), server('{"items": [{"n": 1}], "list": [5]}')) == [
        "JSON diff:",
        "  $.items: expected 2 items, got 1",
        '  $.items[1]: missing (expected {"n":2})',
        "  $.list: expected 2 items, got 1",
        "  $.list[1]: missing (expected 6)",
    ]


def test_patterns_blank_what_varies() -> None:
    m = Matching.of(patterns=[r"\d\d:\d\d:\d\d"])
    assert m.differ(server("joined at 12:00:01"), server("joined at 17:45:59")) is None
    assert m.differ(server('{"at": "12:00:01", "n": 1}'), server('{"at": "09:09:09", "n": 1}')) is None
    assert m.differ(server("joined at 12:00:01"), server("left at 17:45:59")) is not None


def test_callables_decide_first() -> None:
    def same_prefix(expected: Step, got: Step) -> bool | None:
        if isinstance(expected.data, str) and isinstance(got.data, str):
            return expected.data[:3] == got.data[:3]
        return None

    m = Matching.of(match=[binary_length(), same_prefix])
    assert m.differ(server(b"\x00" * 640), server(b"\x07" * 640)) is None
    assert m.differ(server(b"\x00" * 640), server(b"\x00" * 320)) == ["rejected by any_binary_of_the_recorded_length"]
    assert m.differ(server("abc-1"), server("abc-2")) is None
    assert m.differ(server("abc"), server("xyz")) == ["rejected by same_prefix"]


def test_bad_options_are_refused() -> None:
    with pytest.raises(ValueError, match="starts with"):
        Matching.of(ignore=["id"])
    with pytest.raises(ValueError, match="cannot read JSON path"):
        Matching.of(ignore=["$.a..b"])
    with pytest.raises(TypeError, match="a matcher is a callable"):
        Matching.of(match=[42])  # type: ignore[list-item]


def conversation(*steps: Step, close: Close | None = None, path: str = "/ws") -> Conversation:
    return Conversation(1, Handshake(path), 0.0, list(steps), close)


def test_the_first_difference_names_file_line_connection_and_field() -> None:
    recorded = Session(
        [conversation(client("hi", 2), server('{"reply": "hi", "n": 1}', 3), server("bye", 4))], source="chat.jsonl"
    )
    got = Session([conversation(client("hi"), server('{"reply": "HI", "n": 1}'), server("bye"))])
    (difference,) = compare_sessions(recorded, got, Matching.of())
    assert str(difference) == (
        "chat.jsonl:3: connection 1 (/ws), message 2 of 3, from the server:\n"
        """  expected: TEXT '{"reply": "hi", "n": 1}' [23 bytes]\n"""
        """  got:      TEXT '{"reply": "HI", "n": 1}' [23 bytes]\n"""
        "  JSON diff:\n"
        '    $.reply: expected "hi", got "HI"'
    )
    assert str(ReplayMismatch([difference])) == str(difference)


def test_missing_extra_and_reordered_messages() -> None:
    recorded = Session([conversation(client("a"), server("1"), server("2"))])
    short = Session([conversation(client("a"), server("1"), close=Close(1011, "boom", "server"))])
    (d,) = compare_sessions(recorded, short, Matching.of())
    assert d.what == "message 3 of 3" and d.detail == ["(the close 1011 'boom' by the server)"]
    long = Session([conversation(client("a"), server("1"), server("2"), server("3"))])
    (d,) = compare_sessions(recorded, long, Matching.of())
    assert d.what == "an extra message (the cassette has 3)" and d.got is not None and d.got.data == "3"
    assert compare_sessions(recorded, long, Matching.of(), prefix=True) == []
    swapped = Session([conversation(client("a"), server("2"), server("1"))])
    assert compare_sessions(recorded, swapped, Matching.of()) != []
    assert compare_sessions(recorded, swapped, Matching.of(ordered=False)) == []


def test_handshakes_closes_and_connection_counts() -> None:
    recorded = Session([conversation(client("a"), close=Close(1000, "", "client"))])
    assert compare_sessions(recorded, Session([conversation(client("a"), path="/other")]), Matching.of())[0].detail == [
        "path: expected /ws, got /other"
    ]
    (d,) = compare_sessions(
        recorded, Session([conversation(client("a"), close=Close(1008, "", "server"))]), Matching.of()
    )
    assert d.what == "the close"
    assert compare_sessions(recorded, Session([]), Matching.of())[0].detail == ["only 0 connection(s) were opened"]
    two = Session([conversation(client("a")), conversation(client("b"))])
    assert compare_sessions(recorded, two, Matching.of())[0].what == "an extra connection"
