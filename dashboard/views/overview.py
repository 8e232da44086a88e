"""Shaping the KPI tables (kpis.target_overview, kpis.unit_breakdown, queries.milestones) into
what the overview page shows: bullet-chart rows, tile counts, the attention list, milestones.

Pure functions (DataFrame and language in, DataFrame or text out): no streamlit calls, so every
figure on the page can be checked in a notebook or a unit test.
"""
from __future__ import annotations

from typing import Any

import datetime as dt
import html
import math
import textwrap

import pandas as pd

from data_access.present import figures, fmt
from data_access.present.status import shown_statuses
from data_access.kpis import tables, metrics
from data_access.kpis.metrics import STATUS_BEHIND

from dashboard.i18n import register, tr
from dashboard.ui.status_style import ALL_STATUSES, STATUS_COLOURS, STATUS_ICONS, status_text

NO_TARGET_COLOUR = "#8c959f"
TEXT_COLOUR = "#24292f"

register({
    "ov_chart_title": ("各项目标进度（条 = 完成，竖线 = 序时进度，满格 = 年度目标）",
                       "Targets (bar = done, tick = expected to date, full scale = annual target)"),
    "ov_col_done": ("完成 / 年度目标", "Done / target"),
    "ov_col_pace": ("序时进度", "Expected"),
    "ov_col_status": ("状态", "Status"),
    "ov_col_week": ("较上周", "Week Δ"),
    "ov_col_forecast": ("年末预测（区间）", "Year-end forecast"),
    "ov_target_line": ("年度目标", "Target"),
    "ov_no_alloc": ("无分配任务", "No allocation"),
    "ov_no_targets": ("（无量化目标）", " (no quantified target)"),
    "ov_tile_targets": ("目标项数", "Targets"),
    "ov_tile_milestones": ("工作节点完成", "Milestones done"),
    "ov_tile_count": ("{n} 项", "{n}"),
    "ov_attention": ("需要关注", "Needs attention"),
    "ov_att_targets": ("滞后序时的目标", "Targets behind pace"),
    "ov_att_units": ("滞后序时的单位", "Units behind pace"),
    "ov_att_none_targets": ("没有滞后序时的目标。", "No target is behind pace."),
    "ov_att_none_units": ("没有滞后序时的单位。", "No unit is behind pace."),
    "ov_att_more": ("全部 {n} 项单位滞后明细", "All {n} unit shortfalls"),
    "ov_att_need": ("{code} 每周需{weekly}", "{code} needs {weekly}/week"),
    "ov_att_missed": ("完成率{share}", "{share} achieved"),
    "ov_att_etc": (" 等", " etc."),
    "ov_att_count": ("{n}项滞后", "{n} behind"),
    # a closed year (kpis.metrics.FINAL_STATUSES): the year's result, not a pace
    "ov_att_targets_final": ("未达成的目标", "Targets not achieved"),
    "ov_att_units_final": ("未完成分配任务的单位", "Units short of their allocation"),
    "ov_att_none_targets_final": ("全部目标均已达成。", "Every target was achieved."),
    "ov_att_none_units_final": ("各单位均已完成分配任务。", "Every unit reached its allocations."),
    "ov_att_more_final": ("全部 {n} 项单位未完成明细", "All {n} unit shortfalls"),
    "ov_att_count_final": ("{n}项未完成", "{n} short"),
    "ov_runs_to": ("至{day}", "to {day}"),
    "ov_milestones": ("重点工作节点", "Milestones"),
    "ov_ms_none": ("本年度没有工作节点。", "No milestones this year."),
    "ms_done": ("已完成", "Done"),
    "ms_in_progress": ("进行中", "In progress"),
    "ms_not_started": ("未开始", "Not started"),
    "ms_delayed": ("延期", "Delayed"),
    "ms_overdue": ("已逾期", "Overdue"),
    "col_unit": ("单位", "Unit"),
    "col_target": ("目标", "Target"),
    "col_actual": ("完成", "Done"),
    "col_allocation": ("分配任务", "Allocation"),
    "col_expected": ("序时进度", "Expected to date"),
    "col_completion": ("完成率", "Completion"),
    "col_status": ("状态", "Status"),
    "col_weekly": ("每周需完成", "Needed per week"),
    "col_rank": ("排名", "Rank"),
    "col_due": ("截止日期", "Due"),
    "col_milestone": ("工作节点", "Milestone"),
})

