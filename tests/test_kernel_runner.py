"""tests/kernel_runner.py shows a cell's outputs as a front end does: filed by request, cleared, updated."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.kernel_runner import kernel

pytestmark = [
    pytest.mark.timeout(90),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]


def test_outputs_are_filed_cleared_and_updated_as_a_front_end_shows_them(tmp_path: Path) -> None:
    with kernel(tmp_path) as k:
        shown = k.run("from IPython.display import clear_output, display\nhandle = display('first', display_id=True)")
        k.run("handle.update('second')")  # updates the output of the cell above, in place
        cleared = k.run("print('gone')\nclear_output()\nprint('kept')")
        waited = k.run("print('gone too')\nclear_output(wait=True)\nprint('kept too')")
        late = k.run(
            "import asyncio, sys\n"
            "async def later():\n    await asyncio.sleep(0.2)\n    print('late', file=sys.stderr)\n"
            "task = asyncio.get_running_loop().create_task(later())"
        )
        after = k.run("await asyncio.sleep(0.5)")
    assert [o.data["text/plain"] for o in shown.outputs] == ["'second'"]
    assert cleared.stdout == "kept\n"
    assert waited.stdout == "kept too\n"
    assert late.stderr_outputs() == [("late\n", after.index)]  # under its own cell, noted as arriving later
