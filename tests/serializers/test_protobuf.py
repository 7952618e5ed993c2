"""Pipecat's protobuf frames: exact bytes, round trips, skipping unknown fields, clear errors."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wskit import AudioFrame, BinaryFrame, InterruptionFrame, MessageFrame, TextFrame, TranscriptionFrame
from wskit.serializers import ProtobufFrameSerializer
from wskit.serializers._protobuf import decode_fields

PB = ProtobufFrameSerializer()
PB_IDS = ProtobufFrameSerializer(send_ids=True)


def encode_varint(value: int) -> bytes:
    """Base-128 varint (the test's own, to build inputs by hand)."""
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    return bytes([*out, value])


def h(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


class TestExactBytes:
    def test_text_frame_hello_pipecat(self) -> None:
        assert PB.serialize(TextFrame("hello pipecat")) == h("0a 0f 1a 0d") + b"hello pipecat"

    # The vectors below are what Pipecat 1.14's ProtobufFrameSerializer produced for the same frames
    # (it sends id and name, which send_ids=True reproduces).
    def test_text_with_ids_as_pipecat(self) -> None:
        frame = TextFrame("hello pipecat", id=1, name="TextFrame#0")
        assert PB_IDS.serialize(frame) == h("0a 1e 08 01 12 0b") + b"TextFrame#0" + h("1a 0d") + b"hello pipecat"

    def test_audio_as_pipecat(self) -> None:
        frame = AudioFrame(b"\x01\x00\x02\x00", 16000, 1, id=2, name="OutputAudioRawFrame#0")
        expected = h("12 24 08 02 12 15") + b"OutputAudioRawFrame#0" + h("1a 04 01 00 02 00 20 80 7d 28 01")
        assert PB_IDS.serialize(frame) == expected

    def test_interruption_as_pipecat(self) -> None:
        frame = InterruptionFrame(id=3, name="InterruptionFrame#0")
        assert PB_IDS.serialize(frame) == h("2a 17 08 03 12 13") + b"InterruptionFrame#0"

    def test_transcription_as_pipecat(self) -> None:
        frame = TranscriptionFrame("hi", "u1", "2024", id=4, name="TranscriptionFrame#0")
        expected = h("1a 26 08 04 12 14") + b"TranscriptionFrame#0" + h("1a 02") + b"hi" + h("22 02") + b"u1"
        assert PB_IDS.serialize(frame) == expected + h("2a 04") + b"2024"

    def test_message_as_pipecat(self) -> None:
        assert PB.serialize(MessageFrame({"a": 1})) == h("22 0a 0a 08") + b'{"a": 1}'

    def test_audio_without_ids(self) -> None:
        assert PB.serialize(AudioFrame(b"\x01\x00", 8000)) == h("12 09 1a 02 01 00 20 c0 3e 28 01")

    def test_interruption_without_ids_is_an_empty_submessage(self) -> None:
        assert PB.serialize(InterruptionFrame()) == h("2a 00")

    def test_binary_frame_has_no_protobuf_form(self) -> None:
        assert PB.serialize(BinaryFrame(b"x")) is None

    @pytest.mark.parametrize(
        ("value", "encoded"),
        [
            (0, "00"),
            (1, "01"),
            (127, "7f"),
            (128, "80 01"),
            (300, "ac 02"),
            (2**64 - 1, "ff ff ff ff ff ff ff ff ff 01"),
        ],
    )
    def test_varints(self, value: int, encoded: str) -> None:
        assert encode_varint(value) == h(encoded)
        assert decode_fields(h("08") + h(encoded)) == {1: value}
        frame = PB_IDS.deserialize(h("0a") + encode_varint(len(h(encoded)) + 1) + h("08") + h(encoded))
        assert isinstance(frame, TextFrame) and frame.id == (value or frame.id)


class TestDecode:
    def test_text(self) -> None:
        frame = PB.deserialize(h("0a 0f 1a 0d") + b"hello pipecat")
        assert isinstance(frame, TextFrame) and frame.text == "hello pipecat"

    def test_ids_are_kept(self) -> None:
        frame = PB.deserialize(PB_IDS.serialize(TextFrame("x", id=77, name="Mine")) or b"")
        assert frame is not None and (frame.id, frame.name) == (77, "Mine")

    def test_audio_with_wav_header_is_stripped(self) -> None:
        from wskit.audio import add_header

        frame = PB.deserialize(PB.serialize(AudioFrame(add_header(b"\x01\x00\x02\x00", 24000), 24000)) or b"")
        assert isinstance(frame, AudioFrame)
        assert (frame.audio, frame.sample_rate) == (b"\x01\x00\x02\x00", 24000)

    def test_unknown_fields_of_every_wire_type_are_skipped(self) -> None:
        unknown = (
            h("78 05") + h("79 0102030405060708") + h("7a 02 abcd") + h("7d 01020304")
        )  # fields 15, varint/i64/len/i32
        inner = unknown + h("1a 02") + b"hi" + unknown
        frame = PB.deserialize(unknown + h("0a") + encode_varint(len(inner)) + inner + unknown)
        assert isinstance(frame, TextFrame) and frame.text == "hi"

    def test_unknown_frame_type_is_skipped(self) -> None:
        assert PB.deserialize(h("32 02 1a 00")) is None  # field 6: a frame kind newer than the schema
        assert PB.deserialize(b"") is None
        assert PB.deserialize(h("08 01")) is None  # field 1 with the wrong wire type is an unknown field too

    def test_audio_pts(self) -> None:
        frame = PB.deserialize(PB_IDS.serialize(AudioFrame(b"\x00\x00", 8000, pts=123)) or b"")
        assert frame is not None and frame.pts == 123


class TestMalformed:
    def test_every_cut_of_an_audio_frame_is_a_clear_error(self) -> None:
        data = PB_IDS.serialize(AudioFrame(bytes(640), 16000, 1, pts=5)) or b""
        for cut in range(1, len(data)):
            with pytest.raises(ValueError, match="truncated"):
                PB.deserialize(data[:cut])

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            (h("0a 05 1a 03 61"), "truncated"),
            (h("08 ff ff"), "truncated"),
            (h("08 ff ff ff ff ff ff ff ff ff ff 01"), "longer than 10 bytes"),
            (h("0b"), "wire type 3"),
            (h("00"), "field number 0"),
            (h("0a 03 1a 01 ff"), "not valid UTF-8"),
            (h("12 06 1a 02 00 00 20 00"), "sample_rate 0"),
            (h("12 07 1a 03 00 00 00 20 08"), "not a whole number of 16-bit samples"),
            (h("22 03 0a 01 7b"), "not valid JSON"),
        ],
    )
    def test_malformed_inputs(self, data: bytes, message: str) -> None:
        with pytest.raises(ValueError, match=message):
            PB.deserialize(data)

    def test_text_message_is_refused(self) -> None:
        with pytest.raises(ValueError, match="binary"):
            PB.deserialize("hello")

    @settings(deadline=None)  # a shared, loaded machine: time limits per example would be flaky
    @given(st.binary(max_size=64))
    def test_arbitrary_bytes_never_raise_anything_but_value_error(self, data: bytes) -> None:
        with contextlib.suppress(ValueError):
            PB.deserialize(data)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10,
)


