"""A receive jitter buffer: frames in as they arrive, frames out on a steady clock.

A voice client cannot play frames when they arrive: over a real network they
come unevenly (jitter), and a player that starts each frame on arrival runs
dry whenever one is late. A jitter buffer trades delay for smoothness: it
holds frames and plays one per frame duration on a clock of its own,
``target_ms`` behind the first arrival, so a frame up to ``target_ms`` late
(relative to the first) still plays on time.

The core, :class:`JitterBuffer`'s :meth:`~JitterBuffer.push` and
:meth:`~JitterBuffer.pop`, is pure: times are arguments, nothing sleeps, so it
is tested with exact vectors. The rules:

* The clock starts when a frame arrives at an idle buffer: ticks at
  ``arrival + target_ms``, then every ``frame_ms``, on absolute deadlines
  (as :func:`wskit.audio.stream` sends).
* Each tick plays the oldest frame held. A tick with none is an
  **underrun** (a listener hears silence); the frame that comes next plays
  at the next tick, so each underrun adds one frame of delay for good: a
  buffer that is too small learns, audibly.
* The buffer holds at most ``max_ms`` of audio. Beyond that (a burst after
  a stall) it drops the oldest frames, counted in ``late_dropped``: they
  came too late to be worth playing, and dropping them brings the delay back
  under ``max_ms``.
* A silence of ``max_ms`` (no frame for that many ticks) is the end of a
  talk spurt, not a gap: those ticks are not underruns, the clock stops, and
  the next frame starts it again ``target_ms`` after its arrival.

:meth:`JitterBuffer.attach` feeds it from a transport and plays it in real
time: a timer of the running loop pops at every tick and emits what a listener hears
(frames, and silence for underruns) on :attr:`JitterBuffer.events`, so a
:class:`~wskit.audio.Recorder` or an :class:`~wskit.plot.AudioScope` attaches
to the buffer exactly as to a transport. After a stream's last frame the
player plays ``max_ms`` of silence before it takes the stream for ended.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ..events import EventBus
    from ..frames import AudioFrame

__all__ = ["JitterBuffer", "JitterBufferStats"]

FloatArray = np.ndarray[Any, np.dtype[np.float64]]


@dataclass(frozen=True, slots=True)
class JitterBufferStats:
    """What a :class:`JitterBuffer` has done.

    Attributes:
        frames_in: frames pushed; frames_out: frames played.
        underruns: ticks with nothing to play inside a talk spurt (silence heard).
        late_dropped: frames dropped because the buffer held more than ``max_ms``.
        starts: times the clock started (1 for one unbroken stream).
        depth_ms: audio held now.
        delay_ms: added delay of the last frame played (its tick minus its arrival).
        delay_p50_ms, delay_p95_ms, delay_max_ms: the same over every frame played.
    """

    frames_in: int
    frames_out: int
    underruns: int
    late_dropped: int
    starts: int
    depth_ms: float
    delay_ms: float
    delay_p50_ms: float
    delay_p95_ms: float
    delay_max_ms: float

    def __str__(self) -> str:
        return (
            f"{self.frames_in} in, {self.frames_out} played, {self.underruns} underruns, "
            f"{self.late_dropped} dropped late, depth {self.depth_ms:.0f} ms, added delay "
            f"p50 {self.delay_p50_ms:.1f} ms p95 {self.delay_p95_ms:.1f} ms max {self.delay_max_ms:.1f} ms"
        )


class JitterBuffer:
    """Frames in as they arrive, one out per ``frame_ms`` on a steady clock.

    Args:
        target_ms: how long after the first arrival playing starts: the
            delay added on purpose, and how late a frame may be and still
            play on time.
        max_ms: the most audio held (older frames are dropped beyond it),
            and the silence after which a stream counts as ended.
        frame_ms: the duration of every frame and the tick of the clock.
        history: how many depth and delay samples to keep for plots.

    Example::

        jb = JitterBuffer(target_ms=60).attach(server)   # plays what the server receives
        heard = Recorder().attach(jb)                     # what a listener hears
    """

    def __init__(self, target_ms: float = 60, max_ms: float = 200, frame_ms: float = 20, history: int = 15_000):
        for name, value in (("target_ms", target_ms), ("max_ms", max_ms), ("frame_ms", frame_ms)):
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number of milliseconds >= 0, not {value!r}")
        if frame_ms <= 0 or max_ms < target_ms + frame_ms:
            raise ValueError("frame_ms must be positive and max_ms at least target_ms + frame_ms")
        self.target_ms = float(target_ms)
        self.max_ms = float(max_ms)
        self.frame_ms = float(frame_ms)
        self._history = history
        self._unsubscribe: Callable[[], None] | None = None
        self._connection: Any = None
        self._timer: asyncio.TimerHandle | None = None  # the player's next tick
        self._events: EventBus | None = None
        self._format: tuple[int, int] | None = None
        self.reset()

    def reset(self) -> None:
        """Forget every frame and statistic (stays attached)."""
        self._queue: deque[tuple[Any, float]] = deque()  # (frame, arrival)
        self._next_tick: float | None = None
        self._silent_ticks = 0  # empty ticks since the last frame played: underruns if the spurt goes on
        self.frames_in = 0
        self.frames_out = 0
        self.underruns = 0
        self.late_dropped = 0
        self.starts = 0
        self._last_delay = 0.0
        self._delays: deque[tuple[float, float]] = deque(maxlen=self._history)  # (tick, delay s)
        self._depths: deque[tuple[float, float]] = deque(maxlen=self._history)  # (time, depth ms)

    # -- the core --------------------------------------------------------------------

    @property
    def depth_ms(self) -> float:
        """Audio held now, in ms."""
        return len(self._queue) * self.frame_ms

    @property
    def next_tick(self) -> float | None:
        """When the next :meth:`pop` is due (monotonic seconds); ``None`` while idle."""
        return self._next_tick

    @property
    def playing(self) -> bool:
        return self._next_tick is not None

    def push(self, frame: Any, arrival: float | None = None) -> None:
        """Take one frame that arrived at ``arrival`` (``time.monotonic()`` by default).

        Raises:
            ValueError: the frame is not ``frame_ms`` long (the clock ticks once per frame).
        """
        duration = getattr(frame, "duration", None)
        if duration is None or abs(duration * 1000 - self.frame_ms) > 0.05:
            shown = "no duration" if duration is None else f"{duration * 1000:g} ms"
            raise ValueError(
                f"a JitterBuffer(frame_ms={self.frame_ms:g}) takes {self.frame_ms:g} ms frames, not {shown}"
            )
        when = time.monotonic() if arrival is None else arrival
        self.frames_in += 1
        self._queue.append((frame, when))
        if self._next_tick is None:
            self._next_tick = when + self.target_ms / 1000
            self._silent_ticks = 0
            self.starts += 1
        limit = int(self.max_ms // self.frame_ms)
        while len(self._queue) > limit:
            self._queue.popleft()
            self.late_dropped += 1
        self._depths.append((when, self.depth_ms))

    def pop(self, now: float | None = None) -> Any | None:
        """Play the tick due at :attr:`next_tick`: the oldest frame held, or ``None`` (silence).

        Args:
            now: the time it is called (``time.monotonic()`` by default); it
                must not be before the tick.

        Raises:
            RuntimeError: idle (nothing to play) or called before the tick is due.
        """
        tick = self._next_tick
        if tick is None:
            raise RuntimeError("the jitter buffer is idle: no tick is due until a frame arrives")
        if now is not None and now < tick - 1e-9:
            raise RuntimeError(f"the next tick is due at {tick:.6f}, not yet at {now:.6f}")
        frame: Any | None = None
        if self._queue:
            frame, arrival = self._queue.popleft()
            self.underruns += self._silent_ticks  # the spurt went on: those silent ticks were gaps
            self._silent_ticks = 0
            self.frames_out += 1
            self._last_delay = tick - arrival
            self._delays.append((tick, self._last_delay))
            self._next_tick = tick + self.frame_ms / 1000
        else:
            self._silent_ticks += 1
            if self._silent_ticks * self.frame_ms >= self.max_ms:
                self._silent_ticks = 0  # a silence that long ends the spurt: not underruns
                self._next_tick = None
            else:
                self._next_tick = tick + self.frame_ms / 1000
        self._depths.append((tick, self.depth_ms))
        return frame

    @property
    def stats(self) -> JitterBufferStats:
        delays = np.array([d for _, d in self._delays]) * 1000
        if delays.size:
            p50, p95 = (float(v) for v in np.percentile(delays, [50, 95]))
            worst = float(delays.max())
        else:
            p50 = p95 = worst = 0.0
        return JitterBufferStats(
            frames_in=self.frames_in,
            frames_out=self.frames_out,
            underruns=self.underruns,
            late_dropped=self.late_dropped,
            starts=self.starts,
            depth_ms=self.depth_ms,
            delay_ms=self._last_delay * 1000,
            delay_p50_ms=p50,
            delay_p95_ms=p95,
            delay_max_ms=worst,
        )

    def depth_history(self) -> tuple[FloatArray, FloatArray]:
        """``(times, depth_ms)``: the depth after every push and every tick (the last ``history``)."""
        if not self._depths:
            return np.zeros(0), np.zeros(0)
        times, depths = zip(*self._depths, strict=True)
        return np.array(times), np.array(depths)

    def delay_history(self) -> tuple[FloatArray, FloatArray]:
        """``(tick_times, delay_ms)``: the added delay of every frame played (the last ``history``)."""
        if not self._delays:
            return np.zeros(0), np.zeros(0)
        ticks, delays = zip(*self._delays, strict=True)
        return np.array(ticks), np.array(delays) * 1000

    # -- the player ------------------------------------------------------------------

    @property
    def events(self) -> EventBus:
        """What a listener hears, as incoming ``MESSAGE`` events (frames and silence), at play time."""
        if self._events is None:
            from ..events import EventBus

            self._events = EventBus()
        return self._events

    def attach(self, target: Any) -> JitterBuffer:
        """Buffer and play the audio frames a transport (or one ``Connection``) receives.

        Returns:
            The buffer, so ``JitterBuffer().attach(server)`` can be kept in one line.
        """
        self.detach()
        owner = getattr(target, "transport", None)  # a Connection: its transport's bus, its own frames
        bus = getattr(owner if owner is not None else target, "events", None)
        if bus is None:
            raise TypeError(f"cannot attach a JitterBuffer to {type(target).__name__}: not a transport or connection")
        self._connection = target if owner is not None else None
        self._unsubscribe = bus.subscribe(self._on_event)
        return self

    def detach(self) -> None:
        """Stop listening and playing (what was counted stays)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _on_event(self, event: Any) -> None:
        if event.kind != "message" or event.direction != "in" or event.frame is None:
            return
        if self._connection is not None and event.connection is not self._connection:
            return
        frame = event.frame
        if not hasattr(frame, "sample_rate") or not hasattr(frame, "audio"):
            return
        self.feed(frame, event.time)

    def feed(self, frame: AudioFrame, arrival: float | None = None) -> None:
        """:meth:`push` a frame and make sure the player runs (needs a running loop)."""
        self._format = (frame.sample_rate, frame.num_channels)
        self.push(frame, arrival)
        if self._timer is None:
            self._schedule(asyncio.get_running_loop())

    def _schedule(self, loop: asyncio.AbstractEventLoop) -> None:
        """Wake at the next tick (an absolute deadline on ``time.monotonic()``), or stop when idle.

        A timer rather than a task: nothing to hold, report or stop beyond
        :meth:`detach`, and it ends by itself once the buffer is idle.
        """
        tick = self._next_tick
        if tick is None:
            self._timer = None
            return
        self._timer = loop.call_later(max(0.0, tick - time.monotonic()), self._play, loop)

    def _play(self, loop: asyncio.AbstractEventLoop) -> None:
        """Pop every tick that is due (more than one if the loop was late), then wait for the next."""
        self._timer = None  # so the next feed restarts the player even if this tick fails
        now = time.monotonic()
        while self._next_tick is not None and self._next_tick <= now:
            frame = self.pop(now)
            self._emit(frame if frame is not None else self._silence())
        self._schedule(loop)

    def _silence(self) -> AudioFrame:
        from ..frames import AudioFrame

        rate, channels = self._format or (16_000, 1)
        samples = round(rate * self.frame_ms / 1000)
        return AudioFrame(bytes(2 * channels * samples), rate, channels, name="silence")

    def _emit(self, frame: AudioFrame) -> None:
        bus = self._events
        if bus is None or not bus.active:
            return
        from ..events import Direction, Event, EventKind

        bus.emit(Event(EventKind.MESSAGE, self, direction=Direction.IN, frame=frame, size=len(frame.audio)))

    def __repr__(self) -> str:
        state = "playing" if self.playing else "idle"
        return f"<JitterBuffer target {self.target_ms:g} ms, max {self.max_ms:g} ms, {state}: {self.stats}>"
