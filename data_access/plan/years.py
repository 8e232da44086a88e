"""A new plan year started as a copy of an old one (admin page, 管理员 only): the year, its
projects, targets (with pace curves), allocations and milestones (dates moved by the years between,
29 February to the 28th; state reset to not started). Retired projects and targets (`plan.retire`)
are left behind, with their allocations; a milestone of a retired project is copied without one.
Set-based: one INSERT … SELECT per table (milestones, whose dates move, as one bulk insert),
whatever the size of the plan.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, func, insert, literal, select
from sqlalchemy.orm import aliased

from data_access import audit, clock
from data_access.accounts.identity import AuthUser
from data_access.accounts.permissions import require_plan_edit
from data_access.errors import DataAccessError
from data_access.schema.models import Allocation, Milestone, PlanYear, Project, Target


def shift_year(d: dt.date, years: int) -> dt.date:
    """The same day `years` later; 29 February becomes the 28th in a year without it."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def copy_plan_year(engine: Engine, actor: AuthUser, from_year: int, to_year: int, *,
                   title_zh: str | None = None, title_en: str | None = None) -> dict[str, int]:
    """Start `to_year` as a copy of `from_year`; returns the rows copied per table (projects,
    targets, allocations, milestones). One audit entry (action copy_year, entity plan_years)."""
    require_plan_edit(actor)
    shift = to_year - from_year
    with engine.begin() as conn:
        src = conn.execute(select(PlanYear).where(PlanYear.year == from_year)).first()
        if src is None:
            raise DataAccessError(f"计划年度 {from_year} 不存在", f"No plan year {from_year}")
        if conn.execute(select(PlanYear.year).where(PlanYear.year == to_year)).first() is not None:
            raise DataAccessError(f"计划年度 {to_year} 已存在", f"Plan year {to_year} exists")
        conn.execute(insert(PlanYear).values(
            year=to_year, title_zh=title_zh or f"{to_year}年工作要点", title_en=title_en or f"{to_year} work plan",
            start_date=shift_year(src.start_date, shift), end_date=shift_year(src.end_date, shift)))
        p = Project
        conn.execute(insert(p).from_select(
            ["year", "code", "name_zh", "name_en", "sort_order"],
            select(literal(to_year), p.code, p.name_zh, p.name_en, p.sort_order)
            .where(p.year == from_year, p.retired.is_(False))))
        old_p, new_p = aliased(Project), aliased(Project)
        t = Target
        cols = ["code", "name_zh", "name_en", "unit_zh", "unit_en", "value", "measure", "pace_curve",
                "parent_code", "note_zh", "sort_order"]
        conn.execute(insert(t).from_select(
            ["year", "project_id", *cols],
            select(literal(to_year), new_p.id, *[getattr(t, c) for c in cols])
            .join(old_p, old_p.id == t.project_id)
            .join(new_p, (new_p.year == to_year) & (new_p.code == old_p.code))
            .where(t.year == from_year, t.retired.is_(False))))
        old_t, new_t = aliased(Target), aliased(Target)
        a = Allocation
        conn.execute(insert(a).from_select(
            ["target_id", "unit_code", "value"],
            select(new_t.id, a.unit_code, a.value)
            .join(old_t, old_t.id == a.target_id)
            .join(new_t, (new_t.year == to_year) & (new_t.code == old_t.code))
            .where(old_t.year == from_year, old_t.retired.is_(False))))
        # Milestones: their dates move, which SQL cannot do alike on SQLite, PostgreSQL and MariaDB.
        m = Milestone
        new_projects = {str(code): int(pid) for code, pid in conn.execute(
            select(new_p.code, new_p.id).where(new_p.year == to_year))}
        rows = conn.execute(select(m.code, old_p.code.label("project_code"), m.name_zh, m.name_en,
                                   m.due_date, m.note_zh)
                            .outerjoin(old_p, old_p.id == m.project_id).where(m.year == from_year)).all()
        if rows:
            conn.execute(insert(m), [
                dict(year=to_year, code=r.code, project_id=new_projects.get(r.project_code) if r.project_code else None,
                     name_zh=r.name_zh, name_en=r.name_en, due_date=shift_year(r.due_date, shift),
                     status="not_started", done_on=None, note_zh=r.note_zh) for r in rows])
        counts = {
            "projects": len(new_projects),
            "targets": int(conn.execute(select(func.count()).select_from(t).where(t.year == to_year)).scalar_one()),
            "allocations": int(conn.execute(select(func.count()).select_from(a).join(t, t.id == a.target_id)
                                            .where(t.year == to_year)).scalar_one()),
            "milestones": len(rows),
        }
        audit.record(conn, actor=actor, action="copy_year", entity="plan_years", entity_id=to_year,
                     before={"from_year": from_year}, after={"year": to_year, **counts}, at=clock.now())
    return counts
