"""File exports of DataFrames: CSV that Excel opens in Chinese, and .xlsx. Pure (no streamlit).

Text cells that start with = + - @ are prefixed with an apostrophe so that a spreadsheet never
runs them as formulas (CSV/formula injection); control and direction characters are replaced by a
visible mark first (`safe_text.file_text`), so that any stored string opens.
"""
from __future__ import annotations

import io

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


def csv_bytes(df: pd.DataFrame) -> bytes:
    """UTF-8 with BOM, so Excel in China opens the Chinese text correctly."""
    text: str = _safe(df).to_csv(index=False)
    return text.encode("utf-8-sig")


def xlsx_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    """An .xlsx workbook with one sheet per entry (sheet names cut to Excel's 31 characters)."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        for name, df in sheets.items():
            _safe(df).to_excel(writer, sheet_name=name[:31], index=False)
    return buf.getvalue()
