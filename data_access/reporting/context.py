"""What the checks need to know about the database and the moment of an upload (`Context`), and
the reporting calendar: plan years and the Saturday-to-Friday reporting week."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from data_access.kpis import calendar
from data_access.errors import DataAccessError
from data_access.schema.models import PlanYear, Target, Unit


@dataclass(frozen=True)
class UnitInfo:
    name_zh: str
    kind: str


@dataclass(frozen=True)
class TargetInfo:
    id: int
    name_zh: str
    unit_zh: str
    value: float  # the year's target, base unit
    measure: str


@dataclass(frozen=True)
class Context:
    """The plan year an upload is about, the moment of the upload, the active units and the year's
    targets (by code), and the units the uploader may write for."""

    year: int
    start: dt.date
    end: dt.date
    now: dt.datetime
    units: Mapping[str, UnitInfo]
    targets: Mapping[str, TargetInfo]
    allowed_units: frozenset[str] | None = None  # None: every unit (the city federation)

    def in_year(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def as_date(value: Any) -> dt.date | None:
    """A date from what a driver returns for a DATE column (date, datetime or ISO text)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def week_bounds(day: dt.date, start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The reporting week (Saturday to Friday) containing `day`, cut to the plan year
    (`kpis.calendar.reporting_week`)."""
    return calendar.reporting_week(day, start, end)


def plan_year(conn: Connection, year: int | None, today: dt.date) -> tuple[int, dt.date, dt.date]:
    """(year, start, end) of `year`, or when None of the plan year containing `today`, else the
    latest one that has begun (else the first)."""
    years = [(int(y), as_date(s), as_date(e)) for y, s, e in conn.execute(
        select(PlanYear.year, PlanYear.start_date, PlanYear.end_date).order_by(PlanYear.year))]
    if not years:
        raise DataAccessError("数据库中没有计划年度", "The database has no plan year")
    rows = [(y, s, e) for y, s, e in years if s is not None and e is not None]
    if year is None:
        year = calendar.plan_year_of(today, rows)
        return next(r for r in rows if r[0] == year)
    chosen = next((r for r in rows if r[0] == year), None)
    if chosen is None:
        raise DataAccessError(f"没有{year}计划年度", f"No plan year {year}")
    return chosen


def load_context(conn: Connection, now: dt.datetime, year: int | None,
                 allowed_units: Iterable[str] | None) -> Context:
    """The Context of an upload at `now` for `year` (None: see `plan_year`)."""
    try:
        the_year, start, end = plan_year(conn, year, now.date())
    except DataAccessError as exc:
        if year is None:
            raise DataAccessError("数据库中没有计划年度，无法导入", "The database has no plan year") from exc
        raise
    units = {str(code): UnitInfo(str(name), str(kind)) for code, name, kind in conn.execute(
        select(Unit.code, Unit.name_zh, Unit.kind).where(Unit.active.is_(True)))}
    targets = {str(code): TargetInfo(int(tid), str(name), str(unit), float(value), str(measure))
               for tid, code, name, unit, value, measure in conn.execute(
                   select(Target.id, Target.code, Target.name_zh, Target.unit_zh, Target.value,
                          Target.measure).where(Target.year == the_year, Target.retired.is_(False)))}
    return Context(the_year, start, end, now, units, targets,
                   None if allowed_units is None else frozenset(allowed_units))
