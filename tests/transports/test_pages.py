"""The page a server serves at plain HTTP ``GET /`` (opt-in), next to WebSocket upgrades on ``/``."""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.request

import pytest
from websockets.asyncio.client import connect

import wskit
from tests.transports.test_server import echo_server


async def http_get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    """A plain HTTP GET (in a thread: urllib blocks), as a browser's first request."""

    def get() -> tuple[int, dict[str, str], str]:
        request = urllib.request.Request(url, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, dict(exc.headers), exc.read().decode()

    return await asyncio.to_thread(get)


def http_url(server: wskit.WebsocketServerTransport, path: str = "/") -> str:
    return server.url.replace("ws://", "http://").rstrip("/") + path


async def test_plain_get_returns_the_chat_page() -> None:
    server = await echo_server(html=wskit.CHAT_PAGE)
    status, headers, body = await http_get(http_url(server))
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert body == wskit.CHAT_PAGE
    assert "location.host" in body and "textContent" in body and "innerHTML" not in body


async def test_query_string_still_gets_the_page() -> None:
    server = await echo_server(html="<p>hi</p>")
    status, _, body = await http_get(http_url(server, "/?ws=/chat&token=t"))
    assert (status, body) == (200, "<p>hi</p>")


async def test_websocket_on_slash_still_works_with_a_page() -> None:
    server = await echo_server(html=wskit.CHAT_PAGE)
    async with connect(server.url) as ws:
        await ws.send("hello")
        assert await asyncio.wait_for(ws.recv(), 5) == "hello"


@pytest.mark.xfail(
    strict=True,
    reason="a plain GET without Upgrade (a browser's /favicon.ico after the page) is logged at WARNING as "
    "'opening handshake failed … InvalidUpgrade: invalid Connection header' and emitted as a "
    "rejection: the handshake-failure path in wskit/transports/server.py should answer it (404/426) quietly",
)
async def test_a_browsers_plain_get_of_another_path_is_not_a_failed_handshake(caplog: pytest.LogCaptureFixture) -> None:
    server = await echo_server(html="<p>hi</p>")
    rejected = []
    server.events.subscribe(lambda event: rejected.append(event) if event.kind == "rejected" else None)
    with caplog.at_level("WARNING", logger="wskit"):
        browser_asks = {"Connection": "keep-alive", "Accept": "image/*"}
        status, _, _ = await http_get(http_url(server, "/favicon.ico"), browser_asks)
        await asyncio.sleep(0.1)
    assert status in (404, 426)
    assert "opening handshake failed" not in caplog.text and rejected == []


async def test_other_paths_are_not_the_page() -> None:
    server = await echo_server(html="<p>hi</p>")
    status, _, body = await http_get(http_url(server, "/other"))
    assert status == 426 and "<p>hi</p>" not in body


@pytest.mark.parametrize("upgrade", ["websocket", "WebSocket", "h2c, websocket"])
async def test_a_request_asking_for_the_upgrade_is_not_answered_with_the_page(upgrade: str) -> None:
    server = await echo_server(html="<p>hi</p>")
    # an upgrade request missing the rest of the handshake (urllib sends Connection: close):
    # websockets refuses it as it would without a page
    status, _, body = await http_get(http_url(server), {"Upgrade": upgrade})
    assert status in (400, 426) and "<p>hi</p>" not in body


async def test_no_page_unless_enabled() -> None:
    server = await echo_server()
    status, _, _ = await http_get(http_url(server))
    assert status == 426  # Upgrade Required, as websockets answers by default


async def test_page_is_served_before_routes_and_auth() -> None:
    def deny(conn: wskit.Connection) -> None:
        raise wskit.HTTPReject(401, "token needed")

    server = wskit.WebsocketServerTransport(wskit.WebsocketServerParams(html="<p>hi</p>", auth=deny), port=0)

    @server.route("/chat")
    async def chat(websocket: wskit.WebSocket) -> None:
        await websocket.accept()

    await server.start()
    assert (await http_get(http_url(server)))[0] == 200
    assert (await http_get(http_url(server, "/chat"), {"Upgrade": "websocket"}))[0] == 401
