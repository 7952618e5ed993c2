"""HAR in and out: the shape Chrome DevTools saves a WebSocket in (``_webSocketMessages``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from wskit.testing import CassetteError, Close, Conversation, Handshake, Session, Step

START = 1_700_000_000.0


def devtools_har(times_in_ms: bool = False) -> dict[str, Any]:
    """A HAR as DevTools writes one for a page that opened a WebSocket (with its page load first)."""
    scale = 1000 if times_in_ms else 1

    def t(offset: float) -> float:
        return (START + offset) * scale

    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "WebInspector", "version": "537.36"},
            "pages": [],
            "entries": [
                {"request": {"method": "GET", "url": "http://127.0.0.1:8000/"}, "response": {"status": 200}},
                {
                    "startedDateTime": "2023-11-14T22:13:20.000Z",
                    "_resourceType": "websocket",
                    "request": {
                        "method": "GET",
                        "url": "ws://127.0.0.1:8000/items/foo/ws?token=s3cret&q=5",
                        "headers": [
                            {"name": "Host", "value": "127.0.0.1:8000"},
                            {"name": "Origin", "value": "http://127.0.0.1:8000"},
                            {"name": "Cookie", "value": "session=abc"},
                            {"name": "User-Agent", "value": "Mozilla/5.0"},
                            {"name": "Sec-WebSocket-Key", "value": "dGhlIHNhbXBsZSBub25jZQ=="},
                            {"name": "Sec-WebSocket-Protocol", "value": "chat, superchat"},
                        ],
                    },
                    "response": {
                        "status": 101,
                        "headers": [{"name": "Sec-WebSocket-Protocol", "value": "chat"}],
                    },
                    "_webSocketMessages": [
                        {"type": "send", "time": t(0.5), "opcode": 1, "data": "hello"},
                        {"type": "receive", "time": t(0.51), "opcode": 1, "data": "Message text was: hello"},
                        {"type": "receive", "time": t(0.52), "opcode": 2, "data": "AAEC"},
                        {"type": "error", "time": t(0.6), "opcode": 1, "data": "net::ERR"},
                    ],
                },
            ],
        }
    }


def test_a_devtools_har_becomes_a_session() -> None:
    session = Session.from_har(devtools_har())
    (conv,) = session.conversations
    assert conv.handshake == Handshake(
        "/items/foo/ws", "token=***&q=5", "chat", {"origin": "http://127.0.0.1:8000", "cookie": "***"}, 101
    )
    assert [(s.sender, s.data, round(s.t, 3)) for s in conv.steps] == [
        ("client", "hello", 0.5),
        ("server", "Message text was: hello", 0.51),
        ("server", b"\x00\x01\x02", 0.52),
    ]
    assert conv.close is None  # HAR keeps no close frames
    assert session.created == pytest.approx(START)


def test_times_in_milliseconds_are_read_too() -> None:
    ms = Session.from_har(devtools_har(times_in_ms=True)).conversations[0]
    s = Session.from_har(devtools_har()).conversations[0]
    assert [round(x.t, 6) for x in ms.steps] == [round(x.t, 6) for x in s.steps]


def test_a_har_file_loads_by_its_suffix(tmp_path: Path) -> None:
    path = tmp_path / "capture.har"
    path.write_text(json.dumps(devtools_har(), indent=1))
    assert [s.data for s in Session.load(path).messages] == ["hello", "Message text was: hello", b"\x00\x01\x02"]
    assert [s.data for s in Session.from_har(path).messages] == [s.data for s in Session.load(path).messages]
    assert Session.from_har(path.read_text()).messages[0].data == "hello"


def test_a_session_round_trips_through_har() -> None:
    conv = Conversation(
        1,
        Handshake("/ws", "q=1", "chat", {"origin": "http://x"}),
        0.0,
        [
            Step("message", "client", 0.25, "hi"),
            Step("message", "server", 0.5, b"\xff\x00"),
            Step("ping", "client", 0.6, b""),
        ],
        Close(1000, "", "client", 0.7),
    )
    har = Session([conv], created=START).to_har("ws://127.0.0.1:9")
    (entry,) = har["log"]["entries"]
    assert entry["request"]["url"] == "ws://127.0.0.1:9/ws?q=1"
    assert entry["_resourceType"] == "websocket"
    assert entry["_webSocketMessages"] == [
        {"type": "send", "time": START + 0.25, "opcode": 1, "data": "hi"},
        {"type": "receive", "time": START + 0.5, "opcode": 2, "data": "/wA="},
    ]  # HAR has no place for pings or the close
    back = Session.from_har(har).conversations[0]
    assert back.handshake == conv.handshake
    assert [(s.sender, s.data, s.t) for s in back.steps] == [("client", "hi", 0.25), ("server", b"\xff\x00", 0.5)]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda h: h["log"]["entries"].pop(1), "capture.har: the HAR has no WebSocket entry"),
        (lambda h: h.pop("log"), 'capture.har: not a HAR file: no {"log": {"entries": [...]}}'),
        (
            lambda h: h["log"]["entries"][1]["_webSocketMessages"][2].update(data="AA=C"),
            "capture.har: log.entries[1]._webSocketMessages[2].data is not valid base64",
        ),
        (
            lambda h: h["log"]["entries"][1]["_webSocketMessages"][0].update(time="later"),
            "capture.har: log.entries[1]._webSocketMessages[0].time must be a number (epoch seconds)",
        ),
    ],
)
def test_a_bad_har_says_where(tmp_path: Path, change: Any, message: str) -> None:
    har = devtools_har()
    change(har)
    path = tmp_path / "capture.har"
    path.write_text(json.dumps(har, indent=1))
    with pytest.raises(CassetteError) as failure:
        Session.load(path)
    assert str(failure.value).startswith(message.replace("capture.har", str(path)))


def test_a_har_that_is_not_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "capture.har"
    path.write_text('{\n "log": {\n  "entries": [,]\n }\n}\n')
    with pytest.raises(CassetteError, match=r"capture.har:3: not valid JSON: Expecting value \(column 15\)"):
        Session.load(path)
