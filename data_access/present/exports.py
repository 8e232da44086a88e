"""File exports of DataFrames: CSV that Excel opens in Chinese, and .xlsx. Pure (no streamlit).

Text cells that start with = + - @ are prefixed with an apostrophe so that a spreadsheet never
runs them as formulas (CSV/formula injection); control and direction characters are replaced by a
visible mark first (`safe_text.file_text`), so that any stored string opens.

Workbooks are read by people in Excel or WPS and printed: numeric cells hold the values as shown
(the caller rounds them by `present.figures`), formatted so that they display as numbers
(`NUMBER_FORMATS`: integers without a trailing point, shares as percentages), dates are date cells
shown as 2023年6月30日 in the Chinese view (`DATE_FORMATS`), and every sheet prints on A4
landscape, fitted to the page width, with its header rows repeated and the title and filters in
the page header (`print_setup`). CSV stays machine-readable: ISO dates, plain numbers, utf-8-sig.
"""
from __future__ import annotations

import datetime as dt
import io
from typing import Any, Iterable

import pandas as pd

from data_access.present.safe_text import file_text

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """A cell value as written to a file: text made safe (`file_text`), never a formula."""
    if not isinstance(value, str):
        return value
    value = file_text(value)
    return "'" + value if value.startswith(_FORMULA_START) else value


def _safe(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


NUMBER_FORMATS = {"integer": "#,##0", "decimal": "#,##0.0#", "percent": "0.0%"}
"""Cell formats of numbers: whole values without a trailing point (1,000, not "1,000."), other
values with one or two decimals, shares as percentages with the one decimal of
`figures.completion`."""
DATE_FORMATS = {"zh": 'yyyy"年"m"月"d"日"', "en": "d mmm yyyy"}
DATETIME_FORMATS = {"zh": 'yyyy"年"m"月"d"日" hh:mm', "en": "d mmm yyyy hh:mm"}
"""Cell formats of dates (2023年6月30日 / 30 Jun 2023) and of times."""
SCREEN_DATE_FORMATS = {"zh": "YYYY年M月D日", "en": "D MMM YYYY"}
"""The same dates in an on-screen table (Streamlit's DateColumn takes moment.js patterns): the
cell keeps its date, so sorting stays by date, and reads as the workbook does."""


def date_columns(df: Any) -> list[Any]:
    """The columns of `df` that hold dates (datetime64, or dt.date values with blanks): the ones
    a table shows as 2023年6月30日 (`SCREEN_DATE_FORMATS`)."""
    out = []
    for col in df.columns:
        s = df[col]
        if str(s.dtype).startswith("datetime64"):
            out.append(col)
        elif s.dtype == object:
            values = s.dropna()
            if len(values) and all(isinstance(v, dt.date) for v in values):
                out.append(col)
    return out


def format_cells(ws: Any, lang: str = "zh", percent_columns: Iterable[int] = (), first_row: int = 2) -> None:
    """Give every number and date cell of `ws` (from `first_row` on) its display format:
    `NUMBER_FORMATS` (percent for the 1-based `percent_columns`) and `DATE_FORMATS`."""
    percent = set(percent_columns)
    for row in ws.iter_rows(min_row=first_row):
        for cell in row:
            v = cell.value
            if isinstance(v, bool) or v is None:
                continue
            if isinstance(v, dt.datetime):
                timed = (v.hour, v.minute, v.second) != (0, 0, 0)
                cell.number_format = (DATETIME_FORMATS if timed else DATE_FORMATS).get(lang, DATE_FORMATS["zh"])
            elif isinstance(v, dt.date):
                cell.number_format = DATE_FORMATS.get(lang, DATE_FORMATS["zh"])
            elif isinstance(v, (int, float)):
                if cell.column in percent:
                    cell.number_format = NUMBER_FORMATS["percent"]
                elif float(v).is_integer():
                    cell.number_format = NUMBER_FORMATS["integer"]
                else:
                    cell.number_format = NUMBER_FORMATS["decimal"]


def _header_text(text: str) -> str:
    """Text for a page header: '&' doubled (the header's code character), kept short."""
    return str(neutralise(text)).replace("&", "&&")[:120]


def print_setup(ws: Any, title: str, filters: str = "", header_rows: str | None = "1:1",
                pages_tall: int = 0) -> None:
    """How `ws` prints: A4 landscape, fitted to one page wide and `pages_tall` pages down (0: as
    many as its rows need), `header_rows` repeated on every page, the title and the filters in the
    page header and the page number in the footer."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = pages_tall
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.top, ws.page_margins.bottom = 0.8, 0.6
    ws.page_margins.header, ws.page_margins.footer = 0.3, 0.3
    if header_rows:
        ws.print_title_rows = header_rows
    ws.oddHeader.left.text = _header_text(title)
    ws.oddHeader.left.size = 10
    if filters:
        ws.oddHeader.right.text = _header_text(filters)
        ws.oddHeader.right.size = 9
    ws.oddFooter.center.text = "&P / &N"
    ws.oddFooter.center.size = 9


def fit_columns(ws: Any, df: pd.DataFrame, widest: float = 60) -> None:
    """Column widths from the headings and the first 50 values (CJK characters count double)."""
    from openpyxl.utils import get_column_letter

    def width(value: object) -> int:
        text = str(value)
        return sum(2 if ord(c) > 0x2E80 else 1 for c in text)

    for i, heading in enumerate(df.columns, start=1):
        w = max([width(heading)] + [width(v) for v in df[heading].head(50)])
        ws.column_dimensions[get_column_letter(i)].width = min(max(8, w + 2), widest)


def csv_bytes(df: pd.DataFrame) -> bytes:
    """UTF-8 with BOM, so Excel in China opens the Chinese text correctly."""
    text: str = _safe(df).to_csv(index=False)
    return text.encode("utf-8-sig")


def xlsx_bytes(sheets: dict[str, pd.DataFrame], lang: str = "zh", title: str = "", filters: str = "",
               percent_headings: Iterable[str] = ()) -> bytes:
    """An .xlsx workbook with one sheet per entry (sheet names cut to Excel's 31 characters):
    numbers and dates formatted (`format_cells`; the columns headed `percent_headings` as
    percentages), printing as `print_setup` says with `title` (default: the sheet's name) and
    `filters` in the page header."""
    buf = io.BytesIO()
    percent = set(percent_headings)
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        for name, df in sheets.items():
            safe = _safe(df)
            safe.to_excel(writer, sheet_name=name[:31], index=False)
            ws = writer.sheets[name[:31]]
            format_cells(ws, lang, [i for i, c in enumerate(df.columns, start=1) if c in percent])
            fit_columns(ws, safe)
            ws.freeze_panes = "A2"
            print_setup(ws, title or name, filters)
    return buf.getvalue()
