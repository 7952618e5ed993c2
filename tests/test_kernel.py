"""wskit._kernel: which Jupyter kernel (if any) runs this code, and which request it runs now."""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest

from wskit import _kernel


class Kernel:
    def __init__(self, parent: Any) -> None:
        self.parent = parent

    def get_parent(self, channel: str) -> Any:
        assert channel == "shell"  # the cell's request, never the control channel's
        if isinstance(self.parent, Exception):
            raise self.parent
        return self.parent


class Shell:
    def __init__(self, kernel: Kernel | None) -> None:
        self.kernel = kernel


def fake_ipython(monkeypatch: pytest.MonkeyPatch, shell: Shell | None) -> None:
    module = types.ModuleType("IPython")
    module.get_ipython = lambda: shell  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", module)


def test_no_ipython_is_no_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    assert _kernel.kernel_shell() is None and _kernel.parent_request() is None
    assert "IPython" not in sys.modules  # looked for, never imported


def test_terminal_ipython_is_no_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_ipython(monkeypatch, Shell(None))
    assert _kernel.kernel_shell() is None and _kernel.parent_request() is None


def test_the_request_running_now(monkeypatch: pytest.MonkeyPatch) -> None:
    request = {"header": {"msg_id": "m1", "msg_type": "execute_request"}, "metadata": {"cellId": "c1"}}
    shell = Shell(Kernel(request))
    fake_ipython(monkeypatch, shell)
    assert _kernel.kernel_shell() is shell
    assert _kernel.parent_request() is request
    assert _kernel.parent_request(Shell(Kernel({}))) is None  # between requests: no header
    assert _kernel.parent_request(Shell(Kernel(RuntimeError("old ipykernel")))) is None
