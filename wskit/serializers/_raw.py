"""The raw serializer: WebSocket messages as they are.

Text messages are :class:`~wskit.frames.TextFrame`; binary messages are
:class:`~wskit.frames.AudioFrame` (PCM at the configured rate) or
:class:`~wskit.frames.BinaryFrame`. This is what a browser's ``ws.send(...)``
or ``wscat`` produces, and the default of wskit's transports.
"""

from __future__ import annotations

import json
from typing import Literal

from ..frames import AudioFrame, BinaryFrame, Frame, MessageFrame, TextFrame, TranscriptionFrame
from ._base import AudioFormat
from ._wav import audio_frame

__all__ = ["RawSerializer"]


class RawSerializer:
    """Text <-> ``TextFrame``; binary <-> ``AudioFrame`` or ``BinaryFrame``.

    Args:
        binary: what binary messages become: ``"audio"``, ``"bytes"``, or
            ``"auto"`` (audio when the transport's ``audio_in_enabled`` is on).
        sample_rate, num_channels: format of incoming PCM; by default the
            transport's ``audio_in_sample_rate`` / ``audio_in_channels``.

    On the way out ``MessageFrame`` becomes compact JSON text and
    ``TranscriptionFrame`` its text; ``InterruptionFrame`` has no raw form.
    """

    name = "RawSerializer"

    def __init__(
        self,
        binary: Literal["auto", "audio", "bytes"] = "auto",
        *,
        sample_rate: int | None = None,
        num_channels: int | None = None,
    ) -> None:
        if binary not in ("auto", "audio", "bytes"):
            raise ValueError(f"binary must be 'auto', 'audio' or 'bytes', not {binary!r}")
        self.binary = binary
        self.sample_rate = sample_rate or 16_000
        self.num_channels = num_channels or 1
        self._audio = binary == "audio"
        self._explicit = (sample_rate is not None, num_channels is not None)

    def setup(self, params: AudioFormat) -> None:
        """Take the audio format (and ``auto`` mode) from the transport."""
        if self.binary == "auto":
            self._audio = params.audio_in_enabled
        if not self._explicit[0]:
            self.sample_rate = params.audio_in_sample_rate
        if not self._explicit[1]:
            self.num_channels = params.audio_in_channels

    def serialize(self, frame: Frame) -> str | bytes | None:
        if type(frame) is TextFrame:  # the exact types first: one check instead of a chain, per message
            return frame.text
        if type(frame) is BinaryFrame:
            return frame.data
        if isinstance(frame, (TextFrame, TranscriptionFrame)):
            return frame.text
        if isinstance(frame, AudioFrame):
            return frame.audio
        if isinstance(frame, BinaryFrame):
            return frame.data
        if isinstance(frame, MessageFrame):
            return json.dumps(frame.data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        return None

    def deserialize(self, data: str | bytes) -> Frame:
        if isinstance(data, str):
            return TextFrame(data)
        if self._audio:
            return audio_frame(data, self.sample_rate, self.num_channels)
        return BinaryFrame(data)
