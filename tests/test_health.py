"""The database-aware health check /healthz (dashboard/health.py, issue #16)."""
from __future__ import annotations

import json
import logging
import time

import pytest
from alembic import command

from dashboard import health
from data_access.db import make_engine
from data_access.schema import migrate
from tests.helpers import run_async
from tests.deploy_support import ROOT, get, start_entrypoint, stop_server

DEAD_PG = "postgresql+psycopg://nobody@127.0.0.1:1/kpi"


def test_current_schema_is_200(engine):
    status, body = health.check(engine)
    assert (status, body) == (200, {"status": "ok", "database": "ok", "schema": "current"})


def test_missing_schema_is_503(empty_engine):
    assert health.check(empty_engine) == (503, {"status": "fail", "database": "ok", "schema": "missing"})


def test_outdated_and_too_new_schema_are_503(tmp_path):
    eng = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    cfg = migrate._config()
    with eng.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0005")
    assert health.check(eng)[1]["schema"] == "outdated"
    with eng.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    assert health.check(eng) == (503, {"status": "fail", "database": "ok", "schema": "too_new"})


def test_unreachable_database_is_503_without_details(caplog):
    status, text = run_async(health.answer(make_engine(DEAD_PG, connect_args={"connect_timeout": 2})))
    body = json.loads(text)
    assert status == 503 and body["status"] == "fail" and body["database"] == "unreachable"
    assert "\n" not in text and "127.0.0.1" not in text and "nobody" not in text


def test_hung_database_times_out(monkeypatch, tiny_url):
    monkeypatch.setattr(health, "check", lambda e: time.sleep(2) or (200, {}))
    status, text = run_async(health.answer(make_engine(tiny_url), timeout=0.5))
    body = json.loads(text)
    assert status == 503 and body["database"] == "timeout"
    assert 450 <= body["ms"] < 1500  # answered at the time-out, not when the query ended


def test_failure_is_one_event_line(caplog, tmp_path):
    from data_access import events

    log = events.logger()
    log.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO, logger=events.LOGGER_NAME):
            run_async(health.answer(make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")))
    finally:
        log.removeHandler(caplog.handler)
    assert [r.getMessage() for r in caplog.records] == ["event=health_failure reason=ok_missing"]


@pytest.mark.parametrize("which", ["good", "dead"])
def test_route_of_the_production_entrypoint(which, tiny_url, tmp_path):
    url = tiny_url if which == "good" else DEAD_PG
    proc, base = start_entrypoint("python3", ROOT, url, tmp_path / "server.log")
    try:
        assert get(f"{base}/_stcore/health") == (200, "ok")  # the process is alive either way
        status, text = get(f"{base}/healthz")
    finally:
        stop_server(proc)
    body = json.loads(text)
    if which == "good":
        assert status == 200 and body["status"] == "ok" and body["schema"] == "current"
    else:
        assert status == 503 and body["database"] in ("unreachable", "timeout")
    assert text.count("\n") == 1
