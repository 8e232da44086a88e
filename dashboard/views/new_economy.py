"""The new-economy page's texts and pure shaping into display-ready tables (labels in the page's
language, shares, growth rates, flags); views/new_economy_model.py assembles the page's model.

Periods: "this year" is the plan year's complete months up to the as-of date (membership is
reported by month); "same period last year" is the same months one year earlier, as known now.
The T11 figures come from `data.target_overview`, the overview's own function.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from data_access.kpis import queries
from data_access.present import figures, fmt
from data_access.kpis import new_economy as ne

from dashboard.i18n import register, tr

T11 = "T11"

# Names in the data are Chinese; English labels for industries, federations and platforms.
NAMES_EN = {
    "外卖配送": "Food delivery", "快递": "Express delivery", "网约车": "Ride-hailing",
    "货车司机": "Truck drivers", "家政服务": "Domestic services", "物流与电商": "Logistics & e-commerce",
    "美团": "Meituan", "饿了么": "Ele.me", "京东": "JD.com", "顺丰": "SF Express", "中通": "ZTO",
    "韵达": "Yunda", "苏宁易购": "Suning", "滴滴": "DiDi", "曹操出行": "Caocao", "满帮": "Full Truck Alliance",
    "其他": "Other",
}

COLUMNS = {  # column key -> (zh, en) headings of the page's tables and downloads
    "label": ("名称", "Name"), "industry": ("行业", "Industry"), "platform": ("平台/品牌", "Platform / brand"),
    "unit": ("区县", "County"), "federation": ("行业工会联合会", "Industry federation"),
    "new_members": ("本年新入会（人）", "New members this year"),
    "share": ("占比", "Share"), "last_year": ("去年同期（人）", "Same period last year"),
    "growth": ("同比增长", "Growth vs last year"), "month": ("月份", "Month"),
    "orgs": ("组织数（个）", "Organisations"), "members_cum": ("累计入会（人）", "Members to date"),
    "per_org": ("每个组织累计入会（人）", "Members per organisation"),
    "per_org_year": ("每个组织本年入会（人）", "New members per organisation this year"),
    "members_at_founding": ("建会时会员（人）", "Members at founding"),
    "baseline": ("此前12个月中位数（人）", "Median of previous 12 months"),
    "ratio": ("倍数", "Multiple"), "total": ("合计", "Total"),
}
register({f"ne_col_{k}": v for k, v in COLUMNS.items()})
register({
    "ne_title": ("新业态劳动者入会", "New-economy workers joining unions"),
    "ne_intro": ("外卖配送员、快递员、网约车司机、货车司机、家政服务员等新就业形态劳动者入会情况。",
                 "Delivery riders, couriers, ride-hailing and truck drivers, domestic workers: "
                 "who joined the unions."),
    "ne_no_t11": ("本计划年度没有新业态会员目标（T11）。", "This plan year has no new-economy member target (T11)."),
    "ne_head_year": ("本年新发展新业态会员", "New new-economy members this year"),
    "ne_head_cum": ("新业态会员累计", "New-economy members to date"),
    "ne_head_orgs": ("新业态领域工会组织", "Union organisations in the field"),
    "ne_vs_week": ("较上周", "vs a week earlier"),
    "ne_exact": ("精确值：{value}", "Exact figure: {value}"),
    "ne_vs_month": ("较上月", "vs a month earlier"),
    "ne_yoy": ("同比", "YoY"),
    "ne_target_line": ("目标 {target}，序时进度 {expected}，完成率 {completion}",
                       "Target {target}; expected by now {expected}; {completion} done"),
    "ne_sec_growth": ("增长趋势", "Growth over time"),
    "ne_monthly": ("每月新入会人数（按行业）", "New members per month, by industry"),
    "ne_cumulative": ("累计入会与序时进度", "Cumulative against the pace line"),
    "ne_total": ("合计", "Total"),
    "ne_flag": ("异常", "Flag"),
    "ne_flag_text": ("异常：{unit}", "Check: {unit}"),
    "ne_actual": ("实际累计", "Actual to date"),
    "ne_pace": ("序时进度", "Expected pace"),
    "ne_range": ("年末预测区间", "Year-end forecast range"),
    "ne_forecast": ("年末预测", "Year-end forecast"),
    "ne_forecast_text": ("预测 {value}", "Forecast {value}"),
    "ne_target_text": ("目标 {value}", "Target {value}"),
    "ne_sec_sources": ("来源结构", "Where the growth comes from"),
    "ne_by_industry": ("按行业", "By industry"),
    "ne_by_platform": ("按平台/品牌", "By platform or brand"),
    "ne_by_unit": ("按区县", "By county"),
    "ne_county_industry": ("区县 × 行业（本年新入会，人）", "County × industry (new members this year)"),
    "ne_sec_orgs": ("新业态工会组织", "Union organisations in the field"),
    "ne_orgs_chart": ("每月新建工会组织（按行业工会联合会）与组织总数",
                      "Organisations founded per month (by federation) and the number in the field"),
    "ne_in_field": ("组织总数", "In the field"),
    "ne_per_org": ("每个组织累计入会人数（按行业工会联合会）", "Members per organisation, by industry federation"),
    "ne_fed_note": ("行业归属：外卖配送、货车司机归物流与电商；快递、网约车、家政服务各归本行业联合会。",
                    "Federations: food delivery and truck drivers belong to logistics & e-commerce; "
                    "express delivery, ride-hailing and domestic services to their own."),
    "ne_sec_flags": ("入会人数异常月份", "Months with an unusual intake"),
    "ne_no_flags": ("本年没有需要核实的异常月份。", "No month this year needs checking."),
    "ne_flags_found": ("以下月份入会人数明显偏离本单位历史水平，建议在例会上核实（可能是集中录入）。",
                       "These months jump far above the unit's own history; worth a question in the "
                       "meeting (possibly a bulk entry)."),
    "ne_table": ("数据表", "Table"),
    "ne_per_org_text": ("{members}（{orgs}）", "{members} ({orgs})"),
})


# One colour per industry and federation on every chart of the page.
COLOURS = {"快递": "#1f6feb", "货车司机": "#2da44e", "外卖配送": "#bf8700", "网约车": "#8250df",
           "家政服务": "#e16f24", "物流与电商": "#0b7285", "其他": "#57606a"}


def colours(lang: str) -> dict[str, str]:
    """Display label -> colour, for the chart builders."""
    return {name(k, lang): v for k, v in COLOURS.items()}


def name(value: str, lang: str) -> str:
    """An industry, federation or platform name in the page's language."""
    return NAMES_EN.get(value, value) if lang == "en" else value


