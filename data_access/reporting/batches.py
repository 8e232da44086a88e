"""Import batches (table import_batches): their states in Chinese, reading one, the compare-and-set
of its state, the list the reporting page shows, and the original file.

A withdrawal of an approved batch waits for a second person (reporting.review): the batch stays
`approved` (it still counts) with `withdraw_requested_by/_at` set; the list shows it as
WITHDRAW_REQUESTED (撤回待审核), a state of the list, never stored."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, and_, case, select, update

from data_access.errors import DataAccessError
from data_access.kpis import aggregates
from data_access.schema.models import BATCH_APPROVED, BATCH_PENDING, BATCH_RETURNED, BATCH_WITHDRAWN, ImportBatch

WITHDRAW_REQUESTED = "withdraw_requested"
"""An approved batch whose withdrawal waits for a reviewer (approved in the table; counts still)."""

STATUS_ZH: dict[str | None, str] = {BATCH_PENDING: "待审核", BATCH_APPROVED: "已通过", BATCH_RETURNED: "已退回",
                                    BATCH_WITHDRAWN: "已撤回", WITHDRAW_REQUESTED: "撤回待审核", None: "直接导入"}


def get(conn: Connection, batch_id: int) -> Any:
    """id, status (as stored), unit_code, kind, uploaded_by, uploaded_at, withdraw_requested_by,
    withdraw_requested_at, withdraw_reason of a batch; DataAccessError if none."""
    b = ImportBatch
    row = conn.execute(select(b.id, b.status, b.unit_code, b.kind, b.uploaded_by, b.uploaded_at,
                              b.withdraw_requested_by, b.withdraw_requested_at, b.withdraw_reason)
                       .where(b.id == batch_id)).first()
    if row is None:
        raise DataAccessError(f"没有批次#{batch_id}", f"No batch #{batch_id}")
    return row


def set_status(conn: Connection, batch_id: int, old: str, requested: bool | None = None, **values: Any) -> None:
    """Compare-and-set: of two people acting on the same batch at once, the second one fails.
    `requested`: also require a withdrawal request to be waiting (True) or not (False)."""
    b = ImportBatch
    where = [b.id == batch_id, b.status == old]
    if requested is not None:
        where.append(b.withdraw_requested_at.is_not(None) if requested else b.withdraw_requested_at.is_(None))
    done = conn.execute(update(b).where(*where).values(**values)).rowcount
    if done != 1:
        raise DataAccessError(f"批次#{batch_id}的状态刚被他人修改，请刷新后再试",
                              f"Batch #{batch_id} was just changed by someone else")
    aggregates.follow_batch(conn, batch_id)  # the maintained aggregates, in this transaction


BATCH_COLUMNS = ["id", "kind", "unit_code", "file_name", "uploaded_by", "uploaded_at", "row_count",
                 "rows_new", "rows_changed", "status", "reviewed_by", "reviewed_at", "review_note",
                 "withdraw_requested_by", "withdraw_requested_at", "withdraw_reason", "withdrawn_by"]


def batches(engine: Engine, statuses: Sequence[str] | None = None, units: Sequence[str] | None = None,
            uploaded_by: str | None = None, limit: int = 500) -> pd.DataFrame:
    """Import batches, newest first. Columns: BATCH_COLUMNS (unit_code None: several units); status
    is the stored state, or WITHDRAW_REQUESTED for an approved batch whose withdrawal waits.
    `statuses` filters on that shown state."""
    b = ImportBatch
    stmt = select(*[getattr(b, c) for c in BATCH_COLUMNS]).order_by(b.id.desc()).limit(limit)
    requested = b.withdraw_requested_at.is_not(None)
    status = case((and_(b.status == BATCH_APPROVED, requested), WITHDRAW_REQUESTED), else_=b.status)
    if statuses:
        stmt = stmt.where(status.in_(list(statuses)))
    if units:
        stmt = stmt.where(b.unit_code.in_(list(units)))
    if uploaded_by:
        stmt = stmt.where(b.uploaded_by == uploaded_by)
    stmt = stmt.add_columns(status.label("shown_status"))
    with engine.connect() as conn:
        df = pd.DataFrame([tuple(r) for r in conn.execute(stmt)], columns=[*BATCH_COLUMNS, "shown_status"])
    return df.assign(status=df.pop("shown_status"))


def batch_file(engine: Engine, batch_id: int) -> tuple[str, bytes]:
    """The original file of a batch, as uploaded."""
    with engine.connect() as conn:
        row = conn.execute(select(ImportBatch.file_name, ImportBatch.file_bytes)
                           .where(ImportBatch.id == batch_id)).first()
    if row is None:
        raise DataAccessError(f"没有批次#{batch_id}", f"No batch #{batch_id}")
    return str(row[0]), bytes(row[1] or b"")
