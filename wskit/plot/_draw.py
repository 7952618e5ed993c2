"""The scope's picture: an offscreen Agg figure redrawn by blitting.

A full ``draw()`` of a small figure costs about 10 ms, too much to repeat 20
times a second beside a live stream (see GROUND.md). So the static parts
(axes, ticks, labels) are drawn once and saved; each frame restores them and
draws only the animated artists — the waveform envelopes, the level bars
and the spectrogram image — then encodes the buffer as JPEG or
PNG. No pyplot: the figure belongs to the scope, not to a global backend.
"""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING, Any, Literal, cast

import numpy as np

from ._signal import FloatArray, envelope

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.figure import Figure

__all__ = ["METER_FLOOR_DB", "ScopeFigure", "displayable", "encode", "encode_rgba"]

#: Bottom of the level meter and of the spectrogram colour scale, in dBFS.
METER_FLOOR_DB = -60.0
SPECTRUM_RANGE_DB = (-100.0, 0.0)
_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd")


def encode(figure: Figure, image_format: Literal["jpeg", "png"] = "jpeg", quality: int = 80) -> bytes:
    """The figure's current Agg buffer as JPEG or PNG bytes (no redraw)."""
    canvas: Any = figure.canvas
    return encode_rgba(canvas.buffer_rgba(), canvas.get_width_height(physical=True), image_format, quality)


def encode_rgba(
    pixels: Any, size: tuple[int, int], image_format: Literal["jpeg", "png"] = "jpeg", quality: int = 80
) -> bytes:
    """RGBA pixels (a bytes-like of ``width * height * 4``) as JPEG or PNG.

    Pillow releases the GIL while it converts and compresses, so this can run
    in a worker thread while the event loop goes on.
    """
    from PIL import Image  # matplotlib depends on Pillow

    image = Image.frombuffer("RGBA", size, pixels, "raw", "RGBA", 0, 1)
    out = io.BytesIO()
    if image_format == "jpeg":
        image.convert("RGB").save(out, format="JPEG", quality=quality)
    else:
        image.save(out, format="PNG", compress_level=1)
    return out.getvalue()


def displayable(figure: Figure) -> Figure:
    """Give a pyplot-free figure a ``_repr_png_`` so a notebook shows it as an image.

    IPython shows a ``Figure`` as a picture only once the inline backend has
    been imported (by pyplot); our figures are made without pyplot, so each
    one carries its own PNG rendering instead of printing ``<Figure ...>``.
    """

    def png() -> bytes:
        out = io.BytesIO()
        figure.savefig(out, format="png")
        return out.getvalue()

    figure._repr_png_ = png  # type: ignore[attr-defined]
    return figure