def month_label(month: dt.date, lang: str) -> str:
    return month.strftime("%b %Y") if lang == "en" else f"{month.year}年{month.month}月"


# ---------------------------------------------------------------------------------------------
# pure shaping


@dataclass(frozen=True)
class Periods:
    start: dt.date  # plan year start (first of a month)
    end: dt.date  # plan year end
    until: dt.date  # last complete month of the plan year by as_of (may precede start)
    ly_start: dt.date  # the same months one year earlier
    ly_until: dt.date

    @property
    def has_months(self) -> bool:
        return self.until >= self.start


def periods(start: dt.date, end: dt.date, as_of: dt.date) -> Periods:
    until = min(queries.last_complete_month(as_of), queries.first_of_month(end))
    return Periods(queries.first_of_month(start), end, until,
                   queries.add_months(queries.first_of_month(start), -12), queries.add_months(until, -12))


def month_earlier(day: dt.date) -> dt.date:
    """The day 较上月 compares with: the same day one calendar month earlier (15 Jun -> 15 May,
    31 Mar -> 28 Feb), and for the last day of a month the last day of the month before (30 Jun ->
    31 May): members count by complete months, and 30 May would leave May out, adding it to June."""
    first = queries.add_months(day.replace(day=1), -1)
    if day == queries.month_end(day.replace(day=1)):
        return queries.month_end(first)
    return min(day.replace(year=first.year, month=first.month, day=1) + dt.timedelta(days=day.day - 1),
               queries.month_end(first))


def year_earlier(day: dt.date) -> dt.date:
    return day.replace(year=day.year - 1, day=28) if (day.month, day.day) == (2, 29) else \
        day.replace(year=day.year - 1)


def growth(now: float, before: float | None) -> float | None:
    """Relative change now / before - 1; None when there is nothing to compare with."""
    if before is None or before <= 0:
        return None
    return now / before - 1


