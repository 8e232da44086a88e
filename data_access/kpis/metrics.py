"""Pure metric functions: 序时进度, status, forecast, required rate. No database, no streamlit.

All thresholds live here, in `THRESHOLDS`, so that every page and export judges pace the same way.
The leaders' wording of these rules (expected to date, the status bands, the year-end rule) is the
口径说明, `data_access.present.texts.definitions`, which takes its numbers from here.
"""
from __future__ import annotations

import calendar
import datetime as dt
import math
from dataclasses import dataclass
from typing import Sequence

from data_access.kpis import calendar as plan_calendar
from data_access.schema.models import MILESTONE_STATES

STATUS_AHEAD = "超序时"
STATUS_ON_PACE = "达序时"
STATUS_BEHIND = "滞后序时"
STATUSES = (STATUS_AHEAD, STATUS_ON_PACE, STATUS_BEHIND)
"""The three pace statuses of a running year (the status counts every page shows)."""
STATUS_NOT_STARTED = "尚无数据"
"""Before a target's first period has closed (`calendar.periods_closed` is 0): no status yet,
neither ahead nor behind (1–5 January 2023 for weekly targets and registries, all of January for a
monthly one)."""
STATUS_MET = "达成"
STATUS_MISSED = "未达成"
FINAL_STATUSES = (STATUS_MET, STATUS_MISSED)
"""At and after the plan year's last day: the year's result, actual against the whole target with
no tolerance band (达成: actual >= target; 未达成: short of it by any amount). The share achieved is
the table's `completion`."""
ALL_STATUSES = (*STATUSES, STATUS_NOT_STARTED, *FINAL_STATUSES)
STATUS_EN = {STATUS_AHEAD: "Ahead of pace", STATUS_ON_PACE: "On pace", STATUS_BEHIND: "Behind pace",
             STATUS_NOT_STARTED: "No data yet", STATUS_MET: "Achieved", STATUS_MISSED: "Not achieved"}
"""English words of every status (the zh word is the constant itself)."""
STATUS_WORDS = {s: (s, STATUS_EN[s]) for s in ALL_STATUSES}
"""(zh, en) of every status, for a presentation layer's text table (e.g. key f"status_{s}")."""

# A milestone's state: the four stored ones (schema.models.MILESTONE_STATES) and the derived overdue.
MILESTONE_NOT_STARTED, MILESTONE_IN_PROGRESS, MILESTONE_DONE, MILESTONE_DELAYED = MILESTONE_STATES
MILESTONE_OVERDUE = "overdue"

# actual / expected-to-date at or above `ahead` is 超序时, at or above `on_pace` is 达序时,
# below is 滞后序时. A 5% band either side keeps one late report from flipping the light.
THRESHOLDS = {"ahead": 1.05, "on_pace": 0.95}
# Weeks of history the forecast range looks at.
FORECAST_WINDOW_WEEKS = 8
MIN_FORECAST_PERIODS = {plan_calendar.CADENCE_WEEKLY: 4, plan_calendar.CADENCE_DAILY: 4,
                        plan_calendar.CADENCE_MONTHLY: 2}
"""Closed periods (`calendar.periods_closed`) a target needs before it gets a year-end forecast: 4
reporting weeks for weekly targets and registries (from Friday 27 January 2023 on), 2 months for
monthly ones (from 28 February 2023 on). Fewer say little about the year: in its first week one
late report moves the forecast by a fifth of the target."""


def _days_in_year(start: dt.date, end: dt.date) -> int:
    return (end - start).days + 1


def expected_fraction(
    as_of: dt.date,
    year_start: dt.date,
    year_end: dt.date,
    pace_curve: Sequence[float] | None = None,
) -> float:
    """Share of the annual target expected to be done by the end of `as_of` (0..1).

    Linear over the days of the plan year by default. With a monthly `pace_curve` (12 cumulative
    month-end shares, the last 1.0) it interpolates linearly inside the month of `as_of`.
    """
    if as_of < year_start:
        return 0.0
    if as_of >= year_end:
        return 1.0
    if not pace_curve:
        return ((as_of - year_start).days + 1) / _days_in_year(year_start, year_end)
    if len(pace_curve) != 12:
        raise ValueError("pace_curve must have 12 monthly values")
    month = as_of.month
    before = pace_curve[month - 2] if month > 1 else 0.0
    month_days = calendar.monthrange(as_of.year, month)[1]
    return before + (pace_curve[month - 1] - before) * as_of.day / month_days


def expected_to_date(target: float, fraction: float) -> float:
    """序时进度 as an amount: the part of `target` that should be done by now."""
    return target * fraction


def pace_ratio(actual: float, expected: float) -> float | None:
    """actual / expected-to-date; None when nothing is expected yet."""
    if expected <= 0:
        return None
    return actual / expected


def pace_status(actual: float, expected: float, final: bool = False) -> str:
    """超序时 / 达序时 / 滞后序时 for an actual against its expected-to-date amount.

    `final`: the plan year is over and `expected` is the whole target. The tolerance band then no
    longer applies below the target: a target missed by any amount is 滞后序时 (at 31 December,
    99% of the target is behind, not 达序时: the year's result is a fact, not a pace)."""
    if final and actual < expected:
        return STATUS_BEHIND
    ratio = pace_ratio(actual, expected)
    if ratio is None:
        return STATUS_AHEAD if actual > 0 else STATUS_ON_PACE
    if ratio >= THRESHOLDS["ahead"]:
        return STATUS_AHEAD
    if ratio >= THRESHOLDS["on_pace"]:
        return STATUS_ON_PACE
    return STATUS_BEHIND


