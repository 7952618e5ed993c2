"""gevent's monkeypatching never reaches a process that did not ask for Locust."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import json, sys
seen = {}
import wskit, wskit.cli
seen["wskit"] = sorted(sys.modules)
import wskit.load
from wskit.load import LOCUSTFILE, SequenceTracker, VoiceReport
seen["pure"] = sorted(sys.modules)
from wskit.load import AudioStreamUser, WebSocketUser
seen["users"] = sorted(sys.modules)
print(json.dumps(seen))
"""


@pytest.mark.timeout(60)
def test_locust_and_gevent_come_only_with_the_user_classes() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=True)
    seen = {step: set(modules) for step, modules in json.loads(done.stdout).items()}
    # import wskit (and its command line) loads nothing of wskit.load
    assert not {m for m in seen["wskit"] if m.startswith("wskit.load")}
    # the pure parts: no Locust, no gevent, no websocket-client, and no numpy before a stream is planned
    assert not {"locust", "gevent", "websocket", "numpy"} & seen["pure"]
    # the user classes bring Locust (and its monkeypatching) with them
    assert {"locust", "gevent", "websocket", "wskit.load._users", "wskit.load._aggregate"} <= seen["users"]
