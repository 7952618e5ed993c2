"""Frame anatomy: RFC 6455 §5.7 vectors, masking, fragmentation, malformed frames."""

from __future__ import annotations

import pytest
from websockets.exceptions import ProtocolError
from websockets.frames import Frame, Opcode

from wskit import wire

KEY = bytes.fromhex("37fa213d")
HELLO_MASKED = bytes.fromhex("81 85 37 fa 21 3d 7f 9f 4d 51 58")


class TestSection57Examples:
    """Every example of RFC 6455 §5.7, built by encode and taken apart by decode."""

    def test_single_frame_unmasked_text(self) -> None:
        data = bytes.fromhex("81 05 48 65 6c 6c 6f")
        assert wire.encode("TEXT", "Hello") == data
        a = wire.decode(data, from_client=False)
        assert (a.fin, a.opcode, a.opcode_name, a.masked, a.length, a.payload) == (
            True,
            1,
            "TEXT",
            False,
            5,
            b"Hello",
        )
        assert a.valid and a.websockets_verdict == "accepted"

    def test_single_frame_masked_text(self) -> None:
        assert wire.encode(0x1, b"Hello", mask=KEY) == HELLO_MASKED
        a = wire.decode(HELLO_MASKED, from_client=True)
        assert a.masked and a.masking_key == KEY
        assert a.masked_payload == bytes.fromhex("7f 9f 4d 51 58")
        assert a.payload == b"Hello" and a.text == "Hello"
        assert a.valid and a.header_length == 6

    def test_fragmented_unmasked_text(self) -> None:
        first, second = bytes.fromhex("01 03 48 65 6c"), bytes.fromhex("80 02 6c 6f")
        assert wire.encode("TEXT", "Hel", fin=False) == first
        assert wire.encode("CONT", "lo") == second
        assert wire.fragment("Hello", 3) == [first, second]
        a, b = wire.decode(first), wire.decode(second)
        assert (a.fin, a.opcode_name, b.fin, b.opcode_name) == (False, "TEXT", True, "CONT")
        assert wire.reassemble([first, second]).message == "Hello"

    def test_unmasked_ping_and_masked_pong(self) -> None:
        ping = bytes.fromhex("89 05 48 65 6c 6c 6f")
        pong = bytes.fromhex("8a 85 37 fa 21 3d 7f 9f 4d 51 58")
        assert wire.encode("PING", b"Hello") == ping
        assert wire.encode("PONG", b"Hello", mask=KEY) == pong
        assert wire.decode(ping).opcode_name == "PING"
        assert wire.decode(pong, from_client=True).payload == b"Hello"

    def test_256_bytes_binary_16_bit_length(self) -> None:
        payload = bytes(range(256))
        data = wire.encode("BINARY", payload)
        assert data[:4] == bytes.fromhex("82 7e 01 00") and data[4:] == payload
        a = wire.decode(data)
        assert (a.length, a.length_form, a.header_length, a.payload) == (256, "16-bit", 4, payload)
        assert a.valid

    def test_64_kib_binary_64_bit_length(self) -> None:
        payload = b"\xab" * 65536
        data = wire.encode("BINARY", payload)
        assert data[:10] == bytes.fromhex("82 7f 00 00 00 00 00 01 00 00") and len(data) == 10 + 65536
        a = wire.decode(data)
        assert (a.length, a.length_form, a.header_length) == (65536, "64-bit", 10)
        assert a.valid


class TestEncode:
    def test_valid_frames_match_websockets(self) -> None:
        for opcode, payload in [(Opcode.TEXT, b"hi"), (Opcode.BINARY, bytes(300)), (Opcode.CLOSE, b"\x03\xe8bye")]:
            assert wire.encode(int(opcode), payload) == Frame(opcode, payload).serialize(mask=False)

    def test_masked_frames_parse_in_websockets(self) -> None:
        data = wire.encode("BINARY", bytes(range(200)), mask=b"\x01\x02\x03\x04")
        (frame,) = wire.parse_frames(data, mask=True)
        assert frame.data == bytes(range(200))

    def test_builds_malformed_frames(self) -> None:
        assert wire.encode("TEXT", b"x", rsv=(1, 0, 0))[0] == 0xC1
        assert wire.encode(0x3, b"")[0] == 0x83
        assert len(wire.encode("PING", bytes(126))) == 4 + 126

    def test_rejects_bad_arguments(self) -> None:
        with pytest.raises(ValueError, match="4 bytes"):
            wire.encode("TEXT", b"x", mask=b"abc")
        with pytest.raises(ValueError, match="unknown opcode"):
            wire.encode("NOPE", b"")
        with pytest.raises(ValueError, match="4 bits"):
            wire.encode(16, b"")


