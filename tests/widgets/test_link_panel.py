"""LinkPanel driven as a person would: sliders moved by ``.value``, buttons pressed by ``.click()``."""

from __future__ import annotations

import asyncio
import html
import re
import time
from collections.abc import AsyncIterator

import pytest

import wskit
from tests.conftest import eventually
from wskit.impair import Link
from wskit.widgets import LinkPanel


def text_of(widget_html: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", widget_html))


@pytest.fixture
async def echo() -> AsyncIterator[wskit.WebsocketServerTransport]:
    server = wskit.WebsocketServerTransport(wskit.WebsocketServerParams(ping_interval=None), port=0)

    @server.event_handler("on_frame")
    async def reply(transport: wskit.WebsocketServerTransport, conn: wskit.Connection, frame: wskit.Frame) -> None:
        await conn.send(frame)

    await server.start()
    yield server


async def round_trip(client: wskit.WebsocketClientTransport, replies: object) -> float:
    start = time.monotonic()
    await client.send_text("x")
    await replies.get(timeout=5)  # type: ignore[attr-defined]
    return (time.monotonic() - start) * 1000


@pytest.mark.timeout(30)
async def test_sliders_change_the_link_while_traffic_flows(echo: wskit.WebsocketServerTransport) -> None:
    async with Link(echo.url) as link:
        panel = LinkPanel(link)
        assert "forwarding" in text_of(panel.badge.value)
        client = wskit.WebsocketClientTransport(link.url, wskit.WebsocketClientParams(ping_interval=None))
        replies = client.frames()
        await client.start()
        assert await round_trip(client, replies) < 40
        panel.latency.value = 40  # both ways
        assert link.up.latency_ms == link.down.latency_ms == 40
        assert 80 <= await round_trip(client, replies) < 250  # never less than the latency; a busy machine adds
        panel.direction.value = "down"
        panel.latency.value = 0  # down only: the round trip keeps the 40 ms up
        assert (link.up.latency_ms, link.down.latency_ms) == (40, 0)
        assert 40 <= await round_trip(client, replies) < 200
        panel.direction.value = "up"
        assert panel.latency.value == 40  # the sliders show the direction picked
        panel.jitter.value = 10
        panel.limited.value = True
        panel.bandwidth.value = 256
        assert (link.up.jitter_ms, link.up.bandwidth_kbps, link.down.bandwidth_kbps) == (10, 256, None)
        panel.limited.value = False
        assert link.up.bandwidth_kbps is None
        assert "up: 40 ms ± 10 ms, no limit" in text_of(panel.status.value)
        await eventually(lambda: "current delay" in text_of(panel.counters.value))
        panel.refresh()
        counters = text_of(panel.counters.value)
        assert "up (client → server)" in counters and "40 ± 10 ms" in counters
        assert f"{link.stats.bytes_up:,} B" in counters
        await client.stop()
        panel.close()


@pytest.mark.timeout(30)
async def test_stall_resume_and_drop_buttons(echo: wskit.WebsocketServerTransport) -> None:
    async with Link(echo.url) as link:
        panel = LinkPanel(link)
        codes: list[int | None] = []
        client = wskit.WebsocketClientTransport(link.url, wskit.WebsocketClientParams(ping_interval=None))
        client.add_event_handler("on_disconnected", lambda t, conn: codes.append(conn.close_code))
        replies = client.frames()
        await client.start()
        panel.stall_seconds.value = 30
        panel.stall_button.click()
        assert link.stats.held == ("up", "down")
        assert "stalled" in text_of(panel.badge.value) and "stalled for 30 s" in text_of(panel.status.value)
        await client.send_text("waits")
        with pytest.raises(TimeoutError):
            await replies.get(timeout=0.3)
        panel.resume_button.click()
        assert "forwarding" in text_of(panel.badge.value)
        assert (await replies.get(timeout=5)).text == "waits"  # type: ignore[attr-defined]
        panel.drop_button.click()
        await eventually(lambda: codes == [1006])
        assert "every connection was reset" in text_of(panel.status.value)
        panel.close()
    panel.refresh()
    assert "stopped" in text_of(panel.badge.value)
    assert "wskit-idle" in panel.badge.value  # grey like a stopped server, not a closed connection's colour


async def test_a_failing_action_shows_in_the_panel_and_a_non_link_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    link = Link(("127.0.0.1", 9))
    panel = LinkPanel(link)

    def broken() -> None:
        raise OSError("the socket said no")

    monkeypatch.setattr(link, "drop", broken)
    panel.drop_button.click()
    assert "Drop: OSError: the socket said no" in text_of(panel.status.value)
    with pytest.raises(TypeError, match=r"LinkPanel needs a wskit\.impair\.Link"):
        LinkPanel("ws://127.0.0.1:1/")  # type: ignore[arg-type]
    await asyncio.sleep(0)
    panel.close()
