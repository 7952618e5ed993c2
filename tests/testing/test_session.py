"""Cassettes as files: the JSON Lines format, exactly, and what a bad file says."""

from __future__ import annotations

from pathlib import Path

import pytest

from wskit.testing import CassetteError, Close, Conversation, Handshake, Session, Step

CREATED = 1_700_000_000.25  # 2023-11-14T22:13:20.250Z

CASSETTE = """\
{"wskit_session": 1, "created": "2023-11-14T22:13:20.250Z", "by": "wskit 0.1.0", "connections": 2, "messages": 3}
{"type": "connect", "conn": 1, "t": 0.0, "path": "/items/foo/ws", "query": "token=***&q=5", "subprotocol": "chat", "headers": {"origin": "http://x"}, "status": 101}
{"type": "connect", "conn": 2, "t": 0.01, "path": "/ws", "query": "", "subprotocol": null, "headers": {}, "status": 101}
{"type": "message", "conn": 1, "t": 0.001, "from": "client", "opcode": "text", "data": "héllo"}
{"type": "ping", "conn": 1, "t": 0.002, "from": "server", "data": "cGluZw=="}
{"type": "message", "conn": 2, "t": 0.011, "from": "client", "opcode": "text", "data": "{\\"a\\": 1}"}
{"type": "message", "conn": 1, "t": 0.0125, "from": "server", "opcode": "binary", "data": "AAEC/w=="}
{"type": "close", "conn": 1, "t": 0.02, "code": 1000, "reason": "bye", "initiator": "client"}
"""  # noqa: E501  (one record a line, as in the file)


def session() -> Session:
    first = Conversation(
        1,
        Handshake("/items/foo/ws", "token=***&q=5", "chat", {"origin": "http://x"}),
        10.0,
        [
            Step("message", "client", 10.001, "héllo"),
            Step("ping", "server", 10.002, b"ping"),
            Step("message", "server", 10.0125, b"\x00\x01\x02\xff"),
        ],
        Close(1000, "bye", "client", 10.02),
    )
    second = Conversation(2, Handshake("/ws"), 10.01, [Step("message", "client", 10.011, '{"a": 1}')])
    return Session([first, second], created=CREATED)


def test_the_file_is_json_lines_in_time_order(utc: None) -> None:
    assert session().dumps() == CASSETTE


def test_reading_gives_back_what_was_written(tmp_path: Path) -> None:
    path = session().save(tmp_path / "sub" / "chat.jsonl")
    loaded = Session.load(path)
    assert loaded.source == str(path)
    assert loaded.created == pytest.approx(CREATED)
    first, second = loaded.conversations
    assert first.handshake == Handshake("/items/foo/ws", "token=***&q=5", "chat", {"origin": "http://x"}, 101)
    assert [(s.kind, s.sender, s.data, s.line) for s in first.steps] == [
        ("message", "client", "héllo", 4),
        ("ping", "server", b"ping", 5),
        ("message", "server", b"\x00\x01\x02\xff", 7),
    ]
    assert first.close == Close(1000, "bye", "client", 0.02, 8)
    assert [s.data for s in second.steps] == ['{"a": 1}']
    assert loaded.dumps() == path.read_text()


def test_steps_describe_themselves_as_the_event_log_does() -> None:
    first = session().conversations[0]
    assert [str(s) for s in first.steps] == [
        "client TEXT 'héllo' [6 bytes]",
        "server PING 'ping' [4 bytes]",
        "server BINARY 00 01 02 ff [4 bytes]",
    ]
    assert str(first.close) == "close 1000 'bye' by the client"
    assert str(first) == "connection 1 (/items/foo/ws?token=***&q=5)"
    assert repr(session()) == "<Session 2 connection(s), 3 message(s)>"


def test_blank_lines_are_allowed() -> None:
    text = CASSETTE.replace("\n{", "\n\n{", 2)
    assert len(Session.loads(text).messages) == 3


