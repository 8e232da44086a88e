"""Two uploads for the same county and week at the same moment, each thread on its own connection.

The importer locks the units a file is about before it looks at what is stored (SELECT … FOR UPDATE
on PostgreSQL, the write lock on SQLite), so the two commits run one after the other. A wrapper
around the lock holds it a little while and records when each commit enters and leaves its critical
section: with the lock the two never interleave, and no update is lost:
- different files, no preview check: both versions are kept and the later one wins;
- the page's path (commit with the confirmed preview's fingerprint): the second is refused with a
  message asking to look again;
- the same file twice: the second is refused as a repeat.
"""
from __future__ import annotations

import hashlib
import threading
import time

import pytest
from sqlalchemy import select

from data_access.reporting import commit as committing, history as figures
from data_access.reporting import preview as previewing, review as reviewing
from data_access.reporting.issues import ImportRejected
from tests.people import reviewer
from data_access.schema import migrate
from data_access.db import make_engine
from data_access.schema.models import ImportBatch, ProgressReport
from tests.helpers import A, NOW, WEEK, prow, sync_sequences, t01, xlsx
from tests.tiny_data import load_tiny


@pytest.fixture(params=["postgresql", "sqlite"])
def race_db(request, tmp_path):
    if request.param == "postgresql":
        from tests.conftest import _drop_pg, _fresh_pg_engine

        engine, admin, name = _fresh_pg_engine()
        cleanup = lambda: _drop_pg(engine, admin, name)  # noqa: E731
    else:
        engine = make_engine(f"sqlite:///{tmp_path / 'race.sqlite3'}")
        cleanup = engine.dispose
    migrate.upgrade(engine)
    load_tiny(engine)
    sync_sequences(engine)
    yield engine
    cleanup()


@pytest.fixture
def sections(monkeypatch):
    """Record (event, thread) when a commit gets the lock and when it has written its rows."""
    events: list[tuple[str, str]] = []
    guard = threading.Lock()
    real_lock, real_write = committing.lock_units, committing.write_rows

    def note(event):
        with guard:
            events.append((event, threading.current_thread().name))

    def lock(conn, codes):
        real_lock(conn, codes)
        note("enter")
        time.sleep(0.3)  # hold the lock so the other thread really arrives while it is held

    def write(*args, **kwargs):
        real_write(*args, **kwargs)
        note("exit")

    monkeypatch.setattr(committing, "lock_units", lock)
    monkeypatch.setattr(committing, "write_rows", write)
    return events


def race(*jobs):
    """Start every job at the same moment (a barrier), each in its own thread; results or exceptions."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def run(i, job):
        barrier.wait()
        try:
            results[i] = job()
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, job), name=f"upload{i}") for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    return results


def _commit(engine, data, name, **kwargs):
    return lambda: committing.commit(engine, data, name, actor=name, allowed_units=(A,), now=NOW, **kwargs)


def test_both_versions_kept_and_the_later_wins(race_db, sections):
    base = t01(race_db)
    files = {"six.xlsx": xlsx([prow(value=6)]), "eight.xlsx": xlsx([prow(value=8)])}
    results = race(*[_commit(race_db, data, name) for name, data in files.items()])
    assert all(isinstance(r, committing.Committed) for r in results), results
    first, second = sections[0][1], sections[2][1]
    assert sections == [("enter", first), ("exit", first), ("enter", second), ("exit", second)]
    for r in sorted(results, key=lambda r: r.batch_id):
        reviewing.review(race_db, r.batch_id, "approve", reviewer=reviewer("审核员"), now=NOW)
    with race_db.connect() as conn:
        stored = conn.execute(
            select(ImportBatch.file_name, ProgressReport.value)
            .join(ImportBatch, ImportBatch.id == ProgressReport.batch_id)
            .where(ProgressReport.period_end == WEEK[1]).order_by(ProgressReport.id)).all()
    assert sorted(v for _n, v in stored) == [6.0, 8.0]  # both versions kept
    later_name, later_value = stored[-1]
    assert later_name == ("six.xlsx", "eight.xlsx")[int(second[-1])]  # the later commit wrote the later row
    history = figures.figure_history(race_db, "T01", A, 2023, WEEK[1])
    assert history.loc[history["in_force"], "value"].tolist() == [later_value]
    assert t01(race_db) == base + later_value


def test_confirmed_previews_the_second_is_refused(race_db, sections):
    files = {"six.xlsx": xlsx([prow(value=6)]), "eight.xlsx": xlsx([prow(value=8)])}
    previews = {name: previewing.preview(race_db, data, name, now=NOW) for name, data in files.items()}
    assert len({p.fingerprint for p in previews.values()}) == 1  # both saw the same stored state
    results = race(*[_commit(race_db, data, name, expect=previews[name].fingerprint)
                     for name, data in files.items()])
    done = [r for r in results if isinstance(r, committing.Committed)]
    refused = [r for r in results if isinstance(r, ImportRejected)]
    assert len(done) == 1 and len(refused) == 1, results
    assert "预览之后，文件涉及的数据已被其他上报或审核更新；请重新预览" in refused[0].message_zh
    assert [e for e, _t in sections] == ["enter", "exit", "enter"]
    with race_db.connect() as conn:
        stored = conn.execute(select(ProgressReport.batch_id)
                              .where(ProgressReport.period_end == WEEK[1])).scalars().all()
    assert stored == [done[0].batch_id]


def test_same_file_racing_itself(race_db, sections):
    data = xlsx([prow(value=6)])
    results = race(_commit(race_db, data, "race.xlsx"), _commit(race_db, data, "race.xlsx"))
    done = [r for r in results if isinstance(r, committing.Committed)]
    refused = [r for r in results if isinstance(r, ImportRejected)]
    assert len(done) == 1 and len(refused) == 1, results
    assert f"（批次#{done[0].batch_id}，待审核），不能重复导入" in refused[0].message_zh
    with race_db.connect() as conn:
        sha = hashlib.sha256(data).hexdigest()
        same = conn.execute(select(ImportBatch.id).where(ImportBatch.file_sha256 == sha)).scalars().all()
    assert same == [done[0].batch_id]
