"""Notebook 11, "Audio over a bad network", run headless: each fact its prose states, checked on its output."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
PATH = ROOT / "notebooks" / "11_bad_network.ipynb"

pytestmark = [
    pytest.mark.timeout(180),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]


def number(pattern: str, text: str) -> float:
    found = re.search(pattern, text)
    assert found is not None, f"{pattern!r} not in the output:\n{text}"
    return float(found.group(1))


def test_the_notebook_shows_what_its_prose_says() -> None:
    notebook = nbformat.read(PATH, as_version=4)
    assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code"), "stored with outputs"
    NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(PATH.parent)}}
    ).execute()
    outputs = [o for c in notebook.cells for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    assert not [o.text for o in outputs if o.output_type == "stream" and o.name == "stderr"]
    text = "\n".join(o.text for o in outputs if o.output_type == "stream")

    # jitter: more arrival jitter and more gaps than the baseline stream, none for the listener,
    # the chirp bit for bit, about 80 ms of delay
    compared = re.search(
        r"median arrival jitter ([\d.]+) ms before, ([\d.]+) ms now; recorder gaps (\d+) before, (\d+) now", text
    )
    assert compared is not None, text
    before, now, gaps_before, gaps_now = (float(g) for g in compared.groups())
    assert now >= 2 * before and now >= 5.0, (before, now)
    assert gaps_now > gaps_before
    assert number(r"the arrival scope counted (\d+) gaps in this stream", text) > 0
    assert "jitter buffer: 100 in, 100 played, 0 underruns" in text
    assert number(r"added delay p50 ([\d.]+) ms", text) == pytest.approx(80, abs=25)
    assert "what the listener heard is the chirp: True" in text

    # smaller buffers replayed on the same arrivals: counts as predicted, fewer for larger buffers, 0 at 80 ms
    rows = re.findall(r"^ *(\d+) ms +(\d+) +(\d+) +[\d.]+ ms +[\d.]+ ms$", text, re.M)
    assert [int(t) for t, _, _ in rows] == [0, 10, 20, 40, 80]
    counts = [int(u) for _, u, _ in rows]
    assert counts == [int(p) for _, _, p in rows]
    assert counts == sorted(counts, reverse=True) and counts[0] > 0 and counts[-1] == 0

    # the stall: the keepalive closes with 1011 between 1 and 1.5 s in, the client is back after 2 s
    closed = number(r"\+([\d.]+) s  disconnected conn #1 code=1011 'keepalive ping timeout'", text)
    assert 0.9 <= closed <= 1.8, closed
    assert re.search(r"\+[\d.]+ s  reconnecting attempt=1", text)
    assert 2.0 <= number(r"\+([\d.]+) s  connected conn #2", text) <= 3.0

    # the bandwidth cap: the write buffer starts empty, grows to the write limit, then 1008
    sizes = [int(s) for s in re.findall(r"write buffer +(\d+) B", text)]
    assert sizes[0] == 0
    assert number(r"write buffer at its largest: (\d+) B", text) >= 32_768
    assert "connection #1 is a slow consumer: a send waited more than 1.0 s; closing it with 1008" in text
    assert "the client's close: 1008 'slow consumer: a send waited more than 1.0 s'" in text
    assert "slow_consumer event: {'policy': 'close'" in text
    assert text.rstrip().endswith("[]")  # everything stopped
