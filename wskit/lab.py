"""Start JupyterLab on wskit's notebooks, whoever runs it and wherever.

``./dev lab`` and ``wskit lab`` both land here. A plain ``jupyter lab`` trips
a new user in three ways this launcher removes:

* as root (most containers) Jupyter refuses to start without ``--allow-root``;
* on a machine with no browser the URL with its token is buried in the log;
* a busy port makes Jupyter quietly move to another one;
* installed from a wheel (``pip install wskit``), there is no ``notebooks/``
  folder at hand: the demo notebooks ship inside the package, and the
  launcher copies them into ``./wskit-notebooks`` (never over a file already
  there, so your edits are kept) and opens that.

So the launcher picks a free port itself, makes a token (or takes
``JUPYTER_TOKEN``) and hands it over in the environment (not on the command
line, where other local users could read it), starts Jupyter quietly in its
own process group, waits until it answers, and prints one line with the URL
to open. A browser is opened only when the machine has a display. Ctrl-C
stops Jupyter cleanly.
"""

from __future__ import annotations

import argparse
import importlib.resources
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import webbrowser
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["COPY_DIR", "LabConfig", "command", "copy_notebooks", "find_port", "has_display", "main", "notebook_dir"]

DEFAULT_PORT = 8888
#: Where ``wskit lab`` copies the demo notebooks when there is no ``notebooks/`` folder at hand.
COPY_DIR = Path("wskit-notebooks")
READY_TIMEOUT = 120.0  # a first start builds JupyterLab's settings: allow for a slow machine


@dataclass(frozen=True)
class LabConfig:
    """What to start: where, on which address, and how."""

    root_dir: Path
    ip: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    open_browser: bool = False
    extra: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        """The address to open, without the token."""
        host = "127.0.0.1" if self.ip in ("", "0.0.0.0", "*") else self.ip
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}/lab"


def has_display() -> bool:
    """True when a browser could open a window here (desktop session, macOS or Windows)."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _shipped_notebooks() -> Path | None:
    """The demo notebooks that came with wskit: inside the installed package (a wheel), or
    the source tree's ``notebooks/`` (an editable install); ``None`` when neither is there."""
    inside = importlib.resources.files("wskit") / "notebooks"
    if isinstance(inside, Path) and inside.is_dir():
        return inside
    source = Path(__file__).resolve().parent.parent / "notebooks"
    return source if source.is_dir() else None


def copy_notebooks(target: Path = COPY_DIR) -> tuple[Path, list[str]]:
    """Copy the demo notebooks into ``target``, keeping every file already there.

    Returns:
        ``target`` (resolved) and the names of the files copied now.

    Raises:
        SystemExit: wskit has no notebooks to copy.
    """
    source = _shipped_notebooks()
    if source is None:
        raise SystemExit("wskit lab: this wskit has no demo notebooks; pass the folder to open")
    target.mkdir(parents=True, exist_ok=True)
    copied = []
    for item in sorted(source.iterdir()):
        if item.suffix not in (".ipynb", ".py") or item.name.startswith((".", "_")):
            continue
        destination = target / item.name
        if destination.exists():  # the user's copy, maybe edited: never overwritten
            continue
        destination.write_bytes(item.read_bytes())
        copied.append(item.name)
    return target.resolve(), copied


def notebook_dir(given: str | None) -> Path:
    """The folder to serve: the one given, else ``./notebooks`` when it exists, else the demo
    notebooks copied into ``./wskit-notebooks`` (see :func:`copy_notebooks`)."""
    if given is None and not Path("notebooks").is_dir():
        path, copied = copy_notebooks()
        kept = "" if copied else " (all there already: kept as they are)"
        news = f"copied {len(copied)} demo notebook file(s) into {path}" if copied else f"using {path}{kept}"
        print(f"wskit lab: no notebooks/ folder here; {news}", file=sys.stderr, flush=True)
        return path
    path = Path(given) if given else Path("notebooks")
    if not path.is_dir():
        raise SystemExit(f"wskit lab: {path} is not a folder")
    return path.resolve()


