"""Twilio Media Streams JSON: μ-law 8 kHz audio in text messages.

A telephony media stream (https://www.twilio.com/docs/voice/media-streams/websocket-messages)
sends JSON events: ``connected``, ``start`` (with the ``streamSid`` and the
media format), ``media`` (base64 μ-law, 8 kHz mono, usually 20 ms), ``mark``,
``dtmf`` and ``stop``; the application answers with ``media``, ``mark`` and
``clear`` (drop whatever is queued for playback).

Incoming ``media`` becomes an :class:`~wskit.frames.AudioFrame` at the
transport's rate (``params.audio_in_sample_rate``, taken in :meth:`setup`),
``clear`` an :class:`~wskit.frames.InterruptionFrame`, every other event a
:class:`~wskit.frames.MessageFrame` holding the event object. Outgoing audio
is mixed to mono, resampled to 8 kHz and μ-law encoded; an interruption
becomes ``clear``; a ``MessageFrame`` whose data is an event object is sent
as is (``mark``, say). Resampling keeps its filter state per stream, so 20 ms
frames join without clicks.

One serializer serves one call: outgoing events carry the ``streamSid`` of
the last ``start`` seen, so a server taking several calls at once through
one transport would mislabel them.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import TYPE_CHECKING, Any, Literal

from ..frames import AudioFrame, Frame, InterruptionFrame, MessageFrame
from ._base import AudioFormat, loads_json

if TYPE_CHECKING:
    from ..audio import Resampler

__all__ = ["TelephonySerializer"]

WIRE_RATE = 8000


class TelephonySerializer:
    """Frames <-> Twilio Media Streams events (text messages).

    Args:
        stream_sid: the ``streamSid`` to put in outgoing events; learnt from
            the ``start`` event when not given.
        sample_rate: rate of the audio frames on wskit's side; by default the
            transport's ``audio_in_sample_rate``.
        encoding: ``"mulaw"`` (``audio/x-mulaw``, Twilio's) or ``"alaw"``.
    """

    name = "TelephonySerializer"

    def __init__(
        self,
        stream_sid: str | None = None,
        *,
        sample_rate: int | None = None,
        encoding: Literal["mulaw", "alaw"] = "mulaw",
    ) -> None:
        if encoding not in ("mulaw", "alaw"):
            raise ValueError(f"encoding must be 'mulaw' or 'alaw', not {encoding!r}")
        self.stream_sid = stream_sid
        self.sample_rate = sample_rate or 16_000
        self.encoding = encoding
        self._explicit_rate = sample_rate is not None
        self._in: dict[str | None, Resampler] = {}
        self._out: dict[tuple[str | None, int], Resampler] = {}

    def setup(self, params: AudioFormat) -> None:
        """Take the audio rate of the wskit side from the transport."""
        if not self._explicit_rate:
            self.sample_rate = params.audio_in_sample_rate

    # -- out ----------------------------------------------------------------------

    def _event(self, event: str, **body: Any) -> str:
        obj: dict[str, Any] = {"event": event}
        if self.stream_sid is not None:
            obj["streamSid"] = self.stream_sid
        obj.update(body)
        return json.dumps(obj, separators=(",", ":"))

    def serialize(self, frame: Frame) -> str | None:
        if isinstance(frame, AudioFrame):
            from ..audio import Resampler, lin2alaw, lin2ulaw

            samples = frame.samples
            mono = samples[:, 0] if frame.num_channels == 1 else samples.mean(axis=1).round().astype("int16")
            key = (self.stream_sid, frame.sample_rate)
            if frame.sample_rate != WIRE_RATE:
                if key not in self._out:
                    self._out[key] = Resampler(frame.sample_rate, WIRE_RATE)
                mono = self._out[key].process(mono)
            encode = lin2ulaw if self.encoding == "mulaw" else lin2alaw
            payload = base64.b64encode(encode(mono).tobytes()).decode("ascii")
            return self._event("media", media={"payload": payload})
        if isinstance(frame, InterruptionFrame):
            return self._event("clear")
        if isinstance(frame, MessageFrame) and isinstance(frame.data, dict) and "event" in frame.data:
            return json.dumps(frame.data, separators=(",", ":"))
        return None

    # -- in -----------------------------------------------------------------------

    def deserialize(self, data: str | bytes) -> Frame | None:
        obj = loads_json(data)
        if not isinstance(obj, dict):
            raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
        event = obj.get("event")
        if not isinstance(event, str):
            raise ValueError(f"missing or invalid 'event' field: {event!r}")
        if event == "media":
            return self._media(obj)
        if event == "clear":
            return InterruptionFrame()
        if event == "start":
            sid = obj.get("streamSid") or (obj.get("start") or {}).get("streamSid")
            if isinstance(sid, str):
                self.stream_sid = sid
        elif event == "stop":
            sid = obj.get("streamSid")
            self._in.pop(sid if isinstance(sid, str) else None, None)
        return MessageFrame(obj)

    def _media(self, obj: dict[str, Any]) -> AudioFrame:
        from ..audio import Resampler, alaw2lin, ulaw2lin

        media = obj.get("media")
        payload = media.get("payload") if isinstance(media, dict) else None
        if not isinstance(payload, str):
            raise ValueError("media event without a 'media.payload' string")
        try:
            raw = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError(f"media payload is not valid base64: {exc}") from exc
        decode = ulaw2lin if self.encoding == "mulaw" else alaw2lin
        pcm = decode(raw)
        if self.sample_rate != WIRE_RATE:
            sid = obj.get("streamSid")
            key = sid if isinstance(sid, str) else None
            if key not in self._in:
                self._in[key] = Resampler(WIRE_RATE, self.sample_rate)
            pcm = self._in[key].process(pcm)
        return AudioFrame(pcm.astype("<i2").tobytes(), self.sample_rate, 1)
