"""The checks every row of an upload goes through: which kind the header is, which column is which,
then per row its cells (cells.parse_cell), its kind's rules (ReportKind.check), the uploader's units
and duplicates in the file. No database here."""
from __future__ import annotations

import re
import unicodedata
from typing import Any

from data_access.reporting.cells import CellError, blank, parse_cell
from data_access.reporting.context import Context
from data_access.reporting.files import Table
from data_access.reporting.issues import MAX_ISSUES, ImportRejected, Issue
from data_access.reporting.kinds import KIND_ALIASES, KINDS
from data_access.reporting.kinds.base import ReportKind, Row


def normalise_label(value: Any) -> str:
    """A header label as compared: NFKC, no spaces, no trailing * or (必填)."""
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    return re.sub(r"\s+|\*$|\(必填\)$", "", text)


def _labels(kind: ReportKind) -> dict[str, Any]:
    return {normalise_label(c.label): c for c in kind.columns}


def detect_kind(table: Table, kind: str | None = None) -> ReportKind:
    """The kind named by the caller, by the sheet name, or whose labels the header matches best."""
    if kind is None and table.sheet in KIND_ALIASES:
        kind = KIND_ALIASES[table.sheet]
    if kind is not None:
        if kind not in KIND_ALIASES:
            raise ImportRejected([Issue(table.file, f"未知报表类型“{kind}”")])
        return KINDS[KIND_ALIASES[kind]]
    labels = {normalise_label(h) for h in table.header if not blank(h)}
    scores = {code: len(labels & set(_labels(k))) for code, k in KINDS.items()}
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
    by_label = _labels(kind)
    for i, head in enumerate(table.header):
        if blank(head):
            continue
        col = by_label.get(normalise_label(head))
        if col is None:
            issues.append(Issue(table.file, f"未知的列“{head}”：请勿增加或改名模板中的列", table.sheet,
                                table.header_row, str(head), table.col_pos(i)))
        elif col.key in index:
            issues.append(Issue(table.file, "列重复", table.sheet, table.header_row, col.label, table.col_pos(i)))
        else:
            index[col.key] = i
    for col in kind.columns:
        if col.required and col.key not in index:
            issues.append(Issue(table.file, f"缺少必填列“{col.label}”", table.sheet, table.header_row))
    return index, issues


def check_rows(table: Table, kind: ReportKind, ctx: Context) -> tuple[list[Row], list[Issue]]:
    """Parse and check every row: cells, the kind's rules, the uploader's units, duplicates."""
    index, issues = map_columns(table, kind)
    table.columns = index
    if issues:
        return [], issues
    cols = [c for c in kind.columns if c.type != "info" and c.key in index]
    readable = [c for c in cols if c.key != "unit_code"]

    def issue(line: int, key: str | None, message: str) -> Issue:
        col = kind.column(key) if key else None
        pos = table.col_pos(index[key]) if key in index else None
        return Issue(table.file, message, table.sheet, line, col.label if col else None, pos)

    rows: list[Row] = []
    seen: dict[tuple[Any, ...], int] = {}
    for line, cells in table.rows:
        raw = {c.key: cells[index[c.key]] if index[c.key] < len(cells) else None for c in cols}
        if all(blank(raw[c.key]) for c in readable):
            continue  # a blank line of a template (only the unit filled in)
        values: dict[str, Any] = {}
        bad = []
        for col in cols:
            try:
                values[col.key] = parse_cell(col, raw[col.key], ctx)
            except CellError as exc:
                bad.append(issue(line, col.key, str(exc)))
        parsed = not bad
        if parsed:
            bad = [issue(line, k, m) for k, m in kind.check(values, ctx)]
        unit = values.get("unit_code")  # the uploader's right is checked whatever else is wrong in the row
        if unit is not None and ctx.allowed_units is not None and unit not in ctx.allowed_units:
            bad.append(issue(line, "unit_code", f"无权上报{ctx.units[unit].name_zh}（{unit}）的数据"))
        if parsed:
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
