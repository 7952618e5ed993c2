"""Run README.md's code blocks as a reader would: Python in a notebook kernel, shell in bash.

The README is code users copy, so the test suite executes every ``python`` and
shell (``bash``/``sh``/``console``) block exactly as written:

* **Python blocks** run in document order as the cells of one notebook in one
  Jupyter kernel (top-level ``await`` works, and later blocks see the names
  earlier ones defined), in a scratch folder so that files they write land
  there, through ``tests/kernel_runner.py`` (every output filed under the
  block it belongs to, late ones too). A block fails when its cell raises or
  prints anything on stderr; the blocks after it still run.
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
  gets SIGINT and must exit with ``"stop_exit"`` (default 0); its stdout and
  stderr are drained all along, so it may print as much as it likes;
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
* ``"timeout": seconds`` — per command (default 120);
* ``"files": ["tests/test_x.py", ...]`` — the commands are for a reader's own
  project, not this repository: they run in a scratch folder holding each named
  file, whose text is the earlier block of the same section that opens with the
  comment line ``# tests/test_x.py`` (that line included, as the reader copies it);
* ``"browser": {"click": "CSS selector", "until": "JS expression", "timeout": s}``
  — this Python block needs a browser on the page an earlier block printed:
  before the block runs, headless Chromium (Debian's, through Playwright, as in
  ``tests/browser/``) opens the last ``http://`` URL the blocks before it
  printed, with a fake microphone playing a 440 Hz tone and autoplay allowed,
  clicks ``click`` (if given) and waits until ``until`` (if given) is true, for
  at most ``timeout`` seconds (default 30); it closes once the block has run.
  A page error, or a failed open, click or wait, is reported as the block's
  stderr. Without Chromium the block is not run and its test skips (fails
  under ``CI``), as the browser tests do.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from tests.browser.conftest import missing
from tests.kernel_runner import CellRun, kernel

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
        if "files" in directive:
            directive["files"] = _project_files(directive["files"], found, section, i)
        found.append(Block(lang, "\n".join(body) + "\n", i + 1, section, directive))
        i = j + 1
    return found


def _project_files(names: list[str], earlier: list[Block], section: str, line: int) -> dict[str, str]:
    """A ``files`` directive's names, each with the text of its block: ``# name`` on its first line."""
    files = {}
    for name in names:
        found = [b for b in earlier if b.section == section and b.code.split("\n", 1)[0].strip() == f"# {name}"]
        if not found:
            raise ValueError(f"README line {line}: no earlier block of {section!r} opens with '# {name}'")
        files[name] = found[-1].code
    return files


# -- Python: the cells of one notebook ------------------------------------------


def run_python(group: list[Block], cwd: Path, timeout: int = 120, settle: float = 0.5) -> list[CellRun]:
    """Run ``group`` as the cells of one notebook in a fresh kernel; return the executed cells.

    The kernel is :mod:`tests.kernel_runner`'s, the one the notebook tests use:
    every output is filed under the block whose request it belongs to, as a
    front end shows it (also one that arrives after the block finished, such
    as a record logged by a background task: it counts against the block it
    appears under, where nbclient would drop it). Every block runs even when
    an earlier one failed (so each block's own result can be reported), in
    ``cwd``; ``settle`` seconds after the last one, late outputs are still filed.
    A block with a ``"browser"`` directive runs with Chromium on the page (see
    the module's docstring); when there is no browser to drive it is not run
    (no outputs).
    """
    browser = _Browser(cwd)
    try:
        with kernel(cwd, timeout) as k:
            cells: list[CellRun] = []
            for index, block in enumerate(group):
                directive = block.directive.get("browser")
                if directive is None:
                    cells.append(k.run(block.code, index))
                    continue
                if missing() is not None:
                    cells.append(CellRun(index, block.code))
                    continue
                browser.open(directive, [cell_text(c) for c in cells])
                cell = k.run(block.code, index)
                problems = browser.close()
                if problems:
                    cell.outputs.append(
                        nbformat.v4.new_output("stream", name="stderr", text="\n".join(problems) + "\n")
                    )
                    cell.arrived_during.append(index)
                cells.append(cell)
            k.settle(settle)
            return cells
    finally:
        browser.shutdown()


class _Browser:
    """Chromium on a page an earlier block printed, while a ``"browser"`` block runs.

    Playwright's asyncio API runs on a loop of its own in a thread, so the page
    keeps being served its events while the kernel runs the block.
    """

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.problems: list[str] = []
        self._stack: contextlib.AsyncExitStack | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def _call(self, coro: Coroutine[Any, Any, None]) -> None:
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(target=self._loop.run_forever, name="readme-browser", daemon=True)
            self._thread.start()
        asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def open(self, directive: dict[str, Any], earlier: list[str]) -> None:
        """Open the last ``http://`` URL in ``earlier`` (what the blocks before printed), as ``directive`` says."""
        self.problems = []
        urls = [u for text in earlier for u in re.findall(r"http://\S+", text)]
        if not urls:
            self.problems.append("browser: no http:// URL printed by an earlier block to open")
            return
        self._call(self._open(directive, urls[-1]))

    async def _open(self, directive: dict[str, Any], url: str) -> None:
        from tests.browser.audio_harness import audio_browser, tone_wav

        limit = float(directive.get("timeout", 30)) * 1000
        self._stack = contextlib.AsyncExitStack()
        try:
            chromium = await self._stack.enter_async_context(audio_browser(tone_wav(self.cwd / "microphone.wav")))
            page = await (await chromium.new_context()).new_page()
            page.on("pageerror", lambda error: self.problems.append(f"browser: page error: {error}"))
            await page.goto(url, timeout=limit)
            if "click" in directive:
                await page.click(directive["click"], timeout=limit)
            if "until" in directive:
                await page.wait_for_function(directive["until"], timeout=limit)
        except Exception as exc:  # reported as the block's failure, the other blocks still run
            self.problems.append(f"browser on {url}: {type(exc).__name__}: {exc}")

    def close(self) -> list[str]:
        """Close the browser; what went wrong with it while the block ran."""
        if self._stack is not None:
            stack, self._stack = self._stack, None
            self._call(stack.aclose())
        return self.problems

    def shutdown(self) -> None:
        self.close()
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._loop.close()
            self._loop = self._thread = None


