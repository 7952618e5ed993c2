"""Twilio Media Streams JSON: events in and out, μ-law 8 kHz, resampling to the transport rate."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from wskit import AudioFrame, InterruptionFrame, MessageFrame, TextFrame
from wskit.audio import chirp, lin2ulaw, resample, ulaw2lin
from wskit.serializers import TelephonySerializer
from wskit.serializers._telephony import MAX_MEDIA_BYTES, MAX_STREAMS
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


# -- hostile input: bounded payloads, bounded per-stream state -------------------------------------


def test_a_media_payload_of_max_media_bytes_is_accepted_one_byte_more_is_refused() -> None:
    tel = TelephonySerializer(sample_rate=8000)
    frame = tel.deserialize(media(bytes(MAX_MEDIA_BYTES)))
    assert isinstance(frame, AudioFrame) and frame.num_frames == MAX_MEDIA_BYTES == 8000
    with pytest.raises(ValueError, match=r"8,001 bytes refused: over max_media_bytes \(8,000\)"):
        tel.deserialize(media(bytes(MAX_MEDIA_BYTES + 1)))
    small = TelephonySerializer(sample_rate=8000, max_media_bytes=160)
    assert isinstance(small.deserialize(media(bytes(160))), AudioFrame)
    with pytest.raises(ValueError, match="max_media_bytes"):
        small.deserialize(media(bytes(161)))


@pytest.mark.timeout(10)
def test_a_huge_media_event_is_refused_unread_and_fast() -> None:
    import time

    from wskit.serializers import SerializerError, decode_sync

    tel = TelephonySerializer()  # 16 kHz: the path that resampled the whole payload
    huge = media(bytes([0xFF, 0x7F]) * 375_000)  # 1 MB of JSON, 750 KB of μ-law
    started = time.perf_counter()
    with pytest.raises(SerializerError, match=r"about 750,000 bytes refused unread: over max_media_bytes") as info:
        decode_sync(tel, huge)
    assert time.perf_counter() - started < 0.1  # was 0.6 s of decoding and resampling
    assert info.value.close_code == 1007 and tel.streams == 0


def test_stream_state_is_bounded_the_oldest_evicted_and_counted() -> None:
    tel = TelephonySerializer(max_streams=8)
    for i in range(20):
        assert isinstance(tel.deserialize(media(bytes(160), sid=f"MZ{i}")), AudioFrame)
    assert tel.streams == 8 and tel.streams_evicted == 12
    assert list(tel._in) == [f"MZ{i}" for i in range(12, 20)]
    tel.deserialize(media(bytes(160), sid="MZ12"))  # used again: now the newest
    tel.deserialize(media(bytes(160), sid="MZnew"))
    assert "MZ12" in tel._in and "MZ13" not in tel._in and tel.streams_evicted == 13


def test_stop_frees_the_streams_state_in_and_out() -> None:
    tel = TelephonySerializer()
    tel.deserialize(json.dumps(START))
    tel.deserialize(media(bytes(160)))
    tel.serialize(AudioFrame(bytes(640), 16000))
    assert tel.streams == 2
    tel.deserialize(json.dumps({"event": "stop", "streamSid": "MZ123"}))
    assert tel.streams == 0


@pytest.mark.long
def test_twenty_thousand_stream_ids_keep_at_most_max_streams() -> None:
    tel = TelephonySerializer()
    for i in range(20_000):
        tel.deserialize(media(bytes(160), sid=f"MZ{i}"))
    assert tel.streams == MAX_STREAMS == 64 and tel.streams_evicted == 20_000 - 64


def test_for_connection_is_a_fresh_instance_with_the_same_configuration() -> None:
    tel = TelephonySerializer(encoding="alaw", max_media_bytes=320, max_streams=4)
    tel.setup(WebsocketServerParams(audio_in_sample_rate=24000))
    tel.deserialize(json.dumps(START))
    tel.deserialize(media(bytes(160)))
    fresh = tel.for_connection()
    assert fresh is not tel and isinstance(fresh, TelephonySerializer)
    assert (fresh.sample_rate, fresh.encoding, fresh.max_media_bytes, fresh.max_streams) == (24000, "alaw", 320, 4)
    assert fresh.stream_sid is None and fresh.streams == 0 and fresh.streams_evicted == 0
    fresh.setup(WebsocketServerParams(audio_in_sample_rate=16000))  # the rate was the transport's: still follows it
    assert fresh.sample_rate == 16000
    assert tel.stream_sid == "MZ123" and tel.streams == 1  # the original is untouched
    pinned = TelephonySerializer("MZfixed", sample_rate=8000).for_connection()
    pinned.setup(WebsocketServerParams(audio_in_sample_rate=16000))
    assert (pinned.stream_sid, pinned.sample_rate) == ("MZfixed", 8000)


async def test_a_huge_media_event_is_an_error_event_and_the_connection_goes_on() -> None:
    from websockets.asyncio.client import connect

    import wskit
    from tests.conftest import eventually

    server = wskit.WebsocketServerTransport(wskit.WebsocketServerParams(serializer=TelephonySerializer()), port=0)
    events: list[wskit.Event] = []
    server.events.subscribe(events.append)

    @server.event_handler("on_frame")
    async def echo(transport: object, conn: wskit.Connection, frame: wskit.Frame) -> None:
        await conn.send(frame)

    await server.start()
    async with connect(server.url, max_size=None) as ws:
        await ws.send(media(bytes([0xFF]) * 750_000))
        await ws.send(json.dumps({"event": "mark", "streamSid": "MZ1", "mark": {"name": "after"}}))
        reply = json.loads(await ws.recv())
        assert reply["mark"]["name"] == "after"  # the huge one got no echo; the next message did
    errors = [e for e in events if e.kind is wskit.EventKind.ERROR]
    assert len(errors) == 1 and isinstance(errors[0].error, wskit.serializers.SerializerError)
    assert "max_media_bytes" in str(errors[0].error)
    await eventually(lambda: any(e.kind is wskit.EventKind.DISCONNECTED for e in events))
    assert [e.code for e in events if e.kind is wskit.EventKind.DISCONNECTED] == [1000]
