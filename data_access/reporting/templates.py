"""The Excel templates the county offices fill in: one per kind of report (validation.KINDS).

Each workbook has the data sheet (header, the unit and period already filled in, drop-down lists
for codes and choices, date and number checks), an instruction sheet, and a code sheet the drop-downs
read from. The importer reads exactly these columns back. Text from the database is neutralised so
a name starting with = never becomes a formula.
"""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import Engine, or_, select

from data_access.reporting import validation as v
from data_access import clock
from data_access.errors import DataAccessError
from data_access.kpis import calendar
from data_access.schema.models import BATCH_APPROVED, MEASURE_REPORTED, Facility, ImportBatch, NeMembership, PlanYear, Target, Unit
from data_access.present.safe_text import file_name

BLANK_ROWS = 30  # empty lines (unit filled in) for new entries in the registry templates
VALIDATED_ROWS = 1000  # drop-downs reach this far below the header
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
INFO_FILL = PatternFill("solid", fgColor="F2F2F2")
DEFAULT_COMBOS = [("外卖配送", "美团"), ("外卖配送", "饿了么"), ("外卖配送", "其他"), ("快递", "顺丰"),
                  ("快递", "中通"), ("快递", "韵达"), ("快递", "京东"), ("快递", "其他"), ("网约车", "滴滴"),
                  ("网约车", "曹操出行"), ("网约车", "其他"), ("货车司机", "满帮"), ("货车司机", "其他"),
                  ("家政服务", "其他")]

KIND_NOTES = {
    "progress": ["“本期完成数”填本周（周六至周五）新增的完成数，不是累计数；没有进展填0。",
                 "更正已报的数：改正后重新上传同一周的数据并在“备注”写明原因；系统保留每一次上报的版本。",
                 "单周数字超过全年目标、负数、未来日期都会被拒收。"],
    "facilities": ["已登记的设施已列出：修改信息直接改该行；“名称”与已登记的一致即视为修改，改名请联系市总。",
                   "新设施填在下面的空行；坐标为 WGS84 经纬度（十进制度），须位于本单位辖区内。",
                   "停用的设施把“状态”改为“关闭”并填写停用日期；不要删除行。"],
    "union_orgs": ["只填本计划年度内新建的基层工会，每个工会一行。",
                   "新业态工会（外卖、快递、网约车、货车司机、家政等）请选择行业和平台。"],
    "membership": ["每个行业、平台一行，填当月新发展的新业态劳动者会员数；没有填0。",
                   "列表外的平台请填“其他”；更正已报月份的数：改正后重新上传，系统保留每个版本。"],
}


@dataclass(frozen=True)
class Template:
    file_name: str
    data: bytes
    period_label: str


def _plan_year(conn, year: int | None, today: dt.date) -> tuple[int, dt.date, dt.date]:
    rows = conn.execute(select(PlanYear.year, PlanYear.start_date, PlanYear.end_date)
                        .order_by(PlanYear.year)).all()
    if not rows:
        raise DataAccessError("数据库中没有计划年度", "The database has no plan year")
    if year is None:
        chosen = {r[0]: r for r in rows}[calendar.plan_year_of(today, [tuple(r) for r in rows])]
    else:
        chosen = next((r for r in rows if r[0] == year), None)
        if chosen is None:
            raise DataAccessError(f"没有{year}计划年度", f"No plan year {year}")
    return chosen[0], chosen[1], chosen[2]