class TestMalformed:
    """decode says why a frame is malformed and which close code a receiver sends."""

    @pytest.mark.parametrize(
        ("data", "kwargs", "words", "section", "code"),
        [
            (wire.encode("TEXT", b"x", rsv=(1, 0, 0)), {}, "RSV1 is set but no extension", "5.2", 1002),
            (wire.encode("TEXT", b"x", rsv=(0, 1, 1)), {}, "RSV2/RSV3", "5.2", 1002),
            (wire.encode("TEXT", b"x"), {"from_client": True}, "client must mask", "5.1", 1002),
            (wire.encode("TEXT", b"x", mask=KEY), {"from_client": False}, "server must not mask", "5.1", 1002),
            (wire.encode("PING", bytes(126)), {}, "at most 125 payload bytes", "5.5", 1002),
            (wire.encode("PONG", b"", fin=False), {}, "must not be fragmented", "5.5", 1002),
            (wire.encode(0xB, b""), {}, "opcode 0xb is reserved", "5.2", 1002),
            (wire.encode("TEXT", b"caf\xc3\xa9"[:-1]), {}, "must be UTF-8", "8.1", 1007),
            (wire.encode("CLOSE", b"\x03"), {}, "has 1 byte", "5.5.1", 1002),
            (wire.encode("CLOSE", b"\x03\xed"), {}, "close code 1005 may not be sent", "7.4.1", 1002),
            (wire.encode("CLOSE", b"\x03\xe8\xff"), {}, "close reason must be UTF-8", "5.5.1", 1007),
            (bytes.fromhex("81 7e 00 05") + b"hello", {}, "minimal form", "5.2", 1002),
        ],
    )
    def test_explains(self, data: bytes, kwargs: dict[str, bool], words: str, section: str, code: int) -> None:
        a = wire.decode(data, **kwargs)  # type: ignore[arg-type]
        assert not a.valid
        (problem,) = a.problems
        assert words in problem.message
        assert (problem.section, problem.close_code, a.close_code) == (section, code, code)
        assert "MALFORMED" in str(a) and words in str(a)
        assert "malformed" in a._repr_html_()

    def test_websockets_agrees(self) -> None:
        assert wire.decode(wire.encode("PING", bytes(126))).websockets_verdict == "rejected: control frame too long"
        verdict = wire.decode(wire.encode("TEXT", b"x", rsv=(1, 0, 0))).websockets_verdict
        assert verdict == "rejected: reserved bits must be 0"

    def test_rsv1_allowed_with_deflate_on_first_data_frame_only(self) -> None:
        assert wire.decode(wire.encode("TEXT", b"x", rsv=(1, 0, 0)), deflate=True).valid
        assert not wire.decode(wire.encode("CONT", b"x", rsv=(1, 0, 0)), deflate=True).valid

    def test_utf8_split_across_fragments_is_fine_until_the_last(self) -> None:
        assert wire.decode(wire.encode("TEXT", "café".encode()[:-1], fin=False)).valid

    @pytest.mark.parametrize(
        ("data", "words"),
        [
            (b"\x81", "1 of at least 2 header bytes"),
            (b"\x82\x7e\x01", "16-bit length needs 2 more bytes"),
            (b"\x82\x7f" + bytes(4), "64-bit length needs 8 more bytes"),
            (b"\x81\x85\x37\xfa", "masking key needs 4 bytes"),
            (b"\x81\x05He", "2 of 5 payload bytes"),
        ],
    )
    def test_truncated(self, data: bytes, words: str) -> None:
        a = wire.decode(data)
        assert not a.complete and a.close_code is None
        assert words in a.problems[-1].message
        assert a.websockets_verdict == "incomplete"
        str(a), a._repr_html_()

    def test_rest_is_the_next_frame(self) -> None:
        ping = wire.encode("PING", b"")
        a = wire.decode(wire.encode("TEXT", "hi") + ping)
        assert a.valid and a.rest == ping and "2 more bytes" in str(a)


