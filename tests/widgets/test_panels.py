"""The panels driven as a person would (clicks, typed values) against a live server on loopback.

No kernel: ipywidgets falls back to a dummy comm, and ``button.click()`` runs
the handlers. Every assertion is on what a widget shows (its ``.value``).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import wskit
from tests.conftest import eventually
from wskit.events import Direction, Event, EventKind
from wskit.frames import Frame, TextFrame
from wskit.serializers import AudioFormat
from wskit.widgets import ClientPanel, Composer, EventLog, SerializerLab, ServerPanel


def shown_rows(log: EventLog) -> list[str]:
    """The log table as a person reads it: one line per row, cells joined by ' | '."""
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", log.table.value)[1:]  # skip the heading
    return [" | ".join(html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r))
            for r in rows]  # fmt: skip


def text_of(widget_html: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", widget_html))


@pytest.fixture
async def server() -> AsyncIterator[wskit.WebsocketServerTransport]:
    server = wskit.WebsocketServerTransport(port=0)

    @server.event_handler("on_frame")
    async def echo(transport: wskit.WebsocketServerTransport, conn: wskit.Connection, frame: Frame) -> None:
        await conn.send(frame)

    await server.start()
    yield server
    await server.stop()


def load_exported(log: EventLog, folder: Path, suffix: str) -> Any:
    """The file the log's status line names (it must be in ``folder``), parsed."""
    (path,) = folder.glob("*" + suffix)
    assert text_of(log.status.value).endswith(f"rows to {path}")
    return json.loads(path.read_text())


def seq_of(log: EventLog, needle: str) -> int:
    return next(int(row.split(" | ")[0]) for row in shown_rows(log) if needle in row)


async def test_client_panel_connect_send_ping_close(server: wskit.WebsocketServerTransport, tmp_path: Path) -> None:
    panel = ClientPanel(server.url)
    log, composer = panel.event_log, panel.composer
    panel.query.value = "room=1"
    panel.token.value = "s3cret"
    panel.connect_button.click()
    await eventually(lambda: panel.state == "open")
    assert "open" in panel.badge.value
    assert "s3cret" not in text_of(panel.status.value) and "token=***" in text_of(panel.status.value)
    assert server.clients[0].query_params["token"] == "s3cret"
    assert server.clients[0].query_params["room"] == "1"

    # text
    composer.message.value = "hello"
    composer.send_button.click()
    await eventually(lambda: sum("TEXT 'hello'" in r for r in shown_rows(log)) == 2)
    out, back = [r for r in shown_rows(log) if "'hello'" in r]
    assert "→ out" in out and "← in" in back

    # JSON: checked as typed, prettified, sent
    composer.mode.value = "JSON"
    composer.message.value = '{"a": [1, 2'
    assert "invalid JSON at line 1, column 12" in text_of(composer.check.value)
    composer.message.value = '{"a": [1, 2]}'
    assert text_of(composer.check.value) == "valid JSON"
    composer.prettify_button.click()
    assert composer.message.value == '{\n  "a": [\n    1,\n    2\n  ]\n}'
    composer.send_button.click()
    await eventually(lambda: sum('{"a":[1,2]}' in r for r in shown_rows(log)) == 2)

    # binary as hex, as a frame through the serializer
    composer.mode.value = "hex"
    composer.message.value = "de ad be ef"
    composer.send_as.value = "frame"
    composer.send_button.click()
    await eventually(lambda: sum("BINARY de ad be ef [4 bytes]" in r for r in shown_rows(log)) == 2)

    # click a row: its payload in full
    log.row.value = seq_of(log, '{"a":[1,2]}')
    assert "payload (JSON)" in text_of(log.details.value)
    assert '"a": [\n    1,' in text_of(log.details.value)
    log.row.value = seq_of(log, "de ad be ef")
    assert "00000000  de ad be ef" in text_of(log.details.value)

    # filters and search
    log.direction.value = "in"
    assert shown_rows(log) and all("← in" in r for r in shown_rows(log))
    log.direction.value = "all"
    log.search.value = "DEAD"
    assert len(shown_rows(log)) == 2
    log.search.value = ""
    log.kind.value = "connected"
    assert len(shown_rows(log)) == 1
    log.kind.value = "all"

    # ping shows a latency
    composer.ping_button.click()
    await eventually(lambda: re.search(r"ping: \d+\.\d\d ms", text_of(composer.latency.value)))

    # export
    log.export_dir = tmp_path
    log.export_json_button.click()
    rows = load_exported(log, tmp_path, ".json")
    assert [r["opcode"] for r in rows if r["kind"] == "message"] == ["TEXT", "TEXT", "TEXT", "TEXT", "BINARY", "BINARY"]
    assert rows[0]["kind"] == "connected" and rows[0]["role"] == "client"
    log.export_har_button.click()
    messages = load_exported(log, tmp_path, ".har")["log"]["entries"][0]["_webSocketMessages"]
    assert [(m["type"], m["opcode"]) for m in messages][:2] == [("send", 1), ("receive", 1)]
    assert messages[-1]["data"] == "3q2+7w=="

    # close with 4001: the badge says so
    composer.close_code.value = 4001
    composer.close_reason.value = "bye"
    seen: list[str] = []
    panel.badge.observe(lambda _c: seen.append(panel.state), names="value")
    composer.close_button.click()
    await eventually(lambda: panel.state == "closed 4001 'bye'")
    assert seen == ["closing", "closed 4001 'bye'"]
    assert "4001" in panel.badge.value
    await eventually(lambda: any("disconnected" in r and "code=4001" in r for r in shown_rows(log)))

    # Send when closed: the error shows in the panel
    composer.send_button.click()
    await eventually(lambda: "not connected" in text_of(composer.status.value))
    log.clear_button.click()
    assert shown_rows(log) == []


