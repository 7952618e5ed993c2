"""wskit.serializers' WAV headers: stripped from received audio, added to audio sent."""

from __future__ import annotations

import pytest

from wskit.audio import add_header
from wskit.frames import AudioFrame
from wskit.serializers import audio_frame, frame_with_header

PCM = b"\x01\x00\xff\xff"  # two mono samples: 1, -1
# Three stereo sample pairs: (1, -1), (32767, -32768), (256, 0), little-endian int16.
STEREO_PCM = b"\x01\x00\xff\xff" + b"\xff\x7f\x00\x80" + b"\x00\x01\x00\x00"


class TestAudioFrame:
    def test_whole_wav_file_is_stripped_to_pcm(self) -> None:
        wav = add_header(STEREO_PCM, 22_050, 2)
        frame = audio_frame(wav, 16_000, 1)  # the header wins over these
        assert frame.audio == STEREO_PCM
        assert (frame.sample_rate, frame.num_channels) == (22_050, 2)
        assert frame.num_frames == 3

    def test_wav_bytes_as_bytearray(self) -> None:
        frame = audio_frame(bytearray(add_header(b"\x01\x00", 8000)), 16_000)  # type: ignore[arg-type]
        assert (frame.audio, frame.sample_rate, frame.num_channels) == (b"\x01\x00", 8000, 1)

    def test_truncated_wav_is_an_error_not_audio(self) -> None:
        with pytest.raises(ValueError, match=r"^truncated WAV data: header announces 3 frames, 2 present$"):
            audio_frame(add_header(STEREO_PCM, 8000, 2)[:-4], 8000)

    def test_a_frame_itself_is_only_pcm(self) -> None:
        wav = add_header(STEREO_PCM, 22_050, 2)  # 44 + 12 bytes: whole 16-bit stereo samples
        frame = AudioFrame(wav, 8000, 2)
        assert (frame.audio, frame.sample_rate) == (wav, 8000)

    def test_frame_fields_are_kept(self) -> None:
        frame = audio_frame(add_header(PCM, 8000), 16_000, id=5, name="mic", pts=7)
        assert (frame.id, frame.name, frame.pts, frame.audio) == (5, "mic", 7, PCM)

    def test_pcm_starting_with_riff_but_not_wave_stays_pcm(self) -> None:
        pcm = b"RIFF\x00\x00\x00\x00ABCD"
        frame = audio_frame(pcm, 8000)
        assert frame.audio == pcm
        assert frame.sample_rate == 8000


class TestFrameWithHeader:
    def test_keeps_identity_and_format(self) -> None:
        frame = AudioFrame(PCM, 8000, 1, id=11, name="mic", pts=123)
        wrapped = frame_with_header(frame)
        assert type(wrapped) is AudioFrame
        assert (wrapped.id, wrapped.name, wrapped.pts) == (11, "mic", 123)
        assert (wrapped.sample_rate, wrapped.num_channels) == (8000, 1)

    def test_audio_is_a_whole_wav_file(self) -> None:
        wrapped = frame_with_header(AudioFrame(PCM, 8000, id=1))
        assert wrapped.audio == add_header(PCM, 8000)  # its bytes: tests/audio/test_wav.py

    def test_stereo(self) -> None:
        pcm = b"\x01\x00\x02\x00\x03\x00\x04\x00"
        assert frame_with_header(AudioFrame(pcm, 48_000, 2)).audio == add_header(pcm, 48_000, 2)

    def test_original_is_unchanged(self) -> None:
        frame = AudioFrame(PCM, 8000, id=1)
        frame_with_header(frame)
        assert frame.audio == PCM

    def test_receiving_side_strips_it_again(self) -> None:
        frame = AudioFrame(b"\x01\x00\x02\x00\x03\x00\x04\x00", 48_000, 2)
        received = audio_frame(frame_with_header(frame).audio, 16_000)
        assert (received.audio, received.sample_rate, received.num_channels) == (frame.audio, 48_000, 2)
