"""Serializers by name: what ``wskit serve --serializer NAME`` looks up."""

from __future__ import annotations

import pytest

from wskit.serializers import JsonSerializer, RawSerializer, get_serializer, serializer_names
from wskit.serializers import _registry as registry


def test_builtin_names() -> None:
    assert {"raw", "json", "protobuf", "telephony"} <= set(serializer_names())
    assert serializer_names() == sorted(serializer_names())


def test_each_call_builds_a_new_serializer() -> None:
    assert isinstance(get_serializer("raw"), RawSerializer)
    assert isinstance(get_serializer("JSON"), JsonSerializer)
    assert get_serializer("raw") is not get_serializer("raw")


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(KeyError, match=r"no serializer named 'xml'; known: .*json.*raw"):
        get_serializer("xml")


def test_one_line_adds_a_serializer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.SERIALIZERS, "plain", "wskit.serializers._raw:RawSerializer")
    assert "plain" in serializer_names()
    assert isinstance(get_serializer("plain"), RawSerializer)


def test_missing_module_is_an_import_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.SERIALIZERS, "ghost", "wskit.serializers.no_such_module:Ghost")
    with pytest.raises(ImportError):
        get_serializer("ghost")
