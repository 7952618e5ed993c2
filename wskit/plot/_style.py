"""How figures follow the notebook's light or dark theme, though the kernel cannot see the page.

Every figure is drawn once, in a light style: dark ink (:data:`INK`) on a
transparent background (the live scope, JPEG, on white). In a notebook it is
shown through HTML (:func:`figure_html`) as an image with the class
``wskit-figure``, and one CSS rule does the rest in the browser: on a dark
page (JupyterLab and Notebook 7 mark it ``data-jp-theme-light="false"``, VS
Code ``vscode-dark``) the image is shown with ``invert(1) hue-rotate(180deg)``,
which turns dark ink light and a white ground dark while keeping each
colour's hue. No second render, no cost in the kernel. Colour maps are the
light-ground ones (``magma_r``: silence pale, energy dark), so inverted they
read as the usual dark-ground ones. ``theme="dark"`` draws dark instead, for a
front end that sets neither marker.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from typing import Literal

__all__ = ["DARK", "FIGURE_CSS", "LIGHT", "Palette", "Theme", "figure_html", "palette"]

Theme = Literal["auto", "light", "dark"]


@dataclass(frozen=True, slots=True)
class Palette:
    """The colours one figure is drawn with."""

    ink: str  # text, axes, ticks
    ground: str  # the background ("none": transparent)
    grid: str
    traces: tuple[str, ...]  # one per channel / lane
    accents: dict[str, str]  # meaning -> colour (handshake, control, close …)
    cmap: str  # spectrograms
    flip: bool  # invert in the browser on a dark page


LIGHT = Palette(
    ink="#1a1a1a",
    ground="#ffffff",
    grid="#c8c8c8",
    traces=("#1565c0", "#c62828", "#2e7d32", "#6a1b9a"),
    accents={
        "client": "#1565c0",
        "server": "#2e7d32",
        "handshake": "#555555",
        "control": "#e65100",
        "close": "#c62828",
        "rms": "#2e7d32",
        "peak": "#e65100",
    },
    cmap="magma_r",
    flip=True,
)
DARK = Palette(
    ink="#e6e6e6",
    ground="#1e1e1e",
    grid="#4a4a4a",
    traces=("#64b5f6", "#ef9a9a", "#81c784", "#ce93d8"),
    accents={
        "client": "#64b5f6",
        "server": "#81c784",
        "handshake": "#bdbdbd",
        "control": "#ffb74d",
        "close": "#ef9a9a",
        "rms": "#81c784",
        "peak": "#ffb74d",
    },
    cmap="magma",
    flip=False,
)

#: Shown once per output with each figure: the dark-page rule (idempotent).
FIGURE_CSS = (
    "<style>"
    ".wskit-figure { max-width: 100%; height: auto; }"
    "body[data-jp-theme-light='false'] .wskit-figure.wskit-flip,"
    " body.vscode-dark .wskit-figure.wskit-flip { filter: invert(1) hue-rotate(180deg); }"
    "</style>"
)


def palette(theme: Theme) -> Palette:
    """The palette a ``theme`` argument asks for (``auto``: light, flipped in the browser when the page is dark)."""
    if theme not in ("auto", "light", "dark"):
        raise ValueError(f"theme must be 'auto', 'light' or 'dark', not {theme!r}")
    if theme == "dark":
        return DARK
    if theme == "light":
        return Palette(**{**{f: getattr(LIGHT, f) for f in LIGHT.__slots__}, "flip": False})
    return LIGHT


def figure_html(png: bytes, look: Palette, alt: str = "wskit figure", width: int | None = None) -> str:
    """An ``<img>`` of ``png`` that follows the page's theme (see the module docstring)."""
    classes = "wskit-figure wskit-flip" if look.flip else "wskit-figure"
    size = f" width='{width}'" if width else ""
    data = base64.b64encode(png).decode("ascii")
    return f"{FIGURE_CSS}<img class='{classes}' alt='{html.escape(alt)}'{size} src='data:image/png;base64,{data}'>"
