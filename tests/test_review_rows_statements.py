"""The review tab's rows of a 5,000-row batch come in a few statements, not one per row
(reporting.review.batch_rows: each kind's review_rows joins the batch's rows with the versions in
force before them in one statement). Counted with a before_cursor_execute listener."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import event, insert

from data_access.reporting import review as reviewing
from data_access.schema.models import Facility, ImportBatch, ProgressReport, RegistryChange
from tests.tiny_data import A

N = 5000
T = dt.datetime
MAX_STATEMENTS = 5  # the batch, its first row, the rows with their prior versions, the target codes, names and 备注
SHOWN = ["item", "unit_code", "period", "old", "new", "action"]  # the figures; names, unit and 备注 follow


def _batch(conn, batch_id: int, kind: str) -> None:
    conn.execute(insert(ImportBatch).values(
        id=batch_id, kind=kind, unit_code=A, file_name="big.xlsx", file_sha256="c" * 64, uploaded_by="x",
        uploaded_at=T(2023, 6, 30, 18), row_count=N, status="pending"))


def _count(engine, batch_id):
    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        rows = reviewing.batch_rows(engine, batch_id, now=T(2023, 7, 3, 9))
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    return rows, statements


@pytest.fixture
def big_progress(tiny):
    day = lambda i: dt.date(2030, 1, 1) + dt.timedelta(days=i)  # noqa: E731 - 5,000 distinct periods
    row = lambda i, value, at, batch: dict(  # noqa: E731
        target_id=1, unit_code=A, period_start=day(i), period_end=day(i), value=value, reporter="x",
        recorded_at=at, batch_id=batch)
    with tiny.begin() as conn:
        _batch(conn, 100, "progress")
        # every third period already has a figure loaded directly (in force before the batch)
        conn.execute(insert(ProgressReport), [row(i, i, T(2023, 6, 1), None) for i in range(0, N, 3)])
        conn.execute(insert(ProgressReport), [row(i, i + 0.5, T(2023, 6, 30, 18), 100) for i in range(N)])
    return tiny


def test_progress_batch_of_5000_rows(big_progress):
    rows, statements = _count(big_progress, 100)
    assert len(statements) <= MAX_STATEMENTS, statements
    assert len(rows) == N
    assert rows.iloc[0][["item_zh", "measure_unit", "note"]].tolist() == ["群众性文化活动", "场次", None]
    rows = rows[SHOWN]
    assert rows.iloc[0].tolist() == ["T01", A, "2030-01-01~2030-01-01", 0.0, 0.5, "changed"]
    assert pd.isna(rows.iloc[1]["old"]) and rows.iloc[1].tolist()[4:] == [1.5, "new"]
    assert rows.iloc[N - 2].tolist()[3:] == [float(N - 2), N - 1.5, "changed"]  # 4998 = 3 × 1666
    assert (rows["action"] == "changed").sum() == len(range(0, N, 3))


@pytest.fixture
def big_registry(tiny):
    entry = lambda i: dict(  # noqa: E731
        kind="care_station", name=f"驿站{i}", address="地址", host_org="单位", unit_code=A, lat=33.7, lon=113.2,
        opened_on=dt.date(2023, 6, 1), status="open", recorded_at=T(2023, 6, 30, 18), batch_id=200)
    with tiny.begin() as conn:
        _batch(conn, 200, "facilities")
        conn.execute(insert(Facility), [entry(i) for i in range(N - 1)])
        conn.execute(insert(RegistryChange).values(  # and one change to tiny's 设施2
            batch_id=200, kind="facilities", entry_id=2, before='{"status": "open"}', after='{"status": "closed"}',
            planned_at=T(2023, 6, 30, 18)))
    return tiny


def test_registry_batch_of_5000_rows(big_registry):
    rows, statements = _count(big_registry, 200)
    assert len(statements) <= MAX_STATEMENTS, statements
    assert len(rows) == N
    rows = rows[SHOWN]
    first = rows.iloc[0]
    assert pd.isna(first["old"]) and first.drop("old").tolist() == ["驿站0", A, "2023-06-01", "", "new"]
    assert rows.iloc[-1].tolist() == ["设施2", A, "", "状态=正常", "状态=关闭", "changed"]
