"""Maintained aggregates of the versioned figures: the one writer and reader of `progress_known` and
`membership_known` (data_access/schema/aggregates.py, migration 0010).

What they hold. For every key of a versioned figure (`versions.PROGRESS`: target, unit, reporting
period; `versions.MEMBERSHIP`: month, unit, industry, platform) the versions that were, in some
interval of "known at" time, the figure `versions.latest` answers: one row per (version, interval)
with `known_from` <= t < `known_until` (NULL: until further notice). So "the latest version known
at K" is a range lookup on a small indexed table instead of ranking every version with a window
over a subquery of the import batches. Same columns, same rule, same facts (tests compare both
across dates on SQLite, PostgreSQL and MariaDB).

When a version counts (`counting_interval`, the rule of `versions.counted` read as an interval):
from its recorded_at, or from its batch's approval if that came later, until its batch was
withdrawn (never, for rows without a batch or still approved); pending and returned batches never.
Among the versions counting at t the latest (recorded_at, id) wins, as in `versions.latest`.

Kept current: `follow_batch` runs in the transaction of every batch state change
(`reporting.batches.set_status`: approval, return, withdrawal) and recomputes the keys of that
batch's rows. `rebuild` recomputes everything from the raw versions (`python -m data_access
aggregates rebuild`, the sample loader) and marks the aggregates complete (`aggregate_state`); only
a complete aggregate is read (`ready`), so a database filled before migration 0010 or by hand
reads the raw versions until a rebuild. `check` compares the stored rows with a fresh computation.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Column, ColumnElement, Connection, Subquery, delete, insert, or_, select
from sqlalchemy.sql import visitors

from data_access import clock, data_version
from data_access.kpis import summaries, versions
from data_access.schema.aggregates import AggregateState, MembershipKnown, ProgressKnown
from data_access.schema.models import BATCH_APPROVED, BATCH_WITHDRAWN, ImportBatch

Aggregate = type[ProgressKnown] | type[MembershipKnown]

TABLES: dict[versions.Figure, Aggregate] = {versions.PROGRESS: ProgressKnown, versions.MEMBERSHIP: MembershipKnown}
"""Each versioned figure's aggregate table (columns: its key, value, recorded_at, batch_id, the
version's id as version_id, known_from, known_until)."""

CHUNK = 5000  # rows per INSERT / ids per DELETE

Interval = tuple[dt.datetime, dt.datetime | None]
Key = tuple[Any, ...]


def counting_interval(recorded_at: dt.datetime, batch_id: int | None, status: str | None,
                      reviewed_at: dt.datetime | None, withdrawn_at: dt.datetime | None) -> Interval | None:
    """[start, end) of the moments at which a version counts (`versions.counted` plus "recorded by
    then"); end None: still counts. None: it never counted (pending, returned, withdrawn unapproved)."""
    if batch_id is None:
        return recorded_at, None
    if reviewed_at is None:
        return None
    start = max(recorded_at, reviewed_at)
    if status == BATCH_APPROVED:
        return start, None
    if status == BATCH_WITHDRAWN and withdrawn_at is not None and withdrawn_at > start:
        return start, withdrawn_at
    return None


def known_intervals(found: Sequence[tuple[tuple[dt.datetime, int], Interval, Any]]) -> list[tuple[Any, Interval]]:
    """The winners of one key: `found` holds (order, counting interval, payload) per version, order
    being (recorded_at, id); returns (payload, [from, until)) for each stretch of time in which one
    version was the latest counting one, in time order, adjacent stretches of the same winner merged."""
    points = sorted({iv[0] for _o, iv, _p in found} | {iv[1] for _o, iv, _p in found if iv[1] is not None})
    out: list[list[Any]] = []  # [order, payload, from, until]
    for i, at in enumerate(points):
        after = points[i + 1] if i + 1 < len(points) else None
        live = [(order, payload) for order, (start, end), payload in found
                if start <= at and (end is None or end > at)]
        if not live:
            continue
        order, payload = max(live, key=lambda v: v[0])
        if out and out[-1][0] == order and out[-1][3] == at:
            out[-1][3] = after
        else:
            out.append([order, payload, at, after])
    return [(payload, (start, until)) for _order, payload, start, until in out]


def _key_columns(figure: versions.Figure) -> list[Any]:
    return [figure.col(k) for k in figure.key]


def _narrow(cols: Sequence[Any], keys: Iterable[Key]) -> list[ColumnElement[bool]]:
    keys = list(keys)
    return [c.in_(sorted({k[i] for k in keys})) for i, c in enumerate(cols)]


def _computed(conn: Connection, figure: versions.Figure, *where: Any,
              keys: set[Key] | None = None, current: bool = False) -> Iterator[dict[str, Any]]:
    """The aggregate rows of the versions matching `where` (only of `keys`, if given), from the raw
    versions and their batches. `current`: read what is committed now, not the transaction's
    snapshot (MariaDB's repeatable read keeps the snapshot of the transaction's first read, which a
    batch change took before it waited for `_serialise`; a locking read sees past it)."""
    t, b = figure.table, ImportBatch
    n = len(figure.key)
    stmt = (select(t.id, *_key_columns(figure), figure.col(figure.value), t.recorded_at, t.batch_id,
                   b.status, b.reviewed_at, b.withdrawn_at)
            .outerjoin(b, b.id == t.batch_id).where(*where).order_by(t.id))  # the same row ids everywhere
    if current and conn.dialect.name in ("mysql", "mariadb"):
        stmt = stmt.with_for_update(read=True)
    by_key: dict[Key, list[tuple[tuple[dt.datetime, int], Interval, Any]]] = {}
    for r in conn.execute(stmt):
        key = tuple(r[1:1 + n])
        if keys is not None and key not in keys:
            continue
        interval = counting_interval(r.recorded_at, r.batch_id, r.status, r.reviewed_at, r.withdrawn_at)
        if interval is not None:
            by_key.setdefault(key, []).append(((r.recorded_at, r.id), interval, r))
    for key, found in by_key.items():
        for r, (start, until) in known_intervals(found):
            yield {"version_id": r.id, **dict(zip(figure.key, key)), "value": r[1 + n],
                   "recorded_at": r.recorded_at, "batch_id": r.batch_id, "known_from": start, "known_until": until}


