"""What a county's upload must look like, and the checks each row goes through. No database here.

The four kinds of report share one description (`KINDS`) that the template writer and the importer
both read: column labels, types, drop-down choices. Reading a file (`read_table`) and checking its
rows (`check_rows`) produce `Issue`s that name the file, sheet, row and column in Chinese; any issue
rejects the whole file (`ImportRejected`).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from data_access.errors import DataAccessError
from data_access.kpis import calendar

MAX_FILE_BYTES = 5 * 1024 * 1024  # a week's report is a few kB; this stops accidents, not attackers
MAX_ROWS = 5000  # data rows per file
MAX_ISSUES = 200  # stop collecting after this many (the message shows the first ones)
MAX_TEXT = 200

GEO_DIR = Path(__file__).resolve().parents[2] / "sample_data" / "geo"
CITY_CODE = "410400"
# Functional zones have no polygon of their own: they manage parts of these counties.
ZONE_HOSTS = {"410471": ("410403", "410422"), "410472": ("410402",)}

FACILITY_KINDS = {"爱心驿站": "care_station", "爱心托管班": "childcare_class"}
FACILITY_STATUS = {"正常": "open", "暂停": "paused", "关闭": "closed"}
YES_NO = {"是": True, "否": False}
SECTORS = ("企业", "机关事业", "社会组织", "村社区", "行业联合会")
NE_INDUSTRIES = ("外卖配送", "快递", "网约车", "货车司机", "家政服务")
ORG_INDUSTRIES = NE_INDUSTRIES + ("物流与电商",)
PLATFORMS = ("美团", "饿了么", "顺丰", "中通", "韵达", "京东", "苏宁易购", "滴滴", "曹操出行", "满帮", "其他")


# ---------------------------------------------------------------------------------------------
# the description of each kind of report


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    type: str  # unit | target | text | number | int | date | month | choice | info (shown, not read)
    required: bool = True
    choices: Mapping[str, Any] | None = None  # label shown in the drop-down -> stored value
    help: str = ""
    width: int = 14


@dataclass(frozen=True)
class ReportKind:
    code: str  # progress | facilities | union_orgs | membership (ImportBatch.kind)
    title: str
    sheet: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # what identifies one figure or entry (duplicates in a file)
    key_text: str

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


def _choices(values) -> dict[str, Any]:
    return dict(values) if isinstance(values, dict) else {v: v for v in values}


UNIT = Column("unit_code", "单位代码", "unit", help="6位区划代码，从下拉列表选择", width=12)
UNIT_NAME = Column("unit_name", "单位名称", "info", required=False, help="仅供核对，不导入")

KINDS: dict[str, ReportKind] = {k.code: k for k in (
    ReportKind("progress", "周进度填报", "周进度", (
        UNIT, UNIT_NAME,
        Column("target_code", "指标代码", "target", help="T01…T11，从下拉列表选择", width=10),
        Column("target_name", "指标名称", "info", required=False, help="仅供核对，不导入", width=36),
        Column("unit_zh", "计量单位", "info", required=False, help="仅供核对，不导入", width=10),
        Column("period_start", "周期开始", "date", help="周六（年初为1月1日）", width=12),
        Column("period_end", "周期结束", "date", help="周五（年末为12月31日）", width=12),
        Column("value", "本期完成数", "number", help="本周新增完成数，无进展填0；不得为负", width=12),
        Column("note", "备注", "text", required=False, help="更正时请注明原因", width=30),
    ), ("unit_code", "target_code", "period_start", "period_end"), "同一单位、指标、周期"),
    ReportKind("facilities", "驿站与托管班登记", "设施登记", (
        UNIT, UNIT_NAME,
        Column("kind", "设施类型", "choice", choices=FACILITY_KINDS, width=12),
        Column("name", "名称", "text", help="与已登记名称一致即视为修改该设施", width=32),
        Column("address", "地址", "text", width=36),
        Column("host_org", "承办单位", "text", width=28),
        Column("lat", "纬度", "number", help="WGS84 十进制度，如 33.7387", width=11),
        Column("lon", "经度", "number", help="WGS84 十进制度，如 113.2877", width=11),
        Column("opened_on", "启用日期", "date", width=12),
        Column("closed_on", "停用日期", "date", required=False, help="状态为“关闭”时必填", width=12),
        Column("status", "状态", "choice", choices=FACILITY_STATUS, width=8),
        Column("services", "服务内容", "text", required=False, help="如：饮水、充电、休息", width=28),
        Column("capacity", "托管名额", "int", required=False, help="托管班填写", width=10),
    ), ("kind", "unit_code", "name"), "同一单位、设施类型、名称"),
    ReportKind("union_orgs", "新建基层工会", "新建工会", (
        UNIT, UNIT_NAME,
        Column("name", "工会名称", "text", width=36),
        Column("founded_on", "建会日期", "date", width=12),
        Column("sector", "所属领域", "choice", choices=_choices(SECTORS), width=12),
        Column("is_new_economy", "是否新业态", "choice", choices=YES_NO, width=10),
        Column("industry", "行业", "choice", required=False, choices=_choices(ORG_INDUSTRIES),
               help="新业态工会必填", width=12),
        Column("platform", "平台", "choice", required=False, choices=_choices(PLATFORMS), width=10),
        Column("members_at_founding", "建会时会员数", "int", required=False, width=12),
    ), ("unit_code", "name"), "同一单位、工会名称"),
    ReportKind("membership", "新业态劳动者入会（按月）", "新业态入会", (
        UNIT, UNIT_NAME,
        Column("month", "月份", "month", help="如 2023-05", width=10),
        Column("industry", "行业", "choice", choices=_choices(NE_INDUSTRIES), width=12),
        Column("platform", "平台", "choice", choices=_choices(PLATFORMS), help="列表外的平台填“其他”", width=10),
        Column("new_members", "新入会人数", "int", help="当月新发展会员数，无则填0", width=12),
    ), ("unit_code", "month", "industry", "platform"), "同一单位、月份、行业、平台"),
)}

KIND_ALIASES = {**{k: k for k in KINDS}, **{k.title: k.code for k in KINDS.values()},
                **{k.sheet: k.code for k in KINDS.values()}}
INSTRUCTION_SHEET = "填报说明"
CODE_SHEET = "代码表"


# ---------------------------------------------------------------------------------------------
# issues


@dataclass(frozen=True)
class Issue:
    """One problem in a file. `where()` + message is the line a user reads."""

    file: str
    message: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None  # the header label
    col_pos: str | None = None  # "H" in a workbook, "第8列" in a CSV

    def line(self) -> str:
        parts = [f"文件“{self.file}”"]
        if self.sheet:
            parts.append(f"工作表“{self.sheet}”")
        if self.row:
            parts.append(f"第{self.row}行")
        if self.column:
            parts.append(f"“{self.column}”列" + (f"（{self.col_pos}）" if self.col_pos else ""))
        return "，".join(parts) + "：" + self.message


class ImportRejected(DataAccessError):
    """The file was refused; nothing was written. `issues` lists every problem found."""

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        shown = "\n".join(i.line() for i in issues[:20])
        more = f"\n……另有{len(issues) - 20}处问题" if len(issues) > 20 else ""
        super().__init__(f"文件未导入，共发现{len(issues)}处问题：\n{shown}{more}")


# ---------------------------------------------------------------------------------------------
# reading a file into a header and rows of raw cell values


@dataclass
class Table:
    file: str
    sheet: str | None  # None for CSV
    header: list[Any]
    header_row: int
    rows: list[tuple[int, list[Any]]]  # (row number in the file, cells)
    is_csv: bool = False
    columns: dict[str, int] = field(default_factory=dict)  # column key -> index, set by check_rows

    def col_pos(self, index: int) -> str:
        if self.is_csv:
            return f"第{index + 1}列"
        from openpyxl.utils import get_column_letter

        return f"{get_column_letter(index + 1)}列"


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM) first; GB18030 (what Excel and WPS in China write) otherwise."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _read_csv(data: bytes, file: str) -> Table:
    try:
        text = decode_csv(data)
    except UnicodeDecodeError:
        raise ImportRejected([Issue(file, "无法识别文件编码，请另存为 UTF-8 或 GB18030 编码的 CSV")])
    first = text.split("\n", 1)[0]
    delimiter = max(",\t;", key=first.count)
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    table = Table(file, None, [], 0, [], is_csv=True)
    for number, cells in enumerate(records, start=1):
        if all(_blank(c) for c in cells):
            continue
        if not table.header:
            table.header, table.header_row = cells, number
            continue
        table.rows.append((number, cells))
        if len(table.rows) > MAX_ROWS:
            break
    return table


def _pick_sheet(names: list[str]) -> str:
    for name in names:
        if name in KIND_ALIASES:
            return name
    rest = [n for n in names if n not in (INSTRUCTION_SHEET, CODE_SHEET)]
    return (rest or names)[0]


def _read_xlsx(data: bytes, file: str) -> Table:
    from openpyxl import load_workbook

    try:
        values_wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        formula_wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportRejected([Issue(file, f"无法读取 Excel 文件（文件已损坏或不是 .xlsx 格式）：{exc}")])
    try:
        sheet = _pick_sheet(values_wb.sheetnames)
        # Formulas are never evaluated: the value is the one Excel saved with the file. The second
        # reading only finds which cells hold a formula, to refuse those saved without a value.
        formulas = set()
        for r, row in enumerate(formula_wb[sheet].iter_rows(), start=1):
            if r > MAX_ROWS + 10:
                break
            formulas.update((r, c) for c, cell in enumerate(row) if getattr(cell, "data_type", None) == "f")
        table = Table(file, sheet, [], 0, [])
        for r, row in enumerate(values_wb[sheet].iter_rows(values_only=True), start=1):
            cells = list(row)
            for c, value in enumerate(cells):
                if (r, c) in formulas and value is None:
                    cells[c] = _FormulaWithoutValue()
            if all(_blank(v) for v in cells):
                continue
            if not table.header:
                table.header, table.header_row = cells, r
                continue
            table.rows.append((r, cells))
            if len(table.rows) > MAX_ROWS:
                break
        return table
    finally:
        values_wb.close()
        formula_wb.close()


class _FormulaWithoutValue:
    """Marks a formula cell saved without a computed value (openpyxl-written files, some exports)."""


def read_table(data: bytes, file: str) -> Table:
    """The header and rows of the data sheet of an .xlsx, or of a .csv; size and row caps applied."""
    if len(data) > MAX_FILE_BYTES:
        raise ImportRejected([Issue(file, f"文件过大（{len(data) / 1024 / 1024:.1f} MB），上限为 "
                                          f"{MAX_FILE_BYTES / 1024 / 1024:.0f} MB；请拆分成多个文件上传")])
    suffix = Path(file).suffix.lower()
    if suffix == ".xls":
        raise ImportRejected([Issue(file, "不支持旧版 .xls 格式，请在 Excel/WPS 中另存为 .xlsx 后上传")])
    if suffix == ".xlsx" or data[:2] == b"PK":
        table = _read_xlsx(data, file)
    elif suffix in (".csv", ".txt"):
        table = _read_csv(data, file)
    else:
        raise ImportRejected([Issue(file, "只接受 .xlsx 或 .csv 文件（请使用下载的模板）")])
    if len(table.rows) > MAX_ROWS:
        raise ImportRejected([Issue(file, f"数据行过多（超过{MAX_ROWS}行），上限为{MAX_ROWS}行；请拆分成多个文件上传",
                                    table.sheet)])
    if not table.header:
        raise ImportRejected([Issue(file, "文件是空的，没有表头和数据", table.sheet)])
    return table


# ---------------------------------------------------------------------------------------------
# header: which kind, which column is which


def normalise_label(value) -> str:
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    return re.sub(r"\s+|\*$|\(必填\)$", "", text)


_LABELS = {code: {normalise_label(c.label): c for c in k.columns} for code, k in KINDS.items()}


def detect_kind(table: Table, kind: str | None = None) -> ReportKind:
    """The kind named by the caller, by the sheet name, or whose labels the header matches best."""
    if kind is None and table.sheet in KIND_ALIASES:
        kind = KIND_ALIASES[table.sheet]
    if kind is not None:
        if kind not in KIND_ALIASES:
            raise ImportRejected([Issue(table.file, f"未知报表类型“{kind}”")])
        return KINDS[KIND_ALIASES[kind]]
    labels = {normalise_label(h) for h in table.header if not _blank(h)}
    scores = {code: len(labels & set(by_label)) for code, by_label in _LABELS.items()}
    best = max(scores.values())
    winners = [code for code, s in scores.items() if s == best]
    if best <= 2 or len(winners) > 1:  # 单位代码/单位名称 alone say nothing
        raise ImportRejected([Issue(table.file, "无法识别报表类型：表头与任何模板都不符，请使用下载的模板",
                                    table.sheet, table.header_row)])
    return KINDS[winners[0]]


def map_columns(table: Table, kind: ReportKind) -> tuple[dict[str, int], list[Issue]]:
    """Column key -> index in the row; issues for unknown, repeated or missing required columns."""
    index: dict[str, int] = {}
    issues = []
    by_label = _LABELS[kind.code]
    for i, head in enumerate(table.header):
        if _blank(head):
            continue
        col = by_label.get(normalise_label(head))
        if col is None:
            issues.append(Issue(table.file, f"未知的列“{head}”：请勿增加或改名模板中的列", table.sheet,
                                table.header_row, str(head), table.col_pos(i)))
        elif col.key in index:
            issues.append(Issue(table.file, "列重复", table.sheet, table.header_row, col.label,
                                table.col_pos(i)))
        else:
            index[col.key] = i
    for col in kind.columns:
        if col.required and col.key not in index:
            issues.append(Issue(table.file, f"缺少必填列“{col.label}”", table.sheet, table.header_row))
    return index, issues


# ---------------------------------------------------------------------------------------------
# cells


class CellError(ValueError):
    pass


def neutralise(value: object) -> object:
    """A cell value for a template (exports): the one rule of present.exports.neutralise: control
    and direction characters shown as 〓, text a spreadsheet would run as a formula prefixed with
    an apostrophe."""
    from data_access.present.exports import neutralise as export_neutralise

    return export_neutralise(value)


def _text(value) -> str | None:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if text.startswith("'") and text[1:2] in ("=", "+", "-", "@"):
        text = text[1:]  # undo `neutralise`, so an exported name comes back unchanged
    return text or None


_ERRORS = ("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!")


def _number(value) -> float:
    if isinstance(value, bool):
        raise CellError("应为数字")
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "")
        try:
            number = float(text)
        except ValueError:
            raise CellError(f"应为数字，实际为“{value}”") from None
    if math.isnan(number) or math.isinf(number):
        raise CellError(f"应为数字，实际为“{value}”")
    return number


def _int(value) -> int:
    number = _number(value)
    if not number.is_integer():
        raise CellError(f"应为整数，实际为“{value}”")
    return int(number)


_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_MONTH_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")


def parse_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 20000 < value < 80000:
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(value))  # an Excel serial day number
    text = unicodedata.normalize("NFKC", str(value)).strip()
    m = _DATE_RE.match(text.split(" ")[0] if re.match(r"^\d{4}-\d", text) else text)
    if m:
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            pass
    raise CellError(f"应为日期（如 2023-06-30），实际为“{value}”")


def parse_month(value) -> dt.date:
    if not isinstance(value, (dt.date, int, float)):
        m = _MONTH_RE.match(unicodedata.normalize("NFKC", str(value)).strip())
        if m and 1 <= int(m[2]) <= 12:
            return dt.date(int(m[1]), int(m[2]), 1)
    try:
        return parse_date(value).replace(day=1)
    except CellError:
        raise CellError(f"应为月份（如 2023-05），实际为“{value}”") from None


def parse_cell(col: Column, value, ctx: "Context"):
    """The stored value of one cell, or CellError with the reason."""
    if isinstance(value, _FormulaWithoutValue):
        raise CellError("单元格含公式且没有保存计算结果；请复制后“选择性粘贴为数值”再上传")
    if isinstance(value, str) and value.strip() in _ERRORS:
        raise CellError(f"单元格为错误值“{value.strip()}”")
    if _blank(value):
        if col.required:
            hint = "（无进展请填0）" if col.type in ("number", "int") else ""
            raise CellError("必填，不能为空" + hint)
        return None
    if col.type == "text":
        text = _text(value)
        if text and len(text) > MAX_TEXT * (3 if col.key == "note" else 1):
            raise CellError(f"文字过长（{len(text)}字）")
        return text
    if col.type == "number":
        return _number(value)
    if col.type == "int":
        return _int(value)
    if col.type == "date":
        return parse_date(value)
    if col.type == "month":
        return parse_month(value)
    text = _text(value)
    if col.type == "unit":
        code = text.split(".")[0] if text and re.fullmatch(r"\d+\.0+", text) else text
        if code not in ctx.units:
            raise CellError(f"未知单位代码“{text}”")
        return code
    if col.type == "target":
        code = (text or "").upper()
        if code not in ctx.targets:
            raise CellError(f"未知指标代码“{text}”（{ctx.year}年度没有该指标）")
        return code
    if col.type == "choice":
        for label, stored in col.choices.items():
            if text == label or text == stored:
                return stored
        raise CellError(f"“{text}”不在可选项中（可选：{'、'.join(col.choices)}）")
    raise AssertionError(col.type)


# ---------------------------------------------------------------------------------------------
# rows


@dataclass(frozen=True)
class UnitInfo:
    name_zh: str
    kind: str


@dataclass(frozen=True)
class TargetInfo:
    id: int
    name_zh: str
    unit_zh: str
    value: float
    measure: str


@dataclass(frozen=True)
class Context:
    """What the checks need to know about the database and the moment of the upload."""

    year: int
    start: dt.date
    end: dt.date
    now: dt.datetime
    units: Mapping[str, UnitInfo]
    targets: Mapping[str, TargetInfo]
    allowed_units: frozenset[str] | None = None  # None: every unit (the city federation)


@dataclass
class Row:
    line: int
    values: dict[str, Any]


def week_bounds(day: dt.date, start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The reporting week (Saturday to Friday) containing `day`, cut to the plan year."""
    return calendar.reporting_week(day, start, end)


