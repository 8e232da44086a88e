"""Query functions: one per view, each returning a DataFrame whose columns the docstring names.

Every figure is aggregated in SQL from one "facts" source per measure (`_facts`): the reported
weekly figures (latest version known at the as-of date), the facility registry, the union-org
registry, or the new-economy membership table. Per-unit totals and time series both aggregate the
same facts, so the overview, the map and the new-economy page cannot disagree.

"As known on a date" (`as_of`): only periods ending on or before it, only rows recorded before the
end of that day, and only rows without an import batch or from a batch approved by then (`known`).
Registry targets count what was built in the year (新建, `registry.built`), the map what stands
(现有, `registry.standing`); `units` follows `scope` (None: the
whole city; an empty list: nothing). Weeks and default dates come from `calendar`.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any, Callable, Iterable, Sequence

import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Float,
    Select,
    Subquery,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)

from data_access.errors import DataAccessError
from data_access.kpis import aggregates, calendar, registry, scope, summaries, versions
from data_access.kpis.known import recorded_by as known_by
from data_access.kpis.known import cutoff as cutoff, moment, visible as visible  # re-exported: readers use queries.*
from data_access.schema.models import (
    BATCH_APPROVED,
    FACILITY_CARE_STATION,
    FACILITY_CHILDCARE,
    MEASURE_CARE_STATIONS,
    MEASURE_CHILDCARE,
    MEASURE_NE_MEMBERS,
    MEASURE_REPORTED,
    MEASURE_UNION_ORGS,
    Allocation,
    Facility,
    ImportBatch,
    Meta,
    Milestone,
    NeMembership,
    PlanYear,
    ProgressReport,
    Project,
    Target,
    UnionOrg,
    Unit,
)

FACILITY_MEASURES = {MEASURE_CARE_STATIONS: FACILITY_CARE_STATION, MEASURE_CHILDCARE: FACILITY_CHILDCARE}
Units = Sequence[str] | None  # see `scope`: None the whole city, an empty sequence nothing


# ---------------------------------------------------------------------------------------------
# helpers


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def last_complete_month(as_of: dt.date) -> dt.date:
    """First day of the latest month that has ended on or before `as_of`."""
    return add_months(first_of_month(as_of + dt.timedelta(days=1)), -1)


def month_end(month: dt.date) -> dt.date:
    return add_months(month, 1) - dt.timedelta(days=1)


in_force = registry.in_force
_units_clause = scope.clause


def _read(engine: Engine, stmt: Any, columns: list[str]) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=columns)


def _as_date(value: object) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


# ---------------------------------------------------------------------------------------------
# reference data


def dataset_info(engine: Engine) -> dict[str, str]:
    """All key/value pairs of table `meta` (e.g. dataset='sample', sample_loaded_at)."""
    with engine.connect() as conn:
        return {k: v for k, v in conn.execute(select(Meta.key, Meta.value)).all()}


def units(engine: Engine) -> pd.DataFrame:
    """Reporting units. Columns: code, name_zh, name_en, kind (county|zone|city), sort_order,
    has_boundary, seat_lat, seat_lon (WGS84 degrees)."""
    stmt = select(
        Unit.code, Unit.name_zh, Unit.name_en, Unit.kind, Unit.sort_order,
        Unit.has_boundary, Unit.seat_lat, Unit.seat_lon,
    ).where(Unit.active.is_(True)).order_by(Unit.sort_order, Unit.code)
    return _read(engine, stmt, ["code", "name_zh", "name_en", "kind", "sort_order",
                                "has_boundary", "seat_lat", "seat_lon"])


def plan_years(engine: Engine) -> pd.DataFrame:
    """Plan years. Columns: year, title_zh, title_en, start_date, end_date (dates)."""
    stmt = select(PlanYear.year, PlanYear.title_zh, PlanYear.title_en,
                  PlanYear.start_date, PlanYear.end_date).order_by(PlanYear.year)
    df = _read(engine, stmt, ["year", "title_zh", "title_en", "start_date", "end_date"])
    for col in ("start_date", "end_date"):
        df[col] = df[col].map(_as_date)
    return df


def plan_year_bounds(engine: Engine, year: int) -> tuple[dt.date, dt.date]:
    """(start_date, end_date) of a plan year; KeyError if the year is unknown."""
    with engine.connect() as conn:
        row = conn.execute(
            select(PlanYear.start_date, PlanYear.end_date).where(PlanYear.year == year)
        ).first()
    if row is None:
        raise KeyError(year)
    return _date(row[0]), _date(row[1])


def _date(value: object) -> dt.date:
    """A date column's value that cannot be NULL."""
    day = _as_date(value)
    if day is None:
        raise ValueError("a required date is missing")
    return day


