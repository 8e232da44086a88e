"""Migration 0007 moves pending registry changes out of the audit log into registry_changes.

The database is built at revision 0006 with what the old code path wrote (SQL only, no current
code): a facility change planned and applied by batch 10 (设施2 closed), one planned by batch 11 and
still pending (设施4's services), and a union change applied and then reverted by batch 12 (工会2).
After the upgrade the table holds the three changes with their states, the audit rows are plain
records (no "verb:batch" actions left), and the current code carries on from there."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from alembic import command
from sqlalchemy import insert, select, update

from data_access.reporting import commit as committing
from data_access.reporting import review as reviewing
from data_access.reporting.issues import ImportRejected
from data_access.schema import migrate
from data_access.schema.models import AuditLog, Facility, ImportBatch, RegistryChange, UnionOrg
from tests.conftest import _engine_for
from tests.helpers import FACILITY_HEAD, LUSHAN_SEAT, NOW, frow, sync_sequences, xlsx
from tests.people import reviewer
from tests.tiny_data import A, B, load_tiny

T = dt.datetime
PLANNED, APPLIED, REVERTED = T(2023, 6, 1, 9), T(2023, 6, 2, 9), T(2023, 6, 3, 9)


def _to(engine, revision: str) -> None:
    cfg = migrate._config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def _old_rows(conn) -> None:
    """What the old importer wrote: batches, versions and the planned:/applied:/reverted: audit rows."""
    batch = lambda i, kind, unit, status: dict(  # noqa: E731
        id=i, kind=kind, unit_code=unit, file_name=f"{i}.xlsx", file_sha256=f"{i}" * 32, uploaded_by="x",
        uploaded_at=PLANNED, row_count=1, rows_new=0, rows_changed=1, status=status,
        reviewed_by=None if status == "pending" else "r", reviewed_at=None if status == "pending" else APPLIED,
        withdrawn_at=REVERTED if status == "withdrawn" else None)
    conn.execute(insert(ImportBatch), [batch(10, "facilities", A, "approved"), batch(11, "facilities", B, "pending"),
                                       batch(12, "union_orgs", A, "withdrawn"), batch(13, "progress", A, "withdrawn")])
    # batch 10 closed 设施2: version 6 replaces 2
    conn.execute(update(Facility).where(Facility.id == 2).values(superseded_at=APPLIED))
    conn.execute(insert(Facility).values(
        id=6, kind="care_station", name="设施2", address="地址", host_org="单位", unit_code=A, lat=33.7, lon=113.0,
        opened_on=dt.date(2023, 1, 5), closed_on=dt.date(2023, 5, 31), status="closed", services="饮水",
        capacity=None, recorded_at=APPLIED, batch_id=10, replaces_id=2, superseded_at=None))
    # batch 12 changed 工会2's sector (version 4), then was withdrawn: version 5 restores it
    conn.execute(update(UnionOrg).where(UnionOrg.id == 2).values(superseded_at=APPLIED))
    org = dict(name="工会2", unit_code=A, founded_on=dt.date(2023, 1, 3), is_new_economy=False, industry=None,
               platform=None, members_at_founding=10)
    conn.execute(insert(UnionOrg), [
        dict(id=4, sector="社会组织", recorded_at=APPLIED, batch_id=12, replaces_id=2, superseded_at=REVERTED, **org),
        dict(id=5, sector="企业", recorded_at=REVERTED, batch_id=None, replaces_id=4, superseded_at=None, **org)])
    audit = lambda at, action, entity, eid, before, after: dict(  # noqa: E731
        at=at, actor="x", action=action, entity=entity, entity_id=str(eid),
        before=json.dumps(before, ensure_ascii=False), after=json.dumps(after, ensure_ascii=False))
    conn.execute(insert(AuditLog), [
        audit(PLANNED, "planned:10", "facilities", 2, {"closed_on": None, "status": "open"},
              {"closed_on": "2023-05-31", "status": "closed"}),
        audit(PLANNED, "planned:11", "facilities", 4, {"services": "饮水"}, {"services": "饮水、充电"}),
        audit(PLANNED, "planned:12", "union_orgs", 2, {"sector": "企业"}, {"sector": "社会组织"}),
        audit(APPLIED, "applied:10", "facilities", 6, {"closed_on": None, "status": "open"},
              {"closed_on": "2023-05-31", "status": "closed"}),
        audit(APPLIED, "applied:12", "union_orgs", 4, {"sector": "企业"}, {"sector": "社会组织"}),
        audit(REVERTED, "reverted:12", "union_orgs", 5, {"sector": "社会组织"}, {"sector": "企业"}),
        audit(PLANNED, "import", "import_batches", 10, None, {"file_name": "10.xlsx"}),
        # 12 was withdrawn after its approval; 13 after it had been returned (it never counted)
        audit(REVERTED, "withdraw", "import_batches", 12, {"status": "approved"}, {"status": "withdrawn"}),
        audit(REVERTED, "withdraw", "import_batches", 13, {"status": "returned"}, {"status": "withdrawn"}),
    ])


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def migrated(request, tmp_path, monkeypatch):
    from tests import tiny_data

    engine, teardown = _engine_for(request.param, tmp_path)
    _to(engine, "0006")
    # tiny_data moves every model's id sequence; registry_changes has none yet: moved after the upgrade
    monkeypatch.setattr(tiny_data, "sync_sequences", lambda conn: None)
    load_tiny(engine)
    with engine.begin() as conn:
        _old_rows(conn)
    _to(engine, "head")
    sync_sequences(engine)
    yield engine
    teardown()


def test_changes_carried_over(migrated):
    rc = RegistryChange
    with migrated.connect() as conn:
        rows = [tuple(r) for r in conn.execute(select(
            rc.batch_id, rc.kind, rc.entry_id, rc.before, rc.after, rc.planned_at, rc.applied_id, rc.applied_at,
            rc.reverted_at).order_by(rc.id))]
    assert rows == [
        (10, "facilities", 2, '{"closed_on": null, "status": "open"}',
         '{"closed_on": "2023-05-31", "status": "closed"}', PLANNED, 6, APPLIED, None),
        (11, "facilities", 4, '{"services": "饮水"}', '{"services": "饮水、充电"}', PLANNED, None, None, None),
        (12, "union_orgs", 2, '{"sector": "企业"}', '{"sector": "社会组织"}', PLANNED, 4, APPLIED, REVERTED),
    ]


def test_audit_log_is_only_a_record(migrated):
    with migrated.connect() as conn:
        rows = conn.execute(select(AuditLog.action, AuditLog.entity, AuditLog.entity_id, AuditLog.after)
                            .order_by(AuditLog.id)).all()
    assert [(a, e, i, json.loads(x).get("batch_id")) for a, e, i, x in rows] == [
        ("plan", "facilities", "2", 10), ("plan", "facilities", "4", 11), ("plan", "union_orgs", "2", 12),
        ("update", "facilities", "6", 10), ("update", "union_orgs", "4", 12), ("revert", "union_orgs", "5", 12),
        ("import", "import_batches", "10", None), ("withdraw", "import_batches", "12", None),
        ("withdraw", "import_batches", "13", None)]
    assert json.loads(rows[0].after) == {"batch_id": 10, "closed_on": "2023-05-31", "status": "closed"}


def test_withdrawn_at_kept_only_for_batches_that_had_been_approved(migrated):
    with migrated.connect() as conn:
        stamps = dict(conn.execute(select(ImportBatch.id, ImportBatch.withdrawn_at)
                                   .where(ImportBatch.id.in_([12, 13]))).all())
    assert stamps == {12: REVERTED, 13: None}


def test_current_code_carries_on_from_the_migrated_rows(migrated):
    # 设施4 waits in batch 11 (planned by the old code): a new change to it is refused ...
    again = xlsx([frow(unit=B, name="设施4", point=LUSHAN_SEAT, opened=dt.date(2023, 1, 12), address="地址",
                       host="单位", services="休息")], FACILITY_HEAD, "设施登记")
    with pytest.raises(ImportRejected, match="已在待审核的批次#11中"):
        committing.commit(migrated, again, "f.xlsx", actor="x", now=NOW)
    # ... and approving batch 11 applies the migrated change as a new version
    reviewing.review(migrated, 11, "approve", reviewer=reviewer(), now=NOW)
    with migrated.connect() as conn:
        live = conn.execute(select(Facility.id, Facility.services, Facility.replaces_id).where(
            Facility.name == "设施4", Facility.superseded_at.is_(None))).one()
        change = conn.execute(select(RegistryChange.applied_id, RegistryChange.applied_at)
                              .where(RegistryChange.batch_id == 11)).one()
    assert (live.services, live.replaces_id) == ("饮水、充电", 4)
    assert tuple(change) == (live.id, NOW)


def test_downgrade_restores_the_old_rows(migrated):
    cfg = migrate._config()
    with migrated.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0006")
    with migrated.connect() as conn:
        actions = conn.execute(select(AuditLog.action).where(AuditLog.action.like("%:%"))
                               .order_by(AuditLog.action)).scalars().all()
    assert actions == ["applied:10", "applied:12", "planned:10", "planned:11", "planned:12", "reverted:12"]
