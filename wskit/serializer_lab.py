"""The serializer lab's logic, without widgets: round trips, pasted bytes, attaching.

:class:`Lab` is what ``wskit.widgets.SerializerLab`` shows, as plain data
a notebook or a test can read: :meth:`Lab.round_trip` encodes a frame,
decodes the message back and compares field by field; :meth:`Lab.decode_bytes`
decodes a message pasted as hex, base64 or text; :meth:`Lab.attach` puts a
fresh instance of the chosen serializer on a live transport (a stateful
serializer, such as telephony's stream id and resampler, must not be shared
between a server and a client) and collects the error events that
transport emits from then on. Passing a class again under the same name (a
cell re-run after editing it) re-attaches the new class wherever the old
one was attached.
"""

from __future__ import annotations

import base64
import binascii
import copy
import dataclasses
import inspect
import json
import traceback
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from ._text import preview as _preview
from .events import Event, EventKind
from .frames import (
    AudioFrame,
    BinaryFrame,
    Frame,
    InterruptionFrame,
    MessageFrame,
    TextFrame,
    TranscriptionFrame,
)
from .serializers import AudioFormat, decode, describe, encode, setup

__all__ = [
    "FRAME_KINDS",
    "IDENTITY_FIELDS",
    "FieldRow",
    "Lab",
    "LabError",
    "LabResult",
    "compare_frames",
    "make_frame",
    "parse_bytes",
]

#: The kinds of frame the lab builds: one per frame type wskit has.
FRAME_KINDS = (
    "text",
    "JSON message",
    "audio (sine)",
    "binary (hex)",
    "transcription",
    "interruption",
)

#: Fields that name a frame rather than carry its content: a decoded frame gets new ones.
IDENTITY_FIELDS = ("id", "name")

Stage = Literal["build", "serialize", "deserialize", "parse"]


class FieldRow(NamedTuple):
    """One field of the comparison (a tuple: ``name, original, decoded, equal = row``).

    Attributes:
        name: the field (``"type"`` first).
        original, decoded: the values, shown short (``"–"`` when absent).
        equal: the values are equal.
    """

    name: str
    original: str
    decoded: str
    equal: bool

    @property
    def identity(self) -> bool:
        """``id`` and ``name``: a decoded frame gets new ones, so they are not compared."""
        return self.name in IDENTITY_FIELDS


@dataclass(frozen=True)
class LabError:
    """What went wrong, and where.

    Attributes:
        stage: ``"build"`` (the frame), ``"parse"`` (pasted bytes),
            ``"serialize"`` or ``"deserialize"``.
        type: the exception's class name; ``message`` its text.
        traceback: the whole traceback, as text.
        exception: the exception itself.
    """

    stage: Stage
    type: str
    message: str
    traceback: str
    exception: BaseException

    def __str__(self) -> str:
        return f"{self.stage}: {self.type}: {self.message}"

    @classmethod
    def of(cls, stage: Stage, exc: BaseException) -> LabError:
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        return cls(stage, type(exc).__name__, str(exc), text, exc)


