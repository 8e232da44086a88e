"""The KPI tables every page and export shows: each target against its 序时进度, city-wide or for
a set of units. Built from `queries` (SQL aggregates) and `metrics` (pure rules); no streamlit.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Sequence

import pandas as pd
from sqlalchemy import Engine


from data_access.kpis import calendar, known as knowledge, metrics, queries, summaries
from data_access.kpis.known import Moment

OVERVIEW_COLUMNS = [
    "target_code", "project_code", "project_name_zh", "project_name_en", "name_zh", "name_en",
    "unit_zh", "unit_en", "measure", "target", "actual", "fraction", "expected", "completion",
    "pace_ratio", "status", "actual_week_ago", "change_week", "forecast", "forecast_low",
    "forecast_high", "required_weekly", "gap", "runs_to", "done", "final",
]

MONEY_UNITS = ("元", "万元")
"""Units (unit_zh) of targets that are amounts of money; every other target counts things (场次,
人, 家 …), whose weekly rate needed is rounded up to whole things."""


def status_for(actual: float, expected: float, target: float, fraction: float, *,
               started: bool = True, final: bool | None = None) -> str | None:
    """The status of a row (`metrics.target_status`): None where there is no target (a unit
    without an allocation: left out of every status count); 达成 / 未达成 once the year is `final`
    (None: when the whole year is expected, fraction 1); 尚无数据 before the first period closed
    (`started` False); else the pace status of `actual` against `expected`."""
    if target <= 0:
        return None
    if final if final is not None else fraction >= 1.0:
        return metrics.target_status(actual, target, 1.0, final=True)
    if not started:
        return metrics.STATUS_NOT_STARTED
    return metrics.pace_status(actual, expected)


def status_counts(table: pd.DataFrame,
                  statuses: Sequence[str] = metrics.STATUSES) -> dict[str, int]:
    """How many rows of a target_overview or unit_breakdown table have each of `statuses` (by
    default the three pace statuses 超序时 / 达序时 / 滞后序时; `metrics.ALL_STATUSES` adds 尚无数据,
    达成 and 未达成), plus 'total' (rows with a target, whatever their status). The one count every
    page, briefing and export shows."""
    counts = {s: int((table["status"] == s).sum()) for s in statuses}
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


NAN = float("nan")


@dataclass(frozen=True)
class Pace:
    """The pace of one target (or one unit's allocation) in a view as of `as_of`; see `pace_of`."""

    runs_to: dt.date | None
    fraction: float
    expected: float
    status: str | None
    required_weekly: float
    done: bool
    final: bool


def pace_of(actual: float, target: float, measure: str, unit_zh: str, pace_curve: Sequence[float] | None,
            as_of: dt.date, start: dt.date, end: dt.date) -> Pace:
    """The one rule of a row's pace (both KPI tables):

    - runs_to: the date its figures run to (`calendar.runs_to` for the target's cadence: the end of
      the last complete reporting week, of the last complete month, or the as-of date for a
      registry), None before the first period has closed;
    - fraction, expected: the share of the year expected by runs_to (`metrics.expected_fraction`,
      plan curve included; 0 before the first period) and that part of `target`;
    - status: `status_for`: 尚无数据 until the target's first period has closed
      (`calendar.periods_closed` >= 1: the first reporting week, 1–6 Jan 2023, for weekly targets
      and for registries, which the weekly meeting follows week by week; January for monthly
      ones); 达成/未达成 when `calendar.year_over`; else the pace status at runs_to;
    - required_weekly: the coming week's need after runs_to (`metrics.required_weekly_rate`,
      following the plan curve; whole things unless the unit is money); 0 when done, NaN when the
      year is over (nothing is needed any more);
    - done: actual >= target > 0 (the presentation writes 已完成); final: the year is over.
    In words, on the overview and the targets page: `data_access.present.texts.definitions`."""
    final = calendar.year_over(as_of, end)
    cadence = calendar.cadence_of(measure)
    runs = calendar.runs_to(cadence, as_of, start, end)
    fraction = 0.0 if runs is None else metrics.expected_fraction(runs, start, end, pace_curve)
    expected = metrics.expected_to_date(target, fraction)
    started = calendar.periods_closed(cadence, runs, start, end) >= 1
    status = status_for(actual, expected, target, fraction, started=started, final=final)
    done = target > 0 and actual >= target
    if final:
        weekly = NAN
    else:
        now = start - dt.timedelta(days=1) if runs is None else runs
        weekly = metrics.required_weekly_rate(actual, target, now, end, pace_curve, start,
                                              whole=unit_zh not in MONEY_UNITS)
    return Pace(runs, fraction, expected, status, weekly, done, final)


def target_overview(engine: Engine, year: int, as_of: dt.date,
                    units: Sequence[str] | None = None, *,
                    week_ago_by_unit: pd.DataFrame | None = None,
                    known: Moment | None = None) -> pd.DataFrame:
    """Every target of `year` for periods through `as_of` (D) as known at `known` (K; None: the
    end of `as_of`, see `kpis.known`), for the chosen units (None: whole city).

    Columns (amounts in the target's base unit, unit_zh/unit_en):
      target_code, project_code, project_name_zh, project_name_en, name_zh, name_en, unit_zh,
      unit_en, measure; target (annual target: plan value city-wide, allocation sum for units);
      actual (done since 1 Jan, periods ended by as_of); fraction (share of the year expected by
      runs_to, 0..1); expected (序时进度 amount at runs_to); completion (actual/target: at year end
      the share achieved); pace_ratio (actual/expected); status (`pace_of`: 超序时/达序时/滞后序时,
      尚无数据 before the first period closed, 达成/未达成 at and after the year's last day; None
      where the target is 0); actual_week_ago (as known at the end of `calendar.week_ago(as_of)`;
      0 before the plan year); change_week; forecast, forecast_low, forecast_high (year-end, NaN
      until `metrics.MIN_FORECAST_PERIODS` periods have closed and once the year is over);
      required_weekly (the coming week's need, `pace_of`; NaN once the year is over); gap
      (expected - actual, positive when behind); runs_to (date the figures run to, None before
      the first period); done (target reached); final (the year is over: the status is its result).
    `week_ago_by_unit`: `queries.progress_by_unit` as of the week ago, when the caller has read it.
    The week ago is the view a week earlier on both axes (D - 7 as known at K - 7).
    """
    with knowledge.recorded_by(known):
        return _target_overview(engine, year, as_of, units, week_ago_by_unit, known)


def _target_overview(engine: Engine, year: int, as_of: dt.date, units: Sequence[str] | None,
                     week_ago_by_unit: pd.DataFrame | None, known: Moment | None) -> pd.DataFrame:
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
            with knowledge.recorded_by(knowledge.week_before(known)):
                week_ago_by_unit = queries.progress_by_unit(engine, year, week_ago_day, units)
        week_ago = week_ago_by_unit.groupby("target_code")["actual"].sum()
    else:  # a week earlier the year had not begun: nothing was done yet
        week_ago = pd.Series(dtype=float)

    rows = []
    for t in tg.itertuples(index=False):
        value = float(target_value.get(t.target_code, 0.0))
        done = float(actual.get(t.target_code, 0.0))
        pace = pace_of(done, value, str(t.measure), str(t.unit_zh), t.pace_curve, as_of, start, end)
        cadence = calendar.cadence_of(str(t.measure))
        ago = float(week_ago.get(t.target_code, 0.0))
        fc = metrics.Forecast(None, None, None)
        if not pace.final and pace.runs_to is not None and metrics.forecast_ready(
                cadence, calendar.periods_closed(cadence, pace.runs_to, start, end)):
            checkpoints = weekly_checkpoints(pace.runs_to, start, metrics.FORECAST_WINDOW_WEEKS)
            cum = cumulative_at(daily[daily["target_code"] == t.target_code], checkpoints)
            cum[-1] = done  # the last point is the actual the status is judged on
            fracs = [metrics.expected_fraction(d, start, end, t.pace_curve) for d in checkpoints]
            fc = metrics.forecast_year_end(cum, fracs)
        rows.append({
            "target_code": t.target_code, "project_code": t.project_code,
            "project_name_zh": t.project_name_zh, "project_name_en": t.project_name_en,
            "name_zh": t.name_zh, "name_en": t.name_en, "unit_zh": t.unit_zh, "unit_en": t.unit_en,
            "measure": t.measure, "target": value, "actual": done, "fraction": pace.fraction,
            "expected": pace.expected, "completion": metrics.completion_rate(done, value),
            "pace_ratio": metrics.pace_ratio(done, pace.expected), "status": pace.status,
            "actual_week_ago": ago, "change_week": metrics.change_since(done, ago),
            "forecast": _nan(fc.point), "forecast_low": _nan(fc.low), "forecast_high": _nan(fc.high),
            "required_weekly": pace.required_weekly, "gap": pace.expected - done,
            "runs_to": pace.runs_to, "done": pace.done, "final": pace.final,
        })
    return pd.DataFrame(rows, columns=OVERVIEW_COLUMNS)


def _nan(value: float | None) -> float:
    return NAN if value is None else float(value)


UNIT_COLUMNS = [
    "target_code", "unit_code", "unit_name_zh", "unit_name_en", "allocation", "actual", "expected",
    "completion", "pace_ratio", "status", "required_weekly", "gap", "rank", "runs_to", "done", "final",
]


def unit_breakdown(engine: Engine, year: int, as_of: dt.date,
                   units: Sequence[str] | None = None,
                   target_code: str | None = None, *, by_unit: pd.DataFrame | None = None,
                   known: Moment | None = None) -> pd.DataFrame:
    """Each unit against its own allocation, per target, for periods through `as_of` as known at
    `known` (`kpis.known`; None: the end of `as_of`) (`by_unit`: `queries.progress_by_unit` of the
    same view, when the caller has read it).

    Columns: target_code, unit_code, unit_name_zh, unit_name_en, allocation (base unit), actual,
    expected (序时进度 of the allocation at runs_to), completion (actual/allocation), pace_ratio,
    status, required_weekly, gap (expected - actual), rank (排名 within the target by completion,
    1 = best; units with no allocation are not ranked), runs_to, done, final (all as in
    `target_overview`, by the same rule `pace_of`; a unit without an allocation has no status and
    needs nothing). Units with an allocation or progress appear.
    """
    start, end = queries.plan_year_bounds(engine, year)
    tg = queries.targets(engine, year)
    if target_code is not None:
        tg = tg[tg["target_code"] == target_code]
    alloc = queries.allocations(engine, year, units)
    if by_unit is None:
        with knowledge.recorded_by(known):
            by_unit = queries.progress_by_unit(engine, year, as_of, units)
    prog = by_unit
    unit_names = queries.units(engine).set_index("code")
    merged = alloc.merge(prog, on=["target_code", "unit_code"], how="outer")
    merged = merged[merged["target_code"].isin(tg["target_code"])]
    merged["allocation"] = merged.pop("value").fillna(0.0).astype(float)
    merged["actual"] = merged["actual"].fillna(0.0).astype(float)
    # plain dicts: a pandas lookup per cell cost more than the rows' rules (25 units x 11 targets)
    info = {t.target_code: (str(t.measure), str(t.unit_zh), t.pace_curve) for t in tg.itertuples(index=False)}
    names_zh, names_en = unit_names["name_zh"].to_dict(), unit_names["name_en"].to_dict()
    rows = []
    for r in merged.itertuples(index=False):
        measure, unit_zh, curve = info[r.target_code]
        pace = pace_of(float(r.actual), float(r.allocation), measure, unit_zh, curve, as_of, start, end)
        rows.append({
            "target_code": r.target_code, "unit_code": r.unit_code,
            "unit_name_zh": names_zh.get(r.unit_code, r.unit_code),
            "unit_name_en": names_en.get(r.unit_code, r.unit_code),
            "allocation": r.allocation, "actual": r.actual, "expected": pace.expected,
            "completion": metrics.completion_rate(r.actual, r.allocation),
            "pace_ratio": metrics.pace_ratio(r.actual, pace.expected), "status": pace.status,
            "required_weekly": pace.required_weekly, "gap": pace.expected - r.actual,
            "runs_to": pace.runs_to, "done": pace.done, "final": pace.final,
        })
    df = pd.DataFrame(rows, columns=[c for c in UNIT_COLUMNS if c != "rank"])
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
    df = df.sort_values(["target_code", "_order"]).drop(columns="_order").reset_index(drop=True)
    return df[UNIT_COLUMNS]


def cumulative_series(engine: Engine, year: int, as_of: dt.date, target_code: str,
                      units: Sequence[str] | None = None, *, known: Moment | None = None) -> pd.DataFrame:
    """Cumulative actual of one target at each day it moved, and the pace line, for periods
    through as_of as known at `known` (`kpis.known`; None: the end of as_of).

    Columns: day (date), actual_cum (cumulative actual, NaN after as_of), expected_cum (序时进度
    amount). Rows: 1 Jan, every day with an increment up to as_of, every month end of the year
    (so the pace line shows the curve), and as_of.
    """
    start, end = queries.plan_year_bounds(engine, year)
    tg = queries.targets(engine, year).set_index("target_code")
    curve = tg.loc[target_code, "pace_curve"]
    value = float(_target_values(engine, year, tg.reset_index(), units)[target_code])
    with knowledge.recorded_by(known):
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


def latest_known_day(engine: Engine, year: int, as_of: dt.date,
                     known: Moment | None = None) -> dt.date | None:
    """最新填报日期 of a view: the day the latest figure *of that view* became known, i.e. the latest
    recorded_at (or its batch's approval, if later) among the rows the view counts: reports of
    `year`'s targets for periods through `as_of` (D), facilities opened and unions founded in the
    year by D, membership months of the year complete by D, recorded and approved by `known` (K;
    None: the end of D, `kpis.known`). None when the view counts nothing. So a view as of 30 June
    2023 as known then never names a later day, and a view with K = now names the day of the
    latest correction it counts."""
    start, end = queries.plan_year_bounds(engine, year)
    day = min(as_of, end)
    with knowledge.recorded_by(known), engine.connect() as conn:
        if summaries.usable(conn, knowledge.moment(day)):
            return queries._as_date(summaries.latest_known_day(conn, year, day))
        return queries.became_latest(conn, year, start, day)
