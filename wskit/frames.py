"""The frame types every part of wskit passes around.

A *frame* is one application-level unit: a text, a JSON message, a chunk of
PCM audio. Serializers turn frames into WebSocket messages and back; the wire
frames of RFC 6455 §5 are a different thing and live in ``wskit.wire``.

Frames are small slotted dataclasses. Each carries an ``id`` (unique in the
process), a ``name`` (``"TextFrame#7"``) and an optional presentation
timestamp ``pts`` in nanoseconds, like Pipecat's frames, so a frame can be
followed through logs and plots. Treat them as values: one frame reaches
every observer, so change a copy (``dataclasses.replace``), not the frame.
They are not frozen because a frozen dataclass costs twice as much to
build, and a frame is built for every message; for the same reason the
default ``name`` is formatted when first read, not when the frame is built.
"""

from __future__ import annotations

import itertools
from dataclasses import KW_ONLY, dataclass, field
from typing import TYPE_CHECKING, Any

from ._text import preview

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "AudioFrame",
    "BinaryFrame",
    "Frame",
    "InterruptionFrame",
    "MessageFrame",
    "TextFrame",
    "TranscriptionFrame",
]

_ids = itertools.count(1)


def _is_int(value: object) -> bool:
    """An ``int`` that is not a ``bool`` (the exact type checked first: it is the common case)."""
    return type(value) is int or (isinstance(value, int) and not isinstance(value, bool))


@dataclass(slots=True)
class Frame:
    """Base of all frames: identity and timing shared by every kind."""

    _: KW_ONLY
    id: int = field(default_factory=_ids.__next__)
    name: str = ""
    pts: int | None = None

    def __post_init__(self) -> None:
        """Validation hook for subclasses (the default ``name`` needs no work here)."""


def _default_name(cls: type[Frame]) -> None:
    """Make ``cls.name`` read ``"<Class>#<id>"`` while no name was given.

    Formatting that string costs about a third of building a frame, and most
    frames are never named in a log. The dataclass field (and its slot) stays
    as it is; a property in front of the slot fills the default in on read,
    so ``frame.name``, ``repr``, ``==`` and ``dataclasses.replace`` all see it.
    """
    slot = cls.__dict__["name"]

    def name(self: Frame) -> str:
        given: str = slot.__get__(self)
        return given or f"{type(self).__name__}#{self.id}"

    cls.name = property(name, slot.__set__, doc="The frame's name, ``<Class>#<id>`` by default.")  # type: ignore[assignment,misc]


_default_name(Frame)


@dataclass(slots=True)
class TextFrame(Frame):
    """A piece of text (a WebSocket text message in the raw serializer)."""

    text: str

    def __post_init__(self) -> None:
        if type(self.text) is not str and not isinstance(self.text, str):
            raise TypeError(f"TextFrame.text must be str, not {type(self.text).__name__}")

    def __str__(self) -> str:
        return f"TEXT {preview(self.text)} [{len(self.text.encode('utf-8', 'surrogatepass'))} bytes]"


@dataclass(slots=True)
class BinaryFrame(Frame):
    """Opaque bytes (a WebSocket binary message in the raw serializer)."""

    data: bytes

    def __post_init__(self) -> None:
        if type(self.data) is bytes:
            return
        if isinstance(self.data, (bytearray, memoryview)):
            self.data = bytes(self.data)
        elif not isinstance(self.data, bytes):
            raise TypeError(f"BinaryFrame.data must be bytes, not {type(self.data).__name__}")

    def __str__(self) -> str:
        return f"BINARY {preview(self.data)} [{len(self.data)} bytes]"


@dataclass(slots=True)
class MessageFrame(Frame):
    """A JSON-able value (dict, list, str, number, bool or None)."""

    data: Any

    def __str__(self) -> str:
        return f"MESSAGE {preview(repr(self.data))}"


@dataclass(slots=True)
class AudioFrame(Frame):
    """A chunk of PCM audio: little-endian int16, channels interleaved.

    ``audio`` holds the PCM bytes; ``samples`` is a zero-copy numpy view of
    them with shape ``(num_frames, num_channels)``. A frame is only PCM: WAV
    headers are the wire's business (``wskit.serializers.audio_frame`` strips
    one from received audio, ``wskit.serializers.frame_with_header`` adds one).
    """

    audio: bytes
    sample_rate: int
    num_channels: int = 1

    def __post_init__(self) -> None:
        if type(self.audio) is bytes:
            pass
        elif isinstance(self.audio, (bytearray, memoryview)):
            self.audio = bytes(self.audio)
        elif not isinstance(self.audio, bytes):
            raise TypeError(f"AudioFrame.audio must be bytes, not {type(self.audio).__name__}")
        if not _is_int(self.sample_rate) or self.sample_rate <= 0:
            raise ValueError(f"AudioFrame.sample_rate must be a positive int, got {self.sample_rate!r}")
        if not _is_int(self.num_channels) or self.num_channels <= 0:
            raise ValueError(f"AudioFrame.num_channels must be a positive int, got {self.num_channels!r}")
        block = 2 * self.num_channels
        if len(self.audio) % block:
            raise ValueError(
                f"AudioFrame.audio has {len(self.audio)} bytes, not a whole number of "
                f"16-bit samples for {self.num_channels} channel(s) ({block} bytes each)"
            )

    @classmethod
    def from_samples(
        cls, samples: npt.ArrayLike, sample_rate: int, num_channels: int | None = None, **kw: Any
    ) -> AudioFrame:
        """Build a frame from an int16 array: 1-D mono or ``(frames, channels)``."""
        import numpy as np

        array = np.asarray(samples)
        if array.dtype.kind != "i" or array.dtype.itemsize != 2:
            raise TypeError(f"samples must be int16, not {array.dtype}; convert them first")
        if array.ndim not in (1, 2):
            raise ValueError(f"samples must be 1-D (mono) or 2-D (frames, channels), not {array.ndim}-D")
        shape_channels = array.shape[1] if array.ndim == 2 else 1
        if num_channels is not None and array.ndim == 2 and num_channels != shape_channels:
            raise ValueError(f"samples have {shape_channels} channels, num_channels says {num_channels}")
        channels = num_channels or shape_channels
        return cls(array.astype("<i2", copy=False).tobytes(), sample_rate, channels, **kw)

    @property
    def samples(self) -> np.ndarray[Any, np.dtype[np.int16]]:
        """Read-only int16 view of ``audio``, shape ``(num_frames, num_channels)``."""
        import numpy as np

        return np.frombuffer(self.audio, dtype="<i2").reshape(-1, self.num_channels)

    @property
    def num_frames(self) -> int:
        """Samples per channel (Pipecat's name for it)."""
        return len(self.audio) // (2 * self.num_channels)

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.num_frames / self.sample_rate

    def __str__(self) -> str:
        return (
            f"AUDIO {self.num_frames} frames × {self.num_channels} ch @ {self.sample_rate} Hz "
            f"({self.duration * 1000:.1f} ms) [{len(self.audio)} bytes]"
        )


@dataclass(slots=True)
class TranscriptionFrame(Frame):
    """Text recognised from speech, with who said it and when."""

    text: str
    user_id: str = ""
    timestamp: str = ""

    def __str__(self) -> str:
        return f"TRANSCRIPTION {preview(self.text)} user={self.user_id!r}"


@dataclass(slots=True)
class InterruptionFrame(Frame):
    """The user started talking: stop what you are playing."""

    def __str__(self) -> str:
        return "INTERRUPTION"