MS_ICONS = {"done": "✓", "in_progress": "…", "not_started": "○", "delayed": "!", "overdue": "!"}
MS_COLOURS = {"done": "green", "in_progress": "blue", "not_started": "gray", "delayed": "orange",
              "overdue": "red"}


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def as_unit(unit: str | figures.Unit) -> figures.Unit:
    """A `figures.Unit` (a bare Chinese unit word: its generic English word, no money scale)."""
    return unit if isinstance(unit, figures.Unit) else figures.unit_of(unit, fmt.EN_UNITS.get(unit, unit))


def amount(value: Any, unit: str | figures.Unit, lang: str) -> str:
    """An amount by the presentation model (`present.figures.amount`)."""
    return figures.amount(value, as_unit(unit), lang)


def bare(value: Any, unit: str | figures.Unit, lang: str) -> str:
    """An amount without its unit ('25.1万', '251,000'), for 'a / b' pairs (`figures.bare`)."""
    return figures.bare(value, as_unit(unit), lang)


def amount_range(low: Any, high: Any, unit: str | figures.Unit, lang: str) -> str:
    """'25.1万–53.3万人' / '251,000–533,000 people': one unit (`figures.amount_range`)."""
    return figures.amount_range(low, high, as_unit(unit), lang)


def short_name(name: str, lang: str, width: int | None = None) -> str:
    """A target name short enough for a chart row: parentheticals dropped, the part after '：'
    kept when the name is long, wrapped onto at most two lines (plotly <br>)."""
    text = figures.short_name(name)  # the one short form; only wrapped here
    width = width or (14 if lang == "zh" else 30)
    if lang == "zh":
        lines = [text[i:i + width] for i in range(0, len(text), width)]
    else:
        lines = textwrap.wrap(text, width) or [text]
    if len(lines) > 2:
        lines = [lines[0], lines[1][:-1] + "…"]
    return "<br>".join(lines)


def one_line(name: str, lang: str) -> str:
    """short_name without the line breaks, for lists and tables."""
    return short_name(name, lang, width=1000)


def _name(row: Any, lang: str) -> str:
    return str(row["name_en"] if lang == "en" else row["name_zh"])


def _unit(row: Any, lang: str) -> figures.Unit:
    return figures.row_unit(row)  # the target's own units (English word from the data)


def forecast_text(row: Any, lang: str) -> str:
    """'347场次' and, on a smaller second line, the range '347–533场次' (`figures.forecast`)."""
    point, rng = figures.forecast(row["forecast"], row["forecast_low"], row["forecast_high"],
                                  _unit(row, lang), lang, target=row.get("target"))
    return f"{point}<br><span style='font-size:12px'>{rng}</span>" if rng else point


TEXT_COLUMNS = ("done", "pace", "status", "week", "forecast")
# Where the bullets end and each text column starts (fractions of the plot width), tuned by
# looking at 1920x1080 screenshots with the sidebar open.
BULLET_LAYOUT: dict[str, dict[str, Any]] = {
    "zh": dict(bullet_width=0.34, column_x=(0.36, 0.545, 0.64, 0.755, 0.845), label_px=215),
    "en": dict(bullet_width=0.26, column_x=(0.295, 0.49, 0.615, 0.75, 0.86), label_px=215),
}


def text_column_titles(lang: str) -> dict[str, str]:
    return {k: tr(f"ov_col_{k}", lang) for k in TEXT_COLUMNS}


def runs_to_note(runs_to: Any, as_of: dt.date | None, lang: str) -> str:
    """'至6月23日' / 'to 23 Jun' when a figure runs to another day than the view's as-of date
    (`kpis.calendar.runs_to`: the end of the last complete week or month), else ''. Nothing
    before the first period (尚无数据 says it) or without `as_of`."""
    if as_of is None or _missing(runs_to) or runs_to == as_of:
        return ""
    day = f"{runs_to.month}月{runs_to.day}日" if lang == "zh" else f"{runs_to.day} {runs_to:%b}"
    return tr("ov_runs_to", lang, day=day)


