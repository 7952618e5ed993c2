"""Resolve wskit's CSS colours with JupyterLab's own theme variables, and measure contrast (WCAG 2).

The variables are read from the light and dark theme stylesheets JupyterLab
installs, so the arithmetic follows the JupyterLab in use. Only what
``wskit.theme`` writes is understood: ``var()`` with fallbacks, ``color-mix(in
srgb, A P%, B)``, hex, ``rgb()``/``rgba()`` and ``white``/``black``; a
translucent colour is composited over the background it is measured on.
"""

from __future__ import annotations

import functools
import re
import sys
from pathlib import Path

__all__ = ["Color", "contrast", "parse_color", "resolve", "theme_variables"]

Color = tuple[float, float, float, float]  # r, g, b in 0..255, alpha in 0..1
NAMED = {"white": (255.0, 255.0, 255.0, 1.0), "black": (0.0, 0.0, 0.0, 1.0), "transparent": (0.0, 0.0, 0.0, 0.0)}


@functools.cache
def theme_variables(theme: str) -> dict[str, str]:
    """``--jp-*`` variables of JupyterLab's ``light`` or ``dark`` theme, as written in its stylesheet."""
    css = Path(sys.prefix, "share/jupyter/lab/themes/@jupyterlab", f"theme-{theme}-extension", "index.css")
    text = css.read_text()
    return {m[1]: m[2].strip() for m in re.finditer(r"(--[\w-]+)\s*:\s*([^;}]+)", text)}


def _split_args(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return parts


def parse_color(text: str) -> Color:
    """A literal colour: ``#rgb``, ``#rrggbb``, ``rgb(…)``, ``rgba(…)``, ``color(srgb r g b / a)`` or a name."""
    text = text.strip().lower()
    if text in NAMED:
        return NAMED[text]
    if text.startswith("#"):
        h = text[1:]
        if len(h) == 3:
            h = "".join(c * 2 for c in h)
        return float(int(h[0:2], 16)), float(int(h[2:4], 16)), float(int(h[4:6], 16)), 1.0
    m = re.fullmatch(r"rgba?\((.*)\)", text)
    if m:
        values = [float(v) for v in re.split(r"[ ,/]+", m[1].strip()) if v]
        return values[0], values[1], values[2], values[3] if len(values) > 3 else 1.0
    m = re.fullmatch(r"color\(srgb (.*)\)", text)
    if m:
        values = [float(v) for v in re.split(r"[ /]+", m[1].strip()) if v]
        return values[0] * 255, values[1] * 255, values[2] * 255, values[3] if len(values) > 3 else 1.0
    raise ValueError(f"not a colour: {text!r}")


def resolve(expr: str, theme: str) -> Color:
    """The colour a CSS expression gives in JupyterLab's ``theme`` (``light`` or ``dark``)."""
    expr = expr.strip()
    if expr.startswith("var("):
        name, *fallback = _split_args(expr[4:-1])
        value = theme_variables(theme).get(name)
        if value is None:
            if not fallback:
                raise KeyError(name)
            value = fallback[0]
        return resolve(value, theme)
    if expr.startswith("color-mix("):
        space, first, second = _split_args(expr[len("color-mix(") : -1])
        assert space == "in srgb", space
        m = re.fullmatch(r"(.*)\s+(\d+(?:\.\d+)?)%", first)
        assert m, first
        a, share, b = resolve(m[1], theme), float(m[2]) / 100, resolve(second, theme)
        return tuple(x * share + y * (1 - share) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]
    return parse_color(expr)


def _luminance(c: Color) -> float:
    def channel(v: float) -> float:
        v /= 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b, _ = c
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def _over(fg: Color, bg: Color) -> Color:
    a = fg[3]
    return fg[0] * a + bg[0] * (1 - a), fg[1] * a + bg[1] * (1 - a), fg[2] * a + bg[2] * (1 - a), 1.0


def contrast(fg: Color, bg: Color, page: Color = NAMED["white"]) -> float:
    """WCAG contrast ratio of text ``fg`` on ``bg`` (translucent colours composited, ``bg`` over ``page``)."""
    solid_bg = _over(bg, page)
    solid_fg = _over(fg, solid_bg)
    hi, lo = sorted((_luminance(solid_fg), _luminance(solid_bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)
