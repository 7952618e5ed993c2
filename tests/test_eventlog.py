"""The event log's model: rows, budgets, filters and exports, with exact expectations."""

from __future__ import annotations

import base64
import gc
import json
import subprocess
import sys

import pytest

from wskit.eventlog import LogBuffer, row_from_event
from wskit.events import Direction, Event, EventKind
from wskit.frames import MessageFrame, TextFrame


class Conn:
    def __init__(self, id: int) -> None:
        self.id = id


def message(raw: str | bytes, direction: Direction = Direction.IN, conn: object = None, t: float = 100.0) -> Event:
    size = len(raw.encode()) if isinstance(raw, str) else len(raw)
    return Event(EventKind.MESSAGE, "src", conn, direction, raw, size, time=t)


def wire(opcode: str, raw: bytes = b"", direction: Direction = Direction.OUT, **kw: object) -> Event:
    info = {"opcode": opcode, "fin": True, "rsv1": False, "length": len(raw)}
    return Event(EventKind.WIRE, "src", Conn(7), direction, raw, len(raw), info=info, time=1.0, **kw)  # type: ignore[arg-type]


class TestRows:
    def test_text_message_row(self) -> None:
        event = Event(EventKind.MESSAGE, "src", Conn(3), Direction.OUT, "hi", 2, TextFrame("hi", id=1), time=5.0)
        row = row_from_event(event, 1)
        assert row.to_json() == {
            "seq": 1,
            "time": event.wall_time,
            "monotonic": 5.0,
            "kind": "message",
            "direction": "out",
            "role": None,
            "connection": 3,
            "opcode": "TEXT",
            "size": 2,
            "code": None,
            "reason": "",
            "summary": "message #3 out TEXT 'hi' [2 bytes]",
            "payload": "hi",
            "payload_encoding": "text",
            "truncated": False,
        }

    def test_binary_message_is_base64(self) -> None:
        row = row_from_event(message(b"\x00\xffab"), 4)
        exported = row.to_json()
        assert (exported["opcode"], exported["payload"], exported["payload_encoding"]) == (
            "BINARY",
            "AP9hYg==",
            "base64",
        )
        assert row.summary == "message in BINARY 00 ff 61 62 [4 bytes]"

    def test_wire_ping_row(self) -> None:
        row = row_from_event(wire("PING", b"\x01\x02"), 1)
        assert (row.kind, row.opcode, row.size, row.connection) == ("wire", "PING", 2, 7)
        assert row.summary == "wire #7 out PING 01 02 [2 bytes]"

    @pytest.mark.parametrize(
        "event",
        [
            Event(EventKind.WIRE, "src", Conn(7), Direction.IN, b"\x03\xe8", 2, code=1000, info={"opcode": "CLOSE"}),
            Event(EventKind.WIRE, "src", None, Direction.OUT, b"hi", 2, info={"opcode": "TEXT", "rsv1": True}),
            Event(EventKind.MESSAGE, "src", Conn(3), Direction.IN, "héllo", 6, frame=TextFrame("héllo")),
            Event(EventKind.MESSAGE, "src", None, Direction.OUT, b"\x00" * 64, 64),
            Event(EventKind.REJECTED, "src", None, code=401, reason="token", info={"path": "/"}),
        ],
    )
    def test_a_row_reads_as_its_event(self, event: Event) -> None:
        assert row_from_event(event, 1).summary == event.summary

    def test_wire_close_row_has_code_and_reason(self) -> None:
        row = row_from_event(wire("CLOSE", b"\x0f\xa1bye", code=4001, reason="bye"), 1)
        assert (row.opcode, row.code, row.reason) == ("CLOSE", 4001, "bye")
        assert row.summary == "wire #7 out CLOSE code=4001 'bye' [5 bytes]"

    def test_wire_fragment_says_fin_0(self) -> None:
        event = wire("TEXT", b"ab")
        assert event.info is not None
        event.info["fin"] = False
        assert row_from_event(event, 1).summary == "wire #7 out TEXT 'ab' [2 bytes] fin=0" == event.summary

    def test_disconnect_row(self) -> None:
        row = row_from_event(Event(EventKind.DISCONNECTED, "src", Conn(2), code=4001, reason="done", time=1.0), 9)
        assert (row.kind, row.code, row.reason, row.opcode, row.payload) == ("disconnected", 4001, "done", None, None)
        assert row.summary == "disconnected #2 code=4001 'done'"

    def test_error_row_keeps_the_traceback(self) -> None:
        try:
            raise ValueError("bad input")
        except ValueError as exc:
            error = exc
        row = row_from_event(Event(EventKind.ERROR, "src", error=error, time=1.0), 1)
        assert row.summary == "error ValueError: bad input"
        assert row.detail.startswith("Traceback") and "ValueError: bad input" in row.detail

    @pytest.mark.parametrize(
        "event",
        [
            Event(EventKind.MESSAGE, "s", Conn(1), Direction.IN, "hi", 2, TextFrame("hi"), time=1.0),
            Event(EventKind.MESSAGE, "s", Conn(1), Direction.OUT, '{"a":1}', 7, MessageFrame({"a": 1}), time=1.0),
            Event(EventKind.MESSAGE, "s", None, Direction.IN, b"\x00" * 100, 100, time=1.0),
            Event(EventKind.RECONNECTING, "s", info={"attempt": 2, "max_attempts": 5, "delay": 0.5}, time=1.0),
            Event(EventKind.REJECTED, "s", Conn(4), code=403, reason="no token", time=1.0),
            Event(EventKind.ERROR, "s", Conn(4), error=OSError("down"), info={"task": "t"}, time=1.0),
        ],
        ids=["text", "json", "binary", "reconnecting", "rejected", "error"],
    )
    def test_summary_is_str_event_without_time(self, event: Event) -> None:
        assert row_from_event(event, 1).summary == str(event).split(" ", 1)[1]

    def test_summary_of_a_truncated_message_sees_the_whole_message(self) -> None:
        event = message(b"\x01" * 50 + b"\x02" * 50)
        row = row_from_event(event, 1, max_payload=10)
        assert row.summary == str(event).split(" ", 1)[1]
        assert row.summary.endswith("02 02 02 02 02 02 02 02 02 02 [100 bytes]")

    def test_server_and_client_roles(self) -> None:
        import wskit

        server = wskit.WebsocketServerTransport(port=0)
        client = wskit.WebsocketClientTransport("ws://127.0.0.1:1/")
        assert row_from_event(Event(EventKind.READY, server), 1).role == "server"
        assert row_from_event(Event(EventKind.STOPPED, client), 1).role == "client"


