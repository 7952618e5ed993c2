"""End to end in JupyterLab: run a notebook in Chromium, click its widget, see the WebSocket echo.

The notebook here (``echo_widgets.ipynb``) starts a wskit echo server and
client in the kernel, with a plain ipywidgets button that sends through them.
To drive another notebook, copy it instead and give its :class:`WidgetProbe`.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import artifact
from tests.browser.lab_harness import WidgetProbe, open_notebook, running_lab

if TYPE_CHECKING:
    from playwright.async_api import Browser

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

HERE = Path(__file__).resolve().parent


async def test_notebook_widget_round_trip(browser: Browser, tmp_path: Path) -> None:
    root = tmp_path / "notebooks"
    root.mkdir()
    shutil.copy(HERE / "echo_widgets.ipynb", root)  # a copy: running it must not touch the repository
    probe = WidgetProbe()
    async with running_lab(root, tmp_path / "jupyter") as lab:
        page = await open_notebook(browser, lab, "echo_widgets.ipynb")
        button = page.locator(probe.click, has_text="Send")
        await button.wait_for(timeout=30_000)
        result = page.locator(probe.result)
        await result.filter(has_text="no reply yet").wait_for(timeout=10_000)
        await button.click()
        await result.filter(has_text="echo: hello from the browser").wait_for(timeout=10_000)
        await page.screenshot(path=artifact("jupyterlab_echo_widgets.png"), full_page=True)
