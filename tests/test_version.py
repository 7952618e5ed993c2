"""``wskit.__version__`` comes from the ``wskit._version`` leaf and agrees with pyproject.toml."""

from __future__ import annotations

import tomllib
from pathlib import Path

import wskit
import wskit._version
from wskit.eventlog import har_log

ROOT = Path(__file__).resolve().parent.parent


def test_the_facade_re_exports_the_leafs_version() -> None:
    assert wskit.__version__ is wskit._version.__version__


def test_the_version_is_pyprojects() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert wskit.__version__ == project["version"]


def test_a_har_export_names_this_version() -> None:
    assert har_log([])["log"]["creator"] == {"name": "wskit", "version": wskit.__version__}
