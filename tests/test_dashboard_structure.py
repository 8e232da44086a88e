"""The dashboard's house rules, checked on the source: no import circle, every st.cache_* in
dashboard/data.py, views/ free of streamlit, settings read through data_access.settings only; and
a bad setting shown as one Chinese line on the page, not a traceback."""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from tests.apptest_support import APP, ROOT
from tests.helpers import find_cycle

DASHBOARD = ROOT / "dashboard"
SOURCES = sorted([*DASHBOARD.rglob("*.py"), *(ROOT / "pages").glob("*.py")])


def _module(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _imports(path: Path, prefix: str = "dashboard") -> set[str]:
    """The modules under `prefix` that `path` imports, anywhere in the file (late imports inside
    functions count: they close a circle just the same)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out |= {f"{node.module}.{a.name}" for a in node.names}
    return {m for m in out if m.split(".")[0] == prefix}


def import_graph() -> dict[str, set[str]]:
    modules = {_module(p): p for p in SOURCES if p.is_relative_to(DASHBOARD)}
    return {m: {i for i in _imports(p) if i in modules and i != m} for m, p in modules.items()}


def test_the_cycle_finder_finds_the_old_gate_data_circle():
    graph = {"dashboard.data": {"dashboard.auth.gate"}, "dashboard.auth.gate": {"dashboard.data"},
             "dashboard.viewer": set()}
    assert find_cycle(graph) == ["dashboard.auth.gate", "dashboard.data", "dashboard.auth.gate"]
    graph["dashboard.data"] = {"dashboard.viewer"}
    assert find_cycle(graph) is None


def test_no_import_circle_in_the_dashboard():
    graph = import_graph()
    assert "dashboard.viewer" in graph["dashboard.data"] and "dashboard.viewer" in graph["dashboard.auth.gate"]
    assert find_cycle(graph) is None


def test_data_and_viewer_import_alone_in_a_fresh_interpreter():
    for module in ("dashboard.viewer", "dashboard.data", "dashboard.auth.gate", "dashboard.ui.map"):
        done = subprocess.run([sys.executable, "-c", f"import {module}"], cwd=ROOT, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, (module, done.stderr[-2000:])


def _calls(path: Path, pattern: str) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return [f"{path.relative_to(ROOT)}:{n}" for n, line in enumerate(text.splitlines(), 1) if pattern in line]


def test_every_st_cache_lives_in_data_py():
    found = [hit for p in SOURCES if p != DASHBOARD / "data.py" for hit in _calls(p, "st.cache_")]
    assert found == []
    assert _calls(DASHBOARD / "data.py", "st.cache_data(")  # the rule's own home is not empty


def test_views_are_pure_shaping():
    for path in (DASHBOARD / "views").glob("*.py"):
        assert "dashboard.data" not in _imports(path), path
        assert _imports(path, "streamlit") == set(), path


def test_settings_are_read_through_data_access_settings_only():
    env = [hit for p in SOURCES for pat in ("os.environ", "os.getenv") for hit in _calls(p, pat)]
    assert env == []
    secrets = [(p.relative_to(ROOT).as_posix(), line.strip()) for p in SOURCES
               for line in p.read_text(encoding="utf-8").splitlines() if "st.secrets" in line]
    # Streamlit's own [auth] section, which st.login reads, is the one exception.
    assert secrets == [("dashboard/auth/settings.py", 'return "auth" in st.secrets')], secrets


def test_a_bad_cache_ttl_does_not_kill_the_import():
    done = subprocess.run([sys.executable, "-c", "import dashboard.data"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "KPI_CACHE_TTL": "2m"})
    assert done.returncode == 0, done.stderr[-2000:]


def test_a_bad_setting_is_one_chinese_line_on_the_page(sample_db_url, monkeypatch):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("KPI_DATABASE_URL", sample_db_url)
    monkeypatch.setenv("KPI_CACHE_TTL", "2m")
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert [e.value for e in at.error] == ["设置 KPI_CACHE_TTL 的值“2m”无效：应为整数（如 120）"]
    assert not at.get("plotly_chart")  # no page ran


def test_pages_hold_no_logic():
    """Page scripts lay out widgets: no function of their own, no SQL, no st.cache_*."""
    for path in sorted((ROOT / "pages").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        defs = [n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        assert defs == [], (path.name, defs)
        assert _imports(path, "sqlalchemy") == set(), path.name
