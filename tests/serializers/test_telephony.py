"""Twilio Media Streams JSON: events in and out, μ-law 8 kHz, resampling to the transport rate."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from wskit import AudioFrame, InterruptionFrame, MessageFrame, TextFrame
from wskit.audio import chirp, lin2ulaw, resample, ulaw2lin
from wskit.serializers import TelephonySerializer
from wskit.transports.params import WebsocketServerParams

START = {
    "event": "start",
    "sequenceNumber": "1",
    "start": {
        "streamSid": "MZ123",
        "callSid": "CA1",
        "tracks": ["inbound"],
        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
    },
    "streamSid": "MZ123",
}


def media(payload: bytes, sid: str = "MZ123") -> str:
    body = {"track": "inbound", "chunk": "1", "timestamp": "0", "payload": base64.b64encode(payload).decode()}
    return json.dumps({"event": "media", "sequenceNumber": "2", "media": body, "streamSid": sid})


def test_start_sets_the_stream_sid_and_is_a_message() -> None:
    tel = TelephonySerializer(sample_rate=8000)
    frame = tel.deserialize(json.dumps(START))
    assert isinstance(frame, MessageFrame) and frame.data["event"] == "start"
    assert tel.stream_sid == "MZ123"


@pytest.mark.parametrize("event", ["connected", "mark", "stop", "dtmf"])
def test_other_events_are_messages(event: str) -> None:
    frame = TelephonySerializer().deserialize(json.dumps({"event": event, "streamSid": "MZ1"}))
    assert isinstance(frame, MessageFrame) and frame.data["event"] == event


def test_media_at_8khz_is_decoded_mulaw() -> None:
    codes = bytes(range(0, 256, 16))
    frame = TelephonySerializer(sample_rate=8000).deserialize(media(codes))
    assert isinstance(frame, AudioFrame)
    assert (frame.sample_rate, frame.num_channels) == (8000, 1)
    np.testing.assert_array_equal(frame.samples[:, 0], ulaw2lin(codes))


def test_media_is_resampled_to_the_transport_rate_set_by_setup() -> None:
    tel = TelephonySerializer()
    tel.setup(WebsocketServerParams(audio_in_sample_rate=16000))
    source = chirp(0.2, sample_rate=8000, f1=3000)
    codes = lin2ulaw(source.samples[:, 0])
    frames = [tel.deserialize(media(codes[i : i + 160].tobytes())) for i in range(0, len(codes), 160)]
    assert all(isinstance(f, AudioFrame) and f.sample_rate == 16000 for f in frames)
    got = np.concatenate([f.samples[:, 0] for f in frames if isinstance(f, AudioFrame)])
    whole = resample(ulaw2lin(codes), 8000, 16000)
    # the streaming resampler holds back half its filter (the tail waits for more input);
    # what came out is exactly the start of the one-shot result
    assert 0 < len(whole) - len(got) < 100
    np.testing.assert_array_equal(got, whole[: len(got)])


def test_clear_is_an_interruption_both_ways() -> None:
    tel = TelephonySerializer("MZ9")
    assert isinstance(tel.deserialize('{"event":"clear","streamSid":"MZ9"}'), InterruptionFrame)
    assert json.loads(tel.serialize(InterruptionFrame()) or "") == {"event": "clear", "streamSid": "MZ9"}


def test_outgoing_audio_is_8khz_mulaw_media() -> None:
    tel = TelephonySerializer("MZ9", sample_rate=8000)
    pcm = np.array([0, 1000, -1000, 32767], np.int16)
    obj = json.loads(tel.serialize(AudioFrame(pcm.tobytes(), 8000)) or "")
    assert obj["event"] == "media" and obj["streamSid"] == "MZ9"
    assert base64.b64decode(obj["media"]["payload"]) == lin2ulaw(pcm).tobytes()


def test_outgoing_16khz_stereo_becomes_8khz_mono() -> None:
    tel = TelephonySerializer("MZ9")
    frame = AudioFrame(np.zeros((320, 2), np.int16).tobytes(), 16000, 2)
    payloads = [json.loads(tel.serialize(frame) or "")["media"]["payload"] for _ in range(5)]
    total = sum(len(base64.b64decode(p)) for p in payloads)
    assert 800 - 40 < total <= 800  # 5 × 20 ms at 8 kHz, less the resampler's delay


def test_mark_message_passes_through_and_text_has_no_form() -> None:
    tel = TelephonySerializer("MZ9")
    mark = {"event": "mark", "streamSid": "MZ9", "mark": {"name": "end"}}
    assert json.loads(tel.serialize(MessageFrame(mark)) or "") == mark
    assert tel.serialize(TextFrame("hi")) is None


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ('{"event":"media","streamSid":"MZ1"}', "without a 'media.payload'"),
        ('{"event":"media","media":{"track":"inbound"}}', "without a 'media.payload'"),
        ('{"event":"media","media":{"payload":"not base64!"}}', "not valid base64"),
        ('{"streamSid":"MZ1"}', "'event'"),
        ("[1, 2]", "JSON object"),
        ("{not json", "Expecting property name"),
    ],
)
def test_bad_events_are_clear_errors(message: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        TelephonySerializer().deserialize(message)


def test_alaw_encoding() -> None:
    from wskit.audio import alaw2lin

    tel = TelephonySerializer(sample_rate=8000, encoding="alaw")
    frame = tel.deserialize(media(b"\xd5\xd5"))
    assert isinstance(frame, AudioFrame)
    assert frame.samples[:, 0].tolist() == alaw2lin(b"\xd5\xd5").tolist()
