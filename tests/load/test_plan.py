"""What a streaming user sends: sources by name, frames, the telephony rate."""

from __future__ import annotations

from pathlib import Path

import pytest

from wskit import ProtobufFrameSerializer, RawSerializer, TelephonySerializer
from wskit.load import SOURCES, make_source, plan_stream


def test_named_sources_and_wav_files(tmp_path: Path) -> None:
    assert SOURCES == ("chirp", "sine", "noise", "silence")
    for name in SOURCES:
        source = make_source(name, seconds=0.5)
        assert (source.sample_rate, source.num_frames) == (16000, 8000)
    wav = tmp_path / "tone.wav"
    make_source("sine", 0.1).to_wav(wav)
    assert make_source(str(wav)).num_frames == 1600
    with pytest.raises(ValueError, match="unknown audio source 'opera'"):
        make_source("opera")


def test_raw_and_protobuf_send_the_source_itself() -> None:
    for serializer in (RawSerializer(), ProtobufFrameSerializer()):
        plan = plan_stream("chirp", serializer, frame_ms=20, seconds=1.0)
        assert (len(plan.frames), plan.frame_bytes, plan.sample_rate, plan.codec) == (50, 640, 16000, "pcm")
        assert plan.frame_seconds == 0.02


def test_telephony_sends_8khz_and_stamps_in_g711() -> None:
    plan = plan_stream("chirp", TelephonySerializer(), frame_ms=20, seconds=1.0)
    assert (len(plan.frames), plan.frame_bytes, plan.sample_rate, plan.codec) == (50, 320, 8000, "mulaw")
    assert plan_stream("sine", TelephonySerializer(encoding="alaw"), seconds=0.1).codec == "alaw"


def test_frames_too_short_for_a_stamp() -> None:
    with pytest.raises(ValueError, match="too short to hold a sequence stamp"):
        plan_stream("sine", TelephonySerializer(), frame_ms=2)
