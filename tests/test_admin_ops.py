"""data_access/admin_ops.py on SQLite and PostgreSQL: plan-year edits, each recorded in the audit log
with who, when, before and after; refused for anyone but an administrator."""
from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from sqlalchemy import event, func, select

from data_access import audit, clock
from data_access.plan import allocations, edits, years
from data_access.accounts import identity, users
from data_access.schema import accounts as roles
from data_access.accounts.permissions import PermissionDenied
from data_access.errors import DataAccessError
from data_access.schema.models import Allocation, AuditLog, Milestone, Project, Target
from tests.tiny_data import A, B, C

ROOT = identity.AuthUser("root", "Root", roles.ROLE_ADMIN)


def _audit(engine) -> list[dict]:
    df = audit.entries(engine)
    return [{k: None if not isinstance(v, (list, dict)) and pd.isna(v) else v for k, v in r.items()}
            for r in df.sort_values("id").to_dict("records")]


def _count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def test_save_targets_records_before_and_after(tiny):
    df = edits.targets_for_edit(tiny, 2023)
    assert list(df["code"]) == ["T01", "T06", "T07", "T09", "T11"]
    edited = df.copy()
    edited.loc[edited["code"] == "T01", "value"] = 120.0
    edited.loc[edited["code"] == "T07", "name_zh"] = "新建爱心驿站"
    with clock.frozen(dt.datetime(2023, 6, 30, 18, 5)):
        assert edits.save_targets(tiny, ROOT, 2023, edited) == 2
    assert edits.save_targets(tiny, ROOT, 2023, edited) == 0  # nothing new: no entry
    after = edits.targets_for_edit(tiny, 2023).set_index("code")
    assert after.loc["T01", "value"] == 120.0 and after.loc["T07", "name_zh"] == "新建爱心驿站"
    log = _audit(tiny)
    assert [(e["actor"], e["action"], e["entity"], e["entity_id"]) for e in log] == [
        ("root", "update", "targets", "2023/T01"), ("root", "update", "targets", "2023/T07")]
    assert json.loads(log[0]["before"]) == {"value": 100.0} and json.loads(log[0]["after"]) == {"value": 120.0}
    assert json.loads(log[1]["before"]) == {"name_zh": "新建户外劳动者爱心驿站"}
    assert json.loads(log[1]["after"]) == {"name_zh": "新建爱心驿站"}
    assert log[0]["at"] == log[1]["at"] == dt.datetime(2023, 6, 30, 18, 5)  # the organisation's clock


def test_bad_target_value_is_refused_and_nothing_written(tiny):
    edited = edits.targets_for_edit(tiny, 2023)
    edited.loc[0, "value"] = -5
    edited.loc[1, "name_zh"] = "改过的名字"
    with pytest.raises(DataAccessError, match="目标 T01：数值必须是非负数"):
        edits.save_targets(tiny, ROOT, 2023, edited)
    assert edits.targets_for_edit(tiny, 2023).loc[1, "name_zh"] == "职工子女爱心托管班"
    assert _audit(tiny) == []


def test_allocation_matrix_and_save(tiny):
    m = allocations.allocation_matrix(tiny, 2023)
    assert list(m["unit_code"]) == [A, B, C]
    assert (m.loc[0, "T01"], m.loc[1, "T01"]) == (60.0, 40.0) and pd.isna(m.loc[2, "T01"])
    m.loc[0, "T01"] = 65  # update
    m.loc[1, "T07"] = None  # remove B's share of T07 (was 4)
    m.loc[2, "T09"] = 1  # new: 市总本级
    assert allocations.save_allocations(tiny, ROOT, 2023, m) == 3
    log = _audit(tiny)
    got = {e["entity_id"]: (e["action"], e["before"], e["after"]) for e in log}
    assert got == {f"2023/T01/{A}": ("update", '{"value": 60.0}', '{"value": 65.0}'),
                   f"2023/T07/{B}": ("delete", '{"value": 4.0}', None),
                   f"2023/T09/{C}": ("create", None, '{"value": 1.0}')}
    again = allocations.allocation_matrix(tiny, 2023)
    assert again.loc[0, "T01"] == 65 and pd.isna(again.loc[1, "T07"]) and again.loc[2, "T09"] == 1
    assert allocations.set_allocation(tiny, ROOT, 2023, "T01", A, 65) is False


