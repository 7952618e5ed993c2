"""Every Python and shell block of README.md, run as written (see ``tests/readme_runner.py``)."""

from __future__ import annotations

import shlex
import textwrap
from pathlib import Path

import pytest

from tests.browser.conftest import require_browser

from .kernel_runner import CellRun
from .readme_runner import (
    ROOT,
    SHELLS,
    Block,
    blocks,
    cell_problems,
    cell_text,
    ci_command,
    run_python,
    run_shell,
)

README = ROOT / "README.md"
ALL = blocks(README.read_text())
PYTHON = [b for b in ALL if b.lang == "python"]
SHELL = [b for b in ALL if b.lang in SHELLS]

pytestmark = [
    # jupyter_client and zmq warn about their own internals while a kernel runs
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]


@pytest.fixture(scope="module")
def python_cells(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CellRun]:
    """Each Python block's executed cell: blocks of one kernel run in order, as one notebook."""
    groups: dict[str, list[Block]] = {}
    for block in PYTHON:
        groups.setdefault(str(block.directive.get("kernel", "main")), []).append(block)
    cells: dict[str, CellRun] = {}
    for name, group in groups.items():
        executed = run_python(group, tmp_path_factory.mktemp(f"readme-{name}"))
        cells.update({block.id: cell for block, cell in zip(group, executed, strict=True)})
    return cells


def test_the_readme_has_blocks_of_both_kinds() -> None:
    assert PYTHON and SHELL


def _marked(block: Block) -> object:
    """A block that needs a browser is a ``browser`` test, skipped (failed under CI) without Chromium."""
    return pytest.param(block, id=block.id, marks=[pytest.mark.browser] if "browser" in block.directive else [])


@pytest.mark.timeout(600)  # the first block's test runs every Python block of its kernel
@pytest.mark.parametrize("block", [_marked(b) for b in PYTHON])
def test_python_block(block: Block, python_cells: dict[str, CellRun]) -> None:
    if "browser" in block.directive:
        require_browser()
    problems = cell_problems(python_cells[block.id], allow_stderr="stderr" in block.directive)
    assert not problems, f"README.md line {block.line} ({block.section}):\n" + "\n".join(problems)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("block", SHELL, ids=[b.id for b in SHELL])
def test_shell_block(block: Block, tmp_path: Path) -> None:
    if "runs_as" in block.directive:
        # the command CI runs is this very suite: check it is that command rather than recurse
        (command,) = block.commands()
        script = ROOT / block.directive["runs_as"]
        assert shlex.split(command, comments=True) == shlex.split(ci_command(script), comments=True)
        return
    results = run_shell(block, tmp_path)
    failed = [r.describe() for r in results if not r.ok]
    assert not failed, f"README.md line {block.line} ({block.section}):\n" + "\n\n".join(failed)


# -- the runner itself, on exact inputs -------------------------------------------------------

SAMPLE = textwrap.dedent(
    """\
    # Title

    ```python
    x = 1
    ```

    ## Shell part

    <!-- readme-run: {"background": [1], "ports": [8765]} -->
    ```bash
    serve --port 8765   # keeps running
    # a comment line
    connect ws://127.0.0.1:8765/ \\
        --json
    ```

    ```text
    not code
    ```
    """
)


def test_blocks_finds_fences_sections_and_directives() -> None:
    found = blocks(SAMPLE)
    assert [(b.lang, b.line, b.section) for b in found] == [
        ("python", 3, "Title"),
        ("bash", 10, "Shell part"),
        ("text", 17, "Shell part"),
    ]
    assert found[0].code == "x = 1\n" and found[0].directive == {}
    assert found[1].directive == {"background": [1], "ports": [8765]}
    assert found[1].commands() == ["serve --port 8765   # keeps running", "connect ws://127.0.0.1:8765/      --json"]
    assert found[1].id == "bash-L10-shell-part"