def breakdown(this: pd.DataFrame, last: pd.DataFrame, key: str) -> pd.DataFrame:
    """This year's new members per `key` with share and growth against the same period last year.
    Columns: key, new_members, share (of this year's total), last_year, growth. Largest first."""
    merged = this.merge(last, on=key, how="outer", suffixes=("", "_ly")).fillna(
        {"new_members": 0, "new_members_ly": 0})
    total = merged["new_members"].sum()
    out = pd.DataFrame({
        key: merged[key],
        "new_members": merged["new_members"].astype("int64"),
        "share": merged["new_members"] / total if total else float("nan"),
        "last_year": merged["new_members_ly"].astype("int64"),
    })
    out["growth"] = [growth(a, b) for a, b in zip(out["new_members"], out["last_year"])]
    return out.sort_values(["new_members", key], ascending=[False, True], ignore_index=True)


def cumulative_points(monthly: pd.DataFrame, value: str, last_n: int) -> list[float]:
    """Running total of `value` over `monthly` (sorted by month), its last `last_n` points."""
    if monthly.empty:
        return []
    return [float(v) for v in monthly.sort_values("month")[value].cumsum().tail(last_n)]


def federation_table(org_fed: pd.DataFrame, cum_fed: pd.DataFrame, year_fed: pd.DataFrame) -> pd.DataFrame:
    """Per federation: orgs in the field, members to date, new members this year and per-org ratios.
    Columns: federation, orgs, members_at_founding, members_cum, new_members, per_org, per_org_year.
    Every federation of ne.FEDERATIONS appears (others after them if present)."""
    feds = list(ne.FEDERATIONS) + sorted(
        set(org_fed["federation"]).union(cum_fed["federation"]).difference(ne.FEDERATIONS))
    out = pd.DataFrame({"federation": feds})
    out = out.merge(org_fed, on="federation", how="left")
    out = out.merge(cum_fed.rename(columns={"new_members": "members_cum"}), on="federation", how="left")
    out = out.merge(year_fed, on="federation", how="left").fillna(0)
    for col in ("orgs", "members_at_founding", "members_cum", "new_members"):
        out[col] = out[col].astype("int64")
    safe = out["orgs"].where(out["orgs"] > 0)
    out["per_org"] = (out["members_cum"] / safe).round(1)
    out["per_org_year"] = (out["new_members"] / safe).round(1)
    return out


def localise(df: pd.DataFrame, lang: str, label: str = "label") -> pd.DataFrame:
    """The table with headings in `lang` (for display and downloads); the `label` column is
    headed as the column key `label` says (industry, platform, unit, federation)."""
    names = {k: tr(f"ne_col_{k}", lang) for k in df.columns if k in COLUMNS}
    if "label" in df.columns:
        names["label"] = tr(f"ne_col_{label}", lang)
    return df.rename(columns=names)


# ---------------------------------------------------------------------------------------------
# the page's model


@dataclass
class Headline:
    value: float
    week: float | None  # change since 7 days earlier (as known then)
    month: float | None  # change since one month earlier
    yoy: float | None  # growth against a year earlier (None where the data does not reach back)
    spark: list[float] = field(default_factory=list)


def county_industry_table(ci: pd.DataFrame, unit_order: list[str], unit_names: dict[str, Any],
                          lang: str) -> pd.DataFrame:
    """County × industry new members (`ci`: unit_code, industry, new_members) with totals."""
    total = tr("ne_col_total", lang)
    matrix = ci.pivot_table(index="unit_code", columns="industry", values="new_members",
                            aggfunc="sum", fill_value=0)
    matrix = matrix.reindex([c for c in unit_order if c in matrix.index])
    matrix[total] = matrix.sum(axis=1)
    matrix.loc[total] = matrix.sum()
    matrix.index = [unit_names.get(u, u) for u in matrix.index]
    matrix.columns = [name(c, lang) for c in matrix.columns]
    return matrix.astype("int64").reset_index(names=tr("ne_col_unit", lang))


def in_field_series(before: int, founded: pd.DataFrame, months: list[dt.date]) -> pd.DataFrame:
    """Organisations in the field at the end of each month (or as of now for the current month):
    `before` (in the field before the first month) plus those founded up to that month.
    Columns: month, orgs."""
    per_month = founded.groupby("month")["orgs"].sum() if len(founded) else pd.Series(dtype="int64")
    return pd.DataFrame({"month": months,
                         "orgs": [before + int(per_month[per_month.index <= m].sum()) for m in months]})


