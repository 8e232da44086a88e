"""Shaping one target's KPI tables for the target-detail page: which target the link asks for,
the unit bullet rows, the ranking table, the chart's table for download, the chart labels.

Pure functions (no streamlit calls); the figures come from kpis via dashboard.data.
"""
from __future__ import annotations

from typing import Any

import datetime as dt
import textwrap

import pandas as pd

from data_access.present import figures

from dashboard.i18n import register, tr
from dashboard.ui.status_style import STATUS_COLOURS, status_text as status_label, status_word
from dashboard.views.overview import NO_TARGET_COLOUR, TEXT_COLOUR, amount, as_unit, bare, runs_to_note, weekly_text

row_unit = figures.row_unit
"""The `figures.Unit` of a target_overview row: what unit_bullet_table and ranking_table take."""

register({
    "tg_pick": ("选择目标", "Target"),
    "tg_bad_code": ("链接中的目标代码“{value}”不存在，已显示{code}。",
                    "Unknown target code “{value}” in the link; showing {code}."),
    "tg_cum_title": ("累计完成与序时进度", "Cumulative progress against the pace line"),
    "tg_units_title": ("各单位完成情况（对照各自分配任务）", "By unit, each against its own allocation"),
    "tg_ranking": ("排名", "Ranking"),
    "tg_series_table": ("累计进度数据", "Cumulative progress data"),
    "tg_actual": ("累计完成", "Done (cumulative)"),
    "tg_pace": ("序时进度", "Expected to date"),
    "tg_forecast": ("年末预测", "Year-end forecast"),
    "tg_range": ("预测区间", "Forecast range"),
    "tg_target": ("年度目标", "Annual target"),
    "tg_label_actual": ("{day} 累计 {value}", "{value} by {day}"),
    "tg_label_forecast": ("预测 {value}（{range}）", "Forecast {value} ({range})"),
    "tg_label_target": ("年度目标 {value}", "Annual target {value}"),
    "tg_col_done": ("完成 / 分配任务", "Done / allocation"),
    "tg_col_status": ("状态", "Status"),
    "tg_col_rank": ("排名", "Rank"),
    "tg_col_weekly": ("每周需完成", "Per week"),
    "tg_rank_n": ("第{n}名", "#{n}"),
    "tg_allocation_line": ("分配任务", "Allocation"),
    "tg_m_done": ("完成 / 年度目标", "Done / annual target"),
    "tg_m_pace": ("序时进度", "Expected to date"),
    "tg_m_status": ("状态", "Status"),
    "tg_m_week": ("较上周", "Week Δ"),
    "tg_m_forecast": ("年末预测（区间）", "Year-end forecast (range)"),
    "tg_m_weekly": ("每周需完成", "Needed per week"),
    "tg_col_day": ("日期", "Date"),
    "tg_file_units": ("目标{code}_各单位", "target_{code}_units"),
    "tg_file_series": ("目标{code}_累计进度", "target_{code}_cumulative"),
})

UNIT_TEXT_COLUMNS = ("done", "status", "rank", "weekly")
UNIT_BULLET_LAYOUT: dict[str, dict[str, Any]] = {
    "zh": dict(bullet_width=0.34, column_x=(0.40, 0.65, 0.80, 0.89), label_px=130),
    "en": dict(bullet_width=0.30, column_x=(0.34, 0.57, 0.79, 0.87), label_px=170),
}


def resolve_target(raw: str | None, codes: list[str], current: str | None = None
                   ) -> tuple[str, bool]:
    """The target to show and whether the link's code was valid.

    The link (`raw`, from ?target=) wins when valid; otherwise the session's current pick, then
    the first target. `raw` is matched case-insensitively (t07 -> T07).
    """
    if raw is not None:
        code = raw.strip().upper()
        if code in codes:
            return code, True
    fallback = current if current in codes else codes[0]
    return fallback, raw is None


def target_row(ov: pd.DataFrame, code: str) -> pd.Series:
    """One target's row of kpis.target_overview (target_code kept as a field)."""
    return ov[ov["target_code"] == code].iloc[0]


def year_end(plan_years: pd.DataFrame, year: int) -> dt.date:
    """The last day of a plan year, from queries.plan_years."""
    end: dt.date = plan_years.loc[plan_years["year"] == year, "end_date"].iloc[0]
    return end


