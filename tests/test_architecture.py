"""Dependencies point one way: models ← services (+ core) ← ui ← pages, app.py, and no two
project modules import each other, however indirectly.

Walks the source with `ast`, so an import is seen wherever it hides: inside a function, behind
`if TYPE_CHECKING`, or as `from x import y`.
"""

from __future__ import annotations

import ast
import sys
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# package → top-level names it may never import
FORBIDDEN = {
    "models": {"streamlit", "services", "core", "ui", "pages", "app", "seed", "bench", "tests",
               "diandan"},
    "services": {"streamlit", "ui", "pages", "app", "seed", "bench", "tests", "diandan"},
    "core": {"streamlit", "ui", "pages", "app", "services", "seed", "bench", "tests", "diandan"},
    # ui may import services, models, core and Streamlit (and seed, for the demo button of the
    # first screen), never the pages that use it
    "ui": {"pages", "app", "bench", "tests", "diandan"},
    # the operator commands run without a browser: no Streamlit, no pages
    "diandan": {"streamlit", "ui", "pages", "app", "seed", "bench", "tests"},
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
    banned = FORBIDDEN[package] | (set() if package == "ui" else STREAMLIT_FAMILY)
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


# --- no import cycles between project modules ---------------------------------------------------

PROJECT = ("models", "services", "core", "ui", "pages", "seed", "diandan")


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path) -> dict[str, set[str]]:
    """Project module → the project modules it imports. `from services import orders` is an
    import of services.orders when that is a module, else of the package services."""
    files = {module_name(p, root): p for package in PROJECT for p in (root / package).rglob("*.py")}
    if (root / "app.py").exists():
        files["app"] = root / "app.py"
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                targets = [f"{node.module}.{alias.name}" for alias in node.names]
                targets = [t if t in files else node.module for t in targets]
            for target in targets:
                while target and target not in files:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle, as the modules around it ([] when there is none)."""
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as err:
        return err.args[1]
    return []


def test_no_two_project_modules_import_each_other():
    graph = import_graph(ROOT)
    assert "services.orders" in graph["services.completions"], "the walker found no imports"
    assert cycle(graph) == []


def test_the_cycle_finder_sees_a_cycle_hidden_in_a_function(tmp_path):
    (tmp_path / "services").mkdir()
    (tmp_path / "services" / "__init__.py").write_text("")
    (tmp_path / "services" / "a.py").write_text("from services import b\n")
    (tmp_path / "services" / "b.py").write_text("def later():\n    from services.c import x\n")
    (tmp_path / "services" / "c.py").write_text("import services.a\nx = 1\n")
    (tmp_path / "services" / "d.py").write_text("from services import a\n")
    found = cycle(import_graph(tmp_path))
    assert set(found) == {"services.a", "services.b", "services.c"}
