"""Drive notebooks in JupyterLab in Chromium, as a person would; shared by the browser tests and ``./dev screenshots``.

:func:`lab_server` starts JupyterLab headless on loopback through
``python -m wskit lab`` (the README's main command), in throwaway Jupyter
config/data/runtime folders, and yields the URL with the token that its first
line prints; one server serves every test of a session. :func:`open_notebook`
opens a notebook in a fresh workspace (or JupyterLab restores old tabs), in
the light or dark theme, waits for its kernel to be idle, and
:func:`run_all` runs every cell through JupyterLab's own command and waits
until each has run. The ``*_of`` helpers read what a person sees: each
cell's stderr output areas with the cell's tags, and the colours an element
is drawn in (for contrast).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from playwright.async_api import Browser, Locator, Page

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
START_TIMEOUT = 90.0  # JupyterLab's first start on a busy 2-core machine
KERNEL_TIMEOUT_MS = 60_000
VIEWPORT = {"width": 1400, "height": 1000}
THEMES = {"light": "JupyterLab Light", "dark": "JupyterLab Dark"}


@dataclass(frozen=True)
class Lab:
    """A running JupyterLab: where it is, its token, and the folder it serves."""

    origin: str  # http://127.0.0.1:PORT
    token: str
    root: Path

    def notebook_url(self, notebook: str) -> str:
        """The notebook in a workspace of its own (``?reset``: no tabs restored from earlier runs)."""
        workspace = f"wskit-test-{uuid.uuid4().hex[:8]}"
        return f"{self.origin}/lab/workspaces/{workspace}/tree/{notebook}?reset&token={self.token}"


def copy_notebooks(root: Path) -> Path:
    """The demo notebooks (and what they load) copied to ``root``: running them must not touch the repository."""
    root.mkdir(parents=True, exist_ok=True)
    for path in NOTEBOOKS.iterdir():
        if path.is_file():
            shutil.copy(path, root)
    return root


@contextlib.contextmanager
def lab_server(root: Path, scratch: Path) -> Iterator[Lab]:
    """``python -m wskit lab ROOT --port 0 --no-browser`` until the block ends.

    ``scratch`` holds Jupyter's config, data, runtime and workspace folders,
    so the user's own are neither read nor written.
    """
    for name in ("config", "data", "runtime", "workspaces"):
        (scratch / name).mkdir(parents=True, exist_ok=True)
    # no "notified about news?" toast over the notebook (it would sit in every screenshot)
    (scratch / "config" / "labconfig").mkdir(exist_ok=True)
    (scratch / "config" / "labconfig" / "page_config.json").write_text(
        '{"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": true}}'
    )
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(scratch / "config"),
        "JUPYTER_DATA_DIR": str(scratch / "data"),
        "JUPYTER_RUNTIME_DIR": str(scratch / "runtime"),
        "JUPYTER_PLATFORM_DIRS": "1",
    }
    env.pop("JUPYTER_TOKEN", None)  # the launcher makes a fresh one
    proc = subprocess.Popen(
        [
            *[sys.executable, "-m", "wskit", "lab", str(root), "--port", "0", "--no-browser"],
            "--LabApp.expose_app_in_browser=True",  # window.jupyterapp, to run commands
            f"--LabApp.workspaces_dir={scratch / 'workspaces'}",
        ],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    try:
        line = _first_line(proc, START_TIMEOUT)
        match = re.search(r"open (http://\S+/lab)\?token=(\S+)", line)
        if not match:
            raise RuntimeError(f"wskit lab did not print its URL; first line: {line!r}")
        parts = urlsplit(match.group(1))
        yield Lab(f"{parts.scheme}://{parts.netloc}", match.group(2), root)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # the launcher stops Jupyter, which stops the kernels
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        proc.stdout.close()


def _first_line(proc: subprocess.Popen[str], timeout: float) -> str:
    import selectors

    assert proc.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            raise TimeoutError(f"wskit lab printed nothing within {timeout} s")
    return proc.stdout.readline()


# -- a notebook in the browser ------------------------------------------------------

_KERNEL_IDLE = """() => {
    const widget = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const kernel = widget && widget.sessionContext && widget.sessionContext.session
        && widget.sessionContext.session.kernel;
    return !!kernel && kernel.status === 'idle';
}"""

_ALL_RUN = """() => {
    const widget = window.jupyterapp.shell.currentWidget;
    const kernel = widget.sessionContext.session && widget.sessionContext.session.kernel;
    const cells = widget.content.widgets.filter(c => c.model.type === 'code');
    const failed = cells.some(c => c.model.outputs.toJSON().some(o => o.output_type === 'error'));
    const ran = cells.every(c => c.model.executionCount !== null && !c.node.classList.contains('jp-mod-executing'));
    return failed || (ran && kernel && kernel.status === 'idle');
}"""


async def open_notebook(
    browser: Browser, lab: Lab, notebook: str, theme: str = "light", viewport: dict[str, int] | None = None
) -> Page:
    """Open ``notebook`` (relative to the lab's root) in ``theme``, and wait for an idle kernel."""
    page = await browser.new_page(viewport=viewport or VIEWPORT)  # type: ignore[arg-type]
    await page.goto(lab.notebook_url(notebook))
    await page.wait_for_function(_KERNEL_IDLE, timeout=KERNEL_TIMEOUT_MS)
    await set_theme(page, theme)
    return page


async def set_theme(page: Page, theme: str) -> None:
    """Switch JupyterLab to its light or dark theme and wait until the page says so."""
    await page.evaluate(f"window.jupyterapp.commands.execute('apputils:change-theme', {{theme: '{THEMES[theme]}'}})")
    light = "true" if theme == "light" else "false"
    await page.wait_for_function(f"document.body.dataset.jpThemeLight === '{light}'", timeout=20_000)


async def run_all(page: Page, timeout_ms: int = 120_000) -> None:
    """Run every cell (JupyterLab's Run All) and wait until each has run and the kernel is idle."""
    await page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    await page.wait_for_timeout(300)
    await page.wait_for_function(_ALL_RUN, timeout=timeout_ms, polling=250)


async def shutdown_kernel(page: Page) -> None:
    """Shut the notebook's kernel down (everything it started stops with it) and close the page."""
    with contextlib.suppress(Exception):
        await page.evaluate("window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")
    await page.close()


async def cells_of(page: Page) -> list[dict[str, Any]]:
    """Each code cell as a person sees it: index, tags, metadata, and the text of its output areas by kind."""
    result: list[dict[str, Any]] = await page.evaluate(
        """() => window.jupyterapp.shell.currentWidget.content.widgets.map((cell, index) => ({
            index,
            type: cell.model.type,
            tags: cell.model.getMetadata('tags') || [],
            wskit: cell.model.getMetadata('wskit') || {},
            stderr: Array.from(cell.node.querySelectorAll(
                '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')).map(n => n.innerText),
            errors: cell.model.type !== 'code' ? [] : cell.model.outputs.toJSON()
                .filter(o => o.output_type === 'error').map(o => o.ename + ': ' + o.evalue),
        }))"""
    )
    return [c for c in result if c["type"] == "code"]


async def text_colours(page: Page, selector: str, limit: int = 400) -> list[dict[str, str]]:
    """For each element matching ``selector`` that shows text: the text, its colour, the opaque
    background it is drawn on (the first one up its parents) and the page's background.

    One round trip for all of them: computed styles exist for cells JupyterLab has not laid out.
    """
    found: list[dict[str, str]] = await page.evaluate(
        r"""([selector, limit]) => {
            const opaque = (c) => c && c !== 'transparent' && !/rgba\(.*,\s*0\)$/.test(c)
                && !/\/\s*0\)$/.test(c);
            const page = getComputedStyle(document.body).backgroundColor;
            return Array.from(document.querySelectorAll(selector)).slice(0, limit)
                .filter(el => el.checkVisibility() && el.textContent.trim())
                .map(el => {
                    let node = el, bg = page;
                    while (node && node.nodeType === 1) {
                        const c = getComputedStyle(node).backgroundColor;
                        if (opaque(c)) { bg = c; break; }
                        node = node.parentElement;
                    }
                    return {text: el.textContent.trim().slice(0, 60), fg: getComputedStyle(el).color, bg, page};
                });
        }""",
        [selector, limit],
    )
    return found


async def output_of(page: Page, cell_id: str) -> Locator:
    """The output area of the cell whose id is ``cell_id``, scrolled into view."""
    found = await page.evaluate(
        """(id) => {
            const cell = window.jupyterapp.shell.currentWidget.content.widgets.find(c => c.model.id === id);
            if (!cell) return false;
            cell.node.scrollIntoView();
            const area = cell.node.querySelector('.jp-OutputArea');
            if (area) area.setAttribute('data-wskit-output', id);
            return !!area;
        }""",
        cell_id,
    )
    if not found:
        raise LookupError(f"no cell {cell_id} with an output area")
    return page.locator(f"[data-wskit-output='{cell_id}']")
