"""Administrative changes to a plan year's targets and milestones (the admin page). Only 管理员 may
make them (`permissions.require_plan_edit`); every changed row is one audit entry (`audit.record`:
entity targets or milestones, id year/code, before and after of the changed fields), in the same
transaction. New projects and targets are `create_project` / `create_target`; taking them out of
the plan `plan.retire`; plan curves `plan.curves`; allocations `plan.allocations` (and where they
do not add up, `plan.allocation_check`); copying a year `plan.years`.

The page hands over whole edited tables; `save_*` work out what changed, so one audit entry is
written per changed row, and nothing is written when nothing changed.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, func, insert, select, update

from data_access import audit, clock
from data_access.accounts.identity import AuthUser
from data_access.accounts.permissions import require_plan_edit
from data_access.errors import DataAccessError
from data_access.plan.values import as_date, changed_fields, check_value, plain, require_year
from data_access.schema.models import MEASURES, MILESTONE_STATES, Milestone, Project, Target

__all__ = ["changed_fields"]

TARGET_FIELDS = ("name_zh", "name_en", "unit_zh", "unit_en", "value", "note_zh")
MILESTONE_FIELDS = ("name_zh", "name_en", "due_date", "status", "done_on", "note_zh")
MILESTONE_STATUS_ZH = {"not_started": "未开始", "in_progress": "进行中", "done": "已完成", "delayed": "延期"}


# ---------------------------------------------------------------------------------------------
# targets


def targets_for_edit(engine: Engine, year: int) -> pd.DataFrame:
    """Columns: code, project_code, measure, parent_code, then TARGET_FIELDS; in plan order
    (retired targets left out: `plan.retire`)."""
    stmt = (select(Target.code, Project.code.label("project_code"), Target.measure, Target.parent_code,
                   *[getattr(Target, f) for f in TARGET_FIELDS])
            .join(Project, Project.id == Target.project_id).where(Target.year == year, Target.retired.is_(False))
            .order_by(Target.sort_order, Target.code))
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return pd.DataFrame([tuple(r) for r in rows],
                        columns=["code", "project_code", "measure", "parent_code", *TARGET_FIELDS])


def _target_row(conn: Connection, year: int, code: str) -> Any:
    row = conn.execute(select(Target).where(Target.year == year, Target.code == code)).first()
    if row is None:
        raise DataAccessError(f"{year}年没有目标 {code}", f"No target {code} in {year}")
    if row.retired:
        raise DataAccessError(f"目标 {code} 已停用，恢复后才能修改", f"Target {code} is retired: restore it to edit it")
    return row


def _update_target(conn: Connection, actor: AuthUser, year: int, code: str, after: Mapping[str, Any],
                   now: dt.datetime) -> bool:
    t = _target_row(conn, year, code)
    before = {f: getattr(t, f) for f in TARGET_FIELDS}
    changes = changed_fields(before, after, TARGET_FIELDS)
    if not changes:
        return False
    if "value" in changes:
        changes["value"] = check_value(changes["value"], f"目标 {code}")
    for f in ("name_zh", "name_en", "unit_zh", "unit_en"):
        if f in changes and not changes[f]:
            raise DataAccessError(f"目标 {code} 的 {f} 不能为空", f"Target {code}: {f} must not be empty")
    conn.execute(update(Target).where(Target.id == t.id).values(**changes))
    audit.record(conn, actor=actor, action="update", entity="targets", entity_id=f"{year}/{code}",
                 before={f: before[f] for f in changes}, after=changes, at=now)
    return True


def update_target(engine: Engine, actor: AuthUser, year: int, code: str, **changes: Any) -> bool:
    """Change one target's TARGET_FIELDS; True if anything changed."""
    require_plan_edit(actor)
    with engine.begin() as conn:
        return _update_target(conn, actor, year, code, changes, clock.now())


def save_targets(engine: Engine, actor: AuthUser, year: int, edited: pd.DataFrame) -> int:
    """Apply an edited `targets_for_edit` table (rows keyed by code); returns rows changed."""
    require_plan_edit(actor)
    now, n = clock.now(), 0
    with engine.begin() as conn:
        require_year(conn, year)
        for rec in edited.to_dict("records"):
            n += _update_target(conn, actor, year, str(rec["code"]), rec, now)
    return n


