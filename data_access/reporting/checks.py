"""The checks every row of an upload goes through: which kind the header is, which column is which,
then per row its cells (cells.parse_cell), its kind's rules (ReportKind.check), the uploader's units
and duplicates in the file. No database here."""
from __future__ import annotations

import re
import unicodedata
from typing import Any

from data_access.reporting.cells import CellError, blank, parse_cell, strip_invisible, visible
from data_access.reporting.context import Context
from data_access.reporting.files import Table
from data_access.reporting.issues import MAX_ISSUES, ImportRejected, Issue
from data_access.reporting.kinds import KIND_ALIASES, KINDS
from data_access.reporting.kinds.base import ReportKind, Row


def normalise_label(value: Any) -> str:
    """A header label as compared: NFKC, no spaces, no trailing * or (必填)."""
    text = strip_invisible(unicodedata.normalize("NFKC", str(value or ""))).strip()
    return re.sub(r"\s+|\*$|\(必填\)$", "", text)


def _as_written(value: Any) -> str:
    """An info cell as compared with what the template wrote: NFKC, no invisible characters or
    spaces, the apostrophe `cells.neutralise` puts before a formula-like text undone."""
    text = re.sub(r"\s+", "", strip_invisible(unicodedata.normalize("NFKC", str(value))))
    return text[1:] if text.startswith("'") and text[1:2] in ("=", "+", "-", "@") else text


def template_mismatch(values: dict[str, Any], raw: dict[str, Any], ctx: Context) -> list[tuple[str, str, str]]:
    """The cells the template fills in from a row's codes that no longer agree with them, as
    (column key to name, Chinese, English). Columns: 计量单位 (unit_zh) and 指标名称 (target_name) are
    what the template writes for the row's 指标代码, 单位名称 (unit_name) for its 单位代码 (from the
    targets and units tables of the plan year). Reason: a changed 计量单位 (T08 in 万元 instead of 元)
    would import the figure in the wrong unit silently; a name that no longer matches its code means
    the code was changed. A blank cell is not compared (a new line of a registry template)."""
    out = []
    target = ctx.targets.get(values.get("target_code") or "")
    unit = ctx.units.get(values.get("unit_code") or "")
    written = {k: _as_written(v) for k, v in raw.items() if not blank(v)}
    if target is not None and "unit_zh" in written and written["unit_zh"] != _as_written(target.unit_zh):
        code = values["target_code"]
        out.append(("unit_zh", f"计量单位被改成了“{visible(raw['unit_zh'])}”，模板中{code}的计量单位是“{target.unit_zh}”："
                               f"模板中的计量单位和代码不能修改，请按“{target.unit_zh}”填写本期完成数",
                    f"the unit was changed to “{visible(raw['unit_zh'])}”; the template's unit of {code} is "
                    f"“{target.unit_zh}”: units and codes of the template must not be changed; enter the figure "
                    f"in “{target.unit_zh}”"))
    if target is not None and "target_name" in written and written["target_name"] != _as_written(target.name_zh):
        code = values["target_code"]
        out.append(("target_code", f"指标代码{code}（{target.name_zh}）与同一行的指标名称“{visible(raw['target_name'])}”"
                                   "不符：模板中的代码不能修改，请重新下载模板",
                    f"target code {code} ({target.name_zh}) does not match the target name "
                    f"“{visible(raw['target_name'])}” of its row: codes of the template must not be changed"))
    if unit is not None and "unit_name" in written and written["unit_name"] != _as_written(unit.name_zh):
        code = values["unit_code"]
        out.append(("unit_code", f"单位代码{code}（{unit.name_zh}）与同一行的单位名称“{visible(raw['unit_name'])}”"
                                 "不符：模板中的代码不能修改，请重新下载模板",
                    f"unit code {code} ({unit.name_zh}) does not match the unit name "
                    f"“{visible(raw['unit_name'])}” of its row: codes of the template must not be changed"))
    return out


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
            issues.append(Issue(table.file, f"未知的列“{visible(head)}”：请勿增加或改名模板中的列", table.sheet,
                                table.header_row, visible(head), table.col_pos(i),
                                f"unknown column “{visible(head)}”: do not add or rename the template's columns"))
        elif col.key in index:
            issues.append(Issue(table.file, "列重复", table.sheet, table.header_row, col.label, table.col_pos(i),
                                "repeated column"))
        else:
            index[col.key] = i
    for col in kind.columns:
        if col.required and col.key not in index:
            issues.append(Issue(table.file, f"缺少必填列“{col.label}”", table.sheet, table.header_row,
                                message_en=f"required column “{col.label}” is missing"))
    return index, issues


def check_rows(table: Table, kind: ReportKind, ctx: Context) -> tuple[list[Row], list[Issue]]:
    """Parse and check every row: cells, the kind's rules, the uploader's units, duplicates."""
    index, issues = map_columns(table, kind)
    table.columns = index
    if issues:
        return [], issues
    cols = [c for c in kind.columns if c.type != "info" and c.key in index]
    infos = [c for c in kind.columns if c.type == "info" and c.key in index]
    readable = [c for c in cols if c.key != "unit_code"]

    def issue(line: int, key: str | None, message: str, en: str | None = None) -> Issue:
        col = kind.column(key) if key else None
        pos = table.col_pos(index[key]) if key in index else None
        return Issue(table.file, message, table.sheet, line, col.label if col else None, pos, en)

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
                bad.append(issue(line, col.key, str(exc), exc.en))
        parsed = not bad
        if parsed:
            shown = {c.key: cells[index[c.key]] if index[c.key] < len(cells) else None for c in infos}
            bad = [issue(line, k, zh, en) for k, zh, en in template_mismatch(values, shown, ctx)]
            bad += [issue(line, k, m) for k, m in kind.check(values, ctx)]
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
