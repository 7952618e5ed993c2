"""Notebook 6 states what its own outputs show: each fact its prose cites, asserted on one run."""

from __future__ import annotations

import re

import pytest

from tests.notebooks.runner import Run, run

pytestmark = [
    pytest.mark.timeout(240),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]


@pytest.fixture(scope="module")
def nb() -> Run:
    return run("06_protocol_anatomy.ipynb")


def facts(text: str) -> dict[str, str]:
    """The ``  key: value`` lines of a printed demo Report."""
    found: dict[str, str] = {}
    for key, value in re.findall(r"^  (\S[^\n]*?): (.*)$", text, re.M):
        found.setdefault(key, value)
    return found


def test_runs_clean(nb: Run) -> None:
    assert not nb.errors()
    assert nb.stderr() == {}  # the demos break rules on purpose; the setup cell keeps wskit's log quiet
    assert nb.code_cells_without_prose() == []
    cells = nb.notebook.cells
    assert cells[-1].cell_type == "markdown" and cells[-1].source.startswith("## What to try next")


def test_corrected_prose_is_gone(nb: Run) -> None:
    prose = "\n".join(c.source for c in nb.notebook.cells if c.cell_type == "markdown")
    assert "On its own side the server reports **1006**" not in prose
    assert "whose payload **must** be UTF-8" not in prose
    assert "gives up 0.3 s" not in prose
    assert "1000–1015" not in prose


def test_handshake_bytes_and_failed_upgrades(nb: Run) -> None:
    text = nb.text("handshake-bytes")
    assert "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\\r\\n" in text
    assert "accept_key of the RFC's key: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in text
    assert "User-Agent: Python/" in text and "Server: Python/" in text  # what websockets adds
    failed = nb.text("failed-upgrade")
    assert "a plain GET -> 426 Upgrade Required | Upgrade: websocket" in failed
    assert (
        "version 8 -> 400 Bad Request | Failed to open a WebSocket connection: invalid Sec-WebSocket-Version" in failed
    )
    assert "Sec-WebSocket-Version in that answer:" in failed


def test_a_failed_connection_each_side(nb: Run) -> None:
    text = nb.text("8ba1d462")
    assert text.startswith("decode predicts close 1002")
    assert (
        "server: sent 1002 'control frame too long'; received no close frame; "
        "reports close_code 1002 (RFC 6455 §7.1.5 code: 1006); initiator server"
    ) in text


def test_websockets_is_lenient_on_the_length_form(nb: Run) -> None:
    text = nb.text("lenient")
    assert "(§5.2, close 1002)" in text
    assert "websockets' parser: accepted | lenient on: ['5.2']" in text
    assert "the live server accepted them: True" in text
    assert "and received: [\"TEXT 'Hello' [5 bytes]\"]" in text


def test_masking_rules(nb: Run) -> None:
    assert "client: sent 1002 'incorrect masking'" in nb.text("masked-server")
    assert facts(nb.text("masked-server"))["client close_code"] == "1002"


def test_utf8_is_judged_on_the_message(nb: Run) -> None:
    invalid = facts(nb.text("4efacbde"))
    assert invalid["server close_code"] == invalid["client close_code"] == "1007"
    split = nb.text("split-utf8")
    f = facts(split)
    assert (f["first fragment"], f["second fragment"], f["server_accepted_them"]) == ("c3", "a9", "True")
    assert f["messages_the_server_received"] == "[\"TEXT 'é' [2 bytes]\"]"


def test_fragmentation_counts(nb: Run) -> None:
    f = facts(nb.text("5a123116"))
    assert f["fragments carrying data"] == "3"
    assert f["empty final CONT (FIN=1) closing the message"] == "1"
    assert f["message_bytes_delivered"] == "40000"


def test_pings_and_pongs(nb: Run) -> None:
    f = facts(nb.text("unsolicited-pong"))
    assert (f["frames_the_server_sent_back"], f["connection_open"]) == ("0", "True")


def test_close_codes(nb: Run) -> None:
    table = nb.text("bd809b7f")
    assert re.search(r"^1010 +MANDATORY_EXTENSION +client only", table, re.M)
    assert all(re.search(rf"^{c} .* IANA registry ", table, re.M) for c in (1012, 1013, 1014))
    assert re.search(r"^1005 .* never ", table, re.M)
    dropped = nb.text("e86ad81d")
    assert dropped.count("reports close_code 1006; initiator none: TCP dropped") == 2
    by_client = nb.text("close-1010")
    assert by_client.startswith("by the server: a server does not send 1010")
    assert "server: sent 1010 'permessage-foo required'; received 1010" in by_client