def target_title(row: Any, lang: str) -> str:
    """'T07 新建户外劳动者爱心驿站' for the picker."""
    return f"{row['target_code']} {row['name_en'] if lang == 'en' else row['name_zh']}"


def target_titles(ov: pd.DataFrame, lang: str) -> dict[str, str]:
    """target_code -> the picker's title for every target of `ov` (data.target_overview)."""
    return {r["target_code"]: target_title(r, lang) for _, r in ov.iterrows()}


def headline(row: Any, lang: str, as_of: dt.date | None = None) -> list[tuple[str, str, str, str]]:
    """(label, value, colour, note) for the tiles of one target_overview row, all plain text; the
    note is the smaller line under the value: the forecast's range, and under 序时进度 the day the
    figures run to when it is not `as_of` (`runs_to_note`); '' for the others. 每周需完成 reads
    已完成 once the target is reached."""
    unit = figures.row_unit(row)
    forecast, forecast_range = figures.forecast(row["forecast"], row["forecast_low"], row["forecast_high"],
                                                unit, lang, target=row["target"])
    return [
        (tr("tg_m_done", lang), f"{bare(row['actual'], unit, lang)} / "
                                f"{amount(row['target'], unit, lang)}", TEXT_COLOUR, ""),
        (tr("tg_m_pace", lang), amount(row["expected"], unit, lang), TEXT_COLOUR,
         runs_to_note(row.get("runs_to"), as_of, lang)),
        (tr("tg_m_status", lang), status_label(row["status"], lang),
         STATUS_COLOURS.get(row["status"], TEXT_COLOUR), ""),
        (tr("tg_m_week", lang), figures.change(row["change_week"], unit, lang), TEXT_COLOUR, ""),
        (tr("tg_m_forecast", lang), forecast, TEXT_COLOUR, forecast_range),
        (tr("tg_m_weekly", lang), weekly_text(row, unit, lang), TEXT_COLOUR, ""),
    ]


def unit_name(row: Any, lang: str) -> str:
    return str(row["unit_name_en"] if lang == "en" else row["unit_name_zh"])


def unit_label(row: Any, lang: str) -> str:
    """The unit's name for a chart row; long English names on two lines."""
    name = unit_name(row, lang)
    if lang != "en":
        return name
    lines = textwrap.wrap(name, 22) or [name]
    return "<br>".join(lines[:2]) + ("…" if len(lines) > 2 else "")


def _ranked(ub: pd.DataFrame) -> pd.DataFrame:
    """Ranked units first (best first), then units without an allocation."""
    out = ub.copy()
    out["_unranked"] = out["rank"].isna()
    out["_rank"] = out["rank"].astype("Float64").fillna(0)
    return out.sort_values(["_unranked", "_rank"], kind="stable").drop(columns=["_unranked", "_rank"])


def unit_bullet_table(ub: pd.DataFrame, unit_zh: str | figures.Unit, lang: str) -> pd.DataFrame:
    """Rows for charts.bullet_rows: one per unit (best rank on top), shares of its allocation.
    `unit_zh`: the target's unit (`row_unit`; a bare Chinese word reads with a generic English one)."""
    unit = as_unit(unit_zh)
    rows = []
    for _, r in _ranked(ub).iterrows():
        alloc = float(r["allocation"])
        has = alloc > 0
        rows.append({
            "row_id": r["unit_code"], "label": unit_label(r, lang), "header": False,
            "actual_share": float(r["actual"]) / alloc if has else 0.0,
            "expected_share": float(r["expected"]) / alloc if has else float("nan"),
            "colour": STATUS_COLOURS.get(r["status"]) if has else NO_TARGET_COLOUR,
            "bar_labels": figures.completion(r["completion"], lang) if has else tr("ov_no_alloc", lang),
            "done": f"{bare(r['actual'], unit, lang)} / {amount(alloc, unit, lang)}",
            "status": status_label(r["status"], lang) if has else "—",
            "status_colour": STATUS_COLOURS.get(r["status"]) if has else NO_TARGET_COLOUR,
            "rank": tr("tg_rank_n", lang, n=int(r["rank"])) if not pd.isna(r["rank"]) else "—",
            "weekly": weekly_text(r, unit, lang) if has else "—",
        })
    return pd.DataFrame(rows)


