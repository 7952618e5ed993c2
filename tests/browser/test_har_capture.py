"""A HAR made by Chromium itself, on the chat page, imported as a cassette and replayed.

Headless Chromium cannot save a HAR from DevTools' menu, so the test listens to
the same Chrome DevTools Protocol events DevTools builds its HAR from
(``Network.webSocketCreated``, ``…WillSendHandshakeRequest``,
``…HandshakeResponseReceived``, ``…FrameSent`` / ``…FrameReceived``) through
Playwright's CDP session, and writes the entry the way DevTools does: one
entry per socket, ``_resourceType: "websocket"``, and ``_webSocketMessages``
whose ``time`` is the frame's monotonic timestamp turned into wall time from
the handshake's ``wallTime`` (DevTools' "pseudo wall time").
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import wskit
import wskit.testing as wt
from tests.browser.conftest import artifact

if TYPE_CHECKING:
    from playwright.async_api import Browser

pytestmark = [pytest.mark.browser, pytest.mark.timeout(60)]


class DevToolsHar:
    """The WebSocket part of DevTools' HAR writer, fed CDP Network events."""

    def __init__(self) -> None:
        self.sockets: dict[str, dict[str, Any]] = {}

    def on(self, event: str, params: dict[str, Any]) -> None:
        socket = self.sockets.setdefault(params["requestId"], {"frames": []})
        if event == "Network.webSocketCreated":
            socket["url"] = params["url"]
        elif event == "Network.webSocketWillSendHandshakeRequest":
            socket["timestamp"], socket["wallTime"] = params["timestamp"], params["wallTime"]
            socket["request_headers"] = params["request"]["headers"]
        elif event == "Network.webSocketHandshakeResponseReceived":
            socket["response"] = params["response"]
        elif event in ("Network.webSocketFrameSent", "Network.webSocketFrameReceived"):
            kind = "send" if event.endswith("Sent") else "receive"
            socket["frames"].append((kind, params["timestamp"], params["response"]))

    def har(self) -> dict[str, Any]:
        entries = []
        for socket in self.sockets.values():
            start, wall = socket["timestamp"], socket["wallTime"]
            response = socket.get("response", {})
            entries.append(
                {
                    "startedDateTime": datetime.fromtimestamp(wall, UTC).isoformat(timespec="milliseconds"),
                    "time": 0,
                    "request": {
                        "method": "GET",
                        "url": socket["url"],
                        "httpVersion": "HTTP/1.1",
                        "headers": [{"name": k, "value": v} for k, v in socket["request_headers"].items()],
                        "queryString": [],
                        "cookies": [],
                        "headersSize": -1,
                        "bodySize": 0,
                    },
                    "response": {
                        "status": response.get("status", 0),
                        "statusText": response.get("statusText", ""),
                        "httpVersion": "HTTP/1.1",
                        "headers": [{"name": k, "value": v} for k, v in response.get("headers", {}).items()],
                        "cookies": [],
                        "content": {"size": 0, "mimeType": "x-unknown"},
                        "redirectURL": "",
                        "headersSize": -1,
                        "bodySize": 0,
                    },
                    "cache": {},
                    "timings": {"blocked": -1, "dns": -1, "connect": -1, "send": 0, "wait": 0, "receive": 0},
                    "_resourceType": "websocket",
                    "_webSocketMessages": [
                        {
                            "type": kind,
                            "time": wall + (ts - start),
                            "opcode": frame["opcode"],
                            "data": frame["payloadData"],
                        }
                        for kind, ts, frame in socket["frames"]
                    ],
                }
            )
        return {
            "log": {
                "version": "1.2",
                "creator": {"name": "WebInspector", "version": "537.36"},
                "pages": [],
                "entries": entries,
            }
        }


