"""Pipecat's protobuf frames, byte-compatible, with a small encoder of our own.

The schema (Pipecat's ``frames.proto``, proto3, package ``pipecat``)::

    message Frame { oneof frame { TextFrame text = 1; AudioRawFrame audio = 2;
        TranscriptionFrame transcription = 3; MessageFrame message = 4;
        InterruptionFrame interruption = 5; } }
    message TextFrame { uint64 id = 1; string name = 2; string text = 3; }
    message AudioRawFrame { uint64 id = 1; string name = 2; bytes audio = 3;
        uint32 sample_rate = 4; uint32 num_channels = 5; optional uint64 pts = 6; }
    message TranscriptionFrame { uint64 id = 1; string name = 2; string text = 3;
        string user_id = 4; string timestamp = 5; }
    message MessageFrame { string data = 1; }   // JSON text
    message InterruptionFrame { uint64 id = 1; string name = 2; }

Only two wire types occur: varints and length-delimited fields
(https://protobuf.dev/programming-guides/encoding/). Encoding writes fields
in number order and omits proto3 defaults, as the protobuf library does, so
the bytes equal Pipecat's: the text frame ``"hello pipecat"`` is
``0a 0f 1a 0d`` followed by its 13 UTF-8 bytes. Like Pipecat, ``id`` and
``name`` are not sent unless ``send_ids=True``.

Decoding skips unknown fields of every wire type (proto3 rule) and rejects
anything truncated or malformed with a :class:`ValueError` that says where
(the transport turns it into a ``SerializerError`` error event and closes
nothing). An unknown frame type in the ``oneof`` is skipped (``None``).
"""

from __future__ import annotations

import json
from typing import Any

from ..frames import (
    AudioFrame,
    Frame,
    InterruptionFrame,
    MessageFrame,
    TextFrame,
    TranscriptionFrame,
)

__all__ = ["ProtobufFrameSerializer", "decode_fields", "encode_varint"]

_VARINT, _I64, _LEN, _I32 = 0, 1, 2, 5
_MAX_VARINT = 10  # bytes: 64 bits at 7 per byte


def encode_varint(value: int) -> bytes:
    """Base-128 varint, least significant group first (uint64 only)."""
    if value < 0 or value >= 1 << 64:
        raise ValueError(f"varint out of range for uint64: {value}")
    if value < 0x80:
        return bytes((value,))
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _len_field(number: int, payload: bytes) -> bytes:
    return encode_varint(number << 3 | _LEN) + encode_varint(len(payload)) + payload


def _varint_field(number: int, value: int) -> bytes:
    return encode_varint(number << 3 | _VARINT) + encode_varint(value)


def _read_varint(data: bytes, pos: int, what: str) -> tuple[int, int]:
    result = shift = 0
    end = len(data)
    for i in range(pos, min(pos + _MAX_VARINT, end)):
        byte = data[i]
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            if result >= 1 << 64:
                raise ValueError(f"{what} at byte {pos}: varint exceeds 64 bits")
            return result, i + 1
        shift += 7
    if end - pos >= _MAX_VARINT:
        raise ValueError(f"{what} at byte {pos}: varint longer than {_MAX_VARINT} bytes")
    raise ValueError(f"truncated: {what} at byte {pos} ends mid-varint ({end - pos} bytes left)")


def decode_fields(data: bytes, message: str = "Frame") -> dict[int, int | bytes]:
    """The fields of one message, last value winning (proto3), as ``{number: int | bytes}``.

    Varint fields give ints, length-delimited fields bytes; fixed32/fixed64
    fields are skipped (none occur in the schema).

    Raises:
        ValueError: truncated input, a bad tag, or a group (wire types 3/4).
    """
    fields: dict[int, int | bytes] = {}
    pos, end = 0, len(data)
    while pos < end:
        tag, after = _read_varint(data, pos, f"{message} field tag")
        number, wire = tag >> 3, tag & 7
        if number == 0:
            raise ValueError(f"{message}: field number 0 at byte {pos} is invalid")
        pos = after
        if wire == _VARINT:
            fields[number], pos = _read_varint(data, pos, f"{message} field {number}")
        elif wire == _LEN:
            length, pos = _read_varint(data, pos, f"{message} field {number} length")
            if pos + length > end:
                raise ValueError(f"truncated: {message} field {number} announces {length} bytes, {end - pos} remain")
            fields[number] = data[pos : pos + length]
            pos += length
        elif wire in (_I64, _I32):
            size = 8 if wire == _I64 else 4
            if pos + size > end:
                raise ValueError(f"truncated: {message} field {number} needs {size} bytes, {end - pos} remain")
            pos += size
        else:
            raise ValueError(f"{message} field {number}: unsupported wire type {wire} at byte {pos}")
    return fields