async def test_client_panel_authorization_header_and_disconnect(server: wskit.WebsocketServerTransport) -> None:
    seen: list[str | None] = []
    server.add_event_handler("on_client_connected", lambda t, c: seen.append(c.headers.get("authorization")))
    panel = ClientPanel(wskit.WebsocketClientTransport(server.url))
    panel.token.value = "t0k"
    panel.token_in.value = "Authorization: Bearer"
    panel.headers.value = "X-Team: blue"
    panel.connect_button.click()
    await eventually(lambda: panel.state == "open")
    assert seen == ["Bearer t0k"]
    assert server.clients[0].headers["x-team"] == "blue"
    panel.disconnect_button.click()
    await eventually(lambda: panel.state == "closed 1000 'client stopping'")


async def test_client_panel_offers_subprotocols() -> None:
    server = wskit.WebsocketServerTransport(wskit.WebsocketServerParams(subprotocols=["chat.v2"]), port=0)
    await server.start()
    panel = ClientPanel(server.url)
    panel.subprotocols.value = "chat.v1, chat.v2"
    panel.connect_button.click()
    await eventually(lambda: panel.state == "open (chat.v2)")
    await server.stop()


async def test_client_panel_shows_a_failed_connect_and_reconnect_attempts() -> None:
    params = wskit.WebsocketClientParams(reconnect=True, max_reconnect_attempts=3, reconnect_min_delay=0.01)
    panel = ClientPanel(wskit.WebsocketClientTransport("ws://127.0.0.1:9/", params))  # discard port: refused
    seen: list[str] = []
    panel.badge.observe(lambda _c: seen.append(panel.state), names="value")
    panel.connect_button.click()
    await eventually(lambda: panel.state == "failed")
    assert seen[0] == "connecting"
    assert "reconnecting 2/3" in seen and "reconnecting 3/3" in seen
    assert "ConnectError" in text_of(panel.status.value) and "traceback" in text_of(panel.status.value)

    panel.headers.value = "no colon here"
    panel.connect_button.click()
    assert "header line 1 is not 'Name: value'" in text_of(panel.status.value)