def test_blocks_refuses_a_bad_directive_and_an_open_fence() -> None:
    with pytest.raises(ValueError, match="line 1: bad readme-run directive"):
        blocks('<!-- readme-run: {"background": } -->\n```bash\necho\n```\n')
    with pytest.raises(ValueError, match="line 1: code fence never closed"):
        blocks("```python\nx = 1\n")


def test_run_shell_background_ports_stdin_and_exit_codes(tmp_path: Path) -> None:
    code = (
        "python -c \"import sys, time; print('ready on 8765', flush=True); time.sleep(60)\"\n"
        'read line; echo "got $line 8765"\n'
        "exit 3\n"
    )
    block = Block(
        "bash",
        code,
        1,
        "sample",
        {
            "background": [1],
            "ready": "ready on",
            "ports": [8765],
            "stdin": {"2": "hi\n"},
            "exit": {"3": 3},
            "stdout": {"2": "^got hi"},
            "stop_exit": -2,  # Python ends on an unhandled KeyboardInterrupt by SIGINT
        },
    )
    results = run_shell(block, tmp_path)
    assert [r.ok for r in results] == [True, True, True]
    read, exited, background = results
    port = background.stdout.split()[-1]
    assert port != "8765" and port.isdigit()
    assert read.stdout == f"got hi {port}\n"
    assert exited.status == 3
    unmet = run_shell(Block("bash", "echo no\n", 1, "sample", {"stdout": {"1": "^yes$"}}), tmp_path)
    assert [r.ok for r in unmet] == [False]
    assert "stdout must match '^yes$'" in unmet[0].describe()
    assert background.status == -2


def test_run_shell_files_make_a_readers_project(tmp_path: Path) -> None:
    text = textwrap.dedent(
        """\
        ## Your project

        ```python
        # app/hello.py
        print("hi")
        ```

        <!-- readme-run: {"files": ["app/hello.py"], "stdout": {"1": "^hi$", "2": "^project$"}} -->
        ```bash
        python app/hello.py
        basename "$PWD"
        ```
        """
    )
    block = blocks(text)[1]
    assert block.directive["files"] == {"app/hello.py": '# app/hello.py\nprint("hi")\n'}
    results = run_shell(block, tmp_path)
    assert [r.ok for r in results] == [True, True], [r.describe() for r in results]
    with pytest.raises(ValueError, match=r"line 2: no earlier block of 'Elsewhere' opens with '# app/hello\.py'"):
        blocks('## Elsewhere\n<!-- readme-run: {"files": ["app/hello.py"]} -->\n```bash\ntrue\n```\n')


def test_ci_runs_the_readme_test_command() -> None:
    assert ci_command() == "./dev test"


@pytest.mark.timeout(120)
def test_run_python_shares_one_kernel_files_outputs_per_block_and_goes_on_after_an_error(tmp_path: Path) -> None:
    code = [
        "x = 41\nimport asyncio, sys",
        "raise ValueError('boom')",
        "print(x + 1)\nprint('said on stderr', file=sys.stderr)",
        # a background task started here writes after the block finished: still this block's
        "async def later():\n    await asyncio.sleep(0.2)\n    print('late', file=sys.stderr)\n"
        "task = asyncio.get_running_loop().create_task(later())",
    ]
    group = [Block("python", c, n, "sample") for n, c in enumerate(code, start=1)]
    first, failing, noisy, late = run_python(group, tmp_path, settle=1.0)
    assert cell_problems(first, allow_stderr=False) == []
    [raised] = cell_problems(failing, allow_stderr=False)
    assert raised.startswith("raised ValueError: boom")
    assert cell_text(noisy) == "42\n"  # the kernel went on, with the names block 1 defined
    assert cell_problems(noisy, allow_stderr=False) == ["printed on stderr:\nsaid on stderr\n"]
    assert cell_problems(noisy, allow_stderr=True) == []
    assert cell_problems(late, allow_stderr=False) == ["printed on stderr:\nlate\n"]


