"""The briefing in prose: a few generated Chinese (or English) sentences, one per topic, from the
templates of `meeting.texts`; and the short names and amounts the tables and files share.
"""
from __future__ import annotations

from typing import Any

from data_access.kpis import metrics, tables
from data_access.meeting.briefing import REPORT_NONE, REPORT_PARTIAL, Briefing, behind_by_unit
from data_access.meeting.texts import tx
from data_access.present import figures, fmt
from data_access.present.status import shown_statuses
from data_access.schema.decisions import CLOSED_STATES


tx.register({"sum_known": ("（按{day}所知，含此前审核通过的补报与更正。）",
                           "(As known on {day}, with the late reports and corrections approved by then.)")})


def short_name(name: str) -> str:
    """The target's one short form (`present.figures.short_name`)."""
    return figures.short_name(name)


def _name(row: Any, lang: str) -> str:
    return short_name(str(row["name_en"] if lang == "en" else row["name_zh"]))


def amount(value: Any, row: Any, lang: str = "zh", unit: figures.Unit | None = None) -> str:
    """An amount of the row's target by the presentation model (`present.figures.amount`), in
    `unit` or the unit of the row (unit_zh, unit_en, target)."""
    return figures.amount(value, unit or figures.row_unit(row), lang)


def week_label(b: Briefing, lang: str = "zh") -> str:
    """6月24日–6月30日 (the year once), or 24–30 Jun 2023."""
    first, last = b.week_start, b.meeting_date
    if lang == "en":
        return f"{fmt.date(first, lang)} – {fmt.date(last, lang)}"
    head = fmt.date(first, lang) if first.year != last.year else f"{first.month}月{first.day}日"
    return f"{head}–{last.month}月{last.day}日"


def _change_item(row: Any, lang: str, unit: figures.Unit) -> str:
    value = float(row["change"])
    if lang == "en":
        return f"{_name(row, lang)} {figures.change(value, unit, lang)}"
    # a negative change is a correction downwards (核减)
    return f"{_name(row, lang)}{'' if value > 0 else '核减'}{amount(abs(value), row, lang, unit)}"


def summary(b: Briefing, lang: str = "zh", top: int = 3) -> list[str]:
    """The briefing in a few sentences (one paragraph per topic), from templates. The status
    sentence counts every target: 尚无数据 ones too while a first period is open; a closed year's
    briefing (at and after the plan year's last day) reads as a year-end summary: how many
    targets were 达成 / 未达成, which were missed and by how much, and the units that missed."""
    sep, isep = tx("list_sep", lang), tx("item_sep", lang)
    ov = b.overview
    counts = tables.status_counts(ov, metrics.ALL_STATUSES)
    final = metrics.STATUS_MET in shown_statuses(counts)  # a closed year: the year-end summary
    if final:
        out = [tx("sum_final", lang, year=b.year, scope=b.scope(lang), n=counts["total"],
                  met=counts[metrics.STATUS_MET], missed=counts[metrics.STATUS_MISSED])]
    else:
        status_values = dict(date=fmt.date(b.meeting_date, lang), scope=b.scope(lang), n=counts["total"],
                             ahead=counts[metrics.STATUS_AHEAD], on=counts[metrics.STATUS_ON_PACE],
                             behind=counts[metrics.STATUS_BEHIND])
        waiting = counts[metrics.STATUS_NOT_STARTED]
        out = [tx("sum_status_waiting", lang, waiting=waiting, **status_values) if waiting
               else tx("sum_status", lang, **status_values)]
    if b.known is not None and b.known != b.meeting_date:  # the page says which K it shows
        out[0] += ("" if lang == "zh" else " ") + tx("sum_known", lang, day=fmt.date(b.known, lang))

    week = week_label(b, lang)
    moved = b.changes[b.changes["change"] != 0]
    still = b.changes[b.changes["change"] == 0]
    if moved.empty:
        out.append(tx("sum_no_change", lang, week=week))
    else:
        units = {str(r["target_code"]): figures.row_unit(r) for _, r in ov.iterrows()}
        items = sep.join(_change_item(r, lang, units[str(r["target_code"])]) for _, r in moved.iterrows())
        text = tx("sum_changes", lang, week=week, items=items)
        if not still.empty:
            text += ("" if lang == "zh" else " ") + tx(
                "sum_still", lang, items=sep.join(_name(r, lang) for _, r in still.iterrows()))
        out.append(text)

    if final:
        missed = ov[ov["status"] == metrics.STATUS_MISSED]
        if missed.empty:
            out.append(tx("sum_none_missed", lang))
        else:
            items = isep.join(
                tx("sum_missed_item", lang, name=_name(r, lang), actual=amount(r["actual"], r, lang),
                   target=amount(r["target"], r, lang), completion=figures.completion(r["completion"], lang))
                for _, r in missed.iterrows())
            out.append(tx("sum_missed", lang, items=items))
    elif b.behind_targets.empty:
        out.append(tx("sum_none_behind", lang))
    else:
        items = isep.join(
            tx("sum_behind_item", lang, name=_name(r, lang), actual=amount(r["actual"], r, lang),
               expected=amount(r["expected"], r, lang), weekly=figures.weekly(r["required_weekly"], figures.row_unit(r), lang))
            for _, r in b.behind_targets.iterrows())
        out.append(tx("sum_behind", lang, items=items))

    per_unit = behind_by_unit(b.behind_counties)  # a closed year's: the units that missed
    if per_unit.empty:
        out.append(tx("sum_no_counties_missed" if final else "sum_no_counties", lang))
    else:
        name_col = "unit_name_en" if lang == "en" else "unit_name_zh"
        items = sep.join(tx("sum_county_item", lang, name=r[name_col], k=int(r["count"]))
                         for _, r in per_unit.head(top).iterrows())
        out.append(tx("sum_counties_missed" if final else "sum_counties", lang, n=len(per_unit), items=items))

    rep = b.reporting
    name_col = "unit_name_en" if lang == "en" else "unit_name_zh"
    none = rep[rep["state"] == REPORT_NONE]
    partial = rep[rep["state"] == REPORT_PARTIAL]
    if none.empty and partial.empty:
        out.append(tx("sum_all_reported", lang))
    else:
        parts = []
        if not none.empty:
            parts.append(tx("sum_not_reported", lang, items=sep.join(none[name_col])))
        if not partial.empty:
            parts.append(tx("sum_partial", lang, items=sep.join(partial[name_col])))
        out.append("".join(parts) if lang == "zh" else " ".join(parts))

    dec = b.decisions
    if dec.empty:
        out.append(tx("sum_no_decisions", lang))
    else:
        is_closed = dec["state"].isin(CLOSED_STATES)
        out.append(tx("sum_decisions", lang, open=int((~is_closed).sum()), overdue=int(dec["overdue"].sum()),
                      done=int(is_closed.sum())))
    return out
