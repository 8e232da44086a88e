"""The KPI tables every page and export shows: each target against its 序时进度, city-wide or for
a set of units. Built from `queries` (SQL aggregates) and `metrics` (pure rules); no streamlit.
"""
from __future__ import annotations

import datetime as dt
from typing import Sequence

import pandas as pd
from sqlalchemy import Engine

from data_access.kpis import calendar, metrics, queries

OVERVIEW_COLUMNS = [
    "target_code", "project_code", "project_name_zh", "project_name_en", "name_zh", "name_en",
    "unit_zh", "unit_en", "measure", "target", "actual", "fraction", "expected", "completion",
    "pace_ratio", "status", "actual_week_ago", "change_week", "forecast", "forecast_low",
    "forecast_high", "required_weekly", "gap",
]


def status_for(actual: float, expected: float, target: float, fraction: float) -> str | None:
    """The pace status, or None where there is no target (a unit without an allocation): such a
    row is neither ahead nor behind and is left out of every status count. Once the whole year is
    expected (fraction 1) the verdict is final: short of the target is behind."""
    return metrics.pace_status(actual, expected, final=fraction >= 1.0) if target > 0 else None


def status_counts(table: pd.DataFrame) -> dict[str, int]:
    """How many rows of a target_overview or unit_breakdown table are 超序时 / 达序时 / 滞后序时,
    plus 'total' (rows with a target). The one count every page, briefing and export shows."""
    counts = {s: int((table["status"] == s).sum()) for s in metrics.STATUSES}
    counts["total"] = int(table["status"].notna().sum())
    return counts


def _target_values(engine: Engine, year: int, tg: pd.DataFrame,
                   units: Sequence[str] | None) -> pd.Series:
    """Annual target per target_code: the plan's value city-wide, the allocation sum for units."""
    if units is None:
        return tg.set_index("target_code")["value"].astype(float)
    alloc = queries.allocations(engine, year, units)
    sums = alloc.groupby("target_code")["value"].sum()
    return sums.reindex(tg["target_code"]).fillna(0.0).astype(float)


weekly_checkpoints = calendar.weekly_checkpoints  # as_of and the weeks before it in the plan year


def cumulative_at(daily: pd.DataFrame, days: Sequence[dt.date]) -> list[float]:
    """Cumulative sum of `daily.value` up to and including each of `days`."""
    if daily.empty:
        return [0.0 for _ in days]
    ordered = daily.sort_values("day")
    out = []
    for d in days:
        out.append(float(ordered.loc[ordered["day"] <= d, "value"].sum()))
    return out


