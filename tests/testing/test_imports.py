"""pytest stays a test-time dependency: only wskit.testing.plugin imports it."""

from __future__ import annotations

import subprocess
import sys


def test_wskit_and_wskit_testing_import_without_pytest() -> None:
    code = (
        "import sys\n"
        "import wskit\n"
        "assert 'wskit.testing' not in sys.modules\n"
        "import wskit.testing\n"
        "from wskit.testing import record, replay, serve, Session\n"
        "loaded = sorted(m for m in sys.modules if 'pytest' in m)\n"
        "assert not loaded, loaded\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "ok\n"