class TestBudgets:
    def test_row_payload_is_truncated_to_budget(self) -> None:
        row = row_from_event(message(b"x" * 100), 1, max_payload=10)
        assert (row.payload, row.size, row.truncated) == (b"x" * 10, 100, True)

    def test_text_is_cut_on_a_character_boundary(self) -> None:
        row = row_from_event(message("é" * 10), 1, max_payload=5)  # 2 bytes each
        assert (row.payload, row.truncated) == ("éé", True)

    def test_raw_is_not_kept_alive(self) -> None:
        raw = b"y" * 1000
        before = sys.getrefcount(raw)
        log = LogBuffer(max_payload=16)
        event = message(raw)
        log.append(event)
        del event
        gc.collect()
        assert sys.getrefcount(raw) == before  # neither the event nor its raw message is held
        assert log.get(1) is not None and log.get(1).payload == b"y" * 16  # type: ignore[union-attr]

    def test_log_budget_drops_oldest_payloads(self) -> None:
        log = LogBuffer(max_payload=10, max_bytes=25)
        for i in range(4):
            log.append(message(bytes([i]) * 10))
        assert log.payload_bytes == 20
        assert [r.payload is None for r in log] == [True, True, False, False]
        assert [r.truncated for r in log] == [True, True, False, False]
        assert log.dropped_payloads == 2
        assert len(log) == 4  # the rows (and their summaries) stay

    def test_a_frame_not_sharing_the_message_counts_twice(self) -> None:
        log = LogBuffer()
        log.append(Event(EventKind.MESSAGE, "s", None, Direction.IN, '{"a":1}', 7, MessageFrame({"a": 1})))
        raw = "shared"
        log.append(Event(EventKind.MESSAGE, "s", None, Direction.IN, raw, 6, TextFrame(raw)))
        assert log.payload_bytes == 14 + 6

    def test_ring_buffer_keeps_last_rows(self) -> None:
        log = LogBuffer(max_rows=3)
        for i in range(5):
            log.append(message(f"m{i}"))
        assert [r.seq for r in log] == [3, 4, 5]
        assert [r.payload for r in log] == ["m2", "m3", "m4"]
        assert log.dropped_rows == 2
        assert log.payload_bytes == 6
        assert log.get(2) is None and log.get(4) is not None

    def test_clear_keeps_counting(self) -> None:
        log = LogBuffer()
        log.append(message("a"))
        log.clear()
        assert (len(log), log.payload_bytes) == (0, 0)
        assert log.append(message("b")).seq == 2  # type: ignore[union-attr]

    def test_bad_budgets_are_refused(self) -> None:
        with pytest.raises(ValueError):
            LogBuffer(max_rows=0)


