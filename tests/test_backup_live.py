"""Backups while the dashboard runs (issue #16): the production entrypoint serves database A while
A is backed up (SQLite online backup API) and while that backup is restored into database B on
each backend; A keeps answering (/_stcore/health and the database-aware /healthz, polled all the
time) and its content is unchanged."""
from __future__ import annotations

import json
import shutil
import threading
import time

import pytest

from data_access import backup
from data_access.backup import portable
from data_access.db import make_engine
from tests.deploy_support import ROOT, get, start_entrypoint, stop_server


def _sums(engine):
    with engine.connect() as conn:
        return portable.table_checksums(conn)


@pytest.fixture(scope="module")
def running_a(sample_db_url, tmp_path_factory):
    """(URL of A, base URL of the dashboard serving A, A's checksums before)."""
    folder = tmp_path_factory.mktemp("live")
    a_file = folder / "a.sqlite3"
    shutil.copy(sample_db_url.removeprefix("sqlite:///"), a_file)
    a_url = f"sqlite:///{a_file}"
    proc, base = start_entrypoint("python3", ROOT, a_url, folder / "server.log")
    before = _sums(make_engine(a_url))
    yield a_url, base, before, folder
    stop_server(proc)


class _Poller(threading.Thread):
    """Asks A's /_stcore/health and /healthz every 0.2 s until stopped; keeps every answer."""

    def __init__(self, base: str):
        super().__init__(daemon=True)
        self.base, self.answers, self.stop = base, [], threading.Event()

    def run(self):
        while not self.stop.is_set():
            self.answers.append((get(f"{self.base}/_stcore/health")[0], get(f"{self.base}/healthz")[0]))
            time.sleep(0.2)


def test_online_backup_of_the_served_sqlite_file(running_a):
    a_url, base, before, folder = running_a
    poller = _Poller(base)
    poller.start()
    try:
        manifest = backup.backup(make_engine(a_url), folder / "a.zip")
    finally:
        poller.stop.set()
        poller.join(10)
    assert {n: t["sha256"] for n, t in manifest.tables.items()} == {n: s["sha256"] for n, s in before.items()}
    assert manifest.rows == 16379
    assert poller.answers and set(poller.answers) == {(200, 200)}


def test_restore_into_another_database_while_the_dashboard_serves_a(running_a, empty_engine):
    a_url, base, before, folder = running_a
    zip_path = folder / "a.zip"
    if not zip_path.exists():
        backup.backup(make_engine(a_url), zip_path)
    poller = _Poller(base)
    poller.start()
    started = time.monotonic()
    try:
        manifest = backup.restore(empty_engine, zip_path)
    finally:
        poller.stop.set()
        poller.join(10)
    seconds = time.monotonic() - started
    assert _sums(empty_engine) == before  # B now equals A, table by table
    assert manifest.rows == 16379
    assert len(poller.answers) >= 1 and set(poller.answers) == {(200, 200)}  # A answered throughout
    assert _sums(make_engine(a_url)) == before  # and A is unchanged
    status, body = get(f"{base}/healthz")
    assert status == 200 and json.loads(body)["status"] == "ok"
    print(f"\nrestore of the sample into {empty_engine.dialect.name}: {seconds:.1f} s")
