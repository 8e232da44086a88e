"""Administrative changes to a plan year (targets, allocations, milestones, copying a year) and the
audit log. Every write requires an administrator and records who, when, before and after (JSON).

The page hands over whole edited tables; `save_*` work out what changed, so one audit entry is
written per changed row or cell, and nothing is written when nothing changed.
"""
from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, delete, insert, select, update

from data_access.accounts.auth import ROLE_ADMIN, AuthUser, audit_actor, require_role
from data_access import clock
from data_access.errors import DataAccessError
from data_access.schema.models import MILESTONE_STATES, Allocation, AuditLog, Milestone, PlanYear, Project, Target, Unit

TARGET_FIELDS = ("name_zh", "name_en", "unit_zh", "unit_en", "value", "note_zh")
MILESTONE_FIELDS = ("name_zh", "name_en", "due_date", "status", "done_on", "note_zh")
MILESTONE_STATUS_ZH = {"not_started": "未开始", "in_progress": "进行中", "done": "已完成", "delayed": "延期"}


def _now() -> dt.datetime:
    return clock.now()


# ---------------------------------------------------------------------------------------------
# the audit log


def _json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def write_audit(conn: Connection, actor: AuthUser | str, action: str, entity: str, entity_id,
                before: Any, after: Any, at: dt.datetime | None = None) -> None:
    """One audit entry in the caller's transaction (so the change and its record commit together)."""
    conn.execute(insert(AuditLog).values(
        at=at or _now(), actor=audit_actor(actor)[:64], action=action[:64], entity=entity[:64],
        entity_id=None if entity_id is None else str(entity_id)[:64], before=_json(before), after=_json(after)))


AUDIT_COLUMNS = ["id", "at", "actor", "action", "entity", "entity_id", "before", "after"]


def audit_log(engine: Engine, *, limit: int = 500, entity: str | None = None,
              actor: str | None = None) -> pd.DataFrame:
    """Newest first. Columns: AUDIT_COLUMNS; before/after are JSON text."""
    a = AuditLog
    stmt = select(*[getattr(a, c) for c in AUDIT_COLUMNS]).order_by(a.id.desc()).limit(limit)
    if entity:
        stmt = stmt.where(a.entity == entity)
    if actor:
        stmt = stmt.where(a.actor == actor)
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=AUDIT_COLUMNS)


# ---------------------------------------------------------------------------------------------
# comparing values that went through a data editor (NaN, numpy scalars, Timestamps)


