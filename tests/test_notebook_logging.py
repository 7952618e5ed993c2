"""wskit's log records in a Jupyter kernel land under the running cell; elsewhere nothing changes."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.kernel_runner import kernel
from wskit import notebook_logging

ROOT = Path(__file__).resolve().parent.parent


class FakeStream:
    """An ipykernel ``OutStream`` stand-in: remembers which parent each write was filed under."""

    def __init__(self) -> None:
        self.parent: dict[str, Any] = {"header": {"msg_id": "context-of-the-task"}}
        self.writes: list[tuple[str, str]] = []

    def set_thread_parent(self, parent: dict[str, Any]) -> dict[str, Any]:
        token, self.parent = self.parent, parent
        return token

    def reset_thread_parent(self, token: dict[str, Any]) -> None:
        self.parent = token

    def write(self, text: str) -> int:
        self.writes.append((self.parent["header"]["msg_id"], text))
        return len(text)

    def flush(self) -> None:
        pass


class FakeShell:
    """What the handler uses of IPython's shell: ``events`` and ``kernel.get_parent``."""

    def __init__(self) -> None:
        self.callbacks: dict[str, list[Any]] = {"pre_run_cell": []}
        self.current = {"header": {"msg_id": "cell-1"}}
        self.events = self
        self.kernel = self

    def register(self, name: str, callback: Any) -> None:
        self.callbacks[name].append(callback)

    def unregister(self, name: str, callback: Any) -> None:
        self.callbacks[name].remove(callback)

    def get_parent(self, channel: str) -> dict[str, Any]:
        return self.current

    def run_cell(self, msg_id: str) -> None:
        self.current = {"header": {"msg_id": msg_id}}
        for callback in self.callbacks["pre_run_cell"]:
            callback(None)


@pytest.fixture
def streams() -> tuple[FakeStream, FakeStream]:
    return FakeStream(), FakeStream()


def record(level: int, message: str, exc: BaseException | None = None) -> logging.LogRecord:
    return logging.LogRecord("wskit", level, __file__, 1, message, (), (type(exc), exc, None) if exc else None)


def test_records_go_under_the_cell_running_now(streams: tuple[FakeStream, FakeStream]) -> None:
    out, err = streams
    shell = FakeShell()
    handler = notebook_logging.CellLogHandler(shell, stdout=out, stderr=err)
    handler.handle(record(logging.WARNING, "peer sent junk"))
    shell.run_cell("cell-7")  # a server started in cell 1 logs while cell 7 runs
    handler.handle(record(logging.WARNING, "1009 message too big"))
    handler.handle(record(logging.ERROR, "on_frame handler failed", ValueError("bad code")))
    assert out.writes == [
        ("cell-1", "wskit warning: peer sent junk\n"),
        ("cell-7", "wskit warning: 1009 message too big\n"),
    ]
    [(cell, text)] = err.writes
    assert cell == "cell-7"
    assert text.startswith("wskit error: on_frame handler failed\n") and "ValueError: bad code" in text
    assert out.parent["header"]["msg_id"] == "context-of-the-task"  # the stream's own parent is restored
    handler.detach()
    assert shell.callbacks["pre_run_cell"] == []


def test_what_the_handler_writes_is_masked(streams: tuple[FakeStream, FakeStream]) -> None:
    """A token in a message or a traceback never reaches the cell, whichever logger the record came from."""
    out, err = streams
    handler = notebook_logging.CellLogHandler(FakeShell(), stdout=out, stderr=err)
    try:
        raise RuntimeError("upstream refused Authorization: Bearer s3cretTOKEN42")
    except RuntimeError as exc:
        failure = exc
    mine = logging.LogRecord("wskit.mine", logging.ERROR, __file__, 1, "handler for %s failed", ("ws://h/?token=s3cretTOKEN42",),
                             (RuntimeError, failure, failure.__traceback__))  # fmt: skip
    handler.handle(mine)  # a child logger's record: the wskit logger's own filter never saw it
    handler.handle(record(logging.WARNING, "peer sent Cookie: session=s3cretTOKEN42"))
    [(_, error)] = err.writes
    [(_, warning)] = out.writes
    assert "s3cretTOKEN42" not in error + warning
    assert error.startswith("wskit error: handler for ws://h/?token=*** failed\n")
    assert "RuntimeError: upstream refused Authorization: ***" in error
    assert warning == "wskit warning: peer sent Cookie: ***\n"
    handler.detach()


def test_warnings_are_capped_per_cell(streams: tuple[FakeStream, FakeStream]) -> None:
    out, _ = streams
    shell = FakeShell()
    handler = notebook_logging.CellLogHandler(shell, max_warnings=3, stdout=out)
    for n in range(10):
        handler.handle(record(logging.WARNING, f"bad message {n}"))
    lines = [text for _, text in out.writes]
    assert lines[:3] == [f"wskit warning: bad message {n}\n" for n in range(3)]
    assert len(lines) == 4 and lines[3].startswith("wskit: more warnings in this cell are not shown")
    shell.run_cell("cell-2")  # a new cell shows its own again
    handler.handle(record(logging.WARNING, "next cell"))
    assert out.writes[-1] == ("cell-2", "wskit warning: next cell\n")


