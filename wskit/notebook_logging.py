"""Where wskit's log records appear in a Jupyter kernel: under the cell running now.

Left alone, a record that a server's background task logs reaches Python's
last-resort handler, which writes to ``sys.stderr``; ipykernel files that
output under the cell whose context *created the task* — the cell that
started the server, possibly far above the cell that caused the record — and
JupyterLab paints it red. So in a kernel, and only there, wskit gives its
logger one handler of its own (:class:`CellLogHandler`), installed the first
time a transport starts or a background task is spawned, never at import:

* Every record is shown under the cell that is running when it is logged
  (or, between cells, under the last cell run): where the person is looking.
  The cell is tracked with IPython's ``pre_run_cell`` event.
* ``ERROR`` and above (failures of wskit's or your own code, with their
  tracebacks) go to stderr: red, as real faults should be.
* ``WARNING`` records (a peer's faults: bad input, a refused handshake, a
  slow consumer — each is also an event on the transport's bus, shown in the
  panels) are one plain ``wskit warning: …`` line on stdout, at most
  :data:`MAX_WARNINGS_PER_CELL` per cell, then one line saying how to see the rest.

Every record it writes is masked first (:class:`wskit.redact.RedactingFilter`:
tokens, passwords, ``Authorization`` and ``Cookie`` values, in the message and
the traceback), like every record on the ``wskit`` logger.

Nothing is installed when logging is configured already (the ``wskit`` or the
root logger has a handler: yours decide), outside IPython kernels (scripts,
tests, terminal IPython keep the standard behaviour), or after :func:`uninstall`.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from typing import Any

from ._kernel import kernel_shell, parent_request
from .redact import RedactingFilter

__all__ = ["MAX_WARNINGS_PER_CELL", "CellLogHandler", "install", "installed", "uninstall"]

#: ``wskit warning`` lines shown under one cell; the rest are counted in one last line.
MAX_WARNINGS_PER_CELL = 20

_lock = threading.Lock()
_handler: CellLogHandler | None = None
_declined = False  # uninstall() was called, logging was configured, or this is no kernel: do not install


class CellLogHandler(logging.Handler):
    """Write each record under the cell that runs now (errors on stderr, warnings on stdout).

    Args:
        shell: the kernel's IPython shell (its ``events`` and ``kernel``).
        max_warnings: warning lines shown per cell before they are only counted.
        stdout, stderr: where to write; by default ``sys.stdout`` / ``sys.stderr``
            at the time of each record (the kernel's streams).
    """

    def __init__(
        self, shell: Any, max_warnings: int = MAX_WARNINGS_PER_CELL, *, stdout: Any = None, stderr: Any = None
    ) -> None:
        super().__init__(logging.WARNING)
        # Records logged on the ``wskit`` logger are masked by its filter already; this one
        # masks what reaches the handler another way (a child logger's record, a direct handle()).
        self.addFilter(RedactingFilter())
        self.shell = shell
        self.max_warnings = max_warnings
        self._stdout, self._stderr = stdout, stderr
        self._parent: dict[str, Any] | None = self._current_parent()
        self._warnings = 0  # in the current cell
        self._hidden = 0
        shell.events.register("pre_run_cell", self._pre_run_cell)

    def _current_parent(self) -> dict[str, Any] | None:
        return parent_request(self.shell)

    def _pre_run_cell(self, _info: object = None) -> None:
        """A cell starts: records from now on belong under it."""
        self._parent = self._current_parent()
        self._warnings = 0
        self._hidden = 0

    def detach(self) -> None:
        """Stop following cells."""
        with contextlib.suppress(ValueError):
            self.shell.events.unregister("pre_run_cell", self._pre_run_cell)

    def format(self, record: logging.LogRecord) -> str:
        """``wskit error: …`` (with the traceback) or ``wskit warning: …``."""
        return f"wskit {record.levelname.lower()}: {super().format(record)}"

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if record.levelno >= logging.ERROR:
                self._write(self._stderr or sys.stderr, self.format(record))
                return
            self._warnings += 1
            out = self._stdout or sys.stdout
            if self._warnings <= self.max_warnings:
                self._write(out, self.format(record))
            elif self._warnings == self.max_warnings + 1:
                self._write(
                    out,
                    f"wskit: more warnings in this cell are not shown (the first {self.max_warnings} are above); "
                    "every one is an event in the transport's event log",
                )
        except Exception:
            self.handleError(record)

    def _write(self, stream: Any, text: str) -> None:
        """``text`` on ``stream`` as output of the current cell, whichever task or thread logs it."""
        parent = self._parent
        set_parent = getattr(stream, "set_thread_parent", None) if parent is not None else None
        token = set_parent(parent) if set_parent is not None else None
        try:
            stream.write(text + "\n")
            stream.flush()
        finally:
            if token is not None:
                stream.reset_thread_parent(token)


def install(force: bool = False) -> CellLogHandler | None:
    """Route wskit's log records to the running cell, when this is a Jupyter kernel.

    Called by wskit itself when a transport starts or a background task is
    spawned; calling it again does nothing.

    Args:
        force: install even after :func:`uninstall`, or when logging is already configured.

    Returns:
        The handler, or ``None`` outside a kernel (or when declined).
    """
    global _handler, _declined
    if _handler is not None or (_declined and not force):
        return _handler
    with _lock:
        if _handler is not None:
            return _handler
        shell = kernel_shell()
        if shell is None:
            _declined = not force  # a process does not become a kernel later: ask once
            return None
        logger = logging.getLogger("wskit")
        if not force and (logger.handlers or logging.getLogger().handlers):
            _declined = True  # someone configured logging: their handlers decide
            return None
        _handler = CellLogHandler(shell)
        logger.addHandler(_handler)
        return _handler


def installed() -> CellLogHandler | None:
    """The handler :func:`install` attached, if any."""
    return _handler


def uninstall() -> None:
    """Remove the handler and stop installing it: records go to the standard handlers again."""
    global _handler, _declined
    with _lock:
        _declined = True
        if _handler is not None:
            logging.getLogger("wskit").removeHandler(_handler)
            _handler.detach()
            _handler = None