def test_no_common_subprotocol(nb: Run) -> None:
    assert "offering chat.v3 -> 400 | Failed to open a WebSocket connection: invalid subprotocol" in nb.text(
        "no-subprotocol"
    )


def test_deflate(nb: Run) -> None:
    text = nb.text("b761feda")
    keys = ("deflate: extensions", "deflate: what that means", "deflate: RSV1", "no compression: RSV1")
    f = {k: re.search(rf"^  {re.escape(k)}: (.*)$", text, re.M).group(1) for k in keys}  # type: ignore[union-attr]
    assert f["deflate: extensions"] == "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12"
    assert "4096 bytes, context takeover" in f["deflate: what that means"]
    assert f["deflate: RSV1"] == "1" and f["no compression: RSV1"] == "0"
    vectors = nb.text("rfc7692")
    assert "frame           c1 07 f2 48 cd c9 c9 07 00" in vectors
    assert "frame           c1 05 f2 00 11 00 00" in vectors
    assert "00 00 ff ff" in vectors
    params = nb.text("rfc7692-params")
    assert params.count("frame           c1 07 f2 48 cd c9 c9 07 00") == 2  # no takeover: the same frame twice
    wide, narrow = (int(n) for n in re.findall(r"-> (\d+) on the wire", params))
    assert wide < narrow


def test_keepalive_moments(nb: Run) -> None:
    text = nb.text("5dc65a39")
    f = facts(text)
    ping, close, gone = (float(f[k]) for k in ("ping_sent_at_s", "close_sent_at_s", "disconnect_reported_at_s"))
    assert 0.15 <= ping < 0.45 and 0.25 <= close - ping < 0.6 and 0.4 <= gone - close < 1.0
    assert f["server close_code"] == f["client close_code"] == "1011"
    assert "server: sent 1011 'keepalive ping timeout'; received no close frame" in text


def test_backpressure_buffers(nb: Run) -> None:
    text = nb.text("6e509dd8")
    f = {k: int(float(v)) for k, v in facts(text).items() if re.fullmatch(r"[\d.]+", v)}
    assert f["client_write_buffer_bytes_while_waiting"] > f["client_write_limit"] == 32768
    assert f["messages_sent_before_send_waited"] * 65536 > 10 * f["client_write_limit"]  # the kernel took most
    assert f["bytes_waiting_in_the_three_buffers"] == (
        f["client_write_buffer_bytes_while_waiting"]
        + f["client_kernel_send_queue_bytes"]
        + f["server_kernel_receive_queue_bytes"]
    )
    assert f["client_SO_SNDBUF"] > 0 and f["server_SO_RCVBUF"] > 0
    assert "more out BINARY 65536 B, the same" in text and "older frames go" in text
    assert text.count("[65536 bytes]") <= 4
    assert facts(nb.text("05aab50d"))["client close_code"] == "1009"


def test_origin_and_auth(nb: Run) -> None:
    text = nb.text("eccd80da")
    assert "https://good.example -> connected" in text and "https://evil.example -> refused with HTTP 403" in text
    f = facts(nb.text("d29cc1c1"))
    assert (f["server_rejected_with"], f["client close_code"]) == ("1008", "1008")


def test_wss(nb: Run) -> None:
    text = nb.text("wss")
    assert "ws://  echo 'secret words' | first bytes on the wire: 47 45 54 20 2f 20" in text
    assert "the network sees 'GET /': True, 'secret words': True" in text
    assert re.search(r"wss://  echo 'secret words' \| first bytes on the wire: 16 03 0[13]", text)
    assert "the network sees 'GET /': False, 'secret words': False" in text
    assert "a client that does not trust our CA: unable to get local issuer certificate" in text


def test_tiny_echo_server(nb: Run) -> None:
    source = nb.source("tiny-server")
    assert "import websockets" not in source and "from websockets" not in source
    assert {"wire.accept_key", "wire.decode", "wire.encode"} <= set(re.findall(r"wire\.\w+", source))
    text = nb.text("tiny-client")
    assert "TEXT 'hello, tiny server' [18 bytes]\nBINARY 00 01 02 [3 bytes]\nping answered in" in text
    assert "closed with 1000 'client stopping', initiated by the client" in text


def test_browser_page_served_and_origins(nb: Run) -> None:
    text = nb.text("browser-page")
    assert "GET / -> 200 text/html; charset=utf-8" in text
    home, attacker = re.findall(r"Origin (\S+) -> (connected|refused with HTTP 403)", text)
    assert home[1] == "connected" and attacker[1] == "refused with HTTP 403"
