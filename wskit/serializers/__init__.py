"""Pluggable frame serializers: frame <-> WebSocket message.

Any object with ``serialize``/``deserialize`` (sync or async) is a
serializer; see :class:`FrameSerializer`.
"""

from .base import FrameSerializer, SerializerError, decode, describe, encode, setup
from .json import JsonSerializer
from .protobuf import ProtobufFrameSerializer
from .raw import RawSerializer
from .registry import get_serializer, serializer_names
from .telephony import TelephonySerializer

__all__ = [
    "FrameSerializer",
    "JsonSerializer",
    "ProtobufFrameSerializer",
    "RawSerializer",
    "SerializerError",
    "TelephonySerializer",
    "decode",
    "describe",
    "encode",
    "get_serializer",
    "serializer_names",
    "setup",
]