@dataclass
class LabResult:
    """One round trip (or one pasted message), as plain data.

    Attributes:
        serializer: the serializer's name.
        frame: the frame encoded (``None`` for pasted bytes).
        message: the WebSocket message: ``str`` (text) or ``bytes`` (binary).
        decoded: the frame the message decoded to.
        rows: the field-by-field comparison (for pasted bytes: the decoded
            frame's fields, ``original`` empty).
        error: what failed, if anything.
        reencoded: for pasted bytes, the decoded frame encoded again.
    """

    serializer: str
    frame: Frame | None = None
    message: str | bytes | None = None
    decoded: Frame | None = None
    rows: list[FieldRow] = field(default_factory=list)
    error: LabError | None = None
    reencoded: str | bytes | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def compared(self) -> list[FieldRow]:
        """The rows that count: every field but ``id`` and ``name``."""
        return [r for r in self.rows if not r.identity]

    @property
    def differ(self) -> list[str]:
        """Fields (identity ones left out) whose values differ."""
        return [r.name for r in self.compared if not r.equal]

    @property
    def equal(self) -> bool:
        """The decoded frame equals the original in every field that counts."""
        return self.ok and self.decoded is not None and not self.differ

    @property
    def message_size(self) -> int | None:
        """The message's size in bytes (UTF-8 for text), as on the wire."""
        if self.message is None:
            return None
        return len(self.message.encode()) if isinstance(self.message, str) else len(self.message)

    @property
    def headline(self) -> str:
        """One line that agrees with the rows: how many fields were compared, which differ."""
        if self.error is not None:
            return f"{self.error.stage} failed: {self.error.type}: {self.error.message}"
        if self.frame is None:
            if self.reencoded is None:
                return f"decoded to {self.decoded}"
            again = "the same bytes" if self.same_bytes else "different bytes"
            return f"decoded to {self.decoded}; encoded again: {again}"
        counted = len(self.compared)
        if not self.differ:
            return f"round trip: {counted} of {counted} fields equal (id and name are new on a decoded frame)"
        return f"round trip: {counted - len(self.differ)} of {counted} fields equal; {', '.join(self.differ)} differ"

    @property
    def same_bytes(self) -> bool | None:
        """For pasted bytes: whether encoding the decoded frame gives them back."""
        if self.frame is not None or self.reencoded is None:
            return None
        return self.reencoded == self.message

    def __str__(self) -> str:
        lines = [f"{self.serializer}: {self.headline}"]
        if self.message is not None:
            kind = "text" if isinstance(self.message, str) else "binary"
            lines.append(f"  message: {kind}, {self.message_size} bytes {_preview(self.message)}")
        for r in self.rows:
            mark = "·" if r.identity else "=" if r.equal else "≠"
            lines.append(f"  {mark} {r.name:<12} {r.original:<40} {r.decoded}")
        return "\n".join(lines)


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return f"{len(value)} bytes {_preview(value)}"
    text = repr(value)
    return text if len(text) <= 60 else text[:59] + "…"


def compare_frames(original: Frame | None, decoded: Frame | None) -> list[FieldRow]:
    """A :class:`FieldRow` for every field of either frame, the type first."""
    if original is None and decoded is None:
        return []
    if decoded is None:
        return [FieldRow("type", type(original).__name__, "None (skipped)", False)]
    if original is None:
        return [FieldRow("type", "", type(decoded).__name__, True)] + [
            FieldRow(f.name, "", _show(getattr(decoded, f.name)), True) for f in dataclasses.fields(decoded)
        ]
    rows = [FieldRow("type", type(original).__name__, type(decoded).__name__, type(original) is type(decoded))]
    names = [f.name for f in dataclasses.fields(original)]
    names += [f.name for f in dataclasses.fields(decoded) if f.name not in names]
    missing = object()
    for name in names:
        a, b = getattr(original, name, missing), getattr(decoded, name, missing)
        rows.append(
            FieldRow(
                name,
                "–" if a is missing else _show(a),
                "–" if b is missing else _show(b),
                a is not missing and a == b,
            )
        )
    return rows


def sine(freq: float, duration_ms: int, sample_rate: int, amplitude: float = 0.3) -> AudioFrame:
    """A mono int16 sine as an :class:`~wskit.frames.AudioFrame`."""
    import numpy as np

    n = max(1, int(sample_rate * duration_ms / 1000))
    t = np.arange(n) / sample_rate
    samples = np.round(amplitude * 32767 * np.sin(2 * np.pi * freq * t)).astype(np.int16)
    return AudioFrame.from_samples(samples, sample_rate)


