"""The Excel templates the county offices fill in: one per kind of report (reporting.kinds.KINDS).

Each workbook has the data sheet (header, the unit and period already filled in, drop-down lists
for codes and choices, date and number checks), an instruction sheet, and a code sheet the drop-downs
read from. The importer reads exactly these columns back. Text from the database is neutralised so
a name starting with = never becomes a formula.
"""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import Connection, Engine, select

from data_access import clock
from data_access.errors import DataAccessError
from data_access.reporting.cells import neutralise
from data_access.reporting.context import plan_year
from data_access.reporting.files import CODE_SHEET, INSTRUCTION_SHEET, MAX_FILE_BYTES, MAX_ROWS
from data_access.reporting.kinds import get as get_kind
from data_access.reporting.kinds.base import BLANK_ROWS, ReportKind
from data_access.schema.models import Unit

__all__ = ["BLANK_ROWS", "Template", "build_template", "parse_period"]
from data_access.present.exports import print_setup
from data_access.present.safe_text import file_name

VALIDATED_ROWS = 1000  # drop-downs reach this far below the header
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
INFO_FILL = PatternFill("solid", fgColor="F2F2F2")
# What the template fills in from the database (codes, names, the unit of measure) is locked: the
# data sheet is protected without a password, so Excel/WPS refuse a careless edit of those cells
# (the importer still compares them: checks.template_mismatch). Every other cell, and every cell
# below the filled-in rows, stays editable.
LOCKED_TYPES = ("unit", "target", "info")
UNLOCKED = Protection(locked=False)


@dataclass(frozen=True)
class Template:
    file_name: str
    data: bytes
    period_label: str


def parse_period(kind: str, period: Any, start: dt.date, end: dt.date, today: dt.date) -> Any:
    """A template's period (see kinds.periods.Period.parse): the reporting week (start, end) for
    progress, the month's first day for membership, the day of filling in for the registries."""
    return get_kind(kind).period.parse(period, start, end, today)


def _code_sheet(wb: Workbook, conn: Connection, year: int, kind: ReportKind) -> dict[str, str]:
    """Write the lists the drop-downs read; return column key -> range formula."""
    ws = wb.create_sheet(CODE_SHEET)
    units = conn.execute(select(Unit.code, Unit.name_zh).where(Unit.active.is_(True))
                         .order_by(Unit.sort_order, Unit.code)).all()
    lists: dict[str, tuple[str, list[Any]]] = {
        "unit_code": ("单位代码", [u[0] for u in units]), "unit_name": ("单位名称", [u[1] for u in units]),
        **kind.code_lists(conn, year)}
    for col in kind.columns:
        if col.type == "choice" and col.choices is not None:
            lists[col.key] = (col.label, list(col.choices))
    ranges = {}
    for i, (key, (label, values)) in enumerate(lists.items(), start=1):
        letter = get_column_letter(i)
        ws.cell(1, i, label).font = Font(bold=True)
        for r, value in enumerate(values, start=2):
            ws.cell(r, i, neutralise(value)).number_format = "@" if key == "unit_code" else "General"
        ws.column_dimensions[letter].width = 30 if key == "target_name" else 14
        ranges[key] = f"{quote_sheetname(CODE_SHEET)}!${letter}$2:${letter}${len(values) + 1}"
    ws.freeze_panes = "A2"
    return ranges


def _validations(ws: Worksheet, kind: ReportKind, ranges: dict[str, str], start: dt.date, end: dt.date) -> None:
    last = VALIDATED_ROWS + 1
    for i, col in enumerate(kind.columns, start=1):
        cells = f"{get_column_letter(i)}2:{get_column_letter(i)}{last}"
        if col.key in ranges and col.type in ("unit", "target", "choice"):
            dv = DataValidation(type="list", formula1=ranges[col.key], allow_blank=not col.required)
            dv.error, dv.errorTitle = f"请从下拉列表中选择{col.label}", "输入无效"
        elif col.type == "date":
            dv = DataValidation(type="date", operator="between", allow_blank=not col.required,
                                formula1=f"DATE({start.year},{start.month},{start.day})",
                                formula2=f"DATE({end.year},{end.month},{end.day})")
            dv.error, dv.errorTitle = f"请填写{start}至{end}之间的日期，如 {start}", "日期无效"
        elif col.type in ("number", "int"):
            dv = DataValidation(type="whole" if col.type == "int" else "decimal", formula1="0",
                                operator="greaterThanOrEqual", allow_blank=not col.required)
            dv.error, dv.errorTitle = "请填写不小于0的数字（不要用公式）", "数字无效"
        else:
            continue
        dv.showErrorMessage = True
        if col.help:
            dv.prompt, dv.promptTitle, dv.showInputMessage = col.help, col.label, True
        ws.add_data_validation(dv)
        dv.add(cells)


