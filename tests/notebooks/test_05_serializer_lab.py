"""Notebook 5 uses the lab's plain-data API and states what its outputs show."""

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
    return run("05_serializer_lab.ipynb")


def test_runs_clean_without_scraping_html(nb: Run) -> None:
    assert not nb.errors()
    assert nb.stderr() == {}
    assert nb.code_cells_without_prose() == []
    assert nb.notebook.cells[-1].source.startswith("## What to try next")
    code = "\n".join(c.source for c in nb.notebook.cells if c.cell_type == "code")
    for scraping in ("re.sub", "html.unescape", ".status.value", ".comparison.value", ".encoded.value"):
        assert scraping not in code
    prose = "\n".join(c.source for c in nb.notebook.cells if c.cell_type == "markdown")
    assert "would justify" not in prose


def test_round_trips_agree_with_their_rows(nb: Run) -> None:
    text = nb.text("d546d277")
    assert text.count("round trip: 3 of 3 fields equal (id and name are new on a decoded frame)") == 2
    assert "LengthPrefixed: round trip: 5 of 5 fields equal" in text
    marks = re.findall(r"^  ([=·≠]) (\w+)", text, re.M)
    assert [m for m, _ in marks].count("=") == 5 and {f for m, f in marks if m == "·"} == {"id", "name"}
    assert "bytes: 01 00 00 00 0a 68 65 6c 6c 6f 2c 20 6c 61 62" in text


def test_errors_are_whole(nb: Run) -> None:
    text = nb.text("15dc2193")
    assert "round trip: 5 of 5 fields equal" in text and "| message: 651 bytes" in text
    refused = text.splitlines()[-1]
    assert refused.startswith("serialize: SerializerError: LengthPrefixed.serialize returned None")
    assert refused.endswith(")") and "traceback" not in refused.lower()


def test_pasted_bytes(nb: Run) -> None:
    lines = nb.text("paste").splitlines()
    assert lines[:2] == ["decoded to TEXT 'hello' [5 bytes]; encoded again: the same bytes"] * 2
    assert "truncated: the header announces 9 payload bytes, 2 present" in lines[2]


def test_each_transport_gets_its_own_instance_and_errors_reach_the_lab(nb: Run) -> None:
    assert nb.text("8d01d3b3").splitlines() == [
        "server: LengthPrefixed | client: LengthPrefixed",
        "three different instances: True",
    ]
    assert "server side: 3 messages" in nb.text("2fc4d8a8")
    bad = nb.text("33b4c82e")
    assert "error event from the server" in bad and "operation: deserialize" in bad
    assert "connection open: True | clients on the server: 1" in bad


def test_which_close_code_fits(nb: Run) -> None:
    text = nb.text("which-code")
    assert text.startswith("1007 INVALID_DATA: invalid payload data: data inconsistent with the message type")
    assert "1003 UNSUPPORTED_DATA" in text and "1008 POLICY_VIOLATION" in text and "4000: private use" in text


def test_a_re_run_class_replaces_the_attached_one(nb: Run) -> None:
    assert nb.text("edit").splitlines() == [
        "server: LengthPrefixed | client: LengthPrefixed",
        "the new class on both: True",
        "server decoded BINARY de ad be ef [4 bytes]",
    ]