def test_milestones_update_create_and_rules(tiny):
    df = edits.milestones_for_edit(tiny, 2023)
    assert list(df["code"]) == ["M1"]
    df.loc[0, "status"] = "delayed"
    df.loc[0, "done_on"] = None
    new = {"code": "M2", "name_zh": "第七届职工技术运动会", "name_en": None, "due_date": dt.date(2023, 11, 30),
           "status": None, "done_on": None, "note_zh": None}
    edited = pd.concat([df, pd.DataFrame([new])], ignore_index=True)
    assert edits.save_milestones(tiny, ROOT, 2023, edited) == 2
    log = _audit(tiny)
    assert [(e["action"], e["entity_id"]) for e in log] == [("update", "2023/M1"), ("create", "2023/M2")]
    assert json.loads(log[0]["before"]) == {"status": "done", "done_on": "2023-05-28"}
    assert json.loads(log[0]["after"]) == {"status": "delayed", "done_on": None}
    created = json.loads(log[1]["after"])
    assert created["status"] == "not_started" and created["name_en"] == "第七届职工技术运动会"
    with pytest.raises(DataAccessError, match="M2 标记为已完成时须填写完成日期"):
        edits.update_milestone(tiny, ROOT, 2023, "M2", status="done")
    with pytest.raises(DataAccessError, match="状态“finished”无效"):
        edits.update_milestone(tiny, ROOT, 2023, "M2", status="finished")
    assert edits.update_milestone(tiny, ROOT, 2023, "M2", status="done", done_on="2023-11-28")
    assert _count(tiny, Milestone) == 2 and len(_audit(tiny)) == 3


@pytest.mark.parametrize("role", [roles.ROLE_LEADER, roles.ROLE_REPORTER, roles.ROLE_REVIEWER])
def test_only_administrators_change_the_plan(tiny, role):
    user = identity.AuthUser("x", "x", role, unit_code=A)
    edited = edits.targets_for_edit(tiny, 2023)
    edited.loc[0, "value"] = 1
    matrix = allocations.allocation_matrix(tiny, 2023)
    matrix.loc[0, "T01"] = 1
    milestones = edits.milestones_for_edit(tiny, 2023)
    milestones.loc[0, "status"] = "delayed"
    calls = [lambda: edits.save_targets(tiny, user, 2023, edited),
             lambda: edits.update_target(tiny, user, 2023, "T01", value=1),
             lambda: edits.create_target(tiny, user, 2023, "T12", "P5", name_zh="x", name_en="x", unit_zh="家",
                                         unit_en="u", value=1),
             lambda: allocations.set_allocation(tiny, user, 2023, "T01", A, 1),
             lambda: allocations.save_allocations(tiny, user, 2023, matrix),
             lambda: edits.update_milestone(tiny, user, 2023, "M1", status="delayed"),
             lambda: edits.save_milestones(tiny, user, 2023, milestones),
             lambda: edits.create_milestone(tiny, user, 2023, "M9", name_zh="x", due_date=dt.date(2023, 9, 1)),
             lambda: years.copy_plan_year(tiny, user, 2023, 2024)]
    for call in calls:
        with pytest.raises(PermissionDenied, match=f"（{user.role_zh}）无权进行此操作，需要：管理员"):
            call()
    assert edits.targets_for_edit(tiny, 2023).loc[0, "value"] == 100
    assert _audit(tiny) == []


