"""Every notebook in JupyterLab in Chromium, light and dark, looked at as a person would.

Each notebook is run once (JupyterLab's Run All) and then seen in both
themes: no stderr output area except in a cell tagged ``deliberate-error``
(and there only its expected error), every panel badge and coloured text at
4.5:1 contrast or more, screenshots in ``test-artifacts/``. Some notebooks
are also driven: notebook 1's client panel sends and gets the echo, notebook
8's event log shows a clicked row's details and its client panel, kicked by
the server, shows one consistent state. One JupyterLab serves every test.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import artifact
from tests.browser.lab_harness import (
    NOTEBOOKS,
    Lab,
    cells_of,
    open_notebook,
    run_all,
    set_theme,
    shutdown_kernel,
    text_colours,
)
from tests.browser.shots import SHOTS, capture
from tests.theme_check import contrast, parse_color

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

ALL = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
TEXT_CLASSES = ".wskit-in, .wskit-out, .wskit-err, .wskit-ok, .wskit-dim, .wskit-panel .jupyter-button:enabled"
WIRE_CELLS = (
    "td[title='FIN'], td[title^='RSV'], td[title='op'], td[title='MASK'], td[title='len']"  # wire.decode's bits
)


async def assert_quiet(page: Page, name: str) -> None:
    """No error outputs; stderr only under cells that deliberately show an error, and only that error."""
    for cell in await cells_of(page):
        assert not cell["errors"], f"{name} cell {cell['index']}: {cell['errors']}"
        for text in cell["stderr"]:
            where = f"{name}: a stderr area under cell {cell['index']}"
            assert "deliberate-error" in cell["tags"], f"{where}:\n{text[:2000]}"
            pattern = re.compile(cell["wskit"]["expected_stderr"])
            records = [r for r in re.split(r"(?m)^(?=wskit (?:error|critical|warning): )", text) if r.strip()]
            assert all(pattern.match(r) for r in records), f"{where} is not the expected error:\n{text[:2000]}"


async def assert_readable(page: Page, name: str, theme: str) -> dict[str, int]:
    """Every badge, coloured text, panel button and wire bit cell reaches 4.5:1; returns how many of each."""
    counts = {}
    for what, selector in (("badge", ".wskit-badge"), ("text", TEXT_CLASSES), ("wire", WIRE_CELLS)):
        found = await text_colours(page, selector)
        for c in found:
            ratio = contrast(parse_color(c["fg"]), parse_color(c["bg"]), parse_color(c["page"]))
            assert ratio >= 4.5, f"{name} ({theme}): {c['text']!r} is {c['fg']} on {c['bg']}: {ratio:.2f}:1"
        counts[what] = len(found)
    return counts


async def screenshots(page: Page, name: str, theme: str) -> None:
    """The viewport, and each output holding a wskit panel or figure."""
    stem = name.removesuffix(".ipynb")
    await page.screenshot(path=artifact(f"lab_{stem}_{theme}.png"))
    outputs = page.locator(".jp-Cell-outputWrapper").filter(has=page.locator(".wskit-panel, .wskit-figure"))
    for i, output in enumerate((await outputs.all())[:8]):
        await output.screenshot(path=artifact(f"lab_{stem}_{theme}_{i}.png"))


async def drive_panels_tour(page: Page) -> None:
    """Notebook 8: click a row of the client's event log; the kicked client panel shows one state."""
    client = page.locator(".wskit-panel").filter(has=page.get_by_role("button", name="Connect", exact=True)).first
    log = client.locator(".wskit-panel").filter(has=page.locator(".wskit-log")).first
    option = log.locator(".wskit-log select option").filter(has_text="de ad be ef").first
    await option.scroll_into_view_if_needed()
    await option.click()
    row = (await option.inner_text()).split()[0]
    details = log.locator(".wskit-details")
    await details.filter(has_text=f"row {row} ·").wait_for(timeout=10_000)
    assert "00000000  de ad be ef" in await details.inner_text()  # the payload as a hex dump
    other = log.locator(".wskit-log select option").filter(has_text="hello from the panel").first
    await other.click()  # another row: the details follow
    await details.filter(has_text="payload (text)").wait_for(timeout=10_000)
    assert "hello from the panel" in await details.inner_text()

    # kicked by the server in the notebook's cell: badge, status line and buttons agree
    badge = client.locator(".wskit-badge").first
    assert (await badge.inner_text()).strip() == "closed 4001 'tour over'"
    panel_text = await client.inner_text()
    assert "closed by the server 4001 'tour over'" in panel_text
    assert "connected to" not in panel_text
    assert await client.get_by_role("button", name="Connect", exact=True).is_enabled()
    assert await client.get_by_role("button", name="Disconnect", exact=True).is_disabled()
    assert "wskit-closed" in (await badge.get_attribute("class") or "")