class TestFilters:
    @pytest.fixture
    def log(self) -> LogBuffer:
        log = LogBuffer()
        log.append(message("hello", Direction.OUT))
        log.append(message("HELLO back", Direction.IN))
        log.append(wire("PING"))
        log.append(Event(EventKind.DISCONNECTED, "src", code=1000, time=1.0))
        return log

    def test_by_kind(self, log: LogBuffer) -> None:
        assert [r.seq for r in log.rows(kinds=["wire", "disconnected"])] == [3, 4]

    def test_by_direction(self, log: LogBuffer) -> None:
        assert [r.seq for r in log.rows(directions=["in"])] == [2]
        assert [r.seq for r in log.rows(directions=[None])] == [4]

    def test_search_is_case_insensitive(self, log: LogBuffer) -> None:
        assert [r.seq for r in log.rows(search="hello")] == [1, 2]
        assert [r.seq for r in log.rows(search="back")] == [2]

    def test_last(self, log: LogBuffer) -> None:
        assert [r.seq for r in log.rows(last=2)] == [3, 4]

    def test_connection_filter(self) -> None:
        mine, other = Conn(1), Conn(2)
        log = LogBuffer(connection=mine)
        log.append(message("a", conn=mine))
        log.append(message("b", conn=other))
        log.append(Event(EventKind.STOPPED, "src"))
        assert [r.summary.split()[0] for r in log] == ["message", "stopped"]
        assert [r.connection for r in log] == [1, None]


class TestExports:
    def test_har_messages(self) -> None:
        log = LogBuffer()
        log.append(message("hi", Direction.OUT, t=10.0))
        log.append(message(b"\x01\x02", Direction.IN, t=11.0))
        log.append(wire("PONG"))
        log.append(Event(EventKind.CONNECTED, "src"))
        har = log.export_har()
        wall = Event(EventKind.READY, "src", time=10.0).wall_time
        assert har == [
            {"type": "send", "time": wall, "opcode": 1, "data": "hi"},
            {"type": "receive", "time": wall + 1.0, "opcode": 2, "data": base64.b64encode(b"\x01\x02").decode()},
        ]

    def test_export_json_keys(self) -> None:
        log = LogBuffer()
        log.append(wire("CLOSE", b"\x03\xe8", code=1000))
        (row,) = log.export_json()
        assert list(row) == [
            "seq", "time", "monotonic", "kind", "direction", "role", "connection", "opcode",
            "size", "code", "reason", "summary", "payload", "payload_encoding", "truncated",
        ]  # fmt: skip
        assert (row["opcode"], row["code"], row["payload"]) == ("CLOSE", 1000, "A+g=")
        assert type(row["kind"]) is str and type(row["direction"]) is str  # plain JSON, not enum members
        assert json.loads(json.dumps(row)) == row


def test_the_model_imports_no_widgets() -> None:
    code = "import sys, wskit.eventlog; print(sorted(m for m in ('ipywidgets', 'IPython') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]"
