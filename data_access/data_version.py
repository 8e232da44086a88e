"""The data's version: one counter, bumped in the transaction of every change, read once per page run.

Caches of figures (dashboard/data.py) are keyed by this number instead of expiring after a time: a
figure computed at version 41 is reused until a change makes it 42, in every session and on every
server process (each reads the number from the shared database). The counter is bumped by the one
audit writer (`audit.record`), in the caller's transaction, so it moves exactly when a change
commits: a rolled-back change leaves it alone. **A change that is not audited does not bump the
version** -- every writer of figures, plans, registries, imports, reviews, decisions and accounts
goes through `audit.record`; the sample loader (an empty database, before anyone reads) and a
restore (`bump_past`) are the only other writers.

One transaction bumps it once, however many entries it records (a registry batch records one entry
per changed entry): the connection remembers the transaction it bumped in.
"""
from __future__ import annotations

from sqlalchemy import Connection, Engine, insert, select, update

from data_access.schema.models import DataVersion

ROW = 1
_BUMPED = "kpi_data_version_bumped_in"  # Connection.info key: the transaction already bumped


def read(conn: Connection) -> int:
    """The current version (0 for a schema without the row, e.g. before migration 0008 ran)."""
    value = conn.execute(select(DataVersion.version).where(DataVersion.id == ROW)).scalar()
    return int(value or 0)


def current(engine: Engine) -> int:
    """The current version, in a short connection of its own (one primary-key read)."""
    with engine.connect() as conn:
        return read(conn)


def bump(conn: Connection) -> None:
    """Move the version on, in the caller's transaction (once per transaction)."""
    transaction = conn.get_transaction()
    if transaction is not None and conn.info.get(_BUMPED) is transaction:
        return
    conn.execute(update(DataVersion).where(DataVersion.id == ROW).values(version=DataVersion.version + 1))
    if transaction is not None:
        conn.info[_BUMPED] = transaction


def lock(conn: Connection) -> None:
    """Take the version row's lock for the rest of the transaction without moving the value (an
    UPDATE that leaves it as it is): a rebuild of derived tables and every audited change, which
    bumps the same row, then run one after the other."""
    conn.execute(update(DataVersion).where(DataVersion.id == ROW).values(version=DataVersion.version))


def bump_past(conn: Connection, seen: int) -> None:
    """Set the version beyond both `seen` (what running servers may have cached under) and the
    current value: after a restore replaced the rows, no old cache entry can match."""
    now = max(read(conn), seen) + 1
    if conn.execute(update(DataVersion).where(DataVersion.id == ROW).values(version=now)).rowcount == 0:
        conn.execute(insert(DataVersion).values(id=ROW, version=now))
