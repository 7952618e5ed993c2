"""wskit.frames: identity, validation, the zero-copy audio view and one-line renderings."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

from wskit.frames import (
    AudioFrame,
    BinaryFrame,
    Frame,
    InterruptionFrame,
    MessageFrame,
    TextFrame,
    TranscriptionFrame,
)

# Three stereo sample pairs: (1, -1), (32767, -32768), (256, 0), little-endian int16.
STEREO_PCM = b"\x01\x00\xff\xff" + b"\xff\x7f\x00\x80" + b"\x00\x01\x00\x00"


class TestIdentity:
    def test_ids_are_unique_and_increasing(self) -> None:
        frames = [TextFrame("a"), BinaryFrame(b"b"), InterruptionFrame(), TextFrame("c")]
        ids = [frame.id for frame in frames]
        assert ids == sorted(ids)
        assert len(set(ids)) == 4

    def test_default_name_is_class_and_id(self) -> None:
        text = TextFrame("hi")
        assert text.name == f"TextFrame#{text.id}"
        audio = AudioFrame(b"", 16_000)
        assert audio.name == f"AudioFrame#{audio.id}"
        interruption = InterruptionFrame()
        assert interruption.name == f"InterruptionFrame#{interruption.id}"

    def test_explicit_id_name_pts(self) -> None:
        frame = TextFrame("hi", id=42, name="greeting", pts=1_000_000)
        assert (frame.id, frame.name, frame.pts) == (42, "greeting", 1_000_000)

    def test_explicit_id_gives_default_name_with_that_id(self) -> None:
        assert TextFrame("hi", id=42).name == "TextFrame#42"

    def test_pts_defaults_to_none(self) -> None:
        assert TextFrame("hi").pts is None

    def test_id_name_pts_are_keyword_only(self) -> None:
        with pytest.raises(TypeError):
            TextFrame("hi", 42)  # type: ignore[call-arg]
        with pytest.raises(TypeError):
            InterruptionFrame(42)  # type: ignore[call-arg]

    def test_slotted(self) -> None:
        with pytest.raises(AttributeError):
            TextFrame("hi").colour = "red"  # type: ignore[attr-defined]

    def test_replace_keeps_identity_fields(self) -> None:
        frame = TextFrame("hi", pts=5)
        copy = dataclasses.replace(frame, text="bye")
        assert (copy.id, copy.name, copy.pts, copy.text) == (frame.id, frame.name, 5, "bye")

    def test_every_frame_is_a_frame(self) -> None:
        frames = [
            TextFrame("a"),
            BinaryFrame(b""),
            MessageFrame(None),
            AudioFrame(b"", 8000),
            TranscriptionFrame("a"),
            InterruptionFrame(),
        ]
        assert all(isinstance(frame, Frame) for frame in frames)


class TestTextAndBinary:
    def test_text_rejects_bytes(self) -> None:
        with pytest.raises(TypeError, match=r"^TextFrame.text must be str, not bytes$"):
            TextFrame(b"x")  # type: ignore[arg-type]

    def test_binary_rejects_str(self) -> None:
        with pytest.raises(TypeError, match=r"^BinaryFrame.data must be bytes, not str$"):
            BinaryFrame("x")  # type: ignore[arg-type]

    @pytest.mark.parametrize("data", [bytearray(b"\x00\x01"), memoryview(b"\x00\x01")])
    def test_binary_accepts_bytes_like_and_stores_bytes(self, data: bytearray | memoryview) -> None:
        frame = BinaryFrame(data)  # type: ignore[arg-type]
        assert type(frame.data) is bytes
        assert frame.data == b"\x00\x01"

    def test_binary_copies_a_bytearray(self) -> None:
        data = bytearray(b"ab")
        frame = BinaryFrame(data)  # type: ignore[arg-type]
        data[0] = ord("z")
        assert frame.data == b"ab"


class TestAudioFrame:
    def test_samples_shape_and_values(self) -> None:
        frame = AudioFrame(STEREO_PCM, 8000, 2)
        assert frame.samples.shape == (3, 2)
        assert frame.samples.dtype == np.dtype("<i2")
        assert frame.samples.tolist() == [[1, -1], [32767, -32768], [256, 0]]

    def test_mono_samples_are_a_column(self) -> None:
        frame = AudioFrame(STEREO_PCM, 8000)
        assert frame.samples.shape == (6, 1)
        assert frame.samples[:, 0].tolist() == [1, -1, 32767, -32768, 256, 0]

    def test_samples_is_a_zero_copy_view_of_audio(self) -> None:
        frame = AudioFrame(STEREO_PCM, 8000, 2)
        samples = frame.samples
        assert np.shares_memory(samples, np.frombuffer(frame.audio, dtype=np.uint8))
        assert samples.base is not None

    def test_samples_are_read_only(self) -> None:
        samples = AudioFrame(STEREO_PCM, 8000, 2).samples
        assert not samples.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            samples[0, 0] = 5

    def test_num_frames_and_duration(self) -> None:
        frame = AudioFrame(bytes(640), 16_000, 2)  # 160 frames × 2 ch × 2 bytes
        assert frame.num_frames == 160
        assert frame.duration == 0.01

    def test_empty_audio(self) -> None:
        frame = AudioFrame(b"", 16_000)
        assert frame.num_frames == 0
        assert frame.duration == 0.0
        assert frame.samples.shape == (0, 1)

    def test_odd_length_pcm_is_rejected(self) -> None:
        with pytest.raises(ValueError) as info:
            AudioFrame(b"\x00\x00\x00", 16_000)
        assert str(info.value) == (
            "AudioFrame.audio has 3 bytes, not a whole number of 16-bit samples for 1 channel(s) (2 bytes each)"
        )

    def test_partial_stereo_frame_is_rejected(self) -> None:
        with pytest.raises(ValueError, match=r"has 6 bytes, .* for 2 channel\(s\) \(4 bytes each\)"):
            AudioFrame(bytes(6), 16_000, 2)

    @pytest.mark.parametrize("rate", [0, -8000, 16_000.0, "16000", None, True])
    def test_bad_sample_rate(self, rate: object) -> None:
        with pytest.raises(
            ValueError, match=rf"^AudioFrame.sample_rate must be a positive int, got {re.escape(repr(rate))}$"
        ):
            AudioFrame(b"", rate)  # type: ignore[arg-type]

    @pytest.mark.parametrize("channels", [0, -1, 1.0, "2", True])
    def test_bad_num_channels(self, channels: object) -> None:
        with pytest.raises(
            ValueError, match=rf"^AudioFrame.num_channels must be a positive int, got {re.escape(repr(channels))}$"
        ):
            AudioFrame(b"", 16_000, channels)  # type: ignore[arg-type]

    def test_audio_must_be_bytes(self) -> None:
        with pytest.raises(TypeError, match=r"^AudioFrame.audio must be bytes, not str$"):
            AudioFrame("abcd", 16_000)  # type: ignore[arg-type]

    @pytest.mark.parametrize("audio", [bytearray(b"\x01\x00"), memoryview(b"\x01\x00")])
    def test_audio_accepts_bytes_like(self, audio: bytearray | memoryview) -> None:
        frame = AudioFrame(audio, 16_000)  # type: ignore[arg-type]
        assert type(frame.audio) is bytes
        assert frame.audio == b"\x01\x00"


class TestAudioFromSamples:
    def test_mono(self) -> None:
        frame = AudioFrame.from_samples(np.array([1, -2, 3], dtype=np.int16), 8000)
        assert frame.audio == b"\x01\x00\xfe\xff\x03\x00"
        assert (frame.sample_rate, frame.num_channels) == (8000, 1)

    def test_stereo_is_interleaved(self) -> None:
        samples = np.array([[1, -1], [32767, -32768], [256, 0]], dtype=np.int16)
        frame = AudioFrame.from_samples(samples, 8000)
        assert frame.audio == STEREO_PCM
        assert frame.num_channels == 2
        assert np.array_equal(frame.samples, samples)

    def test_fortran_ordered_stereo_is_still_interleaved(self) -> None:
        samples = np.asfortranarray(np.array([[1, -1], [32767, -32768], [256, 0]], dtype=np.int16))
        assert AudioFrame.from_samples(samples, 8000).audio == STEREO_PCM

    def test_flat_interleaved_with_explicit_channels(self) -> None:
        flat = np.array([1, -1, 32767, -32768, 256, 0], dtype=np.int16)
        frame = AudioFrame.from_samples(flat, 8000, num_channels=2)
        assert frame.samples.shape == (3, 2)
        assert frame.audio == STEREO_PCM

    def test_passes_identity_through(self) -> None:
        frame = AudioFrame.from_samples(np.zeros(2, dtype=np.int16), 8000, id=7, name="a", pts=9)
        assert (frame.id, frame.name, frame.pts) == (7, "a", 9)

    @pytest.mark.parametrize("dtype", [np.float32, np.int32, np.uint16, np.int8])
    def test_non_int16_is_rejected(self, dtype: type[np.generic]) -> None:
        with pytest.raises(TypeError, match=rf"^samples must be int16, not {np.dtype(dtype)}; convert them first$"):
            AudioFrame.from_samples(np.zeros(4, dtype=dtype), 8000)

    def test_python_ints_are_rejected(self) -> None:
        # np.asarray([1, 2]) is int64: the caller must say what they mean.
        with pytest.raises(TypeError, match="must be int16"):
            AudioFrame.from_samples([1, 2], 8000)


class TestStr:
    def test_text(self) -> None:
        assert str(TextFrame("hi")) == "TEXT 'hi' [2 bytes]"

    def test_text_size_is_utf8_bytes_as_on_the_wire(self) -> None:
        assert str(TextFrame("café ☕")) == "TEXT 'café ☕' [9 bytes]"

    def test_long_text_elides_the_middle(self) -> None:
        text = "a" * 20 + "b" * 10 + "c" * 20
        assert str(TextFrame(text)) == f"TEXT '{'a' * 20}…{'c' * 20}' [50 bytes]"

    def test_binary_is_hex(self) -> None:
        assert str(BinaryFrame(b"\x00\x01\xff")) == "BINARY 00 01 ff [3 bytes]"

    def test_long_binary_elides_the_middle(self) -> None:
        expected = "BINARY 00 01 02 03 04 05 06 07 08 09 … 14 15 16 17 18 19 1a 1b 1c 1d [30 bytes]"
        assert str(BinaryFrame(bytes(range(30)))) == expected

    def test_message(self) -> None:
        assert str(MessageFrame({"a": 1})) == "MESSAGE \"{'a': 1}\""

    def test_audio(self) -> None:
        frame = AudioFrame(bytes(640), 16_000, 2)
        assert str(frame) == "AUDIO 160 frames × 2 ch @ 16000 Hz (10.0 ms) [640 bytes]"

    def test_transcription(self) -> None:
        assert str(TranscriptionFrame("hello", user_id="u1")) == "TRANSCRIPTION 'hello' user='u1'"

    def test_interruption(self) -> None:
        assert str(InterruptionFrame()) == "INTERRUPTION"

    @pytest.mark.parametrize(
        "frame",
        [TextFrame("a\nb"), BinaryFrame(b"\n" * 50), MessageFrame("x\ny"), TranscriptionFrame("line\nbreak")],
    )
    def test_one_line(self, frame: Frame) -> None:
        assert "\n" not in str(frame)


class TestFromSamplesShapes:
    def test_rejects_3d(self) -> None:
        with pytest.raises(ValueError, match=r"1-D .* or 2-D"):
            AudioFrame.from_samples(np.zeros((2, 2, 2), dtype=np.int16), 8000)

    def test_rejects_channel_mismatch(self) -> None:
        with pytest.raises(ValueError, match="samples have 2 channels, num_channels says 3"):
            AudioFrame.from_samples(np.zeros((4, 2), dtype=np.int16), 8000, num_channels=3)

    def test_big_endian_is_converted(self) -> None:
        frame = AudioFrame.from_samples(np.array([1, 256], dtype=">i2"), 8000)
        assert frame.audio == b"\x01\x00\x00\x01"
