"""The cost of the data's version read that every script run makes (dashboard/data.begin_run):
`python -m benchmarks.version_read` times 2,000 reads on SQLite, PostgreSQL (a throw-away schema
of KPI_BENCH_PG_URL) and MariaDB (a throw-away database of KPI_BENCH_MARIADB_URL), each a short
connection from the pool (with pool_pre_ping on the servers) and one primary-key SELECT."""
from __future__ import annotations

import os
import tempfile
import time
import uuid

from sqlalchemy import create_engine, text

from data_access import data_version
from data_access.db import make_engine
from data_access.schema import migrate

PG = os.environ.get("KPI_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MARIADB = os.environ.get("KPI_BENCH_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
READS = 2000


def _time(engine, label: str) -> None:
    migrate.upgrade(engine)
    data_version.current(engine)
    started = time.perf_counter()
    for _ in range(READS):
        data_version.current(engine)
    print(f"{label:10} {(time.perf_counter() - started) / READS * 1e6:7.0f} µs per version read", flush=True)
    engine.dispose()


def main() -> int:
    _time(make_engine(f"sqlite:///{tempfile.mkdtemp()}/v.sqlite3"), "sqlite")
    name = f"bench_v_{uuid.uuid4().hex[:8]}"
    for url, create, drop, connect in (
            (PG, f'CREATE SCHEMA "{name}"', f'DROP SCHEMA "{name}" CASCADE',
             lambda: make_engine(PG, connect_args={"options": f"-csearch_path={name}"})),
            (MARIADB, f"CREATE DATABASE `{name}`", f"DROP DATABASE `{name}`",
             lambda: make_engine(create_engine(MARIADB).url.set(database=name).render_as_string(False)))):
        admin = create_engine(url)
        try:
            with admin.begin() as conn:
                conn.execute(text(create))
        except Exception as exc:  # noqa: BLE001 - no server here: say so and go on
            print(f"{admin.dialect.name:10} skipped: {str(exc).splitlines()[0]}")
            continue
        try:
            _time(connect(), admin.dialect.name)
        finally:
            with admin.begin() as conn:
                conn.execute(text(drop))
            admin.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
