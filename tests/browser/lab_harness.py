"""Drive a notebook in JupyterLab in Chromium, as a person would.

:func:`running_lab` starts JupyterLab headless on loopback through
``python -m wskit lab`` (the README's main command), in throwaway Jupyter
config/data/runtime folders, and yields the URL with the token that its first
line prints. :func:`open_notebook` opens a notebook in a fresh workspace (or
JupyterLab restores old tabs), waits for its kernel to be idle, runs all
cells through JupyterLab's own command, and returns the page.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

START_TIMEOUT = 60.0  # JupyterLab's first start on a busy 2-core machine
KERNEL_TIMEOUT_MS = 30_000


@dataclass(frozen=True)
class Lab:
    """A running JupyterLab: where it is and its token."""

    origin: str  # http://127.0.0.1:PORT
    token: str

    def notebook_url(self, notebook: str) -> str:
        """The notebook in a workspace of its own (``?reset``: no tabs restored from earlier runs)."""
        workspace = f"wskit-test-{uuid.uuid4().hex[:8]}"
        return f"{self.origin}/lab/workspaces/{workspace}/tree/{notebook}?reset&token={self.token}"


@contextlib.asynccontextmanager
async def running_lab(root: Path, scratch: Path) -> AsyncIterator[Lab]:
    """``python -m wskit lab ROOT --port 0 --no-browser`` until the block ends.

    ``scratch`` holds Jupyter's config, data, runtime and workspace folders,
    so the user's own are neither read nor written.
    """
    for name in ("config", "data", "runtime", "workspaces"):
        (scratch / name).mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(scratch / "config"),
        "JUPYTER_DATA_DIR": str(scratch / "data"),
        "JUPYTER_RUNTIME_DIR": str(scratch / "runtime"),
        "JUPYTER_PLATFORM_DIRS": "1",
    }
    env.pop("JUPYTER_TOKEN", None)  # the launcher makes a fresh one
    proc = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "wskit", "lab", str(root), "--port", "0", "--no-browser"],
        "--LabApp.expose_app_in_browser=True",  # window.jupyterapp, to run commands
        f"--LabApp.workspaces_dir={scratch / 'workspaces'}",
        env=env,
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    try:
        line = (await asyncio.wait_for(proc.stdout.readline(), START_TIMEOUT)).decode()
        match = re.search(r"open (http://\S+/lab)\?token=(\S+)", line)
        if not match:
            raise RuntimeError(f"wskit lab did not print its URL; first line: {line!r}")
        parts = urlsplit(match.group(1))
        yield Lab(f"{parts.scheme}://{parts.netloc}", match.group(2))
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)  # the launcher stops Jupyter, which stops the kernels
            try:
                await asyncio.wait_for(proc.wait(), 20)
            except TimeoutError:
                proc.kill()
                await proc.wait()


async def open_notebook(browser: Browser, lab: Lab, notebook: str) -> Page:
    """Open ``notebook`` (relative to the lab's root), wait for an idle kernel, run all cells."""
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    await page.goto(lab.notebook_url(notebook))
    await page.wait_for_function(
        """() => {
            const widget = window.jupyterapp && window.jupyterapp.shell.currentWidget;
            const kernel = widget && widget.sessionContext && widget.sessionContext.session
                && widget.sessionContext.session.kernel;
            return !!kernel && kernel.status === 'idle';
        }""",
        timeout=KERNEL_TIMEOUT_MS,
    )
    await page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    return page
