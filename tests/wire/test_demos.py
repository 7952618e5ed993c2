"""Live demos: each asserts what the other side observes."""

from __future__ import annotations

import pytest

from wskit import wire
from wskit.wire import demos

KEY = b"\x01\x02\x03\x04"


async def test_ping_pong() -> None:
    report = await demos.ping_pong(b"wskit")
    order = [(side, r.direction.value, r.opcode) for side, r in report.wire]
    assert order == [
        ("client", "out", "PING"),
        ("server", "in", "PING"),
        ("server", "out", "PONG"),
        ("client", "in", "PONG"),
    ]
    assert all(r.payload == b"wskit" for _, r in report.wire)
    assert 0 < report.facts["round_trip_ms"] < 5000
    assert "PONG" in str(report) and "←" in report._repr_html_()


async def test_keepalive_timeout_closes_with_1011() -> None:
    report = await demos.keepalive_timeout(ping_interval=0.1, ping_timeout=0.2)
    (close,) = report.frames("server", "out", "CLOSE")
    assert (close.code, close.reason) == (1011, "keepalive ping timeout")
    assert report.frames("server", "out", "PING")
    assert report.facts["client close_code"] == 1011
    assert report.facts["client close_reason"] == "keepalive ping timeout"


async def test_fragmentation_with_a_ping_between_fragments() -> None:
    report = await demos.fragmentation(size=50_000, fragment_size=16_384)
    frames = [(r.opcode, r.fin, r.length) for r in report.frames("server", "in")]
    assert frames == [
        ("TEXT", False, 16_384),
        ("PING", True, 17),
        ("CONT", False, 16_384),
        ("CONT", False, 16_384),
        ("CONT", False, 50_000 - 3 * 16_384),
        ("CONT", True, 0),
    ]
    assert report.facts["message_bytes_delivered"] == 50_000
    assert report.frames("client", "in", "PONG")


async def test_permessage_deflate_on_and_off() -> None:
    report = await demos.compression()
    size = report.facts["payload_bytes"]
    assert report.facts["deflate: RSV1"] == 1 and report.facts["deflate: bytes on the wire"] < size / 5
    assert report.facts["no compression: RSV1"] == 0 and report.facts["no compression: bytes on the wire"] == size
    assert report.facts["deflate: extensions"].startswith("permessage-deflate")
    assert report.facts["no compression: extensions"] == "(none)"
    server_in = [r for side, r in report.wire if side == "server" and r.opcode == "TEXT"]
    assert [r.rsv1 for r in server_in] == [True, False]


async def test_invalid_utf8_closes_with_1007() -> None:
    report = await demos.invalid_utf8(b"caf\xc3")
    assert report.facts["client close_code"] == 1007
    (close,) = report.frames("server", "out", "CLOSE")
    assert close.code == 1007 and "position 3" in close.reason
    assert "1007" in report.facts["server errors"]


async def test_oversized_message_closes_with_1009() -> None:
    report = await demos.oversized(limit=1000)
    assert report.facts["client close_code"] == 1009
    assert "1001 bytes exceeds limit of 1000" in report.facts["client close_reason"]


async def test_policy_violation_closes_with_1008() -> None:
    report = await demos.policy_violation()
    assert report.facts["server_rejected_with"] == 1008
    assert (report.facts["client close_code"], report.facts["client close_reason"]) == (1008, "token required")
    assert report.frames("server", "out", "CLOSE")[0].code == 1008


@pytest.mark.parametrize("side", ["client", "server"])
async def test_abrupt_loss_is_1006_on_the_other_side(side: str) -> None:
    report = await demos.abrupt_loss(side)  # type: ignore[arg-type]
    other = "server" if side == "client" else "client"
    assert report.facts[f"{other} close_code"] == 1006
    assert not [r for _, r in report.wire if r.opcode == "CLOSE"]


@pytest.mark.parametrize(
    ("frame", "code", "reason"),
    [
        (wire.encode("TEXT", b"hi", rsv=(1, 0, 0), mask=KEY), 1002, "reserved bits must be 0"),
        (wire.encode("TEXT", b"hi"), 1002, "incorrect masking"),
        (wire.encode("PING", bytes(126), mask=KEY), 1002, "control frame too long"),
        (wire.encode("PING", b"x", fin=False, mask=KEY), 1002, "fragmented control frame"),
        (wire.encode(0x3, b"", mask=KEY), 1002, "invalid opcode"),
        (wire.encode("CONT", b"x", mask=KEY), 1002, "unexpected continuation frame"),
        (wire.encode("TEXT", b"\xff", mask=KEY), 1007, "invalid start byte at position 0"),
    ],
)
async def test_malformed_frames_on_a_live_connection(frame: bytes, code: int, reason: str) -> None:
    """Raw bytes after a real handshake: the server closes as decode() predicts."""
    report = await demos.malformed(frame)
    assert report.facts["server_accepted_them"] is False
    assert report.facts["raw client received close code"] == code
    assert report.facts["raw client received reason"] == reason
    (close,) = report.frames("server", "out", "CLOSE")
    assert close.code == code
    anatomy = wire.decode(frame, from_client=True)
    if reason == "unexpected continuation frame":
        # the frame itself is well formed; it is out of order, and the tap saw it arrive
        assert anatomy.valid
        assert [r.opcode for r in report.frames("server", "in")] == ["CONT"]
    else:
        assert anatomy.close_code == code
        # framing errors are refused by the parser (never a frame); bad UTF-8 is a parsed frame
        assert len(report.frames("server", "in")) == (code == 1007)


async def test_backpressure_blocks_send_and_loses_nothing() -> None:
    report = await demos.backpressure(message_size=65_536, seconds=0.3)
    sent = report.facts["messages_sent_before_send_waited"]
    assert 0 < sent < 10_000  # send waited long before the bound
    assert report.facts["client_write_buffer_bytes_while_waiting"] > report.facts["client_write_limit"]
    assert report.facts["messages_received_after_resuming"] in (sent, sent + 1)  # + one cut short mid-wait


async def test_capture_shows_the_masked_bytes_and_restores_the_transport() -> None:
    async with demos.Pair() as pair:
        transport = pair.client_conn.websocket.transport
        with wire.capture(pair.client_conn) as cap:
            await pair.client_conn.send_text("Hello")
            await pair.client_conn.ping(b"x")
        assert "write" not in vars(transport)
        text, ping = cap.frames()
        assert text.valid and text.masked and text.payload == b"Hello" and text.masking_key is not None
        assert text.masked_payload == wire.masking(b"Hello", text.masking_key).masked
        assert (ping.opcode_name, ping.payload) == ("PING", b"x")
        await pair.server_conn.send_text("back")
        with wire.capture(pair.server_conn, limit=3) as small:
            await pair.server_conn.send_text("unmasked")
        assert small.seen == 10 and small.chunks == []
        with wire.capture(pair.server_conn) as server_side:
            await pair.server_conn.send_text("unmasked")
        (frame,) = server_side.frames()
        assert frame.valid and not frame.masked and frame.data == b"\x81\x08unmasked"


async def test_raw_bytes_that_follow_the_rules_are_accepted() -> None:
    hello = wire.encode("TEXT", "Hello", mask=KEY)
    report = await demos.malformed(hello + wire.encode("PING", b"?", mask=KEY), settle=0.2)
    assert report.facts["server_accepted_them"] is True
    assert [(r.opcode, r.payload) for r in report.frames("server", "in")][:2] == [("TEXT", b"Hello"), ("PING", b"?")]
    assert report.frames("server", "out", "PONG")[0].payload == b"?"
    assert report.facts["server close_code"] == 1000