def _fmt_amount(value: float, unit: str) -> str:
    return f"{value:,.0f}{unit}" if float(value).is_integer() else f"{value:,.2f}{unit}"


def _in_year(ctx: Context, day: dt.date) -> bool:
    return ctx.start <= day <= ctx.end


def _check_progress(v: dict, ctx: Context) -> list[tuple[str | None, str]]:
    out = []
    target = ctx.targets.get(v["target_code"])
    if target and target.measure != "reported":
        out.append(("target_code", f"指标{v['target_code']}不按周填报（由登记表自动统计），请用对应模板"))
    for key in ("period_start", "period_end"):
        if not _in_year(ctx, v[key]):
            out.append((key, f"日期{v[key]}不在{ctx.year}计划年度内（{ctx.start}至{ctx.end}）"))
        elif v[key] > ctx.now.date():
            out.append((key, f"日期{v[key]}在未来（今天是{ctx.now.date()}）"))
    if _in_year(ctx, v["period_end"]) and not out:
        week = week_bounds(v["period_end"], ctx.start, ctx.end)
        if (v["period_start"], v["period_end"]) != week:
            out.append(("period_start", f"周期应为一个填报周（周六至周五），如 {week[0]} 至 {week[1]}"))
    value = v["value"]
    if value < 0:
        out.append(("value", f"不能为负数（{value:g}）；如需核减，请重报该周的正确数"))
    elif target:
        if target.unit_zh != "元" and not float(value).is_integer():
            out.append(("value", f"应为整数（单位：{target.unit_zh}）"))
        if value > target.value:
            out.append(("value", f"{_fmt_amount(value, target.unit_zh)}超过全年目标"
                                 f"（{_fmt_amount(target.value, target.unit_zh)}），请核实"))
    return out