def find_port(ip: str, start: int = DEFAULT_PORT, tries: int = 50) -> int:
    """The first port from ``start`` that ``ip`` can bind (``start`` itself if 0 picks one).

    The probe sets ``SO_REUSEADDR`` as the server Jupyter starts does (tornado's
    ``bind_sockets``), so a port whose last connections are in TIME_WAIT (a lab
    restarted at once) counts as free, as it is for Jupyter. Not on Windows,
    where the option lets a socket take a port that is really in use.
    """
    bind_ip = "" if ip in ("0.0.0.0", "*") else ip
    family = socket.AF_INET6 if ":" in bind_ip else socket.AF_INET
    for port in range(start, start + tries) if start else [0]:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            if os.name != "nt":
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((bind_ip, port))
            except OSError:
                continue
            chosen: int = probe.getsockname()[1]
            return chosen
    raise SystemExit(f"wskit lab: no free port in {start}-{start + tries - 1} on {ip}; pass --port")


def command(config: LabConfig, *, euid: int | None = None) -> list[str]:
    """The ``jupyter lab`` command line for ``config``.

    ``--allow-root`` is added only for root (``euid`` 0): Jupyter refuses
    root without it and warns about it for everyone else.
    """
    if euid is None:
        euid = os.geteuid() if hasattr(os, "geteuid") else 1
    argv = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",  # the launcher opens one itself, after the server answers
        f"--ServerApp.root_dir={config.root_dir}",
        f"--ServerApp.ip={config.ip}",
        f"--ServerApp.port={config.port}",
        "--ServerApp.port_retries=0",  # the printed URL must be the real one
        "--ServerApp.log_level=WARN",  # the URL line is what matters; warnings still show
        "--LabApp.log_level=WARN",
    ]
    if euid == 0:
        argv.append("--allow-root")
    return [*argv, *config.extra]


def _wait_ready(process: subprocess.Popen[bytes], config: LabConfig, token: str, timeout: float) -> bool:
    """Poll the server's status API until it answers, the process ends or ``timeout`` passes."""
    status = config.url.removesuffix("/lab") + "/api/status"
    request = urllib.request.Request(status, headers={"Authorization": f"token {token}"})
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    return False


def _stop(process: subprocess.Popen[bytes]) -> int:
    """Ask Jupyter to shut down (SIGTERM), then insist after 10 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def run(config: LabConfig, *, ready_timeout: float = READY_TIMEOUT) -> int:
    """Start JupyterLab, print the URL once it answers, and wait until it ends or Ctrl-C."""
    token = os.environ.get("JUPYTER_TOKEN") or secrets.token_urlsafe(24)
    env = {**os.environ, "JUPYTER_TOKEN": token}
    # its own process group: a terminal's Ctrl-C reaches the launcher only, which then
    # stops Jupyter without Jupyter's interactive "Shutdown this server (y/[n])?" prompt
    process = subprocess.Popen(command(config), env=env, start_new_session=True)

    def on_signal(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_signal)
    try:
        if not _wait_ready(process, config, token, ready_timeout):
            code = _stop(process)
            print(f"wskit lab: JupyterLab did not start (exit code {code}); see the messages above", file=sys.stderr)
            return code or 1
        url = f"{config.url}?token={token}"
        print(f"wskit lab: JupyterLab is running on {config.root_dir} -- open {url}  (Ctrl-C stops it)", flush=True)
        if config.open_browser:
            webbrowser.open(url)
        return process.wait()
    except KeyboardInterrupt:
        print("wskit lab: stopping JupyterLab", file=sys.stderr, flush=True)
        _stop(process)
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``lab`` command's options (shared by ``wskit lab`` and ``python -m wskit.lab``)."""
    parser.add_argument("root_dir", nargs="?", help="folder to serve (default: ./notebooks if present, else .)")
    parser.add_argument("--ip", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"first port to try (default: {DEFAULT_PORT}; 0 picks any)"
    )
    browser = parser.add_mutually_exclusive_group()
    browser.add_argument("--browser", dest="browser", action="store_true", default=None, help="open a browser")
    browser.add_argument("--no-browser", dest="browser", action="store_false", help="never open a browser")


def from_arguments(args: argparse.Namespace, extra: Sequence[str] = ()) -> LabConfig:
    """A :class:`LabConfig` from parsed options; ``extra`` goes to Jupyter as it is."""
    return LabConfig(
        root_dir=notebook_dir(args.root_dir),
        ip=args.ip,
        port=find_port(args.ip, args.port),
        open_browser=has_display() if args.browser is None else args.browser,
        extra=tuple(extra),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m wskit.lab [root_dir] [--ip IP] [--port N] [--no-browser] [jupyter options...]``."""
    parser = argparse.ArgumentParser(prog="wskit lab", description="Start JupyterLab on wskit's notebooks.")
    add_arguments(parser)
    args, extra = parser.parse_known_args(argv)
    return run(from_arguments(args, extra))


if __name__ == "__main__":
    raise SystemExit(main())