def cell_problems(cell: CellRun, allow_stderr: bool) -> list[str]:
    """What went wrong in an executed cell: errors raised, text on stderr."""
    problems = []
    for output in cell.outputs:
        if output.output_type == "error":
            trace = "\n".join(output.get("traceback", []))
            problems.append(f"raised {output.ename}: {output.evalue}\n{_strip_ansi(trace)}")
        elif output.output_type == "stream" and output.name == "stderr" and not allow_stderr:
            problems.append(f"printed on stderr:\n{output.text}")
    return problems


def cell_text(cell: CellRun) -> str:
    """What a cell printed on stdout and its plain-text results."""
    return cell.stdout + "".join(
        o.data.get("text/plain", "") for o in cell.outputs if o.output_type in ("execute_result", "display_data")
    )


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
    cwd = ROOT
    if "files" in directive:  # a reader's own project: its files, in a folder of its own
        cwd = scratch / "project"
        for name, text in directive["files"].items():
            (cwd / name).parent.mkdir(parents=True, exist_ok=True)
            (cwd / name).write_text(text)
    results: list[CommandResult] = []
    running: list[tuple[int, str, _Background, list[str]]] = []
    try:
        for n, command in enumerate(commands, start=1):
            if n in background:
                proc, first = _start_background(command, env, ready, timeout, cwd)
                running.append((n, command, proc, first))
                if directive.get("check_url"):
                    _check_url(" ".join(first), command)
                continue
            done = subprocess.run(
                ["bash", "-c", command],
                cwd=cwd,
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
        for _, command, job, _first in reversed(running):
            status, out, err = job.stop()
            results.append(CommandResult(command, status, out, err, int(directive.get("stop_exit", 0))))
    return results


class _Background:
    """A command running in a process group of its own, its stdout and stderr drained as they come.

    Both pipes are read by threads for the whole life of the process, so a chatty server never
    blocks on a full pipe (64 KiB) after its ready line, whatever it prints and wherever.
    """

    def __init__(self, command: str, env: dict[str, str], cwd: Path, ready: re.Pattern[str]) -> None:
        self.proc = subprocess.Popen(
            ["bash", "-c", f"exec {command}" if _single(command) else command],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        self._ready = ready
        self.is_ready = threading.Event()
        self._out: list[bytes] = []
        self._err: list[bytes] = []
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self._threads = [
            threading.Thread(target=self._drain, args=(self.proc.stdout, self._out, True), daemon=True),
            threading.Thread(target=self._drain, args=(self.proc.stderr, self._err, False), daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def _drain(self, pipe: Any, into: list[bytes], watch: bool) -> None:
        for line in iter(pipe.readline, b""):
            into.append(line)
            if watch and self._ready.search(line.decode(errors="replace")):
                self.is_ready.set()
        pipe.close()

    def stdout_lines(self) -> list[str]:
        return [line.decode(errors="replace") for line in list(self._out)]

    def wait_ready(self, timeout: float) -> bool:
        """Whether the ready line came within ``timeout`` seconds (``False`` at once if the command ended)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.is_ready.wait(0.05):
                return True
            if self.proc.poll() is not None:
                self._threads[0].join(1)  # what it printed before it ended
                return self.is_ready.is_set()
        return False

    def stop(self) -> tuple[int | None, str, str]:
        """SIGINT (Ctrl-C) to the command's process group; kill it if it hangs."""
        note = ""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            note = "\n[killed: no exit 30 s after SIGINT]"
        for thread in self._threads:
            thread.join(5)
        status = None if note else self.proc.returncode
        out = b"".join(self._out).decode(errors="replace")
        return status, out, b"".join(self._err).decode(errors="replace") + note


def _start_background(
    command: str, env: dict[str, str], ready: re.Pattern[str], timeout: float, cwd: Path = ROOT
) -> tuple[_Background, list[str]]:
    """Start ``command`` in the background; wait for its ready line on stdout."""
    job = _Background(command, env, cwd, ready)
    if job.wait_ready(timeout):
        return job, job.stdout_lines()
    status, out, err = job.stop()
    raise AssertionError(
        f"background command never printed a line matching {ready.pattern!r}: $ {command}\n"
        f"exit status {status}\n--- stdout ---\n{out}\n--- stderr ---\n{err}"
    )


def _single(command: str) -> bool:
    """Whether ``command`` is one simple command (so ``exec`` makes it the signalled process)."""
    try:
        words = shlex.split(command, comments=True)
    except ValueError:
        return False
    return bool(words) and not any(w in {"|", "&&", "||", ";", "&"} for w in words)


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
