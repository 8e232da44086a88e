"""What a file would change: read, check, compare with what is stored (`preview`), and the preview
as a table (`changes_frame`). `prepare` is the same work inside commit's transaction."""
from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, Engine, select

from data_access import clock
from data_access.reporting.batches import STATUS_ZH
from data_access.reporting.checks import check_rows, detect_kind
from data_access.reporting.context import Context, load_context
from data_access.reporting.files import read_table
from data_access.reporting.issues import ImportRejected, Issue
from data_access.reporting.kinds import KIND_ALIASES, KINDS
from data_access.reporting.kinds.base import Change
from data_access.schema.models import BATCH_WITHDRAWN, ImportBatch

ACTION_ZH = {"new": "新增", "changed": "修改", "unchanged": "无变化"}


@dataclass
class Preview:
    file_name: str
    sha256: str
    size: int
    kind: str
    sheet: str | None
    unit_codes: tuple[str, ...]
    changes: list[Change]
    fingerprint: str  # of the stored rows the changes were computed against
    year: int

    @property
    def counts(self) -> dict[str, int]:
        out = {"total": len(self.changes), "new": 0, "changed": 0, "unchanged": 0}
        for c in self.changes:
            out[c.action] += 1
        return out

    @property
    def title(self) -> str:
        return KINDS[self.kind].title


@dataclass
class Prepared:
    preview: Preview
    ctx: Context
    latest_recorded: dt.datetime | None


def prepare(conn: Connection, data: bytes, file_name: str, *, now: dt.datetime, year: int | None,
            kind: str | None, allowed_units: Iterable[str] | None,
            lock: Callable[[Connection, Sequence[str]], None] | None = None) -> Prepared:
    """Read and check the file, then compare it with what is stored; ImportRejected with every
    problem. `lock`: called with the file's units before anything stored is read (commit)."""
    ctx = load_context(conn, now, year, allowed_units)
    table = read_table(data, file_name, KIND_ALIASES)
    report = detect_kind(table, kind)
    rows, issues = check_rows(table, report, ctx)
    if issues:
        raise ImportRejected(issues)
    units = tuple(sorted({r.values["unit_code"] for r in rows}))
    if lock is not None:
        lock(conn, units)
    sha = hashlib.sha256(data).hexdigest()
    earlier = conn.execute(select(ImportBatch.id, ImportBatch.uploaded_at, ImportBatch.status).where(
        ImportBatch.file_sha256 == sha, ImportBatch.status != BATCH_WITHDRAWN).order_by(ImportBatch.id)).first()
    if earlier is not None:
        raise ImportRejected([Issue(file_name, f"同一文件已于{earlier.uploaded_at:%Y-%m-%d %H:%M}导入"
                                               f"（批次#{earlier.id}，{STATUS_ZH[earlier.status]}），"
                                               "不能重复导入；如需更正请修改后重新上传")])

    def issue(line: int, key: str, message: str) -> None:
        issues.append(Issue(file_name, message, table.sheet, line, report.column(key).label,
                            table.col_pos(table.columns[key])))

    planned = report.plan(conn, rows, ctx, issue)
    if not issues and not any(c.action != "unchanged" for c in planned.changes):
        issues.append(Issue(file_name, "文件中的数据与已入库数据完全相同，没有需要导入的内容", table.sheet))
    if issues:
        raise ImportRejected(issues)
    pv = Preview(file_name, sha, len(data), report.code, table.sheet, units, planned.changes,
                 planned.fingerprint, ctx.year)
    return Prepared(pv, ctx, planned.latest_recorded)


def preview(engine: Engine, data: bytes, file_name: str, *, allowed_units: Iterable[str] | None = None,
            now: dt.datetime | None = None, year: int | None = None, kind: str | None = None) -> Preview:
    """Read and check `data`; what it would change against the versions in force at `now`
    (kpis.versions). Raises ImportRejected listing every problem."""
    with engine.connect() as conn:
        return prepare(conn, data, file_name, now=now or clock.now(), year=year, kind=kind,
                       allowed_units=allowed_units).preview


CHANGE_COLUMNS = ["line", "action", "unit_code", "item", "period", "old", "new", "pending_elsewhere", "note"]


def changes_frame(pv: Preview) -> pd.DataFrame:
    """The preview as a table (for the page and the command line). Columns: CHANGE_COLUMNS; item is
    the target code, industry/platform or entry name; old/new the figure, or for a registry entry
    the changed fields as 列名=值 text; pending_elsewhere: other pending batches with this figure;
    note: the row's 备注 (weekly progress; a new note alone makes a correction), else empty."""
    kind = KINDS[pv.kind]
    out = []
    for c in pv.changes:
        item, period, old, new = kind.describe(c)
        out.append((c.line, c.action, c.values["unit_code"], item, period, old, new,
                    "、".join(f"#{b}" for b in c.pending_elsewhere), c.values.get("note") or ""))
    return pd.DataFrame(out, columns=CHANGE_COLUMNS)
