"""Notebook 2 states what its own outputs show: FastAPI's 403 vs 1008, every close code it cites."""

from __future__ import annotations

import re

import fastapi
import pytest
import uvicorn
import websockets

from tests.notebooks.runner import Run, run

pytestmark = [
    pytest.mark.timeout(240),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]


@pytest.fixture(scope="module")
def nb() -> Run:
    return run("02_params_auth_close_codes.ipynb")


def test_runs_clean(nb: Run) -> None:
    assert not nb.errors()
    assert nb.code_cells_without_prose() == []
    # the one cell that shows a handler's bug on purpose (tagged deliberate-error): red, as its prose says;
    # a peer's faults are plain warning lines on stdout (wskit.notebook_logging)
    assert set(nb.stderr()) == {"ce20665f"}
    assert nb.notebook.cells[-1].source.startswith("## What to try next")
    prose = "\n".join(c.source for c in nb.notebook.cells if c.cell_type == "markdown")
    assert "This is what FastAPI does too" not in prose and "registers codes 1000–1015" not in prose
    assert "Close codes websockets sends for you" not in prose


def test_fastapi_refuses_before_accept_with_403_and_closes_after_with_1008(nb: Run) -> None:
    lines = nb.text("fastapi").splitlines()
    assert (
        lines[0] == f"FastAPI {fastapi.__version__}, uvicorn {uvicorn.__version__}, websockets {websockets.__version__}"
    )
    table = {line[:46].strip(): line[47:] for line in lines[1:]}  # f"{who:<46} {outcome}"
    assert table == {
        "wskit, hook raises WebSocketException(1008)": "upgraded, then closed with 1008 'cookie or token required'",
        "wskit, hook raises HTTPReject(403)": "refused before the upgrade: HTTP 403",
        "FastAPI, dependency raises it (before accept)": "refused before the upgrade: HTTP 403",
        "FastAPI, endpoint raises it (after accept)": "upgraded, then closed with 1008 'token required'",
    }


def test_every_sendable_code_arrives_and_1010_comes_from_a_client(nb: Run) -> None:
    rows = re.findall(r"^(\d+)  (\d+) ", nb.text("7a0eaec7"), re.M)
    assert rows and all(sent == got for sent, got in rows)
    sent = [int(code) for code, _ in rows]
    assert 1010 not in sent and {1005, 1006, 1015, 1004}.isdisjoint(sent)
    assert {1012, 1013, 1014} <= set(sent)
    assert nb.text("client-1010").strip() == "the server received (1010, 'needs permessage-deflate')"


def test_codes_never_sent_end_in_1011_with_a_short_error(nb: Run) -> None:
    lines = nb.text("ce20665f").splitlines()
    assert [line.split(":")[0] for line in lines] == [f"asked for {c}" for c in (1005, 1006, 1015, 5000)]
    assert all(line.endswith("the client got 1011") and len(line) < 110 for line in lines)
    # logged at ERROR with the traceback, under this cell
    logged = re.findall(r"^wskit error: .* close code (\d+) cannot be sent", nb.stderr()["ce20665f"], re.M)
    assert logged == ["1005", "1006", "1015", "5000"]
    assert nb.stderr()["ce20665f"].count("Traceback (most recent call last):") == 4


def test_codes_sent_for_you(nb: Run) -> None:
    text = nb.text("ec34c0ed")
    assert "binary to a text-only endpoint: (1003, 'expected a text message, got 2 bytes of binary')" in text
    assert "2 KiB to a 1 KiB server:        (1009, 'frame with 2048 bytes exceeds limit of 1024 bytes')" in text
    assert re.search(r"the 1 KiB server's error event: error conn #\d+ code=1009", text)
    # and each was logged at WARNING: one plain line under this cell, no traceback
    assert re.search(r"^wskit warning: .*1003 expected a text message, got 2 bytes of binary$", text, re.M)
    assert re.search(r"^wskit warning: .*sent 1009 \(message too big\)", text, re.M)
    assert "Traceback" not in text