def parse_period(kind: str, period, start: dt.date, end: dt.date, today: dt.date):
    """A template's period: the reporting week (start, end) for progress, the month's first day for
    membership, the day of filling in for the registries. `period` is a date or text; None picks
    the latest week or month that is complete."""
    if isinstance(period, str) and period.strip():
        text = period.strip()
        try:
            period = v.parse_month(text) if kind == "membership" and len(text) <= 8 else v.parse_date(text)
        except v.CellError:
            raise DataAccessError(f"无法识别的周期“{text}”（周报填日期如 2023-06-30，月报填 2023-05）",
                                  f"Unrecognised period “{text}”") from None
    elif not isinstance(period, dt.date):
        period = None
    if kind == "progress":
        if period is None:  # the latest week that has ended by today
            period = calendar.last_reporting_week_end(today, start, end) or start
        day = period
        if not start <= day <= end:
            raise DataAccessError(f"日期{day}不在计划年度内（{start}至{end}）", f"{day} is outside the plan year")
        return v.week_bounds(day, start, end)
    if kind == "membership":
        last_month = (min(today, end).replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        month = (period or max(last_month, start.replace(day=1))).replace(day=1)
        if not start.replace(day=1) <= month <= end:
            raise DataAccessError(f"月份{month:%Y-%m}不在计划年度内", f"{month:%Y-%m} is outside the plan year")
        return month
    return period or today


def period_label(kind: str, period) -> str:
    if kind == "progress":
        return f"{period[0]:%Y-%m-%d} 至 {period[1]:%Y-%m-%d}"
    if kind == "membership":
        return f"{period:%Y年%m月}"
    return f"{period:%Y-%m-%d}"


def _rows(conn, kind: str, unit: str, unit_name: str, year: int, period) -> list[dict]:
    base = {"unit_code": unit, "unit_name": unit_name}
    if kind == "progress":
        targets = conn.execute(select(Target.code, Target.name_zh, Target.unit_zh).where(
            Target.year == year, Target.measure == MEASURE_REPORTED).order_by(Target.sort_order, Target.code))
        return [{**base, "target_code": c, "target_name": n, "unit_zh": u, "period_start": period[0],
                 "period_end": period[1]} for c, n, u in targets]
    if kind == "membership":
        m = NeMembership
        combos = conn.execute(select(m.industry, m.platform).distinct().where(m.unit_code == unit)
                              .order_by(m.industry, m.platform)).all() or DEFAULT_COMBOS
        return [{**base, "month": period, "industry": i, "platform": p} for i, p in combos
                if i in v.NE_INDUSTRIES and p in v.PLATFORMS]
    rows = []
    if kind == "facilities":
        f = Facility
        approved = select(ImportBatch.id).where(ImportBatch.status == BATCH_APPROVED)
        existing = conn.execute(select(*f.__table__.c).where(
            f.unit_code == unit, f.superseded_at.is_(None),
            or_(f.batch_id.is_(None), f.batch_id.in_(approved)))
            .order_by(f.kind, f.opened_on, f.id)).all()
        kinds = {stored: label for label, stored in v.FACILITY_KINDS.items()}
        states = {stored: label for label, stored in v.FACILITY_STATUS.items()}
        copied = ("name", "address", "host_org", "lat", "lon", "opened_on", "closed_on", "services",
                  "capacity")
        rows = [{**base, **{k: getattr(e, k) for k in copied}, "kind": kinds.get(e.kind, e.kind),
                 "status": states.get(e.status, e.status)} for e in existing]
    return rows + [dict(base) for _ in range(BLANK_ROWS)]


def _code_sheet(wb: Workbook, conn, year: int, kind: v.ReportKind) -> dict[str, str]:
    """Write the lists the drop-downs read; return column key -> range formula."""
    ws = wb.create_sheet(v.CODE_SHEET)
    units = conn.execute(select(Unit.code, Unit.name_zh).where(Unit.active.is_(True))
                         .order_by(Unit.sort_order, Unit.code)).all()
    targets = conn.execute(select(Target.code, Target.name_zh, Target.unit_zh, Target.value, Target.measure)
                           .where(Target.year == year).order_by(Target.sort_order, Target.code)).all()
    if kind.code == "progress":
        targets = [t for t in targets if t.measure == MEASURE_REPORTED]
    lists = {"unit_code": ("单位代码", [u[0] for u in units]), "unit_name": ("单位名称", [u[1] for u in units])}
    if kind.code == "progress":
        lists.update({"target_code": ("指标代码", [t[0] for t in targets]),
                      "target_name": ("指标名称", [t[1] for t in targets]),
                      "unit_zh": ("计量单位", [t[2] for t in targets]),
                      "target_value": ("全年目标", [t[3] for t in targets])})
    for col in kind.columns:
        if col.type == "choice":
            lists[col.key] = (col.label, list(col.choices))
    ranges = {}
    for i, (key, (label, values)) in enumerate(lists.items(), start=1):
        letter = get_column_letter(i)
        ws.cell(1, i, label).font = Font(bold=True)
        for r, value in enumerate(values, start=2):
            ws.cell(r, i, v.neutralise(value)).number_format = "@" if key == "unit_code" else "General"
        ws.column_dimensions[letter].width = 30 if key == "target_name" else 14
        ranges[key] = f"{quote_sheetname(v.CODE_SHEET)}!${letter}$2:${letter}${len(values) + 1}"
    ws.freeze_panes = "A2"
    return ranges


def _validations(ws, kind: v.ReportKind, ranges: dict[str, str], start: dt.date, end: dt.date) -> None:
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


def _instructions(ws, kind: v.ReportKind, unit: str, unit_name: str, year: int, label: str,
                  today: dt.date) -> None:
    lines = [
        (f"平顶山市总工会 · {kind.title} · 模板", None),
        ("填报单位", f"{unit_name}（{unit}）"),
        ("计划年度", f"{year}年"),
        ("填报周期" if kind.code in ("progress", "membership") else "填报日期", label),
        ("模板生成日期", f"{today:%Y-%m-%d}"),
        (None, None),
        ("填报要求", None),
        ("1", f"只在“{kind.sheet}”工作表填写；不要增删、改名或移动列，不要改工作表名称。"),
        ("2", "表头带 * 的列必填；代码和类别请从下拉列表选择（全部代码见“代码表”）。"),
        ("3", "请填写数值，不要使用公式；从其他表格复制时请“选择性粘贴—数值”。"),
        *[(str(i), note) for i, note in enumerate(KIND_NOTES[kind.code], start=4)],
        (str(4 + len(KIND_NOTES[kind.code])), "上传后由市总工会审核；审核通过后计入看板。任何一处错误都会使整个文件被退回并列出所在行、列。"),
        (str(5 + len(KIND_NOTES[kind.code])),
         f"文件不超过{v.MAX_FILE_BYTES // 1024 // 1024}MB、{v.MAX_ROWS}行；也可另存为 CSV（UTF-8 或 GB18030 编码）。"),
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
            ws.cell(r, 2, v.neutralise(b)).alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 90


def build_template(engine: Engine, kind: str, unit_code: str, period=None, year: int | None = None,
                   today: dt.date | None = None) -> Template:
    """The .xlsx template of `kind` for one unit and period (see `parse_period`)."""
    if kind not in v.KIND_ALIASES:
        raise DataAccessError(f"未知报表类型“{kind}”（可选：{'、'.join(v.KINDS)}）", f"Unknown kind {kind}")
    report = v.KINDS[v.KIND_ALIASES[kind]]
    today = today or clock.today()
    with engine.connect() as conn:
        year, start, end = _plan_year(conn, year, today)
        unit = conn.execute(select(Unit.name_zh).where(Unit.code == unit_code)).scalar()
        if unit is None:
            raise DataAccessError(f"未知单位代码“{unit_code}”", f"Unknown unit code {unit_code}")
        the_period = parse_period(report.code, period, start, end, today)
        rows = _rows(conn, report.code, unit_code, unit, year, the_period)
        wb = Workbook()
        ws = wb.active
        ws.title = report.sheet
        ranges = _code_sheet(wb, conn, year, report)
    for i, col in enumerate(report.columns, start=1):
        head = ws.cell(1, i, col.label + ("*" if col.required and col.type != "info" else ""))
        head.font, head.fill = Font(bold=True), HEADER_FILL
        ws.column_dimensions[get_column_letter(i)].width = col.width
        number_format = {"unit": "@", "date": "yyyy-mm-dd", "month": "yyyy-mm"}.get(col.type)
        for r, row in enumerate(rows, start=2):
            cell = ws.cell(r, i, v.neutralise(row.get(col.key)))
            if number_format:
                cell.number_format = number_format
            if col.type == "info":
                cell.fill = INFO_FILL
    ws.freeze_panes = "A2"
    _validations(ws, report, ranges, start, end)
    _instructions(wb.create_sheet(v.INSTRUCTION_SHEET, 1), report, unit_code, unit, year,
                  period_label(report.code, the_period), today)
    buf = io.BytesIO()
    wb.save(buf)
    label = period_label(report.code, the_period)
    stamp = (the_period[1] if report.code == "progress" else the_period)
    name = f"{report.title}_{unit}_{stamp:%Y%m%d}.xlsx" if report.code != "membership" else \
        f"{report.title}_{unit}_{stamp:%Y%m}.xlsx"
    return Template(file_name(name.replace("（", "_").replace("）", "")), buf.getvalue(), label)
