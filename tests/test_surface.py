"""The public surface: what the README and the notebooks use exists, and ``import wskit`` documents it."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import wskit

ROOT = Path(__file__).resolve().parent.parent
USE = re.compile(r"\bwskit((?:\.[A-Za-z_]\w*)+)")
FROM = re.compile(r"^\s*from (wskit(?:\.\w+)*) import \(?([\w, ]+)", re.MULTILINE)


ALIAS = re.compile(r"^\s*(?:from wskit import (\w+)$|import (wskit\.\w+) as (\w+)$)", re.MULTILINE)
SUBPACKAGES = {"audio", "plot", "widgets", "wire"}


def _sources() -> list[str]:
    """The python blocks of README.md, then the code cells of each notebook, one text per document."""
    readme = (ROOT / "README.md").read_text()
    sources = ["\n".join(re.findall(r"```python\n(.*?)```", readme, re.DOTALL))]
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        sources.append("\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code"))
    return sources


def _uses(code: str) -> set[str]:
    """``wskit.X.Y`` paths one document uses, through ``from wskit import audio``-style aliases too."""
    used = {"wskit" + m.group(1) for m in USE.finditer(code)}
    for m in FROM.finditer(code):
        used |= {f"{m.group(1)}.{n.strip()}" for n in m.group(2).split(",") if n.strip()}
    for m in ALIAS.finditer(code):
        module, alias = (f"wskit.{m.group(1)}", m.group(1)) if m.group(1) else (m.group(2), m.group(3))
        if module.rpartition(".")[2] not in SUBPACKAGES or re.search(rf"^\s*{alias}\s*=", code, re.MULTILINE):
            continue
        used |= {module + u for u in re.findall(rf"\b{alias}((?:\.[A-Za-z_]\w*)+)", code)}
    return used


def _resolve(dotted: str) -> object:
    """``wskit.audio.chirp`` -> the object, importing packages on the way as ``import wskit.audio`` would."""
    parts = dotted.split(".")
    obj: object = importlib.import_module(parts[0])
    for i, part in enumerate(parts[1:], 1):
        if not hasattr(obj, part):
            importlib.import_module(".".join(parts[: i + 1]))
        obj = getattr(obj, part)
    return obj


def test_every_name_the_readme_and_notebooks_use_exists() -> None:
    used = set().union(*(_uses(code) for code in _sources()))
    assert {"wskit.wire.demos.keepalive_timeout", "wskit.audio.Recorder", "wskit.stop_all_async"} <= used
    missing = []
    for dotted in sorted(used):
        # a method or attribute of a wskit object (wskit.CloseCode.POLICY_VIOLATION) resolves on the way
        try:
            _resolve(dotted)
        except (AttributeError, ImportError) as exc:
            missing.append(f"{dotted}: {exc}")
    assert missing == []


def test_every_top_level_name_is_documented() -> None:
    doc = wskit.__doc__ or ""
    assert [name for name in wskit.__all__ if not re.search(rf"\b{re.escape(name)}\b", doc)] == []


def test_top_level_names_exist() -> None:
    assert [name for name in wskit.__all__ if not hasattr(wskit, name)] == []