def plan_year_ranges(engine: Engine) -> dict[int, tuple[dt.date, dt.date]]:
    """Every plan year as {year: (start_date, end_date)}, in year order (for `calendar`)."""
    with engine.connect() as conn:
        rows = conn.execute(select(PlanYear.year, PlanYear.start_date, PlanYear.end_date)
                            .order_by(PlanYear.year)).all()
    return {int(y): (_date(s), _date(e)) for y, s, e in rows}


def plan_year_of(engine: Engine, day: dt.date) -> int | None:
    """The plan year `day` belongs to (`calendar.plan_year_of`); None without any plan year."""
    return calendar.plan_year_of(day, plan_year_ranges(engine))


def projects(engine: Engine, year: int) -> pd.DataFrame:
    """The five projects of a plan year in plan order. Columns: code, name_zh, name_en."""
    stmt = (select(Project.code, Project.name_zh, Project.name_en)
            .where(Project.year == year, Project.retired.is_(False)).order_by(Project.sort_order, Project.code))
    return _read(engine, stmt, ["code", "name_zh", "name_en"])


def targets(engine: Engine, year: int) -> pd.DataFrame:
    """Targets of a plan year. Columns: target_id, target_code, project_code, project_name_zh,
    project_name_en, name_zh, name_en, unit_zh, unit_en, value (annual target, base unit),
    measure, pace_curve (list of 12 floats or None), parent_code, note_zh, sort_order."""
    stmt = (
        select(
            Target.id, Target.code, Project.code, Project.name_zh, Project.name_en,
            Target.name_zh, Target.name_en, Target.unit_zh, Target.unit_en, Target.value,
            Target.measure, Target.pace_curve, Target.parent_code, Target.note_zh, Target.sort_order,
        )
        .join(Project, Project.id == Target.project_id)
        .where(Target.year == year, Target.retired.is_(False))
        .order_by(Project.sort_order, Target.sort_order, Target.code)
    )
    df = _read(engine, stmt, ["target_id", "target_code", "project_code", "project_name_zh",
                              "project_name_en", "name_zh", "name_en", "unit_zh", "unit_en",
                              "value", "measure", "pace_curve", "parent_code", "note_zh",
                              "sort_order"])
    df["pace_curve"] = df["pace_curve"].map(lambda v: json.loads(v) if isinstance(v, str) else v)
    return df


def allocations(engine: Engine, year: int, units: Sequence[str] | None = None) -> pd.DataFrame:
    """Each target's allocation per unit. Columns: target_code, unit_code, value (base unit)."""
    stmt = (
        select(Target.code, Allocation.unit_code, Allocation.value)
        .join(Target, Target.id == Allocation.target_id)
        .where(Target.year == year, _units_clause(Allocation.unit_code, units))
        .order_by(Target.code, Allocation.unit_code)
    )
    return _read(engine, stmt, ["target_code", "unit_code", "value"])


def milestones(engine: Engine, year: int) -> pd.DataFrame:
    """Milestones of a plan year. Columns: code, project_code, name_zh, name_en, due_date,
    status (not_started|in_progress|done|delayed), done_on, note_zh."""
    stmt = (
        select(Milestone.code, Project.code, Milestone.name_zh, Milestone.name_en,
               Milestone.due_date, Milestone.status, Milestone.done_on, Milestone.note_zh)
        .outerjoin(Project, Project.id == Milestone.project_id)
        .where(Milestone.year == year)
        .order_by(Milestone.due_date, Milestone.code)
    )
    df = _read(engine, stmt, ["code", "project_code", "name_zh", "name_en", "due_date",
                              "status", "done_on", "note_zh"])
    for col in ("due_date", "done_on"):
        df[col] = df[col].map(_as_date)
    return df


def became(table: Any) -> ColumnElement[Any]:
    """When a row of `table` became known: its recorded_at, or its batch's approval if that came
    later (the query joins ImportBatch)."""
    b = ImportBatch
    return case((and_(b.reviewed_at.is_not(None), b.reviewed_at > table.recorded_at), b.reviewed_at),
                else_=table.recorded_at)