def _plain(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalar
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def changed_fields(before: dict, after: dict, fields: tuple[str, ...]) -> dict:
    """The fields of `after` whose plain value differs from `before` (floats compared exactly)."""
    out = {}
    for f in fields:
        if f not in after:
            continue
        a, b = _plain(before.get(f)), _plain(after[f])
        if isinstance(a, (int, float)) and isinstance(b, (int, float)):
            if float(a) != float(b):
                out[f] = b
        elif a != b:
            out[f] = b
    return out


def _check_value(value: Any, what: str) -> float:
    v = _plain(value)
    try:
        v = float(v)
    except (TypeError, ValueError):
        raise DataAccessError(f"{what}：“{value}”不是数字", f"{what}: “{value}” is not a number") from None
    if not math.isfinite(v) or v < 0:
        raise DataAccessError(f"{what}：数值必须是非负数", f"{what}: the value must be non-negative")
    return v


def _require_year(conn: Connection, year: int) -> None:
    if conn.execute(select(PlanYear.year).where(PlanYear.year == year)).first() is None:
        raise DataAccessError(f"计划年度 {year} 不存在", f"No plan year {year}")


def _as_date(value: Any, what: str) -> dt.date | None:
    v = _plain(value)
    if v is None or isinstance(v, dt.date):
        return v
    try:
        return dt.date.fromisoformat(str(v))
    except ValueError:
        raise DataAccessError(f"{what}：“{value}”不是日期（YYYY-MM-DD）",
                              f"{what}: “{value}” is not a date (YYYY-MM-DD)") from None


# ---------------------------------------------------------------------------------------------
# targets


def targets_for_edit(engine: Engine, year: int) -> pd.DataFrame:
    """Columns: code, project_code, measure, parent_code, then TARGET_FIELDS; in plan order."""
    stmt = (select(Target.code, Project.code.label("project_code"), Target.measure, Target.parent_code,
                   *[getattr(Target, f) for f in TARGET_FIELDS])
            .join(Project, Project.id == Target.project_id).where(Target.year == year)
            .order_by(Target.sort_order, Target.code))
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return pd.DataFrame([tuple(r) for r in rows],
                        columns=["code", "project_code", "measure", "parent_code", *TARGET_FIELDS])


def _target_row(conn: Connection, year: int, code: str):
    row = conn.execute(select(Target).where(Target.year == year, Target.code == code)).first()
    if row is None:
        raise DataAccessError(f"{year}年没有目标 {code}", f"No target {code} in {year}")
    return row


def _update_target(conn, actor, year: int, code: str, after: dict, now) -> bool:
    t = _target_row(conn, year, code)
    before = {f: getattr(t, f) for f in TARGET_FIELDS}
    changes = changed_fields(before, after, TARGET_FIELDS)
    if not changes:
        return False
    if "value" in changes:
        changes["value"] = _check_value(changes["value"], f"目标 {code}")
    for f in ("name_zh", "name_en", "unit_zh", "unit_en"):
        if f in changes and not changes[f]:
            raise DataAccessError(f"目标 {code} 的 {f} 不能为空", f"Target {code}: {f} must not be empty")
    conn.execute(update(Target).where(Target.id == t.id).values(**changes))
    write_audit(conn, actor, "update", "targets", f"{year}/{code}",
                {f: before[f] for f in changes}, changes, now)
    return True


def update_target(engine: Engine, actor: AuthUser, year: int, code: str, **changes) -> bool:
    """Change one target's TARGET_FIELDS; True if anything changed."""
    require_role(actor, ROLE_ADMIN)
    with engine.begin() as conn:
        return _update_target(conn, actor, year, code, changes, _now())


def save_targets(engine: Engine, actor: AuthUser, year: int, edited: pd.DataFrame) -> int:
    """Apply an edited `targets_for_edit` table (rows keyed by code); returns rows changed."""
    require_role(actor, ROLE_ADMIN)
    now, n = _now(), 0
    with engine.begin() as conn:
        _require_year(conn, year)
        for rec in edited.to_dict("records"):
            n += _update_target(conn, actor, year, str(rec["code"]), rec, now)
    return n


def create_target(engine: Engine, actor: AuthUser, year: int, code: str, project_code: str, *,
                  name_zh: str, name_en: str, unit_zh: str, unit_en: str, value: float,
                  measure: str = "reported", parent_code: str | None = None, note_zh: str | None = None) -> None:
    """Add a target to a plan year (next year's plan needs no code)."""
    from data_access.schema.models import MEASURES

    require_role(actor, ROLE_ADMIN)
    if measure not in MEASURES:
        raise DataAccessError(f"计量方式“{measure}”无效", f"Invalid measure “{measure}”")
    value = _check_value(value, f"目标 {code}")
    with engine.begin() as conn:
        _require_year(conn, year)
        proj = conn.execute(select(Project.id).where(Project.year == year, Project.code == project_code)).first()
        if proj is None:
            raise DataAccessError(f"{year}年没有项目 {project_code}", f"No project {project_code} in {year}")
        if conn.execute(select(Target.id).where(Target.year == year, Target.code == code)).first():
            raise DataAccessError(f"{year}年已有目标 {code}", f"Target {code} exists in {year}")
        order = len(conn.execute(select(Target.id).where(Target.year == year)).all()) + 1
        values = dict(year=year, code=code, project_id=proj.id, name_zh=name_zh, name_en=name_en,
                      unit_zh=unit_zh, unit_en=unit_en, value=value, measure=measure, pace_curve=None,
                      parent_code=parent_code, note_zh=note_zh, sort_order=order)
        conn.execute(insert(Target).values(**values))
        write_audit(conn, actor, "create", "targets", f"{year}/{code}", None,
                    {k: v for k, v in values.items() if k != "project_id"} | {"project_code": project_code})


# ---------------------------------------------------------------------------------------------
# allocations: a unit × target matrix


def allocation_matrix(engine: Engine, year: int) -> pd.DataFrame:
    """One row per active unit (columns unit_code, unit_name), one column per target code holding the
    unit's allocated value (NaN: none)."""
    with engine.connect() as conn:
        units = conn.execute(select(Unit.code, Unit.name_zh).where(Unit.active.is_(True))
                             .order_by(Unit.sort_order, Unit.code)).all()
        codes = [r.code for r in conn.execute(select(Target.code).where(Target.year == year)
                                              .order_by(Target.sort_order, Target.code)).all()]
        allocs = conn.execute(select(Target.code, Allocation.unit_code, Allocation.value)
                              .join(Target, Target.id == Allocation.target_id).where(Target.year == year)).all()
    df = pd.DataFrame({"unit_code": [u.code for u in units], "unit_name": [u.name_zh for u in units]})
    for c in codes:
        df[c] = float("nan")
    pos = {code: i for i, code in enumerate(df["unit_code"])}
    for t_code, u_code, value in allocs:
        if u_code in pos:
            df.loc[pos[u_code], t_code] = float(value)
    return df


def _set_allocation(conn, actor, year: int, target_code: str, unit_code: str, value, now) -> bool:
    t = _target_row(conn, year, target_code)
    if conn.execute(select(Unit.code).where(Unit.code == unit_code)).first() is None:
        raise DataAccessError(f"单位代码 {unit_code} 不存在", f"Unknown unit code {unit_code}")
    new = None if _plain(value) is None else _check_value(value, f"{target_code} / {unit_code}")
    row = conn.execute(select(Allocation).where(Allocation.target_id == t.id,
                                                Allocation.unit_code == unit_code)).first()
    old = None if row is None else float(row.value)
    if old == new:
        return False
    if row is None:
        conn.execute(insert(Allocation).values(target_id=t.id, unit_code=unit_code, value=new))
    elif new is None:
        conn.execute(delete(Allocation).where(Allocation.id == row.id))
    else:
        conn.execute(update(Allocation).where(Allocation.id == row.id).values(value=new))
    action = "create" if old is None else "delete" if new is None else "update"
    write_audit(conn, actor, action, "allocations", f"{year}/{target_code}/{unit_code}",
                None if old is None else {"value": old}, None if new is None else {"value": new}, now)
    return True


def set_allocation(engine: Engine, actor: AuthUser, year: int, target_code: str, unit_code: str,
                   value: float | None) -> bool:
    """Set (or with None remove) one unit's share of a target; True if it changed."""
    require_role(actor, ROLE_ADMIN)
    with engine.begin() as conn:
        return _set_allocation(conn, actor, year, target_code, unit_code, value, _now())


def save_allocations(engine: Engine, actor: AuthUser, year: int, edited: pd.DataFrame) -> int:
    """Apply an edited `allocation_matrix`; returns the number of cells changed."""
    require_role(actor, ROLE_ADMIN)
    now, n = _now(), 0
    with engine.begin() as conn:
        _require_year(conn, year)
        codes = [r.code for r in conn.execute(select(Target.code).where(Target.year == year)).all()]
        for rec in edited.to_dict("records"):
            for code in codes:
                if code in rec:
                    n += _set_allocation(conn, actor, year, code, str(rec["unit_code"]), rec[code], now)
    return n


# ---------------------------------------------------------------------------------------------
# milestones


def milestones_for_edit(engine: Engine, year: int) -> pd.DataFrame:
    """Columns: code, then MILESTONE_FIELDS; by due date."""
    stmt = (select(Milestone.code, *[getattr(Milestone, f) for f in MILESTONE_FIELDS])
            .where(Milestone.year == year).order_by(Milestone.due_date, Milestone.code))
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=["code", *MILESTONE_FIELDS])


