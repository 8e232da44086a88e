"""Reading an uploaded .xlsx or .csv into a header and rows of raw cell values (`read_table`), with
the size and row caps. Formulas are never evaluated."""
from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from data_access.reporting.cells import FormulaWithoutValue, blank
from data_access.reporting.issues import ImportRejected, Issue

MAX_FILE_BYTES = 5 * 1024 * 1024  # a week's report is a few kB; this stops accidents, not attackers
MAX_ROWS = 5000  # data rows per file
INSTRUCTION_SHEET = "填报说明"
CODE_SHEET = "代码表"


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


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM) first; GB18030 (what Excel and WPS in China write) otherwise."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _fill(table: Table, numbered: Iterable[tuple[int, list[Any]]]) -> Table:
    """The first non-blank line is the header; then rows, stopping one past MAX_ROWS."""
    for number, cells in numbered:
        if all(blank(c) for c in cells):
            continue
        if not table.header:
            table.header, table.header_row = cells, number
            continue
        table.rows.append((number, cells))
        if len(table.rows) > MAX_ROWS:
            break
    return table


def _read_csv(data: bytes, file: str) -> Table:
    try:
        text = decode_csv(data)
    except UnicodeDecodeError:
        raise ImportRejected([Issue(file, "无法识别文件编码，请另存为 UTF-8 或 GB18030 编码的 CSV")]) from None
    first = text.split("\n", 1)[0]
    delimiter = max(",\t;", key=first.count)
    records = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return _fill(Table(file, None, [], 0, [], is_csv=True), ((n, list(r)) for n, r in enumerate(records, start=1)))


def pick_sheet(names: list[str], data_sheets: Iterable[str]) -> str:
    """The data sheet: one named like a kind of report, else the first that is not ours."""
    known = set(data_sheets)
    for name in names:
        if name in known:
            return name
    rest = [n for n in names if n not in (INSTRUCTION_SHEET, CODE_SHEET)]
    return (rest or names)[0]


def _read_xlsx(data: bytes, file: str, data_sheets: Iterable[str]) -> Table:
    from openpyxl import load_workbook

    try:
        values_wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        formula_wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportRejected([Issue(file, f"无法读取 Excel 文件（文件已损坏或不是 .xlsx 格式）：{exc}")]) from None
    try:
        sheet = pick_sheet(values_wb.sheetnames, data_sheets)
        # The value is the one Excel saved with the file. The second reading only finds which cells
        # hold a formula, to refuse those saved without a value.
        formulas: set[tuple[int, int]] = set()
        for r, row in enumerate(formula_wb[sheet].iter_rows(), start=1):
            if r > MAX_ROWS + 10:
                break
            formulas.update((r, c) for c, cell in enumerate(row) if getattr(cell, "data_type", None) == "f")

        def numbered() -> Iterable[tuple[int, list[Any]]]:
            for r, row in enumerate(values_wb[sheet].iter_rows(values_only=True), start=1):
                cells = list(row)
                for c, value in enumerate(cells):
                    if (r, c) in formulas and value is None:
                        cells[c] = FormulaWithoutValue()
                yield r, cells

        return _fill(Table(file, sheet, [], 0, []), numbered())
    finally:
        values_wb.close()
        formula_wb.close()


def read_table(data: bytes, file: str, data_sheets: Iterable[str] = ()) -> Table:
    """The header and rows of the data sheet of an .xlsx (`data_sheets`: the sheet names of the
    kinds of report), or of a .csv; size and row caps applied."""
    if len(data) > MAX_FILE_BYTES:
        raise ImportRejected([Issue(file, f"文件过大（{len(data) / 1024 / 1024:.1f} MB），上限为 "
                                          f"{MAX_FILE_BYTES / 1024 / 1024:.0f} MB；请拆分成多个文件上传")])
    suffix = Path(file).suffix.lower()
    if suffix == ".xls":
        raise ImportRejected([Issue(file, "不支持旧版 .xls 格式，请在 Excel/WPS 中另存为 .xlsx 后上传")])
    if suffix == ".xlsx" or data[:2] == b"PK":
        table = _read_xlsx(data, file, data_sheets)
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
