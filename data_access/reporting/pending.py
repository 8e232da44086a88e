"""Pending registry changes (table registry_changes): a change an upload brings to an existing
facility or union organisation, kept until its batch is reviewed. The audit log only records what
happened; this table is what is waiting."""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, update

from data_access import audit
from data_access.schema.models import ImportBatch, RegistryChange


@dataclass(frozen=True)
class Pending:
    id: int
    entry_id: int
    before: dict[str, Any]  # the changed fields as stored when planned (dates ISO text)
    after: dict[str, Any]  # their new values
    applied_id: int | None


def plan(conn: Connection, *, batch_id: int, kind: str, entry_id: int, before: Mapping[str, Any],
         after: Mapping[str, Any], at: dt.datetime) -> None:
    """Keep a change of entry `entry_id` for when batch `batch_id` is approved."""
    conn.execute(insert(RegistryChange).values(
        batch_id=batch_id, kind=kind, entry_id=entry_id, before=audit.dumps(before) or "{}",
        after=audit.dumps(after) or "{}", planned_at=at))


def by_entry(conn: Connection, kind: str, entry_ids: Iterable[int]) -> dict[int, list[tuple[int, str]]]:
    """entry id -> [(batch id, batch status)] of every change planned for it (applied or not)."""
    ids = sorted(set(entry_ids))
    if not ids:
        return {}
    rc = RegistryChange
    out: dict[int, list[tuple[int, str]]] = {}
    for entry_id, batch_id, status in conn.execute(
            select(rc.entry_id, rc.batch_id, ImportBatch.status).join(ImportBatch, ImportBatch.id == rc.batch_id)
            .where(rc.kind == kind, rc.entry_id.in_(ids)).order_by(rc.id)):
        out.setdefault(int(entry_id), []).append((int(batch_id), str(status)))
    return out


def of_batch(conn: Connection, batch_id: int) -> list[Pending]:
    """The changes batch `batch_id` brings, in the order they were planned."""
    rc = RegistryChange
    rows = conn.execute(select(rc.id, rc.entry_id, rc.before, rc.after, rc.applied_id)
                        .where(rc.batch_id == batch_id).order_by(rc.id))
    return [Pending(int(i), int(e), json.loads(b), json.loads(a), None if ap is None else int(ap))
            for i, e, b, a, ap in rows]


def applied(conn: Connection, change_id: int, version_id: int, at: dt.datetime) -> None:
    conn.execute(update(RegistryChange).where(RegistryChange.id == change_id)
                 .values(applied_id=version_id, applied_at=at))


def reverted(conn: Connection, batch_id: int, at: dt.datetime) -> None:
    conn.execute(update(RegistryChange).where(RegistryChange.batch_id == batch_id,
                                              RegistryChange.applied_id.is_not(None))
                 .values(reverted_at=at))
