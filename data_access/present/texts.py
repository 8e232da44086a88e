"""Chinese-first text tables with English beside: one (zh, en) pair per key. Pure (no streamlit):
the dashboard's labels, the briefing's prose and the exported files' labels all use it."""
from __future__ import annotations

from typing import Mapping

from data_access.kpis import calendar, metrics


class Texts:
    """A table of (zh, en) strings. `texts(key, lang, **values)` is the text in `lang` ('zh' or
    'en'; anything else reads as Chinese), formatted with `values`."""

    def __init__(self, strings: Mapping[str, tuple[str, str]] | None = None):
        self._strings: dict[str, tuple[str, str]] = {}
        self.register(strings or {})

    def register(self, strings: Mapping[str, tuple[str, str]]) -> None:
        """Add strings; a key may come again only with the same text (two pages cannot both own it)."""
        for key, value in strings.items():
            if key in self._strings and self._strings[key] != value:
                raise KeyError(f"text key registered twice with different text: {key}")
            self._strings[key] = value

    def __call__(self, key: str, lang: str = "zh", **values: object) -> str:
        zh, en = self._strings[key]
        text = en if lang == "en" else zh
        return text.format(**values) if values else text

    def __contains__(self, key: str) -> bool:
        return key in self._strings


# ---------------------------------------------------------------------------------------------
# 口径说明: the definitions a leader reads on the overview and the targets page


def _definitions() -> dict[str, tuple[str, ...]]:
    """The 口径说明 in both languages, with the numbers taken from the rules themselves
    (`kpis.metrics.THRESHOLDS`, `kpis.calendar.GRACE_DAYS`), so the text cannot drift from them."""
    ahead, on = (round(metrics.THRESHOLDS[k] * 100) for k in ("ahead", "on_pace"))
    grace = calendar.GRACE_DAYS
    zh = (
        "**序时进度**：年度目标 × 截至“数据截至日”应完成的比例。比例按计划年度的天数线性计算（第n天为 n/365），"
        "设有月度进度曲线的目标按曲线计算（月内线性插值）。",
        "**数据截至**：按周填报的目标算到最近一个已结束的填报周（周六至周五）的周五，按月填报的目标"
        "（新业态会员）算到最近一个已结束的月末，台账类目标（驿站、托管班、基层工会）算到所选日期当天。"
        "与所选日期不同时，页面注明该日期；首个填报期结束前显示“尚无数据”。",
        f"**状态**：完成数 ÷ 序时进度 ≥ {ahead}% 为超序时，≥ {on}% 为达序时，低于 {on}% 为滞后序时。"
        "完成数已达年度目标的显示“已完成”，不再列每周需完成数。",
        "**年终**：自计划年度最后一天起，状态即全年结果：完成数 ≥ 年度目标为达成，差任何数量为未达成"
        "（不再有容差），不再有每周需完成数和年末预测。",
        "**两个日期**：数字是所选日期（数据截至日）以前各期的数字，默认按当前所知，即计入至今审核通过的"
        "全部补报与更正；链接带“known=日期”时按该日所知，周例会简报按会议当天所知重现。"
        f"每周数字应在周五后{grace}天内（次周一）报送，逾期只在计划年度内判定。",
    )
    en = (
        "**Expected to date**: the annual target × the share of the year due by the date the "
        "figures run to. The share is linear over the days of the plan year (day n of 365), or follows "
        "the target's monthly plan curve where it has one (linear within the month).",
        "**Runs to**: weekly targets run to the Friday ending the latest complete reporting week "
        "(Saturday–Friday), monthly ones (new-economy members) to the latest complete month's end, "
        "registries (care stations, childcare classes, union organisations) to the chosen date itself. "
        "Where it differs from the chosen date the page names it; before the first period ends the "
        "status is 'No data yet'.",
        f"**Status**: done ÷ expected to date ≥ {ahead}% is ahead of pace, ≥ {on}% on pace, below "
        f"{on}% behind pace. A target already reached shows 'Done' instead of a weekly rate.",
        "**Year end**: from the plan year's last day the status is the year's result: achieved when "
        "done ≥ the annual target, not achieved when short by any amount (no tolerance band), with no weekly "
        "rate and no forecast.",
        "**Two dates**: the figures are those of the periods through the chosen date, as known now by "
        "default (every late report and correction approved so far); a link with 'known=date' shows "
        "what was known on that day, and a meeting briefing reopens as known on its day. Weekly "
        f"figures are due {grace} days after the Friday (the Monday after); lateness is judged inside "
        "the plan year only.",
    )
    return {"zh": zh, "en": en}


DEFINITIONS_TITLE = ("口径说明", "Definitions")
"""The heading of the definitions (zh, en)."""


def definitions(lang: str = "zh") -> str:
    """The 口径说明 as markdown bullets in `lang` ('en', else Chinese): how expected-to-date is
    computed, the status bands, what the date a figure runs to means, the year-end rule, the two
    dates (D and K) and the reporting deadline. The one text the overview and the targets page show;
    the rules' docstrings (kpis.metrics, kpis.calendar, kpis.tables.pace_of) point here."""
    lines = _definitions()["en" if lang == "en" else "zh"]
    return "\n".join(f"- {line}" for line in lines)
