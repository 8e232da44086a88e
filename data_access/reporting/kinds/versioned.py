"""Kinds whose figures are versioned (weekly progress, monthly membership): a correction is a new row
for the same key, never an update; which version counts is kpis.versions.latest, here as everywhere."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, func, select, tuple_

from data_access.kpis import versions
from data_access.reporting.context import Context
from data_access.reporting.kinds.base import Change, IssueAt, Planned, ReportKind, Row, fingerprint, insert_rows, same
from data_access.schema.models import BATCH_PENDING, ImportBatch


@dataclass(frozen=True)
class VersionedKind(ReportKind):
    """A kind stored as versions of figures. `figure`: its table, key and value columns;
    `value_key`: the file column holding the figure."""

    figure: versions.Figure = versions.PROGRESS
    value_key: str = "value"

    def figure_key(self, values: dict[str, Any], ctx: Context) -> tuple[Any, ...]:
        """The row's key in the table's terms (figure.key order)."""
        return tuple(values[k] for k in self.figure.key)

    def stored(self, values: dict[str, Any], ctx: Context, actor: str) -> dict[str, Any]:
        """The table row a file row becomes (recorded_at and batch_id are added by `write`)."""
        return {k: values[k] for k in self.figure.key} | {self.figure.value: values[self.value_key]}

    def item(self, values: dict[str, Any]) -> tuple[str, str]:
        """(item, period) texts of a row of the file or of the table."""
        raise NotImplementedError

    def labels(self, conn: Connection, rows: Sequence[Any]) -> list[tuple[str, str]]:
        """(item, period) of stored rows (a kind whose key holds ids looks their codes up)."""
        return [self.item(dict(r._mapping)) for r in rows]

    # ---------------------------------------------------------------------------------------------

    def _narrow(self, keys: set[tuple[Any, ...]]) -> list[Any]:
        cols = [self.figure.col(k) for k in self.figure.key]
        return [c.in_(sorted({k[i] for k in keys})) for i, c in enumerate(cols)]

    def plan(self, conn: Connection, rows: list[Row], ctx: Context, issue: IssueAt) -> Planned:
        t, n = self.figure.table, len(self.figure.key)
        keys = {self.figure_key(r.values, ctx) for r in rows}
        narrow = self._narrow(keys)
        # every stored version of these figures: other pending batches, the fingerprint, the newest
        everything = (select(t.id, *[self.figure.col(k) for k in self.figure.key], t.recorded_at, t.batch_id,
                             ImportBatch.status)
                      .outerjoin(ImportBatch, ImportBatch.id == t.batch_id).where(*narrow))
        stored: dict[tuple[Any, ...], list[Any]] = {}
        for r in conn.execute(everything):
            if tuple(r[1:1 + n]) in keys:
                stored.setdefault(tuple(r[1:1 + n]), []).append(r)
        latest = versions.latest(self.figure, ctx.now, *narrow)
        in_force = {tuple(r[1:1 + n]): r for r in conn.execute(select(latest))}
        notes = self._notes(conn, [r.id for r in in_force.values()])
        changes = []
        for row in rows:
            key = self.figure_key(row.values, ctx)
            pending = sorted({r.batch_id for r in stored.get(key, []) if r.status == BATCH_PENDING})
            now = in_force.get(key)
            new_value = row.values[self.value_key]
            if now is None:
                action, old = "new", None
            else:
                old = {"value": now.value, "recorded_at": now.recorded_at, "batch_id": now.batch_id,
                       "note": notes.get(now.id)}
                # a new 备注 alone is a correction too (same figure, the note updated); a blank one is not
                new_note = row.values.get("note")
                same_note = not new_note or new_note == notes.get(now.id)
                action = "unchanged" if same(float(now.value), float(new_value)) and same_note else "changed"
            changes.append(Change(row.line, action, row.values, old, pending_elsewhere=pending))
        recorded = [r.recorded_at for rs in stored.values() for r in rs]
        fp = fingerprint((r.id, r.status) for rs in stored.values() for r in rs)
        return Planned(changes, fp, max(recorded) if recorded else None)

    def _notes(self, conn: Connection, ids: list[int]) -> dict[int, Any]:
        """id -> the clerk's 备注 of stored versions (a table without a note column: none)."""
        t = self.figure.table
        if not ids or not hasattr(t, "note"):
            return {}
        return {int(i): note for i, note in conn.execute(select(t.id, t.note).where(t.id.in_(ids)))}

    def write(self, conn: Connection, changes: list[Change], ctx: Context, batch_id: int,
              recorded_at: dt.datetime, actor: str) -> None:
        insert_rows(conn, self.figure.table, [
            {**self.stored(c.values, ctx, actor), "recorded_at": recorded_at, "batch_id": batch_id}
            for c in changes if c.action != "unchanged"])

    def describe(self, change: Change) -> tuple[str, str, Any, Any]:
        item, period = self.item(change.values)
        return item, period, (change.old or {}).get("value"), change.values[self.value_key]

    def review_rows(self, conn: Connection, batch_id: int, now: dt.datetime) -> list[tuple[Any, ...]]:
        """Each row of the batch with the value in force before it: the latest version counting at
        `now` among those that precede the batch (three statements, whatever the batch's size)."""
        t, f = self.figure.table, self.figure
        first_id, first_at = conn.execute(select(func.min(t.id), func.min(t.recorded_at))
                                          .where(t.batch_id == batch_id)).one()
        if first_id is None:
            return []
        cols = [f.col(k) for k in f.key]
        prior = versions.latest(f, now, tuple_(*cols).in_(select(*cols).where(t.batch_id == batch_id)),
                                before=(first_at, first_id), name="prior")
        stmt = (select(t, prior.c.value.label("prior_value"))
                .outerjoin(prior, and_(*[prior.c[k] == f.col(k) for k in f.key]))
                .where(t.batch_id == batch_id).order_by(t.id))
        mine = conn.execute(stmt).all()
        out = []
        for r, (item, period) in zip(mine, self.labels(conn, mine)):
            prior_value = r.prior_value
            out.append((item, r.unit_code, period, prior_value, getattr(r, f.value),
                        "new" if prior_value is None else "changed"))
        return out

    def history(self, conn: Connection, values: dict[str, Any], ctx: Context) -> list[dict[str, Any]]:
        return self.history_of(conn, self.figure_key(values, ctx), ctx.now)

    def history_of(self, conn: Connection, key: tuple[Any, ...], now: dt.datetime) -> list[dict[str, Any]]:
        """Every version of one figure (key in figure.key order), oldest first; in_force: the one
        kpis.versions.latest picks at `now`."""
        t, f = self.figure.table, self.figure
        match = [f.col(k) == v for k, v in zip(f.key, key)]
        latest = versions.latest(f, now, *match)
        stmt = (select(t.id, f.col(f.value), t.recorded_at, t.batch_id, ImportBatch.status,
                       latest.c.id.is_not(None))
                .outerjoin(ImportBatch, ImportBatch.id == t.batch_id)
                .outerjoin(latest, latest.c.id == t.id)
                .where(*match).order_by(t.recorded_at, t.id))
        return [dict(id=i, value=v, recorded_at=at, batch_id=b, status=s, in_force=bool(live))
                for i, v, at, b, s, live in conn.execute(stmt)]