def _clean_milestone(code: str, changes: dict) -> dict:
    out = dict(changes)
    for f in ("due_date", "done_on"):
        if f in out:
            out[f] = _as_date(out[f], f"里程碑 {code}")
    if "status" in out and out["status"] not in MILESTONE_STATES:
        raise DataAccessError(f"里程碑 {code} 的状态“{out['status']}”无效，应为：" +
                              "、".join(f"{k}（{v}）" for k, v in MILESTONE_STATUS_ZH.items()),
                              f"Milestone {code}: invalid status “{out['status']}”")
    for f in ("name_zh", "name_en", "due_date"):
        if f in out and out[f] is None:
            raise DataAccessError(f"里程碑 {code} 的 {f} 不能为空", f"Milestone {code}: {f} must not be empty")
    return out


def _update_milestone(conn, actor, year: int, code: str, after: dict, now) -> bool:
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
    write_audit(conn, actor, "update", "milestones", f"{year}/{code}", {f: before[f] for f in changes},
                changes, now)
    return True


def update_milestone(engine: Engine, actor: AuthUser, year: int, code: str, **changes) -> bool:
    require_role(actor, ROLE_ADMIN)
    with engine.begin() as conn:
        return _update_milestone(conn, actor, year, code, changes, _now())


def save_milestones(engine: Engine, actor: AuthUser, year: int, edited: pd.DataFrame) -> int:
    """Apply an edited `milestones_for_edit` table: existing codes are updated, new codes created."""
    require_role(actor, ROLE_ADMIN)
    now, n = _now(), 0
    with engine.begin() as conn:
        _require_year(conn, year)
        existing = {r.code for r in conn.execute(select(Milestone.code).where(Milestone.year == year)).all()}
        for rec in edited.to_dict("records"):
            code = _plain(rec.get("code"))
            if code is None:
                if all(_plain(rec.get(f)) is None for f in MILESTONE_FIELDS):
                    continue  # an empty row left by the editor
                raise DataAccessError("新增里程碑须填写编号（如 M7）", "A new milestone needs a code (e.g. M7)")
            if code in existing:
                n += _update_milestone(conn, actor, year, str(code), rec, now)
            else:
                _create_milestone(conn, actor, year, str(code), rec, now)
                existing.add(code)
                n += 1
    return n


