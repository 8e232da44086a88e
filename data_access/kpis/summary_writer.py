"""The one writer of the pre-summed facts (`kpis.summaries`, tables in data_access/schema/summaries.py):
built from the facts' own rules, rebuilt, kept current by the batch changes, and checked.

- `rebuild`: every plan year, from `queries.FACT_PARTS` as known after every change
  (`summaries.EVER`'s reading, taken at `valid_from`) and `queries.became_parts`: the same rules
  every reader uses, so there is no second copy of a rule here, only the summing.
- `follow_batch`: in the transaction of a batch's upload, approval, return, withdrawal request and
  withdrawal, after its audit entry, recompute the (plan year, unit) slices the batch's rows fall
  in (a registry batch: every unit of those years, since a change can move an entry between
  units) and move `valid_from` on. Not on MariaDB: its repeatable-read snapshot can predate a change
  committed while the batch waited for the version's lock, so the sums are left behind there and
  the warming's `refresh` rebuilds them.
- `refresh`: rebuild when they are behind the data's version (the warming calls it first).
- `rebuild_all`: the maintained aggregates (kpis.aggregates) and then these, for the sample loader,
  a restore, the benchmark's build and `python -m data_access aggregates rebuild`.
- `check`: rows that differ between the stored sums and a fresh computation.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select, union_all

from data_access import clock, data_version
from data_access.kpis import aggregates, known, queries, scope, summaries
from data_access.schema.models import (
    MEASURE_NE_MEMBERS, Facility, ImportBatch, NeMembership, PlanYear, ProgressReport, Target, UnionOrg,
)
from data_access.schema.summaries import FactCityDay, FactSum, FactWeek, KnownDay, SummaryState

CHUNK = 5000
FIGURE_TABLES = (ProgressReport, NeMembership, Facility, UnionOrg)
REGISTRIES = (Facility, UnionOrg)
Units = list[str] | None


def valid_from(conn: Connection) -> dt.datetime | None:
    """The latest moment any figure row was recorded, approved, withdrawn or superseded."""
    stmts: list[Any] = [select(func.max(t.recorded_at)) for t in FIGURE_TABLES]
    stmts += [select(func.max(t.superseded_at)) for t in REGISTRIES]
    stmts += [select(func.max(ImportBatch.reviewed_at)), select(func.max(ImportBatch.withdrawn_at))]
    return _latest(conn.execute(stmt).scalar() for stmt in stmts)


def _latest(values: Iterable[Any]) -> dt.datetime | None:
    moments = [v if isinstance(v, dt.datetime) else dt.datetime.fromisoformat(v) for v in values if v is not None]
    return max(moments) if moments else None


def _years(conn: Connection) -> dict[int, tuple[dt.date, dt.date]]:
    return {int(y): (queries._date(s), queries._date(e))
            for y, s, e in conn.execute(select(PlanYear.year, PlanYear.start_date, PlanYear.end_date))}


def _sums(conn: Connection, year: int, start: dt.date, end: dt.date, units: Units) -> list[dict[str, Any]]:
    """The fact_sums rows of `year` for `units` (None: all), from the facts' own rules."""
    measure = dict(conn.execute(select(Target.id, Target.measure).where(Target.year == year)).all())
    if not measure:
        return []
    ready = frozenset(aggregates.ready(conn))
    parts = [part(year, start, end, summaries.FAR_DAY, units, None, ready) for part in queries.FACT_PARTS.values()]
    f = union_all(*parts).subquery("facts")
    stmt = (select(f.c.target_id, f.c.unit_code, f.c.day, func.sum(f.c.value))
            .group_by(f.c.target_id, f.c.unit_code, f.c.day))
    out = []
    for target_id, unit, day_value, value in conn.execute(stmt):
        day = queries._date(day_value)
        due = queries.month_end(day) if measure.get(target_id) == MEASURE_NE_MEMBERS else day
        out.append({"target_id": target_id, "unit_code": unit, "day": day, "due": due, "value": float(value)})
    return out


def _known_days(conn: Connection, year: int, start: dt.date, end: dt.date, units: Units) -> list[dict[str, Any]]:
    """The known_days rows of `year` for `units` (None: all), by `queries.became_parts`."""
    latest: dict[tuple[str, dt.date], dt.datetime] = {}
    k_end = known.cutoff(end)
    for table, day_col, in_view in queries.became_parts(year, start, end):
        stmt = (select(table.unit_code, day_col, func.max(queries.became(table))).select_from(table)
                .outerjoin(ImportBatch, ImportBatch.id == table.batch_id)
                .where(in_view, table.recorded_at < k_end, known.visible(table.batch_id, end),
                       scope.clause(table.unit_code, units))
                .group_by(table.unit_code, day_col))
        for unit, day_value, moment in conn.execute(stmt):
            day = queries._date(day_value)
            due = queries.month_end(day) if table is NeMembership else day
            at = _latest([moment])
            if at is not None and (latest.get((unit, due)) is None or at > latest[(unit, due)]):
                latest[(unit, due)] = at
    return [{"year": year, "unit_code": u, "due": d, "became": b} for (u, d), b in latest.items()]


