"""``pytest -p wskit.testing`` in a fresh project that only installs wskit.

A fresh venv gets wskit as a wheel built from this tree (``pip install --no-deps
--no-build-isolation --no-index``: offline, nothing downloaded), and sees the
dependencies already installed here through a folder of links to them (wskit's
own editable install left out), so it holds exactly what ``pip install wskit``
would. A tiny test project then runs pytest with the plugin's fixtures and
marker: once as usual, once with plugin autoloading off, where ``-p
wskit.testing`` alone must load it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.timeout(240)]

PROJECT_TEST = """
import asyncio
import os

import pytest

import wskit
import wskit.testing


def test_wskit_comes_from_the_fresh_venv():
    assert wskit.__file__.startswith(os.environ["FRESH_VENV"]), wskit.__file__


@pytest.mark.wskit_cassette("sessions/hello.jsonl")
def test_sync_replay(wskit_session):
    async def main():
        server = wskit.WebsocketServerTransport(port=0)

        @server.event_handler("on_frame")
        async def hello(transport, conn, frame):
            await conn.send_text(f"hello {frame.text}")

        await server.start()
        try:
            assert (await wskit_session.replay(server.url)).ok
        finally:
            await server.stop()

    asyncio.run(main())


@pytest.mark.asyncio
@pytest.mark.wskit_cassette("sessions/hello.jsonl")
async def test_async_fixtures(wskit_server, wskit_client, wskit_session):
    @wskit_server.event_handler("on_frame")
    async def hello(transport, conn, frame):
        await conn.send_text(f"hello {frame.text}")

    client = await wskit_client(wskit_server.url + "greet")
    wskit_session.record(client)
    await client.send_text("ada")
    await client.expect_text("hello ada")
    await client.stop(1000, "done")
"""

CASSETTE = """\
{"wskit_session": 1, "created": "2025-01-01T00:00:00.000Z", "by": "hand", "connections": 1, "messages": 2}
{"type": "connect", "conn": 1, "t": 0.0, "path": "/greet", "query": ""}
{"type": "message", "conn": 1, "t": 0.01, "from": "client", "opcode": "text", "data": "ada"}
{"type": "message", "conn": 1, "t": 0.02, "from": "server", "opcode": "text", "data": "hello ada"}
{"type": "close", "conn": 1, "t": 0.03, "code": 1000, "reason": "done", "initiator": "client"}
"""


def run(
    *args: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=180, env=env, cwd=cwd, check=False
    )
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done


def deps_folder(target: Path) -> Path:
    """Links to everything installed beside wskit, except wskit itself (its editable install)."""
    target.mkdir()
    site_packages = Path(sysconfig.get_paths()["purelib"])
    for entry in site_packages.iterdir():
        name = entry.name.lower()
        if name.startswith(("wskit", "_editable_impl_wskit", "__editable__")) or name.endswith(".pth"):
            continue
        (target / entry.name).symlink_to(entry)
    return target


@pytest.mark.skipif(sys.prefix == sys.base_prefix, reason="needs the project's venv to borrow dependencies from")
def test_pytest_p_wskit_testing_in_a_fresh_project(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    fresh_site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    (fresh_site / "borrowed-dependencies.pth").write_text(str(deps_folder(tmp_path / "deps")) + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "CI")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "-q",
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
        ROOT,
        env=env,
    )

    project = tmp_path / "project"
    (project / "sessions").mkdir(parents=True)
    (project / "sessions" / "hello.jsonl").write_text(CASSETTE)
    (project / "test_hello.py").write_text(textwrap.dedent(PROJECT_TEST))
    env["FRESH_VENV"] = str(venv)

    done = run(
        python,
        "-m",
        "pytest",
        "-p",
        "wskit.testing",
        "--wskit-record=none",
        "-q",
        "-p",
        "no:cacheprovider",
        env=env,
        cwd=project,
    )
    assert "3 passed" in done.stdout, done.stdout

    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # now only -p loads plugins
    done = run(
        python,
        "-m",
        "pytest",
        "-p",
        "wskit.testing",
        "--wskit-record=none",
        "-q",
        "-p",
        "no:cacheprovider",
        "-k",
        "not async",
        env=env,
        cwd=project,
    )
    assert "2 passed" in done.stdout, done.stdout
    without = subprocess.run(
        [str(python), "-m", "pytest", "--wskit-record=none", "-q", "-p", "no:cacheprovider", "-k", "sync"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=project,
        check=False,
    )
    assert without.returncode != 0 and "unrecognized arguments: --wskit-record=none" in without.stderr
