"""Shared fixtures: a fresh database on SQLite, PostgreSQL and MariaDB for each data-access test.

PostgreSQL tests run in a new schema of the server at KPI_TEST_PG_URL (default 127.0.0.1:5432,
user postgres, database test); MariaDB tests in a new database of the server at KPI_TEST_MARIADB_URL
(default 127.0.0.1:3306, root, no password). Where no server answers they skip with a reason; with
KPI_STRICT=1 (set by .ci/run) a skip for a missing real component is a failure instead.
"""
from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text

from data_access.schema import migrate
from data_access.db import make_engine

PG_URL = os.environ.get("KPI_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MARIADB_URL = os.environ.get("KPI_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
STRICT = os.environ.get("KPI_STRICT") == "1"


def skip_or_fail(reason: str) -> None:
    """Skip for a missing real component, or fail under KPI_STRICT=1 (CI)."""
    if STRICT:
        pytest.fail(f"KPI_STRICT=1 and {reason}", pytrace=False)
    pytest.skip(reason)


def _pg_admin_engine():
    engine = create_engine(PG_URL, pool_pre_ping=True)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
        engine.dispose()
        skip_or_fail(f"PostgreSQL not reachable at {PG_URL}: {str(exc).splitlines()[0]}")
    return engine


def _fresh_pg_engine():
    admin = _pg_admin_engine()
    name = f"t_{uuid.uuid4().hex[:12]}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    engine = make_engine(PG_URL, connect_args={"options": f"-csearch_path={name}"})
    return engine, admin, name


def _drop_pg(engine, admin, name):
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
    admin.dispose()


def _fresh_mariadb_engine():
    admin = create_engine(MARIADB_URL, pool_pre_ping=True)
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001
        admin.dispose()
        skip_or_fail(f"MariaDB not reachable at {MARIADB_URL}: {str(exc).splitlines()[0]}")
    name = f"t_{uuid.uuid4().hex[:12]}"
    with admin.begin() as conn:
        conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    url = admin.url.set(database=name, query={"charset": "utf8mb4"})
    return make_engine(url.render_as_string(hide_password=False)), admin, name


def _engine_for(backend: str, tmp_path):
    """(engine, teardown) for a fresh empty database on `backend`."""
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'kpi.sqlite3'}")
        return engine, engine.dispose
    if backend == "postgresql":
        engine, admin, name = _fresh_pg_engine()
        return engine, lambda: _drop_pg(engine, admin, name)
    engine, admin, name = _fresh_mariadb_engine()

    def _drop():
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin.dispose()

    return engine, _drop


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def empty_engine(request, tmp_path):
    """An engine on an empty database (no schema): a SQLite file, a fresh PostgreSQL schema or a fresh
    MariaDB database."""
    engine, teardown = _engine_for(request.param, tmp_path)
    yield engine
    teardown()


@pytest.fixture
def engine(empty_engine):
    """An engine on a database with the current schema and no rows."""
    migrate.upgrade(empty_engine)
    return empty_engine


@pytest.fixture
def tiny(engine):
    """The hand-built dataset of tests/tiny_data.py loaded into a fresh database, ready for new rows
    (on PostgreSQL the id sequences are moved past tiny's explicit ids)."""
    from tests.helpers import sync_sequences
    from tests.tiny_data import load_tiny

    load_tiny(engine)
    sync_sequences(engine)
    return engine


@pytest.fixture
def tiny_url(tmp_path):
    """The URL of a SQLite file holding tests/tiny_data.py (for the command line and AppTests)."""
    from tests.tiny_data import load_tiny

    url = f"sqlite:///{tmp_path / 'kpi.sqlite3'}"
    eng = make_engine(url)
    migrate.upgrade(eng)
    load_tiny(eng)
    eng.dispose()
    return url


@pytest.fixture(autouse=True)
def fast_argon2(monkeypatch):
    """Cheaper argon2id parameters for every test (the production ones cost ~0.3 s per hash here);
    the same code paths run. tests/test_auth.py checks the production parameters separately."""
    from argon2 import PasswordHasher

    from data_access.accounts import passwords

    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture(scope="session")
def sample_db_url(tmp_path_factory) -> str:
    """A SQLite file with the schema and the committed 2023 sample data (built once per run)."""
    from data_access.sample_loader import load_sample

    path = tmp_path_factory.mktemp("sample") / "sample.sqlite3"
    url = f"sqlite:///{path}"
    eng = make_engine(url)
    migrate.upgrade(eng)
    load_sample(eng)
    eng.dispose()
    return url


@pytest.fixture
def sample_copy_url(sample_db_url, tmp_path) -> str:
    """A writable copy of the sample database, for a test that changes it (the shared one stays)."""
    import shutil

    path = tmp_path / "kpi.sqlite3"
    shutil.copy(sample_db_url.removeprefix("sqlite:///"), path)
    return f"sqlite:///{path}"


APP_ENV_VARS = ("KPI_DATABASE_URL", "KPI_AUTH_MODE")


@pytest.fixture(autouse=True)
def _restore_app_env():
    """Every test leaves the app's environment variables as it found them (AppTests set them)."""
    before = {k: os.environ.get(k) for k in APP_ENV_VARS}
    yield
    for key, value in before.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def browser():
    """One headless Debian Chromium for the whole run, driven by Playwright's sync API (never
    `playwright install`). Session-wide and shared by every browser test: a second sync_playwright()
    in the same thread would find this one's event loop running."""
    try:
        from playwright.sync_api import sync_playwright

        from tests.browser.support import launch_chromium
    except ImportError as exc:
        skip_or_fail(f"Chromium not available: playwright cannot be imported ({exc})")
    with sync_playwright() as p:
        try:
            b = launch_chromium(p)
        except Exception as exc:  # noqa: BLE001 - missing binary or a launch failure alike
            skip_or_fail(f"Chromium not available: {str(exc).splitlines()[0]}")
        yield b
        b.close()
