"""`python -m data_access` end to end in a subprocess: exit codes, one-line Chinese errors, no change on error."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from data_access.db import make_engine

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "KPI_DATABASE_URL": url}
    return subprocess.run([sys.executable, "-m", "data_access", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def table_counts(url: str) -> dict[str, int]:
    eng = make_engine(url)
    with eng.connect() as conn:
        names = [r[0] for r in conn.execute(text(
            "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name"))]
        out = {n: conn.execute(text(f'SELECT COUNT(*) FROM "{n}"')).scalar() for n in names}
    eng.dispose()
    return out


def test_init_then_status(tmp_path):
    url = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    r = run_cli("init", url=url)
    assert r.returncode == 0, r.stderr
    assert "数据库结构已是最新版本" in r.stdout
    r = run_cli("status", url=url)
    assert r.returncode == 0 and "结构：current" in r.stdout


def test_unreachable_database_is_one_chinese_line_exit_2(tmp_path):
    r = run_cli("init", url="postgresql+psycopg://postgres@127.0.0.1:1/none")
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误：无法连接数据库"), r.stderr
    assert "Traceback" not in r.stderr


def test_newer_schema_refused_and_unchanged(tmp_path):
    url = f"sqlite:///{tmp_path / 'b.sqlite3'}"
    assert run_cli("init", url=url).returncode == 0
    eng = make_engine(url)
    with eng.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    eng.dispose()
    before = table_counts(url)
    for cmd in ("init", "load-sample"):
        r = run_cli(cmd, url=url)
        assert r.returncode == 2, (cmd, r.stdout, r.stderr)
        assert "比本程序新" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert table_counts(url) == before


def test_load_sample_twice_changes_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'c.sqlite3'}"
    r = run_cli("load-sample", "--init", url=url)
    assert r.returncode == 0, r.stderr
    assert "示例数据已导入" in r.stdout
    first = table_counts(url)
    assert first["targets"] == 11 and first["progress_reports"] > 1000
    r = run_cli("load-sample", url=url)
    assert r.returncode == 0 and "未作改动" in r.stdout
    assert table_counts(url) == first


def test_load_sample_without_schema_says_run_init(tmp_path):
    url = f"sqlite:///{tmp_path / 'd.sqlite3'}"
    r = run_cli("load-sample", url=url)
    assert r.returncode == 2 and "python -m data_access init" in r.stderr
