"""Collect incoming audio frames into one growing numpy buffer, with timing stats.

At 50 frames/s for an hour a list of per-frame arrays would be 180,000 Python
objects; the recorder instead copies each frame into a preallocated int16
buffer that doubles when full (amortised O(1) per sample), and keeps arrival
times in a float buffer grown the same way.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .._targets import owner_of
from . import _wav as wav

if TYPE_CHECKING:
    from IPython.display import Audio

__all__ = ["FormatChange", "Recorder", "RecorderStats", "not_audio"]

Int16Array = np.ndarray[Any, np.dtype[np.int16]]


def not_audio(size: int) -> str:
    """Why a binary message of ``size`` bytes that arrived as a ``BinaryFrame`` is not audio, and the fix.

    The raw serializer makes audio of binary messages only when the
    transport's ``audio_in_enabled`` is on; recorders and scopes say so.
    """
    return (
        f"a binary message of {size} bytes is not audio: set audio_in_enabled=True on the transport's params "
        "(wskit.WebsocketServerParams(audio_in_enabled=True)), or use a serializer that makes AudioFrames"
    )


class _Growable:
    """An array that grows along axis 0 by doubling its capacity."""

    def __init__(self, dtype: Any, width: int | None = None, capacity: int = 4096) -> None:
        shape = (capacity,) if width is None else (capacity, width)
        self._data = np.empty(shape, dtype=dtype)
        self.size = 0

    def append(self, values: np.ndarray[Any, Any]) -> None:
        end = self.size + len(values)
        if end > len(self._data):
            capacity = max(end, 2 * len(self._data))
            grown = np.empty((capacity, *self._data.shape[1:]), dtype=self._data.dtype)
            grown[: self.size] = self._data[: self.size]
            self._data = grown
        self._data[self.size : end] = values
        self.size = end

    def view(self) -> np.ndarray[Any, Any]:
        return self._data[: self.size]


@dataclass(frozen=True, slots=True)
class FormatChange:
    """The audio format changed mid-stream at frame ``frame`` (a new segment started)."""

    frame: int
    time: float
    old: tuple[int, int]  # (sample_rate, num_channels)
    new: tuple[int, int]


@dataclass(frozen=True, slots=True)
class RecorderStats:
    """What a :class:`Recorder` has seen.

    Attributes:
        frames: audio frames received (all segments).
        seconds: audio received, in seconds (all segments).
        arrival_jitter_p50_ms, arrival_jitter_p99_ms: how far each
            arrival interval was from the previous frame's duration (median, p99).
        gaps: arrival pauses longer than two frame durations.
        longest_gap_ms: the longest arrival interval.
        format_changes: sample-rate or channel changes; each starts a new segment.
        rejected: binary messages that were not audio (see ``last_error``).
        last_error: why the last one was rejected, and what to change.
    """

    frames: int
    seconds: float
    arrival_jitter_p50_ms: float
    arrival_jitter_p99_ms: float
    gaps: int
    longest_gap_ms: float
    format_changes: tuple[FormatChange, ...] = field(default=())
    rejected: int = 0
    last_error: str = ""

    def __str__(self) -> str:
        text = (
            f"{self.frames} frames, {self.seconds:.2f} s, arrival jitter p50 {self.arrival_jitter_p50_ms:.2f} ms "
            f"p99 {self.arrival_jitter_p99_ms:.2f} ms, {self.gaps} gaps"
        )
        if self.format_changes:
            text += f", {len(self.format_changes)} format change(s)"
        if self.rejected:
            text += f"; {self.rejected} rejected ({self.last_error})"
        return text


class Recorder:
    """Records the audio frames a transport or connection receives.

    ``rec.attach(conn)`` records one connection, ``rec.attach(client)`` what
    a client receives, ``rec.attach(server)`` what every client sends, in
    arrival order in one buffer (meant for one client at a time: attach to
    each ``Connection`` to keep several clients apart). Frames in a
    different sample rate or channel count than the current segment start a
    new segment (listed in ``stats.format_changes``): formats are never mixed
    in one buffer. :meth:`to_numpy` returns the current segment.

    A binary message the transport did not decode as audio (the raw
    serializer with ``audio_in_enabled`` off) is not recorded: it is counted
    in ``stats.rejected``, with the reason and the fix in ``stats.last_error``.
    """

    def __init__(self) -> None:
        self._unsubscribe: Any = None
        self._connection: Any = None
        self._reset()

    def _reset(self) -> None:
        self._segments: list[tuple[int, int, _Growable]] = []
        self._arrivals = _Growable(np.float64)
        self._durations = _Growable(np.float64)
        self._changes: list[FormatChange] = []
        self._frames = 0
        self._rejected = 0
        self._last_error = ""

    # -- attaching --------------------------------------------------------------

    def attach(self, target: Any) -> Recorder:
        """Start recording incoming audio of a transport or a :class:`~wskit.Connection`."""
        self.detach()
        try:  # a Connection: listen on its transport, keep its messages
            transport, self._connection = owner_of(target)
        except TypeError:
            raise TypeError(
                f"cannot record from {type(target).__name__}: expected a transport or a Connection"
            ) from None
        self._unsubscribe = transport.events.subscribe(self._on_event)
        return self

    def detach(self) -> None:
        """Stop recording; what was recorded stays."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    @property
    def attached(self) -> bool:
        return self._unsubscribe is not None

    def _on_event(self, event: Any) -> None:
        if event.kind != "message" or event.direction != "in" or event.frame is None:
            return
        if self._connection is not None and event.connection is not self._connection:
            return
        frame = event.frame
        if not hasattr(frame, "sample_rate") or not hasattr(frame, "audio"):
            if isinstance(getattr(frame, "data", None), bytes):  # a BinaryFrame: binary that is not audio
                self._rejected += 1
                self._last_error = not_audio(event.size)
            return
        self.add(frame.audio, frame.sample_rate, frame.num_channels, event.time)

    def add(self, pcm: bytes, sample_rate: int, num_channels: int, arrival: float) -> None:
        """Append one chunk of int16 PCM that arrived at ``arrival`` (monotonic seconds)."""
        samples = np.frombuffer(pcm, dtype="<i2").reshape(-1, num_channels)
        fmt = (sample_rate, num_channels)
        if not self._segments or self._segments[-1][:2] != fmt:
            if self._segments:
                self._changes.append(FormatChange(self._frames, arrival, self._segments[-1][:2], fmt))
            self._segments.append((sample_rate, num_channels, _Growable(np.int16, num_channels)))
        self._segments[-1][2].append(samples)
        self._arrivals.append(np.array([arrival]))
        self._durations.append(np.array([len(samples) / sample_rate]))
        self._frames += 1

    # -- results ----------------------------------------------------------------

    @property
    def sample_rate(self) -> int | None:
        """Sample rate of the current segment (None before the first frame)."""
        return self._segments[-1][0] if self._segments else None

    @property
    def num_channels(self) -> int | None:
        return self._segments[-1][1] if self._segments else None

    def to_numpy(self) -> Int16Array:
        """The current segment as int16 ``(frames, channels)`` (a copy); ``(0, 1)`` before the first frame.

        Empty rather than an error, so code can poll ``len(rec.to_numpy())``;
        ``stats.rejected`` and ``stats.last_error`` say why nothing arrives.
        """
        if not self._segments:
            return np.zeros((0, 1), dtype=np.int16)
        return self._segments[-1][2].view().copy()

    def segments(self) -> list[tuple[int, int, Int16Array]]:
        """Every segment as ``(sample_rate, num_channels, samples)``."""
        return [(rate, ch, buf.view().copy()) for rate, ch, buf in self._segments]

    def _nothing_yet(self) -> ValueError:
        why = f": {self._rejected} message(s) rejected, {self._last_error}" if self._rejected else ""
        if not why and not self.attached:
            why = ": attach() the recorder to a transport or connection first"
        return ValueError(f"nothing recorded yet{why}")

    def save_wav(self, path: str | os.PathLike[str]) -> None:
        """Write the current segment as a 16-bit WAV file.

        Raises:
            ValueError: nothing was recorded (saying why when messages were rejected).
        """
        if self.sample_rate is None:
            raise self._nothing_yet()
        wav.write(path, self.to_numpy(), self.sample_rate)

    def play(self) -> Audio:
        """An ``IPython.display.Audio`` player for the current segment (IPython imported only here)."""
        from IPython.display import Audio

        if self.sample_rate is None:
            raise self._nothing_yet()
        data = wav.write(None, self.to_numpy(), self.sample_rate)
        return Audio(data=data)  # type: ignore[no-untyped-call]

    async def wait(self, frames: int, timeout: float = 5.0) -> RecorderStats:
        """Wait until at least ``frames`` audio frames were recorded; returns :attr:`stats`.

        After ``await audio.stream(source, client)``, ``await rec.wait(stats.frames_sent)``
        waits for the frames still in flight.

        Raises:
            TimeoutError: fewer arrived within ``timeout`` seconds (saying why
                when messages were rejected as not audio).
        """
        deadline = time.monotonic() + timeout
        while self._frames < frames:
            if time.monotonic() >= deadline:
                why = f"; {self._rejected} rejected: {self._last_error}" if self._rejected else ""
                raise TimeoutError(f"{self._frames} of {frames} audio frames recorded within {timeout} s{why}")
            await asyncio.sleep(0.005)
        return self.stats

    def clear(self) -> None:
        """Forget everything recorded (stays attached)."""
        self._reset()

    @property
    def stats(self) -> RecorderStats:
        arrivals, durations = self._arrivals.view(), self._durations.view()
        seconds = float(durations.sum())
        if len(arrivals) >= 2:
            intervals = np.diff(arrivals)
            expected = durations[:-1]
            jitter = np.abs(intervals - expected) * 1000
            p50, p99 = (float(v) for v in np.percentile(jitter, [50, 99]))
            gaps = int(np.count_nonzero(intervals > 2 * expected))
            longest = float(intervals.max()) * 1000
        else:
            p50 = p99 = longest = 0.0
            gaps = 0
        return RecorderStats(
            self._frames, seconds, p50, p99, gaps, longest, tuple(self._changes), self._rejected, self._last_error
        )

    def __repr__(self) -> str:
        return f"<Recorder {'attached' if self.attached else 'detached'}: {self.stats}>"