class ScopeFigure:
    """Waveform, level meter and (optionally) spectrogram on one Agg figure.

    Args:
        sample_rate, window_s, channels: what the scope shows.
        spectrogram_shape: ``(bins, columns)`` of the spectrogram image, or
            ``None`` for a waveform-only figure.
        size: figure size in pixels (at 100 dpi).
        animated: True for the live figure (blitting); False for a snapshot,
            which is drawn in full like any figure.
        interactive: put the figure on an ipympl canvas (a widget) and let
            ipympl draw it on request, instead of an Agg canvas (needs ipympl).
    """

    def __init__(
        self,
        sample_rate: int,
        window_s: float,
        channels: int,
        spectrogram_shape: tuple[int, int] | None,
        size: tuple[int, int] = (640, 360),
        animated: bool = True,
        interactive: bool = False,
    ) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.patches import Polygon

        self.animated = animated
        self.sample_rate = sample_rate
        self.window_s = window_s
        self.columns = max(50, size[0] - 120)  # envelope points per channel: about one per pixel
        self.figure = Figure(figsize=(size[0] / 100, size[1] / 100), dpi=100, layout="constrained")
        self.interactive = interactive
        if interactive:  # ipympl: the canvas is a widget; the front end asks for the pixels
            import importlib

            ipympl = importlib.import_module("ipympl.backend_nbagg")  # optional: not a dependency
            self.canvas: Any = ipympl.Canvas(self.figure)
            self.manager = ipympl.FigureManager(self.canvas, 0)  # not registered with pyplot
            animated = self.animated = False
        else:
            self.canvas = cast(Any, FigureCanvasAgg(self.figure))  # its blitting methods are untyped
        rows = 2 if spectrogram_shape else 1
        grid = self.figure.add_gridspec(rows, 2, width_ratios=(14, 1))
        self.wave_ax = self.figure.add_subplot(grid[0, 0])
        self.meter_ax = self.figure.add_subplot(grid[:, 1])

        ax = self.wave_ax
        ax.set_xlim(-window_s, 0)
        ax.set_ylim(-1.0, 1.0)
        ax.set_ylabel("amplitude")
        ax.grid(True, alpha=0.3)
        if not spectrogram_shape:
            ax.set_xlabel("seconds")
        # one filled min/max envelope per channel: a zig-zag line through the same points
        # costs ten times more to rasterise (every segment crosses the whole height)
        self.traces = [
            Polygon(
                np.zeros((2, 2)),
                closed=True,
                lw=0.6,
                antialiased=False,  # a dense envelope gains nothing from it and fills 2x faster without
                color=_COLOURS[i % len(_COLOURS)],
                alpha=0.7 if channels > 1 else 1.0,
                label=f"ch {i}",
            )
            for i in range(channels)
        ]
        for trace in self.traces:
            ax.add_patch(trace)
        if channels > 1:
            ax.legend(handles=self.traces, loc="upper left", fontsize=7)
        self.title = ax.set_title("", fontsize=8, loc="right")

        meter = self.meter_ax
        meter.set_xlim(-0.5, 1.5)
        meter.set_ylim(METER_FLOOR_DB, 0)
        meter.set_xticks([0, 1], ["rms", "pk"], fontsize=7)
        meter.yaxis.tick_right()
        meter.tick_params(axis="y", labelsize=7)
        meter.set_title("dBFS", fontsize=8)
        self.bars = list(meter.bar([0, 1], [0, 0], bottom=METER_FLOOR_DB, color=("#2ca02c", "#ff7f0e")))

        self.image: Any = None
        if spectrogram_shape:
            bins, columns = spectrogram_shape
            spec = self.figure.add_subplot(grid[1, 0], sharex=None)
            self.image = spec.imshow(
                np.full((bins, columns), SPECTRUM_RANGE_DB[0], dtype=np.float32),
                origin="lower",
                aspect="auto",
                interpolation="nearest",
                extent=(-window_s, 0, 0, sample_rate / 2),
                vmin=SPECTRUM_RANGE_DB[0],
                vmax=SPECTRUM_RANGE_DB[1],
                cmap="magma",
            )
            spec.set_ylabel("Hz")
            spec.set_xlabel("seconds")

        self.artists: list[Artist] = [*self.traces, *self.bars]
        self._background: Any = None
        self._pixels: Any = None
        self._spectrum: FloatArray | None = None
        if animated:
            for artist in self.artists:
                artist.set_animated(True)
            if self.image is not None:
                self.image.set_visible(False)  # the live figure paints its pixels directly
            self.canvas.draw()  # the static parts, once (constrained layout is computed here)
            self.figure.set_layout_engine("none")  # keep that layout: blitting needs fixed axes
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
            if self.image is not None:
                self._pixels = _PixelMap(self.image, self.canvas)
        elif self.image is not None:
            self.artists.insert(0, self.image)

    def update(
        self, wave: FloatArray, spectrogram: FloatArray | None, rms_db: float, peak_db: float, status: str
    ) -> None:
        """Set the artists' data: ``wave`` is the visible window ``(n, channels)``, newest last."""
        n = wave.shape[0]
        step = 1.0 / self.sample_rate
        for channel, trace in enumerate(self.traces):
            low, high = envelope(wave[:, channel], self.columns)
            x = np.linspace(-n * step, 0, low.shape[0], dtype=np.float32)
            outline = np.empty((2 * low.shape[0], 2), dtype=np.float32)
            outline[: low.shape[0], 0], outline[: low.shape[0], 1] = x, high
            outline[low.shape[0] :, 0], outline[low.shape[0] :, 1] = x[::-1], low[::-1]
            trace.set_xy(outline if low.shape[0] else np.zeros((2, 2)))
        for bar, level in zip(self.bars, (rms_db, peak_db), strict=True):
            bar.set_height(max(min(level, 0.0), METER_FLOOR_DB) - METER_FLOOR_DB)
        if not self.animated:  # text costs ~3 ms a render: the live scope shows it in its widget
            self.title.set_text(status)
        if self.image is not None and spectrogram is not None:
            if self.animated:
                self._spectrum = spectrogram
            else:
                self.image.set_data(spectrogram)

    @property
    def pixel_size(self) -> tuple[int, int]:
        """Width and height of the image in pixels."""
        width, height = self.canvas.get_width_height(physical=True)
        return int(width), int(height)

    def copy_pixels(self) -> bytes:
        """A copy of the rendered RGBA pixels (to encode elsewhere while the next render draws)."""
        return bytes(self.canvas.buffer_rgba())

    def render(self) -> None:
        """Redraw the animated artists over the saved background (blitting)."""
        if self.interactive:
            self.canvas.draw_idle()  # ipympl renders when the front end asks
            return
        if not self.animated:
            self.canvas.draw()
            return
        self.canvas.restore_region(self._background)
        if self._pixels is not None and self._spectrum is not None:
            self._pixels.paint(self._spectrum)
        for artist in self.artists:
            self.figure.draw_artist(artist)


