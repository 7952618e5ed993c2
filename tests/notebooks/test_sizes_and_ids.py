"""Notebooks 1 and 8 print sizes in one unit (bytes, as on the wire) and name connections ``conn #N``."""

from __future__ import annotations

import re

import pytest

from tests.notebooks.runner import run

pytestmark = [
    pytest.mark.timeout(240),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]


@pytest.mark.parametrize("name", ["01_echo_chat.ipynb", "08_panels_tour.ipynb"])
def test_one_size_unit_and_one_id_wording(name: str) -> None:
    nb = run(name)
    assert not nb.errors()
    text = "\n".join(nb.text(c.id) for c in nb.notebook.cells if c.cell_type == "code")
    assert "chars]" not in text
    rows = re.findall(r"message (\S+ #?\d*) ?(in|out) (TEXT|BINARY) (.*?) \[(\d+) bytes\]", text)
    assert rows, "no message rows printed"
    assert all(who.startswith("conn") or who == "conn" for who, *_ in rows), rows
    # the same message logged out and back in has the same size
    sizes: dict[str, set[str]] = {}
    for _who, _direction, _opcode, payload, size in rows:
        sizes.setdefault(payload, set()).add(size)
    assert all(len(s) == 1 for s in sizes.values()), sizes
    assert "## What to try next" in nb.notebook.cells[-1].source
