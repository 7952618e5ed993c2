"""Execute a notebook once per test session and hand out its outputs by cell id.

Each notebook's own test (``test_NN_*.py`` beside this file) asserts the
facts its prose cites, on the outputs of one run, so that prose and output
cannot drift apart; ``tests/test_notebooks.py`` checks the same run for
errors.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient

__all__ = ["NOTEBOOKS", "Run", "run"]

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


@dataclass
class Run:
    """One executed notebook."""

    notebook: nbformat.NotebookNode

    def cell(self, cell_id: str) -> nbformat.NotebookNode:
        return next(c for c in self.notebook.cells if c.get("id") == cell_id)

    def text(self, cell_id: str) -> str:
        """What a cell printed and displayed (``text/plain``), stdout and results together."""
        parts = []
        for output in self.cell(cell_id).get("outputs", []):
            if output.output_type == "stream" and output.name == "stdout":
                parts.append(output.text)
            elif output.output_type in ("execute_result", "display_data"):
                parts.append(output.data.get("text/plain", ""))
        return "".join(parts)

    def source(self, cell_id: str) -> str:
        return str(self.cell(cell_id).source)

    def stderr(self) -> dict[str, str]:
        """Cell id -> what it wrote on stderr, for the cells that wrote anything."""
        found: dict[str, str] = {}
        for c in self.notebook.cells:
            err = "".join(o.text for o in c.get("outputs", []) if o.output_type == "stream" and o.name == "stderr")
            if err:
                found[c.get("id", "?")] = err
        return found

    def errors(self) -> list[nbformat.NotebookNode]:
        return [o for c in self.notebook.cells for o in c.get("outputs", []) if o.output_type == "error"]

    def code_cells_without_prose(self) -> list[str]:
        """Ids of code cells that no markdown cell comes right before."""
        cells = self.notebook.cells
        return [
            c.get("id", "?")
            for i, c in enumerate(cells)
            if c.cell_type == "code" and (i == 0 or cells[i - 1].cell_type != "markdown")
        ]


@functools.cache
def run(name: str) -> Run:
    """``notebooks/<name>`` executed top to bottom in a fresh kernel (once per session)."""
    path = NOTEBOOKS / name
    notebook = nbformat.read(path, as_version=4)
    # notebook 10 waits this long for a browser to open its page, then says it skipped
    saved = os.environ.get("WSKIT_BROWSER_WAIT")
    os.environ["WSKIT_BROWSER_WAIT"] = "2"  # the kernel inherits it when it starts
    try:
        NotebookClient(
            notebook,
            timeout=120,
            kernel_name="python3",
            allow_errors=True,
            resources={"metadata": {"path": str(path.parent)}},
        ).execute()
    finally:
        if saved is None:
            del os.environ["WSKIT_BROWSER_WAIT"]
        else:
            os.environ["WSKIT_BROWSER_WAIT"] = saved
    return Run(notebook)
