"""Pages with their assets: the audio page's files, its URL, and serving it from the server's port."""

from __future__ import annotations

import asyncio
import re

import pytest

import wskit
from tests.conftest import eventually
from tests.transports.test_pages import http_get, http_url
from tests.transports.test_server import echo_server
from wskit.pages import Asset

JS = "text/javascript; charset=utf-8"


class TestAudioPageFiles:
    def test_the_page_loads_only_its_own_assets(self) -> None:
        page = wskit.AUDIO_PAGE
        assert set(page.assets) == {
            "/wskit/audio.js",
            "/wskit/pcm.js",
            "/wskit/capture-worklet.js",
            "/wskit/playback-worklet.js",
        }
        assert all(asset.content_type == JS for asset in page.assets.values())
        assert '<script type="module" src="/wskit/audio.js"></script>' in page.html
        for text in (page.html, *(asset.text for asset in page.assets.values())):  # no CDN, nothing from elsewhere
            assert not re.search(r"(https?:)?//(?!127\.0\.0\.1|localhost)[\w.-]+\.\w+/", text)
        for path, asset in page.assets.items():  # every import and worklet module is one of the assets
            for target in re.findall(r'from "\./([\w-]+\.js)"', asset.text):
                assert f"/wskit/{target}" in page.assets, (path, target)
        for module in re.findall(r'addModule\("([^"]+)"\)', page.assets["/wskit/audio.js"].text):
            assert module in page.assets

    def test_peer_text_is_never_html(self) -> None:
        texts = [wskit.AUDIO_PAGE.html, *(a.text for a in wskit.AUDIO_PAGE.assets.values())]
        assert not any(
            w in t for t in texts for w in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write")
        )
        assert "textContent" in wskit.AUDIO_PAGE.assets["/wskit/audio.js"].text


class TestUrl:
    def test_from_a_url(self) -> None:
        page = wskit.AUDIO_PAGE
        assert page.url("ws://127.0.0.1:8765/") == "http://127.0.0.1:8765/"
        assert page.url("wss://[::1]:9000/chat?x=1", rate=8000) == "https://[::1]:9000/?rate=8000"
        assert page.url("ws://h:1/", format="protobuf", stamp=None, ws="ws://127.0.0.1:2/") == (
            "http://h:1/?format=protobuf&ws=ws%3A%2F%2F127.0.0.1%3A2%2F"
        )

    async def test_from_a_server(self) -> None:
        server = await echo_server(html=wskit.AUDIO_PAGE)
        port = server.listen_address[1] if server.listen_address else 0
        assert wskit.AUDIO_PAGE.url(server, rate=16000) == f"http://127.0.0.1:{port}/?rate=16000"

    def test_not_a_websocket_url(self) -> None:
        with pytest.raises(ValueError, match="not a ws://"):
            wskit.AUDIO_PAGE.url("ftp://x/")


class TestPage:
    @pytest.mark.parametrize("path", ["app.js", "/", "/a.js?v=1"])
    def test_asset_paths_are_absolute_files(self, path: str) -> None:
        with pytest.raises(ValueError, match="asset paths"):
            wskit.Page("<p>hi</p>", {path: Asset(JS, "")})

    def test_repr_is_short(self) -> None:
        assert repr(wskit.Page("<p>hi</p>")) == "<Page: 9 chars of HTML, assets none>"
        assert repr(wskit.AUDIO_PAGE).endswith(
            "assets /wskit/audio.js, /wskit/pcm.js, /wskit/capture-worklet.js, /wskit/playback-worklet.js>"
        )

    async def test_every_asset_is_served_with_its_type(self) -> None:
        server = await echo_server(html=wskit.AUDIO_PAGE)
        status, headers, body = await http_get(http_url(server, "/?rate=8000"))
        assert (status, headers["Content-Type"], body) == (200, "text/html; charset=utf-8", wskit.AUDIO_PAGE.html)
        for path, asset in wskit.AUDIO_PAGE.assets.items():
            status, headers, body = await http_get(http_url(server, path))
            assert (status, headers["Content-Type"], body) == (200, JS, asset.text)
            assert headers["Cache-Control"] == "no-store"

    async def test_other_paths_and_upgrades_are_not_assets(self) -> None:
        page = wskit.Page("<p>hi</p>", {"/app.js": Asset(JS, "export {};")})
        server = await echo_server(html=page)
        assert (await http_get(http_url(server, "/app.js")))[2] == "export {};"
        assert (await http_get(http_url(server, "/other.js")))[0] == 426
        assert (await http_get(http_url(server, "/app.js"), {"Upgrade": "websocket"}))[0] in (400, 426)

    async def test_serving_a_page_is_not_a_failed_upgrade(self) -> None:
        server = await echo_server(html=wskit.AUDIO_PAGE)
        rejected: list[wskit.Event] = []
        server.events.subscribe(lambda e: rejected.append(e) if e.kind is wskit.EventKind.REJECTED else None)
        await http_get(http_url(server))
        await http_get(http_url(server, "/wskit/pcm.js"))
        await http_get(http_url(server, "/missing"))  # 426 from websockets: that one is reported
        await eventually(lambda: rejected)
        await asyncio.sleep(0.1)
        assert [e.code for e in rejected] == [426]
