"""The facts pre-summed as known now: when they may be read, reading them, and which changes keep
them current. Tables: data_access/schema/summaries.py (migration 0013); written by
`kpis.summary_writer`.

Why. Today's view (D = today, K = now) is what every leader opens first, and a cold page of it
used to rank every version of every figure of the year (64,000 daily reports, a million membership
rows at 100x). "As known now" does not depend on K once K is past every recorded change, so those
facts can be summed once per (target, unit, day) and kept, and a cold page reads a few thousand
rows instead.

When they are read (`usable`): only while both hold
- **current**: `summary_state.version` is the data's version (`data_access.data_version`, bumped in
  the transaction of every audited change). A change that does not keep the sums (a plan edit, a
  registry change outside a batch, a restore before its rebuild) leaves them behind the version, so
  they are not read: the figures come from the versions again (correct, slower) until a rebuild
  (`summary_writer.refresh`, which the server's warming runs when it finds them behind);
- **K knows everything**: K (`known.moment`) is at or after `valid_from`, the latest moment any
  figure row was recorded, approved, withdrawn or superseded. Then "as known at K" is the same rows
  as "as known now". A past meeting (K = its date) and the week-ago figure right after a change read
  the versions, as before.

Which changes keep them (`after_record`, called by `audit.record` for every audited change):
- NEUTRAL entities (accounts, meeting decisions) change no figure: the sums stay current across
  their version bump (`mark_current` after the bump);
- FOLLOWED entities (import batches and the registry changes a batch applies) are kept current by
  `summary_writer.follow_batch`, which the writer calls at the end of its transaction;
- any other entity leaves them behind (noted in the transaction, so `may_follow` refuses), also
  undoing a mark made earlier in the same transaction.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, String, Subquery, cast, func, literal, null, select, union_all, update

from data_access import data_version
from data_access.kpis import scope, versions
from data_access.schema.models import DataVersion, PlanYear, Target
from data_access.schema.summaries import FactCityDay, FactSum, FactWeek, KnownDay, SummaryState

ROW = 1
EVER = dt.datetime(9999, 12, 30)
"""K "after every change": a reader asked as of EVER sees every approved, not withdrawn row."""
FAR_DAY = dt.date(9999, 12, 30)
"""D "through every period": the facts of a plan year whatever the as-of date."""

NEUTRAL = frozenset({"users", "decision"})
"""Audited entities that change no figure (accounts and their sign-ins, meeting decisions)."""
FOLLOWED = frozenset({"import_batches", "facilities", "union_orgs"})
"""Audited entities whose changes `summary_writer.follow_batch` keeps the sums current for."""

# Connection.info notes, each (transaction, value): only the transaction that wrote it reads it
_BASE = "kpi_summaries_base"  # were the sums current before this transaction's bump
_DIRTY = "kpi_summaries_dirty"  # a non-neutral change was recorded in this transaction
_MARKED = "kpi_summaries_marked"  # this transaction marked them current
_TAINTED = "kpi_summaries_tainted"  # a change they do not follow was recorded in this transaction


def state(conn: Connection) -> tuple[int | None, dt.datetime | None, int]:
    """(the sums' version or None if never built, valid_from, the data's version), one read."""
    row = conn.execute(select(SummaryState.version, SummaryState.valid_from, DataVersion.version)
                       .select_from(DataVersion)
                       .outerjoin(SummaryState, SummaryState.id == ROW)
                       .where(DataVersion.id == data_version.ROW)).first()
    if row is None:
        return None, None, 0
    return (None if row[0] is None else int(row[0])), row[1], int(row[2] or 0)


def usable(conn: Connection, known_at: versions.Moment) -> bool:
    """May the facts as known at `known_at` (K) be read from the sums? (see the module doc)"""
    version, valid_from, current = state(conn)
    if version is None or version != current:
        return False
    if valid_from is None:  # nothing was ever recorded
        return True
    if isinstance(known_at, dt.datetime):
        return valid_from <= known_at
    return valid_from < dt.datetime.combine(known_at + dt.timedelta(days=1), dt.time())


def facts(year: int, as_of: dt.date, units: Iterable[str] | None, target_ids: Sequence[int] | None) -> Subquery:
    """`queries.facts` from the sums: columns target_id, unit_code, day, value; the rows due by
    `as_of` of the year's targets (only `target_ids`, if given) in the scope `units`. The whole city
    (None) reads `fact_city_days`, with unit_code NULL: its callers sum over the units."""
    ids: Any = (select(Target.id).where(Target.year == year) if target_ids is None else list(target_ids))
    if units is None:  # the whole city: the series summed over every unit (unit_code NULL)
        c = FactCityDay
        return (select(c.target_id, cast(null(), String).label("unit_code"), c.day, c.value)
                .where(c.target_id.in_(ids), c.due <= as_of).subquery("facts"))
    s = FactSum
    return (select(s.target_id, s.unit_code, s.day, s.value)
            .where(s.target_id.in_(ids), s.due <= as_of, scope.clause(s.unit_code, units))
            .subquery("facts"))


def week_end(day: dt.date) -> dt.date:
    """The Sunday on or after `day`: the end of its week (Monday to Sunday) in `fact_weeks`."""
    return day + dt.timedelta(days=6 - day.weekday())


def totals(year: int, as_of: dt.date, units: Iterable[str] | None, target_ids: Sequence[int] | None) -> Subquery:
    """`facts` for callers that only sum per target and unit (`queries.progress_by_unit`): the weeks
    ending by `as_of` from `fact_weeks` plus the days of `as_of`'s own week from `fact_sums`, so the
    same totals from a seventh of the rows of day-by-day reports. Columns as `facts`; `day` is the
    week's end for a whole week."""
    w, s = FactWeek, FactSum
    ids: Any = (select(Target.id).where(Target.year == year) if target_ids is None else list(target_ids))
    last_whole = as_of - dt.timedelta(days=(as_of.weekday() + 1) % 7)  # the Sunday on or before as_of
    weeks = select(w.target_id, w.unit_code, w.week_end.label("day"), w.value).where(
        w.target_id.in_(ids), w.week_end <= last_whole, scope.clause(w.unit_code, units))
    days = select(s.target_id, s.unit_code, s.day, s.value).where(
        s.target_id.in_(ids), s.due > last_whole, s.due <= as_of, scope.clause(s.unit_code, units))
    return union_all(weeks, days).subquery("facts")


