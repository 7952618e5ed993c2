"""One look for every panel: the CSS, and small builders for the shared layout.

Every panel is the same grammar, top to bottom: a header (title, status badge,
facts), labelled form rows, a row of buttons, a status line (errors in red,
with the traceback folded), then the panel's body. Colours come from
JupyterLab's CSS variables, so the panels follow the light and dark themes;
meaning is carried by a few classes: ``wskit-out`` (sent), ``wskit-in``
(received), ``wskit-err`` (errors), and the badge states.
"""

from __future__ import annotations

import html
import traceback

import ipywidgets as widgets  # type: ignore[import-untyped]  # no type information

from ..redact import mask_text

__all__ = ["CSS", "badge", "button", "error_html", "escape", "header", "note_html", "panel", "row", "style_widget"]

CSS = """
<style>
.wskit-panel { border: 1px solid var(--jp-border-color2, #ccc); border-radius: 6px; padding: 6px 8px;
  background: var(--jp-layout-color1, transparent); color: var(--jp-ui-font-color1, inherit);
  font-family: var(--jp-ui-font-family, sans-serif); }
.wskit-panel .wskit-title { font-weight: 600; font-size: var(--jp-ui-font-size2, 1.1em); margin-right: 8px; }
.wskit-panel .wskit-dim { color: var(--jp-ui-font-color2, #666); }
.wskit-badge { display: inline-block; padding: 0 8px; border-radius: 9px; font-size: 90%; line-height: 1.6em;
  border: 1px solid var(--jp-border-color2, #ccc); color: var(--jp-ui-font-color1, inherit); }
.wskit-badge.wskit-open { background: var(--jp-success-color3, #c8e6c9);
  border-color: var(--jp-success-color1, #388e3c); }
.wskit-badge.wskit-busy { background: var(--jp-warn-color3, #ffe0b2); border-color: var(--jp-warn-color1, #f57c00); }
.wskit-badge.wskit-closed { background: var(--jp-layout-color3, #eee); }
.wskit-badge.wskit-failed { background: var(--jp-error-color3, #ffcdd2);
  border-color: var(--jp-error-color1, #d32f2f); }
.wskit-row { gap: 4px 6px; }
.wskit-err { color: var(--jp-error-color1, #d32f2f); }
.wskit-ok { color: var(--jp-success-color1, #388e3c); }
.wskit-out { color: var(--jp-info-color1, #1976d2); }
.wskit-in { color: var(--jp-success-color1, #388e3c); }
.wskit-mono, .wskit-log table, .wskit-panel pre { font-family: var(--jp-code-font-family, monospace);
  font-size: var(--jp-code-font-size, 12px); }
.wskit-panel pre { margin: 2px 0; white-space: pre-wrap; word-break: break-all;
  background: var(--jp-layout-color2, #f7f7f7); padding: 4px; border-radius: 4px; max-height: 320px; overflow: auto; }
.wskit-scroll { max-height: 280px; overflow-y: auto; display: flex; flex-direction: column-reverse;
  border: 1px solid var(--jp-border-color2, #ccc); border-radius: 4px; }
.wskit-log table, .wskit-table { border-collapse: collapse; width: 100%; }
.wskit-log td, .wskit-table td, .wskit-table th { padding: 0 6px; white-space: nowrap; text-align: left;
  border-bottom: 1px solid var(--jp-border-color3, #eee); }
.wskit-log td.wskit-sum { white-space: pre; overflow: hidden; text-overflow: ellipsis; max-width: 60em; }
.wskit-log tr.wskit-err td { color: var(--jp-error-color1, #d32f2f); }
.wskit-log tr.wskit-wire td { color: var(--jp-ui-font-color2, #666); }
</style>
"""


def escape(text: str) -> str:
    """HTML-escape ``text`` (quotes too)."""
    return html.escape(text, quote=True)


def badge(state: str, text: str) -> str:
    """A status pill; ``state`` is one of open, busy, closed, failed."""
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