def test_install_outside_a_kernel_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(notebook_logging, "_handler", None)
    monkeypatch.setattr(notebook_logging, "_declined", False)
    monkeypatch.setattr(notebook_logging, "kernel_shell", lambda: None)
    before = list(logging.getLogger("wskit").handlers)
    assert notebook_logging.install() is None
    assert logging.getLogger("wskit").handlers == before
    assert notebook_logging._declined  # asked once: a script does not turn into a kernel


def test_install_leaves_configured_logging_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(notebook_logging, "_handler", None)
    monkeypatch.setattr(notebook_logging, "_declined", False)
    monkeypatch.setattr(notebook_logging, "kernel_shell", FakeShell)
    mine = logging.NullHandler()
    logging.getLogger().addHandler(mine)
    try:
        assert notebook_logging.install() is None
    finally:
        logging.getLogger().removeHandler(mine)


def test_install_once_and_uninstall(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(notebook_logging, "_handler", None)
    monkeypatch.setattr(notebook_logging, "_declined", False)
    shell = FakeShell()
    monkeypatch.setattr(notebook_logging, "kernel_shell", lambda: shell)
    monkeypatch.setattr(logging.getLogger("wskit"), "handlers", [])
    monkeypatch.setattr(logging.getLogger(), "handlers", [])
    handler = notebook_logging.install()
    assert handler is not None and notebook_logging.install() is handler
    assert logging.getLogger("wskit").handlers == [handler]
    notebook_logging.uninstall()
    assert logging.getLogger("wskit").handlers == [] and shell.callbacks["pre_run_cell"] == []
    assert notebook_logging.install() is None  # uninstall is a decision: not undone behind the user's back


def test_a_plain_script_keeps_the_standard_handlers() -> None:
    """No handler at import or when a transport runs; a record reaches stderr as usual."""
    script = textwrap.dedent(
        """
        import asyncio, logging, wskit

        async def main():
            server = wskit.WebsocketServerTransport(port=0)
            await server.start()
            print(logging.getLogger("wskit").handlers)
            logging.getLogger("wskit").warning("a warning")
            await server.stop()

        print(logging.getLogger("wskit").handlers)
        asyncio.run(main())
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["[]", "[]"]
    assert done.stderr == "a warning\n"


@pytest.mark.timeout(90)
def test_in_a_real_kernel_a_background_record_lands_under_the_running_cell() -> None:
    """A server started in cell 1 logs (from its tasks) while cell 3 runs: under cell 3, not cell 1."""
    with kernel(ROOT) as k:
        first = k.run(
            "import asyncio, wskit\n"
            "server = wskit.WebsocketServerTransport(wskit.WebsocketServerParams(max_message_size=16), port=0)\n"
            "@server.event_handler('on_frame')\n"
            "async def fail(transport, conn, frame):\n"
            "    raise RuntimeError('handler failed on purpose')\n"
            "errors = []\n"
            "server.add_event_handler('on_error', lambda t, c, e: errors.append(e))\n"
            "await server.start()"
        )
        k.run("client = wskit.WebsocketClientTransport(server.url)\nawait client.start()")
        third = k.run(
            "await client.send_text('boom')  # the handler fails: ERROR, with its traceback\n"
            "for _ in range(500):\n"
            "    if errors: break\n"
            "    await asyncio.sleep(0.01)\n"
            "await client.connection.websocket.send('x' * 64)  # over the limit: 1009, the peer's fault\n"
            "for _ in range(500):\n"
            "    if len(errors) > 1 or client.connection is None: break\n"
            "    await asyncio.sleep(0.01)\n"
            "await asyncio.sleep(0.1)"
        )
        fourth = k.run(
            "import logging\n"
            "logging.getLogger('wskit').warning('peer said ws://h/?token=s3cretTOKEN42')\n"
            "try:\n"
            "    raise RuntimeError('Authorization: Bearer s3cretTOKEN42')\n"
            "except RuntimeError:\n"
            "    logging.getLogger('wskit').exception('failed')"
        )
        k.run("await wskit.stop_all_async()")
        k.settle()
    assert fourth.stdout == "wskit warning: peer said ws://h/?token=***\n"  # masked: wskit.redact
    assert fourth.stderr.startswith("wskit error: failed\n") and "RuntimeError: Authorization: " in fourth.stderr
    assert "s3cretTOKEN42" not in fourth.stdout + fourth.stderr
    assert first.outputs == []
    assert "wskit warning: WebsocketServerTransport on connection #1: " in third.stdout
    assert "1009" in third.stdout
    assert third.stderr.startswith("wskit error: WebsocketServerTransport on connection #1: handler failed on purpose")
    assert "RuntimeError: handler failed on purpose" in third.stderr
    assert all(during == third.index for _, during in third.stderr_outputs())