def _not_future(ctx: Context, v: dict, *keys) -> list[tuple[str, str]]:
    return [(k, f"日期{v[k]}在未来（今天是{ctx.now.date()}）")
            for k in keys if v.get(k) is not None and v[k] > ctx.now.date()]


def _check_facility(v: dict, ctx: Context) -> list[tuple[str | None, str]]:
    out = _not_future(ctx, v, "opened_on", "closed_on")
    for key in ("opened_on", "closed_on"):
        if v.get(key) is not None and v[key] > ctx.end:
            out.append((key, f"日期{v[key]}晚于{ctx.year}计划年度"))
    if v.get("closed_on") and v["closed_on"] < v["opened_on"]:
        out.append(("closed_on", "停用日期早于启用日期"))
    if v["status"] == "closed" and v.get("closed_on") is None:
        out.append(("closed_on", "状态为“关闭”时必须填写停用日期"))
    if v.get("capacity") is not None and not 0 <= v["capacity"] <= 2000:
        out.append(("capacity", f"托管名额{v['capacity']}不合理（应在0至2000之间）"))
    lat, lon = v["lat"], v["lon"]
    valid = -90 <= lat <= 90 and -180 <= lon <= 180
    if not valid or point_in_unit(v["unit_code"], lat, lon) is False:
        name = ctx.units[v["unit_code"]].name_zh
        hint = "；经纬度可能填反了" if -90 <= lon <= 90 and point_in_unit(v["unit_code"], lon, lat) else ""
        problem = "无效" if not valid else f"不在{name}辖区内"
        out.append(("lat", f"坐标（纬度{lat}，经度{lon}）{problem}{hint}"))
    return out


