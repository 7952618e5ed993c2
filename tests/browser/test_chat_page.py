"""The server's chat page in Chromium: a person types, the in-process server hears it, the page shows the reply."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

import wskit
from tests.browser.conftest import artifact

if TYPE_CHECKING:
    from playwright.async_api import Browser

pytestmark = pytest.mark.browser


async def test_chat_page_round_trip(browser: Browser) -> None:
    server = wskit.WebsocketServerTransport(wskit.WebsocketServerParams(html=wskit.CHAT_PAGE), port=0)
    heard: list[str] = []

    @server.event_handler("on_frame")
    async def reply(transport: Any, conn: wskit.Connection, frame: wskit.Frame) -> None:
        assert isinstance(frame, wskit.TextFrame)
        heard.append(frame.text)
        await conn.send_text(f"echo: {frame.text}")

    await server.start()
    page = await browser.new_page()
    favicons: list[str] = []
    page.on("request", lambda request: favicons.append(request.url) if "favicon" in request.url else None)
    await page.goto(server.url.replace("ws://", "http://", 1))
    await page.wait_for_function("document.getElementById('status').textContent.startsWith('connected')")

    for text in ("hello from Chromium", "<b>not bold</b>"):
        await page.fill("#messageText", text)
        await page.click("#send")
        await page.locator("#messages li.in", has_text=f"echo: {text}").wait_for(timeout=10_000)

    assert heard == ["hello from Chromium", "<b>not bold</b>"]
    shown = await page.locator("#messages li").all_text_contents()
    assert shown == [
        "→ hello from Chromium",
        "← echo: hello from Chromium",
        "→ <b>not bold</b>",
        "← echo: <b>not bold</b>",
    ]
    assert await page.locator("#messages b").count() == 0  # text stays text: no markup injected
    await page.screenshot(path=artifact("chat_page.png"), full_page=True)

    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    await server.stop()  # 1001 going away: the page says so, and its form stops taking messages
    await page.wait_for_function("document.getElementById('status').textContent.includes('1001')")
    assert await page.locator("#messageText").is_disabled() and await page.locator("#send").is_disabled()
    reconnect = page.get_by_role("button", name="Reconnect")
    await reconnect.wait_for(state="visible")
    await page.screenshot(path=artifact("chat_page_closed.png"), full_page=True)

    # the server comes back on the same port: Reconnect opens a new socket and the form works again
    port = int(server.url.rsplit(":", 1)[1].strip("/"))
    again = wskit.WebsocketServerTransport(wskit.WebsocketServerParams(html=wskit.CHAT_PAGE), port=port)
    again.add_event_handler("on_frame", reply)
    await again.start()
    await reconnect.click()
    await page.wait_for_function("document.getElementById('status').textContent.startsWith('connected')")
    assert await reconnect.is_hidden() and not await page.locator("#messageText").is_disabled()
    await page.fill("#messageText", "back again")
    await page.click("#send")
    await page.locator("#messages li.in", has_text="echo: back again").wait_for(timeout=10_000)
    assert favicons == []  # the page names an inline icon: no GET /favicon.ico to log as a failed upgrade
    await again.stop()
