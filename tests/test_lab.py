"""``wskit lab`` / ``./dev lab``: JupyterLab for whoever runs it, with one line giving the URL."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from wskit import lab

ROOT = Path(__file__).resolve().parent.parent


def test_root_gets_allow_root_and_others_do_not() -> None:
    config = lab.LabConfig(root_dir=Path("/nb"), port=9999)
    as_root = lab.command(config, euid=0)
    as_user = lab.command(config, euid=1000)
    assert "--allow-root" in as_root
    assert "--allow-root" not in as_user
    assert as_user[:4] == [sys.executable, "-m", "jupyterlab", "--no-browser"]
    assert "--ServerApp.port=9999" in as_user and "--ServerApp.port_retries=0" in as_user
    assert "--ServerApp.root_dir=/nb" in as_user
    assert not any("token" in arg.lower() for arg in as_user)  # the token travels in the environment


def test_extra_options_go_to_jupyter_last() -> None:
    config = lab.LabConfig(root_dir=Path("/nb"), extra=("--ServerApp.log_level=DEBUG",))
    assert lab.command(config, euid=1000)[-1] == "--ServerApp.log_level=DEBUG"


def test_url_points_at_loopback_when_listening_everywhere() -> None:
    assert lab.LabConfig(root_dir=Path("."), ip="0.0.0.0", port=8890).url == "http://127.0.0.1:8890/lab"
    assert lab.LabConfig(root_dir=Path("."), ip="::1", port=8890).url == "http://[::1]:8890/lab"


def test_find_port_skips_a_busy_one() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        assert lab.find_port("127.0.0.1", taken, tries=20) != taken
    assert lab.find_port("127.0.0.1", 0) > 0


def test_find_port_takes_a_port_whose_last_connection_is_in_time_wait() -> None:
    """A lab restarted at once: its port has a socket in TIME_WAIT, which Jupyter's own bind ignores."""
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)) as client:
            accepted, _ = server.accept()
            accepted.close()  # the side that closes first keeps the port in TIME_WAIT
            client.recv(1)
    table = Path("/proc/net/tcp")
    if table.exists():  # Linux: check the premise (state 06 is TIME_WAIT)
        rows = [line.split() for line in table.read_text().splitlines()[1:]]
        assert "06" in {row[3] for row in rows if row[1].endswith(f":{port:04X}")}
    assert lab.find_port("127.0.0.1", port, tries=5) == port


def test_copy_notebooks_keeps_what_is_there(tmp_path: Path) -> None:
    target = tmp_path / "wskit-notebooks"
    path, copied = lab.copy_notebooks(target)
    shipped = sorted(p.name for p in (ROOT / "notebooks").iterdir() if p.suffix in (".ipynb", ".py"))
    assert path == target.resolve() and copied == shipped and "01_echo_chat.ipynb" in copied
    edited = target / "01_echo_chat.ipynb"
    edited.write_text("my edits")
    (target / "03_many_clients.ipynb").unlink()
    _, again = lab.copy_notebooks(target)
    assert again == ["03_many_clients.ipynb"] and edited.read_text() == "my edits"


def test_notebook_dir_copies_the_notebooks_when_none_are_at_hand(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    shipped = [p for p in (ROOT / "notebooks").iterdir() if p.suffix in (".ipynb", ".py")]
    assert lab.notebook_dir(None) == (tmp_path / "wskit-notebooks").resolve()
    assert f"no notebooks/ folder here; copied {len(shipped)} demo notebook file(s) into" in capsys.readouterr().err
    assert lab.notebook_dir(None) == (tmp_path / "wskit-notebooks").resolve()
    assert "(all there already: kept as they are)" in capsys.readouterr().err
    (tmp_path / "notebooks").mkdir()
    assert lab.notebook_dir(None) == (tmp_path / "notebooks").resolve()


def test_browser_only_with_a_display(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert not lab.has_display()
    monkeypatch.setenv("DISPLAY", ":0")
    assert lab.has_display()


@pytest.mark.timeout(150)
def test_lab_starts_prints_the_url_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    """The real thing, as ``./dev lab`` runs it (as root on CI: --allow-root is needed there)."""
    (tmp_path / "hello.ipynb").write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "JUPYTER_TOKEN")}
    with subprocess.Popen(
        [sys.executable, "-m", "wskit", "lab", str(tmp_path), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=ROOT,
    ) as process:
        try:
            _check_lab(process)
        finally:
            if process.poll() is None:
                process.kill()


def _check_lab(process: subprocess.Popen[str]) -> None:
    """Read the URL line, open it, then Ctrl-C the launcher and check Jupyter let the port go."""
    assert process.stdout is not None
    line = process.stdout.readline()  # the launcher prints nothing before the URL
    found = re.search(r"open (http://127\.0\.0\.1:(\d+)/lab\?token=(\S+))", line)
    assert found, line
    url, port, token = found.group(1), int(found.group(2)), found.group(3)
    with urllib.request.urlopen(url, timeout=10) as page:
        assert page.status == 200
        assert "JupyterLab" in page.read().decode()
    contents = f"http://127.0.0.1:{port}/api/contents?token={token}"
    with urllib.request.urlopen(contents, timeout=10) as listing:
        assert "hello.ipynb" in listing.read().decode()
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0
    for _ in range(100):  # Jupyter has let the port go
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                break
        time.sleep(0.1)
    else:
        pytest.fail("JupyterLab still listens after the launcher stopped")
