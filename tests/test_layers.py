"""The layers point one way (pages -> dashboard -> data_access) and data_access has no import circle.

Read from the source with `ast`, late (function-level) imports included, so a circle hidden inside a
function counts too (the old plan/edits <-> accounts/auth circle was one)."""
from __future__ import annotations

import ast
from pathlib import Path

from tests.helpers import find_cycle

ROOT = Path(__file__).resolve().parent.parent


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Absolute names of every module `path` imports (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = _module(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)
    return out


def _package_modules(package: str) -> dict[str, Path]:
    return {_module(p): p for p in (ROOT / package).rglob("*.py") if "__pycache__" not in p.parts}


def _graph(package: str) -> dict[str, set[str]]:
    modules = _package_modules(package)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        # A package's __init__ is imported with each of its modules: only edges to real modules count.
        graph[name] = {m for m in _imports(path) if m in modules and m != name and not name.startswith(m + ".")}
    return graph


def test_data_access_imports_neither_streamlit_nor_the_dashboard():
    offenders = {name: sorted(m for m in _imports(path) if m.split(".")[0] in ("streamlit", "dashboard", "pages"))
                 for name, path in _package_modules("data_access").items()}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_dashboard_never_imports_a_page():
    offenders = {name: sorted(m for m in _imports(path) if m.split(".")[0] == "pages")
                 for name, path in _package_modules("dashboard").items()}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_no_import_circle_in_data_access():
    assert find_cycle(_graph("data_access")) is None


def test_the_cycle_finder_finds_a_circle():
    # the check above can fail: the old circle between plan edits and accounts, as a graph
    graph = {"data_access.plan.edits": {"data_access.accounts.auth"},
             "data_access.accounts.auth": {"data_access.plan.edits"}}
    found = find_cycle(graph)
    assert found is not None and found[0] == found[-1] and set(found) == set(graph)


def test_pages_hold_no_sql():
    for path in (ROOT / "pages").glob("*.py"):
        imported = _imports(path)
        assert not any(m.split(".")[0] == "sqlalchemy" for m in imported), path
        # constants (roles) are fine; tables, sessions and the engine are not
        banned = ("data_access.db", "data_access.schema.models", "data_access.schema.migrate")
        assert not any(m.startswith(banned) for m in imported), path
