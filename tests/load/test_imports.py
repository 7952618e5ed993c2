"""gevent's monkeypatching never reaches a process that did not ask for Locust."""

from __future__ import annotations

import subprocess
import sys

import pytest


def loaded_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nprint(' '.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    return set(done.stdout.split())


@pytest.mark.timeout(60)
def test_the_pure_parts_import_neither_locust_nor_gevent() -> None:
    modules = loaded_after("import wskit.load\nfrom wskit.load import VoiceReport, SequenceTracker, LOCUSTFILE")
    assert not {"locust", "gevent", "websocket"} & modules
    assert "numpy" not in modules  # numpy comes with the first stream plan, not the import


@pytest.mark.timeout(60)
def test_import_wskit_does_not_import_wskit_load() -> None:
    modules = loaded_after("import wskit\nimport wskit.cli")
    assert not {m for m in modules if m.startswith("wskit.load")} and "locust" not in modules


@pytest.mark.timeout(60)
def test_the_user_classes_bring_locust_on_first_use() -> None:
    modules = loaded_after("from wskit.load import AudioStreamUser, WebSocketUser")
    assert {"locust", "gevent", "websocket", "wskit.load.users", "wskit.load.aggregate"} <= modules
