"""One look for every panel: the CSS, and small builders for the shared layout.

Every panel is the same grammar, top to bottom: a header (title, status badge,
facts), labelled form rows, a row of buttons, a status line (errors in red,
with the traceback folded), then the panel's body. Colours come from
JupyterLab's CSS variables, mixed so that text keeps at least 4.5:1 contrast
in the light and the dark theme (:mod:`wskit.theme`); meaning is carried by
a few classes: ``wskit-out`` (sent), ``wskit-in`` (received), ``wskit-err``
(errors), and the badge states: ``idle`` (grey: not connected, stopped),
``busy`` (orange: connecting, closing, reconnecting), ``open`` (green),
``closed`` (blue: a connection that was open has closed) and ``failed`` (red).
"""

from __future__ import annotations

import html
import traceback

import ipywidgets as widgets  # type: ignore[import-untyped]  # no type information

from .. import theme
from ..redact import mask_text

__all__ = ["CSS", "badge", "button", "error_html", "escape", "header", "note_html", "panel", "row", "style_widget"]


def _css() -> str:
    """The stylesheet: every colour a JupyterLab variable or a mix of one (see :mod:`wskit.theme`)."""
    badge = ".wskit-badge.wskit-{state} {{ background: {bg}; border-color: {accent}; }}"
    badges = "\n".join(
        badge.format(state=state, bg=theme.tint(accent), accent=theme.ACCENTS[accent])
        for state, accent in (("open", "success"), ("busy", "warn"), ("closed", "brand"), ("failed", "error"))
    )
    buttons = "\n".join(
        f".wskit-panel .jupyter-button.mod-{style} {{ background-color: {colour}; color: #fff; }}"
        for style, colour in theme.BUTTONS.items()
    )
    return f"""
<style>
{buttons}
.wskit-panel {{ border: 1px solid {theme.BORDER}; border-radius: 6px; padding: 6px 8px;
  background: {theme.PAPER}; color: {theme.TEXT}; font-family: var(--jp-ui-font-family, sans-serif); }}
.wskit-panel .wskit-title {{ font-weight: 600; font-size: var(--jp-ui-font-size2, 1.1em); margin-right: 8px; }}
.wskit-panel .wskit-dim {{ color: {theme.DIM}; }}
.wskit-badge {{ display: inline-block; padding: 0 8px; border-radius: 9px; font-size: 90%; line-height: 1.6em;
  border: 1px solid {theme.BORDER}; color: {theme.INK}; background: {theme.PAPER2}; }}
{badges}
.wskit-row {{ gap: 4px 6px; }}
.wskit-err {{ color: {theme.ink("error")}; }}
.wskit-ok {{ color: {theme.ink("success")}; }}
.wskit-out {{ color: {theme.ink("brand")}; }}
.wskit-in {{ color: {theme.ink("success")}; }}
.wskit-mono, .wskit-log select, .wskit-log .wskit-head, .wskit-panel pre {{
  font-family: var(--jp-code-font-family, monospace); font-size: var(--jp-code-font-size, 12px); }}
.wskit-panel pre {{ margin: 2px 0; white-space: pre-wrap; word-break: break-all; color: {theme.INK};
  background: {theme.PAPER2}; padding: 4px; border-radius: 4px; max-height: 320px; overflow: auto; }}
.wskit-table {{ border-collapse: collapse; width: 100%; }}
.wskit-table td, .wskit-table th {{ padding: 0 6px; white-space: nowrap; text-align: left;
  border-bottom: 1px solid var(--jp-border-color2, #e0e0e0); }}
.wskit-table th {{ color: {theme.TEXT}; font-weight: 600; }}
.wskit-table td.wskit-num, .wskit-table th.wskit-num {{ text-align: right; }}
.wskit-log select, .wskit-log .wskit-head {{ font-size: 11px; }}
.wskit-log .wskit-head {{ white-space: pre; overflow: hidden; font-weight: 600; color: {theme.TEXT};
  padding: 2px 4px; border: 1px solid {theme.BORDER}; border-bottom: none; border-radius: 4px 4px 0 0; }}
.wskit-log select {{ width: 100%; color: {theme.INK}; background: {theme.PAPER}; border: 1px solid {theme.BORDER};
  border-radius: 0 0 4px 4px; padding: 0; }}
.wskit-log select option {{ padding: 0 4px; white-space: pre; }}
.wskit-log select option:checked {{ background: {theme.tint("brand", 35)}; color: {theme.INK}; }}
.wskit-log .widget-select {{ width: 100%; margin: 0; }}
.wskit-details {{ border-left: 3px solid {theme.ACCENTS["brand"]}; padding-left: 6px; }}
</style>
"""


CSS = _css()


def escape(text: str) -> str:
    """HTML-escape ``text`` (quotes too)."""
    return html.escape(text, quote=True)


def badge(state: str, text: str) -> str:
    """A status pill; ``state`` is one of idle, busy, open, closed, failed."""
    return f'<span class="wskit-badge wskit-{state}">{escape(text)}</span>'


def error_html(exc: BaseException, doing: str = "") -> str:
    """An error line in red with the traceback folded underneath."""
    where = f"{escape(doing)}: " if doing else ""
    tb = escape(mask_text("".join(traceback.format_exception(exc))))
    return (
        f'<div class="wskit-err">{where}{escape(type(exc).__name__)}: {escape(mask_text(str(exc)))}</div>'
        f"<details><summary class='wskit-dim'>traceback</summary><pre>{tb}</pre></details>"
    )


def note_html(text: str, ok: bool = True) -> str:
    """A status line: a plain note, or an error when ``ok`` is false."""
    return f'<span class="{"wskit-ok" if ok else "wskit-err"}">{escape(text)}</span>'


def style_widget() -> widgets.HTML:
    """The stylesheet, as an invisible widget each panel carries (the CSS is idempotent)."""
    return widgets.HTML(CSS, layout=widgets.Layout(display="none"))


def button(description: str, tooltip: str = "", style: str = "") -> widgets.Button:
    """A compact button with the shared look."""
    return widgets.Button(
        description=description, tooltip=tooltip or description, button_style=style, layout=widgets.Layout(width="auto")
    )


def header(title: str, *rest: widgets.Widget) -> widgets.HBox:
    """The first row of a panel: its title, then a badge and facts."""
    label = widgets.HTML(f'<span class="wskit-title">{escape(title)}</span>')
    box = widgets.HBox([label, *rest], layout=widgets.Layout(align_items="center"))
    box.add_class("wskit-row")
    return box


def row(*children: widgets.Widget) -> widgets.HBox:
    """A row of controls, wrapping on narrow screens."""
    box = widgets.HBox(list(children), layout=widgets.Layout(flex_flow="row wrap", align_items="center"))
    box.add_class("wskit-row")
    return box


def panel(*children: widgets.Widget) -> list[widgets.Widget]:
    """The children of a panel's root box, with the stylesheet first."""
    return [style_widget(), *children]
