"""Allocations (分解任务): each unit's share of a plan year's targets, edited as one unit × target
matrix on the admin page. Table `allocations` (target_id, unit_code, value in the target's base
unit). Only 管理员 may change them (`permissions.require_plan_edit`); every changed cell is one
audit entry (entity "allocations", id year/target/unit, before/after {"value": ...}).

Saving reads the stored matrix once, compares in Python, and writes only the cells that changed
(bulk insert, update and delete): an unchanged matrix writes nothing.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, bindparam, delete, insert, select, update

from data_access import audit, clock
from data_access.accounts.identity import AuthUser
from data_access.accounts.permissions import require_plan_edit
from data_access.errors import DataAccessError
from data_access.plan.values import check_value, plain, require_year
from data_access.schema.models import Allocation, Target, Unit

Cell = tuple[str, str]  # (target code, unit code)


def allocation_matrix(engine: Engine, year: int) -> pd.DataFrame:
    """One row per active unit (columns unit_code, unit_name), one column per target code holding the
    unit's allocated value (NaN: none); retired targets left out."""
    with engine.connect() as conn:
        units = conn.execute(select(Unit.code, Unit.name_zh).where(Unit.active.is_(True))
                             .order_by(Unit.sort_order, Unit.code)).all()
        codes = [r.code for r in conn.execute(select(Target.code).where(Target.year == year, Target.retired.is_(False))
                                              .order_by(Target.sort_order, Target.code)).all()]
        allocs = conn.execute(select(Target.code, Allocation.unit_code, Allocation.value)
                              .join(Target, Target.id == Allocation.target_id)
                              .where(Target.year == year, Target.retired.is_(False))).all()
    df = pd.DataFrame({"unit_code": [u.code for u in units], "unit_name": [u.name_zh for u in units]})
    for c in codes:
        df[c] = float("nan")
    pos = {code: i for i, code in enumerate(df["unit_code"])}
    for t_code, u_code, value in allocs:
        if u_code in pos:
            df.loc[pos[u_code], t_code] = float(value)
    return df


def _apply(conn: Connection, actor: AuthUser, year: int, cells: Mapping[Cell, Any], now: dt.datetime) -> int:
    """Write the cells whose value differs from the stored one; returns how many did. Reads the
    year's targets, units and allocations once; writes in at most three bulk statements plus one
    audit entry per changed cell."""
    targets = {str(c): int(i) for c, i in conn.execute(select(Target.code, Target.id).where(
        Target.year == year, Target.retired.is_(False)))}
    units = {str(c) for c in conn.execute(select(Unit.code)).scalars()}
    stored: dict[Cell, tuple[int, float]] = {
        (str(code), str(unit)): (int(aid), float(value)) for code, unit, aid, value in conn.execute(
            select(Target.code, Allocation.unit_code, Allocation.id, Allocation.value)
            .join(Target, Target.id == Allocation.target_id).where(Target.year == year, Target.retired.is_(False)))}
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    deletes: list[int] = []
    entries: list[tuple[str, Cell, float | None, float | None]] = []
    for (code, unit), value in cells.items():
        if code not in targets:
            raise DataAccessError(f"{year}年没有目标 {code}", f"No target {code} in {year}")
        if unit not in units:
            raise DataAccessError(f"单位代码 {unit} 不存在", f"Unknown unit code {unit}")
        new = None if plain(value) is None else check_value(value, f"{code} / {unit}")
        row = stored.get((code, unit))
        old = None if row is None else row[1]
        if old == new:
            continue
        if row is None:
            inserts.append({"target_id": targets[code], "unit_code": unit, "value": new})
        elif new is None:
            deletes.append(row[0])
        else:
            updates.append({"b_id": row[0], "b_value": new})
        entries.append(("create" if old is None else "delete" if new is None else "update", (code, unit), old, new))
    if inserts:
        conn.execute(insert(Allocation), inserts)
    if updates:
        conn.execute(update(Allocation).where(Allocation.id == bindparam("b_id"))
                     .values(value=bindparam("b_value")), updates)
    if deletes:
        conn.execute(delete(Allocation).where(Allocation.id.in_(deletes)))
    for action, (code, unit), old, new in entries:
        audit.record(conn, actor=actor, action=action, entity="allocations", entity_id=f"{year}/{code}/{unit}",
                     before=None if old is None else {"value": old},
                     after=None if new is None else {"value": new}, at=now)
    return len(entries)


def set_allocation(engine: Engine, actor: AuthUser, year: int, target_code: str, unit_code: str,
                   value: float | None) -> bool:
    """Set (or with None remove) one unit's share of a target; True if it changed."""
    require_plan_edit(actor)
    with engine.begin() as conn:
        return _apply(conn, actor, year, {(target_code, unit_code): value}, clock.now()) > 0


def save_allocations(engine: Engine, actor: AuthUser, year: int, edited: pd.DataFrame) -> int:
    """Apply an edited `allocation_matrix` (columns that are not the year's target codes are
    ignored); returns the number of cells changed."""
    require_plan_edit(actor)
    with engine.begin() as conn:
        require_year(conn, year)
        codes = [str(c) for c in conn.execute(select(Target.code).where(
            Target.year == year, Target.retired.is_(False))).scalars()]
        cells: dict[Cell, Any] = {}
        for rec in edited.to_dict("records"):
            for code in codes:
                if code in rec:
                    cells[(code, str(rec["unit_code"]))] = rec[code]
        return _apply(conn, actor, year, cells, clock.now())
