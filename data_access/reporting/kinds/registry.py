"""Kinds that are registries (facilities, union organisations): a new entry is a row of the batch;
a change to an existing entry waits in registry_changes (reporting.pending) until the batch is
approved, then becomes a new version (replaces_id, superseded_at), reverted if the batch is withdrawn."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, or_, select, update

from data_access import audit
from data_access.errors import DataAccessError
from data_access.reporting import pending
from data_access.reporting.cells import choice_label
from data_access.reporting.context import Context, as_date
from data_access.reporting.kinds.base import Change, IssueAt, Planned, ReportKind, Row, fingerprint, insert_rows, jsonable, same
from data_access.schema.models import BATCH_APPROVED, BATCH_PENDING, Facility, ImportBatch, RegistryChange


def _in_force(status: str | None) -> bool:
    return status is None or status == BATCH_APPROVED


@dataclass(frozen=True)
class RegistryKind(ReportKind):
    """A registry kind. `table`: its model; `entry_key`: the columns that match a row to an entry;
    `fields`: what a file may change on an entry; `date_fields`: those that are dates (not before
    the plan year); `day_field`: the entry's date shown as its period."""

    table: Any = Facility
    entry_key: tuple[str, ...] = ("unit_code", "name")
    fields: tuple[str, ...] = ()
    date_fields: tuple[str, ...] = ()
    day_field: str = "opened_on"

    def _key(self, entry: Any) -> tuple[Any, ...]:
        return tuple(entry[k] if isinstance(entry, dict) else getattr(entry, k) for k in self.entry_key)

    def fields_text(self, fields: dict[str, Any]) -> str:
        """Changed fields as 列名=值 text in the columns' order, choices by label (状态=关闭)."""
        parts = []
        for key in (f for f in self.fields if f in fields):
            value = choice_label(self.column(key), fields[key])
            parts.append(f"{self.column(key).label}={'' if value is None else jsonable(value)}")
        return "；".join(parts)

    def _diff(self, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
        return [f for f in self.fields if not same(old[f], new.get(f))]

    def _stored(self, conn: Connection, rows: list[Row]) -> dict[tuple[Any, ...], list[tuple[Any, str | None]]]:
        t = self.table
        stmt = (select(*t.__table__.c, ImportBatch.status.label("batch_status"))
                .outerjoin(ImportBatch, ImportBatch.id == t.batch_id)
                .where(t.name.in_(sorted({r.values["name"] for r in rows})),
                       t.unit_code.in_(sorted({r.values["unit_code"] for r in rows})), t.superseded_at.is_(None)))
        stored: dict[tuple[Any, ...], list[tuple[Any, str | None]]] = {}
        for entity in conn.execute(stmt):
            stored.setdefault(self._key(entity), []).append((entity, entity.batch_status))
        return stored

    def plan(self, conn: Connection, rows: list[Row], ctx: Context, issue: IssueAt) -> Planned:
        stored = self._stored(conn, rows)
        planned = pending.by_entry(conn, self.code, [e.id for es in stored.values() for e, _s in es])
        changes, fp_rows = [], []
        for row in rows:
            entries = stored.get(self._key(row.values), [])
            live = sorted((e for e, s in entries if _in_force(s)), key=lambda e: e.id)
            waiting = sorted({e.batch_id for e, s in entries if s == BATCH_PENDING} |
                             {b for e in live for b, s in planned.get(e.id, []) if s == BATCH_PENDING})
            if waiting:
                issue(row.line, "name", f"“{row.values['name']}”已在待审核的批次#{waiting[0]}中，"
                                        "请等待审核或撤回该批次后再报")
            for e in live:
                fp_rows.append((e.id, *[getattr(e, f) for f in self.fields], tuple(planned.get(e.id, []))))
            if not live:
                for f in self.date_fields:
                    if row.values.get(f) is not None and row.values[f] < ctx.start:
                        issue(row.line, f, f"新登记的日期{row.values[f]}早于{ctx.year}计划年度（{ctx.start}起）")
                changes.append(Change(row.line, "new", row.values))
                continue
            entity = live[-1]
            old = {f: getattr(entity, f) for f in self.fields}
            diff = self._diff(old, row.values)
            for f in diff:
                if f in self.date_fields and row.values.get(f) is not None and not ctx.start <= row.values[f]:
                    issue(row.line, f, f"修改后的日期{row.values[f]}早于{ctx.year}计划年度（{ctx.start}起）")
            changes.append(Change(row.line, "changed" if diff else "unchanged", row.values, old, entity.id))
        return Planned(changes, fingerprint(fp_rows))

    def write(self, conn: Connection, changes: list[Change], ctx: Context, batch_id: int,
              recorded_at: dt.datetime, actor: str) -> None:
        insert_rows(conn, self.table, [
            {**{k: c.values.get(k) for k in self.entry_key + self.fields}, "recorded_at": recorded_at,
             "batch_id": batch_id} for c in changes if c.action == "new"])
        for c in changes:
            if c.action == "changed" and c.old is not None and c.entity_id is not None:
                diff = self._diff(c.old, c.values)
                pending.plan(conn, batch_id=batch_id, kind=self.code, entry_id=c.entity_id,
                             before={f: c.old[f] for f in diff}, after={f: c.values.get(f) for f in diff},
                             at=recorded_at)

    def describe(self, change: Change) -> tuple[str, str, Any, Any]:
        x = change.values
        diff = self._diff(change.old, x) if change.old else []
        old = self.fields_text({f: change.old[f] for f in diff}) if change.old else ""
        return x["name"], str(x.get(self.day_field)), old or None, self.fields_text({f: x.get(f) for f in diff})

    def review_rows(self, conn: Connection, batch_id: int, now: dt.datetime) -> list[tuple[Any, ...]]:
        """New entries of the batch, then the changes it brings to existing ones (two statements)."""
        t, rc = self.table, RegistryChange
        out: list[tuple[Any, ...]] = [
            (e.name, e.unit_code, str(getattr(e, self.day_field)), None, "", "new")
            for e in conn.execute(select(t.name, t.unit_code, getattr(t, self.day_field))
                                  .where(t.batch_id == batch_id, t.replaces_id.is_(None)).order_by(t.id))]
        for change in conn.execute(select(t.name, t.unit_code, rc.before, rc.after)
                                   .join(t, t.id == rc.entry_id).where(rc.batch_id == batch_id).order_by(rc.id)):
            out.append((change.name, change.unit_code, "", self.fields_text(json.loads(change.before)),
                        self.fields_text(json.loads(change.after)), "changed"))
        return out

    def history(self, conn: Connection, values: dict[str, Any], ctx: Context) -> list[dict[str, Any]]:
        """Every version of the entry the row names, oldest first; in_force: the version standing
        now (not superseded, loaded directly or from an approved batch)."""
        t = self.table
        stmt = (select(t, ImportBatch.status.label("batch_status"))
                .outerjoin(ImportBatch, ImportBatch.id == t.batch_id)
                .where(*[getattr(t, k) == values[k] for k in self.entry_key]).order_by(t.id))
        return [dict(id=r.id, value={f: getattr(r, f) for f in self.fields}, recorded_at=r.recorded_at,
                     batch_id=r.batch_id, status=r.batch_status,
                     in_force=r.superseded_at is None and _in_force(r.batch_status))
                for r in conn.execute(stmt)]

    # ---------------------------------------------------------------------------------------------
    # approval and withdrawal: new versions from `now` on, so dates before it show what was known then

    def _copy(self, conn: Connection, entity: Any, now: dt.datetime, batch_id: int | None,
              replaces_id: int, values: dict[str, Any]) -> int:
        """Insert a new version of an entry: `entity`'s columns with `values` over them."""
        row = {c.name: getattr(entity, c.name) for c in self.table.__table__.c if c.name != "id"}
        row.update(values, recorded_at=now, batch_id=batch_id, replaces_id=replaces_id, superseded_at=None)
        key = conn.execute(insert(self.table).values(**row)).inserted_primary_key
        assert key is not None
        return int(key[0])

    def _supersede(self, conn: Connection, row_id: int, now: dt.datetime) -> None:
        conn.execute(update(self.table).where(self.table.id == row_id).values(superseded_at=now))

    def approve(self, conn: Connection, batch_id: int, actor: str, now: dt.datetime) -> None:
        """Apply the batch's planned changes; refuse if an entry changed meanwhile."""
        t = self.table
        for change in pending.of_batch(conn, batch_id):
            entity = conn.execute(select(*t.__table__.c).where(t.id == change.entry_id)).one()
            if entity.superseded_at is not None or not all(same(getattr(entity, f), x)
                                                           for f, x in change.before.items()):
                raise DataAccessError(f"“{entity.name}”在本批次提交后已被修改，无法通过；请退回后重新上报",
                                      f"“{entity.name}” changed since the batch was sent")
            values = {f: as_date(x) if f in self.date_fields and x else x for f, x in change.after.items()}
            new_id = self._copy(conn, entity, now, batch_id, entity.id, values)
            self._supersede(conn, entity.id, now)
            pending.applied(conn, change.id, new_id, now)
            audit.record(conn, actor=actor, action="update", entity=self.code, entity_id=new_id,
                         before=change.before, after={**change.after, "batch_id": batch_id}, at=now)

    def withdraw(self, conn: Connection, batch_id: int, actor: str, now: dt.datetime) -> None:
        """Revert the changes the batch applied; refuse if a later batch changed its entries."""
        t = self.table
        c = t.__table__.c
        mine = conn.execute(select(*c).where(t.batch_id == batch_id).order_by(t.id)).all()
        for row in mine:
            if row.superseded_at is None:
                continue
            # Superseded by a later batch's change (to this batch's change, or to an entry this batch
            # created): taking this batch back would pull the ground from under that later version.
            later = conn.execute(select(t.batch_id).where(
                *[getattr(t, k) == getattr(row, k) for k in self.entry_key], t.superseded_at.is_(None),
                or_(t.batch_id.is_(None), t.batch_id != batch_id))).first()
            if later is not None:
                raise DataAccessError(
                    f"“{row.name}”在本批次之后已被批次#{later.batch_id}修改，无法撤回；请先撤回批次#{later.batch_id}",
                    f"“{row.name}” was changed by batch #{later.batch_id} after this one; withdraw that first")
        applied = {p.applied_id for p in pending.of_batch(conn, batch_id) if p.applied_id is not None}
        for version in (r for r in mine if r.id in applied):  # not the copies a withdrawal restored
            prior = conn.execute(select(*c).where(t.id == version.replaces_id)).one()
            restored = self._copy(conn, prior, now, prior.batch_id, version.id, {})
            self._supersede(conn, version.id, now)
            diff = [f for f in self.fields if not same(getattr(version, f), getattr(prior, f))]
            audit.record(conn, actor=actor, action="revert", entity=self.code, entity_id=restored,
                         before={f: getattr(version, f) for f in diff},
                         after={**{f: getattr(prior, f) for f in diff}, "batch_id": batch_id}, at=now)
        pending.reverted(conn, batch_id, now)