def latest_known_day(conn: Connection, year: int, day: dt.date) -> Any:
    """`tables.latest_known_day` from the sums: when the latest row due by `day` became known (the
    stored value, None if none: the caller reads it as a date)."""
    k = KnownDay
    return conn.execute(select(func.max(k.became)).where(k.year == year, k.due <= day)).scalar()


def latest_by_year(conn: Connection) -> list[tuple[int, Any]]:
    """`queries.latest_by_year` from the sums: (plan year, the latest `became` or None), one
    statement, an index seek per plan year."""
    k = KnownDay
    years = conn.execute(select(PlanYear.year).order_by(PlanYear.year)).scalars().all()
    if not years:
        return []
    return [(int(y), b) for y, b in conn.execute(union_all(*[
        select(literal(y), select(func.max(k.became)).where(k.year == y).scalar_subquery()) for y in years]))]


# --- which changes keep them current ------------------------------------------------------------


def _here(conn: Connection, key: str) -> Any:
    """What this transaction noted under `key` (None: nothing, or an earlier transaction's note)."""
    note = conn.info.get(key)
    transaction = conn.get_transaction()
    return note[1] if note is not None and transaction is not None and note[0] is transaction else None


def _note(conn: Connection, key: str, value: Any) -> None:
    transaction = conn.get_transaction()
    if transaction is not None:
        conn.info[key] = (transaction, value)


def _base(conn: Connection) -> bool:
    """Were the sums current when this transaction began changing things? Read once, after its
    (single) bump of the version: current then means one behind it. A stale MariaDB snapshot can
    only show an older state, which reads as "not current" (the safe answer)."""
    base = _here(conn, _BASE)
    if base is None:
        data_version.bump(conn)  # no-op when the transaction already bumped it
        version, _valid, current = state(conn)
        base = version is not None and version == current - 1
        _note(conn, _BASE, base)
    return bool(base)


def after_record(conn: Connection, entity: str) -> None:
    """Called by `audit.record` after it bumped the version (see the module doc)."""
    current_before = _base(conn)
    if entity in NEUTRAL:
        if current_before and not _here(conn, _DIRTY):
            mark_current(conn)
        return
    _note(conn, _DIRTY, True)
    if _here(conn, _MARKED):  # marked earlier in this transaction: no longer true
        conn.execute(update(SummaryState).where(SummaryState.id == ROW).values(version=-1))
        _note(conn, _MARKED, False)
    if entity not in FOLLOWED:
        _note(conn, _TAINTED, True)


def leave_behind(conn: Connection) -> None:
    """Mark the sums behind whatever the version (a rebuild of the aggregates after a write by hand
    that no audit entry announced): read from the versions until `summary_writer.rebuild`."""
    conn.execute(update(SummaryState).where(SummaryState.id == ROW).values(version=-1))


def may_follow(conn: Connection) -> bool:
    """May `summary_writer.follow_batch` bring the sums up to this transaction's version? Only if
    they were current before it and nothing else in it left them behind."""
    return _base(conn) and not _here(conn, _TAINTED)


def mark_current(conn: Connection, **values: Any) -> None:
    """The sums are current for the data's version as this transaction leaves it (with `values`,
    e.g. valid_from, written too)."""
    conn.execute(update(SummaryState).where(SummaryState.id == ROW)
                 .values(version=data_version.read(conn), **values))
    _note(conn, _MARKED, True)
