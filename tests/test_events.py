"""wskit.events: the Event record and the EventBus that fans events out."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import pytest

from wskit.events import Direction, Event, EventBus, EventKind
from wskit.frames import BinaryFrame, TextFrame

# 2023-11-14 22:13:20.250 UTC, as a monotonic reading of this process.
WALL = 1_700_000_000.2505
MONO = WALL - Event(EventKind.READY, None, time=0.0).wall_time
STAMP = "22:13:20.250"


@dataclass
class FakeConnection:
    id: int


def event(kind: EventKind = EventKind.READY, **kw: object) -> Event:
    return Event(kind, "source", time=MONO, **kw)  # type: ignore[arg-type]


class TestEvent:
    def test_defaults(self) -> None:
        e = Event(EventKind.READY, "src")
        assert (e.connection, e.direction, e.raw, e.size, e.frame, e.error) == (None, None, None, 0, None, None)
        assert (e.code, e.reason, e.info) == (None, "", None)

    def test_time_is_monotonic_now(self) -> None:
        before = time.monotonic()
        e = Event(EventKind.READY, "src")
        after = time.monotonic()
        assert before <= e.time <= after

    def test_wall_time_is_epoch_seconds(self) -> None:
        e = Event(EventKind.READY, "src")
        assert abs(e.wall_time - time.time()) < 1.0

    def test_wall_time_keeps_the_monotonic_spacing(self) -> None:
        first, second = Event(EventKind.READY, "src", time=100.0), Event(EventKind.READY, "src", time=102.5)
        assert second.wall_time - first.wall_time == 2.5

    def test_slotted(self) -> None:
        with pytest.raises(AttributeError):
            event().colour = "red"  # type: ignore[attr-defined]

    def test_kinds_and_directions_are_strings(self) -> None:
        assert isinstance(EventKind.SESSION_TIMEOUT, str)
        assert str(EventKind.SESSION_TIMEOUT) == "session_timeout"
        assert str(Direction.OUT) == "out"


@pytest.mark.usefixtures("utc")
class TestEventStr:
    def test_bare(self) -> None:
        assert str(event(EventKind.READY)) == f"{STAMP} ready"

    def test_text_message_in(self) -> None:
        e = event(EventKind.MESSAGE, connection=FakeConnection(3), direction=Direction.IN, raw="hi", size=2)
        assert str(e) == f"{STAMP} message #3 in TEXT 'hi' [2 bytes]"

    def test_binary_message_out(self) -> None:
        e = event(EventKind.MESSAGE, connection=FakeConnection(4), direction=Direction.OUT, raw=b"\x00\xff", size=2)
        assert str(e) == f"{STAMP} message #4 out BINARY 00 ff [2 bytes]"

    def test_text_size_is_the_utf8_length_given(self) -> None:
        e = event(EventKind.MESSAGE, direction=Direction.IN, raw="é", size=2)
        assert str(e) == f"{STAMP} message in TEXT 'é' [2 bytes]"

    def test_frame_is_shown_instead_of_raw(self) -> None:
        frame = TextFrame("hi")
        e = event(EventKind.MESSAGE, direction=Direction.IN, raw='{"type":"text"}', size=15, frame=frame)
        assert str(e) == f"{STAMP} message in TEXT 'hi' [2 bytes]"

    def test_binary_frame(self) -> None:
        e = event(EventKind.MESSAGE, direction=Direction.OUT, frame=BinaryFrame(b"\x01"))
        assert str(e) == f"{STAMP} message out BINARY 01 [1 bytes]"

    def test_connection_without_id(self) -> None:
        assert str(event(EventKind.CONNECTED, connection=object())) == f"{STAMP} connected #?"

    def test_disconnected_with_code_and_reason(self) -> None:
        e = event(EventKind.DISCONNECTED, connection=FakeConnection(3), code=1001, reason="going away")
        assert str(e) == f"{STAMP} disconnected #3 code=1001 'going away'"

    def test_rejected_with_http_status(self) -> None:
        assert str(event(EventKind.REJECTED, code=403)) == f"{STAMP} rejected code=403"

    def test_error(self) -> None:
        e = event(EventKind.ERROR, error=ValueError("boom"))
        assert str(e) == f"{STAMP} error ValueError: boom"

    def test_info(self) -> None:
        e = event(EventKind.RECONNECTING, info={"attempt": 2, "delay": 0.5})
        assert str(e) == f"{STAMP} reconnecting attempt=2 delay=0.5"

    def test_empty_info_is_not_shown(self) -> None:
        assert str(event(EventKind.STOPPED, info={})) == f"{STAMP} stopped"

    def test_everything_in_order(self) -> None:
        e = event(
            EventKind.ERROR,
            connection=FakeConnection(1),
            direction=Direction.IN,
            raw="x",
            size=1,
            code=1007,
            reason="bad",
            error=KeyError("k"),
            info={"handler": "echo"},
        )
        assert str(e) == f"{STAMP} error #1 in TEXT 'x' [1 bytes] code=1007 'bad' KeyError: 'k' handler=echo"


def wire(opcode: str, raw: bytes, direction: Direction = Direction.IN, **kw: object) -> Event:
    """A WIRE event as ``wskit.wire.tap`` emits it (the contract): payload unmasked, flags in ``info``."""
    info = {"opcode": opcode, "fin": kw.pop("fin", True), "rsv1": kw.pop("rsv1", False), "length": len(raw)}
    return event(
        EventKind.WIRE, connection=FakeConnection(2), direction=direction, raw=raw, size=len(raw), info=info, **kw
    )


@pytest.mark.usefixtures("utc")
class TestWireEventStr:
    def test_ping_shows_opcode_payload_and_length(self) -> None:
        assert str(wire("PING", b"\x01\x02")) == f"{STAMP} wire #2 in PING 01 02 [2 bytes]"

    def test_empty_pong(self) -> None:
        assert str(wire("PONG", b"", Direction.OUT)) == f"{STAMP} wire #2 out PONG [0 bytes]"

    def test_close_shows_code_and_reason_not_the_payload(self) -> None:
        e = wire("CLOSE", b"\x03\xe8bye", code=1000, reason="bye")
        assert str(e) == f"{STAMP} wire #2 in CLOSE code=1000 'bye' [5 bytes]"

    def test_whole_text_frame_reads_as_text(self) -> None:
        assert str(wire("TEXT", "hé".encode())) == f"{STAMP} wire #2 in TEXT 'hé' [3 bytes]"

    def test_fragment_and_compressed_flags(self) -> None:
        assert str(wire("TEXT", b"ab", fin=False)) == f"{STAMP} wire #2 in TEXT 'ab' [2 bytes] fin=0"
        e = wire("BINARY", b"\xff", rsv1=True)
        assert str(e) == f"{STAMP} wire #2 in BINARY ff [1 bytes] rsv1 (compressed)"

    def test_unknown_info_keys_are_kept(self) -> None:
        e = wire("CONT", b"")
        e.info = {**(e.info or {}), "masked": True}
        assert str(e) == f"{STAMP} wire #2 in CONT [0 bytes] masked=True"

    def test_opcode_property(self) -> None:
        assert wire("PING", b"").opcode == "PING"
        assert event(EventKind.MESSAGE, raw="x", size=1).opcode == "TEXT"
        assert event(EventKind.MESSAGE, raw=b"x", size=1).opcode == "BINARY"
        assert event(EventKind.CONNECTED).opcode is None
        assert event(EventKind.WIRE).opcode is None  # no info: nothing to show

    def test_summary_is_str_without_the_timestamp(self) -> None:
        e = wire("PING", b"")
        assert str(e) == f"{STAMP} {e.summary}"
        assert e.summary == "wire #2 in PING [0 bytes]"


class TestEventBus:
    def test_inactive_without_subscribers(self) -> None:
        assert EventBus().active is False

    def test_subscribe_makes_active_and_unsubscribe_inactive(self) -> None:
        bus = EventBus()
        unsubscribe = bus.subscribe(lambda e: None)
        assert bus.active is True
        unsubscribe()
        assert bus.active is False

    def test_emit_in_subscription_order(self) -> None:
        bus, calls = EventBus(), []
        bus.subscribe(lambda e: calls.append(("a", e)))
        bus.subscribe(lambda e: calls.append(("b", e)))
        bus.subscribe(lambda e: calls.append(("c", e)))
        first, second = event(), event(EventKind.STOPPED)
        bus.emit(first)
        bus.emit(second)
        assert calls == [("a", first), ("b", first), ("c", first), ("a", second), ("b", second), ("c", second)]

    def test_emit_without_subscribers_does_nothing(self) -> None:
        EventBus().emit(event())

    def test_returned_function_unsubscribes_only_that_callback(self) -> None:
        bus, calls = EventBus(), []
        unsubscribe_a = bus.subscribe(lambda e: calls.append("a"))
        bus.subscribe(lambda e: calls.append("b"))
        unsubscribe_a()
        bus.emit(event())
        assert calls == ["b"]

    def test_unsubscribe_method_and_unknown_callback(self) -> None:
        bus, calls = EventBus(), []

        def callback(e: Event) -> None:
            calls.append(e)

        bus.subscribe(callback)
        bus.unsubscribe(lambda e: None)  # unknown: ignored
        bus.emit(event())
        bus.unsubscribe(callback)
        bus.unsubscribe(callback)  # twice: ignored
        bus.emit(event())
        assert len(calls) == 1

    def test_unsubscribing_twice_through_the_returned_function_is_harmless(self) -> None:
        bus = EventBus()
        unsubscribe = bus.subscribe(lambda e: None)
        unsubscribe()
        unsubscribe()
        assert bus.active is False

    def test_failing_subscriber_is_logged_and_others_still_get_the_event(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        bus, calls = EventBus(), []

        def broken(e: Event) -> None:
            raise RuntimeError("subscriber bug")

        bus.subscribe(lambda e: calls.append("before"))
        bus.subscribe(broken)
        bus.subscribe(lambda e: calls.append("after"))
        with caplog.at_level(logging.ERROR, logger="wskit"):
            bus.emit(event())
        assert calls == ["before", "after"]
        [record] = caplog.records
        assert record.name == "wskit"
        assert record.levelno == logging.ERROR
        assert record.getMessage().startswith(f"event subscriber {broken!r} failed on ")
        assert record.exc_info is not None
        assert isinstance(record.exc_info[1], RuntimeError)
        assert str(record.exc_info[1]) == "subscriber bug"

    def test_failing_subscriber_stays_subscribed(self, caplog: pytest.LogCaptureFixture) -> None:
        bus = EventBus()
        failures = []

        def broken(e: Event) -> None:
            failures.append(e)
            raise RuntimeError("again")

        bus.subscribe(broken)
        with caplog.at_level(logging.ERROR, logger="wskit"):
            bus.emit(event())
            bus.emit(event())
        assert len(failures) == 2
        assert len(caplog.records) == 2

    def test_unsubscribe_during_emit_is_safe(self) -> None:
        bus, calls = EventBus(), []

        def first(e: Event) -> None:
            calls.append("first")
            unsubscribe_second()

        bus.subscribe(first)
        unsubscribe_second = bus.subscribe(lambda e: calls.append("second"))
        bus.subscribe(lambda e: calls.append("third"))
        bus.emit(event())  # the event already under way reaches everyone subscribed when it started
        bus.emit(event())
        assert calls == ["first", "second", "third", "first", "third"]

    def test_unsubscribe_self_during_emit(self) -> None:
        bus, calls = EventBus(), []

        def once(e: Event) -> None:
            calls.append("once")
            unsubscribe()

        unsubscribe = bus.subscribe(once)
        bus.subscribe(lambda e: calls.append("other"))
        bus.emit(event())
        bus.emit(event())
        assert calls == ["once", "other", "other"]

    def test_subscribe_during_emit_starts_with_the_next_event(self) -> None:
        bus, calls = EventBus(), []

        def adder(e: Event) -> None:
            calls.append("adder")
            if len(calls) == 1:
                bus.subscribe(lambda e: calls.append("late"))

        bus.subscribe(adder)
        bus.emit(event())
        bus.emit(event())
        assert calls == ["adder", "adder", "late"]


def test_subscribing_twice_needs_two_unsubscribes() -> None:
    bus = EventBus()
    got: list[Event] = []
    first = bus.subscribe(got.append)
    bus.subscribe(got.append)
    first()
    bus.emit(Event(EventKind.READY, source=None))
    assert len(got) == 1


def test_repr_of_an_error_event_masks_the_secret() -> None:
    from wskit.events import Event, EventKind

    event = Event(
        EventKind.ERROR,
        None,
        error=RuntimeError("refused Authorization: Bearer s3cret-42 on ws://h/?token=s3cret"),
        reason="bye token=s3cret",
    )
    shown = repr(event)
    assert "s3cret" not in shown
    assert shown.startswith("Event(kind=<EventKind.ERROR: 'error'>")
    assert "error=RuntimeError(" in shown and "reason='bye token=***'" in shown