def weekly_text(row: Any, unit: str | figures.Unit, lang: str) -> str:
    """The weekly amount a row still needs (`present.figures.weekly`: whole counts, 约每5周1个), or
    已完成 once its target (allocation) is reached (the table's `done`); '—' once the year is over."""
    if bool(row.get("final", False)):  # a closed year needs nothing more: no rate (as the briefing)
        return figures.weekly(None, as_unit(unit), lang)
    if bool(row.get("done", False)):
        return figures.WEEKLY_WORDS["done"][1 if lang == "en" else 0]  # the model's one word
    return figures.weekly(row["required_weekly"], as_unit(unit), lang)


def closed(ov: pd.DataFrame) -> bool:
    """Whether the view shows a closed plan year (`final`: at or after its last day)."""
    return bool(len(ov)) and bool(ov["final"].fillna(False).astype(bool).all())


def attention_text(key: str, ov: pd.DataFrame, lang: str, **values: Any) -> str:
    """An attention-list text (`ov_att_targets`, `ov_att_units`, `ov_att_none_targets`,
    `ov_att_none_units`, `ov_att_more`): in a closed year its final wording (未达成, not 滞后序时)."""
    return tr(f"{key}_final" if closed(ov) else key, lang, **values)


def bullet_table(ov: pd.DataFrame, lang: str, projects: pd.DataFrame | None = None,
                 as_of: dt.date | None = None) -> pd.DataFrame:
    """Rows for charts.bullet_rows from kpis.target_overview: a heading per project, then its
    targets with shares of the annual target and the text columns of TEXT_COLUMNS. With `as_of`,
    序时进度 of a target whose figures run to another day says that day (`runs_to_note`).

    `projects` (code, name_zh, name_en in plan order) adds headings for projects without any
    quantified target; without it the headings come from `ov`."""
    if projects is None:
        projects = (ov[["project_code", "project_name_zh", "project_name_en"]].drop_duplicates()
                    .set_axis(["code", "name_zh", "name_en"], axis=1))
    rows = []
    for p in projects.itertuples(index=False):
        group = ov[ov["project_code"] == p.code]
        label = f"{p.code} {p.name_en if lang == 'en' else p.name_zh}"
        if group.empty:
            label += tr("ov_no_targets", lang)
        rows.append({"row_id": p.code, "label": label, "header": True})
        for _, r in group.iterrows():
            unit, target = _unit(r, lang), float(r["target"])
            has_target = target > 0
            rows.append({
                "row_id": r["target_code"],
                "label": f"{r['target_code']} {short_name(_name(r, lang), lang)}",
                "header": False,
                "actual_share": float(r["actual"]) / target if has_target else 0.0,
                "expected_share": float(r["expected"]) / target if has_target else float("nan"),
                "colour": STATUS_COLOURS.get(r["status"]) if has_target else NO_TARGET_COLOUR,
                "bar_labels": figures.completion(r["completion"], lang) if has_target
                else tr("ov_no_alloc", lang),
                "done": f"{bare(r['actual'], unit, lang)} / {amount(target, unit, lang)}",
                "pace": _with_note(amount(r["expected"], unit, lang),
                                   runs_to_note(r.get("runs_to"), as_of, lang)),
                "status": status_text(r["status"], lang) if has_target else "—",
                "status_colour": STATUS_COLOURS.get(r["status"]) if has_target
                else NO_TARGET_COLOUR,
                "week": figures.change(r["change_week"], unit, lang),
                "forecast": forecast_text(r, lang) if has_target else "—",
                # a forecast short of the target is flagged (the numbers say by how much)
                "forecast_colour": STATUS_COLOURS[STATUS_BEHIND] if has_target and not
                _missing(r["forecast"]) and float(r["forecast"]) < target else TEXT_COLOUR,
            })
    return pd.DataFrame(rows)


def _with_note(text: str, note: str) -> str:
    return f"{text}<br><span style='font-size:12px'>{note}</span>" if note else text