def period_text(p: Periods, lang: str) -> str:
    """'本年：2023年1月–9月；去年同期：2022年1月–9月' (the months behind the breakdowns)."""
    if not p.has_months:
        return tr("no_data", lang)
    def rng(a: dt.date, b: dt.date) -> str:
        return f"{month_label(a, lang)}–{month_label(b, lang)}"

    if lang == "en":
        return f"This year: {rng(p.start, p.until)}; same period last year: {rng(p.ly_start, p.ly_until)}."
    return f"本年：{rng(p.start, p.until)}；去年同期：{rng(p.ly_start, p.ly_until)}（按已结束的月份统计）。"


def bar_labels(df: pd.DataFrame, lang: str) -> list[str]:
    """'1,234人 · 12.3% · 同比 +5.0%' for each row of a breakdown (growth left out where unknown)."""
    out = []
    for v, s, g in zip(df["new_members"], df["share"], df["growth"]):
        text = f"{fmt.number(v, '人', lang)} · {fmt.percent(s, lang)}"
        if g is not None and g == g:
            text += f" · {tr('ne_yoy', lang)} {signed_percent(g, lang)}"
        out.append(text)
    return out


def per_org_labels(fed: pd.DataFrame, lang: str) -> list[str]:
    """'1,071人（218个）': members per organisation and the number of organisations."""
    return [tr("ne_per_org_text", lang, members=fmt.number(v, "人", lang), orgs=fmt.number(n, "个", lang))
            for v, n in zip(fed["per_org"], fed["orgs"])]


def signed_percent(value: Any, lang: str) -> str:
    if value is None or value != value:
        return "—"
    return ("+" if value > 0 else "−" if value < 0 else "±") + fmt.percent(abs(value), lang)


def flag_chart_rows(flags: pd.DataFrame, lang: str) -> pd.DataFrame:
    """One row per flagged month (month, text) with the flagged units' names joined."""
    sep = ", " if lang == "en" else "、"
    rows = [(m, tr("ne_flag_text", lang, unit=sep.join(g["unit"])))
            for m, g in flags.groupby("month", sort=True)]
    return pd.DataFrame(rows, columns=["month", "text"])


def flag_table(flags: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The flagged months for display: month label, unit, intake, baseline, multiple."""
    out = flags.assign(month=[month_label(m, lang) for m in flags["month"]],
                       ratio=flags["ratio"].round(1), baseline=flags["baseline"].round(1))
    return out


# ---------------------------------------------------------------------------------------------
# the page's headline tiles and the T11 chart's labels


def headline_tile(h: Headline, unit: str, lang: str) -> dict[str, Any]:
    """What one headline tile shows (st.metric's arguments): the value, the change in the week as
    the delta (green up, red down, grey when nil), and the caption with the month's change and the
    year-on-year growth."""
    week = h.week
    return {
        "value": fmt.number(h.value, unit, lang),
        "delta": None if week is None else fmt.signed(week, unit, lang),
        "delta_color": "gray" if not week else ("green" if week > 0 else "red"),
        "delta_arrow": "off" if not week else ("up" if week > 0 else "down"),
        "help": tr("ne_exact", lang, value=f"{h.value:,.0f}"),
        "caption": (f"{tr('ne_vs_month', lang)} {fmt.signed(h.month, unit, lang)}　·　"
                    f"{tr('ne_yoy', lang)} {signed_percent(h.yoy, lang)}"),
    }


def t11_line(t11: pd.Series, lang: str) -> str:
    """'全年目标…，序时…，完成…' under the T11 headline (markdown-safe: figures only)."""
    u = figures.row_unit(t11)  # the T11 figures as every surface shows them (present.figures)
    return tr("ne_target_line", lang, target=figures.amount(t11["target"], u, lang),
              expected=figures.amount(t11["expected"], u, lang), completion=figures.completion(t11["completion"], lang))


def t11_chart_labels(t11: pd.Series, lang: str) -> tuple[tuple[Any, Any, Any], dict[str, str], dict[str, str]]:
    """(forecast, forecast_low, forecast_high), the trace names and the end-of-line texts of the
    cumulative T11 chart."""
    forecast = (t11["forecast"], t11["forecast_low"], t11["forecast_high"])
    names = {k: tr(f"ne_{k}", lang) for k in ("actual", "pace", "range", "forecast")}
    u = figures.row_unit(t11)
    texts = {"actual": figures.amount(t11["actual"], u, lang),
             "forecast": tr("ne_forecast_text", lang, value=figures.amount(t11["forecast"], u, lang)),
             "target": tr("ne_target_text", lang, value=figures.amount(t11["target"], u, lang))}
    return forecast, names, texts