class TestRendering:
    def test_text_rows(self) -> None:
        lines = str(wire.decode(HELLO_MASKED)).splitlines()
        assert "FIN=1 RSV1=0 RSV2=0 RSV3=0 opcode=0x1" in lines[1] and "TEXT" in lines[1]
        assert "MASK=1 len=5" in lines[2]
        assert lines[3].startswith("2-5") and "37 fa 21 3d" in lines[3] and "masking key" in lines[3]
        assert "'Hello'" in lines[4]
        assert lines[-1] == "OK: valid TEXT frame, 11 bytes"

    def test_html_uses_jupyterlab_variables_and_escapes(self) -> None:
        page = wire.decode(wire.encode("TEXT", "<b>&</b>"))._repr_html_()
        assert "var(--jp-ui-font-color1" in page and "var(--jp-border-color2" in page
        assert "<b>&</b>" not in page and "&lt;b&gt;&amp;&lt;/b&gt;" in page

    def test_close_payload_is_explained(self) -> None:
        a = wire.decode(wire.encode("CLOSE", b"\x03\xe8bye"))
        assert a.close == (1000, "bye")
        assert "close code 1000 (OK), reason 'bye'" in str(a)


class TestMasking:
    def test_rfc_example(self) -> None:
        m = wire.masking("Hello", KEY)
        assert m.masked == bytes.fromhex("7f 9f 4d 51 58")
        assert m.rows()[0] == (0, 0x48, 0x37, 0x7F) and m.rows()[4][2] == 0x37  # key[4 % 4]
        assert "01001000" in str(m) and "<table" in m._repr_html_()

    @pytest.mark.parametrize("size", [0, 1, 3, 4, 5, 127, 4096])
    def test_round_trip(self, size: int) -> None:
        payload = bytes((i * 7) % 256 for i in range(size))
        key = bytes([size % 256, 0xA5, 0x00, 0xFF])
        once = wire.masking(payload, key)
        assert wire.masking(once.masked, key).masked == payload
        assert len(once.masked) == size
        # the same key in a frame: websockets unmasks it back to the payload
        (frame,) = wire.parse_frames(wire.encode("BINARY", payload, mask=key), mask=True)
        assert frame.data == payload

    def test_key_must_be_4_bytes(self) -> None:
        with pytest.raises(ValueError):
            wire.masking(b"x", b"12345")


class TestFragmentation:
    def test_interleaved_ping(self) -> None:
        frames = wire.fragment("Hello, fragments!", 5, interleave=("PING", b"mid"))
        names = [(wire.decode(f).opcode_name, wire.decode(f).fin) for f in frames]
        assert names == [("TEXT", False), ("PING", True), ("CONT", False), ("CONT", False), ("CONT", True)]
        result = wire.reassemble(frames)
        assert result.message == "Hello, fragments!"
        assert [(f.opcode, f.data) for f in result.control] == [(Opcode.PING, b"mid")]
        assert len(result.frames) == 5 and "PING" in str(result)

    def test_masked_binary(self) -> None:
        payload = bytes(range(256)) * 4
        frames = wire.fragment(payload, 300, mask=KEY, interleave=("PONG", b""))
        assert all(wire.decode(f, from_client=True).valid for f in frames)
        assert wire.reassemble(b"".join(frames)).message == payload

    def test_out_of_order_fragments_fail(self) -> None:
        with pytest.raises(ProtocolError, match="unexpected continuation"):
            wire.reassemble([wire.encode("CONT", b"x")])
        with pytest.raises(ProtocolError, match="expected a continuation"):
            wire.reassemble([wire.encode("TEXT", b"a", fin=False), wire.encode("TEXT", b"b")])
        with pytest.raises(ProtocolError, match="incomplete"):
            wire.reassemble([wire.encode("TEXT", b"a", fin=False)])

    def test_bad_utf8_across_fragments(self) -> None:
        with pytest.raises(UnicodeDecodeError):
            wire.reassemble([wire.encode("TEXT", b"caf\xc3", fin=False), wire.encode("CONT", b"(")])

    def test_truncated_stream(self) -> None:
        with pytest.raises(EOFError):
            wire.parse_frames(wire.encode("TEXT", "hello")[:-1], mask=False)


def test_text_views_in_ipython() -> None:
    from IPython.lib.pretty import pretty

    for view in (
        wire.decode(HELLO_MASKED),
        wire.masking("Hi", KEY),
        wire.close_codes(),
        wire.reassemble(wire.fragment("ab", 1)),
    ):
        assert pretty(view) == str(view)
