"""What every kind of report is: `ReportKind`, one object per kind (kinds/progress.py, ...).

A kind says how a row of its file is keyed (`key`, duplicates in a file), its template columns
(`columns`, `notes`, `period`, `template_rows`, `code_lists`), its row checks (`check`), what is
stored and how it is written (`plan`, `write`), described (`describe`, `review_rows`, `history`),
and what approval and withdrawal do to it (`approve`, `withdraw`). The importer and the templates
only call these; the two families are kinds/versioned.py and kinds/registry.py.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, insert

from data_access.reporting.cells import Column
from data_access.reporting.context import Context, as_date
from data_access.reporting.kinds.periods import Period

INSERT_CHUNK = 500  # rows per INSERT statement
BLANK_ROWS = 30  # empty lines (unit filled in) for new entries in the registry templates

Check = list[tuple[str | None, str]]  # (column key or None, message) per problem of a row
IssueAt = Callable[[int, str, str], None]  # report a problem: (line, column key, message)


@dataclass
class Row:
    """A checked row of a file: its line number and its parsed values by column key."""

    line: int
    values: dict[str, Any]


@dataclass
class Change:
    """What one row of a file would change."""

    line: int
    action: str  # new | changed | unchanged
    values: dict[str, Any]  # the row as parsed
    old: dict[str, Any] | None = None  # versioned: the version in force; registry: the entry's fields
    entity_id: int | None = None  # registry: the entry version a change applies to
    pending_elsewhere: list[int] = field(default_factory=list)  # other pending batches with this figure


@dataclass(frozen=True)
class Planned:
    changes: list[Change]
    fingerprint: str  # of the stored rows the changes were computed against
    latest_recorded: dt.datetime | None = None  # the newest stored version of the figures in the file


def jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value


def fingerprint(rows: Iterable[Iterable[Any]]) -> str:
    text = json.dumps(sorted([[jsonable(x) for x in r] for r in rows], key=str), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def same(a: Any, b: Any) -> bool:
    """Stored and uploaded values are equal (floats to 1e-7, dates whatever the driver returned)."""
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and abs(float(a) - float(b)) < 1e-7
    if isinstance(a, dt.date) or isinstance(b, dt.date):
        return as_date(a) == as_date(b)
    return bool(a == b)


def insert_chunk(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    conn.execute(insert(table), rows)


def insert_rows(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert in chunks of INSERT_CHUNK rows (inside the caller's transaction)."""
    for i in range(0, len(rows), INSERT_CHUNK):
        insert_chunk(conn, table, rows[i:i + INSERT_CHUNK])


@dataclass(frozen=True)
class ReportKind:
    """One kind of report. Subclasses (VersionedKind, RegistryKind) implement the stored side; each
    kind's module the row checks and template rows."""

    code: str  # ImportBatch.kind
    title: str
    sheet: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # what identifies one figure or entry in a file (duplicates)
    key_text: str  # the key in words, for the duplicate message
    period: Period
    notes: tuple[str, ...] = ()  # the kind's lines in the template's instructions
    title_en: str = ""  # the title on the English pages (the code when empty)

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    # --- the file side

    def check(self, values: dict[str, Any], ctx: Context) -> Check:
        """The kind's rules for one parsed row: (column key, message) per problem."""
        raise NotImplementedError

    def template_rows(self, conn: Connection, unit: str, unit_name: str, year: int,
                      period: Any) -> list[dict[str, Any]]:
        """The rows a template is pre-filled with (unit and period; a registry's entries)."""
        raise NotImplementedError

    def code_lists(self, conn: Connection, year: int) -> dict[str, tuple[str, list[Any]]]:
        """Extra lists of the template's code sheet (column key -> (label, values))."""
        return {}

    # --- the stored side

    def plan(self, conn: Connection, rows: list[Row], ctx: Context, issue: IssueAt) -> Planned:
        """What the rows would change against what is stored (problems reported through `issue`)."""
        raise NotImplementedError

    def write(self, conn: Connection, changes: list[Change], ctx: Context, batch_id: int,
              recorded_at: dt.datetime, actor: str) -> None:
        """Store the changes (not the unchanged rows) as rows of batch `batch_id`."""
        raise NotImplementedError

    def describe(self, change: Change) -> tuple[str, str, Any, Any]:
        """(item, period, old, new) of a change, for the preview table."""
        raise NotImplementedError

    def review_rows(self, conn: Connection, batch_id: int, now: dt.datetime) -> list[tuple[Any, ...]]:
        """What a batch brings, for its reviewer: (item, unit_code, period, old, new, action) rows."""
        raise NotImplementedError

    def history(self, conn: Connection, values: dict[str, Any], ctx: Context) -> list[dict[str, Any]]:
        """Every stored version of the figure or entry a row of the file is about, oldest first:
        dicts with id, value, recorded_at, batch_id, status, in_force (in force at `ctx.now`)."""
        raise NotImplementedError

    def approve(self, conn: Connection, batch_id: int, actor: str, now: dt.datetime) -> None:
        """What approving the batch does beyond its status (nothing for versioned figures)."""

    def withdraw(self, conn: Connection, batch_id: int, actor: str, now: dt.datetime) -> None:
        """What withdrawing an approved batch does beyond its status (nothing for versioned figures)."""