def _text(fields: dict[int, int | bytes], number: int, message: str) -> str:
    value = fields.get(number, b"")
    if not isinstance(value, bytes):
        raise ValueError(f"{message} field {number} should be a string, got a varint")
    try:
        return value.decode()
    except UnicodeDecodeError as exc:
        raise ValueError(f"{message} field {number} is not valid UTF-8: {exc}") from exc


def _uint(fields: dict[int, int | bytes], number: int, message: str) -> int:
    value = fields.get(number, 0)
    if not isinstance(value, int):
        raise ValueError(f"{message} field {number} should be a varint, got length-delimited data")
    return value


class ProtobufFrameSerializer:
    """Frames in Pipecat's protobuf wire format (binary messages).

    Args:
        send_ids: also send each frame's ``id`` and ``name`` (Pipecat does
            not, and ignores them on receive) and audio ``pts``.

    Text, audio, transcription, message (JSON in ``data``) and interruption
    frames have a protobuf form; others (``BinaryFrame``) cannot be encoded.
    """

    name = "ProtobufFrameSerializer"

    def __init__(self, *, send_ids: bool = False) -> None:
        self.send_ids = send_ids

    def _ids(self, frame: Frame) -> bytes:
        if not self.send_ids:
            return b""
        out = _varint_field(1, frame.id) if frame.id else b""
        return out + (_len_field(2, frame.name.encode()) if frame.name else b"")

    def serialize(self, frame: Frame) -> bytes | None:
        if isinstance(frame, AudioFrame):
            body = self._ids(frame)
            if frame.audio:
                body += _len_field(3, frame.audio)
            body += _varint_field(4, frame.sample_rate) + _varint_field(5, frame.num_channels)
            if self.send_ids and frame.pts is not None:
                body += _varint_field(6, frame.pts)
            return _len_field(2, body)
        if isinstance(frame, TranscriptionFrame):
            body = self._ids(frame)
            for number, value in ((3, frame.text), (4, frame.user_id), (5, frame.timestamp)):
                if value:
                    body += _len_field(number, value.encode())
            return _len_field(3, body)
        if isinstance(frame, TextFrame):
            body = self._ids(frame) + (_len_field(3, frame.text.encode()) if frame.text else b"")
            return _len_field(1, body)
        if isinstance(frame, MessageFrame):
            data = json.dumps(frame.data, allow_nan=False)  # Pipecat's own spacing and escaping
            return _len_field(4, _len_field(1, data.encode()))
        if isinstance(frame, InterruptionFrame):
            return _len_field(5, self._ids(frame))
        return None

    def deserialize(self, data: str | bytes) -> Frame | None:
        if isinstance(data, str):
            raise ValueError("expected a binary message (protobuf), got a text message")
        outer = decode_fields(data, "Frame")
        known = [n for n in outer if 1 <= n <= 5]
        if not known:
            return None  # empty, or a frame type newer than this schema: skip it
        number = known[-1]  # oneof: the last one on the wire wins
        body = outer[number]
        if not isinstance(body, bytes):
            raise ValueError(f"Frame field {number} should be a message, got a varint")
        kind = ("TextFrame", "AudioRawFrame", "TranscriptionFrame", "MessageFrame", "InterruptionFrame")[number - 1]
        fields = decode_fields(body, kind)
        kw: dict[str, Any] = {}
        if number == 4:
            text = _text(fields, 1, kind)
            try:
                return MessageFrame(json.loads(text))
            except ValueError as exc:
                raise ValueError(f"MessageFrame data is not valid JSON: {exc}") from exc
        if fields.get(1):
            kw["id"] = _uint(fields, 1, kind)
        if fields.get(2):
            kw["name"] = _text(fields, 2, kind)
        if number == 1:
            return TextFrame(_text(fields, 3, kind), **kw)
        if number == 2:
            audio = fields.get(3, b"")
            if not isinstance(audio, bytes):
                raise ValueError("AudioRawFrame field 3 (audio) should be bytes, got a varint")
            if 6 in fields:
                kw["pts"] = _uint(fields, 6, kind)
            rate = _uint(fields, 4, kind)
            if rate == 0 and not audio.startswith(b"RIFF"):
                raise ValueError("AudioRawFrame has sample_rate 0 (missing or zero)")
            return AudioFrame(audio, rate, _uint(fields, 5, kind) or 1, **kw)
        if number == 3:
            return TranscriptionFrame(_text(fields, 3, kind), _text(fields, 4, kind), _text(fields, 5, kind), **kw)
        return InterruptionFrame(**kw)
