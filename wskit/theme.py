"""Colours for wskit's HTML: JupyterLab's theme variables, mixed so text stays readable in both themes.

JupyterLab's pale ``--jp-*-color3`` tints stay pale in the dark theme, where
the text on them turns white (about 1.2:1 contrast). So nothing here uses
them. Every colour is one of JupyterLab's CSS variables, or a CSS
``color-mix()`` of an accent with the theme's own paper or ink:

* :func:`tint` — a background: a little of the accent in the page colour
  (pale in the light theme, dark in the dark one), under :data:`INK` text.
* :func:`ink` — a text colour: the accent pulled toward the theme's
  strongest text colour (darker on white, lighter on black).

Both reach at least 4.5:1 (WCAG AA for text) against the backgrounds they
are used on, in JupyterLab's light and dark themes: ``tests/test_theme.py``
checks the arithmetic, the browser tests measure it in Chromium. Each
variable has a light fallback, so outside JupyterLab a panel is a light box
that reads on its own.
"""

from __future__ import annotations

__all__ = ["ACCENTS", "BORDER", "BUTTONS", "DIM", "INK", "PAPER", "PAPER2", "TEXT", "ink", "tint"]

#: The page: JupyterLab's main background.
PAPER = "var(--jp-layout-color1, #fff)"
#: A slightly raised surface (code blocks, header rows).
PAPER2 = "var(--jp-layout-color2, #eee)"
#: The strongest text colour (black in the light theme, white in the dark one).
INK = "var(--jp-ui-font-color0, #000)"
#: Body text.
TEXT = "var(--jp-ui-font-color1, rgba(0, 0, 0, 0.87))"
#: Secondary text: only on :data:`PAPER` (on :data:`PAPER2` it falls under 4.5:1).
DIM = "var(--jp-ui-font-color2, rgba(0, 0, 0, 0.54))"
BORDER = "var(--jp-border-color1, #bdbdbd)"

#: JupyterLab's accent colours (the ``1`` shades), by meaning.
ACCENTS = {
    "success": "var(--jp-success-color1, #388e3c)",
    "warn": "var(--jp-warn-color1, #f57c00)",
    "error": "var(--jp-error-color1, #d32f2f)",
    "brand": "var(--jp-brand-color1, #1976d2)",
    "info": "var(--jp-info-color1, #0097a7)",
}


#: Button colours under white text: ipywidgets' own (white on #4caf50, #ff9800, #2196f3) fall to
#: 2.2-3.1:1; these deeper shades of the same hues reach 5:1 or more, in either theme.
BUTTONS = {"success": "#2e7d32", "warning": "#bf360c", "primary": "#1565c0", "danger": "#c62828", "info": "#00695c"}


def tint(accent: str, percent: int = 22) -> str:
    """A background of ``percent`` % of ``accent`` (a name of :data:`ACCENTS`) in the page colour."""
    return f"color-mix(in srgb, {ACCENTS[accent]} {percent}%, {PAPER})"


def ink(accent: str, percent: int = 55) -> str:
    """A text colour: ``percent`` % of ``accent`` mixed into the theme's strongest text colour."""
    return f"color-mix(in srgb, {ACCENTS[accent]} {percent}%, {INK})"
