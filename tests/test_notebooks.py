"""Notebooks and the README quickstart, executed in a real Jupyter kernel."""

from __future__ import annotations

import http.client
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest
from nbclient import NotebookClient

from tests.kernel_runner import CellRun, NotebookRun, kernel
from tests.notebooks.runner import AFTER_RUN_ALL, STOP
from tests.notebooks.runner import run as run_notebook

ROOT = Path(__file__).resolve().parent.parent
#: notebooks whose own test module runs them and checks their facts (run once, not twice)
OWN_TESTS = {
    "11_bad_network.ipynb",  # tests/test_notebook_bad_network.py
    "12_load_test.ipynb",  # test_load_test_notebook below
}
NOTEBOOKS = sorted(p for p in (ROOT / "notebooks").glob("*.ipynb") if p.name not in OWN_TESTS)

pytestmark = [
    pytest.mark.timeout(180),
    # jupyter_client and zmq warn about their own internals while a kernel runs
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]


def execute(cells: list[str], cwd: Path = ROOT) -> list[str]:
    """Run ``cells`` in a fresh kernel, in order; return each cell's text output."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(notebook, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}).execute()
    return [_text(cell) for cell in notebook.cells]


def _text(cell: nbformat.NotebookNode) -> str:
    parts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type in ("execute_result", "display_data"):
            parts.append(output.data.get("text/plain", ""))
    return "".join(parts)


def readme_blocks() -> list[str]:
    """The python blocks of the README's quickstart section."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert blocks, "no python block in the README quickstart"
    return blocks


#: a log record's first line (what wskit.notebook_logging writes, and Python's own last-resort form)
RECORD_START = re.compile(r"(?m)^(?=wskit (?:error|critical|warning): )")


def deliberate_errors(cell: CellRun) -> re.Pattern[str] | None:
    """The stderr a cell tagged ``deliberate-error`` is expected to show (its ``wskit.expected_stderr``)."""
    if "deliberate-error" not in cell.tags:
        return None
    pattern = cell.metadata.get("wskit", {}).get("expected_stderr")
    assert pattern, f"cell {cell.index} is tagged deliberate-error but names no wskit.expected_stderr"
    return re.compile(pattern)


def assert_quiet(run: NotebookRun) -> None:
    """No error outputs; stderr only in cells that deliberately show an error, and only that error."""
    name = run.path.name
    for cell in run.cells:
        assert not cell.errors, f"{name} cell {cell.index} raised {cell.errors[0].ename}: {cell.errors[0].evalue}"
        expected = deliberate_errors(cell)
        for text, during in cell.stderr_outputs():
            where = f"{name}: stderr under cell {cell.index} (arrived while cell {during} ran)"
            assert expected is not None, f"{where}:\n{text}"
            for record in filter(None, RECORD_START.split(text)):
                assert expected.match(record), f"{where} is not the expected error {expected.pattern!r}:\n{record}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_quietly(path: Path) -> None:
    """Run All, as a person does: no errors, and stderr only where a cell deliberately shows one.

    Outputs are filed where JupyterLab shows them (by their parent message), so a record a
    background task logs later under an earlier cell is caught too (nbclient would drop it).
    The run then does what the reader does at the end: stops everything. It is the one run
    per session the notebook's own test in tests/notebooks/ reads too.
    """
    run = run_notebook(path.name)
    assert_quiet(run.cells)
    assert run.after.stdout.splitlines() == AFTER_RUN_ALL.get(path.name, (STOP, []))[1]


def test_a_deliberate_error_must_be_the_expected_one() -> None:
    """The check above fails on stderr in an untagged cell, and on an unexpected error in a tagged one."""
    tagged = CellRun(1, "", ["deliberate-error"], {"wskit": {"expected_stderr": "^wskit error: close code 1005"}})
    untagged = CellRun(2, "")
    for cell, text in ((untagged, "wskit error: close code 1005\n"), (tagged, "wskit error: something else\n")):
        cell.outputs.append(nbformat.v4.new_output("stream", name="stderr", text=text))
        cell.arrived_during.append(cell.index)
        with pytest.raises(AssertionError):
            assert_quiet(NotebookRun(Path("x.ipynb"), [cell]))
    ok = CellRun(1, "", ["deliberate-error"], {"wskit": {"expected_stderr": "^wskit error: close code 1005"}})
    ok.outputs.append(nbformat.v4.new_output("stream", name="stderr", text="wskit error: close code 1005\nTrace\n"))
    ok.arrived_during.append(1)
    assert_quiet(NotebookRun(Path("x.ipynb"), [ok]))