def create_target(engine: Engine, actor: AuthUser, year: int, code: str, project_code: str, *,
                  name_zh: str, name_en: str, unit_zh: str, unit_en: str, value: float,
                  measure: str = "reported", parent_code: str | None = None, note_zh: str | None = None) -> None:
    """Add a target to a plan year (next year's plan needs no code): under a project in the plan,
    with a code new to the year (up to 8 characters, e.g. T12), names and units, a non-negative
    value, one of MEASURES and, for a part of another target, that target's code. It has no plan
    curve (linear) and no allocation until given them; it comes last in the plan order."""
    require_plan_edit(actor)
    code = str(plain(code) or "").upper()
    if not code or len(code) > 8:
        raise DataAccessError("目标代码须为 1 至 8 个字符（如 T12）", "A target code has 1 to 8 characters (e.g. T12)")
    if measure not in MEASURES:
        raise DataAccessError(f"计量方式“{measure}”无效", f"Invalid measure “{measure}”")
    for f, v in (("name_zh", name_zh), ("name_en", name_en), ("unit_zh", unit_zh), ("unit_en", unit_en)):
        if plain(v) is None:
            raise DataAccessError(f"目标 {code} 的 {f} 不能为空", f"Target {code}: {f} must not be empty")
    value = check_value(value, f"目标 {code}")
    parent_code = plain(parent_code)
    with engine.begin() as conn:
        require_year(conn, year)
        proj = conn.execute(select(Project.id, Project.retired)
                            .where(Project.year == year, Project.code == project_code)).first()
        if proj is None:
            raise DataAccessError(f"{year}年没有项目 {project_code}", f"No project {project_code} in {year}")
        if proj.retired:
            raise DataAccessError(f"项目 {project_code} 已停用", f"Project {project_code} is retired")
        if conn.execute(select(Target.id).where(Target.year == year, Target.code == code)).first():
            raise DataAccessError(f"{year}年已有目标 {code}", f"Target {code} exists in {year}")
        if parent_code is not None and conn.execute(select(Target.id).where(
                Target.year == year, Target.code == parent_code, Target.retired.is_(False))).first() is None:
            raise DataAccessError(f"{year}年没有上级目标 {parent_code}", f"No parent target {parent_code} in {year}")
        order = int(conn.execute(select(func.coalesce(func.max(Target.sort_order), 0))
                                 .where(Target.year == year)).scalar_one()) + 1
        values = dict(year=year, code=code, project_id=proj.id, name_zh=plain(name_zh), name_en=plain(name_en),
                      unit_zh=plain(unit_zh), unit_en=plain(unit_en), value=value, measure=measure, pace_curve=None,
                      parent_code=parent_code, note_zh=note_zh, sort_order=order)
        conn.execute(insert(Target).values(**values))
        audit.record(conn, actor=actor, action="create", entity="targets", entity_id=f"{year}/{code}",
                     after={k: v for k, v in values.items() if k != "project_id"} | {"project_code": project_code})


def create_project(engine: Engine, actor: AuthUser, year: int, code: str, *, name_zh: str,
                   name_en: str | None = None) -> None:
    """Add a project (工程) to a plan year: a code new to the year (up to 8 characters, e.g. P6)
    and a Chinese name (the English name defaults to it); it comes last in the plan order."""
    require_plan_edit(actor)
    code = str(plain(code) or "").upper()
    if not code or len(code) > 8:
        raise DataAccessError("项目代码须为 1 至 8 个字符（如 P6）", "A project code has 1 to 8 characters (e.g. P6)")
    name_zh = plain(name_zh)
    if name_zh is None:
        raise DataAccessError(f"项目 {code} 的名称不能为空", f"Project {code}: the name must not be empty")
    with engine.begin() as conn:
        require_year(conn, year)
        if conn.execute(select(Project.id).where(Project.year == year, Project.code == code)).first():
            raise DataAccessError(f"{year}年已有项目 {code}", f"Project {code} exists in {year}")
        order = int(conn.execute(select(func.coalesce(func.max(Project.sort_order), 0))
                                 .where(Project.year == year)).scalar_one()) + 1
        values = dict(year=year, code=code, name_zh=name_zh, name_en=plain(name_en) or name_zh, sort_order=order)
        conn.execute(insert(Project).values(**values))
        audit.record(conn, actor=actor, action="create", entity="projects", entity_id=f"{year}/{code}",
                     after=values, at=clock.now())


# ---------------------------------------------------------------------------------------------
# milestones


def milestones_for_edit(engine: Engine, year: int) -> pd.DataFrame:
    """Columns: code, then MILESTONE_FIELDS; by due date."""
    stmt = (select(Milestone.code, *[getattr(Milestone, f) for f in MILESTONE_FIELDS])
            .where(Milestone.year == year).order_by(Milestone.due_date, Milestone.code))
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=["code", *MILESTONE_FIELDS])


