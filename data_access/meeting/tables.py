"""The briefing's display tables (shared by the page, the PDF and the workbook) and the words of
their headings, section titles and states (`LABELS`, read with `lb(key, lang)`). No streamlit.
"""
from __future__ import annotations


import datetime as dt
from typing import Any

import pandas as pd

from data_access.meeting import briefing
from data_access.meeting.briefing import Briefing
from data_access.present import figures
from data_access.present.status import STATUS_COLOURS
from data_access.present.texts import Texts


# (zh, en) headings, section titles and state words of the tables, the page and the files.
LABELS: dict[str, tuple[str, str]] = {
    "app": ("鹰城工会看板", "Yingcheng Union Dashboard"),
    "filters": ("范围：{scope}　计划年度：{year}　简报日期：{date}　统计周：{week}",
                "Scope: {scope} | Plan year: {year} | Briefing date: {date} | Week: {week}"),
    "generated": ("生成于 {at}；数字为截至简报日期当天已知的数据。",
                  "Generated {at}; figures as known at the end of the briefing date."),
    "page": ("第 {n} 页", "Page {n}"),
    "sec_summary": ("本周概要", "Summary"),
    "sec_progress": ("目标进度与序时进度", "Progress against expected pace"),
    "sec_changes": ("本周变化", "What moved this week"),
    "sec_county_changes": ("各单位本周变化", "This week by unit"),
    "sec_behind": ("滞后序时的目标和单位", "Behind pace: targets and units"),
    "sec_behind_targets": ("滞后序时的目标", "Targets behind pace"),
    "sec_behind_counties": ("滞后序时的单位", "Units behind pace"),
    "sec_reporting": ("本周报送情况", "Reporting this week"),
    "sec_decisions": ("督办事项", "Decisions to follow up"),
    "chart_progress": ("完成率与序时进度（竖线）", "Completion against expected pace (tick)"),
    "chart_changes": ("本周新增占年度目标的比例", "This week's progress as a share of the annual target"),
    "info": ("简报", "Briefing"),
    "info_item": ("项目", "Item"),
    "info_value": ("内容", "Value"),
    "info_title": ("标题", "Title"),
    "info_scope": ("范围", "Scope"),
    "info_year": ("计划年度", "Plan year"),
    "info_date": ("简报日期", "Briefing date"),
    "info_week": ("统计周", "Week"),
    "info_generated": ("生成时间", "Generated"),
    "info_summary": ("概要", "Summary"),
    "col_code": ("编号", "Code"),
    "col_target_name": ("目标", "Target"),
    "col_unit_of": ("计量单位", "Unit of measure"),
    "col_target": ("年度目标", "Annual target"),
    "col_actual": ("已完成", "Done"),
    "col_completion": ("完成率", "Completion"),
    "col_expected": ("序时进度", "Expected by now"),
    "col_fraction": ("序时进度比例", "Share of year expected"),
    "col_status": ("状态", "Status"),
    "col_change_week": ("本周新增", "This week"),
    "col_required_weekly": ("此后每周需完成", "Needed per week"),
    "col_forecast": ("年末预测", "Year-end forecast"),
    "col_week_ago": ("截至上周", "A week earlier"),
    "col_now": ("截至本周", "Now"),
    "col_gap": ("差距", "Gap"),
    "col_county": ("单位", "Unit"),
    "col_allocation": ("分解任务", "Allocation"),
    "col_expected_reports": ("应报目标数", "Targets owed"),
    "col_reported": ("本周已报", "Reported this week"),
    "col_missing": ("未报目标", "Not reported"),
    "col_last_period": ("最近报送期末", "Last period reported"),
    "col_report_state": ("报送情况", "Reporting"),
    "col_id": ("序号", "No."),
    "col_meeting": ("会议日期", "Meeting"),
    "col_note": ("督办内容", "Note"),
    "col_owner": ("责任人", "Owner"),
    "col_due": ("办结期限", "Due"),
    "col_state": ("办理状态", "State"),
    "col_overdue": ("逾期", "Overdue"),
    "col_comment": ("最新说明", "Latest comment"),
    "report_none": ("未报送", "Not reported"),
    "report_partial": ("部分报送", "In part"),
    "report_complete": ("已报送", "Reported"),
    "decision_open": ("待办", "Open"),
    "decision_in_progress": ("推进中", "In progress"),
    "decision_done": ("已办结", "Done"),
    "decision_cancelled": ("已撤销", "Cancelled"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "none": ("无", "none"),
    "file_stem": ("周例会简报", "weekly_briefing"),
}


lb = Texts(LABELS)


NO_STATUS_COLOUR = "#8c959f"  # a target of 0 for the scope (e.g. 市总本级 alone): no status


def status_word(status: object, lang: str) -> str:
    """The status in `lang`; '—' where there is none (None, or NaN once pandas has held it)."""
    return figures.status(status, lang)


def file_name(b: Briefing, kind: str, lang: str = "zh") -> str:
    """周例会简报_2023-06-30.pdf (with the units' codes when filtered)."""
    scope = f"_{'-'.join(b.units)}" if b.units else ""
    return f"{lb('file_stem', lang)}_{b.meeting_date.isoformat()}{scope}.{kind}"


# ---------------------------------------------------------------------------------------------
# tables


TABLE_ORDER = ("progress", "changes", "county_changes", "behind_targets", "behind_counties",
               "reporting", "decisions")
TABLE_TITLES = {"progress": "sec_progress", "changes": "sec_changes",
                "county_changes": "sec_county_changes", "behind_targets": "sec_behind_targets",
                "behind_counties": "sec_behind_counties", "reporting": "sec_reporting",
                "decisions": "sec_decisions"}


def _target_label(row: Any, lang: str) -> str:
    return figures.target_name(row, lang, short=True)


def _days(series: pd.Series, lang: str, formatted: bool) -> pd.Series:
    """Dates as text in `lang` (formatted) or as dates; missing ones as — (None unformatted)."""
    def one(d: Any) -> Any:
        if d is None or not pd.notna(d):
            return "—" if formatted else None
        day = d.date() if isinstance(d, dt.datetime) else d
        return figures.date(day, lang) if formatted else day
    return series.map(one).astype(object)


def target_units(b: Briefing) -> dict[str, figures.Unit]:
    """The `figures.Unit` of every target of the briefing (its money scale from the scope's
    annual target, as the overview reads it)."""
    return {str(r["target_code"]): figures.row_unit(r) for r in b.overview.to_dict("records")}


def tables(b: Briefing, lang: str = "zh", formatted: bool = True) -> dict[str, pd.DataFrame]:
    """Every table of the briefing with headings in `lang`, every figure by the presentation
    model (`present.figures`). formatted=True: figures as text (for the page and the PDF);
    False: the numbers as shown, in base units, dates as dates (for the workbook)."""
    def col(key: str) -> str:
        return lb(f"col_{key}", lang)
    unit_col = "unit_en" if lang == "en" else "unit_zh"
    name_col = "unit_name_en" if lang == "en" else "unit_name_zh"
    units = target_units(b)

    def each(rows: pd.DataFrame, text: Any, value: Any, *keys: str) -> pd.Series:
        """One figure of every row: text(*values, unit, lang) or, unformatted, value(...)."""
        fn = text if formatted else value
        out = [fn(*(r[k] for k in keys), units[str(r["target_code"])], lang)
               for r in rows.to_dict("records")]
        return pd.Series(out, index=rows.index, dtype=object if formatted else float)

    def num(rows: pd.DataFrame, key: str) -> pd.Series:
        return each(rows, figures.amount, figures.shown, key)

    def pct(series: pd.Series) -> pd.Series:
        if not formatted:
            return series.map(figures.completion_value).astype(float)
        return series.map(lambda v: figures.completion(v, lang)).astype(object)

    def signed(rows: pd.DataFrame, key: str) -> pd.Series:
        return each(rows, figures.change, figures.change_value, key)

    def weekly(rows: pd.DataFrame) -> pd.Series:
        return each(rows, figures.weekly, figures.weekly_value, "required_weekly")

    def gap(rows: pd.DataFrame) -> pd.Series:
        return each(rows, figures.gap, figures.gap_value, "expected", "actual")

    def day(series: pd.Series) -> pd.Series:
        return _days(series, lang, formatted)

    ov = b.overview
    ch = b.changes
    progress = pd.DataFrame({
        col("code"): ov["target_code"],
        col("target_name"): [_target_label(r, lang) for r in ov.to_dict("records")],
        col("unit_of"): ov[unit_col],
        col("target"): num(ov, "target"),
        col("actual"): num(ov, "actual"),
        col("completion"): pct(ov["completion"]),
        col("expected"): num(ov, "expected"),
        col("fraction"): pct(ov["fraction"]),
        col("status"): ov["status"].map(lambda s: status_word(s, lang)),
        col("change_week"): signed(ch.set_index(ov.index), "change"),
        col("required_weekly"): weekly(ov),
    })

    changes = pd.DataFrame({
        col("code"): ch["target_code"],
        col("target_name"): [_target_label(r, lang) for r in ch.to_dict("records")],
        col("week_ago"): num(ch, "actual_week_ago"),
        col("now"): num(ch, "actual"),
        col("change_week"): signed(ch, "change"),
    })

    matrix = briefing.county_change_matrix(b.county_changes, ov, lang)
    matrix = matrix.rename(columns={name_col: col("county")})
    for code in ov["target_code"]:
        if code in matrix:
            u = units[str(code)]
            if formatted:
                matrix[code] = matrix[code].map(
                    lambda v, u=u: "" if figures.shown(v, u, lang) == 0 else figures.change(v, u, lang))
            else:
                matrix[code] = matrix[code].map(lambda v, u=u: figures.change_value(v, u, lang))

    bt = b.behind_targets
    behind_t = pd.DataFrame({
        col("code"): bt["target_code"],
        col("target_name"): [_target_label(r, lang) for r in bt.to_dict("records")],
        col("actual"): num(bt, "actual"),
        col("expected"): num(bt, "expected"),
        col("gap"): gap(bt),
        col("completion"): pct(bt["completion"]),
        col("change_week"): signed(bt, "change_week"),
        col("required_weekly"): weekly(bt),
    })

    bc = b.behind_counties
    behind_c = pd.DataFrame({
        col("county"): bc[name_col],
        col("code"): bc["target_code"],
        col("target_name"): [_target_label(r, lang) for r in bc.to_dict("records")],
        col("allocation"): num(bc, "allocation"),
        col("actual"): num(bc, "actual"),
        col("expected"): num(bc, "expected"),
        col("gap"): gap(bc),
        col("required_weekly"): weekly(bc),
    })

    rp = b.reporting
    reporting = pd.DataFrame({
        col("county"): rp[name_col],
        col("report_state"): rp["state"].map(lambda s: lb(f"report_{s}", lang)),
        col("expected_reports"): rp["expected"].astype(int),
        col("reported"): rp["reported"].astype(int),
        col("missing"): rp["missing"].map(lambda s: s.replace(",", "、" if lang == "zh" else ", ")),
        col("last_period"): day(rp["last_period_end"]),
    })

    return {"progress": progress, "changes": changes, "county_changes": matrix,
            "behind_targets": behind_t, "behind_counties": behind_c, "reporting": reporting,
            "decisions": decision_table(b, lang, formatted)}


def decision_table(b: Briefing, lang: str = "zh", formatted: bool = True) -> pd.DataFrame:
    """The briefing's decisions (督办事项) with headings in `lang` (see `tables`)."""
    def col(key: str) -> str:
        return lb(f"col_{key}", lang)
    name_col = "unit_name_en" if lang == "en" else "unit_name_zh"

    dc = b.decisions
    target_names = dc["target_name_en" if lang == "en" else "target_name_zh"]
    return pd.DataFrame({
        col("id"): dc["id"].astype(int),
        col("meeting"): _days(dc["meeting_date"], lang, formatted),
        col("target_name"): [f"{c} {figures.short_name(n)}" if isinstance(c, str) else "" for c, n in
                             zip(dc["target_code"], target_names)],
        col("county"): dc[name_col].fillna(""),
        col("note"): dc["note"],
        col("owner"): dc["owner"],
        col("due"): _days(dc["due_date"], lang, formatted),
        col("state"): dc["state"].map(lambda s: lb(f"decision_{s}", lang)),
        col("overdue"): dc["overdue"].map(lambda v: lb("yes" if v else "no", lang)),
        col("comment"): dc["comment"].fillna(""),
    })


def progress_chart_rows(b: Briefing, lang: str = "zh") -> pd.DataFrame:
    """What the progress charts draw, top to bottom: label, completion, fraction (序时进度 share of
    the year), status, colour, text (completion as a percentage)."""
    ov = b.overview
    return pd.DataFrame({
        "label": [f"{r['target_code']} {_target_label(r, lang)}" for r in ov.to_dict("records")],
        "completion": pd.to_numeric(ov["completion"], errors="coerce").fillna(0.0),
        "fraction": ov["fraction"].astype(float),
        "status": ov["status"],
        "colour": ov["status"].map(STATUS_COLOURS).fillna(NO_STATUS_COLOUR),
        "text": [_completion_text(c, s, lang) for c, s in zip(ov["completion"], ov["status"])],
    })


def _completion_text(completion: Any, status: object, lang: str) -> str:
    """'52.9%（滞后序时）'; with no target for the scope (no completion, no status): '—'."""
    if not isinstance(status, str) and pd.isna(pd.to_numeric(completion, errors="coerce")):
        return "—"
    if lang == "zh":
        return f"{figures.completion(completion, lang)}（{status_word(status, lang)}）"
    return f"{figures.completion(completion, lang)} ({status_word(status, lang)})"


def change_chart_rows(b: Briefing, lang: str = "zh") -> pd.DataFrame:
    """The week's change of each target as a share of its annual target, with the amount as text.
    Columns: label, share, text."""
    ch = b.changes.merge(b.overview[["target_code", "target"]], on="target_code")
    share = [c / t if t > 0 else 0.0 for c, t in zip(ch["change"], ch["target"])]
    units = target_units(b)
    return pd.DataFrame({
        "label": [f"{r['target_code']} {_target_label(r, lang)}" for r in ch.to_dict("records")],
        "share": share,
        "text": [figures.change(c, units[str(code)], lang) for c, code in zip(ch["change"], ch["target_code"])],
    })
