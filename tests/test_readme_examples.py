"""What the README's Audio, bad-network, Panels and Testing examples print, run in a kernel as written.

Each block is taken from README.md, not copied here, so the README cannot
drift from what works. (The Quickstart blocks are run by test_notebooks.py;
tests/test_readme.py runs every block, and checks they raise nothing.)
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from .test_notebooks import ROOT, execute

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]


def python_blocks(heading: str) -> list[str]:
    """The python blocks under ``heading`` in README.md, up to the next heading."""
    section = re.split(r"\n##+ ", (ROOT / "README.md").read_text().split(heading + "\n", 1)[1], maxsplit=1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert blocks, f"no python block under {heading!r}"
    return blocks


def test_readme_audio_example_records_what_it_streams(tmp_path: Path) -> None:
    block = python_blocks("### Audio")[0]  # the audio page's blocks after it: tests/browser/test_audio_readme.py
    output, stopped = execute(
        [block, "import os\nprint(rec.to_numpy().shape, os.path.getsize('in.wav'))\nawait wskit.stop_all_async()"],
        cwd=tmp_path,
    )
    lines = output.splitlines()
    assert lines[0].startswith("100 frames (2.00 s of audio"), output
    assert lines[1].startswith("100 frames, 2.00 s, arrival jitter"), output
    assert "rejected" not in lines[1]
    assert "IPython.lib.display.Audio object" in output
    assert stopped.split() == ["(32000,", "1)", str(44 + 64000)]


def test_readme_panels_example_runs_as_written() -> None:
    (block,) = python_blocks("### Panels")
    (output,) = execute([block + "\nawait wskit.stop_all_async()"])
    shown = re.findall(r"(\w+)\(children=", output)
    assert shown == ["ServerPanel", "ClientPanel", "Composer", "EventLog", "SerializerLab", "LinkPanel"], output


def test_readme_testing_example_prints_what_its_comments_say(tmp_path: Path) -> None:
    first = python_blocks("## Testing your own service")[0]
    (output,) = execute([first + "\nawait wskit.stop_all_async()"], cwd=tmp_path)
    assert output.splitlines() == ["{'room': 'lobby', 'text': 'hello', 'id': 1}", "True"]
    lines = [json.loads(line) for line in (tmp_path / "chat.jsonl").read_text().splitlines()]
    assert lines[1]["path"] == "/chat/lobby" and lines[1]["query"] == "token=***"  # "the token is stored as ***"


def test_readme_bad_network_example_plays_without_a_gap() -> None:
    """The section's claim: 50 ms ± 20 ms each way through an 80 ms buffer plays the chirp whole."""
    (block,) = python_blocks("### A bad network on demand, and a jitter buffer")
    (output,) = execute([block])
    (line,) = output.splitlines()
    assert line.startswith("50 in, 50 played, 0 underruns, 0 dropped late"), output
    p50 = re.search(r"added delay p50 ([\d.]+) ms", line)
    assert p50 is not None, line
    assert 80 - 25 <= float(p50.group(1)) <= 80 + 25
