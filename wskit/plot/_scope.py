"""AudioScope: live waveform, level meter and spectrogram of streaming audio.

Data and drawing are decoupled, because drawing is what cannot keep up
(GROUND.md: a full redraw per 20 ms frame falls behind real time):

* :meth:`AudioScope.push` — called from the transport's event bus for every
  audio frame — only copies the samples into a ring buffer and updates
  counters. It never draws and never drops a frame.
* A throttled render task (at most ``fps`` renders a second, 20 by default)
  draws the *latest* state into an offscreen Agg figure by blitting and puts
  JPEG bytes into an ``ipywidgets.Image``. Frames that arrive between two
  renders are all in the picture; only intermediate pictures are skipped.

With no running event loop (a plain script), :meth:`AudioScope.push`
renders inline instead, at most ``fps`` times a second, and
:meth:`AudioScope.render` draws on demand. Call ``push`` from the loop's
thread (the event bus does): the scope is not thread-safe.
"""

from __future__ import annotations

import asyncio
import math
import statistics
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

import numpy.typing as npt

from .. import runtime
from .._targets import owner_of
from ..audio import not_audio
from ..events import Direction, Event, EventKind
from ..frames import AudioFrame, BinaryFrame
from ._signal import (
    FloatArray,
    GapDetector,
    RateMeter,
    Ring,
    ScopeStats,
    Spectrogram,
    levels,
    peak_frequency,
    to_float,
)

if TYPE_CHECKING:
    import ipywidgets  # type: ignore[import-untyped]
    from matplotlib.figure import Figure

    from ._draw import ScopeFigure

__all__ = ["AudioScope"]


def _ipympl_active() -> bool:
    """True when matplotlib's backend is ipympl (``%matplotlib widget``), without resolving it."""
    import sys

    matplotlib = sys.modules.get("matplotlib")
    if matplotlib is None:
        return False
    backend = str(dict.__getitem__(matplotlib.rcParams, "backend")).lower()
    return "ipympl" in backend or backend == "widget"


def _db(value: float) -> str:
    return "-inf" if value == -math.inf else f"{value:.1f}"