def behind_targets(ov: pd.DataFrame, lang: str) -> list[str]:
    """One markdown line per target behind pace, worst (lowest actual/expected) first, with the
    weekly amount it needs from now on: '▼ **T06 职工子女爱心托管班** 每周需8家'; once the year is
    over, the targets 未达成 with the share achieved: '✖ **T06 职工子女爱心托管班** 完成率92.0%'."""
    behind = ov[ov["status"].isin((STATUS_BEHIND, metrics.STATUS_MISSED)) & (ov["target"] > 0)]
    behind = behind.sort_values("pace_ratio", na_position="last")
    out = []
    for _, r in behind.iterrows():
        if r["status"] == metrics.STATUS_MISSED:
            need = tr("ov_att_missed", lang, share=figures.completion(r["completion"], lang))
        else:
            need = figures.weekly_phrase(r["required_weekly"], _unit(r, lang), lang)
        out.append(f"{STATUS_ICONS[r['status']]} **{r['target_code']} "
                   f"{one_line(_name(r, lang), lang)}** {need}")
    return out


def tile_html(label: str, value: str, colour: str = TEXT_COLOUR, inline: bool = True,
              size: str = "1.6rem", note: str = "") -> str:
    """A compact KPI tile's HTML (st.metric is taller and cuts long values off), with an optional
    smaller `note` line under the value (e.g. the forecast's range). Label, value and note are
    escaped: they carry names and units an administrator can edit."""
    sep = "　" if inline else "<br>"
    small = (f"<br><span style='font-size:0.9rem;font-weight:400;color:{TEXT_COLOUR}'>"
             f"{html.escape(note)}</span>") if note else ""
    return (f"{html.escape(label)}{sep}<span style='font-size:{size};font-weight:700;color:{colour};"
            f"line-height:1.25'>{html.escape(value)}</span>{small}")


def tiles(ov: pd.DataFrame, ms: pd.DataFrame, as_of: dt.date, lang: str) -> list[tuple[str, str, str]]:
    """(label, value, colour) of the KPI tiles: targets, the status counts, milestones. The status
    counts add up to the targets (present.status.shown_statuses): the three pace statuses (and
    尚无数据 while some target has no closed period), or a closed year's 达成 / 未达成."""
    counts = tables.status_counts(ov, ALL_STATUSES)
    out = [(tr("ov_tile_targets", lang), tr("ov_tile_count", lang, n=counts["total"]), TEXT_COLOUR)]
    out += [(status_text(s, lang), tr("ov_tile_count", lang, n=counts[s]), STATUS_COLOURS[s])
            for s in shown_statuses(counts)]
    done, total = milestones_done(ms, as_of)
    out.append((tr("ov_tile_milestones", lang), f"{done} / {total}", TEXT_COLOUR))
    return out


def behind_unit_rows(ub: pd.DataFrame, ov: pd.DataFrame) -> pd.DataFrame:
    """(unit, target) pairs behind pace on the unit's own allocation (in a closed year: 未达成),
    worst first. `ub` from kpis.unit_breakdown, `ov` from kpis.target_overview (names, units)."""
    b = ub[ub["status"].isin((STATUS_BEHIND, metrics.STATUS_MISSED)) & (ub["allocation"] > 0)]
    names = ov.set_index("target_code")[["name_zh", "name_en", "unit_zh", "unit_en", "target"]]
    b = b.merge(names, left_on="target_code", right_index=True, how="inner")
    return b.sort_values(["pace_ratio", "gap"], ascending=[True, False]).reset_index(drop=True)


ATTENTION_COLUMNS = ("col_unit", "col_target", "col_actual", "col_expected", "col_allocation",
                     "col_weekly")


def behind_units_table(rows: pd.DataFrame, lang: str) -> pd.DataFrame:
    """behind_unit_rows as a display table with localised headers."""
    out = []
    for _, r in rows.iterrows():
        unit = figures.row_unit(r)  # the target's unit (its city target sets the money scale)
        out.append(dict(zip([tr(k, lang) for k in ATTENTION_COLUMNS], [
            r["unit_name_en"] if lang == "en" else r["unit_name_zh"],
            f"{r['target_code']} {one_line(_name(r, lang), lang)}",
            amount(r["actual"], unit, lang), amount(r["expected"], unit, lang),
            amount(r["allocation"], unit, lang), figures.weekly(r["required_weekly"], unit, lang),
        ])))
    return pd.DataFrame(out, columns=[tr(k, lang) for k in ATTENTION_COLUMNS])