def broken(line: int, replacement: str) -> str:
    lines = CASSETTE.splitlines()
    lines[line - 1] = replacement
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "chat.jsonl:1: empty file: a cassette starts with a header line"),
        (CASSETTE[:200], "chat.jsonl:2: not valid JSON: Unterminated string starting at (column 76)"),
        (
            broken(4, '{"type": "message", "conn": 1, "t": 0.001, "from": "client", "opcode": "text", "data": "x"'),
            "chat.jsonl:4: not valid JSON: Expecting ',' delimiter (column 91)",
        ),
        (broken(1, '{"wskit_session": 2}'), "chat.jsonl:1: unknown format version 2 (this wskit reads version 1)"),
        (broken(1, '{"version": 1}'), 'chat.jsonl:1: the first line must be the header, {"wskit_session": 1, ...}'),
        (
            broken(
                7,
                '{"type": "message", "conn": 1, "t": 0.0125, "from": "server", "opcode": "binary", "data": "AAEC?w=="}',
            ),
            "chat.jsonl:7: 'data' is not valid base64 (Only base64 data is allowed): 'AAEC?w=='",
        ),
        (
            broken(5, '{"type": "ping", "conn": 1, "t": 0.002, "from": "server", "data": "abc"}'),
            "chat.jsonl:5: 'data' is not valid base64 (Incorrect padding): 'abc'",
        ),
        (
            broken(4, '{"type": "message", "conn": 3, "t": 0.001, "from": "client", "opcode": "text", "data": "x"}'),
            "chat.jsonl:4: connection 3 has no connect line before this one",
        ),
        (
            broken(4, '{"type": "message", "conn": 1, "t": 0.001, "from": "nobody", "opcode": "text", "data": "x"}'),
            "chat.jsonl:4: 'from' must be 'client' or 'server', not 'nobody'",
        ),
        (
            broken(4, '{"type": "message", "conn": 1, "t": -1, "from": "client", "opcode": "text", "data": "x"}'),
            "chat.jsonl:4: 't' must be 0 or more, not -1",
        ),
        (
            broken(4, '{"type": "message", "conn": 1, "t": "soon", "from": "client", "opcode": "text", "data": "x"}'),
            "chat.jsonl:4: 't' must be a number of seconds, not \"soon\"",
        ),
        (
            broken(4, '{"type": "message", "conn": 1, "from": "client", "opcode": "hex", "data": "x"}'),
            "chat.jsonl:4: 'opcode' must be 'text' or 'binary', not 'hex'",
        ),
        (
            broken(4, '{"type": "message", "conn": 1, "from": "client", "opcode": "text", "data": 5}'),
            "chat.jsonl:4: 'data' must be text, not 5",
        ),
        (
            broken(4, '{"type": "message", "conn": true, "from": "client", "opcode": "text", "data": "x"}'),
            "chat.jsonl:4: 'conn' must be a connection number, not true",
        ),
        (
            broken(4, '{"type": "hello", "conn": 1}'),
            "chat.jsonl:4: unknown record type 'hello' (known: connect, message, ping, pong, close)",
        ),
        (broken(4, '["a list"]'), "chat.jsonl:4: expected a JSON object, got list"),
        (broken(3, '{"type": "connect", "conn": 1}'), "chat.jsonl:3: connection 1 is opened twice (first on line 2)"),
        (
            broken(3, '{"type": "connect", "conn": 2, "headers": {"origin": 1}}'),
            "chat.jsonl:3: header 'origin' must have a string value, not 1",
        ),
        (
            CASSETTE + '{"type": "message", "conn": 1, "from": "client", "opcode": "text", "data": "late"}\n',
            "chat.jsonl:9: connection 1 was closed on line 8",
        ),
        (
            broken(8, '{"type": "close", "conn": 1, "code": 1000, "initiator": "me"}'),
            "chat.jsonl:8: 'initiator' must be 'client', 'server' or null, not 'me'",
        ),
        (
            '{"log": {"entries": []}}\n',
            'chat.jsonl:1: the first line must be the header, {"wskit_session": 1, ...} (is this a HAR file? '
            "name it .har or use Session.from_har)",
        ),
    ],
)
def test_a_bad_cassette_names_its_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "chat.jsonl"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CassetteError) as failure:
        Session.load(path)
    assert str(failure.value) == message.replace("chat.jsonl", str(path), 1)
    assert failure.value.source == str(path)
    error = failure.value
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)  # no chained traceback


def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "chat.jsonl"
    path.write_bytes(b'{"wskit_session": 1}\n\xff\xfe\n')
    with pytest.raises(CassetteError, match=r"chat.jsonl: not UTF-8 text \(invalid start byte at byte 21\)"):
        Session.load(path)