class AudioScope:
    """A live view of an audio stream: waveform, RMS/peak meter, spectrogram.

    Displaying the scope in a notebook shows its widget (an ``ipywidgets``
    box holding the image and a line of numbers).

    Args:
        sample_rate: the stream's rate; frames at another rate are rejected.
        window_s: seconds of audio on screen (and in the level meter).
        channels: the stream's channel count; stereo draws one trace per channel.
        fps: most renders per second.
        spectrogram: draw the scrolling spectrogram (about 0.3 ms more per render).
        n_fft: FFT size of the spectrogram and of ``peak_hz`` (bin width
            ``sample_rate / n_fft``).
        image_format: ``"jpeg"`` (cheaper) or ``"png"``.
        size: image size in pixels.
        gap_tolerance: lateness (s) beyond which a frame counts as a gap.
        mode: ``"image"`` draws offscreen and shows JPEG/PNG in an
            ``ipywidgets.Image`` (works everywhere, headless too);
            ``"ipympl"`` shows an interactive ipympl canvas instead (needs
            ipympl; ipympl draws the whole figure on each request, and
            nothing headless); ``"auto"`` picks ipympl when it is
            matplotlib's backend (``%matplotlib widget``), else image.

    Example::

        scope = AudioScope(sample_rate=16_000, window_s=2.0)
        scope.attach(server)   # every audio frame the server receives
        scope                  # shows it
    """

    def __init__(
        self,
        sample_rate: int = 16_000,
        window_s: float = 2.0,
        channels: int = 1,
        *,
        fps: float = 20.0,
        spectrogram: bool = True,
        n_fft: int = 512,
        image_format: Literal["jpeg", "png"] = "jpeg",
        size: tuple[int, int] = (640, 360),
        gap_tolerance: float = 0.05,
        mode: Literal["auto", "image", "ipympl"] = "auto",
    ) -> None:
        if sample_rate <= 0 or channels <= 0 or window_s <= 0 or fps <= 0 or n_fft < 16:
            raise ValueError("sample_rate, channels, window_s and fps must be positive and n_fft at least 16")
        if image_format not in ("jpeg", "png"):
            raise ValueError(f"image_format must be 'jpeg' or 'png', not {image_format!r}")
        if mode not in ("auto", "image", "ipympl"):
            raise ValueError(f"mode must be 'auto', 'image' or 'ipympl', not {mode!r}")
        self.mode: Literal["image", "ipympl"] = ("ipympl" if _ipympl_active() else "image") if mode == "auto" else mode
        self.sample_rate = sample_rate
        self.window_s = window_s
        self.channels = channels
        self.fps = fps
        self.n_fft = n_fft
        self.image_format = image_format
        self.size = size
        self._ring = Ring(max(1, round(window_s * sample_rate)), channels)
        columns = 100
        self._spectrogram = Spectrogram(n_fft, max(1, self._ring.capacity // columns), columns) if spectrogram else None
        self._gaps = GapDetector(gap_tolerance)
        self._rate = RateMeter()
        self.frames = 0
        self.rejected = 0
        self.renders = 0
        self.last_error = ""
        self.image: bytes = b""  #: the last rendered picture
        self._dirty = False
        self._last_render = -math.inf
        self._task: asyncio.Task[None] | None = None
        self._figure: ScopeFigure | None = None
        self._widget: ipywidgets.VBox | None = None
        self._image_widget: ipywidgets.Image | None = None
        self._label: ipywidgets.HTML | None = None
        self._unsubscribers: list[Callable[[], None]] = []
        self._render_times: deque[float] = deque(maxlen=100)

    # -- data in ------------------------------------------------------------------

    def push(self, frame: AudioFrame | npt.ArrayLike, at: float | None = None) -> bool:
        """Accept one frame of audio; return False if it was rejected.

        Args:
            frame: an :class:`~wskit.AudioFrame`, or samples at the scope's
                rate (int16 or float, 1-D or ``(n, channels)``).
            at: its arrival time (``time.monotonic()`` scale); now by default.
                Gap and rate figures use it.

        A frame whose sample rate or channel count differs from the scope's
        is counted in ``stats.rejected`` and described in ``stats.last_error``,
        never mixed into the picture.
        """
        if isinstance(frame, AudioFrame):
            if frame.sample_rate != self.sample_rate or frame.num_channels != self.channels:
                return self._reject(
                    f"frame {frame.name} is {frame.num_channels} ch @ {frame.sample_rate} Hz; "
                    f"this scope shows {self.channels} ch @ {self.sample_rate} Hz"
                )
            samples = to_float(frame.samples)
        else:
            try:
                samples = to_float(frame)
            except (TypeError, ValueError) as exc:
                return self._reject(str(exc))
            if samples.shape[1] != self.channels:
                return self._reject(f"samples have {samples.shape[1]} channel(s); this scope shows {self.channels}")
        when = time.monotonic() if at is None else at
        self._ring.write(samples)
        self.frames += 1
        self._gaps.arrive(when, samples.shape[0] / self.sample_rate)
        self._rate.arrive(when)
        self._changed()
        return True

    def _reject(self, why: str) -> bool:
        self.rejected += 1
        self.last_error = why
        self._changed()
        return False

    def attach(self, target: Any, direction: Direction | Literal["in", "out"] = "in") -> AudioScope:
        """Show the audio frames a transport (or one connection) receives or sends.

        Args:
            target: a server or client transport, or a ``Connection`` (only its frames).
            direction: ``"in"`` for frames received, ``"out"`` for frames sent.

        Text messages are ignored; a binary message that was not decoded as
        audio (the transport's ``audio_in_enabled`` is off) is counted as
        rejected, with the reason in ``stats.last_error``.

        Returns:
            The scope, so ``AudioScope().attach(server)`` displays it.
        """
        wanted = Direction(direction)
        try:  # a Connection: listen on its transport's bus, keep its own events
            owner, connection = owner_of(target)
        except TypeError:
            raise TypeError(f"cannot attach to {target!r}: not a transport or a connection") from None
        bus = owner.events

        def on_event(event: Event) -> None:
            if (
                event.kind is not EventKind.MESSAGE
                or event.direction is not wanted
                or (connection is not None and event.connection is not connection)
            ):
                return
            if isinstance(event.frame, AudioFrame):
                self.push(event.frame, at=event.time)
            elif isinstance(event.frame, BinaryFrame):  # audio the serializer did not decode as audio
                self._reject(not_audio(event.size))

        self._ensure_figure()  # build the figure now (~0.2 s once), not in the middle of the stream
        self._unsubscribers.append(bus.subscribe(on_event))
        return self

    def detach(self) -> None:
        """Stop listening to every transport, stop the render task and draw the final state."""
        while self._unsubscribers:
            self._unsubscribers.pop()()
        busy = self._task is not None and not self._task.done()
        if self._task is not None and busy:
            self._task.cancel()  # it may be mid-render: draw the final state here instead
        self._task = None
        if busy or self._dirty:
            self.render()

    # -- numbers ------------------------------------------------------------------

    @property
    def stats(self) -> ScopeStats:
        """Counters and levels now (levels over the visible window)."""
        return self._stats(self._ring.last())

    def _stats(self, visible: FloatArray) -> ScopeStats:
        rms, peak = levels(visible)
        mono = visible[-self.n_fft :].mean(axis=1) if visible.size else visible[:, 0]
        return ScopeStats(
            frames=self.frames,
            rejected=self.rejected,
            seconds=self._ring.written / self.sample_rate,
            rms_dbfs=rms,
            peak_dbfs=peak,
            peak_hz=peak_frequency(mono, self.sample_rate, self.n_fft),
            gaps=self._gaps.count,
            gap_seconds=self._gaps.seconds,
            rate=self._rate.rate(),
            renders=self.renders,
            render_ms=statistics.median(self._render_times) * 1000 if self._render_times else 0.0,
            last_error=self.last_error,
        )

    # -- drawing ------------------------------------------------------------------

    def _changed(self) -> None:
        self._dirty = True
        if self._task is not None and not self._task.done():
            return  # the render task will pick the change up
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # no loop: render inline, throttled
            if time.monotonic() - self._last_render >= 1.0 / self.fps:
                self.render()
            return
        self._task = runtime.spawn(self._render_loop(), name="AudioScope render")

    async def _render_loop(self) -> None:
        """Render while there is something new, at most ``fps`` times a second; then end.

        The drawing runs on the loop in two steps (spectrogram columns, then
        the blit: about 1-2 ms in all); the JPEG encoding of a copy of the
        pixels runs in a worker thread, so the loop is free meanwhile.
        """
        from ._draw import encode_rgba

        while self._dirty:
            wait = self._last_render + 1.0 / self.fps - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if self.mode == "ipympl":
                self.render()
                continue
            started = time.perf_counter()
            if self._spectrogram is not None:  # its FFTs first, then let the loop breathe
                self._spectrogram.update(self._ring)
                busy = time.perf_counter() - started
                await asyncio.sleep(0)
                started = time.perf_counter()
            else:
                busy = 0.0
            figure, stats = self._begin_render()
            pixels = figure.copy_pixels()
            busy += time.perf_counter() - started
            image = await asyncio.to_thread(encode_rgba, pixels, figure.pixel_size, self.image_format)
            started = time.perf_counter()
            self._publish(image, stats)
            self._render_times.append(busy + time.perf_counter() - started)

    def _ensure_figure(self) -> ScopeFigure:
        if self._figure is None:
            from ._draw import ScopeFigure

            shape = self._spectrogram.image.shape if self._spectrogram is not None else None
            self._figure = ScopeFigure(
                self.sample_rate, self.window_s, self.channels, shape, self.size, interactive=self.mode == "ipympl"
            )
        return self._figure

    def _status(self, stats: ScopeStats) -> str:
        return f"{stats.frames} frames · {stats.seconds:.1f} s · {stats.rate:.0f} frames/s · {stats.gaps} gaps"

    def _update(self, figure: ScopeFigure) -> ScopeStats:
        """Bring the spectrogram up to date and put the current state on ``figure``."""
        image = None
        if self._spectrogram is not None:
            self._spectrogram.update(self._ring)
            image = self._spectrogram.image
        visible = self._ring.last()
        stats = self._stats(visible)
        figure.update(visible, image, stats.rms_dbfs, stats.peak_dbfs, self._status(stats))
        figure.render()
        return stats

    def _begin_render(self) -> tuple[ScopeFigure, ScopeStats]:
        self._dirty = False
        self._last_render = time.monotonic()  # renders start on a 1/fps grid, whatever they cost
        figure = self._ensure_figure()
        return figure, self._update(figure)

    def _publish(self, image: bytes, stats: ScopeStats) -> None:
        self.image = image
        self.renders += 1
        if self._image_widget is not None:
            self._image_widget.value = image
        if self._label is not None:
            self._label.value = self._label_html(stats)

    def render(self) -> bytes:
        """Draw the current state now and return the image bytes (also shown in the widget).

        In ipympl mode the canvas itself is the view: this asks ipympl to
        redraw and returns ``b""``.
        """
        from ._draw import encode

        started = time.perf_counter()
        figure, stats = self._begin_render()
        self._publish(encode(figure.figure, self.image_format) if self.mode == "image" else b"", stats)
        self._render_times.append(time.perf_counter() - started)
        return self.image

    def _label_html(self, stats: ScopeStats | None = None) -> str:
        s = stats or self.stats
        peak_hz = "–" if s.peak_hz is None else f"{s.peak_hz:.0f} Hz"
        parts = [
            f"<b>{s.frames}</b> frames",
            f"{s.seconds:.2f} s",
            f"RMS {_db(s.rms_dbfs)} dBFS",
            f"peak {_db(s.peak_dbfs)} dBFS",
            f"strongest {peak_hz}",
            f"{s.rate:.1f} frames/s",
            f"{s.gaps} gaps ({s.gap_seconds * 1000:.0f} ms)",
            f"{s.renders} renders",
        ]
        if s.rejected:
            parts.append(f"<span style='color:#b00'>{s.rejected} rejected: {s.last_error}</span>")
        return "<code>" + " · ".join(parts) + "</code>"

    def snapshot(self) -> Figure:
        """A new matplotlib ``Figure`` of the current view (drawn in full, for saving or display)."""
        from ._draw import ScopeFigure, displayable

        shape = self._spectrogram.image.shape if self._spectrogram is not None else None
        figure = ScopeFigure(self.sample_rate, self.window_s, self.channels, shape, self.size, animated=False)
        self._update(figure)
        return displayable(figure.figure)

    # -- display ------------------------------------------------------------------

    @property
    def widget(self) -> ipywidgets.VBox:
        """The ipywidgets box that shows the scope (created on first use)."""
        if self._widget is None:
            import ipywidgets

            width, height = self.size
            self._label = ipywidgets.HTML()
            if self.mode == "ipympl":
                view = self._ensure_figure().canvas
            else:
                view = self._image_widget = ipywidgets.Image(format=self.image_format, width=width, height=height)
            self._widget = ipywidgets.VBox([view, self._label])
            self.render()
        return self._widget

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        return (
            f"<AudioScope {self.channels} ch @ {self.sample_rate} Hz, {self.window_s} s window, "
            f"{self.frames} frames, {self.renders} renders>"
        )
