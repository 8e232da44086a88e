"""The words of the briefing's summary, (zh, en): `tx(key, lang, **values)`. The page registers
them for `t()` as mt_<key>; the summary (meeting.summary) and the files use them.
"""
from __future__ import annotations

from data_access.present.texts import Texts

TEXT: dict[str, tuple[str, str]] = {
    "title": ("周例会简报", "Weekly meeting briefing"),
    "scope_city": ("全市", "the whole city"),
    "sum_status": ("截至{date}，{scope}的{n}项年度目标中，{ahead}项超序时、{on}项达序时、{behind}项滞后序时。",
                   "As of {date}, {scope}: of {n} targets, ahead of pace {ahead}, on pace {on}, "
                   "behind {behind}."),
    "sum_status_waiting": ("截至{date}，{scope}的{n}项年度目标中，{ahead}项超序时、{on}项达序时、{behind}项滞后序时、"
                           "{waiting}项尚无数据（首个填报期尚未结束）。",
                           "As of {date}, {scope}: of {n} targets, ahead of pace {ahead}, on pace {on}, "
                           "behind {behind}, no data yet {waiting} (first period not closed)."),
    "sum_final": ("{year}年度{scope}{n}项目标中，{met}项达成、{missed}项未达成。",
                  "Plan year {year}, {scope}: of {n} targets, {met} achieved, {missed} not achieved."),
    "sum_missed": ("未达成的目标：{items}。", "Not achieved: {items}."),
    "sum_missed_item": ("{name}（完成{actual}，年度目标{target}，完成率{completion}）",
                        "{name} ({actual} of {target}, {completion})"),
    "sum_none_missed": ("所有目标均已达成。", "Every target was achieved."),
    "sum_counties_missed": ("{n}个单位有目标未达成，较多的是{items}。",
                            "{n} units missed at least one target, most of all {items}."),
    "sum_no_counties_missed": ("各单位均完成分解任务。", "Every unit met its allocations."),
    "sum_changes": ("本周（{week}）新增：{items}。", "This week ({week}): {items}."),
    "sum_no_change": ("本周（{week}）各项目标均无新增。", "This week ({week}) no target moved."),
    "sum_still": ("本周无进展：{items}。", "No progress this week: {items}."),
    "sum_behind": ("滞后序时的目标：{items}。", "Behind pace: {items}."),
    "sum_behind_item": ("{name}（完成{actual}，序时进度{expected}，此后每周需完成{weekly}）",
                        "{name} ({actual} done, {expected} expected by now; needs {weekly} a week)"),
    "sum_none_behind": ("所有目标均达到或超过序时进度。", "Every target is on or ahead of pace."),
    "sum_counties": ("{n}个单位有目标滞后序时，较多的是{items}。",
                     "{n} units are behind on at least one target, most of all {items}."),
    "sum_county_item": ("{name}（{k}项）", "{name} ({k})"),
    "sum_no_counties": ("各单位均达到序时进度。", "Every unit is on pace."),
    "sum_not_reported": ("本周未报送：{items}。", "Did not report this week: {items}."),
    "sum_partial": ("部分报送：{items}。", "Reported in part: {items}."),
    "sum_all_reported": ("各单位本周均已报送。", "Every unit reported this week."),
    "sum_decisions": ("督办事项{open}项在办（其中逾期{overdue}项），本周办结{done}项。",
                      "Decisions: {open} open ({overdue} overdue), {done} closed this week."),
    "sum_no_decisions": ("暂无督办事项。", "No decisions on record."),
    "list_sep": ("、", ", "),
    "item_sep": ("；", "; "),
}


tx = Texts(TEXT)
