"""``./dev``, the one entry point: its usage in full, and ``./dev wskit`` for the command line."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_dev_without_arguments_prints_its_whole_usage() -> None:
    done = subprocess.run([str(ROOT / "dev")], capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 2
    lines = done.stdout.splitlines()
    assert lines[0] == "wskit's one entry point. Needs only python3 (3.11+), pip and git."
    assert lines[-1] == "a stamp file per extras set inside the venv holds a hash of those."  # not cut off
    assert not any(line.startswith("#") or line.startswith("set -") for line in lines)
    for command in ("lab", "test", "wskit", "bench", "setup", "setup-pipecat", "lock"):
        assert any(line.lstrip().startswith(f"./dev {command} ") for line in lines), command


@pytest.mark.timeout(300)  # installs first when pyproject.toml changed since the last install
def test_dev_wskit_runs_the_command_line_from_the_venv() -> None:
    done = subprocess.run(
        [str(ROOT / "dev"), "wskit", "connect", "--help"], capture_output=True, text=True, timeout=280, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: wskit connect")