def _instructions(ws: Worksheet, kind: ReportKind, unit: str, unit_name: str, year: int, label: str,
                  today: dt.date) -> None:
    lines = [
        (f"平顶山市总工会 · {kind.title} · 模板", None),
        ("填报单位", f"{unit_name}（{unit}）"),
        ("计划年度", f"{year}年"),
        (kind.period.heading, label),
        ("模板生成日期", f"{today:%Y-%m-%d}"),
        (None, None),
        ("填报要求", None),
        ("1", f"只在“{kind.sheet}”工作表填写；不要增删、改名或移动列，不要改工作表名称。"),
        ("2", "表头带 * 的列必填；代码和类别请从下拉列表选择（全部代码见“代码表”）。"),
        ("3", "请填写数值，不要使用公式；从其他表格复制时请“选择性粘贴—数值”。"),
        *[(str(i), note) for i, note in enumerate(kind.notes, start=4)],
        (str(4 + len(kind.notes)), "上传后由市总工会审核；审核通过后计入看板。任何一处错误都会使整个文件被退回并列出所在行、列。"),
        (str(5 + len(kind.notes)),
         f"文件不超过{MAX_FILE_BYTES // 1024 // 1024}MB、{MAX_ROWS}行；也可另存为 CSV（UTF-8 或 GB18030 编码）。"),
        (None, None),
        ("列名", "必填 / 说明 / 可选值"),
    ]
    for col in kind.columns:
        parts = ["必填" if col.required and col.type != "info" else ("不导入" if col.type == "info" else "选填")]
        parts += [col.help] if col.help and col.type != "info" else []
        parts += ["可选：" + "、".join(col.choices)] if col.choices else []
        lines.append((col.label, "；".join(parts)))
    for r, (a, b) in enumerate(lines, start=1):
        if a is not None:
            ws.cell(r, 1, a).font = Font(bold=r == 1 or a in ("填报要求", "列名"), size=14 if r == 1 else 11)
        if b is not None:
            ws.cell(r, 2, neutralise(b)).alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 90


def build_template(engine: Engine, kind: str, unit_code: str, period: Any = None, year: int | None = None,
                   today: dt.date | None = None) -> Template:
    """The .xlsx template of `kind` for one unit and period (see `parse_period`)."""
    report = get_kind(kind)
    today = today or clock.today()
    with engine.connect() as conn:
        year, start, end = plan_year(conn, year, today)
        unit = conn.execute(select(Unit.name_zh).where(Unit.code == unit_code)).scalar()
        if unit is None:
            raise DataAccessError(f"未知单位代码“{unit_code}”", f"Unknown unit code {unit_code}")
        the_period = report.period.parse(period, start, end, today)
        rows = report.template_rows(conn, unit_code, unit, year, the_period)
        wb = Workbook()
        ws = wb.active
        assert isinstance(ws, Worksheet)
        ws.title = report.sheet
        ranges = _code_sheet(wb, conn, year, report)
    for i, col in enumerate(report.columns, start=1):
        head = ws.cell(1, i, col.label + ("*" if col.required and col.type != "info" else ""))
        head.font, head.fill = Font(bold=True), HEADER_FILL
        ws.column_dimensions[get_column_letter(i)].width = col.width
        ws.column_dimensions[get_column_letter(i)].protection = UNLOCKED
        number_format = {"unit": "@", "date": "yyyy-mm-dd", "month": "yyyy-mm"}.get(col.type)
        for r, row in enumerate(rows, start=2):
            cell = ws.cell(r, i, neutralise(row.get(col.key)))
            if number_format:
                cell.number_format = number_format
            if col.type == "info":
                cell.fill = INFO_FILL
            if col.type not in LOCKED_TYPES:
                cell.protection = UNLOCKED
    ws.freeze_panes = "A2"
    ws.protection.formatColumns = ws.protection.formatRows = False  # widths may still change
    ws.protection.sheet = True
    _validations(ws, report, ranges, start, end)
    label = report.period.label(the_period)
    _instructions(wb.create_sheet(INSTRUCTION_SHEET, 1), report, unit_code, unit, year, label, today)
    for sheet in wb.worksheets:  # A4 landscape, one page wide, header row repeated (present.exports)
        print_setup(sheet, f"平顶山市总工会 · {report.title} · {unit}（{unit_code}）", label,
                    header_rows=None if sheet.title == INSTRUCTION_SHEET else "1:1")
    buf = io.BytesIO()
    wb.save(buf)
    name = f"{report.title}_{unit}_{report.period.stamp(the_period)}.xlsx"
    return Template(file_name(name.replace("（", "_").replace("）", "")), buf.getvalue(), label)
