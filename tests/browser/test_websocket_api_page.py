"""wire.BROWSER_PAGE in Chromium: the browser's WebSocket API as notebook 6 describes it.

readyState transitions, the event order, CloseEvent fields, binaryType,
bufferedAmount, what a page cannot do (headers, close codes), and a
cross-site WebSocket hijacking attempt that ``origins=`` refuses while an
unguarded server lets it in with the victim's cookie.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Any

import pytest

import wskit
from tests.browser.conftest import artifact
from wskit import wire

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

pytestmark = [pytest.mark.browser, pytest.mark.timeout(90)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def echo_server(**params: Any) -> tuple[wskit.WebsocketServerTransport, list[dict[str, Any]]]:
    """An echo server serving the page; it records what each handshake carried."""
    port = params.pop("port", 0)
    server = wskit.WebsocketServerTransport(
        wskit.WebsocketServerParams(html=wire.BROWSER_PAGE, ping_interval=None, **params), port=port
    )
    seen: list[dict[str, Any]] = []

    @server.event_handler("on_client_connected")
    def record(transport: Any, conn: wskit.Connection) -> None:
        seen.append(
            {
                "origin": conn.headers.get("origin"),
                "cookie": conn.cookies.get("session"),
                "authorization": conn.headers.get("authorization"),
                "token": conn.query_params.get("token"),
            }
        )

    @server.event_handler("on_frame")
    async def echo(transport: Any, conn: wskit.Connection, frame: wskit.Frame) -> None:
        await conn.send(frame)

    return server, seen


async def report_of(page: Page) -> dict[str, Any]:
    await page.wait_for_function("window.wsReport && window.wsReport.done", timeout=30_000)
    report: dict[str, Any] = await page.evaluate("window.wsReport")
    return report


async def test_the_page_shows_the_api_live(browser: Browser) -> None:
    server, seen = echo_server()
    await server.start()
    try:
        page = await browser.new_page()
        await page.goto(server.url.replace("ws://", "http://", 1) + "?token=t0k3n")
        report = await report_of(page)
        await page.screenshot(path=artifact("websocket_api_page.png"), full_page=True)
    finally:
        await server.stop()
    assert report["states"] == ["CONNECTING", "OPEN", "CLOSING", "CLOSED"]
    assert report["events"][0] == "open" and report["events"][-1] == "close" and "message" in report["events"]
    assert "error" not in report["events"]
    assert report["close"] == {"code": 4000, "reason": "done by the page", "wasClean": True}
    assert report["received"] == ["hello from the page"]
    assert report["binaryType"] == ["blob", "arraybuffer"]
    assert report["binaryKinds"] == ["Blob", "ArrayBuffer"]
    buffered = report["buffered"]
    assert 0 < buffered["after_sends"] <= buffered["bytes_sent"] == 64 * 65536  # queued, send() did not wait
    assert buffered["drained"] == 0 and buffered["echoed"] == 64
    assert report["limits"]["close_1008"] == "InvalidAccessError"
    # the header the page tried to set never reached the server; the query token did
    assert seen == [{"origin": report["origin"], "cookie": None, "authorization": None, "token": "t0k3n"}]
    shown = await page.locator("#log li").all_text_contents()
    assert "readyState 1 OPEN" in shown and any(line.startswith("close code=4000") for line in shown)


async def test_a_hijack_from_another_origin_is_refused_by_origins(browser: Browser) -> None:
    port = free_port()
    home = f"http://127.0.0.1:{port}"
    guarded, guarded_seen = echo_server(port=port, origins=[home])
    open_door, open_seen = echo_server()
    evil, _ = echo_server()  # serves the same page from another origin (another port: same site)
    for server in (guarded, open_door, evil):
        await server.start()
    try:
        context = await browser.new_context()
        victim = await context.new_page()
        await victim.goto(f"{home}/?session=alice")  # the user "logs in": a cookie for 127.0.0.1
        assert (await report_of(victim))["close"]["code"] == 4000
        assert guarded_seen[0]["cookie"] == "alice" and guarded_seen[0]["origin"] == home

        attacker = evil.url.replace("ws://", "http://", 1).rstrip("/")
        page = await context.new_page()
        await page.goto(f"{attacker}/?mode=hijack&ws={guarded.url}")
        refused = await report_of(page)
        assert refused["events"] == ["error", "close"]
        assert refused["close"]["code"] == 1006 and refused["close"]["wasClean"] is False
        assert len(guarded_seen) == 1  # the guarded server never admitted the attacker's page

        page = await context.new_page()
        await page.goto(f"{attacker}/?mode=hijack&ws={open_door.url}")
        let_in = await report_of(page)
        assert let_in["events"][0] == "open" and let_in["close"]["code"] == 1000
        # without an origin check the browser's cookie made the attacker's page "alice"
        assert open_seen == [{"origin": attacker, "cookie": "alice", "authorization": None, "token": None}]
        await context.close()
    finally:
        for server in (guarded, open_door, evil):
            await server.stop()
