"""Pure metric functions: 序时进度, status, forecast, required rate. No database, no streamlit.

All thresholds live here, in `THRESHOLDS`, so that every page and export judges pace the same way.
"""
from __future__ import annotations

import calendar
import datetime as dt
import math
from dataclasses import dataclass
from typing import Sequence

from data_access.schema.models import MILESTONE_STATES

STATUS_AHEAD = "超序时"
STATUS_ON_PACE = "达序时"
STATUS_BEHIND = "滞后序时"
STATUSES = (STATUS_AHEAD, STATUS_ON_PACE, STATUS_BEHIND)
STATUS_EN = {STATUS_AHEAD: "Ahead of pace", STATUS_ON_PACE: "On pace", STATUS_BEHIND: "Behind pace"}

# A milestone's state: the four stored ones (schema.models.MILESTONE_STATES) and the derived overdue.
MILESTONE_NOT_STARTED, MILESTONE_IN_PROGRESS, MILESTONE_DONE, MILESTONE_DELAYED = MILESTONE_STATES
MILESTONE_OVERDUE = "overdue"

# actual / expected-to-date at or above `ahead` is 超序时, at or above `on_pace` is 达序时,
# below is 滞后序时. A 5% band either side keeps one late report from flipping the light.
THRESHOLDS = {"ahead": 1.05, "on_pace": 0.95}
# Weeks of history the forecast range looks at.
FORECAST_WINDOW_WEEKS = 8


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


def required_weekly_rate(actual: float, target: float, as_of: dt.date, year_end: dt.date) -> float:
    """Weekly amount still needed from the day after `as_of` to reach `target` by `year_end`.

    0 when the target is reached. In the final part-week the whole remainder is due.
    """
    remaining = target - actual
    if remaining <= 0:
        return 0.0
    days_left = (year_end - as_of).days
    if days_left <= 0:
        return remaining
    weeks_left = max(days_left / 7.0, 1.0)
    return remaining / weeks_left


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
