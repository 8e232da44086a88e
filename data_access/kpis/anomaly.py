"""The intake-jump rule: a month whose new-member intake jumps far out of line with the unit's own
history (typically a bulk entry that deserves a question in the weekly meeting). Pure: no database.

Rule: a unit's month is flagged when
  - the unit has at least MIN_HISTORY_MONTHS of the WINDOW_MONTHS months before it on record,
  - its intake is more than JUMP_FACTOR times the median of those months, and
  - its intake exceeds that median by at least MIN_EXCESS people.
The median (not the mean) keeps one earlier jump from hiding the next; the minimum excess keeps
small units (2 -> 9 people) out of the meeting. Months between a unit's first and last month with
no row count as 0 (nothing reported that month).
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

WINDOW_MONTHS = 12  # history looked at: the 12 months before the month judged
MIN_HISTORY_MONTHS = 6  # fewer months on record: too short a history to judge
JUMP_FACTOR = 3.0  # flagged above 3 × the trailing median ...
MIN_EXCESS = 100  # ... and at least 100 people above it

FLAG_COLUMNS = ["unit_code", "month", "new_members", "baseline", "ratio", "flagged"]


def _months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    out: list[dt.date] = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.append(first.replace(year=y, month=m, day=1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def judge_series(values: list[float]) -> list[tuple[float | None, bool]]:
    """For one unit's monthly intakes (oldest first, no gaps): (baseline, flagged) per month.
    baseline is the trailing median, None while the history is too short."""
    out: list[tuple[float | None, bool]] = []
    for i, value in enumerate(values):
        history = values[max(0, i - WINDOW_MONTHS):i]
        if len(history) < MIN_HISTORY_MONTHS:
            out.append((None, False))
            continue
        baseline = float(pd.Series(history).median())
        flagged = value > JUMP_FACTOR * baseline and value - baseline >= MIN_EXCESS
        out.append((baseline, bool(flagged)))
    return out


def flag_jumps(monthly: pd.DataFrame) -> pd.DataFrame:
    """Judge every unit's months.

    `monthly`: columns unit_code, month (date, first of month), new_members (人), one row per unit
    and month (as `new_economy.members(by=("unit_code", "month"))` returns). Returns FLAG_COLUMNS:
    unit_code, month, new_members, baseline (trailing median, NaN when the history is short),
    ratio (new_members / baseline, NaN without a baseline or with a zero one), flagged (bool).
    Gap months appear with new_members 0.
    """
    rows = []
    for unit, grp in monthly.groupby("unit_code", sort=True):
        by_month = dict(zip(grp["month"], grp["new_members"].astype(float)))
        months = _months_between(min(by_month), max(by_month))
        values = [by_month.get(m, 0.0) for m in months]
        for m, v, (base, flagged) in zip(months, values, judge_series(values)):
            ratio = v / base if base else float("nan")
            rows.append((unit, m, v, float("nan") if base is None else base, ratio, flagged))
    return pd.DataFrame(rows, columns=FLAG_COLUMNS)


def rule_sentence(lang: str = "zh") -> str:
    """The rule as a sentence for the page, with the constants above."""
    if lang == "en":
        return (f"A month is flagged when a unit's intake is more than {JUMP_FACTOR:g}× the median of "
                f"its own previous {WINDOW_MONTHS} months and at least {MIN_EXCESS} people above it; "
                f"units with fewer than {MIN_HISTORY_MONTHS} months of history are not judged.")
    return (f"判定规则：某单位某月新入会人数超过本单位此前{WINDOW_MONTHS}个月中位数的{JUMP_FACTOR:g}倍，"
            f"且比中位数多出至少{MIN_EXCESS}人，即标记为异常；历史不足{MIN_HISTORY_MONTHS}个月的不作判定。")