def _clean_milestone(code: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(changes)
    for f in ("due_date", "done_on"):
        if f in out:
            out[f] = as_date(out[f], f"里程碑 {code}")
    if "status" in out and out["status"] not in MILESTONE_STATES:
        raise DataAccessError(f"里程碑 {code} 的状态“{out['status']}”无效，应为：" +
                              "、".join(f"{k}（{v}）" for k, v in MILESTONE_STATUS_ZH.items()),
                              f"Milestone {code}: invalid status “{out['status']}”")
    for f in ("name_zh", "name_en", "due_date"):
        if f in out and out[f] is None:
            raise DataAccessError(f"里程碑 {code} 的 {f} 不能为空", f"Milestone {code}: {f} must not be empty")
    return out


def _update_milestone(conn: Connection, actor: AuthUser, year: int, code: str, after: Mapping[str, Any],
                      now: dt.datetime) -> bool:
    row = conn.execute(select(Milestone).where(Milestone.year == year, Milestone.code == code)).first()
    if row is None:
        raise DataAccessError(f"{year}年没有里程碑 {code}", f"No milestone {code} in {year}")
    m = row
    before = {f: getattr(m, f) for f in MILESTONE_FIELDS}
    changes = _clean_milestone(code, changed_fields(before, after, MILESTONE_FIELDS))
    if not changes:
        return False
    merged = {**before, **changes}
    if merged["status"] == "done" and merged["done_on"] is None:
        raise DataAccessError(f"里程碑 {code} 标记为已完成时须填写完成日期",
                              f"Milestone {code}: a done milestone needs its completion date")
    conn.execute(update(Milestone).where(Milestone.id == m.id).values(**changes))
    audit.record(conn, actor=actor, action="update", entity="milestones", entity_id=f"{year}/{code}",
                 before={f: before[f] for f in changes}, after=changes, at=now)
    return True


def update_milestone(engine: Engine, actor: AuthUser, year: int, code: str, **changes: Any) -> bool:
    require_plan_edit(actor)
    with engine.begin() as conn:
        return _update_milestone(conn, actor, year, code, changes, clock.now())


def save_milestones(engine: Engine, actor: AuthUser, year: int, edited: pd.DataFrame) -> int:
    """Apply an edited `milestones_for_edit` table: existing codes are updated, new codes created."""
    require_plan_edit(actor)
    now, n = clock.now(), 0
    with engine.begin() as conn:
        require_year(conn, year)
        existing = {r.code for r in conn.execute(select(Milestone.code).where(Milestone.year == year)).all()}
        for rec in edited.to_dict("records"):
            code = plain(rec.get("code"))
            if code is None:
                if all(plain(rec.get(f)) is None for f in MILESTONE_FIELDS):
                    continue  # an empty row left by the editor
                raise DataAccessError("新增里程碑须填写编号（如 M7）", "A new milestone needs a code (e.g. M7)")
            if code in existing:
                n += _update_milestone(conn, actor, year, str(code), rec, now)
            else:
                _create_milestone(conn, actor, year, str(code), rec, now)
                existing.add(code)
                n += 1
    return n


def _create_milestone(conn: Connection, actor: AuthUser, year: int, code: str, rec: Mapping[str, Any],
                      now: dt.datetime) -> None:
    values = {f: plain(rec.get(f)) for f in MILESTONE_FIELDS}
    if values["name_zh"] is None or values["due_date"] is None:
        raise DataAccessError(f"新增里程碑 {code} 须填写名称和截止日期",
                              f"New milestone {code} needs a name and a due date")
    values["status"] = values["status"] or "not_started"
    values["name_en"] = values["name_en"] or values["name_zh"]
    values = _clean_milestone(code, values)
    conn.execute(insert(Milestone).values(year=year, code=code, project_id=None, **values))
    audit.record(conn, actor=actor, action="create", entity="milestones", entity_id=f"{year}/{code}",
                 after=values, at=now)


def create_milestone(engine: Engine, actor: AuthUser, year: int, code: str, *, name_zh: str,
                     due_date: dt.date, name_en: str | None = None, status: str = "not_started",
                     note_zh: str | None = None) -> None:
    require_plan_edit(actor)
    with engine.begin() as conn:
        require_year(conn, year)
        if conn.execute(select(Milestone.id).where(Milestone.year == year, Milestone.code == code)).first():
            raise DataAccessError(f"{year}年已有里程碑 {code}", f"Milestone {code} exists in {year}")
        _create_milestone(conn, actor, year, code, dict(name_zh=name_zh, name_en=name_en, due_date=due_date,
                                                         status=status, note_zh=note_zh), clock.now())
