"""Taking a target or project out of a plan year (停用) and putting it back (恢复), 管理员 only.

A retired row keeps everything it had: its allocations, reported figures and audit history stay,
other years are untouched. Readers leave it out of that year (column `retired`, migration 0012:
`kpis.queries.targets` / `projects`, `progress_by_unit`, the report template and the upload's
target list), and copying the year leaves it behind (`plan.years`).

Rules: a project is retired only when none of its targets is still in the plan, and a target only
when no other target counts as part of it (`parent_code`), so nothing disappears unasked; a target
is restored only under a project that is in the plan. Each change is one audit entry (action
retire or restore, entity targets or projects, id year/code, before/after {"retired": ...}).
"""
from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, Engine, select, update

from data_access import audit, clock
from data_access.accounts.identity import AuthUser
from data_access.accounts.permissions import require_plan_edit
from data_access.errors import DataAccessError
from data_access.plan.values import require_year
from data_access.schema.models import Project, Target


def plan_rows(engine: Engine, year: int) -> pd.DataFrame:
    """The year's projects and targets with their state, for the page's retire/restore choices.
    Columns: kind (project|target), code, project_code, name_zh, name_en, retired; projects first,
    each in plan order."""
    with engine.connect() as conn:
        projects = conn.execute(select(Project.code, Project.name_zh, Project.name_en, Project.retired)
                                .where(Project.year == year).order_by(Project.sort_order, Project.code)).all()
        targets = conn.execute(select(Target.code, Project.code.label("p"), Target.name_zh, Target.name_en,
                                      Target.retired).join(Project, Project.id == Target.project_id)
                               .where(Target.year == year).order_by(Target.sort_order, Target.code)).all()
    rows = [("project", c, c, zh, en, bool(r)) for c, zh, en, r in projects]
    rows += [("target", c, p, zh, en, bool(r)) for c, p, zh, en, r in targets]
    return pd.DataFrame(rows, columns=["kind", "code", "project_code", "name_zh", "name_en", "retired"])


def _set_retired(conn: Connection, actor: AuthUser, table: type[Project] | type[Target], year: int,
                 code: str, retired: bool) -> None:
    conn.execute(update(table).where(table.year == year, table.code == code).values(retired=retired))
    audit.record(conn, actor=actor, action="retire" if retired else "restore", entity=table.__tablename__,
                 entity_id=f"{year}/{code}", before={"retired": not retired}, after={"retired": retired},
                 at=clock.now())


def retire_target(engine: Engine, actor: AuthUser, year: int, code: str) -> None:
    """Take target `code` out of `year`'s plan."""
    require_plan_edit(actor)
    with engine.begin() as conn:
        require_year(conn, year)
        row = conn.execute(select(Target.retired).where(Target.year == year, Target.code == code)).first()
        if row is None:
            raise DataAccessError(f"{year}年没有目标 {code}", f"No target {code} in {year}")
        if row.retired:
            raise DataAccessError(f"目标 {code} 已停用", f"Target {code} is already retired")
        parts = [str(c) for c in conn.execute(select(Target.code).where(
            Target.year == year, Target.parent_code == code, Target.retired.is_(False))
            .order_by(Target.code)).scalars()]
        if parts:
            raise DataAccessError(f"目标 {code} 下还有 {'、'.join(parts)}，请先停用",
                                  f"Target {code} still has {', '.join(parts)} as part of it: retire those first")
        _set_retired(conn, actor, Target, year, code, True)


def restore_target(engine: Engine, actor: AuthUser, year: int, code: str) -> None:
    """Put a retired target back into `year`'s plan (its allocations and figures come back with it)."""
    require_plan_edit(actor)
    with engine.begin() as conn:
        require_year(conn, year)
        row = conn.execute(select(Target.retired, Project.code.label("project_code"),
                                  Project.retired.label("project_retired"))
                           .join(Project, Project.id == Target.project_id)
                           .where(Target.year == year, Target.code == code)).first()
        if row is None:
            raise DataAccessError(f"{year}年没有目标 {code}", f"No target {code} in {year}")
        if not row.retired:
            raise DataAccessError(f"目标 {code} 未停用", f"Target {code} is not retired")
        if row.project_retired:
            raise DataAccessError(f"项目 {row.project_code} 已停用，请先恢复项目",
                                  f"Project {row.project_code} is retired: restore it first")
        _set_retired(conn, actor, Target, year, code, False)


def retire_project(engine: Engine, actor: AuthUser, year: int, code: str) -> None:
    """Take project `code` out of `year`'s plan; refused while any of its targets is in the plan."""
    require_plan_edit(actor)
    with engine.begin() as conn:
        require_year(conn, year)
        row = conn.execute(select(Project.id, Project.retired).where(Project.year == year,
                                                                     Project.code == code)).first()
        if row is None:
            raise DataAccessError(f"{year}年没有项目 {code}", f"No project {code} in {year}")
        if row.retired:
            raise DataAccessError(f"项目 {code} 已停用", f"Project {code} is already retired")
        active = [str(c) for c in conn.execute(select(Target.code).where(
            Target.project_id == row.id, Target.retired.is_(False)).order_by(Target.code)).scalars()]
        if active:
            raise DataAccessError(f"项目 {code} 下还有目标 {'、'.join(active)}，请先停用这些目标",
                                  f"Project {code} still has targets {', '.join(active)}: retire them first")
        _set_retired(conn, actor, Project, year, code, True)


def restore_project(engine: Engine, actor: AuthUser, year: int, code: str) -> None:
    """Put a retired project back (its targets stay retired until restored one by one)."""
    require_plan_edit(actor)
    with engine.begin() as conn:
        require_year(conn, year)
        row = conn.execute(select(Project.retired).where(Project.year == year, Project.code == code)).first()
        if row is None:
            raise DataAccessError(f"{year}年没有项目 {code}", f"No project {code} in {year}")
        if not row.retired:
            raise DataAccessError(f"项目 {code} 未停用", f"Project {code} is not retired")
        _set_retired(conn, actor, Project, year, code, False)