def became_parts(year: int, start: dt.date, day: dt.date) -> list[tuple[Any, Any, ColumnElement[bool]]]:
    """The rows whose becoming known dates a view of `year` through `day` (<= the year's end):
    (table, the column of its day, which rows): reports of the year's targets for periods through
    `day`, facilities opened and unions founded in the year by `day`, membership months of the year
    complete by `day`. The one definition of 最新填报日期's rows (`tables.latest_known_day`,
    `latest_report_date`, and their pre-summed form `summaries.KnownDay`)."""
    month_last = last_complete_month(day)
    return [
        (ProgressReport, ProgressReport.period_end,
         and_(ProgressReport.target_id.in_(select(Target.id).where(Target.year == year)),
              ProgressReport.period_start >= start, ProgressReport.period_end <= day)),
        (Facility, Facility.opened_on, and_(Facility.opened_on >= start, Facility.opened_on <= day)),
        (UnionOrg, UnionOrg.founded_on, and_(UnionOrg.founded_on >= start, UnionOrg.founded_on <= day)),
        (NeMembership, NeMembership.month, and_(NeMembership.month >= start, NeMembership.month <= month_last)),
    ]


def became_latest(conn: Connection, year: int, start: dt.date, day: dt.date) -> dt.date | None:
    """The latest day a row of `became_parts` became known, as known at `known.moment(day)` (K)."""
    k_end = cutoff(day)
    read = []
    for table, _day_col, in_view in became_parts(year, start, day):
        stmt = (select(func.max(became(table))).select_from(table)
                .outerjoin(ImportBatch, ImportBatch.id == table.batch_id)
                .where(in_view, table.recorded_at < k_end, visible(table.batch_id, day)))
        read.append(_as_date(conn.execute(stmt).scalar()))
    days = [d for d in read if d is not None]
    return max(days) if days else None


def _latest_known(table: Any, in_year: ColumnElement[bool]) -> Select[Any]:
    """The latest moment a visible row of `table` satisfying `in_year` became known (all years)."""
    return (select(func.max(became(table))).select_from(table)
            .outerjoin(ImportBatch, ImportBatch.id == table.batch_id)
            .where(in_year, or_(table.batch_id.is_(None), ImportBatch.status == BATCH_APPROVED)))


def latest_report_date(engine: Engine, year: int | None = None) -> dt.date | None:
    """The day the latest figure became known (recorded, and approved where it came in a batch)
    as known now: for a plan year, among the rows its view through the year's end counts
    (`became_parts`: reports of its targets, facilities opened and unions founded in it,
    membership months of it); all years if None. None when there is nothing. The dashboards'
    default as-of date: everything known so far counts on it, including late reports and
    corrections. Read from the pre-summed `summaries.KnownDay` while it is current."""
    if year is None:
        stmts = [_latest_known(t, true()) for t in (ProgressReport, Facility, UnionOrg, NeMembership)]
        with engine.connect() as conn:
            read = [_as_date(conn.execute(stmt).scalar()) for stmt in stmts]
        days = [d for d in read if d is not None]
        return max(days) if days else None
    start, end = plan_year_bounds(engine, year)
    with engine.connect() as conn:
        if summaries.usable(conn, summaries.EVER):
            return _as_date(summaries.latest_known_day(conn, year, end))
        with known_by(summaries.EVER):
            return became_latest(conn, year, start, end)


def latest_by_year(engine: Engine) -> dict[int, dt.date]:
    """{plan year: `latest_report_date` of it}, years without any figure left out (one statement
    while the pre-summed `summaries.KnownDay` is current)."""
    with engine.connect() as conn:
        if summaries.usable(conn, summaries.EVER):
            return {y: d for y, b in summaries.latest_by_year(conn) if (d := _as_date(b)) is not None}
    return {int(y): d for y in plan_years(engine)["year"]
            if (d := latest_report_date(engine, int(y))) is not None}


def default_view(engine: Engine) -> tuple[int, dt.date] | None:
    """(plan year, as-of date) shown when nothing is chosen (`calendar.default_view`): the plan
    year whose latest figure became known last, as of that day (it may fall after the year's end).
    None without any data (the command line then asks for a date)."""
    latest = latest_by_year(engine)
    if not latest:
        return None
    return calendar.default_view(plan_year_ranges(engine), latest)


# ---------------------------------------------------------------------------------------------
# facts: (target_id, unit_code, day, value) for every measure