def _hex(text: str) -> bytes:
    cleaned = "".join(text.replace(":", " ").replace(",", " ").split())
    if cleaned.lower().startswith("0x"):
        cleaned = cleaned[2:]
    try:
        return bytes.fromhex(cleaned)
    except ValueError:
        raise ValueError(f"invalid hex: {text[:40]!r} (two hex digits per byte, spaces allowed)") from None


def make_frame(
    kind: str, content: str = "", *, freq: float = 440.0, duration_ms: int = 20, sample_rate: int = 16_000
) -> Frame:
    """The frame the lab's editor describes: ``kind`` one of :data:`FRAME_KINDS`.

    ``content`` is the text (text, transcription), JSON (message) or hex
    (binary); audio is a sine of ``freq`` Hz.
    """
    if kind == "text":
        return TextFrame(content)
    if kind == "JSON message":
        try:
            return MessageFrame(json.loads(content))
        except json.JSONDecodeError as exc:
            raise ValueError(f"invalid JSON: {exc}") from None
    if kind == "binary (hex)":
        return BinaryFrame(_hex(content))
    if kind == "transcription":
        return TranscriptionFrame(content, user_id="user-1", timestamp="2026-01-01T00:00:00Z")
    if kind == "interruption":
        return InterruptionFrame()
    if kind == "audio (sine)":
        return sine(freq, duration_ms, sample_rate)
    raise ValueError(f"unknown frame kind {kind!r}; one of {', '.join(FRAME_KINDS)}")


Pasted = Literal["auto", "hex", "base64", "text"]


def parse_bytes(data: str | bytes, as_: Pasted = "auto") -> str | bytes:
    """A WebSocket message from what was pasted.

    ``bytes`` are taken as they are (a binary message). A string is read
    ``as_`` hex (``"81 05 48 …"``, spaces or colons allowed), base64, or
    ``"text"`` (a text message as it is); ``"auto"`` tries hex, then
    base64, and takes anything else as text.
    """
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    if as_ == "text":
        return data
    if as_ in ("hex", "auto"):
        try:
            return _hex(data)
        except ValueError:
            if as_ == "hex":
                raise
    if as_ in ("base64", "auto"):
        try:
            return base64.b64decode("".join(data.split()), validate=True)
        except (binascii.Error, ValueError):
            if as_ == "base64":
                raise ValueError(f"invalid base64: {data[:40]!r}") from None
    return data


def _fresh(serializer: Any) -> Any:
    """A new instance of the serializer's class, for one transport.

    A class is instantiated; an object is replaced by a new instance of its
    class when that takes no arguments, else by a deep copy (a copy made
    before any message, so no state is shared).
    """
    if inspect.isclass(serializer):
        return serializer()
    try:
        return type(serializer)()
    except TypeError:
        return copy.deepcopy(serializer)


# Transports each serializer name was attached to, by any lab in this process: passing a
# class again under the same name (its cell re-run after an edit) re-attaches it there.
_ATTACHED: dict[str, weakref.WeakSet[Any]] = {}


