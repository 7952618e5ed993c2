"""The serializer protocol: frames to WebSocket messages and back.

A serializer is any object with ``serialize`` and ``deserialize`` methods,
sync or async, so one written in a notebook cell can be tried at once. An
optional ``setup(audio)`` hook is told the :class:`AudioFormat` of the
transport's messages when it starts (not the transport itself). The
transport calls it through :func:`encode` and :func:`decode` (on its hot
path through :func:`encode_sync` and :func:`decode_sync`, which add no
coroutine layer for a sync serializer). They check what came back and turn
every failure into a :class:`SerializerError` naming the serializer and the
message, so a faulty serializer gives a clear error event instead of a dead
connection or a silent drop.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from websockets.frames import CloseCode

from .._text import preview
from ..frames import Frame

__all__ = [
    "AudioFormat",
    "FrameSerializer",
    "SerializerError",
    "decode",
    "decode_sync",
    "describe",
    "encode",
    "encode_sync",
    "loads_json",
    "setup",
]

Message = str | bytes


@runtime_checkable
class FrameSerializer(Protocol):
    """Turns frames into WebSocket messages and messages into frames.

    ``serialize`` returns ``str`` (sent as a text message), ``bytes`` (binary)
    or ``None`` (this serializer cannot encode that frame). ``deserialize``
    returns a :class:`~wskit.frames.Frame`, or ``None`` to skip the message
    on purpose. Either may be ``async def``. An optional ``setup(audio)``
    method receives the transport's :class:`AudioFormat` when it starts.
    """

    def serialize(self, frame: Frame) -> Message | Awaitable[Message | None] | None: ...

    def deserialize(self, data: Message) -> Frame | Awaitable[Frame | None] | None: ...


class SerializerError(Exception):
    """A serializer raised, or returned something it must not.

    Attributes:
        serializer: the serializer object.
        operation: ``"serialize"`` or ``"deserialize"``.
        data: the frame (serialize) or message (deserialize) it failed on.
        close_code: the close code that fits if the connection must end
            (RFC 6455 §7.4.1): 1007 (invalid payload) for a message that
            cannot be decoded, 1011 (internal error) for a frame that cannot be encoded.
    """

    def __init__(self, serializer: object, operation: str, data: object, problem: str) -> None:
        self.serializer = serializer
        self.operation = operation
        self.data = data
        self.close_code = CloseCode.INVALID_DATA if operation == "deserialize" else CloseCode.INTERNAL_ERROR
        super().__init__(f"{describe(serializer)}.{operation} {problem} (on {_what(data)})")


def describe(serializer: object) -> str:
    """The name error messages use for a serializer."""
    return getattr(serializer, "name", None) or type(serializer).__name__


def _what(data: object) -> str:
    if isinstance(data, str):
        return f"text message {preview(data)}, {len(data.encode())} bytes"
    if isinstance(data, (bytes, bytearray, memoryview)):
        return f"binary message {preview(bytes(data))}, {len(data)} bytes"
    return f"{getattr(data, 'name', type(data).__name__)}"


def _failed(exc: Exception) -> str:
    return f"raised {type(exc).__name__}: {exc}"


@dataclass(frozen=True, slots=True)
class AudioFormat:
    """What a serializer's ``setup`` is told: the audio format of a transport's messages.

    The attribute names are the transport parameters' own, so a ``setup(params)``
    written against ``params.audio_in_sample_rate`` keeps working.

    Attributes:
        audio_in_enabled: binary messages are audio (what the raw serializer's ``"auto"`` follows).
        audio_in_sample_rate, audio_in_channels: format of incoming PCM.
        add_wav_header: outgoing audio frames reach ``serialize`` as whole WAV files
            (see :func:`~wskit.serializers.frame_with_header`).
    """

    audio_in_enabled: bool = False
    audio_in_sample_rate: int = 16_000
    audio_in_channels: int = 1
    add_wav_header: bool = False

    @classmethod
    def from_params(cls, params: Any) -> AudioFormat:
        """The format a transport's parameters (any object with these attributes) describe."""
        return cls(
            audio_in_enabled=params.audio_in_enabled,
            audio_in_sample_rate=params.audio_in_sample_rate,
            audio_in_channels=params.audio_in_channels,
            add_wav_header=params.add_wav_header,
        )


async def setup(serializer: object, audio: AudioFormat) -> None:
    """Call the serializer's optional ``setup(audio)`` hook (sync or async)."""
    hook = getattr(serializer, "setup", None)
    if hook is None:
        return
    result = hook(audio)
    if inspect.isawaitable(result):
        await result


def encode_sync(serializer: FrameSerializer, frame: Frame) -> Message | Awaitable[Message]:
    """Serialize ``frame`` without a coroutine layer when the serializer is synchronous.

    The transports' hot path: a sync serializer's message comes back at once
    (checked as :func:`encode` checks it); an async serializer's result comes
    back as an awaitable that yields the checked message. So a message costs
    no ``await`` unless the serializer itself needs one.

    Raises:
        SerializerError: as :func:`encode`.
    """
    try:
        result: Any = serializer.serialize(frame)
    except Exception as exc:
        raise SerializerError(serializer, "serialize", frame, _failed(exc)) from exc
    cls = type(result)
    if cls is bytes or cls is str:
        return result  # type: ignore[no-any-return]
    if inspect.isawaitable(result):
        return _encode_later(serializer, frame, result)
    return _encoded(serializer, frame, result)


async def _encode_later(serializer: FrameSerializer, frame: Frame, pending: Awaitable[Any]) -> Message:
    try:
        result = await pending
    except Exception as exc:
        raise SerializerError(serializer, "serialize", frame, _failed(exc)) from exc
    return _encoded(serializer, frame, result)


def _encoded(serializer: FrameSerializer, frame: Frame, result: Any) -> Message:
    """Check what ``serialize`` returned."""
    if isinstance(result, (str, bytes)):
        return result
    if isinstance(result, (bytearray, memoryview)):
        return bytes(result)
    if result is None:
        problem = "returned None: it cannot encode this frame, nothing was sent"
        raise SerializerError(serializer, "serialize", frame, problem)
    raise SerializerError(serializer, "serialize", frame, f"returned {type(result).__name__}, expected str or bytes")


async def encode(serializer: FrameSerializer, frame: Frame) -> Message:
    """Serialize ``frame``; never returns anything but ``str`` or ``bytes``.

    Raises:
        SerializerError: the serializer raised, returned ``None`` (it cannot
            encode this frame, so nothing would be sent) or a wrong type.
    """
    result = encode_sync(serializer, frame)
    if isinstance(result, (str, bytes)):
        return result
    return await result


def decode_sync(serializer: FrameSerializer, data: Message) -> Frame | Awaitable[Frame | None] | None:
    """Deserialize one message without a coroutine layer when the serializer is synchronous.

    Returns the frame (or ``None``: skipped) at once from a sync serializer,
    or an awaitable that yields it from an async one; check with
    ``isinstance(result, Frame)`` before awaiting.

    Raises:
        SerializerError: as :func:`decode`.
    """
    try:
        result: Any = serializer.deserialize(data)
    except Exception as exc:
        raise SerializerError(serializer, "deserialize", data, _failed(exc)) from exc
    if result is None or isinstance(result, Frame):
        return result
    if inspect.isawaitable(result):
        return _decode_later(serializer, data, result)
    return _decoded(serializer, data, result)


async def _decode_later(serializer: FrameSerializer, data: Message, pending: Awaitable[Any]) -> Frame | None:
    try:
        result = await pending
    except Exception as exc:
        raise SerializerError(serializer, "deserialize", data, _failed(exc)) from exc
    return _decoded(serializer, data, result)


def _decoded(serializer: FrameSerializer, data: Message, result: Any) -> Frame | None:
    """Check what ``deserialize`` returned."""
    if result is None or isinstance(result, Frame):
        return result
    problem = f"returned {type(result).__name__}, expected a Frame or None"
    raise SerializerError(serializer, "deserialize", data, problem)


async def decode(serializer: FrameSerializer, data: Message) -> Frame | None:
    """Deserialize one message; ``None`` means the serializer skipped it.

    Raises:
        SerializerError: the serializer raised or returned something other
            than a frame or ``None``.
    """
    result = decode_sync(serializer, data)
    if result is None or isinstance(result, Frame):
        return result
    return await result


def loads_json(data: str | bytes) -> Any:
    """Parse JSON from a message (bytes as UTF-8); any malformed input is a ``ValueError``.

    The json module raises ``RecursionError`` rather than ``ValueError`` for
    input nested past the interpreter's limit (``[[[[…``); serializers share
    this helper so a hostile message always fails the same, expected way.
    """
    try:
        return json.loads(data)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
