"""Dependencies point one way: models ← services (+ core) ← ui ← pages, app.py.

Walks the source with `ast`, so a forbidden import is caught wherever it hides: inside a
function, behind `if TYPE_CHECKING`, or as `from x import y`.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# package → top-level names it may never import
FORBIDDEN = {
    "models": {"streamlit", "services", "core", "ui", "pages", "app", "seed"},
    "services": {"streamlit", "ui", "pages", "app"},
    "core": {"streamlit", "ui", "pages", "app", "services"},
}
# Streamlit's companion packages count as Streamlit.
STREAMLIT_FAMILY = {"streamlit_authenticator", "extra_streamlit_components"}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every import in a file; relative imports resolved to the package."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = path.relative_to(ROOT).parts[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # `from . import x` stays inside its own package
                found.append((node.lineno, f"{package}.{node.module or ''}".rstrip(".")))
            else:
                found.append((node.lineno, node.module or ""))
        elif (isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute))
              and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant)):
            found.append((node.lineno, str(node.args[0].value)))
    return found


def python_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def violations(package: str) -> list[str]:
    banned = FORBIDDEN[package] | STREAMLIT_FAMILY
    out = []
    for path in python_files(package):
        for line, module in imported_modules(path):
            top = module.split(".")[0]
            if top in banned:
                out.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return sorted(out, key=lambda v: int(v.split(":")[1].split()[0]))


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layer_imports_point_one_way(package):
    assert python_files(package), f"{package}/ has no Python files to check"
    assert violations(package) == []


@pytest.mark.parametrize("package", ["models", "services", "core"])
def test_no_streamlit_below_the_ui(package):
    hits = [f"{p.relative_to(ROOT)}:{line}" for p in python_files(package)
            for line, module in imported_modules(p) if module.split(".")[0] == "streamlit"]
    assert hits == []


def test_the_checker_sees_every_kind_of_import(tmp_path, monkeypatch):
    """The walker must not be blind: plant each kind of import in a fake package and find it."""
    fake = tmp_path / "services"
    fake.mkdir()
    (fake / "bad.py").write_text(
        "import os\n"
        "import streamlit as st\n"
        "from ui.session import require\n"
        "def later():\n"
        "    from pages import orders\n"
        "    import importlib\n"
        "    importlib.import_module('streamlit_authenticator')\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    import extra_streamlit_components\n"
        "from .helpers import x\n",
        encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    found = violations("services")
    assert found == [
        "services/bad.py:2 imports streamlit",
        "services/bad.py:3 imports ui.session",
        "services/bad.py:5 imports pages",
        "services/bad.py:7 imports streamlit_authenticator",
        "services/bad.py:10 imports extra_streamlit_components",
    ]
