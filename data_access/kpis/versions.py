"""The latest version of a figure as known at a time: the one statement every reader uses.

Weekly progress (`progress_reports`) and monthly new-economy membership (`ne_membership`) are
versioned: a correction is a new row for the same key, never an update. Which version counts is
decided here, and only here, for the KPI reads (`queries.facts`), the upload preview, the history
of a figure and the review tab's "before" column:

- Which rows: the rows of the figure's table for its key (`Figure.key`), narrowed by the caller's
  extra WHERE clauses (plan year, units, keys of one file ...).
- Which batch states count, "known at" a moment: a row counts when it was recorded by then
  (`recorded_at`) and either came without an import batch (sample loader, command line) or its batch
  was approved by then (`reviewed_at`) and is approved still, or was withdrawn only after that
  moment (`withdrawn_at`): a withdrawal does not rewrite the past. Pending and returned batches never
  count; nor does an approval that comes after the moment asked about.
- "By then": `known_at` a datetime means at that instant (inclusive: a row recorded and approved in
  the same second as the question counts); a date means by the end of that day (before the next
  midnight), the dashboards' "as of" date.
- Order of precedence among the counting versions of one key: the latest `recorded_at` wins; equal
  times (two uploads in one second) are broken by the higher `id`, the later insert. The importer
  never stores a version that sorts before one already stored (see reporting.commit).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Subquery, and_, func, or_, select

from data_access.schema.models import BATCH_APPROVED, BATCH_WITHDRAWN, ImportBatch, NeMembership, ProgressReport


@dataclass(frozen=True)
class Figure:
    """A versioned figure table: which columns identify one figure, which column holds its value."""

    table: type[ProgressReport] | type[NeMembership]
    key: tuple[str, ...]
    value: str

    def col(self, name: str) -> Any:
        return getattr(self.table, name)


# progress_reports: one weekly increment per (target, unit, week), in the target's base unit
PROGRESS = Figure(ProgressReport, ("target_id", "unit_code", "period_start", "period_end"), "value")
# ne_membership: new members per (month's first day, unit, industry, platform), persons
MEMBERSHIP = Figure(NeMembership, ("month", "unit_code", "industry", "platform"), "new_members")

Moment = dt.date | dt.datetime


def _by(col: Any, known_at: Moment) -> ColumnElement[bool]:
    """`col` lies at or before the moment (a date: before the next midnight)."""
    if isinstance(known_at, dt.datetime):
        return col <= known_at  # type: ignore[no-any-return]
    return col < dt.datetime.combine(known_at + dt.timedelta(days=1), dt.time())  # type: ignore[no-any-return]


def _after(col: Any, known_at: Moment) -> ColumnElement[bool]:
    """`col` lies after the moment (the negation of `_by` for a non-null value)."""
    if isinstance(known_at, dt.datetime):
        return col > known_at  # type: ignore[no-any-return]
    return col >= dt.datetime.combine(known_at + dt.timedelta(days=1), dt.time())  # type: ignore[no-any-return]


by = _by  # public names: kpis.aggregates reads its intervals with the same two comparisons
after = _after


def counted(batch_id_col: Any, known_at: Moment) -> ColumnElement[bool]:
    """Rows whose batch counts at `known_at` (see the module doc): no batch, or approved by then and
    approved still or withdrawn only after then."""
    b = ImportBatch
    batches = select(b.id).where(
        _by(b.reviewed_at, known_at),
        or_(b.status == BATCH_APPROVED, and_(b.status == BATCH_WITHDRAWN, _after(b.withdrawn_at, known_at))),
    )
    return or_(batch_id_col.is_(None), batch_id_col.in_(batches))


def latest(figure: Figure, known_at: Moment, *where: Any,
           before: tuple[dt.datetime, int] | None = None, name: str = "latest") -> Subquery:
    """The latest counting version of each key of `figure` known at `known_at`, as a subquery with
    columns id, the key columns, value (the figure's value column, renamed), recorded_at, batch_id.

    `where`: extra clauses on the figure's table (applied before ranking). `before`: only versions
    that precede (recorded_at, id) in the order of precedence: the figure as it stood before a given
    version (the review tab's "before" column)."""
    t = figure.table
    clauses = [_by(t.recorded_at, known_at), counted(t.batch_id, known_at), *where]
    if before is not None:
        at, row_id = before
        clauses.append(or_(t.recorded_at < at, and_(t.recorded_at == at, t.id < row_id)))
    keys = [figure.col(k) for k in figure.key]
    ranked = (
        select(t.id, *keys, figure.col(figure.value).label("value"), t.recorded_at, t.batch_id,
               func.row_number().over(partition_by=keys, order_by=(t.recorded_at.desc(), t.id.desc()))
               .label("rn"))
        .where(*clauses)
        .subquery(f"{name}_ranked")
    )
    out = [ranked.c.id, *[ranked.c[k] for k in figure.key], ranked.c.value, ranked.c.recorded_at,
           ranked.c.batch_id]
    return select(*out).where(ranked.c.rn == 1).subquery(name)
