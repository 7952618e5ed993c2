"""wskit as a user gets it from ``pip install wskit``: a wheel, in a fresh venv, outside this repository.

The wheel is built from the working tree offline (``pip wheel --no-build-isolation``,
hatchling from the dev install) and installed without its dependencies into a new
venv, which sees the dev venv's packages through a ``.pth`` line (no network, no
second copy of numpy and JupyterLab) but not the editable wskit. Then ``wskit lab``
runs from that venv's own console script in an empty folder.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import sysconfig
import urllib.request
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").iterdir() if p.suffix in (".ipynb", ".py"))

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out), str(ROOT)],
        check=True,
        timeout=120,
        capture_output=True,
    )
    (built,) = out.glob("wskit-*.whl")
    return built


@pytest.fixture(scope="module")
def fresh(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new venv holding the wheel; the dev venv's packages (not its wskit) visible to it."""
    home = tmp_path_factory.mktemp("venv") / "fresh"
    venv.create(home, with_pip=False)
    python = home / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)],
        check=True,
        timeout=120,
        capture_output=True,
    )
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # a plain path line: the dev packages, without running their .pth files (the editable wskit's among them)
    Path(purelib, "dev-packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return home


def test_the_wheel_ships_the_notebooks_and_py_typed(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "wskit/py.typed" in names
    assert sorted(n.removeprefix("wskit/notebooks/") for n in names if n.startswith("wskit/notebooks/")) == NOTEBOOKS


def test_wskit_lab_from_the_wheel_copies_the_notebooks_and_opens_them(fresh: Path, tmp_path: Path) -> None:
    where = subprocess.run(
        [str(fresh / "bin" / "python"), "-c", "import wskit; print(wskit.__file__)"],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    ).stdout
    assert where.startswith(str(fresh)), where  # the wheel's wskit, not the working tree's
    share = Path(sys.prefix, "share", "jupyter")  # JupyterLab's assets live with the dev venv's JupyterLab
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "JUPYTER_TOKEN")}
    env.update(JUPYTER_PATH=str(share), JUPYTERLAB_DIR=str(share / "lab"))
    with subprocess.Popen(
        [str(fresh / "bin" / "wskit"), "lab", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    ) as process:
        try:
            assert process.stdout is not None and process.stderr is not None
            line = process.stdout.readline()
            found = re.search(r"running on (\S+) -- open (http://127\.0\.0\.1:(\d+)/lab\?token=(\S+))", line)
            assert found, line + process.stderr.read() if process.poll() is not None else line
            assert found.group(1) == str((tmp_path / "wskit-notebooks").resolve())
            port, token = found.group(3), found.group(4)
            contents = f"http://127.0.0.1:{port}/api/contents?token={token}"
            with urllib.request.urlopen(contents, timeout=20) as listing:
                listed = listing.read().decode()
            assert all(name in listed for name in NOTEBOOKS), listed
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=30) == 0
            err = process.stderr.read()
        finally:
            if process.poll() is None:
                process.kill()
    assert f"no notebooks/ folder here; copied {len(NOTEBOOKS)} demo notebook file(s) into" in err
    assert sorted(p.name for p in (tmp_path / "wskit-notebooks").iterdir()) == NOTEBOOKS


def test_a_second_run_keeps_the_users_edits(fresh: Path, tmp_path: Path) -> None:
    script = "from wskit import lab; print(lab.notebook_dir(None))"
    python = str(fresh / "bin" / "python")
    subprocess.run([python, "-c", script], check=True, capture_output=True, cwd=tmp_path, timeout=60)
    edited = tmp_path / "wskit-notebooks" / "01_echo_chat.ipynb"
    edited.write_text("my edits")
    again = subprocess.run([python, "-c", script], check=True, capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert again.stdout.strip() == str((tmp_path / "wskit-notebooks").resolve())
    assert "kept as they are" in again.stderr and edited.read_text() == "my edits"