async def test_server_panel_lists_broadcasts_and_kicks(server: wskit.WebsocketServerTransport) -> None:
    panel = ServerPanel(server)
    assert "listening" in panel.badge.value and server.url in text_of(panel.facts.value)
    first = ClientPanel(server.url)
    second = wskit.WebsocketClientTransport(server.url)
    received = second.frames()
    first.connect_button.click()
    await eventually(lambda: first.state == "open")
    await second.start()
    await eventually(lambda: len(panel.client.options) == 2)
    assert "2 client(s)" in text_of(panel.facts.value)
    # with no traffic the table still counts connected time up, once a second
    await eventually(lambda: "<td>1 s</td>" in panel.clients.value, timeout=3)

    panel.broadcast.message.value = "to all"
    panel.broadcast.send_button.click()
    assert str(await received.get(timeout=3)) == "TEXT 'to all' [6 bytes]"
    await eventually(lambda: any("TEXT 'to all'" in r and "← in" in r for r in shown_rows(first.event_log)))
    assert text_of(panel.broadcast.status.value) == "broadcast to 2 clients"
    await eventually(lambda: text_of(panel.clients.value).count("6 B") == 2)  # bytes out, per client

    first_id = server.clients[0].id
    panel.client.value = first_id
    panel.kick_code.value = 4002
    panel.kick_reason.value = "out you go"
    panel.kick_button.click()
    await eventually(lambda: first.state == "closed 4002 'out you go'")
    await eventually(lambda: len(panel.client.options) == 1)
    assert f"#{first_id}" not in text_of(panel.clients.value)
    assert any("disconnected" in r and "code=4002" in r for r in shown_rows(panel.event_log))

    panel.client.value = None
    panel.kick_button.click()
    assert "pick a connected client first" in text_of(panel.status.value)
    panel.broadcast.ping_button.click()
    await eventually(
        lambda: "ping:" in text_of(panel.broadcast.latency.value) and "ms" in panel.broadcast.latency.value
    )
    await second.stop()


class Upper:
    """A serializer as someone would write it in a notebook cell."""

    name = "Upper"

    def setup(self, params: object) -> None:
        self.params = params

    def serialize(self, frame: Frame) -> str | None:
        return frame.text.upper() if isinstance(frame, TextFrame) else None

    def deserialize(self, data: str | bytes) -> Frame:
        if not isinstance(data, str):
            raise ValueError("Upper only reads text")
        return TextFrame(data.lower())


async def test_serializer_lab_round_trips_and_attaches(server: wskit.WebsocketServerTransport) -> None:
    lab = SerializerLab(Upper, transport=server)
    assert lab.choice.value == "Upper (yours)"
    lab.text.value = "hi"
    await eventually(lambda: "round trip: all 3 fields equal" in text_of(lab.comparison.value))
    assert "text message · 2 bytes (UTF-8), 2 chars" in text_of(lab.encoded.value)
    assert "00000000  48 49" in text_of(lab.encoded.value)

    lab.text.value = "Hi"  # decodes to "hi": the comparison says so
    await eventually(lambda: "round trip: text differ" in text_of(lab.comparison.value))

    lab.kind.value = "audio (sine)"  # Upper cannot encode audio
    await eventually(lambda: "SerializerError" in text_of(lab.status.value))
    assert "returned None" in text_of(lab.status.value) and "traceback" in text_of(lab.status.value)

    lab.choice.value = "JsonSerializer"
    await eventually(lambda: "round trip: all 5 fields equal" in text_of(lab.comparison.value))
    assert re.search(r"AUDIO 320 frames × 1 ch @ 16000 Hz", text_of(lab.status.value))

    lab.kind.value = "binary (hex)"
    lab.text.value = "zz"
    await eventually(lambda: "invalid hex" in text_of(lab.status.value))

    # attach the notebook's serializer to the live server: the echo comes back upper-cased
    lab.choice.value = "Upper (yours)"
    lab.attach_button.click()
    await eventually(lambda: "attached Upper" in text_of(lab.status.value))
    assert isinstance(server.serializer, Upper)
    assert server.serializer.params == AudioFormat.from_params(server.params)  # told the audio format, not the params
    client = wskit.WebsocketClientTransport(server.url)
    replies = client.frames()
    await client.start()
    await client.send_text("shout")
    assert str(await replies.get(timeout=3)) == "TEXT 'SHOUT' [5 bytes]"
    await client.stop()

    lab.use(object())
    assert "not a serializer" in text_of(lab.status.value)