class Lab:
    """A serializer on trial: encode, decode, compare, attach. No widgets.

    Args:
        serializer: an object or a class (instantiated with no arguments).
        name: the label it goes by; default its ``name`` attribute or class name.
        max_errors: how many live error events to keep.
    """

    def __init__(self, serializer: Any, *, name: str | None = None, max_errors: int = 50) -> None:
        self.serializer: Any = None
        self.source: Any = None
        self.name = ""
        self.errors: deque[Event] = deque(maxlen=max_errors)
        self.attached: weakref.WeakSet[Any] = weakref.WeakSet()
        self._unsubscribe: dict[int, Callable[[], None]] = {}
        self.listeners: list[Callable[[Event], None]] = []
        self.use(serializer, name=name)

    # -- choosing --------------------------------------------------------------------

    def use(self, serializer: Any, *, name: str | None = None) -> list[Any]:
        """Try ``serializer`` from now on; returns the transports it was re-attached to.

        A class passed again under a name already attached somewhere (by this
        lab or another one) is attached there anew, as a fresh instance.

        Raises:
            TypeError: it has no ``serialize``/``deserialize`` methods.
        """
        obj = serializer() if inspect.isclass(serializer) else serializer
        if not callable(getattr(obj, "serialize", None)) or not callable(getattr(obj, "deserialize", None)):
            raise TypeError(f"{type(obj).__name__} has no serialize/deserialize methods: not a serializer")
        self.source, self.serializer = serializer, obj
        self.name = name or describe(obj)
        replaced = [
            t
            for t in list(_ATTACHED.get(self.name, ()))
            if getattr(t, "running", True)
            and type(t.serializer) is not type(obj)
            and describe(t.serializer) == self.name
        ]
        return [self._attach_now(t) for t in replaced]

    # -- trying ----------------------------------------------------------------------

    async def round_trip(self, frame: Frame) -> LabResult:
        """Encode ``frame``, decode the message back, compare field by field."""
        result = LabResult(self.name, frame=frame)
        try:
            result.message = await encode(self.serializer, frame)
        except Exception as exc:
            result.error = LabError.of("serialize", exc)
            return result
        try:
            result.decoded = await decode(self.serializer, result.message)
        except Exception as exc:
            result.error = LabError.of("deserialize", exc)
            return result
        result.rows = compare_frames(frame, result.decoded)
        return result

    async def decode_bytes(self, data: str | bytes, as_: Pasted = "auto") -> LabResult:
        """Decode a message pasted as hex, base64 or text (see :func:`parse_bytes`).

        The decoded frame is encoded again: ``result.same_bytes`` says whether
        that gives the pasted message back.
        """
        result = LabResult(self.name)
        try:
            result.message = parse_bytes(data, as_)
        except ValueError as exc:
            result.error = LabError.of("parse", exc)
            return result
        try:
            result.decoded = await decode(self.serializer, result.message)
        except Exception as exc:
            result.error = LabError.of("deserialize", exc)
            return result
        result.rows = compare_frames(None, result.decoded)
        if result.decoded is not None:
            try:
                result.reencoded = await encode(self.serializer, result.decoded)
            except Exception as exc:
                result.error = LabError.of("serialize", exc)
        return result

    # -- attaching -------------------------------------------------------------------

    async def attach(self, transport: Any) -> Any:
        """Put a fresh instance of the serializer on ``transport``; returns it.

        The instance gets its ``setup(audio)`` call first, with the transport's audio format. From then
        on the lab keeps the transport's error events in :attr:`errors`.
        """
        fresh = _fresh(self.source)
        await setup(fresh, AudioFormat.from_params(transport.params))
        self._swap(transport, fresh)
        return fresh

    def _attach_now(self, transport: Any) -> Any:
        """:meth:`attach` for a re-run cell (no await there): ``setup`` runs when it is sync."""
        fresh = _fresh(self.source)
        hook = getattr(fresh, "setup", None)
        if hook is not None:
            pending = hook(AudioFormat.from_params(transport.params))
            if inspect.isawaitable(pending):  # an async setup: let it run, the swap is already safe
                from . import runtime

                runtime.spawn(pending, name="wskit.lab.setup")  # type: ignore[arg-type]
        self._swap(transport, fresh)
        return transport

    def _swap(self, transport: Any, serializer: Any) -> None:
        transport.serializer = serializer
        self.attached.add(transport)
        _ATTACHED.setdefault(self.name, weakref.WeakSet()).add(transport)
        key = id(transport)
        if key not in self._unsubscribe:
            self._unsubscribe[key] = transport.events.subscribe(self._on_event)

    def _on_event(self, event: Event) -> None:
        if event.kind is EventKind.ERROR:
            self.errors.append(event)
            for listener in list(self.listeners):
                listener(event)

    def detach(self) -> None:
        """Stop collecting error events (the serializers stay where they are)."""
        for unsubscribe in self._unsubscribe.values():
            unsubscribe()
        self._unsubscribe.clear()
