"""wskit.serializers._raw: WebSocket messages as they are."""

from __future__ import annotations

import pytest

import wskit
from wskit.audio import add_header
from wskit.frames import (
    AudioFrame,
    BinaryFrame,
    InterruptionFrame,
    MessageFrame,
    TextFrame,
    TranscriptionFrame,
)
from wskit.serializers import FrameSerializer, RawSerializer, setup

PCM = b"\x01\x00\xff\xff\x00\x80\xff\x7f"  # 1, -1, -32768, 32767


def test_is_a_frame_serializer() -> None:
    assert isinstance(RawSerializer(), FrameSerializer)
    assert RawSerializer.name == "RawSerializer"


def test_bad_binary_mode() -> None:
    with pytest.raises(ValueError, match=r"^binary must be 'auto', 'audio' or 'bytes', not 'pcm'$"):
        RawSerializer("pcm")  # type: ignore[arg-type]


class TestDeserialize:
    def test_text_message_is_a_text_frame(self) -> None:
        frame = RawSerializer().deserialize("héllo")
        assert type(frame) is TextFrame
        assert frame.text == "héllo"

    def test_text_that_looks_like_json_stays_text(self) -> None:
        frame = RawSerializer().deserialize('{"type": "text"}')
        assert type(frame) is TextFrame
        assert frame.text == '{"type": "text"}'

    def test_binary_is_bytes_by_default(self) -> None:
        frame = RawSerializer().deserialize(b"\x00\x01\x02")
        assert type(frame) is BinaryFrame
        assert frame.data == b"\x00\x01\x02"

    def test_audio_mode_defaults_to_16k_mono(self) -> None:
        frame = RawSerializer("audio").deserialize(PCM)
        assert type(frame) is AudioFrame
        assert (frame.audio, frame.sample_rate, frame.num_channels) == (PCM, 16_000, 1)
        assert frame.samples[:, 0].tolist() == [1, -1, -32768, 32767]

    def test_audio_mode_with_explicit_format(self) -> None:
        frame = RawSerializer("audio", sample_rate=24_000, num_channels=2).deserialize(PCM)
        assert isinstance(frame, AudioFrame)
        assert (frame.sample_rate, frame.num_channels, frame.num_frames) == (24_000, 2, 2)

    def test_audio_mode_odd_length_is_an_error(self) -> None:
        with pytest.raises(ValueError, match=r"^AudioFrame\.audio has 3 bytes"):
            RawSerializer("audio").deserialize(b"\x00\x00\x00")

    def test_audio_mode_strips_a_wav_header(self) -> None:
        frame = RawSerializer("audio").deserialize(add_header(PCM, 8000, 2))
        assert isinstance(frame, AudioFrame)
        assert (frame.audio, frame.sample_rate, frame.num_channels) == (PCM, 8000, 2)

    def test_text_in_audio_mode_is_still_text(self) -> None:
        assert type(RawSerializer("audio").deserialize("hi")) is TextFrame


class TestSetup:
    def test_auto_follows_audio_in_enabled(self) -> None:
        serializer = RawSerializer()
        serializer.setup(wskit.WebsocketServerParams(audio_in_enabled=True, audio_in_sample_rate=8000))
        frame = serializer.deserialize(PCM)
        assert isinstance(frame, AudioFrame)
        assert (frame.sample_rate, frame.num_channels) == (8000, 1)

    def test_auto_stays_bytes_when_audio_in_is_off(self) -> None:
        serializer = RawSerializer()
        serializer.setup(wskit.WebsocketServerParams(audio_in_sample_rate=8000))
        assert type(serializer.deserialize(PCM)) is BinaryFrame

    def test_channels_come_from_params(self) -> None:
        serializer = RawSerializer()
        serializer.setup(wskit.WebsocketServerParams(audio_in_enabled=True, audio_in_channels=2))
        frame = serializer.deserialize(PCM)
        assert isinstance(frame, AudioFrame)
        assert (frame.sample_rate, frame.num_channels) == (16_000, 2)

    def test_bytes_mode_ignores_audio_in_enabled(self) -> None:
        serializer = RawSerializer("bytes")
        serializer.setup(wskit.WebsocketServerParams(audio_in_enabled=True))
        assert type(serializer.deserialize(PCM)) is BinaryFrame

    def test_audio_mode_stays_audio_when_audio_in_is_off(self) -> None:
        serializer = RawSerializer("audio")
        serializer.setup(wskit.WebsocketServerParams(audio_in_enabled=False, audio_in_sample_rate=8000))
        frame = serializer.deserialize(PCM)
        assert isinstance(frame, AudioFrame)
        assert frame.sample_rate == 8000

    def test_explicit_format_wins_over_params(self) -> None:
        serializer = RawSerializer(sample_rate=48_000, num_channels=2)
        serializer.setup(
            wskit.WebsocketServerParams(audio_in_enabled=True, audio_in_sample_rate=8000, audio_in_channels=1)
        )
        frame = serializer.deserialize(PCM)
        assert isinstance(frame, AudioFrame)
        assert (frame.sample_rate, frame.num_channels) == (48_000, 2)

    async def test_through_the_transport_hook(self) -> None:
        serializer = RawSerializer()
        await setup(serializer, wskit.WebsocketServerParams(audio_in_enabled=True, audio_in_sample_rate=8000))
        frame = serializer.deserialize(PCM)
        assert isinstance(frame, AudioFrame)
        assert frame.sample_rate == 8000


class TestSerialize:
    def test_text(self) -> None:
        assert RawSerializer().serialize(TextFrame("héllo")) == "héllo"

    def test_transcription_is_its_text(self) -> None:
        assert RawSerializer().serialize(TranscriptionFrame("hi there", user_id="u")) == "hi there"

    def test_binary(self) -> None:
        assert RawSerializer().serialize(BinaryFrame(b"\x00\xff")) == b"\x00\xff"

    def test_audio_is_its_pcm(self) -> None:
        assert RawSerializer().serialize(AudioFrame(PCM, 8000, 2)) == PCM

    def test_message_is_compact_json_text(self) -> None:
        frame = MessageFrame({"a": [1, 2.5, None, True], "é": "ü"})
        assert RawSerializer().serialize(frame) == '{"a":[1,2.5,null,true],"é":"ü"}'

    @pytest.mark.parametrize(("data", "text"), [(None, "null"), ("x", '"x"'), (3, "3"), ([], "[]")])
    def test_message_scalars(self, data: object, text: str) -> None:
        assert RawSerializer().serialize(MessageFrame(data)) == text

    def test_interruption_has_no_raw_form(self) -> None:
        assert RawSerializer().serialize(InterruptionFrame()) is None

    @pytest.mark.parametrize("text", ["", "hi", "a\x00b", "🎧"])
    def test_text_round_trip(self, text: str) -> None:
        serializer = RawSerializer()
        encoded = serializer.serialize(TextFrame(text))
        assert isinstance(encoded, str)
        frame = serializer.deserialize(encoded)
        assert isinstance(frame, TextFrame)
        assert frame.text == text

    def test_audio_round_trip(self) -> None:
        serializer = RawSerializer("audio", sample_rate=8000, num_channels=2)
        encoded = serializer.serialize(AudioFrame(PCM, 8000, 2))
        assert isinstance(encoded, bytes)
        frame = serializer.deserialize(encoded)
        assert isinstance(frame, AudioFrame)
        assert (frame.audio, frame.sample_rate, frame.num_channels) == (PCM, 8000, 2)
