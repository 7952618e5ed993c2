"""The opening handshake and close codes, on live connections where it matters."""

from __future__ import annotations

import pytest

import wskit
from wskit import wire
from wskit.wire.demos import Pair


def test_accept_key_rfc_vector() -> None:
    assert wire.accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


async def test_handshake_of_a_live_connection() -> None:
    params = wskit.WebsocketServerParams(subprotocols=["chat.v1"], ping_interval=None)
    client_params = wskit.WebsocketClientParams(
        add_wav_header=False, subprotocols=["chat.v1"], additional_headers={"Authorization": "Bearer t"}
    )
    async with Pair(params, client_params, path="/room?x=1") as pair:
        for target in (pair.client, pair.server, pair.server_conn, pair.client_conn.websocket):
            h = wire.handshake(target)
            assert h.request_line == "GET /room?x=1 HTTP/1.1"
            assert h.status_line == "HTTP/1.1 101 Switching Protocols"
            assert h.accept_ok and h.accept == wire.accept_key(h.key)
            rows = {name.lower(): (req, resp, meaning) for name, req, resp, meaning in h.rows}
            assert rows["upgrade"][:2] == ("websocket", "websocket")
            assert rows["sec-websocket-version"][0] == "13"
            assert rows["sec-websocket-protocol"][:2] == ("chat.v1", "chat.v1")
            assert rows["authorization"][0] == "Bearer t"
            assert "SHA-1" in rows["sec-websocket-accept"][2]
        assert "matches the response" in str(h) and "✔ matches" in h._repr_html_()


async def test_handshake_needs_a_connection() -> None:
    with pytest.raises(ValueError, match="no open connection"):
        wire.handshake(wskit.WebsocketClientTransport("ws://127.0.0.1:9/"))


def test_close_code_table() -> None:
    codes = wire.CLOSE_CODES
    assert list(codes) == list(range(1000, 1016))
    assert [c for c, info in codes.items() if not info.on_wire] == [1004, 1005, 1006, 1015]
    table = wire.close_codes()
    text = str(table)
    assert "3000-3999" in text and "4000-4999" in text and "1016-2999" in text
    assert "never sent" in table._repr_html_()
    assert "may NOT be sent" in wire.explain(1006) and "may be sent" in wire.explain(1008)
    assert "private use" in wire.explain(4321) and "IANA" in wire.explain(3001)
    assert "not a close code" in wire.explain(5000)


@pytest.mark.parametrize(
    ("code", "reason", "by"),
    [
        (1000, "done", "server"),
        (1001, "", "client"),
        (1013, "busy", "server"),
        (3001, "", "client"),
        (4001, "x", "server"),
    ],
)
async def test_close_with_a_chosen_code(code: int, reason: str, by: str) -> None:
    report = await wire.close_with(code, reason, by=by)  # type: ignore[arg-type]
    assert report.facts["server close_code"] == code and report.facts["client close_code"] == code
    assert report.facts["server close_reason"] == reason and report.facts["client close_reason"] == reason
    other = "client" if by == "server" else "server"
    (sent,) = report.frames(by, "out", "CLOSE")  # type: ignore[arg-type]
    (echo,) = report.frames(other, "out", "CLOSE")  # type: ignore[arg-type]
    assert (sent.code, sent.reason, echo.code) == (code, reason, code)
    assert sent.time < echo.time


async def test_close_with_1006_drops_tcp() -> None:
    report = await wire.close_with(1006, by="server")
    assert report.facts["client close_code"] == 1006
    assert not report.frames("client", opcode="CLOSE") and not report.frames("server", opcode="CLOSE")


async def test_close_with_1005_sends_an_empty_close_frame() -> None:
    report = await wire.close_with(1005, by="client")
    assert report.facts["server close_code"] == 1005
    (echo,) = report.frames("server", "out", "CLOSE")
    assert (echo.code, echo.length) == (None, 0)
    with pytest.raises(ValueError, match="empty close frame"):
        await wire.close_with(1005, by="server")


@pytest.mark.parametrize("code", [1015, 1004, 2000, 999])
async def test_close_with_refuses_codes_never_sent(code: int) -> None:
    with pytest.raises(ValueError, match="cannot send"):
        await wire.close_with(code)


async def test_handshake_shows_no_secret() -> None:
    secret = "s3cretTOKEN42"
    client_params = wskit.WebsocketClientParams(
        add_wav_header=False,
        additional_headers={"Authorization": f"Bearer {secret}", "Cookie": f"session={secret}; theme=dark"},
    )
    params = wskit.WebsocketServerParams(ping_interval=None)
    async with Pair(params, client_params, path=f"/room?token={secret}") as pair:
        h = wire.handshake(pair.client)
        shown = str(h) + h._repr_html_() + repr(h)
        assert secret not in shown
        assert "GET /room?token=*** HTTP/1.1" in str(h) and "/room?token=***" in h._repr_html_()
        rows = {name.lower(): req for name, req, _resp, _meaning in h.rows}
        assert secret in rows["authorization"] and secret in rows["cookie"]  # the record keeps the real values
        assert secret in h.request_line
