"""The event log's "Save session" button: what the log saw becomes a cassette that replays."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest

import wskit
import wskit.testing as wt
from tests.conftest import eventually
from wskit.widgets import EventLog

pytestmark = pytest.mark.timeout(30)


def text_of(widget_html: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", widget_html))


def saved(folder: Path) -> Path:
    (path,) = folder.glob("wskit-session-*.jsonl")
    return path


async def test_save_session_writes_a_cassette_that_replays(tmp_path: Path) -> None:
    server = wskit.WebsocketServerTransport(port=0)

    @server.event_handler("on_frame")
    async def shout(transport: Any, conn: wskit.Connection, frame: wskit.Frame) -> None:
        assert isinstance(frame, wskit.TextFrame)
        await conn.send_text(frame.text.upper())

    await server.start()
    client = wskit.WebsocketClientTransport(server.url + "room?token=s3cret")
    log = EventLog([server, client], export_dir=tmp_path)  # both ends of one socket: saved once
    await client.start()
    for text in ("hello", "bye"):
        await client.send_text(text)
        await client.expect_text(text.upper())
    await client.stop(1000, "done")
    await eventually(lambda: any(c.close is not None for c in log.recording.conversations))

    log.save_session_button.click()
    path = saved(tmp_path)
    assert text_of(log.status.value) == f"saved 1 connection(s), 4 message(s) to {path}"
    session = wt.Session.load(path)
    assert session.conversations[0].handshake.target == "/room?token=***"
    assert [str(s) for s in session.messages] == [
        "client TEXT 'hello' [5 bytes]",
        "server TEXT 'HELLO' [5 bytes]",
        "client TEXT 'bye' [3 bytes]",
        "server TEXT 'BYE' [3 bytes]",
    ]
    assert (await wt.replay(session, server.url, secrets={"token": "x"})).ok
    log.close()
    assert not log.recording.recording
    await server.stop()


def test_a_failed_save_says_so(tmp_path: Path) -> None:
    log = EventLog()
    taken = tmp_path
    assert log.save_session(taken) is None  # a folder: cannot be written as a file
    assert "save session" in text_of(log.status.value)
    log.close()
