"""The README's bad-network example, run exactly as written (in a script: top-level await inside main)."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def section_blocks() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### A bad network on demand, and a jitter buffer", 1)[1].split("\n### ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert blocks, "no python block in the README's bad-network section"
    return blocks


@pytest.mark.timeout(60)
def test_the_readme_example_runs_and_prints_what_it_says() -> None:
    (block,) = section_blocks()
    script = f"import asyncio\n\n\nasync def main():\n{textwrap.indent(block, '    ')}\n\nasyncio.run(main())\n"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=50, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    (line,) = done.stdout.splitlines()
    assert line.startswith("50 in, 50 played, 0 underruns, 0 dropped late"), line
    p50 = float(re.search(r"added delay p50 ([\d.]+) ms", line).group(1))  # type: ignore[union-attr]
    assert 80 - 25 <= p50 <= 80 + 25
