"""The Jupyter kernel wskit may be running in, and the request it runs now.

Two parts of wskit need to know which cell is running: the runtime (a cell
that runs again replaces what it started before) and the notebook log
handler (a record appears under the cell running now). Both ask here. A
leaf: it imports nothing from wskit, and never imports IPython (a script has
none; it is looked for in ``sys.modules``).
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["kernel_shell", "parent_request"]


def kernel_shell() -> Any:
    """IPython's shell when this process is a Jupyter kernel, else ``None``.

    Terminal IPython has a shell but no kernel: its output is the terminal,
    so it counts as no kernel.
    """
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return None
    try:
        shell = ipython.get_ipython()
    except Exception:
        return None
    if shell is None or getattr(shell, "kernel", None) is None:
        return None
    return shell


def parent_request(shell: Any = None) -> dict[str, Any] | None:
    """The shell request the running code belongs to (``kernel.get_parent()``), or ``None``.

    ipykernel keeps it per context: code running in a cell (or called from
    it) sees that cell's ``execute_request`` (its ``header``, ``content.code``
    and, from JupyterLab, Notebook 7 and VS Code, ``metadata.cellId``); a
    background task sees the request of the cell that created it.

    Args:
        shell: the kernel's shell; by default :func:`kernel_shell`.
    """
    shell = shell if shell is not None else kernel_shell()
    kernel = getattr(shell, "kernel", None)
    if kernel is None:
        return None
    try:
        parent = kernel.get_parent("shell")
    except Exception:
        return None
    return parent if isinstance(parent, dict) and parent.get("header") else None
