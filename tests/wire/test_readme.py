"""The README's protocol-anatomy example, run in a kernel as written."""

from __future__ import annotations

import re

import pytest

from ..test_notebooks import ROOT, execute

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]


def test_readme_protocol_anatomy_example() -> None:
    section = re.split(r"\n##+ ", (ROOT / "README.md").read_text().split("### Protocol anatomy", 1)[1], maxsplit=1)[0]
    (block,) = re.findall(r"```python\n(.*?)```", section, re.S)
    setup = (
        "import wskit\n"
        "server = wskit.WebsocketServerTransport(port=0)\n"
        "await server.start()\n"
        "client = wskit.WebsocketClientTransport(server.url)\n"
        "await client.start()"
    )
    _, output, _ = execute([setup, block, "await wskit.stop_all_async()"])
    lines = output.splitlines()
    assert any(line.endswith("in PING 'hi' [2 bytes]") for line in lines), output
    assert any(line.endswith("out PONG 'hi' [2 bytes]") for line in lines), output
