"""End to end in JupyterLab: notebook 1 in Chromium, driven through its client panel.

A person opens ``notebooks/01_echo_chat.ipynb``, runs every cell, presses the
client panel's ``Connect``, writes in ``Message``, presses ``Send`` and sees
the server's echo in the panel's event log. This test does exactly that.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import artifact
from tests.browser.lab_harness import open_notebook, running_lab

if TYPE_CHECKING:
    from playwright.async_api import Browser

pytestmark = [pytest.mark.browser, pytest.mark.timeout(150)]

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOK = "01_echo_chat.ipynb"


async def test_echo_chat_through_the_client_panel(browser: Browser, tmp_path: Path) -> None:
    root = tmp_path / "notebooks"
    root.mkdir()
    shutil.copy(NOTEBOOKS / NOTEBOOK, root)  # a copy: running it must not touch the repository
    async with running_lab(root, tmp_path / "jupyter") as lab:
        page = await open_notebook(browser, lab, NOTEBOOK)
        connect = page.get_by_role("button", name="Connect", exact=True)
        panel = page.locator(".wskit-panel").filter(has=connect).first
        await panel.wait_for(timeout=60_000)
        await panel.get_by_role("button", name="Connect", exact=True).click()
        await panel.get_by_text("open", exact=True).wait_for(timeout=15_000)
        labelled = page.locator("label", has_text="Message")
        message = panel.locator(".widget-textarea").filter(has=labelled).locator("textarea")
        # typed as a person types: ipywidgets throttles value syncs while the kernel is busy but
        # not button clicks, so an instant fill() can reach the kernel after the click on Send
        await message.press_sequentially("hello from chromium", delay=20)
        await page.wait_for_timeout(500)
        await panel.get_by_role("button", name="Send", exact=True).click()
        echo = panel.locator(".widget-html").filter(has_text="Message text was: hello from chromium")
        try:
            await echo.first.wait_for(timeout=15_000)
        finally:
            await page.screenshot(path=artifact("jupyterlab_echo_chat.png"), full_page=True)