def _insert(conn: Connection, table: Aggregate, rows: Iterable[dict[str, Any]]) -> int:
    count, chunk = 0, []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            conn.execute(insert(table), chunk)
            count, chunk = count + len(chunk), []
    if chunk:
        conn.execute(insert(table), chunk)
        count += len(chunk)
    return count


def ready(conn: Connection) -> set[versions.Figure]:
    """The figures whose aggregate is complete (rebuilt since it was created) and so may be read."""
    names = set(conn.execute(select(AggregateState.name)).scalars())
    return {figure for figure, table in TABLES.items() if table.__tablename__ in names}


def rebuild(conn: Connection) -> dict[str, int]:
    """Recompute every aggregate from the raw versions in the caller's transaction and mark it
    complete; returns {table name: rows written}. Serialised with every batch change and other
    rebuilds by the data version's row lock (`_serialise`)."""
    _serialise(conn)
    written = {}
    for figure, table in TABLES.items():
        conn.execute(delete(table))
        written[table.__tablename__] = _insert(conn, table, _computed(conn, figure))
        conn.execute(delete(AggregateState).where(AggregateState.name == table.__tablename__))
        conn.execute(insert(AggregateState).values(name=table.__tablename__, rebuilt_at=clock.now()))
    summaries.leave_behind(conn)  # a rebuild follows a change made by hand: the sums too need theirs
    return written


def refresh(conn: Connection, figure: versions.Figure, keys: set[Key]) -> None:
    """Recompute the aggregate rows of `keys` of `figure` from their raw versions."""
    table = TABLES[figure]
    cols = [getattr(table, k) for k in figure.key]
    n = len(figure.key)
    stale = [r[0] for r in conn.execute(select(table.id, *cols).where(*_narrow(cols, keys)))
             if tuple(r[1:1 + n]) in keys]
    for i in range(0, len(stale), CHUNK):
        conn.execute(delete(table).where(table.id.in_(stale[i:i + CHUNK])))
    _insert(conn, table, _computed(conn, figure, *_narrow(_key_columns(figure), keys), keys=keys, current=True))


def _serialise(conn: Connection) -> None:
    """Take the data version's row lock for the rest of the transaction (`data_version.lock`; the
    audited change around a batch change bumps it right after): two batch changes, or a change and
    a rebuild, then recompute one after the other and take their locks in the same order. A
    rebuild itself changes no figure, so it does not move the version."""
    data_version.lock(conn)


def follow_batch(conn: Connection, batch_id: int) -> None:
    """Keep the complete aggregates current after batch `batch_id` changed state, in the caller's
    transaction: recompute the keys its rows are versions of (reporting.batches.set_status)."""
    complete = ready(conn)
    if complete:
        _serialise(conn)
    for figure in complete:
        t = figure.table
        keys = {tuple(r) for r in conn.execute(select(*_key_columns(figure)).where(t.batch_id == batch_id)
                                               .distinct())}
        if keys:
            refresh(conn, figure, keys)


def check(conn: Connection) -> dict[str, int]:
    """{table name: rows that differ} between each stored aggregate and a fresh computation from the
    raw versions (0 everywhere: maintained = rebuilt)."""
    out = {}
    for figure, table in TABLES.items():
        names = ["version_id", *figure.key, "value", "recorded_at", "batch_id", "known_from", "known_until"]
        stored = {tuple(r) for r in conn.execute(select(*[getattr(table, c) for c in names]))}
        fresh = {tuple(row[c] for c in names) for row in _computed(conn, figure)}
        out[table.__tablename__] = len(stored ^ fresh)
    return out


def _onto(clause: ColumnElement[bool], figure: versions.Figure, table: Aggregate) -> ColumnElement[bool]:
    """`clause`, written on the figure's raw table, with its columns moved onto the aggregate."""
    raw = figure.table.__table__

    def replace(element: visitors.ExternallyTraversible) -> visitors.ExternallyTraversible | None:
        if isinstance(element, Column) and element.table is raw:
            name = "value" if element.name == figure.value else element.name
            moved: visitors.ExternallyTraversible = table.__table__.c[name]
            return moved
        return None

    opts: dict[str, Any] = {}
    moved: ColumnElement[bool] = visitors.replacement_traverse(clause, opts, replace)  # type: ignore[call-overload]
    return moved


def latest(figure: versions.Figure, known_at: versions.Moment, *where: Any, name: str = "latest") -> Subquery:
    """`versions.latest(figure, known_at, *where)` read from the aggregate: the same subquery columns
    (id, the key columns, value, recorded_at, batch_id) and the same rows. `where`: clauses on the
    figure's raw table's key columns (moved onto the aggregate). Only for a figure in `ready`."""
    a = TABLES[figure]
    return (select(a.version_id.label("id"), *[getattr(a, k) for k in figure.key], a.value.label("value"),
                   a.recorded_at, a.batch_id)
            .where(versions.by(a.known_from, known_at),
                   or_(a.known_until.is_(None), versions.after(a.known_until, known_at)),
                   *[_onto(w, figure, a) for w in where])
            .subquery(name))
