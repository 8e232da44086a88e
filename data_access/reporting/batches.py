"""Import batches (table import_batches): their states in Chinese, reading one, the compare-and-set
of its state, the list the reporting page shows, and the original file."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, select, update

from data_access.errors import DataAccessError
from data_access.kpis import aggregates
from data_access.schema.models import BATCH_APPROVED, BATCH_PENDING, BATCH_RETURNED, BATCH_WITHDRAWN, ImportBatch

STATUS_ZH: dict[str | None, str] = {BATCH_PENDING: "待审核", BATCH_APPROVED: "已通过", BATCH_RETURNED: "已退回",
                                    BATCH_WITHDRAWN: "已撤回", None: "直接导入"}


def get(conn: Connection, batch_id: int) -> Any:
    """id, status, unit_code, kind, uploaded_by, uploaded_at of a batch; DataAccessError if none."""
    b = ImportBatch
    row = conn.execute(select(b.id, b.status, b.unit_code, b.kind, b.uploaded_by, b.uploaded_at)
                       .where(b.id == batch_id)).first()
    if row is None:
        raise DataAccessError(f"没有批次#{batch_id}", f"No batch #{batch_id}")
    return row


def set_status(conn: Connection, batch_id: int, old: str, **values: Any) -> None:
    """Compare-and-set: of two people acting on the same batch at once, the second one fails."""
    done = conn.execute(update(ImportBatch).where(ImportBatch.id == batch_id, ImportBatch.status == old)
                        .values(**values)).rowcount
    if done != 1:
        raise DataAccessError(f"批次#{batch_id}的状态刚被他人修改，请刷新后再试",
                              f"Batch #{batch_id} was just changed by someone else")
    aggregates.follow_batch(conn, batch_id)  # the maintained aggregates, in this transaction


BATCH_COLUMNS = ["id", "kind", "unit_code", "file_name", "uploaded_by", "uploaded_at", "row_count",
                 "rows_new", "rows_changed", "status", "reviewed_by", "reviewed_at", "review_note"]


def batches(engine: Engine, statuses: Sequence[str] | None = None, units: Sequence[str] | None = None,
            uploaded_by: str | None = None, limit: int = 500) -> pd.DataFrame:
    """Import batches, newest first. Columns: BATCH_COLUMNS (unit_code None: several units)."""
    b = ImportBatch
    stmt = select(*[getattr(b, c) for c in BATCH_COLUMNS]).order_by(b.id.desc()).limit(limit)
    if statuses:
        stmt = stmt.where(b.status.in_(list(statuses)))
    if units:
        stmt = stmt.where(b.unit_code.in_(list(units)))
    if uploaded_by:
        stmt = stmt.where(b.uploaded_by == uploaded_by)
    with engine.connect() as conn:
        return pd.DataFrame([tuple(r) for r in conn.execute(stmt)], columns=BATCH_COLUMNS)


def batch_file(engine: Engine, batch_id: int) -> tuple[str, bytes]:
    """The original file of a batch, as uploaded."""
    with engine.connect() as conn:
        row = conn.execute(select(ImportBatch.file_name, ImportBatch.file_bytes)
                           .where(ImportBatch.id == batch_id)).first()
    if row is None:
        raise DataAccessError(f"没有批次#{batch_id}", f"No batch #{batch_id}")
    return str(row[0]), bytes(row[1] or b"")