async def audio_players_know_their_length(page: Page) -> None:
    """Notebook 4: each audio player shows its duration before it is played."""
    players = page.locator("audio")
    assert await players.count() >= 3
    await page.wait_for_function(
        "Array.from(document.querySelectorAll('audio')).every(a => a.readyState >= 1 && a.duration > 0)",
        timeout=20_000,
    )


@pytest.mark.parametrize("name", ALL)
async def test_notebook_in_jupyterlab(browser: Browser, lab: Lab, name: str) -> None:
    page = await open_notebook(browser, lab, name, theme="light")
    try:
        await run_all(page)
        await page.wait_for_timeout(500)  # background tasks' last words
        await assert_quiet(page, name)
        if name.startswith("08"):
            await drive_panels_tour(page)
        if name.startswith("04"):
            await audio_players_know_their_length(page)
        measured = {}
        for theme in ("light", "dark"):
            await set_theme(page, theme)
            await page.wait_for_timeout(300)
            measured[theme] = await assert_readable(page, name, theme)
            await screenshots(page, name, theme)
        if await page.locator(".wskit-badge").count():  # the badges were found and measured in both themes
            assert measured["light"]["badge"] and measured["dark"]["badge"]
        if name.startswith("06"):
            assert measured["light"]["wire"] >= 16 and measured["dark"]["wire"] >= 16
        await assert_quiet(page, name)  # still quiet after the driving above
    finally:
        await shutdown_kernel(page)


async def test_echo_chat_through_the_client_panel(browser: Browser, lab: Lab, tmp_path: Path) -> None:
    """Notebook 1: Connect, type, Send; the server's echo arrives in the panel's event log."""
    page = await open_notebook(browser, lab, "01_echo_chat.ipynb")
    try:
        await run_all(page)
        connect = page.get_by_role("button", name="Connect", exact=True)
        panel = page.locator(".wskit-panel").filter(has=connect).first
        await panel.wait_for(timeout=60_000)
        await panel.get_by_role("button", name="Connect", exact=True).click()
        await panel.locator(".wskit-badge", has_text="open").wait_for(timeout=15_000)
        assert await connect.is_disabled()  # nothing to connect while open
        labelled = page.locator("label", has_text="Message")
        message = panel.locator(".widget-textarea").filter(has=labelled).locator("textarea")
        # typed as a person types: ipywidgets throttles value syncs while the kernel is busy but
        # not button clicks, so an instant fill() can reach the kernel after the click on Send
        await message.press_sequentially("hello from chromium", delay=20)
        await page.wait_for_timeout(500)
        await panel.get_by_role("button", name="Send", exact=True).click()
        echo = panel.locator(".wskit-log select option").filter(has_text="Message text was: hello from chromium")
        try:
            await echo.first.wait_for(state="attached", timeout=15_000)
        finally:
            await page.screenshot(path=artifact("jupyterlab_echo_chat.png"), full_page=True)
        await assert_quiet(page, "01_echo_chat.ipynb")
    finally:
        await shutdown_kernel(page)


async def test_the_readme_screenshots_can_be_taken(browser: Browser, lab: Lab) -> None:
    """What ``./dev screenshots`` does, into test-artifacts/: every picture, both themes, not empty."""
    saved = await capture(browser, lab, artifact("readme"))
    assert sorted(p.name for p in saved) == sorted(f"{name}_{t}.png" for s in SHOTS.values() for _, name in s
                                                   for t in ("light", "dark"))  # fmt: skip
    assert all(p.stat().st_size > 10_000 for p in saved)