class TestRoundTrip:
    @settings(deadline=None)  # a shared, loaded machine: time limits per example would be flaky
    @given(st.text(max_size=200), st.integers(1, 2**64 - 1), st.text(min_size=1, max_size=30))
    def test_text(self, text: str, frame_id: int, name: str) -> None:
        frame = PB_IDS.deserialize(PB_IDS.serialize(TextFrame(text, id=frame_id, name=name)) or b"")
        assert isinstance(frame, TextFrame)
        assert (frame.text, frame.id, frame.name) == (text, frame_id, name)

    @settings(deadline=None)  # a shared, loaded machine: time limits per example would be flaky
    @given(
        st.integers(0, 400).flatmap(lambda n: st.binary(min_size=2 * n, max_size=2 * n)),
        st.sampled_from([8000, 16000, 22050, 24000, 44100, 48000, 2**32 - 1]),
        st.one_of(st.none(), st.integers(0, 2**64 - 1)),
    )
    def test_audio_mono(self, pcm: bytes, rate: int, pts: int | None) -> None:
        frame = PB_IDS.deserialize(PB_IDS.serialize(AudioFrame(pcm, rate, pts=pts)) or b"")
        assert isinstance(frame, AudioFrame)
        assert (frame.audio, frame.sample_rate, frame.num_channels, frame.pts) == (pcm, rate, 1, pts)

    @settings(deadline=None)  # a shared, loaded machine: time limits per example would be flaky
    @given(st.integers(0, 100), st.integers(1, 8))
    def test_audio_channels(self, n: int, channels: int) -> None:
        frame = PB.deserialize(PB.serialize(AudioFrame(bytes(2 * n * channels), 16000, channels)) or b"")
        assert isinstance(frame, AudioFrame) and frame.num_channels == channels

    @settings(deadline=None)  # a shared, loaded machine: time limits per example would be flaky
    @given(st.text(max_size=50), st.text(max_size=20), st.text(max_size=30))
    def test_transcription(self, text: str, user: str, stamp: str) -> None:
        frame = PB.deserialize(PB.serialize(TranscriptionFrame(text, user, stamp)) or b"")
        assert isinstance(frame, TranscriptionFrame)
        assert (frame.text, frame.user_id, frame.timestamp) == (text, user, stamp)

    @settings(deadline=None)  # a shared, loaded machine: time limits per example would be flaky
    @given(json_values)
    def test_message(self, value: object) -> None:
        frame = PB.deserialize(PB.serialize(MessageFrame(value)) or b"")
        assert isinstance(frame, MessageFrame) and frame.data == json.loads(json.dumps(value))

    def test_interruption(self) -> None:
        assert isinstance(PB.deserialize(PB.serialize(InterruptionFrame()) or b""), InterruptionFrame)