def _sync_pg_sequences(engine) -> None:
    """tiny_data inserts explicit ids; on PostgreSQL move the id sequences past them (the sample
    loader and real use let the database number rows, so they never need this)."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        for table in ("projects", "targets", "allocations", "milestones"):
            conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                 f"(SELECT max(id) FROM {table}))")


def test_copy_plan_year_and_new_target(tiny):
    _sync_pg_sequences(tiny)
    counts = years.copy_plan_year(tiny, ROOT, 2023, 2024, title_zh="2024年工作要点")
    assert counts == {"projects": 3, "targets": 5, "allocations": 10, "milestones": 1}
    ms = edits.milestones_for_edit(tiny, 2024)
    assert (ms.loc[0, "due_date"], ms.loc[0, "status"]) == (dt.date(2024, 5, 30), "not_started")
    edits.create_target(tiny, ROOT, 2024, "T12", "P5", name_zh="新目标", name_en="New", unit_zh="家",
                            unit_en="units", value=7)
    with pytest.raises(DataAccessError, match="计划年度 2024 已存在"):
        years.copy_plan_year(tiny, ROOT, 2023, 2024)
    with pytest.raises(DataAccessError, match="2024年已有目标 T12"):
        edits.create_target(tiny, ROOT, 2024, "T12", "P5", name_zh="x", name_en="x", unit_zh="家",
                                unit_en="u", value=1)
    with tiny.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Target).where(Target.year == 2024)).scalar() == 6
        n_alloc = conn.execute(select(func.count()).select_from(Allocation)).scalar()
    assert n_alloc == 20
    log = _audit(tiny)
    assert [(e["action"], e["entity"], e["entity_id"]) for e in log] == [
        ("copy_year", "plan_years", "2024"), ("create", "targets", "2024/T12")]
    assert json.loads(log[0]["after"]) == {"year": 2024, **counts}


def test_changed_fields_normalises_editor_values():
    before = {"value": 100.0, "name_zh": "x", "due": dt.date(2023, 1, 2), "note": None}
    after = {"value": 100, "name_zh": " x ", "due": pd.Timestamp("2023-01-02"), "note": float("nan")}
    assert edits.changed_fields(before, after, ("value", "name_zh", "due", "note")) == {}
    assert edits.changed_fields(before, {"value": 100.5, "note": ""}, ("value", "note")) == {"value": 100.5}


def test_audit_log_filters(tiny):
    allocations.set_allocation(tiny, ROOT, 2023, "T01", A, 61)
    users.create_user(tiny, ROOT, "lu", "领导", password="Xk9-pass-word")
    assert list(audit.entries(tiny, entity="users")["entity_id"]) == ["lu"]
    assert list(audit.entries(tiny)["entity"]) == ["users", "allocations"]  # newest first
    assert audit.entries(tiny, actor="nobody").empty
    assert _count(tiny, AuditLog) == 2


class _Statements:
    """Every statement the engine sends while the block runs (before_cursor_execute)."""

    def __init__(self, engine):
        self.engine, self.sql, self.version_bumps = engine, [], 0

    def _seen(self, conn, cursor, statement, parameters, context, executemany):
        if "data_version" in statement:  # the audit writer's version bump (tests/test_data_version.py)
            self.version_bumps += statement.lstrip().upper().startswith("UPDATE")
            return
        self.sql.append(statement.lstrip().split(None, 1)[0].upper())

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._seen)

    def writes(self) -> list[str]:
        return [s for s in self.sql if s in ("INSERT", "UPDATE", "DELETE")]


def test_saving_an_unchanged_allocation_matrix_writes_nothing(tiny):
    m = allocations.allocation_matrix(tiny, 2023)
    with _Statements(tiny) as seen:
        assert allocations.save_allocations(tiny, ROOT, 2023, m) == 0
    assert seen.writes() == [] and seen.version_bumps == 0
    assert len([s for s in seen.sql if s == "SELECT"]) <= 5  # the year, its targets, units, allocations
    # three changed cells: one bulk statement per kind plus one audit entry each
    m.loc[0, "T01"], m.loc[1, "T07"], m.loc[2, "T09"] = 65, None, 1
    with _Statements(tiny) as seen:
        assert allocations.save_allocations(tiny, ROOT, 2023, m) == 3
    assert sorted(seen.writes()) == ["DELETE", "INSERT", "INSERT", "INSERT", "INSERT", "UPDATE"]
    assert seen.version_bumps == 1  # one transaction, one new data version


def test_copy_plan_year_is_set_based_and_copies_values(tiny):
    _sync_pg_sequences(tiny)
    with _Statements(tiny) as seen:
        counts = years.copy_plan_year(tiny, ROOT, 2023, 2024)
    assert counts == {"projects": 3, "targets": 5, "allocations": 10, "milestones": 1}
    # plan year, projects, targets, allocations, milestones, audit: one INSERT each, whatever the size
    assert seen.writes() == ["INSERT"] * 6
    assert len(seen.sql) <= 14
    assert seen.version_bumps == 1
    m23 = allocations.allocation_matrix(tiny, 2023).drop(columns="unit_name")
    m24 = allocations.allocation_matrix(tiny, 2024).drop(columns="unit_name")
    pd.testing.assert_frame_equal(m23, m24)
    t23 = edits.targets_for_edit(tiny, 2023).drop(columns="project_code")
    t24 = edits.targets_for_edit(tiny, 2024)
    pd.testing.assert_frame_equal(t23, t24.drop(columns="project_code"))
    with tiny.connect() as conn:  # each 2024 target hangs under the 2024 project of the same code
        years_of = conn.execute(select(Target.code, Project.year, Project.code).join(
            Project, Project.id == Target.project_id).where(Target.year == 2024)).all()
        curves = dict(conn.execute(select(Target.year, Target.pace_curve).where(Target.code == "T06")).all())
    assert {y for _c, y, _p in years_of} == {2024}
    assert curves[2024] == curves[2023] and curves[2023] is not None
