"""Serializers by name, for the command line and anything else that picks one from a string.

Each entry is ``"module:attribute"``, imported only when asked for, so listing
a serializer with heavy dependencies (protobuf) costs nothing until it is
used. Adding a serializer is one line in :data:`SERIALIZERS`.
"""

from __future__ import annotations

import importlib

from ._base import FrameSerializer

__all__ = ["SERIALIZERS", "get_serializer", "serializer_names"]

#: name -> ``"module:factory"``; the factory is called with no arguments.
SERIALIZERS: dict[str, str] = {
    "raw": "wskit.serializers._raw:RawSerializer",
    "json": "wskit.serializers._json:JsonSerializer",
    "protobuf": "wskit.serializers._protobuf:ProtobufFrameSerializer",
    "telephony": "wskit.serializers._telephony:TelephonySerializer",
}


def serializer_names() -> list[str]:
    """The names :func:`get_serializer` knows, sorted."""
    return sorted(SERIALIZERS)


def get_serializer(name: str) -> FrameSerializer:
    """A new serializer registered as ``name`` (case-insensitive).

    Raises:
        KeyError: no serializer has that name (the message lists the known ones).
        ImportError: the serializer's module or one of its dependencies is missing.
    """
    target = SERIALIZERS.get(name.lower())
    if target is None:
        raise KeyError(f"no serializer named {name!r}; known: {', '.join(serializer_names())}")
    module, _, attribute = target.partition(":")
    factory = getattr(importlib.import_module(module), attribute)
    serializer: FrameSerializer = factory()
    return serializer
