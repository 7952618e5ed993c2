"""Sequence stamps in audio frames: exact bytes, and through the G.711 telephony wire."""

from __future__ import annotations

import pytest

from wskit import AudioFrame, TelephonySerializer, WebsocketClientParams
from wskit.load import STAMP, Stamp, read_stamp, stamp_size, write_stamp

PCM = bytes(range(256)) * 2 + bytes(128)  # 640 bytes: 20 ms of 16 kHz mono


def test_the_stamp_is_soaks_header() -> None:
    assert STAMP.format == "<IId"
    assert STAMP.size == 16
    assert STAMP.pack(1, 2, 0.5).hex() == "0100000002000000000000000000e03f"


def test_pcm_stamp_overwrites_the_first_16_bytes() -> None:
    stamped = write_stamp(PCM, Stamp(1, 2, 0.5))
    assert stamped[:16].hex() == "0100000002000000000000000000e03f"
    assert stamped[16:] == PCM[16:]
    assert read_stamp(stamped) == Stamp(1, 2, 0.5)
    assert stamp_size("pcm") == 8


@pytest.mark.parametrize("codec", ["mulaw", "alaw"])
def test_g711_stamp_codes_are_0x90_plus_each_nibble(codec: str) -> None:
    from wskit.audio import lin2alaw, lin2ulaw

    pcm = bytes(320)  # 20 ms of 8 kHz mono
    stamped = write_stamp(pcm, Stamp(0xA1B2C3D4, 7, 1.25), codec)  # type: ignore[arg-type]
    encode = lin2ulaw if codec == "mulaw" else lin2alaw
    codes = encode(stamped[:64]).tobytes()
    assert codes[:8] == bytes([0x9D, 0x94, 0x9C, 0x93, 0x9B, 0x92, 0x9A, 0x91])  # d4 c3 b2 a1, high nibble first
    assert stamped[64:] == pcm[64:]
    assert read_stamp(stamped, codec) == Stamp(0xA1B2C3D4, 7, 1.25)  # type: ignore[arg-type]
    assert stamp_size(codec) == 32  # type: ignore[arg-type]


def test_g711_stamp_survives_the_telephony_serializer_both_ways() -> None:
    sender, echo = TelephonySerializer(), TelephonySerializer()
    for s in (sender, echo):
        s.setup(WebsocketClientParams(audio_in_sample_rate=8000))
    stamp = Stamp(123456, 65535, 98765.4321)
    frame = AudioFrame(write_stamp(bytes(320), stamp, "mulaw"), 8000)
    heard = echo.deserialize(sender.serialize(frame))  # what an 8 kHz telephony echo server decodes
    back = sender.deserialize(echo.serialize(heard))  # type: ignore[arg-type]
    assert isinstance(back, AudioFrame)
    assert read_stamp(back.audio, "mulaw") == stamp


def test_unstamped_g711_audio_reads_as_no_stamp() -> None:
    from wskit.audio import sine

    tone = next(sine(0.02, freq=440, sample_rate=8000, amplitude=0.1).frames(20)).audio
    assert read_stamp(tone, "mulaw") is None


def test_frames_too_short_for_a_stamp() -> None:
    with pytest.raises(ValueError, match="cannot hold a stamp"):
        write_stamp(bytes(14), Stamp(1, 1, 1.0))
    assert read_stamp(bytes(14)) is None
    with pytest.raises(ValueError, match="codec must be"):
        stamp_size("opus")  # type: ignore[arg-type]
