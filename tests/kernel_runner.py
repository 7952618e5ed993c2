"""Run code cells in a real Jupyter kernel and keep every output where JupyterLab would show it.

nbclient keeps only the outputs that arrive while their own cell runs: a
record logged later by a background task started in an earlier cell (a
server from cell 1 logging while cell 7 runs) is dropped, although
JupyterLab shows it, under cell 1. This runner keeps every IOPub output and
files it under the cell its ``parent_header`` names, as a front end does,
noting which cell was running when it arrived; ``clear_output`` and
``update_display_data`` act on the outputs shown, as in a front end. That is what lets a test
assert that a notebook's stderr appears only where the person is looking.
"""

from __future__ import annotations

import contextlib
import queue
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.manager import start_new_kernel

__all__ = ["CellRun", "Kernel", "NotebookRun", "kernel", "run_notebook"]


@dataclass
class CellRun:
    """One executed cell and every output filed under it."""

    index: int  # position in the notebook (markdown cells count)
    source: str
    tags: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    outputs: list[nbformat.NotebookNode] = field(default_factory=list)
    arrived_during: list[int | None] = field(default_factory=list)  # the cell running when each output came
    execution_count: int | None = None  # the kernel's count, once it has started running the cell

    @property
    def stdout(self) -> str:
        return "".join(o.text for o in self.outputs if o.output_type == "stream" and o.name == "stdout")

    @property
    def stderr(self) -> str:
        return "".join(o.text for o in self.outputs if o.output_type == "stream" and o.name == "stderr")

    @property
    def errors(self) -> list[nbformat.NotebookNode]:
        return [o for o in self.outputs if o.output_type == "error"]

    @property
    def text(self) -> str:
        """Every stream and the plain-text form of every result, as nbclient-based tests read them."""
        parts = []
        for o in self.outputs:
            if o.output_type == "stream":
                parts.append(o.text)
            elif o.output_type in ("execute_result", "display_data"):
                parts.append(o.data.get("text/plain", ""))
        return "".join(parts)

    def stderr_outputs(self) -> list[tuple[str, int | None]]:
        """Each stderr output's text and the cell that was running when it arrived."""
        return [
            (o.text, during)
            for o, during in zip(self.outputs, self.arrived_during, strict=True)
            if o.output_type == "stream" and o.name == "stderr"
        ]


class Kernel:
    """A python3 kernel fed cells one at a time; outputs are filed by their parent message."""

    def __init__(self, cwd: Path, timeout: float = 60.0) -> None:
        self.timeout = timeout
        self.km, self.kc = start_new_kernel(kernel_name="python3", cwd=str(cwd))
        self.cells: list[CellRun] = []
        self._by_msg: dict[str, CellRun] = {}
        self._running: int | None = None
        self._displays: dict[str, list[nbformat.NotebookNode]] = {}  # display_id -> the outputs showing it
        self._clear_pending: set[str] = set()  # requests whose outputs clear when the next one comes

    def _file(self, msg: dict[str, Any]) -> None:
        parent = msg["parent_header"].get("msg_id", "")
        cell = self._by_msg.get(parent)
        kind = msg["header"]["msg_type"]
        content = msg["content"]
        if kind == "update_display_data":  # replaces an earlier output in place: nothing new appears
            for shown in self._displays.get(content.get("transient", {}).get("display_id", ""), []):
                shown.data, shown.metadata = content.get("data", {}), content.get("metadata", {})
            return
        if cell is None:
            return
        if kind == "execute_input":
            cell.execution_count = content.get("execution_count")
            return
        if kind == "clear_output":  # as a front end does: now, or (wait=True) when the next output comes
            if content.get("wait"):
                self._clear_pending.add(parent)
            else:
                cell.outputs.clear()
                cell.arrived_during.clear()
            return
        if kind not in ("stream", "display_data", "execute_result", "error"):
            return
        if parent in self._clear_pending:
            self._clear_pending.discard(parent)
            cell.outputs.clear()
            cell.arrived_during.clear()
        output = nbformat.v4.output_from_msg(msg)
        display_id = content.get("transient", {}).get("display_id")
        if display_id:
            self._displays.setdefault(display_id, []).append(output)
        cell.outputs.append(output)
        cell.arrived_during.append(self._running)

    def _pump(self, until: float, msg_id: str | None = None) -> bool:
        """File IOPub messages until ``until`` (monotonic), or until ``msg_id``'s cell is idle."""
        while True:
            left = until - time.monotonic()
            if left <= 0:
                return False
            try:
                msg = self.kc.get_iopub_msg(timeout=min(left, 0.5))
            except queue.Empty:
                continue
            self._file(msg)
            if (
                msg_id is not None
                and msg["header"]["msg_type"] == "status"
                and msg["parent_header"].get("msg_id") == msg_id
                and msg["content"]["execution_state"] == "idle"
            ):
                return True

    def run(
        self,
        source: str,
        index: int | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> CellRun:
        """Execute ``source`` as the next cell; return it once the kernel is idle again."""
        cell = CellRun(len(self.cells) if index is None else index, source, list(tags or []), dict(metadata or {}))
        self.cells.append(cell)
        msg_id = self.kc.execute(source, store_history=True, allow_stdin=False, stop_on_error=False)
        self._by_msg[msg_id] = cell
        self._running = cell.index
        try:
            if not self._pump(time.monotonic() + self.timeout, msg_id):
                raise TimeoutError(f"cell {cell.index} did not finish within {self.timeout} s:\n{source[:300]}")
        finally:
            self._running = None
        return cell

    def settle(self, seconds: float = 0.5) -> None:
        """Keep filing outputs for ``seconds`` (late log records of background tasks)."""
        self._pump(time.monotonic() + seconds)

    def close(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


@contextlib.contextmanager
def kernel(cwd: Path, timeout: float = 60.0) -> Iterator[Kernel]:
    """A fresh kernel for the block."""
    k = Kernel(cwd, timeout)
    try:
        yield k
    finally:
        k.close()


@dataclass
class NotebookRun:
    """A notebook run top to bottom: its code cells, in order."""

    path: Path
    cells: list[CellRun]

    def cell(self, index: int) -> CellRun:
        """The code cell at notebook position ``index``."""
        return next(c for c in self.cells if c.index == index)


def run_notebook(path: Path, after: str = "", timeout: float = 60.0, settle: float = 0.5) -> NotebookRun:
    """Run every code cell of ``path`` in a fresh kernel (cwd: its folder), then ``after`` if given."""
    notebook = nbformat.read(path, as_version=4)
    with kernel(path.parent, timeout) as k:
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type == "code":
                k.run(cell.source, index, cell.metadata.get("tags", []), cell.metadata)
        if after:
            k.run(after, len(notebook.cells))
        k.settle(settle)
        return NotebookRun(path, k.cells)
