"""The README's screenshots, taken in JupyterLab in Chromium: ``./dev screenshots`` and a browser test share this.

Each picture is one cell's output of a demo notebook after Run All, in the
light and the dark theme: the server and client panels of notebook 8 (a row
of the client's event log clicked, its details shown), and the AudioScope and
session timeline of notebook 4. Nothing is drawn by hand: rerun
``./dev screenshots`` after a change to the panels or plots and commit
``docs/img/``.

Usage: ``python -m tests.browser.shots [OUT_DIR]`` (default ``docs/img``).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from tests.browser.lab_harness import (
    ROOT,
    Lab,
    copy_notebooks,
    lab_server,
    open_notebook,
    output_of,
    run_all,
    set_theme,
    shutdown_kernel,
)

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

#: notebook -> (cell id, picture name) of the outputs to photograph
SHOTS = {
    "08_panels_tour.ipynb": [("8a157e07", "server_panel"), ("437f5a8b", "client_panel")],
    "04_audio_streaming.ipynb": [("b4ec91a9", "scope"), ("8fecca3e", "timeline")],
}
THEMES = ("light", "dark")
TALL = {"width": 1200, "height": 2400}  # a whole panel fits: element shots are not cut at the viewport


async def _prepare(page: Page, notebook: str) -> None:
    """What a person would have done before looking: in notebook 8, click a row of the client's log."""
    if notebook.startswith("08"):
        client = page.locator(".wskit-panel").filter(has=page.get_by_role("button", name="Connect", exact=True))
        option = client.first.locator(".wskit-log select option").filter(has_text="de ad be ef").first
        await option.scroll_into_view_if_needed()
        await option.click()
        await client.first.locator(".wskit-details").filter(has_text="00000000  de ad be ef").wait_for()


async def capture(browser: Browser, lab: Lab, out: Path) -> list[Path]:
    """Run the notebooks and save every picture of :data:`SHOTS` in both themes to ``out``; return the files."""
    await asyncio.to_thread(out.mkdir, parents=True, exist_ok=True)
    saved = []
    for notebook, shots in SHOTS.items():
        page = await open_notebook(browser, lab, notebook, viewport=TALL)
        try:
            await run_all(page)
            await _prepare(page, notebook)
            for theme in THEMES:
                await set_theme(page, theme)
                await page.wait_for_timeout(400)
                for cell_id, name in shots:
                    output = await output_of(page, cell_id)
                    path = out / f"{name}_{theme}.png"
                    await output.screenshot(path=path)
                    saved.append(path)
        finally:
            await shutdown_kernel(page)
    return saved


async def _main(out: Path) -> None:
    from playwright.async_api import async_playwright

    from tests.browser.conftest import CHROMIUM, FLAGS, missing

    reason = missing()
    if reason:
        raise SystemExit(f"screenshots: {reason}")
    with tempfile.TemporaryDirectory(prefix="wskit-shots-") as tmp:
        base = Path(tmp)
        with lab_server(copy_notebooks(base / "notebooks"), base / "jupyter") as lab:
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
                try:
                    for path in await capture(browser, lab, out):
                        print(f"screenshots: wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
                finally:
                    await browser.close()


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else ROOT / "docs" / "img"
    asyncio.run(_main(out.resolve()))


if __name__ == "__main__":
    main()