def _weeks(sums: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The fact_weeks rows of `sums`: summed per target, unit and `summaries.week_end(due)`."""
    out: dict[tuple[int, str, dt.date], float] = {}
    for r in sums:
        key = (r["target_id"], r["unit_code"], summaries.week_end(r["due"]))
        out[key] = out.get(key, 0.0) + r["value"]
    return [{"target_id": t, "unit_code": u, "week_end": w, "value": v} for (t, u, w), v in out.items()]


def _insert(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> int:
    for i in range(0, len(rows), CHUNK):
        conn.execute(insert(table), rows[i:i + CHUNK])
    return len(rows)


def _write_slice(conn: Connection, year: int, bounds: tuple[dt.date, dt.date], units: Units,
                 at: dt.datetime | None) -> tuple[int, int]:
    """Replace the sums of (`year`, `units`) with a fresh computation as known at `at`."""
    start, end = bounds
    ids = select(Target.id).where(Target.year == year)
    conn.execute(delete(FactSum).where(FactSum.target_id.in_(ids), scope.clause(FactSum.unit_code, units)))
    conn.execute(delete(FactWeek).where(FactWeek.target_id.in_(ids), scope.clause(FactWeek.unit_code, units)))
    conn.execute(delete(KnownDay).where(KnownDay.year == year, scope.clause(KnownDay.unit_code, units)))
    with known.recorded_by(at or summaries.EVER):
        sums, days = _sums(conn, year, start, end, units), _known_days(conn, year, start, end, units)
    _insert(conn, FactWeek, _weeks(sums))
    written = _insert(conn, FactSum, sums), _insert(conn, KnownDay, days)
    conn.execute(delete(FactCityDay).where(FactCityDay.target_id.in_(ids)))  # every unit's sums, as now stored
    s = FactSum
    conn.execute(insert(FactCityDay).from_select(
        ["target_id", "day", "due", "value"],
        select(s.target_id, s.day, s.due, func.sum(s.value)).where(s.target_id.in_(ids))
        .group_by(s.target_id, s.day, s.due)))
    return written


def rebuild(conn: Connection) -> dict[str, int]:
    """Recompute all sums in the caller's transaction and mark them current; {table: rows}."""
    data_version.lock(conn)  # serialised with every change and other rebuilds
    at = valid_from(conn)
    conn.execute(delete(FactSum))
    conn.execute(delete(FactWeek))
    conn.execute(delete(FactCityDay))
    conn.execute(delete(KnownDay))
    written = {"fact_sums": 0, "known_days": 0}
    for year, bounds in sorted(_years(conn).items()):
        sums, days = _write_slice(conn, year, bounds, None, at)
        written["fact_sums"] += sums
        written["known_days"] += days
    conn.execute(delete(SummaryState))
    conn.execute(insert(SummaryState).values(id=summaries.ROW, version=data_version.read(conn), valid_from=at,
                                             rebuilt_at=clock.now()))
    return written


def rebuild_all(conn: Connection) -> dict[str, int]:
    """The maintained aggregates, then the sums (which read them), in the caller's transaction."""
    written = aggregates.rebuild(conn)
    return {**written, **rebuild(conn)}


def refresh(engine: Engine) -> bool:
    """Rebuild the sums if they are behind the data's version (or were never built while the
    aggregates were); True if it rebuilt them. Its own transaction."""
    with engine.connect() as conn:
        version, _valid, current = summaries.state(conn)
        if version == current or not aggregates.ready(conn):
            return False
    with engine.begin() as conn:
        data_version.lock(conn)
        version, _valid, current = summaries.state(conn)
        if version == current:  # another process rebuilt them meanwhile
            return False
        rebuild(conn)
    return True


def _slices(conn: Connection, batch_id: int, years: dict[int, tuple[dt.date, dt.date]]) -> dict[int, Units]:
    """{plan year: units (None: all)} whose sums batch `batch_id`'s rows can change."""
    out: dict[int, set[str] | None] = {}

    def add(year: int, unit: str | None) -> None:
        if year in out and out[year] is None:
            return
        if unit is None:
            out[year] = None
        else:
            out.setdefault(year, set()).add(unit)  # type: ignore[union-attr]

    def years_of(day: dt.date) -> list[int]:
        return [y for y, (s, e) in years.items() if s <= day <= e]

    p = ProgressReport
    for year, unit in conn.execute(select(Target.year, p.unit_code).join(Target, Target.id == p.target_id)
                                   .where(p.batch_id == batch_id).distinct()):
        add(int(year), unit)
    for month, unit in conn.execute(select(NeMembership.month, NeMembership.unit_code)
                                    .where(NeMembership.batch_id == batch_id).distinct()):
        month = queries._date(month)
        for y in {*years_of(month), *years_of(queries.month_end(month))}:
            add(y, unit)
    for table, begun in ((Facility, Facility.opened_on), (UnionOrg, UnionOrg.founded_on)):
        for (day,) in conn.execute(select(begun).where(table.batch_id == batch_id).distinct()):
            for y in years_of(queries._date(day)):
                add(y, None)  # a change may move an entry from another unit or year: the whole year
    return {y: (None if u is None else sorted(u)) for y, u in out.items()}


def follow_batch(conn: Connection, batch_id: int) -> None:
    """Keep the sums current after batch `batch_id` was uploaded or changed state, at the end of
    the caller's transaction (after its audit entry); see the module doc."""
    if conn.dialect.name in ("mysql", "mariadb") or not summaries.may_follow(conn):
        return  # left behind: read from the versions until `refresh`
    b = ImportBatch
    batch = conn.execute(select(b.status, b.reviewed_at, b.withdrawn_at).where(b.id == batch_id)).first()
    version, old_from, _current = summaries.state(conn)
    if batch is None or version is None:
        return
    if batch.reviewed_at is None:  # pending, or withdrawn before anyone approved it: never counted
        summaries.mark_current(conn)
        return
    moments = [old_from, batch.reviewed_at, batch.withdrawn_at]
    moments += [conn.execute(select(func.max(t.recorded_at)).where(t.batch_id == batch_id)).scalar()
                for t in FIGURE_TABLES]
    slices = _slices(conn, batch_id, years := _years(conn))
    if any(units is None for units in slices.values()):
        moments += [conn.execute(select(func.max(t.superseded_at))).scalar() for t in REGISTRIES]
    at = _latest(moments)
    for year, units in slices.items():
        _write_slice(conn, year, years[year], units, at)
    summaries.mark_current(conn, valid_from=at)


def check(conn: Connection) -> dict[str, int]:
    """{table: rows that differ} between the stored sums and a fresh computation (0: current)."""
    at = valid_from(conn)
    out = {}
    with known.recorded_by(at or summaries.EVER):
        fresh_sums: set[tuple[Any, ...]] = set()
        fresh_weeks: set[tuple[Any, ...]] = set()
        fresh_days: set[tuple[Any, ...]] = set()
        for year, (start, end) in _years(conn).items():
            sums = _sums(conn, year, start, end, None)
            fresh_sums |= {tuple(r.values()) for r in sums}
            fresh_weeks |= {(t, u, w, round(v, 6)) for t, u, w, v in (tuple(r.values()) for r in _weeks(sums))}
            fresh_days |= {tuple(r.values()) for r in _known_days(conn, year, start, end, None)}
    stored_sums = {(t, u, queries._date(d), queries._date(due), float(v)) for t, u, d, due, v in conn.execute(
        select(FactSum.target_id, FactSum.unit_code, FactSum.day, FactSum.due, FactSum.value))}
    stored_days = {(y, u, queries._date(d), _latest([b])) for y, u, d, b in conn.execute(
        select(KnownDay.year, KnownDay.unit_code, KnownDay.due, KnownDay.became))}
    stored_weeks = {(t, u, queries._date(w), round(float(v), 6)) for t, u, w, v in conn.execute(
        select(FactWeek.target_id, FactWeek.unit_code, FactWeek.week_end, FactWeek.value))}
    city: dict[tuple[Any, ...], float] = {}
    for t, _u, d, due, v in fresh_sums:
        city[(t, d, due)] = city.get((t, d, due), 0.0) + v
    fresh_city = {(*k, round(v, 6)) for k, v in city.items()}
    stored_city = {(t, queries._date(d), queries._date(due), round(float(v), 6)) for t, d, due, v in conn.execute(
        select(FactCityDay.target_id, FactCityDay.day, FactCityDay.due, FactCityDay.value))}
    out["fact_sums"] = len(stored_sums ^ fresh_sums)
    out["fact_city_days"] = len(stored_city ^ fresh_city)
    out["fact_weeks"] = len(stored_weeks ^ fresh_weeks)
    out["known_days"] = len(stored_days ^ fresh_days)
    return out
