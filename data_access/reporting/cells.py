"""One cell of an upload: the description of a column (`Column`) and how a cell's text becomes the
stored value (`parse_cell`), with the reason in Chinese (and English) when it cannot (`CellError`).

Characters, the rules of every cell of a file (header included):
- refused (`unsafe_characters`, read by files.read_table for every cell and the file's name): the
  control and direction characters of `present.safe_text` (C0 except tab, line feed and carriage
  return; DEL; C1; U+061C, U+200E/F, U+202A-U+202E, U+2066-U+2069; lone surrogates, U+FFFE/F).
  Tab and line breaks are allowed (Alt+Enter in a cell); where they make a code unreadable the
  message shows them;
- removed before a cell is read (`strip_invisible`): the zero-width characters U+200B, U+200C,
  U+200D, U+2060 and the BOM U+FEFF, which a copy from a web page or chat leaves in a code and no
  one can see; no-break and ideographic spaces at either end go like any space;
- any other invisible character left in a value a message quotes is shown as ⟨U+XXXX⟩ (`visible`).

Numbers: a comma is a thousands separator only in groups of three digits ("2,500", "1,234.5");
any other comma ("2,5", full-width "1，5") is refused as ambiguous, with both readings shown.
"""
from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from data_access.present.exports import neutralise as export_neutralise
from data_access.present.safe_text import file_text, unsafe_count
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
    """Why a cell cannot be read: the Chinese message, and `en` the English one."""

    def __init__(self, message: str, en: str | None = None):
        super().__init__(message)
        self.en = en


INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
_INVISIBLE = re.compile(f"[{INVISIBLE}]")


def strip_invisible(text: str) -> str:
    """`text` without the zero-width characters and BOM of INVISIBLE (see the module doc)."""
    return _INVISIBLE.sub("", text)


def unsafe_characters(text: str) -> str:
    """The refused characters of `text` as "⟨U+0000⟩⟨U+202E⟩" (each once), or "" when none."""
    if not unsafe_count(text):
        return ""
    found = dict.fromkeys(ch for ch in text if file_text(ch) != ch)
    return "".join(f"⟨U+{ord(ch):04X}⟩" for ch in found)


def visible(value: Any) -> str:
    """A cell's text for a message: every control, format, separator or unassigned character (other
    than the ordinary space) shown as ⟨U+XXXX⟩, so "410423⟨U+200B⟩" shows what no one could see."""
    text = str(value)
    return "".join(f"⟨U+{ord(ch):04X}⟩" if ch != " " and unicodedata.category(ch) in _HIDDEN else ch
                   for ch in text)


_HIDDEN = {"Cc", "Cf", "Zs", "Zl", "Zp", "Co", "Cn", "Cs"}


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


_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")


def _number(value: Any) -> float:
    """A number from a number cell or text; a comma only as a thousands separator (module doc)."""
    if isinstance(value, bool):
        raise CellError("应为数字", "should be a number")
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip()  # NFKC: full-width "，" is ","
        if "," in text:
            if not _THOUSANDS.match(text):
                dec, whole = text.replace(",", ".", 1), text.replace(",", "")
                raise CellError(
                    f"“{visible(value)}”中的逗号无法判断是小数点还是千位分隔符：小数请写成“{dec}”，"
                    f"整数请写成“{whole}”（千位分隔只能三位一组，如“2,500”）",
                    f"the comma in “{visible(value)}” could be a decimal point or a thousands separator: "
                    f"write “{dec}” for a decimal or “{whole}” for a whole number (thousands separators "
                    "come in groups of three, as in “2,500”)")
            text = text.replace(",", "")
        try:
            number = float(text)
        except ValueError:
            raise CellError(f"应为数字，实际为“{visible(value)}”", f"should be a number, not “{visible(value)}”") from None
    if math.isnan(number) or math.isinf(number):
        raise CellError(f"应为数字，实际为“{visible(value)}”", f"should be a number, not “{visible(value)}”")
    return number


def _int(value: Any) -> int:
    number = _number(value)
    if not number.is_integer():
        raise CellError(f"应为整数，实际为“{visible(value)}”", f"should be a whole number, not “{visible(value)}”")
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
    raise CellError(f"应为日期（如 2023-06-30），实际为“{visible(value)}”",
                    f"should be a date (as 2023-06-30), not “{visible(value)}”")


def parse_month(value: Any) -> dt.date:
    """The first day of a month from text like 2023-05 / 2023年5月, or of a date's month."""
    if not isinstance(value, (dt.date, int, float)):
        m = _MONTH_RE.match(unicodedata.normalize("NFKC", str(value)).strip())
        if m and 1 <= int(m[2]) <= 12:
            return dt.date(int(m[1]), int(m[2]), 1)
    try:
        return parse_date(value).replace(day=1)
    except CellError:
        raise CellError(f"应为月份（如 2023-05），实际为“{visible(value)}”",
                        f"should be a month (as 2023-05), not “{visible(value)}”") from None


def parse_cell(col: Column, value: Any, ctx: Context) -> Any:
    """The stored value of one cell, or CellError with the reason."""
    if isinstance(value, str):
        value = strip_invisible(value)
    if isinstance(value, FormulaWithoutValue):
        raise CellError("单元格含公式且没有保存计算结果；请复制后“选择性粘贴为数值”再上传",
                        "a formula saved without its value; copy and “paste special: values”, then upload")
    if isinstance(value, str) and value.strip() in ERROR_VALUES:
        raise CellError(f"单元格为错误值“{value.strip()}”", f"the cell holds the error value “{value.strip()}”")
    if blank(value):
        if col.required:
            hint = "（无进展请填0）" if col.type in ("number", "int") else ""
            raise CellError("必填，不能为空" + hint, "required" + (" (0 for no progress)" if hint else ""))
        return None
    if col.type == "text":
        text = _text(value)
        if text and len(text) > MAX_TEXT * (3 if col.key == "note" else 1):
            raise CellError(f"文字过长（{len(text)}字）", f"text too long ({len(text)} characters)")
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
            raise CellError(f"未知单位代码“{visible(text)}”", f"unknown unit code “{visible(text)}”")
        return code
    if col.type == "target":
        code = (text or "").upper()
        if code not in ctx.targets:
            raise CellError(f"未知指标代码“{visible(text)}”（{ctx.year}年度没有该指标）",
                            f"unknown target code “{visible(text)}” (no such target in {ctx.year})")
        return code
    if col.type == "choice" and col.choices is not None:
        for label, stored in col.choices.items():
            if text == label or text == stored:
                return stored
        raise CellError(f"“{visible(text)}”不在可选项中（可选：{'、'.join(col.choices)}）",
                        f"“{visible(text)}” is not one of the choices ({', '.join(col.choices)})")
    raise AssertionError(col.type)


def choice_label(col: Column, stored: Any) -> Any:
    """The drop-down label of a stored choice value (状态: closed -> 关闭); other values unchanged."""
    return next((lab for lab, value in (col.choices or {}).items() if value == stored), stored)
