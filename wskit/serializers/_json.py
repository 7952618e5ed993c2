"""The JSON serializer: one type-tagged JSON object per text message.

Readable in any log or browser console, easy to produce from JavaScript::

    {"type": "text", "text": "hi", "id": 7, "name": "TextFrame#7"}
    {"type": "audio", "audio": "<base64 PCM>", "sample_rate": 16000, "num_channels": 1}
    {"type": "message", "data": {"any": ["json", 1]}}

``id``, ``name`` and ``pts`` are optional on input. Audio and binary data are
base64 (RFC 4648 §4). An object without ``"type"`` (what ``send_json({...})``
or a browser's ``JSON.stringify`` produces) is a :class:`~wskit.MessageFrame`
holding the whole object.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from ..frames import (
    AudioFrame,
    BinaryFrame,
    Frame,
    InterruptionFrame,
    MessageFrame,
    TextFrame,
    TranscriptionFrame,
)
from ._base import loads_json
from ._wav import audio_frame

__all__ = ["JsonSerializer"]

_TAGS: dict[type[Frame], str] = {
    TextFrame: "text",
    BinaryFrame: "binary",
    MessageFrame: "message",
    AudioFrame: "audio",
    TranscriptionFrame: "transcription",
    InterruptionFrame: "interruption",
}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(obj: dict[str, Any], field: str) -> bytes:
    if field not in obj:
        raise ValueError(f"missing field {field!r}")
    value = obj[field]
    if not isinstance(value, str):
        raise ValueError(f"field {field!r} must be a base64 string, not {type(value).__name__}")
    try:
        return base64.b64decode(value, validate=True)
    except ValueError as exc:  # binascii.Error, or non-ASCII characters
        raise ValueError(f"field {field!r} is not valid base64: {exc}") from exc


def _body(frame: Frame) -> dict[str, Any]:
    if isinstance(frame, (TextFrame, TranscriptionFrame)):
        body: dict[str, Any] = {"text": frame.text}
        if isinstance(frame, TranscriptionFrame):
            body.update(user_id=frame.user_id, timestamp=frame.timestamp)
        return body
    if isinstance(frame, AudioFrame):
        return {"audio": _b64(frame.audio), "sample_rate": frame.sample_rate, "num_channels": frame.num_channels}
    if isinstance(frame, BinaryFrame):
        return {"data": _b64(frame.data)}
    if isinstance(frame, MessageFrame):
        return {"data": frame.data}
    return {}


def _require(obj: dict[str, Any], field: str, kind: type | tuple[type, ...]) -> Any:
    if field not in obj:
        raise ValueError(f"missing field {field!r}")
    value = obj[field]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"field {field!r} has type {type(value).__name__}")
    return value


def _optional(obj: dict[str, Any], field: str, kind: type, default: Any) -> Any:
    """Like :func:`_require`, but an absent or ``null`` field gives ``default``."""
    return default if obj.get(field) is None else _require(obj, field, kind)


_BUILDERS: dict[str, Callable[[dict[str, Any], dict[str, Any]], Frame]] = {
    "text": lambda o, kw: TextFrame(_require(o, "text", str), **kw),
    "binary": lambda o, kw: BinaryFrame(_unb64(o, "data"), **kw),
    "message": lambda o, kw: MessageFrame(o.get("data"), **kw),
    "audio": lambda o, kw: audio_frame(
        _unb64(o, "audio"),
        _require(o, "sample_rate", int),
        _optional(o, "num_channels", int, 1),
        **kw,
    ),
    "transcription": lambda o, kw: TranscriptionFrame(
        _require(o, "text", str), _optional(o, "user_id", str, ""), _optional(o, "timestamp", str, ""), **kw
    ),
    "interruption": lambda o, kw: InterruptionFrame(**kw),
}


class JsonSerializer:
    """Frames as type-tagged JSON objects in text messages."""

    name = "JsonSerializer"

    def serialize(self, frame: Frame) -> str | None:
        tag = next((_TAGS[cls] for cls in type(frame).__mro__ if cls in _TAGS), None)
        if tag is None:
            return None
        obj = {"type": tag, **_body(frame), "id": frame.id, "name": frame.name}
        if frame.pts is not None:
            obj["pts"] = frame.pts
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False)

    def deserialize(self, data: str | bytes) -> Frame:
        obj = loads_json(data)  # bytes are decoded as UTF-8 (JSON's encoding)
        if not isinstance(obj, dict):
            raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
        if "type" not in obj:
            return MessageFrame(obj)  # untagged: a plain JSON message
        tag = obj["type"]
        build = _BUILDERS.get(tag) if isinstance(tag, str) else None
        if build is None:
            raise ValueError(f"unknown frame type {tag!r}; expected one of {sorted(_BUILDERS)}")
        kw: dict[str, Any] = {}
        if "id" in obj:
            kw["id"] = _require(obj, "id", int)
        if "name" in obj:
            kw["name"] = _require(obj, "name", str)
        if obj.get("pts") is not None:
            kw["pts"] = _require(obj, "pts", int)
        return build(obj, kw)