def target_overview(engine: Engine, year: int, as_of: dt.date,
                    units: Sequence[str] | None = None, *,
                    week_ago_by_unit: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every target of `year` as known on `as_of`, for the chosen units (None: whole city).

    Columns (amounts in the target's base unit, unit_zh/unit_en):
      target_code, project_code, project_name_zh, project_name_en, name_zh, name_en, unit_zh,
      unit_en, measure; target (annual target: plan value city-wide, allocation sum for units);
      actual (done since 1 Jan); fraction (share of the year expected by as_of, 0..1);
      expected (序时进度 amount); completion (actual/target); pace_ratio (actual/expected);
      status (超序时/达序时/滞后序时; None where the target is 0); actual_week_ago (as known at the end
      of `calendar.week_ago(as_of)`; 0 before the plan year); change_week;
      forecast, forecast_low, forecast_high (year-end); required_weekly (weekly amount still needed
      to finish on time); gap (expected - actual, positive when behind).
    `week_ago_by_unit`: `queries.progress_by_unit` as of the week ago, when the caller has read it.
    """
    start, end = queries.plan_year_bounds(engine, year)
    tg = queries.targets(engine, year)
    if tg.empty:
        return pd.DataFrame(columns=OVERVIEW_COLUMNS)
    target_value = _target_values(engine, year, tg, units)
    # Actual and the time series come from one read of the facts; the week-ago figure is a second
    # read because it is what was *known* a week earlier (late reports and corrections differ).
    daily = queries.progress_by_day(engine, year, as_of, units)
    actual = daily.groupby("target_code")["value"].sum()
    week_ago_day = calendar.week_ago(as_of)
    if week_ago_day >= start:
        if week_ago_by_unit is None:
            week_ago_by_unit = queries.progress_by_unit(engine, year, week_ago_day, units)
        week_ago = week_ago_by_unit.groupby("target_code")["actual"].sum()
    else:  # a week earlier the year had not begun: nothing was done yet
        week_ago = pd.Series(dtype=float)
    checkpoints = weekly_checkpoints(min(as_of, end), start, metrics.FORECAST_WINDOW_WEEKS)

    rows = []
    for t in tg.itertuples(index=False):
        value = float(target_value.get(t.target_code, 0.0))
        done = float(actual.get(t.target_code, 0.0))
        fraction = metrics.expected_fraction(as_of, start, end, t.pace_curve)
        expected = metrics.expected_to_date(value, fraction)
        ago = float(week_ago.get(t.target_code, 0.0))
        cum = cumulative_at(daily[daily["target_code"] == t.target_code], checkpoints)
        fracs = [metrics.expected_fraction(d, start, end, t.pace_curve) for d in checkpoints]
        if checkpoints and checkpoints[-1] != as_of:  # as_of after year end: last point is the total
            cum[-1] = done
        if as_of >= end:  # the year is over: the result is known, nothing left to forecast
            fc = metrics.Forecast(done, done, done)
        elif checkpoints:
            fc = metrics.forecast_year_end(cum, fracs)
        else:
            fc = metrics.Forecast(None, None, None)
        rows.append({
            "target_code": t.target_code, "project_code": t.project_code,
            "project_name_zh": t.project_name_zh, "project_name_en": t.project_name_en,
            "name_zh": t.name_zh, "name_en": t.name_en, "unit_zh": t.unit_zh, "unit_en": t.unit_en,
            "measure": t.measure, "target": value, "actual": done, "fraction": fraction,
            "expected": expected, "completion": metrics.completion_rate(done, value),
            "pace_ratio": metrics.pace_ratio(done, expected),
            "status": status_for(done, expected, value, fraction),
            "actual_week_ago": ago, "change_week": metrics.change_since(done, ago),
            "forecast": fc.point, "forecast_low": fc.low, "forecast_high": fc.high,
            "required_weekly": metrics.required_weekly_rate(done, value, as_of, end),
            "gap": expected - done,
        })
    return pd.DataFrame(rows, columns=OVERVIEW_COLUMNS)


UNIT_COLUMNS = [
    "target_code", "unit_code", "unit_name_zh", "unit_name_en", "allocation", "actual", "expected",
    "completion", "pace_ratio", "status", "required_weekly", "gap", "rank",
]


def unit_breakdown(engine: Engine, year: int, as_of: dt.date,
                   units: Sequence[str] | None = None,
                   target_code: str | None = None, *, by_unit: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each unit against its own allocation, per target, as known on `as_of` (`by_unit`:
    `queries.progress_by_unit` as of `as_of`, when the caller has read it).

    Columns: target_code, unit_code, unit_name_zh, unit_name_en, allocation (base unit), actual,
    expected (序时进度 of the allocation), completion (actual/allocation), pace_ratio, status,
    required_weekly, gap (expected - actual), rank (排名 within the target by completion, 1 = best;
    units with no allocation are not ranked). Units with an allocation or progress appear.
    """
    start, end = queries.plan_year_bounds(engine, year)
    tg = queries.targets(engine, year)
    if target_code is not None:
        tg = tg[tg["target_code"] == target_code]
    alloc = queries.allocations(engine, year, units)
    prog = queries.progress_by_unit(engine, year, as_of, units) if by_unit is None else by_unit
    unit_names = queries.units(engine).set_index("code")
    merged = alloc.merge(prog, on=["target_code", "unit_code"], how="outer")
    merged = merged[merged["target_code"].isin(tg["target_code"])]
    merged["allocation"] = merged.pop("value").fillna(0.0).astype(float)
    merged["actual"] = merged["actual"].fillna(0.0).astype(float)
    curves = tg.set_index("target_code")["pace_curve"]
    rows = []
    for r in merged.itertuples(index=False):
        fraction = metrics.expected_fraction(as_of, start, end, curves.get(r.target_code))
        expected = metrics.expected_to_date(r.allocation, fraction)
        rows.append({
            "target_code": r.target_code, "unit_code": r.unit_code,
            "unit_name_zh": unit_names["name_zh"].get(r.unit_code, r.unit_code),
            "unit_name_en": unit_names["name_en"].get(r.unit_code, r.unit_code),
            "allocation": r.allocation, "actual": r.actual, "expected": expected,
            "completion": metrics.completion_rate(r.actual, r.allocation),
            "pace_ratio": metrics.pace_ratio(r.actual, expected),
            "status": status_for(r.actual, expected, r.allocation, fraction),
            "required_weekly": metrics.required_weekly_rate(r.actual, r.allocation, as_of, end),
            "gap": expected - r.actual,
        })
    df = pd.DataFrame(rows, columns=UNIT_COLUMNS[:-1])
    if df.empty:
        return pd.DataFrame(columns=UNIT_COLUMNS)
    ranked = df["allocation"] > 0
    df["rank"] = pd.NA
    df.loc[ranked, "rank"] = (
        df[ranked].groupby("target_code")["completion"].rank(ascending=False, method="min")
    )
    df["rank"] = df["rank"].astype("Int64")
    order = unit_names["sort_order"]
    df["_order"] = df["unit_code"].map(order)
    return df.sort_values(["target_code", "_order"]).drop(columns="_order").reset_index(drop=True)


def cumulative_series(engine: Engine, year: int, as_of: dt.date, target_code: str,
                      units: Sequence[str] | None = None) -> pd.DataFrame:
    """Cumulative actual of one target at each day it moved, and the pace line, as known on as_of.

    Columns: day (date), actual_cum (cumulative actual, NaN after as_of), expected_cum (序时进度
    amount). Rows: 1 Jan, every day with an increment up to as_of, every month end of the year
    (so the pace line shows the curve), and as_of.
    """
    start, end = queries.plan_year_bounds(engine, year)
    tg = queries.targets(engine, year).set_index("target_code")
    curve = tg.loc[target_code, "pace_curve"]
    value = float(_target_values(engine, year, tg.reset_index(), units)[target_code])
    daily = queries.progress_by_day(engine, year, as_of, units, target_codes=[target_code])
    month_ends = [queries.month_end(dt.date(start.year, m, 1)) for m in range(1, 13)]
    days = sorted({start, min(as_of, end), *daily["day"], *[d for d in month_ends if d <= end]})
    cum = cumulative_at(daily, days)
    out = pd.DataFrame({
        "day": days,
        "actual_cum": [c if d <= as_of else float("nan") for d, c in zip(days, cum)],
        "expected_cum": [value * metrics.expected_fraction(d, start, end, curve) for d in days],
    })
    return out
