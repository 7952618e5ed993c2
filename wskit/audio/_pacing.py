"""Send an audio source in real time: one frame per frame duration.

Each frame ``i`` has an absolute deadline ``start + i × frame_duration`` on
the monotonic clock, so a late wake-up delays one frame and the next is sent
on time again: error never accumulates over an hour-long stream (sleeping a
fixed 20 ms per frame would drift by the sum of every oversleep). The stats
say how well the schedule was kept.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ._sources import AudioSource

__all__ = ["AUTO_PROGRESS_SECONDS", "StreamStats", "stream"]

#: A real-time stream longer than this shows its progress unless told not to (``progress=False``).
AUTO_PROGRESS_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class StreamStats:
    """How a :func:`stream` call kept its schedule.

    Attributes:
        frames_sent: frames handed to the target.
        late_frames: frames sent more than half a frame duration after their deadline.
        send_jitter_p50_ms, send_jitter_p99_ms: how long after its deadline a
            frame was sent (median, 99th percentile), in ms; 0 without ``realtime``.
        drift_ms: wall time minus audio time at the end: how far behind the
            schedule the last frame went out (negative without ``realtime``:
            faster than real time).
        audio_seconds: audio sent; elapsed_seconds: wall time taken.
    """

    frames_sent: int
    late_frames: int
    send_jitter_p50_ms: float
    send_jitter_p99_ms: float
    drift_ms: float
    audio_seconds: float
    elapsed_seconds: float

    def __str__(self) -> str:
        return (
            f"{self.frames_sent} frames ({self.audio_seconds:.2f} s of audio in {self.elapsed_seconds:.2f} s), "
            f"{self.late_frames} late, send jitter p50 {self.send_jitter_p50_ms:.2f} ms "
            f"p99 {self.send_jitter_p99_ms:.2f} ms, drift {self.drift_ms:+.2f} ms"
        )


def _sender(target: Any) -> Callable[[Any], Any]:
    """``target.broadcast`` for a server transport, else ``target.send`` (client transport, Connection)."""
    if hasattr(target, "broadcast") and hasattr(target, "clients"):
        return target.broadcast  # type: ignore[no-any-return]
    if hasattr(target, "send"):
        return target.send  # type: ignore[no-any-return]
    raise TypeError(f"cannot stream to {type(target).__name__}: expected a transport or a Connection")


def _in_kernel() -> bool:
    """True inside a Jupyter kernel (IPython is looked for, never imported, here)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return getattr(shell, "kernel", None) is not None


def _progress_line(total: int, frame_s: float, name: str) -> Callable[[int], None]:
    """A one-line progress display on stderr: rewritten in place on a terminal, said once elsewhere."""
    err = sys.stderr
    seconds = total * frame_s
    if not err.isatty():
        print(f"wskit.audio.stream: {name}, {seconds:.1f} s in real time (progress=False hides this)", file=err)
        return lambda done: None
    last = [0.0]

    def update(done: int) -> None:
        now = time.monotonic()
        if done == total or now - last[0] >= 0.5:
            last[0] = now
            end = "\n" if done == total else ""
            print(f"\rstreaming {name}: {done * frame_s:6.1f} / {seconds:.1f} s", end=end, file=err, flush=True)

    return update


def _progress_bar(
    total: int,
    progress: bool | Callable[[int, int], None] | None,
    source: AudioSource | None = None,
    frame_ms: float = 20,
) -> Callable[[int], None] | None:
    """A callable updating a progress display, or None. ipywidgets is imported only here.

    ``progress=None`` (auto) shows one for a source longer than :data:`AUTO_PROGRESS_SECONDS`:
    the ipywidgets bar in a kernel, a line on stderr elsewhere.
    """
    if progress is None:
        if source is None or source.duration <= AUTO_PROGRESS_SECONDS:
            return None
        if not _in_kernel():
            return _progress_line(total, frame_ms / 1000, f"{source.name} ({source.duration:.1f} s)")
        progress = True
    if not progress:
        return None
    if callable(progress):
        callback = progress
        return lambda done: callback(done, total)
    import ipywidgets  # type: ignore[import-untyped]
    from IPython.display import display

    bar = ipywidgets.IntProgress(value=0, min=0, max=max(total, 1), description="streaming")
    display(bar)  # type: ignore[no-untyped-call]
    last = [0.0]

    def update(done: int) -> None:
        now = time.monotonic()
        if done == total or now - last[0] >= 0.1:  # 10 Hz is plenty for a bar
            last[0] = now
            bar.value = done

    return update


async def stream(
    source: AudioSource,
    target: Any,
    frame_ms: float = 20,
    realtime: bool = True,
    progress: bool | Callable[[int, int], None] | None = None,
) -> StreamStats:
    """Send ``source`` to ``target`` as frames of ``frame_ms``, paced in real time.

    Args:
        source: an :class:`~wskit.audio.AudioSource` (``sine``, ``chirp``, ``from_wav`` …).
        target: a client transport, a server :class:`~wskit.Connection`, or a
            server transport (every client, via ``broadcast``).
        frame_ms: frame length; must be a whole number of samples.
        realtime: pace on absolute deadlines; ``False`` sends as fast as the
            target accepts.
        progress: ``True`` shows an ipywidgets progress bar (in a notebook);
            a callable gets ``(frames_sent, total)``; ``False`` shows nothing.
            By default (``None``) a real-time stream longer than
            :data:`AUTO_PROGRESS_SECONDS` (5 s) shows the bar in a notebook
            and a progress line on stderr elsewhere, so a long stream never
            looks like a hang.

    Returns:
        :class:`StreamStats`.
    """
    send = _sender(target)
    total = -(-source.num_frames // source.frame_size(frame_ms))
    update = _progress_bar(total, progress if progress is not None or realtime else False, source, frame_ms)
    lateness = np.zeros(total)
    start = time.monotonic()
    audio_time = 0.0
    for i, frame in enumerate(source.frames(frame_ms)):  # cut as we go: an hour is not held as frames
        if realtime:
            deadline = start + audio_time
            delay = deadline - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            lateness[i] = time.monotonic() - deadline
        await send(frame)
        audio_time += frame.duration
        if update is not None:
            update(i + 1)
    end = time.monotonic()
    elapsed = end - start
    if realtime and total:
        half_frame = frame_ms / 2000
        p50, p99 = (float(v) * 1000 for v in np.percentile(lateness, [50, 99]))
        late = int(np.count_nonzero(lateness > half_frame))
        drift = float(lateness[-1]) * 1000
    else:
        p50 = p99 = 0.0
        late = 0
        drift = (elapsed - audio_time) * 1000
    return StreamStats(total, late, p50, p99, drift, audio_time, elapsed)
