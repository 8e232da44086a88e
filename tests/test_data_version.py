"""The data's version (data_access.data_version): bumped by every audited change, in its transaction,
once per transaction; a rolled-back change leaves it; a restore moves it past what servers cached.
The dashboard keys its caches by it (tests/test_version_cache.py)."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from data_access import audit, data_version
from data_access.meeting import decisions
from data_access.plan import allocations, edits
from data_access.reporting import commit as committing
from data_access.reporting import review as reviewing
from data_access.schema.models import AuditLog
from tests.helpers import NOW, overview_actual, prow, xlsx
from tests.people import admin, reporter, reviewer
from tests.tiny_data import A, B

ROOT = admin()


def test_a_fresh_schema_starts_at_one(engine):
    assert data_version.current(engine) == 1


def test_every_writer_bumps_the_version_once(tiny):
    v = data_version.current(tiny)
    done = committing.commit(tiny, xlsx([prow(value=6)]), "a.xlsx", actor="新华填报员", allowed_units=(A,), now=NOW)
    assert data_version.current(tiny) == v + 1  # an import (pending: no figure changed yet, still a change)
    before = overview_actual(tiny, "T01")
    assert reviewing.review(tiny, done.batch_id, "approve", reviewer=reviewer(), now=NOW) == "approved"
    assert data_version.current(tiny) == v + 2  # an approval
    assert overview_actual(tiny, "T01") == before + 6
    reviewing.withdraw(tiny, done.batch_id, user=ROOT, now=NOW + dt.timedelta(minutes=5))
    assert data_version.current(tiny) == v + 3  # a withdrawal request (the figures stay)
    reviewing.review(tiny, done.batch_id, "approve", reviewer=reviewer(), now=NOW + dt.timedelta(minutes=6))
    assert data_version.current(tiny) == v + 4  # the withdrawal approved by a second person
    edits.update_milestone(tiny, ROOT, 2023, "M1", done_on="2023-05-29")
    assert data_version.current(tiny) == v + 5  # a plan edit
    allocations.set_allocation(tiny, ROOT, 2023, "T01", A, 61)
    assert data_version.current(tiny) == v + 6  # an allocation
    decisions.create_decision(tiny, ROOT, year=2023, meeting_date=dt.date(2023, 6, 30), note="补报",
                              owner="鲁山县总工会", due_date=dt.date(2023, 7, 7), unit_code=B)
    assert data_version.current(tiny) == v + 7  # a 督办 decision
    with tiny.connect() as conn:
        assert len(conn.execute(select(AuditLog.id)).all()) == 7  # one audit entry, one bump per change


def test_one_transaction_bumps_once_however_many_entries(engine):
    with engine.begin() as conn:
        for i in range(3):
            audit.record(conn, actor="root", action="update", entity="facilities", entity_id=i)
    assert data_version.current(engine) == 2
    with engine.begin() as conn:
        audit.record(conn, actor="root", action="update", entity="facilities", entity_id=9)
    assert data_version.current(engine) == 3  # the next transaction bumps again


def test_a_rolled_back_change_does_not_bump(tiny):
    v = data_version.current(tiny)
    with pytest.raises(RuntimeError), tiny.begin() as conn:
        audit.record(conn, actor="root", action="update", entity="targets", entity_id="2023/T01")
        assert data_version.read(conn) == v + 1  # the change's own transaction sees it
        raise RuntimeError("the change fails after its audit entry")
    assert data_version.current(tiny) == v
    # a refused review writes nothing, the version included
    done = committing.commit(tiny, xlsx([prow(value=6)]), "a.xlsx", actor="新华填报员", allowed_units=(A,), now=NOW)
    v = data_version.current(tiny)
    with pytest.raises(Exception, match="无权"):
        reviewing.review(tiny, done.batch_id, "approve", reviewer=reporter("lu", B), now=NOW)
    assert data_version.current(tiny) == v
    # an approval that fails in its transaction (not pending any more) does not bump either
    reviewing.review(tiny, done.batch_id, "approve", reviewer=reviewer(), now=NOW)
    v = data_version.current(tiny)
    with pytest.raises(Exception, match="只有待审核的批次可以审核"):
        reviewing.review(tiny, done.batch_id, "approve", reviewer=reviewer(), now=NOW)
    assert data_version.current(tiny) == v


def test_a_restore_moves_the_version_past_what_servers_cached(tiny, tmp_path):
    from data_access.backup import portable

    for i in range(4):
        edits.update_milestone(tiny, ROOT, 2023, "M1", done_on=f"2023-05-2{i}")
    seen = data_version.current(tiny)
    assert seen == 5
    portable.backup(tiny, tmp_path / "b.zip")
    portable.restore(tiny, tmp_path / "b.zip", force=True)
    assert data_version.current(tiny) == seen + 1  # not the backup's, not the migration's 1
