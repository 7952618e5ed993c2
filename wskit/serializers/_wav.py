"""WAV headers on the wire: added to audio on the way out, stripped on the way in.

Pipecat's client puts a whole WAV file in every audio chunk it sends
(``add_wav_header=True``) and its server never removes the header. An
:class:`~wskit.frames.AudioFrame` is only PCM, so the header lives here, at the
boundary between frames and messages: the serializers build received audio
with :func:`audio_frame` (which keeps the PCM and takes the format from a
header when there is one), and the transports wrap outgoing audio with
:func:`frame_with_header` when ``add_wav_header`` is on. ``wskit.audio``
does the RIFF work; it is imported only when a header is met (numpy).
"""

from __future__ import annotations

from typing import Any

from ..frames import AudioFrame

__all__ = ["audio_frame", "frame_with_header"]


def audio_frame(audio: bytes, sample_rate: int, num_channels: int = 1, **kw: Any) -> AudioFrame:
    """The :class:`~wskit.frames.AudioFrame` for audio bytes as they were received.

    A whole WAV file (what Pipecat's client sends by default) gives its PCM,
    and its header's sample rate and channels win over the ones given; any
    other bytes are PCM as they are. ``kw`` (``id``, ``name``, ``pts``) goes to the frame.

    Raises:
        ValueError: a WAV header that is truncated or not 16-bit PCM, or PCM
            that is not a whole number of samples.
    """
    if audio[:4] == b"RIFF":
        from ..audio import is_wav, parse

        data = bytes(audio)
        if is_wav(data):
            audio, sample_rate, num_channels = parse(data)
    return AudioFrame(audio, sample_rate, num_channels, **kw)


def frame_with_header(frame: AudioFrame) -> AudioFrame:
    """The same frame (same id, name, pts) whose ``audio`` is a whole WAV file.

    Used on the way out when ``add_wav_header`` is on, so that any serializer
    puts the header where the PCM would go. Such a frame is only for
    serializing: it skips validation and its ``samples`` are not audio.
    """
    from ..audio import add_header

    wrapped = object.__new__(type(frame))
    for name in ("id", "name", "pts", "sample_rate", "num_channels"):
        object.__setattr__(wrapped, name, getattr(frame, name))
    object.__setattr__(wrapped, "audio", add_header(frame.audio, frame.sample_rate, frame.num_channels))
    return wrapped
