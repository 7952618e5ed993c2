"""Re-running a notebook cell, in a real kernel: what the same cell started before is replaced.

JupyterLab and Notebook 7 put the cell's id in each execute request's metadata
(``{"cellId": ...}``); nbclient sends none. The kernel here gets execute
requests built the way each front end builds them, through jupyter_client.
"""

from __future__ import annotations

import queue
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager, start_new_kernel

from .test_notebooks import ROOT

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]

# the README's Quickstart cell, shortened: a server on port 0 and a client connected to it
QUICKSTART = (
    "import wskit\n"
    "server = wskit.WebsocketServerTransport(port=0)\n"
    "await server.start()\n"
    "client = wskit.WebsocketClientTransport(server.url)\n"
    "await client.start()\n"
)
COUNT = (
    "import asyncio\nawait asyncio.sleep(0.3)\nprint(len(wskit.runtime.transports()), server.running, client.running)"
)


@pytest.fixture
def kernel() -> Iterator[BlockingKernelClient]:
    manager: KernelManager
    manager, client = start_new_kernel(kernel_name="python3", cwd=str(ROOT))
    try:
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def run(client: BlockingKernelClient, code: str, cell_id: str | None = None) -> str:
    """Execute ``code`` as a front end would (with ``cellId`` metadata when given); its stdout."""
    content = {"code": code, "silent": False, "store_history": True, "user_expressions": {}, "allow_stdin": False}
    metadata: dict[str, Any] = {"cellId": cell_id, "deletedCells": [], "recordTiming": False} if cell_id else {}
    message = client.session.msg("execute_request", content, metadata=metadata)
    client.shell_channel.send(message)
    msg_id = message["header"]["msg_id"]
    out: list[str] = []
    while True:
        try:
            reply = client.get_iopub_msg(timeout=30)
        except queue.Empty:
            raise AssertionError(f"no idle status for {code!r}; output so far {out}") from None
        if reply["parent_header"].get("msg_id") != msg_id:
            continue
        kind = reply["msg_type"]
        if kind == "stream":
            out.append(reply["content"]["text"])
        elif kind == "error":
            raise AssertionError("\n".join(reply["content"]["traceback"]))
        elif kind == "status" and reply["content"]["execution_state"] == "idle":
            return "".join(out)


def test_rerunning_a_cell_with_a_cell_id_replaces_what_it_started(kernel: BlockingKernelClient) -> None:
    cell = str(uuid.uuid4())
    assert run(kernel, QUICKSTART, cell) == ""
    first_server = run(kernel, "first = (server, client)\n" + COUNT, str(uuid.uuid4()))
    assert first_server.strip() == "2 True True"
    assert run(kernel, QUICKSTART, cell) == ""  # the same cell again: nothing printed, the old pair stopped
    assert run(kernel, COUNT, str(uuid.uuid4())).strip() == "2 True True"
    assert run(kernel, "print(first[0].running, first[1].running)").strip() == "False False"
    # another cell with the same code is another cell: it adds its own pair
    assert run(kernel, QUICKSTART, str(uuid.uuid4())) == ""
    assert run(kernel, COUNT).strip() == "4 True True"


def test_rerunning_without_a_cell_id_says_what_still_runs(kernel: BlockingKernelClient) -> None:
    assert run(kernel, QUICKSTART) == ""
    again = run(kernel, QUICKSTART)
    assert again == (
        "wskit: 1 server and 1 client from earlier runs of this cell are still running (this front end sends no "
        "cell id to replace them by); wskit.stop_all() stops everything wskit started\n"
    )
    assert run(kernel, COUNT).strip() == "4 True True"
    assert run(kernel, "await wskit.stop_all_async()\nprint(len(wskit.runtime.transports()))").strip() == "0"
