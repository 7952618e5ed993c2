"""The README's Audio and Panels examples, run in a kernel exactly as written.

Each block is taken from README.md, not copied here, so the README cannot
drift from what works. (The Quickstart blocks are run by test_notebooks.py.)
"""

from __future__ import annotations

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
    (block,) = python_blocks("### Audio")
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
    assert shown == ["ServerPanel", "ClientPanel", "Composer", "EventLog", "SerializerLab"], output
