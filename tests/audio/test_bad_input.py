"""Bad audio input on a live server: a clear error event, and the stream and the server go on."""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np
import pytest

import wskit
from tests.conftest import eventually
from wskit import EventKind
from wskit.audio import Recorder, add_header, lin2ulaw, sine, ulaw2lin

PB = wskit.ProtobufFrameSerializer()
GOOD_PCM = sine(0.02, freq=440, sample_rate=8000).samples.tobytes()  # 160 samples


def twilio_media(payload: object) -> str:
    return json.dumps({"event": "media", "streamSid": "MZ1", "media": {"payload": payload}})


GOOD_TWILIO = twilio_media(base64.b64encode(lin2ulaw(np.frombuffer(GOOD_PCM, np.int16)).tobytes()).decode())

CASES: dict[str, tuple[Any, str | bytes, str | bytes, str]] = {
    # name: (serializer factory, bad message, good message, what the error says)
    "odd byte count for int16": (
        lambda: wskit.RawSerializer("audio", sample_rate=8000),
        b"\x01\x02\x03",
        GOOD_PCM,
        "not a whole number of 16-bit samples",
    ),
    "sample rate of 0": (
        lambda: wskit.ProtobufFrameSerializer(),
        bytes.fromhex("12 06 1a 02 00 00 20 00"),
        PB.serialize(wskit.AudioFrame(GOOD_PCM, 8000)) or b"",
        "sample_rate 0",
    ),
    "truncated WAV header": (
        lambda: wskit.RawSerializer("audio", sample_rate=8000),
        add_header(GOOD_PCM, 8000)[:30],
        add_header(GOOD_PCM, 8000),
        "invalid WAV data",
    ),
    "protobuf frame cut in half": (
        lambda: wskit.ProtobufFrameSerializer(),
        (PB.serialize(wskit.AudioFrame(GOOD_PCM, 8000)) or b"")[:160],
        PB.serialize(wskit.AudioFrame(GOOD_PCM, 8000)) or b"",
        "truncated",
    ),
    "base64 that is not base64": (
        lambda: wskit.TelephonySerializer(sample_rate=8000),
        twilio_media("%%% not base64 %%%"),
        GOOD_TWILIO,
        "not valid base64",
    ),
    "telephony media without a payload": (
        lambda: wskit.TelephonySerializer(sample_rate=8000),
        json.dumps({"event": "media", "streamSid": "MZ1", "media": {"track": "inbound"}}),
        GOOD_TWILIO,
        "without a 'media.payload'",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_bad_input_gives_an_error_event_and_everything_goes_on(case: str) -> None:
    make, bad, good, says = CASES[case]
    server = wskit.WebsocketServerTransport(wskit.WebsocketServerParams(serializer=make()), port=0)
    errors: list[wskit.Event] = []
    server.events.subscribe(lambda e: errors.append(e) if e.kind is EventKind.ERROR else None)
    rec = Recorder().attach(server)
    await server.start()
    plain = wskit.WebsocketClientParams(add_wav_header=False)
    sender = wskit.WebsocketClientTransport(server.url, plain)
    bystander = wskit.WebsocketClientTransport(server.url, wskit.WebsocketClientParams(add_wav_header=False))
    await sender.start()
    await bystander.start()
    await eventually(lambda: len(server.clients) == 2)

    send = sender.send_bytes if isinstance(bad, bytes) else sender.send_text
    await send(bad)  # type: ignore[arg-type]
    await eventually(lambda: errors)
    (error,) = errors
    assert isinstance(error.error, wskit.serializers.SerializerError)
    assert says in str(error.error) and error.connection is not None
    assert error.error.close_code == 1007

    # the same connection goes on, and so does everyone else
    send_good = sender.send_bytes if isinstance(good, bytes) else sender.send_text
    await send_good(good)  # type: ignore[arg-type]
    other = bystander.send_bytes if isinstance(good, bytes) else bystander.send_text
    await other(good)  # type: ignore[arg-type]
    await eventually(lambda: rec.stats.frames == 2)
    assert len(server.clients) == 2 and server.running
    expected = np.frombuffer(GOOD_PCM, np.int16)
    if isinstance(server.serializer, wskit.TelephonySerializer):
        expected = ulaw2lin(lin2ulaw(expected))  # μ-law is lossy
    np.testing.assert_array_equal(rec.to_numpy()[:, 0], np.concatenate([expected, expected]))