def _create_milestone(conn, actor, year: int, code: str, rec: dict, now) -> None:
    values = {f: _plain(rec.get(f)) for f in MILESTONE_FIELDS}
    if values["name_zh"] is None or values["due_date"] is None:
        raise DataAccessError(f"新增里程碑 {code} 须填写名称和截止日期",
                              f"New milestone {code} needs a name and a due date")
    values["status"] = values["status"] or "not_started"
    values["name_en"] = values["name_en"] or values["name_zh"]
    values = _clean_milestone(code, values)
    conn.execute(insert(Milestone).values(year=year, code=code, project_id=None, **values))
    write_audit(conn, actor, "create", "milestones", f"{year}/{code}", None, values, now)


def create_milestone(engine: Engine, actor: AuthUser, year: int, code: str, *, name_zh: str,
                     due_date: dt.date, name_en: str | None = None, status: str = "not_started",
                     note_zh: str | None = None) -> None:
    require_role(actor, ROLE_ADMIN)
    with engine.begin() as conn:
        _require_year(conn, year)
        if conn.execute(select(Milestone.id).where(Milestone.year == year, Milestone.code == code)).first():
            raise DataAccessError(f"{year}年已有里程碑 {code}", f"Milestone {code} exists in {year}")
        _create_milestone(conn, actor, year, code, dict(name_zh=name_zh, name_en=name_en, due_date=due_date,
                                                         status=status, note_zh=note_zh), _now())


# ---------------------------------------------------------------------------------------------
# a new plan year from an old one


def _shift_year(d: dt.date | None, years: int) -> dt.date | None:
    if d is None:
        return None
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def copy_plan_year(engine: Engine, actor: AuthUser, from_year: int, to_year: int, *,
                   title_zh: str | None = None, title_en: str | None = None) -> dict[str, int]:
    """Start `to_year` as a copy of `from_year`: the year, projects, targets (with pace curves),
    allocations, and milestones (dates moved, state reset). Returns counts per table."""
    require_role(actor, ROLE_ADMIN)
    shift = to_year - from_year
    now = _now()
    with engine.begin() as conn:
        src = conn.execute(select(PlanYear).where(PlanYear.year == from_year)).first()
        if src is None:
            raise DataAccessError(f"计划年度 {from_year} 不存在", f"No plan year {from_year}")
        if conn.execute(select(PlanYear.year).where(PlanYear.year == to_year)).first() is not None:
            raise DataAccessError(f"计划年度 {to_year} 已存在", f"Plan year {to_year} exists")
        conn.execute(insert(PlanYear).values(
            year=to_year, title_zh=title_zh or f"{to_year}年工作要点", title_en=title_en or f"{to_year} work plan",
            start_date=_shift_year(src.start_date, shift), end_date=_shift_year(src.end_date, shift)))
        project_ids = {}
        projects = conn.execute(select(Project).where(Project.year == from_year)).all()
        for p in projects:
            project_ids[p.id] = conn.execute(insert(Project).values(
                year=to_year, code=p.code, name_zh=p.name_zh, name_en=p.name_en,
                sort_order=p.sort_order)).inserted_primary_key[0]
        targets = conn.execute(select(Target).where(Target.year == from_year)).all()
        n_alloc = 0
        for t in targets:
            new_id = conn.execute(insert(Target).values(
                year=to_year, code=t.code, project_id=project_ids[t.project_id], name_zh=t.name_zh,
                name_en=t.name_en, unit_zh=t.unit_zh, unit_en=t.unit_en, value=t.value, measure=t.measure,
                pace_curve=t.pace_curve, parent_code=t.parent_code, note_zh=t.note_zh,
                sort_order=t.sort_order)).inserted_primary_key[0]
            allocs = conn.execute(select(Allocation.unit_code, Allocation.value)
                                  .where(Allocation.target_id == t.id)).all()
            if allocs:
                conn.execute(insert(Allocation), [dict(target_id=new_id, unit_code=u, value=v) for u, v in allocs])
                n_alloc += len(allocs)
        milestones = conn.execute(select(Milestone).where(Milestone.year == from_year)).all()
        for m in milestones:
            conn.execute(insert(Milestone).values(
                year=to_year, code=m.code, project_id=project_ids.get(m.project_id), name_zh=m.name_zh,
                name_en=m.name_en, due_date=_shift_year(m.due_date, shift), status="not_started",
                done_on=None, note_zh=m.note_zh))
        counts = {"projects": len(projects), "targets": len(targets), "allocations": n_alloc,
                  "milestones": len(milestones)}
        write_audit(conn, actor, "copy_year", "plan_years", to_year, {"from_year": from_year},
                    {"year": to_year, **counts}, now)
    return counts