class _PixelMap:
    """Paints a spectrogram array straight into the Agg buffer, inside its axes.

    ``imshow`` resamples its image through Agg on every draw (about 6-9 ms for
    257 x 100 here); the axes do not move between renders, so the mapping
    from pixels to image cells is computed once and each render is a colour
    lookup and one fancy-indexed copy (well under a millisecond). The
    colours and value range are the hidden ``AxesImage``'s own.
    """

    def __init__(self, image: Any, canvas: Any) -> None:
        bins, columns = image.get_array().shape
        box = image.axes.get_window_extent()
        height = canvas.get_width_height(physical=True)[1]
        left, right = math.ceil(box.x0), math.floor(box.x1)
        top, bottom = height - math.floor(box.y1), height - math.ceil(box.y0)  # buffer rows go down
        self.rows = slice(max(top + 1, 0), max(bottom, 0))
        self.cols = slice(left + 1, right)
        n_rows = self.rows.stop - self.rows.start
        n_cols = self.cols.stop - self.cols.start
        # origin="lower": the top pixel row shows the highest bin
        self.row_index = ((n_rows - 1 - np.arange(n_rows)) * bins // max(n_rows, 1)).clip(0, bins - 1)
        self.col_index = (np.arange(n_cols) * columns // max(n_cols, 1)).clip(0, columns - 1)
        vmin, vmax = image.get_clim()
        self.offset, self.scale = vmin, 255.0 / (vmax - vmin)
        lut = np.ascontiguousarray((image.get_cmap()(np.linspace(0, 1, 256)) * 255).astype(np.uint8))
        self.lut = lut.view(np.uint32).ravel()  # one RGBA pixel per 32-bit word: a gather copies 4 bytes at once
        self.canvas = canvas

    def paint(self, values: FloatArray) -> None:
        levels = np.clip((values - self.offset) * self.scale, 0, 255).astype(np.uint8)
        colours = self.lut.take(levels.take(self.row_index, axis=0), axis=0)  # (pixel rows, columns)
        pixels = np.asarray(self.canvas.buffer_rgba()).view(np.uint32)[:, :, 0]
        pixels[self.rows, self.cols] = colours.take(self.col_index, axis=1)
