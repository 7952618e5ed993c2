"""Pluggable frame serializers: frame <-> WebSocket message.

Any object with ``serialize``/``deserialize`` (sync or async) is a
serializer; see :class:`FrameSerializer`.
"""

from .base import FrameSerializer, SerializerError
from .json import JsonSerializer
from .raw import RawSerializer
from .registry import get_serializer, serializer_names

__all__ = [
    "FrameSerializer",
    "JsonSerializer",
    "RawSerializer",
    "SerializerError",
    "get_serializer",
    "serializer_names",
]