def chat_server(prefix: str = "echo") -> wskit.WebsocketServerTransport:
    server = wskit.WebsocketServerTransport(wskit.WebsocketServerParams(html=wskit.CHAT_PAGE), port=0)

    @server.event_handler("on_frame")
    async def reply(transport: Any, conn: wskit.Connection, frame: wskit.Frame) -> None:
        if isinstance(frame, wskit.TextFrame):
            await conn.send_text(f"{prefix}: {frame.text}")
        elif isinstance(frame, wskit.BinaryFrame):
            await conn.send_bytes(frame.data[::-1])

    return server


async def test_a_chromium_har_is_imported_and_replayed(browser: Browser, tmp_path: Path) -> None:
    server = chat_server()
    await server.start()
    page = await browser.new_page()
    capture = DevToolsHar()
    cdp = await page.context.new_cdp_session(page)
    for name in (
        "Network.webSocketCreated",
        "Network.webSocketWillSendHandshakeRequest",
        "Network.webSocketHandshakeResponseReceived",
        "Network.webSocketFrameSent",
        "Network.webSocketFrameReceived",
    ):
        cdp.on(name, lambda params, name=name: capture.on(name, params))
    await cdp.send("Network.enable")

    await page.goto(server.url.replace("ws://", "http://", 1) + "?ws=/chat%3Froom%3Dblue")
    await page.wait_for_function("document.getElementById('status').textContent.startsWith('connected')")
    for text in ("hello from Chromium", '{"op": "join", "n": 1}'):
        await page.fill("#messageText", text)
        await page.click("#send")
        await page.locator("#messages li.in", has_text=f"echo: {text}").wait_for(timeout=10_000)
    # a second socket from the same page, with a binary message (opcode 2: DevTools stores base64)
    reply = await page.evaluate(
        """(url) => new Promise((resolve) => {
            const ws = new WebSocket(url);
            ws.binaryType = "arraybuffer";
            ws.onopen = () => ws.send(new Uint8Array([0, 1, 2, 255]));
            ws.onmessage = (e) => { resolve(Array.from(new Uint8Array(e.data))); ws.close(1000); };
        })""",
        server.url + "bytes",
    )
    assert reply == [255, 2, 1, 0]
    await page.wait_for_timeout(100)

    har_path = artifact("chromium_chat.har")
    har_path.write_text(json.dumps(capture.har(), indent=1))
    session = wt.Session.load(har_path)

    chat, binary = session.conversations
    assert (chat.handshake.path, chat.handshake.query) == ("/chat", "room=blue")
    assert chat.handshake.headers["origin"] == server.url.replace("ws://", "http://", 1).rstrip("/")
    assert [str(s) for s in chat.messages] == [
        "client TEXT 'hello from Chromium' [19 bytes]",
        "server TEXT 'echo: hello from Chromium' [25 bytes]",
        """client TEXT '{"op": "join", "n": 1}' [22 bytes]""",
        """server TEXT 'echo: {"op": "join", "n": 1}' [28 bytes]""",
    ]
    assert [(s.sender, s.data) for s in binary.messages] == [
        ("client", b"\x00\x01\x02\xff"),
        ("server", b"\xff\x02\x01\x00"),
    ]
    assert 0 <= chat.messages[0].t < chat.messages[1].t < chat.messages[3].t < 30  # pseudo wall times, in order

    result = await wt.replay(session, server.url)  # the browser's conversation, replayed by wskit
    assert result.ok and len(result.session.messages) == 6
    session.save(tmp_path / "chromium.jsonl")
    await server.stop()

    changed = chat_server(prefix="heard")
    await changed.start()
    with pytest.raises(wt.ReplayMismatch) as failure:
        await wt.replay(wt.Session.load(tmp_path / "chromium.jsonl"), changed.url)
    assert str(failure.value).splitlines()[:3] == [
        f"{tmp_path / 'chromium.jsonl'}:5: connection 1 (/chat?room=blue), message 2 of 4, from the server:",
        "  expected: TEXT 'echo: hello from Chromium' [25 bytes]",
        "  got:      TEXT 'heard: hello from Chromium' [26 bytes]",
    ]
    await changed.stop()
