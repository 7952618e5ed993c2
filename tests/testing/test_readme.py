"""The README's "Testing your own service" section, run exactly as written."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_notebooks import execute

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.timeout(180),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),  # jupyter_client and zmq, while a kernel runs
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]


def blocks(language: str) -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Testing your own service", 1)[1].split("\n## ", 1)[0]
    found = re.findall(rf"```{language}\n(.*?)```", section, re.S)
    assert found, f"no {language} block in the README's testing section"
    return found


def test_record_and_replay_in_a_notebook(tmp_path: Path) -> None:
    first = blocks("python")[0]
    (output,) = execute([first + "\nawait wskit.stop_all_async()"], cwd=tmp_path)
    assert output.splitlines() == ["{'room': 'lobby', 'text': 'hello', 'id': 1}", "True"]
    lines = [json.loads(line) for line in (tmp_path / "chat.jsonl").read_text().splitlines()]
    assert lines[1]["path"] == "/chat/lobby" and lines[1]["query"] == "token=***"


def test_the_pytest_example_records_then_compares(tmp_path: Path) -> None:
    test_file, config, commands = blocks("python")[1], blocks("toml")[0], blocks("console")[0]
    for text in (test_file, config):
        name = text.splitlines()[0].removeprefix("# ")  # each block says which file it is
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    runs = []
    for command in commands.strip().splitlines():
        runs.append(
            subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        )
        assert runs[-1].returncode == 0, runs[-1].stdout + runs[-1].stderr
    assert (
        "recorded " in runs[0].stdout and "tests/sessions/chat.jsonl (1 connection(s), 2 message(s))" in runs[0].stdout
    )
    assert "1 passed" in runs[1].stdout and "wskit cassettes" not in runs[1].stdout
    assert (tmp_path / "tests" / "sessions" / "chat.jsonl").exists()
