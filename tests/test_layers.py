"""The package's shape: the import contracts hold, and no module takes another's private names."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "wskit"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    """The absolute module a ``from ... import`` reads from."""
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def private_imports() -> list[str]:
    """``from X import _name`` unless ``_name`` is a private module of a package the importer belongs to."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.ImportFrom):
                continue
            source = _resolve(module, node, is_package)
            for alias in node.names:
                name = alias.name
                if not name.startswith("_") or name.startswith("__"):
                    continue
                inside = module == source or module.startswith(source + ".")
                submodule = PACKAGE.parent.joinpath(*source.split("."), name)
                if inside and (submodule.with_suffix(".py").exists() or submodule.is_dir()):
                    continue  # a private module of a package the importer is in: ``from . import _style``
                found.append(f"{module}:{node.lineno} imports {name} from {source}")
    return found


def test_no_module_imports_another_modules_private_names() -> None:
    assert private_imports() == []


def test_the_checker_sees_a_private_name() -> None:
    tree = ast.parse("from .events import _hidden\nfrom . import _text\n")
    nodes = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert [_resolve("wskit.eventlog", n, False) for n in nodes] == ["wskit.events", "wskit"]


@pytest.mark.timeout(120)
def test_import_contracts_hold() -> None:
    """The contracts in pyproject.toml (``./dev test`` runs them too, before pytest)."""
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint is not None, "import-linter is part of the dev extra: pip install -e '.[dev]'"
    done = subprocess.run(
        [lint, "--no-cache"], cwd=PACKAGE.parent, capture_output=True, text=True, timeout=110, check=False
    )
    assert done.returncode == 0, done.stdout[-4000:]
