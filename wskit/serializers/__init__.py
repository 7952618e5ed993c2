"""Pluggable frame serializers: frame <-> WebSocket message.

Any object with ``serialize``/``deserialize`` (sync or async) is a
serializer; see :class:`FrameSerializer`. Its optional ``setup(audio)`` is
told the transport's :class:`AudioFormat`. :func:`encode` and :func:`decode`
(and their ``_sync`` forms, which add no coroutine layer for a synchronous
serializer) call any serializer and turn its failures into a
:class:`SerializerError`; :func:`audio_frame` and :func:`frame_with_header`
strip and add the WAV header Pipecat's client puts on audio.
"""

from ._base import (
    AudioFormat,
    FrameSerializer,
    SerializerError,
    decode,
    decode_sync,
    describe,
    encode,
    encode_sync,
    setup,
)
from ._json import JsonSerializer
from ._protobuf import ProtobufFrameSerializer
from ._raw import RawSerializer
from ._registry import get_serializer, serializer_names
from ._telephony import TelephonySerializer
from ._wav import audio_frame, frame_with_header

__all__ = [
    "AudioFormat",
    "FrameSerializer",
    "JsonSerializer",
    "ProtobufFrameSerializer",
    "RawSerializer",
    "SerializerError",
    "TelephonySerializer",
    "audio_frame",
    "decode",
    "decode_sync",
    "describe",
    "encode",
    "encode_sync",
    "frame_with_header",
    "get_serializer",
    "serializer_names",
    "setup",
]