def _check_union_org(v: dict, ctx: Context) -> list[tuple[str | None, str]]:
    out = _not_future(ctx, v, "founded_on")
    if v["founded_on"] > ctx.end:
        out.append(("founded_on", f"日期{v['founded_on']}晚于{ctx.year}计划年度"))
    if v["is_new_economy"] and not v.get("industry"):
        out.append(("industry", "新业态工会必须填写行业"))
    if v.get("members_at_founding") is not None and not 0 <= v["members_at_founding"] <= 100000:
        out.append(("members_at_founding", f"会员数{v['members_at_founding']}不合理"))
    return out


def _check_membership(v: dict, ctx: Context) -> list[tuple[str | None, str]]:
    out = []
    month = v["month"]
    if not ctx.start.replace(day=1) <= month <= ctx.end:
        out.append(("month", f"月份{month:%Y-%m}不在{ctx.year}计划年度内"))
    elif month > ctx.now.date():
        out.append(("month", f"月份{month:%Y-%m}尚未开始（今天是{ctx.now.date()}）"))
    n = v["new_members"]
    year_target = next((t.value for t in ctx.targets.values() if t.measure == "registry:ne_membership"), None)
    if n < 0:
        out.append(("new_members", f"不能为负数（{n}）"))
    elif year_target is not None and n > year_target:
        out.append(("new_members", f"{n:,}人超过全年新业态会员目标（{year_target:,.0f}人），请核实"))
    return out