def unit_lines(rows: pd.DataFrame, lang: str, limit: int, per_unit: int = 2) -> list[str]:
    """One markdown line per unit behind pace (most targets behind first, then the worst ratio):
    '▼ **卫东区** 4项滞后：T06 每周需1家、T11 每周需30人 等'; in a closed year the shortfalls with
    the share achieved: '✖ **卫东区** 2项未完成：T06 完成率50.0%、T11 完成率80.0%'."""
    if rows.empty:
        return []
    order = (rows.groupby("unit_code", sort=False)
             .agg(n=("target_code", "size"), worst=("pace_ratio", "min"))
             .sort_values(["n", "worst"], ascending=[False, True]))
    out = []
    for code, g in order.head(limit).iterrows():
        first = rows[rows["unit_code"] == code]
        name = first.iloc[0]["unit_name_en" if lang == "en" else "unit_name_zh"]
        final = bool((first["status"] == metrics.STATUS_MISSED).all())
        needs = [f"{r['target_code']} " + tr("ov_att_missed", lang, share=figures.completion(r["completion"], lang))
                 if final else f"{r['target_code']} {figures.weekly_phrase(r['required_weekly'], figures.row_unit(r), lang)}"
                 for _, r in first.head(per_unit).iterrows()]
        more = tr("ov_att_etc", lang) if len(first) > per_unit else ""
        colon, sep = ("：", "、") if lang == "zh" else (": ", ", ")
        icon = STATUS_ICONS[metrics.STATUS_MISSED if final else STATUS_BEHIND]
        count = tr("ov_att_count_final" if final else "ov_att_count", lang, n=int(g["n"]))
        out.append(f"{icon} **{name}** {count}{colon}{sep.join(needs)}{more}")
    return out


def milestone_lines(ms: pd.DataFrame, as_of: dt.date, lang: str) -> list[tuple[str, str]]:
    """(state, markdown line) per milestone, by due date: '5月30日 职工经典诵读活动 ✓ 已完成'."""
    out = []
    for _, r in ms.sort_values("due_date").iterrows():
        due = r["due_date"] if not _missing(r["due_date"]) else None
        done_on = r["done_on"] if not _missing(r["done_on"]) else None
        state = metrics.milestone_state(r["status"], due, done_on, as_of)
        name = r["name_en"] if lang == "en" else r["name_zh"]
        when = (f"{due.month}月{due.day}日" if lang == "zh" else f"{due.day} {due:%b}") if due else "—"
        badge = f":{MS_COLOURS[state]}-badge[{MS_ICONS[state]} {tr('ms_' + state, lang)}]"
        out.append((state, f"`{when}` {name} {badge}"))
    return out


def milestones_done(ms: pd.DataFrame, as_of: dt.date) -> tuple[int, int]:
    """(done by as_of, total)."""
    states = [s for s, _ in milestone_lines(ms, as_of, "zh")]
    return sum(s == "done" for s in states), len(states)


ATTENTION_UNITS_SHOWN = 4
"""Units named in the overview's attention list (the rest in its expander's table)."""


def panel(ov: pd.DataFrame, ub: pd.DataFrame, ms: pd.DataFrame, as_of: dt.date, lang: str,
          units_shown: int) -> dict[str, Any]:
    """Everything of the overview beside its chart, as texts and one table: the tiles, the
    attention list (targets and the first `units_shown` units behind, with the rest in a table)
    and the milestones. Made once per view and language (dashboard.data.overview_panel): shaping
    these on every rerun was a sixth of the server's CPU under load."""
    behind = behind_unit_rows(ub, ov)
    return {
        "tiles": tiles(ov, ms, as_of, lang),
        "targets_caption": attention_text("ov_att_targets", ov, lang),
        "target_lines": behind_targets(ov, lang),
        "targets_none": attention_text("ov_att_none_targets", ov, lang),
        "units_caption": attention_text("ov_att_units", ov, lang),
        "unit_lines": unit_lines(behind, lang, units_shown, per_unit=1),
        "units_none": attention_text("ov_att_none_units", ov, lang),
        "more_label": attention_text("ov_att_more", ov, lang, n=len(behind)) if len(behind) else None,
        "more_table": behind_units_table(behind, lang) if len(behind) else None,
        "milestone_lines": [line for _, line in milestone_lines(ms, as_of, lang)],
    }
