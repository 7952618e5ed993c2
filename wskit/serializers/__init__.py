"""Pluggable frame serializers: frame <-> WebSocket message.

Any object with ``serialize``/``deserialize`` (sync or async) is a
serializer; see :class:`FrameSerializer`.
"""

from .base import FrameSerializer, SerializerError
from .json import JsonSerializer
from .raw import RawSerializer

__all__ = ["FrameSerializer", "JsonSerializer", "RawSerializer", "SerializerError"]