def unit_text_titles(lang: str) -> dict[str, str]:
    return {k: tr(f"tg_col_{k}", lang) for k in UNIT_TEXT_COLUMNS}


def ranking_table(ub: pd.DataFrame, unit_zh: str | figures.Unit, lang: str) -> pd.DataFrame:
    """The ranking (排名) with localised headers and the numbers as shown (`present.figures`:
    rounded as the bullets read them; completion in percent with one decimal), for display and
    download."""
    unit = as_unit(unit_zh)
    u = unit.word(lang)
    cols = {
        "rank": tr("col_rank", lang), "unit": tr("col_unit", lang),
        "actual": f"{tr('col_actual', lang)}（{u}）" if lang == "zh" else f"{tr('col_actual', lang)} ({u})",
        "allocation": f"{tr('col_allocation', lang)}（{u}）" if lang == "zh"
        else f"{tr('col_allocation', lang)} ({u})",
        "completion": f"{tr('col_completion', lang)}（%）" if lang == "zh"
        else f"{tr('col_completion', lang)} (%)",
        "expected": f"{tr('col_expected', lang)}（{u}）" if lang == "zh"
        else f"{tr('col_expected', lang)} ({u})",
        "status": tr("col_status", lang),
        "weekly": f"{tr('col_weekly', lang)}（{u}）" if lang == "zh"
        else f"{tr('col_weekly', lang)} ({u})",
    }
    rows = []
    for _, r in _ranked(ub).iterrows():
        has = float(r["allocation"]) > 0
        rows.append({
            cols["rank"]: r["rank"], cols["unit"]: unit_name(r, lang),
            cols["actual"]: figures.shown(r["actual"], unit, lang),
            cols["allocation"]: figures.shown(r["allocation"], unit, lang),
            cols["completion"]: _percent_shown(r["completion"]) if has else None,
            cols["expected"]: figures.shown(r["expected"], unit, lang),
            cols["status"]: status_word(r['status'], lang) if has else "—",
            cols["weekly"]: figures.weekly_value(r["required_weekly"], unit, lang),
        })
    out = pd.DataFrame(rows, columns=list(cols.values()))
    out[cols["rank"]] = out[cols["rank"]].astype("Int64")
    return out


def _percent_shown(share: Any) -> float | None:
    """A share as the percentage shown (52.9 for 52.9%)."""
    value = figures.completion_value(share)
    return None if value is None else round(value * 100, 1)


def series_table(series: pd.DataFrame, lang: str) -> pd.DataFrame:
    """kpis.cumulative_series with localised headers, dates as dates, amounts rounded."""
    return pd.DataFrame({
        tr("tg_col_day", lang): series["day"],
        tr("tg_actual", lang): series["actual_cum"].round(2),
        tr("tg_pace", lang): series["expected_cum"].round(2),
    })


def chart_labels(row: Any, as_of: dt.date, lang: str) -> tuple[dict[str, str], dict[str, str]]:
    """(legend names, on-chart texts) for charts.cumulative_chart from a target_overview row; the
    cumulative label names the day the figures run to (`runs_to`), `as_of` before the first period."""
    unit = figures.row_unit(row)
    names = {k: tr(f"tg_{k}", lang) for k in ("actual", "pace", "forecast", "range", "target")}
    runs = row.get("runs_to")
    shown = as_of if runs is None or pd.isna(runs) else runs
    day = f"{shown.month}月{shown.day}日" if lang == "zh" else f"{shown.day} {shown:%b}"
    rng = figures.forecast(row["forecast"], row["forecast_low"], row["forecast_high"], unit, lang,
                           target=row["target"])[1] or "—"
    texts = {
        "actual": tr("tg_label_actual", lang, day=day, value=amount(row["actual"], unit, lang)),
        "forecast": tr("tg_label_forecast", lang, value=amount(row["forecast"], unit, lang),
                       range=rng),
        "target": tr("tg_label_target", lang, value=amount(row["target"], unit, lang)),
    }
    return names, texts


def forecast_tuple(row: Any) -> tuple[float | None, float | None, float | None]:
    def val(key: str) -> float | None:
        return None if pd.isna(row[key]) else float(row[key])
    return val("forecast"), val("forecast_low"), val("forecast_high")

