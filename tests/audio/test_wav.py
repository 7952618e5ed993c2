"""wskit.audio._wav: RIFF/WAVE headers around 16-bit PCM, byte for byte."""

from __future__ import annotations

import io
import wave

import pytest

from wskit.audio import WavData, add_header, is_wav, parse

PCM = b"\x01\x00\xff\xff"  # two mono samples: 1, -1

# The canonical 44-byte header for PCM above at 8 kHz mono (RIFF/WAVE, "fmt " chunk of 16 bytes).
HEADER_8K_MONO = (
    b"RIFF"
    b"\x28\x00\x00\x00"  # RIFF size: 36 + 4 data bytes = 40
    b"WAVE"
    b"fmt "
    b"\x10\x00\x00\x00"  # fmt chunk size: 16
    b"\x01\x00"  # format: 1 = PCM
    b"\x01\x00"  # channels: 1
    b"\x40\x1f\x00\x00"  # sample rate: 8000
    b"\x80\x3e\x00\x00"  # byte rate: 8000 × 1 × 2 = 16000
    b"\x02\x00"  # block align: 1 × 2 = 2
    b"\x10\x00"  # bits per sample: 16
    b"data"
    b"\x04\x00\x00\x00"  # data size: 4
)

HEADER_48K_STEREO = (
    b"RIFF"
    b"\x2c\x00\x00\x00"  # 36 + 8 = 44
    b"WAVE"
    b"fmt "
    b"\x10\x00\x00\x00"
    b"\x01\x00"
    b"\x02\x00"  # channels: 2
    b"\x80\xbb\x00\x00"  # sample rate: 48000
    b"\x00\xee\x02\x00"  # byte rate: 48000 × 2 × 2 = 192000
    b"\x04\x00"  # block align: 4
    b"\x10\x00"
    b"data"
    b"\x08\x00\x00\x00"  # data size: 8
)


def wav_with_width(sample_width: int) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(sample_width)
        w.setframerate(8000)
        w.writeframes(bytes(2 * sample_width))
    return out.getvalue()


class TestAddHeader:
    def test_mono_header_bytes(self) -> None:
        assert add_header(PCM, 8000) == HEADER_8K_MONO + PCM

    def test_stereo_header_bytes(self) -> None:
        pcm = b"\x01\x00\x02\x00\x03\x00\x04\x00"
        assert add_header(pcm, 48_000, 2) == HEADER_48K_STEREO + pcm

    def test_header_is_44_bytes(self) -> None:
        assert len(add_header(b"", 16_000)) == 44

    def test_empty_pcm(self) -> None:
        empty = add_header(b"", 8000)
        assert empty[4:8] == b"\x24\x00\x00\x00"  # 36
        assert empty[40:44] == b"\x00\x00\x00\x00"


class TestParse:
    def test_known_bytes(self) -> None:
        assert parse(HEADER_8K_MONO + PCM) == WavData(PCM, 8000, 1)

    def test_fields_by_name(self) -> None:
        result = parse(HEADER_48K_STEREO + bytes(8))
        assert (result.pcm, result.sample_rate, result.num_channels) == (bytes(8), 48_000, 2)

    @pytest.mark.parametrize(("rate", "channels"), [(8000, 1), (16_000, 1), (44_100, 2), (48_000, 6)])
    def test_round_trip(self, rate: int, channels: int) -> None:
        pcm = bytes(range(256)) * channels * 2
        assert parse(add_header(pcm, rate, channels)) == WavData(pcm, rate, channels)

    def test_extra_chunk_before_data_is_skipped(self) -> None:
        list_chunk = b"LIST" + b"\x04\x00\x00\x00" + b"INFO"
        fmt = HEADER_8K_MONO[12:36]
        data = b"data\x04\x00\x00\x00" + PCM
        riff_size = (4 + len(fmt) + len(list_chunk) + len(data)).to_bytes(4, "little")
        assert parse(b"RIFF" + riff_size + b"WAVE" + fmt + list_chunk + data) == WavData(PCM, 8000, 1)

    def test_truncated_data(self) -> None:
        with pytest.raises(ValueError, match=r"^truncated WAV data: header announces 2 frames, 1 present$"):
            parse(HEADER_8K_MONO + PCM[:2])

    @pytest.mark.parametrize(
        ("cut", "problem"),
        [
            (4, "the header is truncated"),  # inside the RIFF size
            (30, "the header is truncated"),  # inside the fmt chunk
            (12, "fmt chunk and/or data chunk missing"),  # "RIFF", size, "WAVE" and nothing else
            (43, "fmt chunk and/or data chunk missing"),  # inside the data chunk header
        ],
    )
    def test_truncated_header(self, cut: int, problem: str) -> None:
        with pytest.raises(ValueError, match=f"^invalid WAV data: {problem}$"):
            parse(HEADER_8K_MONO[:cut])

    def test_not_riff(self) -> None:
        with pytest.raises(ValueError, match=r"^invalid WAV data: file does not start with RIFF id$"):
            parse(b"hello world, this is not audio")

    @pytest.mark.parametrize(("width", "bits"), [(1, 8), (3, 24), (4, 32)])
    def test_non_16_bit_is_rejected(self, width: int, bits: int) -> None:
        with pytest.raises(ValueError, match=f"^WAV sample width is {bits} bits; only 16-bit PCM is supported$"):
            parse(wav_with_width(width))

    def test_non_pcm_format_is_rejected(self) -> None:
        float_format = HEADER_8K_MONO[:20] + b"\x03\x00" + HEADER_8K_MONO[22:]
        with pytest.raises(ValueError, match=r"^invalid WAV data: unknown format: 3$"):
            parse(float_format + PCM)

    def test_zero_channels_is_rejected(self) -> None:
        no_channels = HEADER_8K_MONO[:22] + b"\x00\x00" + HEADER_8K_MONO[24:]
        with pytest.raises(ValueError, match=r"^invalid WAV data: bad # of channels$"):
            parse(no_channels + PCM)


class TestIsWav:
    def test_header(self) -> None:
        assert is_wav(HEADER_8K_MONO + PCM) is True

    def test_header_alone(self) -> None:
        assert is_wav(HEADER_8K_MONO[:12]) is True

    @pytest.mark.parametrize("data", [b"", PCM, b"RIFF", b"RIFF\x00\x00\x00\x00AVI ", b"riff\x00\x00\x00\x00WAVE"])
    def test_not_wav(self, data: bytes) -> None:
        assert is_wav(data) is False
