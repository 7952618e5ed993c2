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

Hostile input is bounded. A ``media`` payload larger than ``max_media_bytes``
(8,000 bytes by default: one second of 8 kHz audio, 50 times the 160 bytes of
the 20 ms frames telephony peers send) is refused before it is decoded, as an
error, so one huge event cannot stall the event loop resampling it. Filter
state is kept for at most ``max_streams`` streams (64), the least recently
used evicted first and counted in :attr:`TelephonySerializer.streams_evicted`,
so a peer inventing ``streamSid`` after ``streamSid`` cannot grow it.

One instance serves one call: outgoing events carry the ``streamSid`` of the
last ``start`` seen. :meth:`TelephonySerializer.for_connection` makes a fresh
instance with the same configuration, which a transport that supports it
calls for each connection, so that several calls through one server each have
their own stream id and filter state, freed when the call ends.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from ..frames import AudioFrame, Frame, InterruptionFrame, MessageFrame
from ._base import AudioFormat, loads_json

if TYPE_CHECKING:
    from ..audio import Resampler

__all__ = ["MAX_MEDIA_BYTES", "MAX_STREAMS", "TelephonySerializer"]

WIRE_RATE = 8000
#: Largest ``media`` payload accepted, in bytes of μ-law / A-law before base64: one second at
#: 8 kHz. Peers send 20 ms (160 bytes); a few batch up to a few hundred milliseconds.
MAX_MEDIA_BYTES = 8000
#: Streams whose resampler state is kept at once; the least recently used is evicted first.
MAX_STREAMS = 64

_K = TypeVar("_K")


class TelephonySerializer:
    """Frames <-> Twilio Media Streams events (text messages).

    Args:
        stream_sid: the ``streamSid`` to put in outgoing events; learnt from
            the ``start`` event when not given.
        sample_rate: rate of the audio frames on wskit's side; by default the
            transport's ``audio_in_sample_rate``.
        encoding: ``"mulaw"`` (``audio/x-mulaw``, Twilio's) or ``"alaw"``.
        max_media_bytes: refuse a ``media`` payload larger than this (bytes
            after base64 decoding), before decoding it.
        max_streams: keep resampler state for at most this many streams.

    Attributes:
        streams_evicted: how many streams' resampler state was dropped to stay
            within ``max_streams`` (a stream that comes back starts afresh).
    """

    name = "TelephonySerializer"

    def __init__(
        self,
        stream_sid: str | None = None,
        *,
        sample_rate: int | None = None,
        encoding: Literal["mulaw", "alaw"] = "mulaw",
        max_media_bytes: int = MAX_MEDIA_BYTES,
        max_streams: int = MAX_STREAMS,
    ) -> None:
        if encoding not in ("mulaw", "alaw"):
            raise ValueError(f"encoding must be 'mulaw' or 'alaw', not {encoding!r}")
        if max_media_bytes < 1 or max_streams < 1:
            raise ValueError("max_media_bytes and max_streams must be at least 1")
        self.stream_sid = stream_sid
        self.sample_rate = sample_rate or 16_000
        self.encoding = encoding
        self.max_media_bytes = max_media_bytes
        self.max_streams = max_streams
        self.streams_evicted = 0
        self._given_sid = stream_sid
        self._explicit_rate = sample_rate is not None
        self._in: OrderedDict[str | None, Resampler] = OrderedDict()
        self._out: OrderedDict[tuple[str | None, int], Resampler] = OrderedDict()

    def setup(self, params: AudioFormat) -> None:
        """Take the audio rate of the wskit side from the transport."""
        if not self._explicit_rate:
            self.sample_rate = params.audio_in_sample_rate

    def for_connection(self) -> TelephonySerializer:
        """A fresh instance with this one's configuration, for one connection (one call).

        It has no stream id but the one given to the constructor, and no
        resampler state; its rate is this one's (as :meth:`setup` set it).
        """
        fresh = TelephonySerializer(
            self._given_sid,
            sample_rate=self.sample_rate,
            encoding=self.encoding,
            max_media_bytes=self.max_media_bytes,
            max_streams=self.max_streams,
        )
        fresh._explicit_rate = self._explicit_rate  # a later setup() may still set the rate
        return fresh

    @property
    def streams(self) -> int:
        """How many streams' resampler state is held now (in and out)."""
        return len(self._in) + len(self._out)

    def _resampler(self, table: OrderedDict[_K, Resampler], key: _K, from_rate: int, to_rate: int) -> Resampler:
        """The stream's resampler, made on first use; the least recently used is evicted past ``max_streams``."""
        resampler = table.get(key)
        if resampler is not None:
            table.move_to_end(key)
            return resampler
        from ..audio import Resampler

        resampler = table[key] = Resampler(from_rate, to_rate)
        while len(table) > self.max_streams:
            table.popitem(last=False)
            self.streams_evicted += 1
        return resampler

    # -- out ----------------------------------------------------------------------

    def _event(self, event: str, **body: Any) -> str:
        obj: dict[str, Any] = {"event": event}
        if self.stream_sid is not None:
            obj["streamSid"] = self.stream_sid
        obj.update(body)
        return json.dumps(obj, separators=(",", ":"))

    def serialize(self, frame: Frame) -> str | None:
        if isinstance(frame, AudioFrame):
            from ..audio import lin2alaw, lin2ulaw

            samples = frame.samples
            mono = samples[:, 0] if frame.num_channels == 1 else samples.mean(axis=1).round().astype("int16")
            if frame.sample_rate != WIRE_RATE:
                key = (self.stream_sid, frame.sample_rate)
                mono = self._resampler(self._out, key, frame.sample_rate, WIRE_RATE).process(mono)
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
            key = sid if isinstance(sid, str) else None
            self._in.pop(key, None)
            for out_key in [k for k in self._out if k[0] == key]:
                del self._out[out_key]
        return MessageFrame(obj)

    def _media(self, obj: dict[str, Any]) -> AudioFrame:
        media = obj.get("media")
        payload = media.get("payload") if isinstance(media, dict) else None
        if not isinstance(payload, str):
            raise ValueError("media event without a 'media.payload' string")
        if len(payload) > 4 * -(-self.max_media_bytes // 3):  # base64 of max_media_bytes, padded
            raise ValueError(
                f"media payload of about {len(payload) * 3 // 4:,} bytes refused unread: over max_media_bytes "
                f"({self.max_media_bytes:,}; a 20 ms frame at 8 kHz is 160)"
            )
        try:
            raw = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError(f"media payload is not valid base64: {exc}") from exc
        if len(raw) > self.max_media_bytes:
            raise ValueError(
                f"media payload of {len(raw):,} bytes refused: over max_media_bytes ({self.max_media_bytes:,})"
            )
        from ..audio import alaw2lin, ulaw2lin  # numpy, imported by the first media event that gets this far

        decode = ulaw2lin if self.encoding == "mulaw" else alaw2lin
        pcm = decode(raw)
        if self.sample_rate != WIRE_RATE:
            sid = obj.get("streamSid")
            key = sid if isinstance(sid, str) else None
            pcm = self._resampler(self._in, key, WIRE_RATE, self.sample_rate).process(pcm)
        return AudioFrame(pcm.astype("<i2").tobytes(), self.sample_rate, 1)
