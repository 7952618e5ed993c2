"""Where two JSON values differ, one line per difference, each naming its path.

``diff({"a": 1, "b": [1, 2]}, {"a": 2, "b": [1]})`` gives
``["$.a: expected 1, got 2", "$.b: expected 2 items, got 1", "$.b[1]: missing (expected 2)"]``.
Paths are written the way JSONPath writes them (``$``, ``.name``, ``['odd name']``,
``[3]``), so a failure message names the field a test can then ignore.

Comparison is by JSON type: ``1``, ``1.0`` and ``true`` are three different
values, as they are three different texts on the wire. With ``subset=True``
only what ``expected`` mentions must be in ``got`` (objects may have more keys;
arrays must still match item by item): what ``expect_json(match={...})`` checks.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["diff", "path_join", "render"]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def path_join(path: str, key: str | int) -> str:
    """``path`` extended by one object key or array index, in JSONPath notation."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if _IDENTIFIER.match(key):
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def render(value: Any, limit: int = 80) -> str:
    """``value`` as compact JSON text, cut to ``limit`` characters."""
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, dict):
        return "dict"
    return type(value).__name__


def diff(expected: Any, got: Any, *, subset: bool = False, path: str = "$", limit: int = 20) -> list[str]:
    """The differences between two JSON values, at most ``limit`` lines (the last says how many more).

    Args:
        expected, got: parsed JSON (dicts, lists, str, int, float, bool, None).
        subset: keys of ``got`` objects that ``expected`` does not mention are allowed.
        path: the path of the values compared (``$`` for whole messages).
        limit: the most lines returned.
    """
    lines: list[str] = []
    _walk(expected, got, path, subset, lines)
    if len(lines) > limit:
        more = len(lines) - (limit - 1)
        lines = [*lines[: limit - 1], f"… and {more} more differences"]
    return lines


def _walk(expected: Any, got: Any, path: str, subset: bool, out: list[str]) -> None:
    kind = _kind(expected)
    if kind != _kind(got):
        out.append(f"{path}: expected {render(expected)}, got {render(got)}")
        return
    if kind == "dict":
        for key, value in expected.items():
            here = path_join(path, key)
            if key not in got:
                out.append(f"{here}: missing (expected {render(value)})")
            else:
                _walk(value, got[key], here, subset, out)
        if not subset:
            for key, value in got.items():
                if key not in expected:
                    out.append(f"{path_join(path, key)}: unexpected {render(value)}")
    elif kind == "list":
        if len(expected) != len(got):
            out.append(f"{path}: expected {len(expected)} items, got {len(got)}")
        for i, (e, g) in enumerate(zip(expected, got, strict=False)):
            _walk(e, g, path_join(path, i), subset, out)
        for i in range(len(got), len(expected)):
            out.append(f"{path_join(path, i)}: missing (expected {render(expected[i])})")
        if not subset:
            for i in range(len(expected), len(got)):
                out.append(f"{path_join(path, i)}: unexpected {render(got[i])}")
    elif expected != got:
        out.append(f"{path}: expected {render(expected)}, got {render(got)}")