async def test_composer_alone_on_a_server_connection_and_templates(server: wskit.WebsocketServerTransport) -> None:
    client = wskit.WebsocketClientTransport(server.url)
    replies = client.frames()
    await client.start()
    await eventually(lambda: len(server.clients) == 1)
    conn = server.clients[0]
    composer = Composer(conn)
    log = EventLog(conn)
    composer.mode.value = "base64"
    composer.message.value = "AAEC"
    composer.send_button.click()
    assert str(await replies.get(timeout=3)) == "BINARY 00 01 02 [3 bytes]"
    await eventually(lambda: any("BINARY 00 01 02" in r and "server #" in r for r in shown_rows(log)))

    composer.mode.value = "hex"
    composer.message.value = "0x01 zz"
    assert "invalid hex" in text_of(composer.check.value)
    composer.send_button.click()
    assert "Send: ValueError: invalid hex" in text_of(composer.status.value)
    composer.message.value = "0x01 0x02"
    assert text_of(composer.check.value) == "2 bytes"

    composer.template_name.value = "greeting"
    composer.mode.value = "text"
    composer.message.value = "hello there"
    composer.save_button.click()
    composer.message.value = "something else"
    composer.template.value = ""
    composer.template.value = "greeting"
    assert (composer.mode.value, composer.message.value) == ("text", "hello there")
    composer.delete_button.click()
    assert list(composer.template.options) == [""]
    await client.stop()


async def test_event_log_of_background_failures() -> None:
    log = EventLog(wskit.runtime)

    async def fail() -> None:
        raise RuntimeError("lost in the background")

    wskit.spawn(fail(), name="doomed")
    await eventually(lambda: any("RuntimeError: lost in the background" in r for r in shown_rows(log)))
    log.row.value = log.rows_shown[-1].seq
    assert "Traceback" in text_of(log.details.value) and "task=doomed" in text_of(log.details.value)
    log.detach()


def test_event_log_renders_wire_frames_without_a_loop() -> None:
    """No loop running: the log redraws at once. Wire rows come from the tap's events."""

    class Conn:
        id = 5

    class Source:
        events = wskit.events.EventBus()

    source = Source()
    log = EventLog(source)
    info = {"opcode": "CLOSE", "fin": True, "rsv1": False, "length": 5}
    source.events.emit(Event(EventKind.WIRE, source, Conn(), Direction.IN, b"\x0f\xa1bye", 5, code=4001, reason="bye",
                             info=info))  # fmt: skip
    source.events.emit(Event(EventKind.WIRE, source, Conn(), Direction.OUT, b"", 0, info={**info, "opcode": "PING"}))
    (close, ping) = shown_rows(log)
    assert close.endswith("wire CLOSE | 5 | wire #5 in CLOSE code=4001 'bye' [5 bytes]")
    assert "wire PING" in ping and "→ out" in ping
    log.kind.value = "message"
    assert shown_rows(log) == []


@pytest.mark.parametrize(
    ("typed_url", "typed_token"),
    [("{url}?token=s3cretTOKEN42", ""), ("{url}", "s3cret&TOKEN/42"), ("{url}?room=1", "s3cretTOKEN42")],
)
async def test_client_panel_status_line_masks_the_token(
    server: wskit.WebsocketServerTransport, typed_url: str, typed_token: str
) -> None:
    panel = ClientPanel(server.url)
    panel.url.value = typed_url.format(url=server.url)
    panel.token.value = typed_token
    panel.connect_button.click()
    await eventually(lambda: "connected to" in text_of(panel.status.value))
    status = text_of(panel.status.value)
    assert "token=***" in status, status
    assert "s3cret" not in status and "TOKEN" not in status and "%26" not in status
    panel.disconnect_button.click()
    await eventually(lambda: panel.state.startswith("closed"))


def test_error_lines_mask_secrets() -> None:
    from wskit.widgets import _style as st

    try:
        raise RuntimeError("upstream refused Authorization: Bearer s3cretTOKEN42")
    except RuntimeError as exc:
        shown = st.error_html(exc, "Connect")
    assert "s3cretTOKEN42" not in shown and "Authorization: ***" in shown
