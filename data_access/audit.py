"""The audit log: the one writer and the one reader of ``audit_log``.

Every change of accounts, plan edits, imports and reviews, and 督办 decisions is recorded here, in
the caller's transaction, so a change and its record commit together or not at all. One format:

| column | what |
|---|---|
| at | when, the organisation's local time (`clock.now()`) |
| actor | the user name (never a display name, never a password) |
| action | a verb: create, update, delete, enable, disable, reset_password, change_password, state, copy_year, import, approve, return, withdraw, ... |
| entity | the table or kind changed (users, targets, batch, decision, facility ...) |
| entity_id | its key as text |
| before / after | JSON objects (sorted keys, dates ISO) of the changed fields, or null |

The audit log is a record, never a work queue: pending registry changes live in their own table.

Every entry also bumps the data's version (`data_version.bump`, same transaction): the dashboard's
caches are keyed by it, so an audited change shows on the next rerun of every session on every
server process. A change that is not audited does not bump the version.
"""
from __future__ import annotations

import datetime as dt
import decimal
import json
import math
from collections.abc import Mapping
from typing import Any, Protocol

import pandas as pd
from sqlalchemy import Connection, Engine, insert, select

from data_access import clock, data_version
from data_access.kpis import summaries
from data_access.schema.models import AuditLog

COLUMNS = ["id", "at", "actor", "action", "entity", "entity_id", "before", "after"]


class _HasUsername(Protocol):
    @property
    def username(self) -> str: ...


def actor_name(actor: _HasUsername | str) -> str:
    """The name an actor is recorded under (64 characters at most): a signed-in user's *user name*,
    never its display name (display names change and are not unique), or the given string for
    actors without an account (``cli:<system user>``, a name typed with authentication off)."""
    name = actor if isinstance(actor, str) else actor.username
    return str(name)[:64]


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        return value.item()
    return value


def dumps(value: Mapping[str, Any] | None) -> str | None:
    """The JSON text of a before/after state: sorted keys, dates ISO, NaN as null."""
    if value is None:
        return None
    return json.dumps({str(k): _plain(v) for k, v in value.items()}, ensure_ascii=False, sort_keys=True,
                      default=str)


def record(conn: Connection, *, actor: _HasUsername | str, action: str, entity: str,
           entity_id: object = None, before: Mapping[str, Any] | None = None,
           after: Mapping[str, Any] | None = None, at: dt.datetime | None = None) -> None:
    """Write one audit entry in the caller's transaction, and bump the data's version in it."""
    conn.execute(insert(AuditLog).values(
        at=at or clock.now(), actor=actor_name(actor), action=action[:64], entity=entity[:64],
        entity_id=None if entity_id is None else str(entity_id)[:64],
        before=dumps(before), after=dumps(after)))
    data_version.bump(conn)
    summaries.after_record(conn, entity)  # the pre-summed facts: carried, to be followed, or left behind


def entries(engine: Engine, *, limit: int = 500, entity: str | None = None,
            actor: str | None = None) -> pd.DataFrame:
    """The newest `limit` entries, newest first. Columns: COLUMNS; before/after are JSON text."""
    a = AuditLog
    stmt = select(*[getattr(a, c) for c in COLUMNS]).order_by(a.id.desc()).limit(limit)
    if entity:
        stmt = stmt.where(a.entity == entity)
    if actor:
        stmt = stmt.where(a.actor == actor)
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=COLUMNS)
