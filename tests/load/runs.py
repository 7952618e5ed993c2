"""Running ``wskit load`` (Locust, gevent) in a child process, and checking it left nothing behind.

Locust monkeypatches the standard library for gevent when it is imported, so
it never runs in the test process, whose servers run on asyncio: each run is
``python -m wskit load ...`` in a new session, awaited with a bound while the
servers keep serving on the test's loop. Afterwards no process of that
session may remain (the master's worker processes included).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wskit.load import read_report

__all__ = ["Run", "free_port", "run_load", "session_processes"]


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def session_processes(sid: int) -> list[int]:
    """Pids of the processes whose session id is ``sid`` (``/proc/PID/stat``, field 6)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid:
            found.append(int(entry))
    return found


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    seconds: float
    leftovers: list[int]
    report_dir: Path

    @property
    def output(self) -> str:
        return (
            f"exit {self.code} after {self.seconds:.1f} s\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr[-4000:]}"
        )

    @property
    def report(self) -> dict[str, Any]:
        return read_report(self.report_dir / "locust_voice.json")


async def run_load(*args: str, report_dir: Path, timeout: float = 45, cwd: Path | None = None) -> Run:
    """``wskit load ARGS --report-dir REPORT_DIR`` to its end (killed, and failing, past ``timeout``)."""
    command = [sys.executable, "-m", "wskit", "load", *args, "--report-dir", str(report_dir)]
    return await run_command(command, report_dir=report_dir, timeout=timeout, cwd=cwd)


async def run_command(command: list[str], *, report_dir: Path, timeout: float = 45, cwd: Path | None = None) -> Run:
    """Run ``command`` in a session of its own to its end; how it ended and what it left running."""
    began = time.monotonic()
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    process = await asyncio.create_subprocess_exec(
        *command, stdout=-1, stderr=-1, start_new_session=True, cwd=cwd, env=env
    )
    # read while waiting (a full pipe would block the child); once it exits, a process it left
    # behind may still hold the pipes open: that must not hang the test, only fail it below
    reading = asyncio.ensure_future(process.communicate())
    try:
        await asyncio.wait_for(asyncio.shield(process.wait()), timeout)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        await process.wait()
        reading.cancel()
        raise AssertionError(f"{command} did not end within {timeout} s") from None
    done, _ = await asyncio.wait([reading], timeout=3)
    if not done:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    out, err = await reading
    seconds = time.monotonic() - began
    leftovers = session_processes(process.pid)
    for _ in range(40):  # a worker may take a moment to exit after its master: 2 s at most
        if not leftovers:
            break
        await asyncio.sleep(0.05)
        leftovers = session_processes(process.pid)
    for pid in leftovers:  # do not leave them running for the next test, but fail this one
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert process.returncode is not None
    return Run(process.returncode, out.decode(), err.decode(), seconds, leftovers, report_dir)
