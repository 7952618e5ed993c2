"""wskit.serializers._json: type-tagged JSON objects, exact strings and every malformed input."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wskit.audio import add_header
from wskit.frames import (
    AudioFrame,
    BinaryFrame,
    Frame,
    InterruptionFrame,
    MessageFrame,
    TextFrame,
    TranscriptionFrame,
)
from wskit.serializers import FrameSerializer, JsonSerializer

SERIALIZER = JsonSerializer()


def test_is_a_frame_serializer() -> None:
    assert isinstance(SERIALIZER, FrameSerializer)
    assert JsonSerializer.name == "JsonSerializer"


class TestSerialize:
    def test_text(self) -> None:
        frame = TextFrame("héllo", id=1, name="t")
        assert SERIALIZER.serialize(frame) == '{"type":"text","text":"héllo","id":1,"name":"t"}'

    def test_binary_is_base64(self) -> None:
        frame = BinaryFrame(b"\x00\xff\x10", id=2, name="b")
        assert SERIALIZER.serialize(frame) == '{"type":"binary","data":"AP8Q","id":2,"name":"b"}'

    def test_message(self) -> None:
        frame = MessageFrame({"a": [1, None, True], "b": 2.5}, id=3, name="m")
        expected = '{"type":"message","data":{"a":[1,null,true],"b":2.5},"id":3,"name":"m"}'
        assert SERIALIZER.serialize(frame) == expected

    def test_audio(self) -> None:
        frame = AudioFrame(b"\x01\x00\xff\xff", 8000, 2, id=4, name="a")
        expected = '{"type":"audio","audio":"AQD//w==","sample_rate":8000,"num_channels":2,"id":4,"name":"a"}'
        assert SERIALIZER.serialize(frame) == expected

    def test_transcription(self) -> None:
        frame = TranscriptionFrame("hi", user_id="u1", timestamp="2024-01-01T00:00:00Z", id=5, name="tr")
        expected = (
            '{"type":"transcription","text":"hi","user_id":"u1","timestamp":"2024-01-01T00:00:00Z","id":5,"name":"tr"}'
        )
        assert SERIALIZER.serialize(frame) == expected

    def test_interruption(self) -> None:
        assert SERIALIZER.serialize(InterruptionFrame(id=6, name="i")) == '{"type":"interruption","id":6,"name":"i"}'

    def test_pts_when_set(self) -> None:
        frame = TextFrame("x", id=7, name="t", pts=1_500_000)
        assert SERIALIZER.serialize(frame) == '{"type":"text","text":"x","id":7,"name":"t","pts":1500000}'

    def test_default_name(self) -> None:
        assert SERIALIZER.serialize(TextFrame("x", id=8)) == '{"type":"text","text":"x","id":8,"name":"TextFrame#8"}'

    def test_unknown_frame_type_gives_none(self) -> None:
        assert SERIALIZER.serialize(Frame()) is None

    def test_message_that_is_not_json_raises(self) -> None:
        with pytest.raises(TypeError, match="not JSON serializable"):
            SERIALIZER.serialize(MessageFrame({1, 2}))


class TestDeserialize:
    def test_text(self) -> None:
        assert SERIALIZER.deserialize('{"type":"text","text":"hi","id":1,"name":"t"}') == TextFrame(
            "hi", id=1, name="t"
        )

    def test_id_name_pts_are_optional(self) -> None:
        frame = SERIALIZER.deserialize('{"type":"text","text":"hi"}')
        assert isinstance(frame, TextFrame)
        assert frame.text == "hi"
        assert frame.name == f"TextFrame#{frame.id}"
        assert frame.pts is None

    def test_null_pts(self) -> None:
        assert SERIALIZER.deserialize('{"type":"interruption","pts":null}').pts is None

    def test_pts(self) -> None:
        assert SERIALIZER.deserialize('{"type":"interruption","pts":42}').pts == 42

    def test_binary(self) -> None:
        frame = SERIALIZER.deserialize('{"type":"binary","data":"AP8Q","id":2,"name":"b"}')
        assert frame == BinaryFrame(b"\x00\xff\x10", id=2, name="b")

    def test_message(self) -> None:
        frame = SERIALIZER.deserialize('{"type":"message","data":[1,{"x":null}],"id":3,"name":"m"}')
        assert frame == MessageFrame([1, {"x": None}], id=3, name="m")

    def test_audio(self) -> None:
        frame = SERIALIZER.deserialize('{"type":"audio","audio":"AQD//w==","sample_rate":8000,"num_channels":2}')
        assert isinstance(frame, AudioFrame)
        assert (frame.audio, frame.sample_rate, frame.num_channels) == (b"\x01\x00\xff\xff", 8000, 2)

    def test_audio_channels_default_to_mono(self) -> None:
        frame = SERIALIZER.deserialize('{"type":"audio","audio":"AQD//w==","sample_rate":8000}')
        assert isinstance(frame, AudioFrame)
        assert frame.num_channels == 1

    def test_audio_with_wav_header_takes_the_header_format(self) -> None:
        encoded = SERIALIZER.serialize(AudioFrame(add_header(b"\x01\x00\x02\x00", 22_050), 8000))
        frame = SERIALIZER.deserialize(encoded)  # type: ignore[arg-type]
        assert isinstance(frame, AudioFrame)
        assert (frame.audio, frame.sample_rate) == (b"\x01\x00\x02\x00", 22_050)

    def test_transcription(self) -> None:
        frame = SERIALIZER.deserialize('{"type":"transcription","text":"hi","user_id":"u1","timestamp":"t0"}')
        assert isinstance(frame, TranscriptionFrame)
        assert (frame.text, frame.user_id, frame.timestamp) == ("hi", "u1", "t0")

    def test_transcription_optional_fields(self) -> None:
        frame = SERIALIZER.deserialize('{"type":"transcription","text":"hi","user_id":null}')
        assert isinstance(frame, TranscriptionFrame)
        assert (frame.user_id, frame.timestamp) == ("", "")

    def test_interruption(self) -> None:
        assert SERIALIZER.deserialize('{"type":"interruption","id":6,"name":"i"}') == InterruptionFrame(id=6, name="i")

    def test_utf8_bytes(self) -> None:
        frame = SERIALIZER.deserialize('{"type":"text","text":"héllo","id":1,"name":"t"}'.encode())
        assert frame == TextFrame("héllo", id=1, name="t")

    def test_untagged_object_is_a_message_frame(self) -> None:
        frame = SERIALIZER.deserialize('{"op":"add","n":[1,2]}')
        assert isinstance(frame, MessageFrame) and frame.data == {"op": "add", "n": [1, 2]}
        empty = SERIALIZER.deserialize("{}")
        assert isinstance(empty, MessageFrame) and empty.data == {}

    def test_extra_fields_are_ignored(self) -> None:
        frame = SERIALIZER.deserialize('{"type":"text","text":"hi","id":1,"name":"t","extra":[1]}')
        assert frame == TextFrame("hi", id=1, name="t")


# Every way a peer can get it wrong, and the message that says so.
MALFORMED = [
    ("", r"^Expecting value: line 1 column 1 \(char 0\)$"),
    ("{", r"^Expecting property name enclosed in double quotes"),
    ('{"type":"text","text":"hi"} trailing', r"^Extra data"),
    ("[]", r"^expected a JSON object, got list$"),
    ('"text"', r"^expected a JSON object, got str$"),
    ("null", r"^expected a JSON object, got NoneType$"),
    (
        '{"type":null}',
        r"^unknown frame type None; expected one of \['audio', 'binary', 'interruption', 'message', 'text', ",
    ),
    ('{"type":"video"}', r"^unknown frame type 'video'; expected one of \['audio', "),
    ('{"type":1}', r"^unknown frame type 1; expected one of "),
    ('{"type":"text"}', r"^missing field 'text'$"),
    ('{"type":"text","text":1}', r"^field 'text' has type int$"),
    ('{"type":"text","text":null}', r"^field 'text' has type NoneType$"),
    ('{"type":"text","text":"x","id":"1"}', r"^field 'id' has type str$"),
    ('{"type":"text","text":"x","id":true}', r"^field 'id' has type bool$"),
    ('{"type":"text","text":"x","name":5}', r"^field 'name' has type int$"),
    ('{"type":"text","text":"x","pts":1.5}', r"^field 'pts' has type float$"),
    ('{"type":"transcription"}', r"^missing field 'text'$"),
    ('{"type":"transcription","text":"x","user_id":5}', r"^field 'user_id' has type int$"),
    ('{"type":"transcription","text":"x","timestamp":1.0}', r"^field 'timestamp' has type float$"),
    ('{"type":"binary"}', r"^missing field 'data'$"),
    ('{"type":"binary","data":[0,1]}', r"^field 'data' must be a base64 string, not list$"),
    ('{"type":"binary","data":"AP8"}', r"^field 'data' is not valid base64: Incorrect padding$"),
    ('{"type":"binary","data":"A*8="}', r"^field 'data' is not valid base64: Only base64 data is allowed$"),
    ('{"type":"binary","data":"AP8Q\\n"}', r"^field 'data' is not valid base64: Only base64 data is allowed$"),
    ('{"type":"binary","data":"é"}', r"^field 'data' is not valid base64: string argument should contain only ASCII"),
    ('{"type":"audio","sample_rate":8000}', r"^missing field 'audio'$"),
    ('{"type":"audio","audio":"AA==","sample_rate":8000}', r"^AudioFrame.audio has 1 bytes, not a whole number"),
    ('{"type":"audio","audio":"AAAAAA==","sample_rate":8000,"num_channels":3}', r"^AudioFrame.audio has 4 bytes"),
    ('{"type":"audio","audio":"AA=="}', r"^missing field 'sample_rate'$"),
    ('{"type":"audio","audio":"AA==","sample_rate":"8000"}', r"^field 'sample_rate' has type str$"),
    ('{"type":"audio","audio":"AA==","sample_rate":8000.0}', r"^field 'sample_rate' has type float$"),
    ('{"type":"audio","audio":"AA==","sample_rate":true}', r"^field 'sample_rate' has type bool$"),
    ('{"type":"audio","audio":"AA==","sample_rate":0}', r"^AudioFrame.sample_rate must be a positive int, got 0$"),
    ('{"type":"audio","audio":"AA==","sample_rate":8000,"num_channels":"2"}', r"^field 'num_channels' has type str$"),
    ('{"type":"audio","audio":"AA==","sample_rate":8000,"num_channels":true}', r"^field 'num_channels' has type bool$"),
    ('{"type":"audio","audio":"AA==","sample_rate":8000,"num_channels":0}', r"^AudioFrame.num_channels must be a "),
]


@pytest.mark.parametrize(("message", "problem"), MALFORMED)
def test_malformed_text_message(message: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        SERIALIZER.deserialize(message)


def test_malformed_utf8() -> None:
    with pytest.raises(ValueError, match="can't decode byte 0xff"):
        SERIALIZER.deserialize(b'{"type":"text","text":"\xff"}')


def test_odd_length_audio_message() -> None:
    with pytest.raises(ValueError) as info:
        SERIALIZER.deserialize('{"type":"audio","audio":"AAAA","sample_rate":8000}')  # 3 bytes
    assert str(info.value) == (
        "AudioFrame.audio has 3 bytes, not a whole number of 16-bit samples for 1 channel(s) (2 bytes each)"
    )


# -- round trips -------------------------------------------------------------------

identity = st.fixed_dictionaries(
    {},
    optional={
        "id": st.integers(min_value=0, max_value=2**53),
        "name": st.text(min_size=1),
        "pts": st.integers(min_value=0, max_value=2**62),
    },
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


def round_trip(frame: Frame) -> Frame:
    encoded = SERIALIZER.serialize(frame)
    assert isinstance(encoded, str)
    json.loads(encoded)  # well-formed JSON, whatever the content
    decoded = SERIALIZER.deserialize(encoded)
    assert type(decoded) is type(frame)
    assert (decoded.id, decoded.name, decoded.pts) == (frame.id, frame.name, frame.pts)
    return decoded


@given(text=st.text(), kw=identity)
def test_text_round_trip(text: str, kw: dict[str, Any]) -> None:
    frame = TextFrame(text, **kw)
    assert round_trip(frame) == frame


@given(data=st.binary(), kw=identity)
def test_binary_round_trip(data: bytes, kw: dict[str, Any]) -> None:
    frame = BinaryFrame(data, **kw)
    assert round_trip(frame) == frame


@given(
    channels=st.integers(min_value=1, max_value=8),
    frames=st.integers(min_value=0, max_value=64),
    rate=st.sampled_from([8000, 16_000, 22_050, 44_100, 48_000]),
    data=st.data(),
)
def test_audio_round_trip(channels: int, frames: int, rate: int, data: st.DataObject) -> None:
    pcm = data.draw(st.binary(min_size=2 * channels * frames, max_size=2 * channels * frames))
    frame = AudioFrame(pcm, rate, channels, pts=frames)
    decoded = round_trip(frame)
    assert isinstance(decoded, AudioFrame)
    assert (decoded.audio, decoded.sample_rate, decoded.num_channels) == (pcm, rate, channels)


@given(value=json_values)
def test_message_round_trip(value: object) -> None:
    frame = MessageFrame(value)
    assert round_trip(frame) == frame


@given(text=st.text(), user_id=st.text(), timestamp=st.text())
def test_transcription_round_trip(text: str, user_id: str, timestamp: str) -> None:
    frame = TranscriptionFrame(text, user_id, timestamp)
    assert round_trip(frame) == frame


def test_interruption_round_trip() -> None:
    frame = InterruptionFrame(pts=3)
    assert round_trip(frame) == frame


class TestEdgeFrames:
    def test_subclass_serializes_as_its_base(self) -> None:
        @dataclasses.dataclass(slots=True)
        class Shout(TextFrame):
            pass

        assert json.loads(JsonSerializer().serialize(Shout("hi", id=1)) or "")["type"] == "text"

    def test_nan_is_refused(self) -> None:
        with pytest.raises(ValueError):
            JsonSerializer().serialize(MessageFrame({"x": float("nan")}))
