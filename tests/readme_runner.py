"""Run README.md's code blocks as a reader would: Python in a notebook kernel, shell in bash.

The README is code users copy, so the test suite executes every ``python`` and
shell (``bash``/``sh``/``console``) block exactly as written:

* **Python blocks** run in document order as the cells of one notebook in one
  Jupyter kernel (top-level ``await`` works, and later blocks see the names
  earlier ones defined), in a scratch folder so that files they write land
  there. A block fails when its cell raises or prints anything on stderr.
* **Shell blocks** run command by command with ``bash`` from the repository
  root, with the venv's ``bin`` first on ``PATH`` (as after
  ``source .venv/bin/activate``) and throwaway Jupyter folders. A command fails
  when it exits with another status than expected.

What a block needs beyond "run it" is said in an HTML comment on the line right
above its fence, invisible on GitHub: ``<!-- readme-run: {json} -->`` with

* ``"kernel": "NAME"`` — run in a kernel of its own (default: the shared ``"main"``);
* ``"stderr": "why"`` — this Python block prints on stderr on purpose;
* ``"background": [N, ...]`` — commands (1-based, continuation lines joined)
  started in the background: each must print a line matching ``"ready"``
  (default: any line) before the next command runs; at the end of the block it
  gets SIGINT and must exit with ``"stop_exit"`` (default 0);
* ``"stdin": {"N": "text"}`` — what command N reads (default: nothing);
* ``"exit": {"N": status}`` — command N's expected exit status (default 0);
* ``"stdout": {"N": "regex"}`` — what command N's output must contain (a
  regular expression searched in its stdout), for a claim the prose makes;
* ``"ports": [8765, ...]`` — fixed ports in the commands, each replaced by a
  free one, so the block can run while something else holds the port;
* ``"check_url": true`` — GET the first ``http://`` URL in each background
  command's ready line, which must answer 200;
* ``"runs_as": ".ci/run"`` — the block is the command CI itself runs (the
  suite executing now): it is checked to be that script's last command, not
  run a second time inside itself;
* ``"timeout": seconds`` — per command (default 120).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

__all__ = ["Block", "CommandResult", "blocks", "run_python", "run_shell"]

ROOT = Path(__file__).resolve().parent.parent
SHELLS = frozenset({"bash", "sh", "shell", "console"})
_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,})(?P<info>[^`]*)$")
_DIRECTIVE = re.compile(r"^\s*<!--\s*readme-run:\s*(?P<json>\{.*\})\s*-->\s*$")
_HEADING = re.compile(r"^#{1,6}\s+(?P<title>.+?)\s*#*\s*$")


@dataclass(frozen=True)
class Block:
    """One fenced code block of the README."""

    lang: str
    code: str
    line: int  # 1-based line of the opening fence
    section: str  # the heading it sits under
    directive: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", self.section.lower()).strip("-") or "top"
        return f"{self.lang}-L{self.line}-{slug}"

    def commands(self) -> list[str]:
        """Shell commands, continuation lines joined; comment-only and blank lines left out."""
        commands: list[str] = []
        pending = ""
        for raw in self.code.splitlines():
            line = pending + raw
            if line.endswith("\\"):
                pending = line[:-1] + " "
                continue
            pending = ""
            if line.strip() and not line.lstrip().startswith("#"):
                commands.append(line.strip())
        if pending.strip():
            commands.append(pending.strip())
        return commands


def blocks(text: str) -> list[Block]:
    """Every fenced block of a Markdown text, with its section and directive.

    Raises:
        ValueError: a directive is not valid JSON, or a fence is never closed.
    """
    lines = text.splitlines()
    found: list[Block] = []
    section = ""
    i = 0
    while i < len(lines):
        heading = _HEADING.match(lines[i])
        fence = _FENCE.match(lines[i])
        if heading and not fence:
            section = heading.group("title")
        if not fence:
            i += 1
            continue
        opening = fence.group("fence")
        lang = (fence.group("info").strip().split() or [""])[0].lower()
        directive: dict[str, Any] = {}
        if i > 0 and (match := _DIRECTIVE.match(lines[i - 1])):
            try:
                directive = json.loads(match.group("json"))
            except ValueError as exc:
                raise ValueError(f"README line {i}: bad readme-run directive: {exc}") from None
        body: list[str] = []
        j = i + 1
        while j < len(lines) and not lines[j].strip().startswith(opening):
            body.append(lines[j])
            j += 1
        if j == len(lines):
            raise ValueError(f"README line {i + 1}: code fence never closed")
        found.append(Block(lang, "\n".join(body) + "\n", i + 1, section, directive))
        i = j + 1
    return found


# -- Python: the cells of one notebook ------------------------------------------


def run_python(group: list[Block], cwd: Path, timeout: int = 120) -> list[nbformat.NotebookNode]:
    """Run ``group`` as the cells of one notebook in a fresh kernel; return the executed cells.

    Every cell runs even when an earlier one failed (so each block's own
    result can be reported), in ``cwd``.
    """
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(b.code) for b in group])
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(cwd)}},
    )
    client.execute()
    return list(notebook.cells)


def cell_problems(cell: nbformat.NotebookNode, allow_stderr: bool) -> list[str]:
    """What went wrong in an executed cell: errors raised, text on stderr."""
    problems = []
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            trace = "\n".join(output.get("traceback", []))
            problems.append(f"raised {output.ename}: {output.evalue}\n{_strip_ansi(trace)}")
        elif output.output_type == "stream" and output.name == "stderr" and not allow_stderr:
            problems.append(f"printed on stderr:\n{output.text}")
    return problems


def cell_text(cell: nbformat.NotebookNode) -> str:
    """What a cell printed on stdout and its plain-text results."""
    parts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream" and output.name == "stdout":
            parts.append(output.text)
        elif output.output_type in ("execute_result", "display_data"):
            parts.append(output.data.get("text/plain", ""))
    return "".join(parts)


def _strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


# -- shell: command by command --------------------------------------------------


@dataclass
class CommandResult:
    """How one shell command of a block ended."""

    command: str
    status: int | None
    stdout: str
    stderr: str
    expected: int
    pattern: str | None = None  # must be found in stdout

    @property
    def ok(self) -> bool:
        found = self.pattern is None or re.search(self.pattern, self.stdout, re.M) is not None
        return self.status == self.expected and found

    def describe(self) -> str:
        return (
            f"$ {self.command}\nexit status {self.status} (expected {self.expected})"
            + (f", stdout must match {self.pattern!r}" if self.pattern else "")
            + "\n"
            f"--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}"
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def shell_env(scratch: Path) -> dict[str, str]:
    """The environment of a reader who activated the venv, with throwaway Jupyter folders."""
    env = {**os.environ}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    for name in ("config", "data", "runtime"):
        (scratch / f"jupyter-{name}").mkdir(parents=True, exist_ok=True)
        env[f"JUPYTER_{name.upper()}_DIR"] = str(scratch / f"jupyter-{name}")
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env.pop("JUPYTER_TOKEN", None)
    return env


def run_shell(block: Block, scratch: Path) -> list[CommandResult]:
    """Run a shell block's commands in order, as its directive says; return how each ended."""
    directive = block.directive
    commands = block.commands()
    for port in directive.get("ports", []):
        new = str(free_port())
        commands = [re.sub(rf"\b{port}\b", new, c) for c in commands]
    background = set(directive.get("background", []))
    stdin = {int(k): v for k, v in directive.get("stdin", {}).items()}
    expected = {int(k): v for k, v in directive.get("exit", {}).items()}
    patterns = {int(k): v for k, v in directive.get("stdout", {}).items()}
    ready = re.compile(directive.get("ready", r"\S"))
    timeout = float(directive.get("timeout", 120))
    env = shell_env(scratch)
    results: list[CommandResult] = []
    running: list[tuple[int, str, subprocess.Popen[bytes], list[str]]] = []
    try:
        for n, command in enumerate(commands, start=1):
            if n in background:
                proc, first = _start_background(command, env, ready, timeout)
                running.append((n, command, proc, first))
                if directive.get("check_url"):
                    _check_url(" ".join(first), command)
                continue
            done = subprocess.run(
                ["bash", "-c", command],
                cwd=ROOT,
                env=env,
                input=stdin.get(n, ""),
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
            results.append(
                CommandResult(command, done.returncode, done.stdout, done.stderr, expected.get(n, 0), patterns.get(n))
            )
    finally:
        for _, command, proc, first in reversed(running):
            status, out, err = _stop(proc)
            results.append(
                CommandResult(command, status, "".join(first) + out, err, int(directive.get("stop_exit", 0)))
            )
    return results


def _start_background(
    command: str, env: dict[str, str], ready: re.Pattern[str], timeout: float
) -> tuple[subprocess.Popen[bytes], list[str]]:
    """Start ``command`` in a process group of its own; wait for its ready line on stdout."""
    proc = subprocess.Popen(
        ["bash", "-c", f"exec {command}" if _single(command) else command],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    os.set_blocking(fd, False)
    seen = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                chunk = None
            if chunk:
                seen += chunk
                lines = [line + "\n" for line in seen.decode(errors="replace").split("\n")[:-1]]
                if any(ready.search(line) for line in lines):
                    return proc, lines
            elif chunk == b"" or proc.poll() is not None:
                break
            else:
                time.sleep(0.05)
    finally:
        os.set_blocking(fd, True)
    status, out, err = _stop(proc)
    raise AssertionError(
        f"background command never printed a line matching {ready.pattern!r}: $ {command}\n"
        f"exit status {status}\n--- stdout ---\n{seen.decode(errors='replace') + out}\n--- stderr ---\n{err}"
    )


def _single(command: str) -> bool:
    """Whether ``command`` is one simple command (so ``exec`` makes it the signalled process)."""
    try:
        words = shlex.split(command, comments=True)
    except ValueError:
        return False
    return bool(words) and not any(w in {"|", "&&", "||", ";", "&"} for w in words)


def _stop(proc: subprocess.Popen[bytes]) -> tuple[int | None, str, str]:
    """SIGINT (Ctrl-C) to the command's process group; kill it if it hangs."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        note = "\n[killed: no exit 30 s after SIGINT]"
        return None, out.decode(errors="replace"), err.decode(errors="replace") + note
    return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")


def _check_url(text: str, command: str) -> None:
    match = re.search(r"http://\S+", text)
    if match is None:
        raise AssertionError(f"no http:// URL in the ready line of: $ {command}\n{text}")
    with urllib.request.urlopen(match.group(0), timeout=30) as response:  # the loopback URL it printed
        if response.status != 200:
            raise AssertionError(f"{match.group(0)} answered {response.status}")


def ci_command(path: Path = ROOT / ".ci" / "run") -> str:
    """The last command ``.ci/run`` executes (the README's test command, by its promise)."""
    lines = [line.strip() for line in path.read_text().splitlines()]
    commands = [line for line in lines if line and not line.startswith("#")]
    last = commands[-1]
    return last.removeprefix("exec ").strip()