def test_loading_the_chat_page_of_notebook_1_is_quiet() -> None:
    """Notebook 1 invites the reader to open its chat page: loading it, as a browser does, logs nothing."""
    path = ROOT / "notebooks" / "01_echo_chat.ipynb"
    notebook = nbformat.read(path, as_version=4)
    with kernel(path.parent) as k:
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type == "code":
                k.run(cell.source, index, cell.metadata.get("tags", []))
        page = k.run("print(server.url.replace('ws://', 'http://'))").stdout.strip()
        host, port = urlsplit(page).hostname, urlsplit(page).port
        for target in ("/?ws=/ws", "/favicon.ico"):  # a browser asks for the icon right after the page
            conn = http.client.HTTPConnection(str(host), port, timeout=5)
            conn.request("GET", target, headers={"Connection": "keep-alive", "Accept": "text/html"})
            conn.getresponse().read()
            conn.close()
        k.run("await asyncio.sleep(0.3)")
        k.run(STOP)
        k.settle()
        run = NotebookRun(path, k.cells)
    assert_quiet(run)
    said = "".join(c.stdout + c.stderr for c in run.cells)
    assert "opening handshake failed" not in said


@pytest.mark.pipecat
def test_pipecat_notebook_live_part() -> None:
    """Notebook 7 found .venv-pipecat and really talked to its Pipecat bot (not the skipped path)."""
    from tests.test_pipecat import pipecat_python

    pipecat_python()  # skips without the venv (fails under CI instead)
    path = ROOT / "notebooks" / "07_pipecat.ipynb"
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    lines = "\n".join(_text(cell) for cell in notebook.cells).splitlines()
    assert any(line.startswith("Pipecat found: ") for line in lines)
    assert "sent 0a 0f 1a 0d 68 65 6c 6c 6f 20 70 69 70 65 63 61 74 | same bytes as above: True" in lines
    assert "bot replied: {'you said': 'hello pipecat', 'upper': 'HELLO PIPECAT'}" in lines
    assert "bot replied: {'echo': {'type': 'greeting', 'n': [1, 2, 3]}}" in lines
    assert "echo identical to the chirp: True" in lines
    assert "bot exited with code 0" in lines
    assert not any("skipped" in line for line in lines)


def test_browser_audio_notebook_headless(monkeypatch: pytest.MonkeyPatch) -> None:
    """Notebook 10 with no browser: every live cell says it skipped; the rest shows what its prose says."""
    monkeypatch.setenv("WSKIT_BROWSER_WAIT", "1")
    path = ROOT / "notebooks" / "10_browser_audio.ipynb"
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    outputs = [_text(cell) for cell in notebook.cells if cell.cell_type == "code"]
    lines = "\n".join(outputs).splitlines()
    assert not [o for c in notebook.cells for o in c.get("outputs", []) if o.get("name") == "stderr"]
    (opened,) = [line for line in lines if line.startswith("open ")]
    assert re.fullmatch(r"open http://127\.0\.0\.1:\d+/ in a browser on this machine", opened)
    assets = [line.split()[:2] for line in lines if line.startswith("/wskit/")]
    assert [a[0] for a in assets] == [
        "/wskit/audio.js",
        "/wskit/pcm.js",
        "/wskit/capture-worklet.js",
        "/wskit/playback-worklet.js",
    ]
    assert {a[1] for a in assets} == {"text/javascript;"}
    assert "no browser connected within 1 s: the live cells below skip (open the page, run them again)" in lines
    assert lines.count("skipped: no browser") == 3 and "skipped: nothing recorded" in lines
    assert any(re.fullmatch(r"WAV headers: +http://127\.0\.0\.1:\d+/\?format=wav", line) for line in lines)
    assert any(re.search(r"\?format=protobuf&ws=ws%3A%2F%2F127\.0\.0\.1%3A8765%2F$", line) for line in lines)
    assert any(re.fullmatch(r"server: wss://127\.0\.0\.1:\d+/", line) for line in lines)
    assert any(re.fullmatch(r"page: +https://127\.0\.0\.1:\d+/", line) for line in lines)
    assert any(re.fullmatch(r"SHA-256 fingerprint: ([0-9A-F]{2}:){31}[0-9A-F]{2}", line) for line in lines)
    assert lines[-1] == "[]"


def test_notebooks_exist() -> None:
    assert NOTEBOOKS, "notebooks/ has no notebook"


def test_readme_quickstart_in_a_notebook() -> None:
    quickstart, _, stop = readme_blocks()
    output, stopped = execute([quickstart, stop + "\nprint(wskit.runtime.transports())"])
    assert output.strip() == "TEXT 'hello' [5 bytes]"
    assert stopped.strip() == "[]"