def completion_rate(actual: float, target: float) -> float | None:
    """actual / annual target (完成率), None for a zero target."""
    return actual / target if target > 0 else None


@dataclass(frozen=True)
class Forecast:
    """Year-end forecast: point estimate and range, in the target's base unit."""

    point: float | None
    low: float | None
    high: float | None


def forecast_year_end(
    cumulative: Sequence[float],
    fractions: Sequence[float],
) -> Forecast:
    """Forecast the year-end total from the run rate, adjusted for the pace curve.

    `cumulative[i]` is the cumulative actual at the end of week i and `fractions[i]` the expected
    share of the year at that date (from `expected_fraction`), oldest first, the last being as-of.
    The point is the latest actual / latest share (for a linear curve: the run rate over the
    elapsed days, carried to year end). The range is the lowest and highest of the same estimate
    over the last FORECAST_WINDOW_WEEKS weeks, so a recent slowdown or spurt widens it.
    """
    if len(cumulative) != len(fractions):
        raise ValueError("cumulative and fractions differ in length")
    estimates = [c / f for c, f in zip(cumulative, fractions) if f > 0]
    if not estimates:
        return Forecast(None, None, None)
    window = estimates[-FORECAST_WINDOW_WEEKS:]
    point = estimates[-1]
    latest_actual = cumulative[-1]
    # The year-end total can never be below what is already done.
    low = max(min(window), latest_actual)
    high = max(max(window), latest_actual)
    return Forecast(point=max(point, latest_actual), low=low, high=high)


def required_weekly_rate(actual: float, target: float, as_of: dt.date, year_end: dt.date,
                         pace_curve: Sequence[float] | None = None, year_start: dt.date | None = None,
                         whole: bool = False) -> float:
    """Amount still needed in the coming week (the seven days after `as_of`, the date the figures
    run to) to reach `target` by `year_end`, following the target's plan curve; 0 when the target
    is reached (the table's `done`).

    The remainder (target - actual) is spread over the rest of the year as the plan spreads its
    remaining share: the coming week's part is (planned share of the coming week) / (planned
    share still ahead), so T06's classes are asked for in the summer weeks the curve gives them.
    When the plan expects nothing in the coming week (a flat stretch of the curve), the rate is
    that of the next week the plan gives work to; when the plan has nothing left (the curve is
    already at 100%), the remainder is spread evenly over the weeks left. In the year's final
    part-week the whole remainder is due. Linear targets: remainder / weeks left.
    `year_start` is needed with `pace_curve` (without it the curve is ignored). `whole`: round up
    to whole things (counts: never 0 while work remains). Base unit of the target."""
    remaining = target - actual
    if remaining <= 0:
        return 0.0
    week = dt.timedelta(days=plan_calendar.WEEK_DAYS)
    days_left = (year_end - as_of).days
    if days_left <= 0:
        rate = remaining
    elif year_start is None:
        rate = remaining / max(days_left / plan_calendar.WEEK_DAYS, 1.0)
    else:
        def share(day: dt.date) -> float:
            return expected_fraction(day, year_start, year_end, pace_curve)

        now = max(as_of, year_start - dt.timedelta(days=1))
        rest = 1.0 - share(now)
        rate = remaining / max(days_left / plan_calendar.WEEK_DAYS, 1.0)  # the plan has nothing left
        day = now
        while rest > _EPS and day < year_end:
            following = min(day + week, year_end)
            part = share(following) - share(day)
            if part > _EPS:
                rate = remaining * min(part / rest, 1.0)
                break
            day = following
    return float(math.ceil(rate - _EPS)) if whole else rate


_EPS = 1e-9


def target_status(actual: float, target: float, fraction: float, *, started: bool = True,
                  final: bool = False) -> str | None:
    """The status of a target (or of a unit's allocation) in a view: None without a target (a unit
    with no allocation is left out of every count); once the year is `final` (the view is at or
    after the plan year's last day) 达成 / 未达成 against the whole target; before the target's
    first period has closed (`started` False) 尚无数据; else `pace_status` of `actual` against
    `target` × `fraction`, the share expected by the date the figures run to."""
    if target <= 0:
        return None
    if final:
        return STATUS_MET if actual >= target else STATUS_MISSED
    if not started:
        return STATUS_NOT_STARTED
    return pace_status(actual, expected_to_date(target, fraction))


def forecast_ready(cadence: str, periods: int) -> bool:
    """Whether a target with `periods` closed periods of `cadence` gets a year-end forecast
    (`MIN_FORECAST_PERIODS`: 4 reporting weeks, or 2 months for monthly targets)."""
    return periods >= MIN_FORECAST_PERIODS.get(cadence, MIN_FORECAST_PERIODS[plan_calendar.CADENCE_WEEKLY])


def milestone_state(status: str, due: dt.date | None, done_on: dt.date | None, as_of: dt.date) -> str:
    """A milestone's state as known on `as_of`: done only if done by then (a milestone finished
    later was still in progress); an open milestone past its due date is overdue.
    Returns done | in_progress | not_started | delayed | overdue."""
    if done_on is not None and done_on <= as_of:
        return MILESTONE_DONE
    if status == MILESTONE_DONE:
        status = MILESTONE_IN_PROGRESS
    if due is not None and due < as_of:
        return MILESTONE_OVERDUE
    open_states = (MILESTONE_IN_PROGRESS, MILESTONE_NOT_STARTED, MILESTONE_DELAYED)
    return status if status in open_states else MILESTONE_NOT_STARTED


def change_since(current: float, earlier: float | None) -> float | None:
    """Difference against an earlier reading (None when there was none)."""
    if earlier is None or (isinstance(earlier, float) and math.isnan(earlier)):
        return None
    return current - earlier