def _latest_reader(figure: versions.Figure, ready: Iterable[versions.Figure]) -> Callable[..., Subquery]:
    """Where "the latest version known at a time" is read from: the maintained aggregate when it is
    complete (`aggregates.ready`), else the raw versions; both give the same rows (kpis.aggregates)."""
    return aggregates.latest if figure in set(ready) else versions.latest


def _reported_facts(year: int, start: dt.date, end: dt.date, as_of: dt.date, units: Units,
                    target_ids: Sequence[int] | None = None,
                    ready: Iterable[versions.Figure] = ()) -> Select[Any]:
    pr = ProgressReport
    latest = _latest_reader(versions.PROGRESS, ready)(
        versions.PROGRESS, moment(as_of),  # K: known.recorded_by, else the end of as_of
        pr.target_id.in_(select(Target.id).where(Target.year == year)),
        pr.period_start >= start,
        pr.period_end <= min(as_of, end),
        _units_clause(pr.unit_code, units),
        # inside the window's subquery: SQLite would otherwise rank every report of the year
        true() if target_ids is None else pr.target_id.in_(list(target_ids)),
        name="ranked",
    )
    return select(
        latest.c.target_id, latest.c.unit_code, latest.c.period_end.label("day"),
        cast(latest.c.value, Float).label("value"),
    )


facility_filter = registry.facility_filter


def _facility_facts(measure: str, year: int, start: dt.date, end: dt.date, as_of: dt.date,
                    units: Units) -> Select[Any]:
    """One row per facility of `measure`'s kind built in the year by `as_of` (新建)."""
    return (
        select(Target.id.label("target_id"), Facility.unit_code,
               Facility.opened_on.label("day"), cast(literal(1), Float).label("value"))
        .join(Target, and_(Target.year == year, Target.measure == measure))
        .where(registry.built_facility_filter(FACILITY_MEASURES[measure], as_of, units, start, end))  # 新建
    )


def _union_org_facts(year: int, start: dt.date, end: dt.date, as_of: dt.date, units: Units) -> Select[Any]:
    u = UnionOrg
    return (
        select(Target.id.label("target_id"), u.unit_code, u.founded_on.label("day"),
               cast(literal(1), Float).label("value"))
        .join(Target, and_(Target.year == year, Target.measure == MEASURE_UNION_ORGS))
        .where(registry.union_org_filter(as_of, units, founded_since=start, founded_until=end))
    )


def ne_membership_latest(as_of: dt.date, units: Units, since: dt.date | None = None,
                         until_month: dt.date | None = None,
                         ready: Iterable[versions.Figure] = ()) -> Subquery:
    """Subquery of ne_membership rows, latest version known at `as_of`, months complete by then.
    Columns: month, unit_code, industry, platform, new_members. `ready`: `aggregates.ready` (read
    the maintained aggregate when complete)."""
    m = NeMembership
    last_month = last_complete_month(as_of)
    if until_month is not None:
        last_month = min(last_month, until_month)
    clauses = [
        m.month <= last_month,
        _units_clause(m.unit_code, units),
    ]
    if since is not None:
        clauses.append(m.month >= since)
    latest = _latest_reader(versions.MEMBERSHIP, ready)(versions.MEMBERSHIP, moment(as_of), *clauses,
                                                        name="ne_ranked")
    return select(
        latest.c.month, latest.c.unit_code, latest.c.industry, latest.c.platform,
        latest.c.value.label("new_members"),
    ).subquery("ne_latest")


def _membership_facts(year: int, start: dt.date, end: dt.date, as_of: dt.date, units: Units,
                      ready: Iterable[versions.Figure] = ()) -> Select[Any]:
    latest = ne_membership_latest(as_of, units, since=first_of_month(start),
                                  until_month=first_of_month(end), ready=ready)
    return (
        select(Target.id.label("target_id"), latest.c.unit_code, latest.c.month.label("day"),
               cast(latest.c.new_members, Float).label("value"))
        .join(Target, and_(Target.year == year, Target.measure == MEASURE_NE_MEMBERS))
    )


FactPart = Callable[[int, dt.date, dt.date, dt.date, Units, Sequence[int] | None, frozenset[versions.Figure]],
                    Select[Any]]
"""(year, start, end, as_of, units, target ids or None, the complete aggregates) -> a SELECT of
target_id, unit_code, day, value."""