def test_readme_quickstart_in_a_script() -> None:
    quickstart, _, stop = readme_blocks()
    body = textwrap.indent(quickstart + stop, "    ")
    script = f"import asyncio\n\n\nasync def main():\n{body}\n\nasyncio.run(main())\n"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "TEXT 'hello' [5 bytes]"


def test_cells_rerun_in_a_kernel() -> None:
    """Two cells start servers on one port in sequence; a background handler fails."""
    outputs = execute(
        [
            "import asyncio, socket, wskit\n"
            "with socket.socket() as s:\n"
            "    s.bind(('127.0.0.1', 0)); PORT = s.getsockname()[1]",
            # the same "start a server" cell, run twice
            *[
                "server = wskit.WebsocketServerTransport(port=PORT)\n"
                f"server.add_event_handler('on_frame', lambda t, c, f: wskit.spawn(c.send_text('{name}')))\n"
                "await server.start()\n"
                "print(len(wskit.runtime.transports()), server.running)"
                for name in ("first", "second")
            ],
            "client = wskit.WebsocketClientTransport(server.url)\n"
            "replies = client.frames()\n"
            "await client.start()\n"
            "await client.send_text('?')\n"
            "print(await replies.get(timeout=2))",
            # a handler that raises in the background, after the cell has ended
            "errors = []\n"
            "server.add_event_handler('on_error', lambda t, c, e: errors.append(e))\n"
            "async def explode(transport, conn, frame):\n"
            "    raise RuntimeError('background failure')\n"
            "server.add_event_handler('on_frame', explode)\n"
            "await client.send_text('boom')",
            "await asyncio.sleep(0.2)\nprint(errors)",
            "await wskit.stop_all_async()\nprint(wskit.runtime.transports())",
        ]
    )
    assert outputs[1].strip() == "1 True"
    assert outputs[2].strip() == "1 True"  # the first server was replaced, not added
    assert outputs[3].strip() == "TEXT 'second' [6 bytes]"
    assert outputs[5].strip().endswith("[RuntimeError('background failure')]")
    assert outputs[6].strip() == "[]"


def test_readme_route_example() -> None:
    """The README's FastAPI-style route, on the quickstart's server, next to its echo."""
    quickstart, route_example, stop = readme_blocks()
    _, output, _ = execute(
        [
            quickstart,
            "import asyncio\n" + route_example + "\n"
            "base = server.url.rstrip('/')\n"
            "echo = wskit.WebsocketClientTransport(base + '/anywhere')\n"
            "echoed = echo.frames()\n"
            "await echo.start()\n"
            "await echo.send_text('still echoing')\n"
            "print(await echoed.get(timeout=2))\n"
            "client = wskit.WebsocketClientTransport(base + '/items/foo/ws?token=t1&q=2')\n"
            "replies = client.frames()\n"
            "await client.start()\n"
            "await client.send_text('hi')\n"
            "print(await replies.get(timeout=2))\n"
            "codes = []\n"
            "anonymous = wskit.WebsocketClientTransport(base + '/items/foo/ws')\n"
            "anonymous.add_event_handler('on_disconnected', lambda t, c: codes.append(c.close_code))\n"
            "await anonymous.start()\n"
            "for _ in range(200):\n"
            "    if codes: break\n"
            "    await asyncio.sleep(0.01)\n"
            "print(codes)\n",
            stop,
        ]
    )
    assert output.splitlines() == [
        "TEXT 'still echoing' [13 bytes]",
        "TEXT \"'hi' for item foo (token t1, q=2)\" [33 bytes]",
        "[1008]",
    ]


def test_load_test_notebook() -> None:
    """Notebook 12: a clean distributed run whose counts agree with the server's, nothing on stderr."""
    path = ROOT / "notebooks" / "12_load_test.ipynb"
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook, timeout=90, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    outputs = [o for c in notebook.cells for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    assert not [o for o in outputs if o.output_type == "stream" and o.name == "stderr"], "stderr output"
    lines = "\n".join(_text(cell) for cell in notebook.cells).splitlines()
    assert "wskit load exited with code 0" in lines
    assert "| lost | 0 |" in lines and "ok: frames lost 0 (limit --max-lost 0)" in lines
    assert "lost 0, duplicated 0, reordered 0" in lines
    assert "counts agree: True" in lines
    shares = [line for line in lines if line.startswith("worker ")]
    assert len(shares) == 2 and all(" 0 frames sent" not in line for line in shares), shares
    assert "most streams at once: 6" in lines, "\n".join(lines)
    assert any(o.output_type == "display_data" and "image/png" in o.data for o in outputs)  # the plot
    history = [line for line in lines if line.startswith("server received ")]
    assert history, lines
