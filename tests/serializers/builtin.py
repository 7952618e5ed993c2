"""Every serializer wskit ships, in one list: fuzzing and other all-serializer tests run over it.

A new built-in serializer joins every such test by adding one line here.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from wskit.serializers import FrameSerializer, JsonSerializer, RawSerializer

BUILTIN_SERIALIZERS: list[tuple[str, Callable[[], FrameSerializer]]] = [
    ("raw", RawSerializer),
    ("raw-audio", lambda: RawSerializer("audio")),
    ("json", JsonSerializer),
]

#: ``@SERIALIZERS`` parametrizes a test with ``make_serializer`` over :data:`BUILTIN_SERIALIZERS`.
SERIALIZERS = pytest.mark.parametrize(
    "make_serializer", [p for _, p in BUILTIN_SERIALIZERS], ids=[n for n, _ in BUILTIN_SERIALIZERS]
)
