"""Helpers shared by test modules: the upload week, coordinates inside counties, builders of upload
files (progress, facility, union and membership rows as .xlsx or .csv), and readers of the database."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile

from typing import Any

from openpyxl import Workbook
from sqlalchemy import select

from data_access.kpis import tables
from data_access.schema.models import Base
from tests.tiny_data import A

D = dt.date
NOW = dt.datetime(2023, 6, 30, 18, 0)
AS_OF = NOW.date()
WEEK = (D(2023, 6, 24), D(2023, 6, 30))
XINHUA_SEAT = (33.73872, 113.28773)  # inside 新华区 (and so inside 城乡一体化示范区's host)
LUSHAN_SEAT = (33.73998, 112.90231)  # inside 鲁山县
WEIDONG_SEAT = (33.73611, 113.32886)  # inside 卫东区 (host of 高新区)

PROGRESS_HEAD = ["单位代码", "单位名称", "指标代码", "指标名称", "计量单位", "周期开始", "周期结束", "本期完成数", "备注"]
FACILITY_HEAD = ["单位代码", "单位名称", "设施类型", "名称", "地址", "承办单位", "纬度", "经度", "启用日期",
                 "停用日期", "状态", "服务内容", "托管名额"]
UNION_HEAD = ["单位代码", "单位名称", "工会名称", "建会日期", "所属领域", "是否新业态", "行业", "平台", "建会时会员数"]
MEMBER_HEAD = ["单位代码", "单位名称", "月份", "行业", "平台", "新入会人数"]


# ---------------------------------------------------------------------------------------------
# building files


def prow(unit=A, target="T01", start=WEEK[0], end=WEEK[1], value=6, note=None) -> list:
    return [unit, "", target, "", "", start, end, value, note]


def frow(unit=A, kind="爱心驿站", name="新华区测试驿站", point=XINHUA_SEAT, opened=D(2023, 6, 1), closed=None,
         status="正常", capacity=None, address="新华区建设路1号", host="测试单位", services="饮水、充电") -> list:
    return [unit, "", kind, name, address, host, point[0], point[1], opened, closed, status, services,
            capacity]


def xlsx(rows, head=PROGRESS_HEAD, sheet="周进度") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(head)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_file(rows, head=PROGRESS_HEAD, encoding="utf-8-sig") -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(head)
    for row in rows:
        writer.writerow(["" if c is None else c.isoformat() if isinstance(c, dt.date) else c for c in row])
    return buf.getvalue().encode(encoding)


def with_formula(data: bytes, cell: str, formula: str, cached: str | None, cell_type: str = "n") -> bytes:
    """Rewrite one cell of sheet1 as a formula, with or without a saved value (what Excel writes)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = body.decode()
                new = (f'<c r="{cell}" t="{cell_type}"><f>{formula}</f>'
                       + (f"<v>{cached}</v>" if cached is not None else "") + "</c>")
                text, n = re.subn(rf'<c r="{cell}"[^>]*?(/>|>.*?</c>)', new, text, count=1)
                assert n == 1
                body = text.encode()
            dst.writestr(item, body)
    return out.getvalue()


def dump(engine) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order: the database 'row for row'."""
    with engine.connect() as conn:
        return {t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
                for t in Base.metadata.sorted_tables}


def t01(engine, units=None, as_of=AS_OF) -> float:
    df = tables.target_overview(engine, 2023, as_of, units)
    return float(df.set_index("target_code").loc["T01", "actual"])


def overview_actual(engine, code, as_of=AS_OF, units=None) -> float:
    df = tables.target_overview(engine, 2023, as_of, units)
    return float(df.set_index("target_code").loc[code, "actual"])


def sync_sequences(engine) -> None:
    """tiny_data inserts explicit ids; on PostgreSQL move each id sequence past them so that new
    rows (batches, facilities) get fresh ids."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        for table in Base.metadata.sorted_tables:
            if "id" in table.c and table.c.id.primary_key:
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)")


def run_async(coro: Any) -> Any:
    """Run a coroutine to its end on a loop of its own, in a thread of its own: in the full suite the
    session-wide Playwright browser keeps an event loop running in the main thread, where
    asyncio.run() refuses to start another."""
    import asyncio
    import threading

    out: dict[str, Any] = {}

    def target() -> None:
        try:
            out["value"] = asyncio.run(coro)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            out["error"] = exc

    worker = threading.Thread(target=target)
    worker.start()
    worker.join()
    if "error" in out:
        raise out["error"]
    return out.get("value")


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as [a, b, ..., a], or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None
