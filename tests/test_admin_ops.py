"""data_access/admin_ops.py on SQLite and PostgreSQL: plan-year edits, each recorded in the audit log
with who, when, before and after; refused for anyone but an administrator."""
from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from sqlalchemy import func, select

from data_access import clock
from data_access.plan import edits
from data_access.accounts import auth
from data_access.errors import DataAccessError
from data_access.schema.models import Allocation, AuditLog, Milestone, Target
from tests.tiny_data import A, B, C

ROOT = auth.AuthUser("root", "Root", auth.ROLE_ADMIN)


def _audit(engine) -> list[dict]:
    df = edits.audit_log(engine)
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
    assert abs((log[0]["at"] - clock.now()).total_seconds()) < 3600  # the organisation's time


def test_bad_target_value_is_refused_and_nothing_written(tiny):
    edited = edits.targets_for_edit(tiny, 2023)
    edited.loc[0, "value"] = -5
    edited.loc[1, "name_zh"] = "改过的名字"
    with pytest.raises(DataAccessError, match="目标 T01：数值必须是非负数"):
        edits.save_targets(tiny, ROOT, 2023, edited)
    assert edits.targets_for_edit(tiny, 2023).loc[1, "name_zh"] == "职工子女爱心托管班"
    assert _audit(tiny) == []


def test_allocation_matrix_and_save(tiny):
    m = edits.allocation_matrix(tiny, 2023)
    assert list(m["unit_code"]) == [A, B, C]
    assert (m.loc[0, "T01"], m.loc[1, "T01"]) == (60.0, 40.0) and pd.isna(m.loc[2, "T01"])
    m.loc[0, "T01"] = 65  # update
    m.loc[1, "T07"] = None  # remove B's share of T07 (was 4)
    m.loc[2, "T09"] = 1  # new: 市总本级
    assert edits.save_allocations(tiny, ROOT, 2023, m) == 3
    log = _audit(tiny)
    got = {e["entity_id"]: (e["action"], e["before"], e["after"]) for e in log}
    assert got == {f"2023/T01/{A}": ("update", '{"value": 60.0}', '{"value": 65.0}'),
                   f"2023/T07/{B}": ("delete", '{"value": 4.0}', None),
                   f"2023/T09/{C}": ("create", None, '{"value": 1.0}')}
    again = edits.allocation_matrix(tiny, 2023)
    assert again.loc[0, "T01"] == 65 and pd.isna(again.loc[1, "T07"]) and again.loc[2, "T09"] == 1
    assert edits.set_allocation(tiny, ROOT, 2023, "T01", A, 65) is False


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


@pytest.mark.parametrize("role", [auth.ROLE_LEADER, auth.ROLE_REPORTER, auth.ROLE_REVIEWER])
def test_only_administrators_change_the_plan(tiny, role):
    user = auth.AuthUser("x", "x", role, unit_code=A)
    edited = edits.targets_for_edit(tiny, 2023)
    edited.loc[0, "value"] = 1
    calls = [lambda: edits.save_targets(tiny, user, 2023, edited),
             lambda: edits.set_allocation(tiny, user, 2023, "T01", A, 1),
             lambda: edits.update_milestone(tiny, user, 2023, "M1", status="delayed"),
             lambda: edits.copy_plan_year(tiny, user, 2023, 2024)]
    for call in calls:
        with pytest.raises(DataAccessError, match="需要：管理员"):
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
    counts = edits.copy_plan_year(tiny, ROOT, 2023, 2024, title_zh="2024年工作要点")
    assert counts == {"projects": 3, "targets": 5, "allocations": 10, "milestones": 1}
    ms = edits.milestones_for_edit(tiny, 2024)
    assert (ms.loc[0, "due_date"], ms.loc[0, "status"]) == (dt.date(2024, 5, 30), "not_started")
    edits.create_target(tiny, ROOT, 2024, "T12", "P5", name_zh="新目标", name_en="New", unit_zh="家",
                            unit_en="units", value=7)
    with pytest.raises(DataAccessError, match="计划年度 2024 已存在"):
        edits.copy_plan_year(tiny, ROOT, 2023, 2024)
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
    edits.set_allocation(tiny, ROOT, 2023, "T01", A, 61)
    auth.create_user(tiny, ROOT, "lu", "领导", password="Xk9-pass-word")
    assert list(edits.audit_log(tiny, entity="users")["entity_id"]) == ["lu"]
    assert list(edits.audit_log(tiny)["entity"]) == ["users", "allocations"]  # newest first
    assert edits.audit_log(tiny, actor="nobody").empty
    assert _count(tiny, AuditLog) == 2
