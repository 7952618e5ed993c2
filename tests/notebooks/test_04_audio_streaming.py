"""Notebook 4 states what its own outputs show: sizes, counts and the telephony framing it cites."""

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
    return run("04_audio_streaming.ipynb")


def test_runs_clean(nb: Run) -> None:
    assert not nb.errors()
    assert nb.stderr() == {}
    assert nb.code_cells_without_prose() == []
    assert nb.notebook.cells[-1].source.startswith("## What to try next")
    longest = max(len(c.source.splitlines()) for c in nb.notebook.cells if c.cell_type == "code")
    assert longest <= 40


def test_streams_arrive_bit_for_bit(nb: Run) -> None:
    assert "identical to the chirp: True" in nb.text("8278ad1a")
    assert "identical to the file: True" in nb.text("77525488")
    # 640 bytes of PCM and the 44-byte WAV header the client adds by default
    assert "every message on the wire: 684 bytes" in nb.text("8fecca3e")


def test_telephony_counts(nb: Run) -> None:
    assert "8000 samples of int16 (16000 bytes) -> 8000 bytes of μ-law" in nb.text("ulaw")
    assert nb.text("call-events").startswith("50 media events")
    sent = nb.text("call-send")
    assert "sent 50 media events; the server got 50 audio frames" in sent
    assert "as MessageFrames: ['connected', 'start', 'stop']" in sent
    snr = nb.text("8646bae7")
    first, second = (float(x) for x in re.findall(r"SNR (?:against the source resampled to 16 kHz: )?([\d.]+) dB", snr))
    assert 35 <= first < 40 and 35 <= second < 40  # "in the upper 30s of dB"
    arrived = int(re.search(r"arrived: (\d+) samples at 16 kHz", snr).group(1))  # type: ignore[union-attr]
    assert 15_900 < arrived < 16_000  # "a few samples short of 16000"


def test_the_first_media_event_is_4_ms_short(nb: Run) -> None:
    sizes = re.findall(r"<(\d+) bytes of μ-law>", nb.text("ccecfd2b"))
    assert sizes == ["128", "160", "160"]  # 160 - 128 = 32 samples = 4 ms at 8 kHz, held by the filter
    assert nb.text("ccecfd2b").splitlines()[-1] == "{'event': 'clear', 'streamSid': 'MZ0123456789'}"
    assert nb.text("9a1deb11").strip() == "[]"
