"""``wskit serve``'s log lines: fixed columns, the event's own wording, WIRE events per the contract."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from wskit.cli._logline import format_event
from wskit.events import Direction, Event, EventKind
from wskit.frames import TextFrame
from wskit.transports.datastructures import Address

WALL = 1_700_000_000.2505  # 22:13:20.250 UTC
MONO = WALL - Event(EventKind.READY, None, time=0.0).wall_time  # the monotonic reading of WALL


LOCAL = Address("127.0.0.1", 50312)


@dataclass
class FakeConnection:
    id: int
    client: Address | None = LOCAL


pytestmark = pytest.mark.usefixtures("utc")


def line(kind: EventKind, **kw: object) -> str:
    return format_event(Event(kind, "source", time=MONO, **kw))  # type: ignore[arg-type]


def columns(text: str) -> list[str]:
    return text.split()


def test_message_line_columns() -> None:
    text = line(
        EventKind.MESSAGE,
        connection=FakeConnection(3),
        direction=Direction.IN,
        raw="hello",
        size=5,
        frame=TextFrame("hello"),
    )
    assert text == ("22:13:20.250  #3 127.0.0.1:50312     <-  message      TEXT         5 B  TEXT 'hello' [5 bytes]")


def test_binary_out() -> None:
    text = line(EventKind.MESSAGE, connection=FakeConnection(3), direction=Direction.OUT, raw=b"\x00\x01", size=2)
    assert columns(text)[3:] == ["->", "message", "BINARY", "2", "B", "BINARY", "00", "01", "[2", "bytes]"]


def test_lifecycle_lines_have_no_direction_opcode_or_size() -> None:
    assert (
        line(EventKind.CONNECTED, connection=FakeConnection(3)) == "22:13:20.250  #3 127.0.0.1:50312         connected"
    )
    text = line(EventKind.DISCONNECTED, connection=FakeConnection(3), code=1006)
    assert columns(text) == ["22:13:20.250", "#3", "127.0.0.1:50312", "disconnected", "code=1006"]
    assert columns(line(EventKind.STOPPED)) == ["22:13:20.250", "-", "stopped"]


def test_rejection_and_error() -> None:
    assert columns(line(EventKind.REJECTED, code=401, reason="token"))[-2:] == ["code=401", "'token'"]
    assert columns(line(EventKind.ERROR, error=ValueError("bad JSON")))[1:] == [
        "-",
        "error",
        "ValueError:",
        "bad",
        "JSON",
    ]


def wire(opcode: str, raw: bytes, direction: Direction = Direction.IN, **kw: object) -> str:
    info = {"opcode": opcode, "fin": kw.pop("fin", True), "rsv1": kw.pop("rsv1", False), "length": len(raw)}
    return line(
        EventKind.WIRE, connection=FakeConnection(7), direction=direction, raw=raw, size=len(raw), info=info, **kw
    )


def test_wire_control_frames() -> None:
    assert wire("PING", b"hi") == (
        "22:13:20.250  #7 127.0.0.1:50312     <-  wire         PING         2 B  PING 'hi' [2 bytes]"
    )
    assert columns(wire("PONG", b"", Direction.OUT))[3:7] == ["->", "wire", "PONG", "0"]
    close = wire("CLOSE", b"\x03\xe9", code=1001, reason="")
    assert close.endswith("wire         CLOSE        2 B  CLOSE code=1001 [2 bytes]")


def test_wire_data_frames_show_flags() -> None:
    assert wire("TEXT", b"ab", fin=False).endswith("TEXT 'ab' [2 bytes] fin=0")
    assert wire("CONT", b"c").endswith("wire         CONT         1 B  CONT 'c' [1 bytes]")
    assert wire("BINARY", b"\x00", rsv1=True).endswith("BINARY 00 [1 bytes] rsv1 (compressed)")
