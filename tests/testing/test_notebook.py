"""Notebook 9 (record and replay) states what its own outputs show: this test checks each fact its prose cites."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "09_record_replay.ipynb"

pytestmark = [
    pytest.mark.timeout(240),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),  # jupyter_client and zmq, while a kernel runs
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]


def test_notebook_9_shows_what_its_prose_says() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        notebook, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    ).execute()
    streams = [o for c in notebook.cells for o in c.get("outputs", []) if o.output_type == "stream"]
    assert not [o.text for o in streams if o.name == "stderr"]  # nothing on stderr
    assert not [o for c in notebook.cells for o in c.get("outputs", []) if o.output_type == "error"]
    lines = "".join(o.text for o in streams).splitlines()

    # the chat, checked by expect_json as it went
    assert "got {'item_id': 'foo', 'q': 5, 'text': 'Message text was: hello'}" in lines
    assert "1 connection, 4 messages, closed with 1000" in lines
    # the cassette: the handshake with its token masked, who sent what, the close
    connect = next(line for line in lines if line.startswith('{"type": "connect"'))
    assert '"path": "/items/foo/ws", "query": "token=***&q=5"' in connect
    assert not any("s3cret" in line for line in lines if line.startswith("{"))
    assert '{"type": "message", "conn": 1, "t": …, "from": "client", "opcode": "text", "data": "hello"}' in lines
    assert '{"type": "close", "conn": 1, "t": …, "code": 1000, "reason": "done", "initiator": "client"}' in lines
    assert "replay ok: True - 4 messages exchanged" in lines
    # pytest in a subprocess: passes, then fails after the change, naming the message and the field
    assert lines.count("pytest exit code: 0") == 1 and "1 passed" in lines
    failed = lines.index("pytest exit code: 1")
    assert lines[failed + 1] == (
        "<workdir>/cassettes/chat.jsonl:4: connection 1 (/items/foo/ws?token=***&q=5), message 2 of 4, from the server:"
    )
    assert lines[failed + 4 : failed + 7] == [
        "  JSON diff:",
        '    $.text: missing (expected "Message text was: hello")',
        '    $.message: unexpected "Message text was: hello"',
    ]
    # the cassette as a server, and Save session
    assert lines.count("the fake server answered {'item_id': 'foo', 'q': 5, 'text': 'Message text was: hello'}") == 1
    assert "the client kept to the cassette" in lines
    saved = next(line for line in lines if line.startswith("[\"client TEXT 'one more' [8 bytes]\""))
    assert "server TEXT" in saved and saved.endswith("[62 bytes]']")
    assert lines[-1] == "cleaned up"
