"""How the anatomy objects show themselves: their text in IPython, HTML tables in Jupyter.

Shared by every teaching object of :mod:`wskit.wire` (frames, masking,
handshakes, close codes, demo reports): a base class whose ``repr`` is a
one-line summary and whose pretty form is the full text, and the inline
styles of the HTML views, written with JupyterLab's CSS variables (and
fallbacks) so they read in light and dark themes.
"""

from __future__ import annotations

from typing import Any

__all__ = ["BOX", "CELL", "TABLE", "Shown"]

BOX = (
    "font-family: var(--jp-code-font-family, monospace); font-size: var(--jp-code-font-size, 12px); "
    "color: var(--jp-ui-font-color1, #222); background: var(--jp-layout-color1, transparent);"
)
TABLE = "border-collapse: collapse; text-align: left;"
CELL = "border: 1px solid var(--jp-border-color2, #ccc); padding: 2px 6px; vertical-align: top;"


class Shown:
    """Shows as its ``str()`` in IPython's text output (the HTML view is ``_repr_html_``)."""

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self._summary()}>"

    def _summary(self) -> str:
        lines = str(self).splitlines()
        return lines[-1] if lines else ""
