"""What a streaming user sends: a wskit audio source cut into frames, at the rate its serializer needs.

:func:`plan_stream` resolves a source given by name (``"chirp"``, ``"sine"``,
``"noise"``, ``"silence"``) or as a WAV path, or an
:class:`~wskit.audio.AudioSource` itself, and cuts it into frames of
``frame_ms`` with ``source.frames``. A telephony serializer carries 8 kHz
G.711, so the source is resampled to 8 kHz first and its stamps use the G.711
encoding (:func:`~wskit.load.write_stamp`); every other serializer gets the source's
own PCM.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..serializers import TelephonySerializer
from ._stamp import StampCodec, stamp_size

if TYPE_CHECKING:
    from ..audio import AudioSource

__all__ = ["SOURCES", "StreamPlan", "make_source", "plan_stream"]

#: source names :func:`make_source` knows (a path to a ``.wav`` file works too).
SOURCES = ("chirp", "sine", "noise", "silence")

TELEPHONY_RATE = 8000


def make_source(spec: str | AudioSource, seconds: float = 2.0, sample_rate: int = 16_000) -> AudioSource:
    """A source by name (``seconds`` long, at ``sample_rate``), a WAV file by path, or ``spec`` itself.

    Raises:
        ValueError: an unknown name that is not a ``.wav`` file either.
    """
    from ..audio import AudioSource, chirp, from_wav, noise, silence, sine  # numpy: loaded when a stream is planned

    if isinstance(spec, AudioSource):
        return spec
    name = spec.lower()
    if name == "chirp":
        return chirp(seconds, sample_rate=sample_rate)
    if name == "sine":
        return sine(seconds, freq=440, sample_rate=sample_rate)
    if name == "noise":
        return noise(seconds, sample_rate=sample_rate, seed=1)
    if name == "silence":
        return silence(seconds, sample_rate=sample_rate)
    if name.endswith(".wav") and os.path.exists(spec):
        return from_wav(spec)
    raise ValueError(f"unknown audio source {spec!r}: use {', '.join(SOURCES)} or a path to a .wav file")


@dataclass(frozen=True)
class StreamPlan:
    """Frames of PCM ready to stamp and send, in order (the stream loops over them).

    Attributes:
        frames: little-endian int16 PCM of each frame, all the same length.
        sample_rate, channels: their format.
        frame_ms: frame duration.
        codec: how stamps are written (``"pcm"``, or ``"mulaw"``/``"alaw"`` for telephony).
        name: the source's name, for reports.
    """

    frames: tuple[bytes, ...]
    sample_rate: int
    channels: int
    frame_ms: float
    codec: StampCodec
    name: str

    @property
    def frame_bytes(self) -> int:
        return len(self.frames[0])

    @property
    def frame_seconds(self) -> float:
        return self.frame_ms / 1000


def plan_stream(source: str | AudioSource, serializer: Any, frame_ms: float = 20, seconds: float = 2.0) -> StreamPlan:
    """Cut ``source`` into ``frame_ms`` frames in the format ``serializer`` carries.

    Raises:
        ValueError: unknown source, a frame length that is not a whole number
            of samples, or frames too short to hold a stamp.
    """
    from ..audio import AudioSource, resample

    audio = make_source(source, seconds)
    codec: StampCodec = "pcm"
    if isinstance(serializer, TelephonySerializer):
        codec = "mulaw" if serializer.encoding == "mulaw" else "alaw"
        mono = audio.with_channels(1)
        if mono.sample_rate != TELEPHONY_RATE:
            samples = resample(mono.samples, mono.sample_rate, TELEPHONY_RATE)
            mono = AudioSource(samples, TELEPHONY_RATE, mono.name)
        audio = mono
    frames = tuple(f.audio for f in audio.frames(frame_ms, pad=True))
    if not frames:
        raise ValueError(f"the source {audio.name!r} holds no audio")
    samples_per_frame = len(frames[0]) // (2 * audio.num_channels)
    if samples_per_frame < stamp_size(codec):
        raise ValueError(f"{frame_ms} ms frames at {audio.sample_rate} Hz are too short to hold a sequence stamp")
    return StreamPlan(frames, audio.sample_rate, audio.num_channels, frame_ms, codec, audio.name)