FACT_PARTS: dict[str, FactPart] = {
    MEASURE_REPORTED: lambda y, s, e, a, u, ids, r: _reported_facts(y, s, e, a, u, ids, r),
    MEASURE_CARE_STATIONS: lambda y, s, e, a, u, ids, r: _facility_facts(MEASURE_CARE_STATIONS, y, s, e, a, u),
    MEASURE_CHILDCARE: lambda y, s, e, a, u, ids, r: _facility_facts(MEASURE_CHILDCARE, y, s, e, a, u),
    MEASURE_UNION_ORGS: lambda y, s, e, a, u, ids, r: _union_org_facts(y, s, e, a, u),
    MEASURE_NE_MEMBERS: lambda y, s, e, a, u, ids, r: _membership_facts(y, s, e, a, u, r),
}
"""The one registration of each measure (schema.models.MEASURES): where its facts come from. A
measure without an entry is refused by `facts` (it would otherwise read as zero, silently)."""


def facts(engine: Engine, year: int, as_of: dt.date, units: Sequence[str] | None = None,
          target_codes: Sequence[str] | None = None, by_day: bool = True) -> Subquery:
    """The UNION ALL of every measure's facts for `year` as known on `as_of`, as a subquery with
    columns target_id, unit_code, day (date; for membership the month's first day), value.
    Each measure's part is its FACT_PARTS entry. With `target_codes`, only those targets' facts
    (each part filters, so no table is scanned for a target that was not asked for). Reported figures
    and membership come from their maintained aggregate when it is complete (`aggregates.ready`);
    when K (`known.moment(as_of)`) knows every recorded change and the pre-summed facts are current
    (`summaries.usable`), everything comes from `summaries.facts` (one row per target, unit and day),
    or with `by_day` False (a caller that only sums per target and unit) from `summaries.totals`,
    whose `day` is a week's end for a whole week."""
    start, end = plan_year_bounds(engine, year)
    with engine.connect() as conn:
        ready = frozenset(aggregates.ready(conn))
        stmt = select(Target.id, Target.measure).where(Target.year == year)
        if target_codes is not None:
            stmt = stmt.where(Target.code.in_(list(target_codes)))
        wanted = conn.execute(stmt).all()
        summed = summaries.usable(conn, moment(as_of))
    unknown = sorted({m for _i, m in wanted} - set(FACT_PARTS))
    if unknown:
        raise DataAccessError(f"指标口径“{'、'.join(unknown)}”没有数据来源（kpis.queries.FACT_PARTS）",
                              f"No source of facts for measure(s) {unknown} (kpis.queries.FACT_PARTS)")
    if summed:  # as known now: the pre-summed facts (the same rows summed per unit and day)
        ids = None if target_codes is None else [i for i, _m in wanted]
        return (summaries.facts if by_day else summaries.totals)(year, as_of, units, ids)
    if target_codes is None:  # every measure, whether or not a target uses it this year
        parts = [part(year, start, end, as_of, units, None, ready) for part in FACT_PARTS.values()]
        return union_all(*parts).subquery("facts")
    ids = [i for i, _m in wanted]
    parts = [FACT_PARTS[measure](year, start, end, as_of, units, [i for i, m in wanted if m == measure], ready)
             for measure in dict.fromkeys(m for _i, m in wanted)]
    if not parts:  # none of the codes exists: an empty result of the right shape
        parts = [FACT_PARTS[MEASURE_REPORTED](year, start, end, as_of, units, [], ready)]
    parts = [part.where(part.selected_columns[0].in_(ids)) for part in parts]
    return union_all(*parts).subquery("facts")


def progress_by_unit(engine: Engine, year: int, as_of: dt.date,
                     units: Sequence[str] | None = None) -> pd.DataFrame:
    """Actual progress per target and unit since the start of the plan year, as known on `as_of`.
    Columns: target_code, unit_code, actual (base unit of the target)."""
    f = facts(engine, year, as_of, units, by_day=False)
    stmt = (
        select(Target.code, f.c.unit_code, func.sum(f.c.value))
        .join(Target, Target.id == f.c.target_id).where(Target.retired.is_(False))
        .group_by(Target.code, f.c.unit_code)
        .order_by(Target.code, f.c.unit_code)
    )
    df = _read(engine, stmt, ["target_code", "unit_code", "actual"])
    df["actual"] = df["actual"].astype(float)
    return df