# an inline icon, as wskit's own pages have: Chromium would ask this route-less server for
# /favicon.ico, which is still logged as a failed handshake (see tests/transports/test_pages.py)
PAGE = (
    '<link rel="icon" href="data:,"><button id="go" disabled>go</button><script>'
    "const go = document.getElementById('go'); go.disabled = false;"
    "go.onclick = () => { const ws = new WebSocket(location.href.replace('http', 'ws'));"
    " ws.onopen = () => { ws.send('hi'); document.title = 'sent'; }; };"
    "</script>"
)


@pytest.mark.browser
@pytest.mark.timeout(180)
def test_run_python_opens_the_printed_page_in_chromium_for_a_browser_block(tmp_path: Path) -> None:
    require_browser()
    group = [
        Block(
            "python",
            "import asyncio, wskit\n"
            f"server = wskit.WebsocketServerTransport(wskit.WebsocketServerParams(html={PAGE!r}), port=0)\n"
            "got = server.frames()\n"
            "await server.start()\n"
            "print('open', server.url.replace('ws://', 'http://'))\n",
            1,
            "sample",
        ),
        Block(
            "python",
            "conn, frame = await got.get(timeout=10)\nprint(frame, len(server.clients))\n",
            2,
            "sample",
            {"browser": {"click": "#go", "until": "document.title === 'sent'"}},
        ),
        Block(
            "python",
            "for _ in range(100):\n"
            "    if not server.clients:\n"
            "        break\n"
            "    await asyncio.sleep(0.1)\n"
            "print(len(server.clients))\n",
            3,
            "sample",
        ),
        Block("python", "print('ran')\n", 4, "sample", {"browser": {"until": "false", "timeout": 2}}),
        Block("python", "await wskit.stop_all_async()\n", 5, "sample"),
    ]
    cells = run_python(group, tmp_path)
    problems = [cell_problems(cell, allow_stderr=False) for cell in cells]
    assert problems[:3] == [[], [], []] and problems[4] == []
    # the browser clicked, the page's socket sent 'hi' before the block read it
    assert cell_text(cells[1]) == "TEXT 'hi' [2 bytes] 1\n"
    assert cell_text(cells[2]) == "0\n"  # Chromium was closed once its block had run
    # a condition that never holds is the block's failure, and the block still runs
    assert cell_text(cells[3]) == "ran\n"
    (problem,) = problems[3]
    assert problem.startswith("printed on stderr:\nbrowser on http://127.0.0.1:") and "Timeout" in problem


def test_run_python_leaves_a_browser_block_unrun_without_chromium(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tests.readme_runner.missing", lambda: "no Chromium here")
    group = [
        Block("python", "x = 1\n", 1, "sample"),
        Block("python", "x = 2\n", 2, "sample", {"browser": {}}),
        Block("python", "print(x)\n", 3, "sample"),
    ]
    cells = run_python(group, tmp_path)
    assert [cell.outputs for cell in cells[:2]] == [[], []]
    assert cells[0].execution_count is not None and cells[1].execution_count is None  # not run
    assert cell_text(cells[2]) == "1\n"


def test_a_background_command_that_keeps_printing_never_blocks(tmp_path: Path) -> None:
    """Output after the ready line (here 300 KB, far past a pipe's 64 KiB) is drained, not left to block."""
    code = (
        "python -c \"import sys, time; print('ready', flush=True); "
        "[print('x' * 99, flush=True) for _ in range(3000)]; "
        "print('done', file=sys.stderr, flush=True); time.sleep(60)\"\n"
        'python -c "import time; time.sleep(1.5)"\n'
    )
    block = Block("bash", code, 1, "sample", {"background": [1], "ready": "^ready", "stop_exit": -2})
    results = run_shell(block, tmp_path)
    assert [r.ok for r in results] == [True, True]
    background = results[-1]
    assert background.stdout.count("x" * 99) == 3000
    assert "done" in background.stderr