ROW_CHECKS = {"progress": _check_progress, "facilities": _check_facility,
              "union_orgs": _check_union_org, "membership": _check_membership}


def check_rows(table: Table, kind: ReportKind, ctx: Context) -> tuple[list[Row], list[Issue]]:
    """Parse and check every row: cells, the kind's rules, the uploader's units, duplicates."""
    index, issues = map_columns(table, kind)
    table.columns = index
    if issues:
        return [], issues
    cols = [c for c in kind.columns if c.type != "info" and c.key in index]
    readable = [c for c in cols if c.key != "unit_code"]

    def issue(line, key, message):
        col = kind.column(key) if key else None
        pos = table.col_pos(index[key]) if key in index else None
        return Issue(table.file, message, table.sheet, line, col.label if col else None, pos)

    rows: list[Row] = []
    seen: dict[tuple, int] = {}
    for line, cells in table.rows:
        raw = {c.key: cells[index[c.key]] if index[c.key] < len(cells) else None for c in cols}
        if all(_blank(raw[c.key]) for c in readable):
            continue  # a blank line of a template (only the unit filled in)
        values, bad = {}, []
        for col in cols:
            try:
                values[col.key] = parse_cell(col, raw[col.key], ctx)
            except CellError as exc:
                bad.append(issue(line, col.key, str(exc)))
        if not bad:
            bad = [issue(line, k, m) for k, m in ROW_CHECKS[kind.code](values, ctx)]
            unit = values["unit_code"]
            if ctx.allowed_units is not None and unit not in ctx.allowed_units:
                bad.append(issue(line, "unit_code", f"无权上报{ctx.units[unit].name_zh}（{unit}）的数据"))
            key = tuple(values.get(k) for k in kind.key)
            if key in seen:
                bad.append(issue(line, None, f"与第{seen[key]}行重复（{kind.key_text}）"))
            seen.setdefault(key, line)
        issues.extend(bad)
        rows.append(Row(line, values))
        if len(issues) >= MAX_ISSUES:
            break
    if not rows and not issues:
        issues.append(Issue(table.file, "没有数据行", table.sheet))
    return rows, issues


# ---------------------------------------------------------------------------------------------
# geography


@lru_cache(maxsize=1)
def _polygons() -> dict[str, Any]:
    from shapely import prepare
    from shapely.geometry import shape
    from shapely.ops import unary_union

    out = {}
    with open(GEO_DIR / "pingdingshan_counties.geojson", encoding="utf-8") as fh:
        for feature in json.load(fh)["features"]:
            out[str(feature["properties"]["adcode"])] = shape(feature["geometry"])
    for zone, hosts in ZONE_HOSTS.items():
        out[zone] = unary_union([out[h] for h in hosts])
    out[CITY_CODE] = unary_union([g for code, g in out.items() if code not in ZONE_HOSTS])
    for geometry in out.values():
        prepare(geometry)
    return out


def point_in_unit(unit_code: str, lat: float, lon: float) -> bool | None:
    """Whether the point lies in the unit's area (zones: their host counties; the city federation:
    the whole city); None when no area is known for the unit."""
    from shapely.geometry import Point

    area = _polygons().get(unit_code)
    return None if area is None else bool(area.covers(Point(lon, lat)))
