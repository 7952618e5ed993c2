"""Execute a notebook once per test session and hand out its outputs by cell id.

Each notebook's own test (``test_NN_*.py`` beside this file) asserts the
facts its prose cites, on the outputs of one run, so that prose and output
cannot drift apart; ``tests/test_notebooks.py`` checks the same run for
errors and stray stderr.

The run is :func:`tests.kernel_runner.run_notebook`'s: every output is filed
under the cell whose request it belongs to, as JupyterLab shows it (a record
a background task logs later is kept, where nbclient would drop it). After
the last cell the run does what a reader does when done (:data:`AFTER_RUN_ALL`:
by default stop everything), so nothing a notebook leaves running outlives
its run.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

import nbformat

from tests.kernel_runner import CellRun, NotebookRun, run_notebook

__all__ = ["AFTER_RUN_ALL", "NOTEBOOKS", "STOP", "Run", "run"]

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"

#: what a reader does when done, for notebooks that end with nothing running
STOP = "await wskit.stop_all_async()"
#: What a person checks after Run All, per notebook: code run after the last cell, and the lines it prints.
AFTER_RUN_ALL: dict[str, tuple[str, list[str]]] = {
    # 03 and 08 leave their panels live for the reader; their last cell only shows a stop button
    "03_many_clients.ipynb": (
        "print(room.running, sorted(c.url.path for c in room.clients))\n"
        "stop_button.click()  # what the reader does when done\n"
        "print(wskit.runtime.transports(), room.running)",
        ["True ['/chat/alice', '/chat/bob']", "[] False"],
    ),
    "08_panels_tour.ipynb": (
        "print(server.running, client_panel.state, client_panel.connect_button.disabled)\n"
        "stop_button.click()\n"
        "print(wskit.runtime.transports(), server.running)",
        ["True closed 4001 'tour over' False", "[] False"],
    ),
}


@dataclass
class Run:
    """One executed notebook: the notebook with its outputs, and each cell's run."""

    notebook: nbformat.NotebookNode
    cells: NotebookRun  # the code cells as run, then the reader's last step (``after``)

    @property
    def after(self) -> CellRun:
        """The code run after the last cell (see :data:`AFTER_RUN_ALL`)."""
        return self.cells.cells[-1]

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
    """``notebooks/<name>`` executed top to bottom in a fresh kernel (once per session), then ``AFTER_RUN_ALL``."""
    path = NOTEBOOKS / name
    after, _expected = AFTER_RUN_ALL.get(name, (STOP, []))
    # notebook 10 waits this long for a browser to open its page, then says it skipped
    saved = os.environ.get("WSKIT_BROWSER_WAIT")
    os.environ["WSKIT_BROWSER_WAIT"] = "2"  # the kernel inherits it when it starts
    try:
        ran = run_notebook(path, after=after, timeout=120)
    finally:
        if saved is None:
            del os.environ["WSKIT_BROWSER_WAIT"]
        else:
            os.environ["WSKIT_BROWSER_WAIT"] = saved
    notebook = nbformat.read(path, as_version=4)
    for cell in ran.cells[:-1]:
        notebook.cells[cell.index].outputs = cell.outputs
    return Run(notebook, ran)
