"""One cell of an upload: the description of a column (`Column`) and how a cell's text becomes the
stored value (`parse_cell`), with the reason in Chinese when it cannot (`CellError`)."""
from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from data_access.present.exports import neutralise as export_neutralise
from data_access.reporting.context import Context

MAX_TEXT = 200  # characters of a text cell (a note: three times this)
ERROR_VALUES = ("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!")


@dataclass(frozen=True)
class Column:
    """A column of a report: its key (the stored field), the Chinese header label, the type of its
    cells: unit | target | text | number | int | date | month | choice | info (shown, not read)."""

    key: str
    label: str
    type: str
    required: bool = True
    choices: Mapping[str, Any] | None = None  # label shown in the drop-down -> stored value
    help: str = ""
    width: int = 14


def choices(values: Mapping[str, Any] | tuple[str, ...]) -> dict[str, Any]:
    """Drop-down choices: a label -> stored value mapping, or values stored as shown."""
    return dict(values) if isinstance(values, Mapping) else {v: v for v in values}


class CellError(ValueError):
    pass


class FormulaWithoutValue:
    """Marks a formula cell saved without a computed value (openpyxl-written files, some exports)."""


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def neutralise(value: Any) -> Any:
    """A cell value for a template: the one rule of `present.exports.neutralise` (control and
    direction characters shown as 〓, text a spreadsheet would run as a formula prefixed with an
    apostrophe)."""
    return export_neutralise(value)


def _text(value: Any) -> str | None:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if text.startswith("'") and text[1:2] in ("=", "+", "-", "@"):
        text = text[1:]  # undo `neutralise`, so an exported name comes back unchanged
    return text or None


def _number(value: Any) -> float:
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


def _int(value: Any) -> int:
    number = _number(value)
    if not number.is_integer():
        raise CellError(f"应为整数，实际为“{value}”")
    return int(number)


_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_MONTH_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")


def parse_date(value: Any) -> dt.date:
    """A date from a date cell, an Excel serial day number or text like 2023-06-30 / 2023年6月30日."""
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


def parse_month(value: Any) -> dt.date:
    """The first day of a month from text like 2023-05 / 2023年5月, or of a date's month."""
    if not isinstance(value, (dt.date, int, float)):
        m = _MONTH_RE.match(unicodedata.normalize("NFKC", str(value)).strip())
        if m and 1 <= int(m[2]) <= 12:
            return dt.date(int(m[1]), int(m[2]), 1)
    try:
        return parse_date(value).replace(day=1)
    except CellError:
        raise CellError(f"应为月份（如 2023-05），实际为“{value}”") from None


def parse_cell(col: Column, value: Any, ctx: Context) -> Any:
    """The stored value of one cell, or CellError with the reason."""
    if isinstance(value, FormulaWithoutValue):
        raise CellError("单元格含公式且没有保存计算结果；请复制后“选择性粘贴为数值”再上传")
    if isinstance(value, str) and value.strip() in ERROR_VALUES:
        raise CellError(f"单元格为错误值“{value.strip()}”")
    if blank(value):
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
    if col.type == "choice" and col.choices is not None:
        for label, stored in col.choices.items():
            if text == label or text == stored:
                return stored
        raise CellError(f"“{text}”不在可选项中（可选：{'、'.join(col.choices)}）")
    raise AssertionError(col.type)


def choice_label(col: Column, stored: Any) -> Any:
    """The drop-down label of a stored choice value (状态: closed -> 关闭); other values unchanged."""
    return next((lab for lab, value in (col.choices or {}).items() if value == stored), stored)