def progress_by_day(engine: Engine, year: int, as_of: dt.date,
                    units: Sequence[str] | None = None,
                    target_codes: Iterable[str] | None = None) -> pd.DataFrame:
    """Increments per target and day, summed over the chosen units, as known on `as_of`.
    Columns: target_code, day (date: period end for reports, opening/founding date for
    registries, month end for membership), value (base unit). Sorted by target_code, day."""
    codes = list(target_codes) if target_codes is not None else None
    f = facts(engine, year, as_of, units, codes)
    stmt = (
        select(Target.code, Target.measure, f.c.day, func.sum(f.c.value))
        .join(Target, Target.id == f.c.target_id)
        .group_by(Target.code, Target.measure, f.c.day)
        .order_by(Target.code, f.c.day)
    )
    df = _read(engine, stmt, ["target_code", "measure", "day", "value"])
    df["day"] = df["day"].map(_as_date)
    is_month = df["measure"] == MEASURE_NE_MEMBERS
    df.loc[is_month, "day"] = df.loc[is_month, "day"].map(month_end)
    df["value"] = df["value"].astype(float)
    return df.drop(columns="measure").sort_values(["target_code", "day"], ignore_index=True)


# ---------------------------------------------------------------------------------------------
# facilities (the map's rows)


FACILITY_COLUMNS = ["id", "kind", "name", "address", "host_org", "unit_code", "lat", "lon",
                    "opened_on", "status", "services", "capacity", "is_new"]


def facility_points(engine: Engine, year: int, as_of: dt.date,
                    units: Sequence[str] | None = None,
                    kinds: Sequence[str] = (FACILITY_CARE_STATION, FACILITY_CHILDCARE)) -> pd.DataFrame:
    """Facilities standing on `as_of`. Columns: id, kind (care_station|childcare_class), name,
    address, host_org, unit_code, lat, lon (WGS84), opened_on, status (open|paused|closed),
    services, capacity (places), is_new (opened in the plan year). The points are the 现有
    (standing) ones of `registry.standing`; T06/T07 count 新建 (`registry.built`), which also
    keeps new ones closed since, so the is_new points may be fewer than T06/T07."""
    start, end = plan_year_bounds(engine, year)
    f = Facility
    parts = []
    for kind in kinds:
        parts.append(
            select(f.id, f.kind, f.name, f.address, f.host_org, f.unit_code, f.lat, f.lon,
                   f.opened_on, f.status, f.services, f.capacity,
                   case((f.opened_on.between(start, end), True), else_=False).label("is_new"))
            .where(registry.facility_filter(kind, as_of, units))
        )
    stmt: Any = union_all(*parts) if len(parts) > 1 else parts[0]
    df = _read(engine, stmt, FACILITY_COLUMNS)
    df["opened_on"] = df["opened_on"].map(_as_date)
    df["is_new"] = df["is_new"].astype(bool)
    return df.sort_values(["kind", "unit_code", "opened_on", "id"], ignore_index=True)


def facility_counts(engine: Engine, year: int, as_of: dt.date,
                    units: Sequence[str] | None = None) -> pd.DataFrame:
    """Facilities per unit and kind as known on `as_of`. Columns: unit_code, kind, total (现有:
    standing on `as_of`, `registry.standing`), new_this_year (of them, opened in the plan year),
    built_this_year (新建: opened in the plan year by `as_of` whether standing or closed since,
    `registry.built`: the count of T06/T07). A unit with only closed new ones has total 0."""
    start, end = plan_year_bounds(engine, year)
    parts = []
    built_parts = []
    for kind in FACILITY_MEASURES.values():
        parts.append(
            select(Facility.unit_code, Facility.kind, func.count(),
                   func.sum(case((Facility.opened_on.between(start, end), 1), else_=0)))
            .where(registry.facility_filter(kind, as_of, units))
            .group_by(Facility.unit_code, Facility.kind)
        )
        built_parts.append(
            select(Facility.unit_code, Facility.kind, func.count())
            .where(registry.built_facility_filter(kind, as_of, units, start, end))
            .group_by(Facility.unit_code, Facility.kind)
        )
    df = _read(engine, union_all(*parts), ["unit_code", "kind", "total", "new_this_year"])
    built = _read(engine, union_all(*built_parts), ["unit_code", "kind", "built_this_year"])
    df = df.merge(built, on=["unit_code", "kind"], how="outer")
    for col in ("total", "new_this_year", "built_this_year"):
        df[col] = df[col].fillna(0).astype(int)
    return df.sort_values(["kind", "unit_code"], ignore_index=True)
