"""An independent oracle for the page tests: the figures the pages should show on the committed
2023 sample, computed with plain pandas from sample_data/output/*.csv only.

Nothing here imports data_access or dashboard: the rules are re-implemented from their written
form (sample_data/README.md, the docstrings of data_access/kpis/queries.py), so a page test that
compares with this module fails when the code under test moves a rule, instead of agreeing with
it. Where a rule is a judgement (序时进度 on a seasonal curve, the status bands) the page tests pin
hand-computed literals instead (see the note at the end).

Rules re-implemented ("as known on a date" = as_of):
- a row is known when it was recorded before the end of the as-of day (recorded_at < as_of + 1 day);
  the sample has no import batches, so every known row counts (nothing awaits approval);
- reported targets (T01–T05, T08, T10): weekly reports of periods that start in the plan year and end
  by the as-of date (and by 31 Dec); of several versions of one (target, unit, period) the one
  recorded last counts (a later row of the file breaks a tie);
- T06 / T07: childcare classes / care stations opened in the plan year by the as-of date, not
  closed by then, recorded by then; paused ones count (they still stand);
- T09: union organisations founded in the plan year by the as-of date and recorded by then
  (new-economy ones founded in 2023 included: the registry rule has no sector condition);
- T11: new-economy members of the plan year's months that are complete on the as-of date;
- the new-economy page's field figures: organisations with is_new_economy founded by the as-of
  date and recorded by then (all years); members of every complete month since 2019 (cumulative);
- target value: the plan's value city-wide, the sum of the chosen units' allocations otherwise.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

import pandas as pd

OUTPUT = Path(__file__).resolve().parent.parent / "sample_data" / "output"
YEAR_START = dt.date(2023, 1, 1)
YEAR_END = dt.date(2023, 12, 31)

LUSHAN = "410423"  # 鲁山县
TWO = ("410423", "410481")  # 鲁山县 and 舞钢市
FACILITY_KIND = {"T06": "childcare_class", "T07": "care_station"}


@lru_cache(maxsize=None)
def csv(name: str) -> pd.DataFrame:
    """A committed sample file, codes as text (unit codes keep their form)."""
    return pd.read_csv(OUTPUT / f"{name}.csv", dtype={"unit_code": str, "code": str},
                       keep_default_na=True)


def _cutoff(as_of: dt.date) -> pd.Timestamp:
    return pd.Timestamp(as_of + dt.timedelta(days=1))


def _in_units(df: pd.DataFrame, units: Sequence[str] | None) -> pd.DataFrame:
    return df if units is None else df[df["unit_code"].isin(list(units))]


def _d(col: pd.Series) -> pd.Series:
    return pd.to_datetime(col)


def target_codes() -> list[str]:
    return list(csv("targets")["code"])


def unit_names(lang: str = "zh") -> dict[str, str]:
    u = csv("units")
    return dict(zip(u["code"], u["name_en" if lang == "en" else "name_zh"]))


# ---------------------------------------------------------------------------------------------
# done


def reported_latest(as_of: dt.date, units: Sequence[str] | None = None) -> pd.DataFrame:
    """The report rows that count on `as_of`: one per (target, unit, period), the latest known."""
    pr = csv("progress_reports").reset_index(names="row")
    pr = pr[(_d(pr["period_start"]) >= pd.Timestamp(YEAR_START))
            & (_d(pr["period_end"]) <= pd.Timestamp(min(as_of, YEAR_END)))
            & (_d(pr["recorded_at"]) < _cutoff(as_of))]
    pr = _in_units(pr, units)
    pr = pr.assign(_rec=_d(pr["recorded_at"])).sort_values(["_rec", "row"])
    return pr.drop_duplicates(["target_code", "unit_code", "period_start", "period_end"], keep="last")


def facilities_standing(kind: str, as_of: dt.date, units: Sequence[str] | None = None) -> pd.DataFrame:
    """Facilities of `kind` standing on `as_of`: opened by then, not closed, recorded by then."""
    f = csv("facilities")
    f = f[(f["kind"] == kind) & (_d(f["opened_on"]) <= pd.Timestamp(as_of))
          & (_d(f["recorded_at"]) < _cutoff(as_of))
          & (f["closed_on"].isna() | (_d(f["closed_on"]) > pd.Timestamp(as_of)))]
    return _in_units(f, units)


def facilities_new(kind: str, as_of: dt.date, units: Sequence[str] | None = None) -> pd.DataFrame:
    f = facilities_standing(kind, as_of, units)
    return f[(_d(f["opened_on"]) >= pd.Timestamp(YEAR_START)) & (_d(f["opened_on"]) <= pd.Timestamp(YEAR_END))]


def _complete_months(as_of: dt.date) -> pd.Timestamp:
    """First day of the latest month that has ended on or before `as_of`."""
    nxt = as_of + dt.timedelta(days=1)
    first = dt.date(nxt.year, nxt.month, 1)
    prev = first - dt.timedelta(days=1)
    return pd.Timestamp(dt.date(prev.year, prev.month, 1))


def ne_members_rows(as_of: dt.date, units: Sequence[str] | None = None,
                    since: dt.date | None = None, until: dt.date | None = None) -> pd.DataFrame:
    m = csv("ne_membership")
    last = _complete_months(as_of)
    if until is not None:
        last = min(last, pd.Timestamp(until))
    m = m[(_d(m["month"]) <= last) & (_d(m["recorded_at"]) < _cutoff(as_of))]
    if since is not None:
        m = m[_d(m["month"]) >= pd.Timestamp(since)]
    m = _in_units(m, units).reset_index(names="row")
    m = m.assign(_rec=_d(m["recorded_at"])).sort_values(["_rec", "row"])
    return m.drop_duplicates(["month", "unit_code", "industry", "platform"], keep="last")


def union_orgs_known(as_of: dt.date, units: Sequence[str] | None = None) -> pd.DataFrame:
    o = csv("union_orgs")
    o = o[(_d(o["founded_on"]) <= pd.Timestamp(as_of)) & (_d(o["recorded_at"]) < _cutoff(as_of))]
    return _in_units(o, units)


def done(code: str, as_of: dt.date, units: Sequence[str] | None = None) -> float:
    """What target `code` has done since 1 Jan as known on `as_of`, for `units` (None: city)."""
    if code in FACILITY_KIND:
        return float(len(facilities_new(FACILITY_KIND[code], as_of, units)))
    if code == "T09":
        o = union_orgs_known(as_of, units)
        founded = _d(o["founded_on"])
        return float(((founded >= pd.Timestamp(YEAR_START)) & (founded <= pd.Timestamp(YEAR_END))).sum())
    if code == "T11":
        rows = ne_members_rows(as_of, units, since=YEAR_START, until=dt.date(2023, 12, 1))
        return float(rows["new_members"].sum())
    r = reported_latest(as_of, units)
    return float(r.loc[r["target_code"] == code, "value"].sum())


def target_value(code: str, units: Sequence[str] | None = None) -> float:
    """The annual target: the plan's value city-wide, the allocation sum for a set of units."""
    if units is None:
        t = csv("targets").set_index("code")
        return float(t.loc[code, "value"])
    a = csv("allocations")
    a = a[(a["target_code"] == code) & a["unit_code"].isin(list(units))]
    return float(a["value"].sum())


def overview(as_of: dt.date, units: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per target: code, done, target, completion (done / target, None without target)."""
    rows = []
    for code in target_codes():
        value = target_value(code, units)
        d = done(code, as_of, units)
        rows.append({"code": code, "done": d, "target": value,
                     "completion": d / value if value > 0 else None})
    return pd.DataFrame(rows).set_index("code")


def per_unit(code: str, as_of: dt.date, units: Iterable[str]) -> pd.DataFrame:
    """done and allocation of one target for each unit: index unit_code."""
    return pd.DataFrame([{"unit_code": u, "done": done(code, as_of, (u,)),
                          "allocation": target_value(code, (u,))} for u in units]).set_index("unit_code")


def cumulative_steps(code: str, as_of: dt.date, units: Sequence[str] | None = None) -> pd.Series:
    """Cumulative done after each day it moved (period end / opening day), as known on as_of."""
    if code in FACILITY_KIND:
        f = facilities_new(FACILITY_KIND[code], as_of, units)
        daily = f.groupby("opened_on").size().astype(float)
    else:
        r = reported_latest(as_of, units)
        r = r[r["target_code"] == code]
        daily = r.groupby("period_end")["value"].sum().astype(float)
    daily.index = [dt.date.fromisoformat(d) for d in daily.index]
    return daily.sort_index().cumsum()


# ---------------------------------------------------------------------------------------------
# the new-economy field and the registries


def ne_orgs_in_field(as_of: dt.date, units: Sequence[str] | None = None) -> int:
    """New-economy union organisations founded by `as_of` and recorded by then (all years)."""
    o = union_orgs_known(as_of, units)
    return int((o["is_new_economy"].astype(str).str.lower() == "true").sum())


def ne_members_cumulative(as_of: dt.date, units: Sequence[str] | None = None) -> int:
    """New-economy members of every month complete on `as_of` (since 2019), latest versions."""
    return int(ne_members_rows(as_of, units)["new_members"].sum())


def stations_opened(year: int, standing_on: dt.date | None = None) -> int:
    """Care stations opened in `year` (and standing on `standing_on` if given)."""
    f = csv("facilities")
    f = f[(f["kind"] == "care_station") & (f["opened_on"].str[:4] == str(year))]
    if standing_on is not None:
        f = f[f["closed_on"].isna() | (_d(f["closed_on"]) > pd.Timestamp(standing_on))]
    return len(f)


# ---------------------------------------------------------------------------------------------
# Judgements are not re-implemented here. 序时进度 (linear: days elapsed, 1 Jan as day 1, / 365;
# seasonal: the month-end shares of targets.csv pace_curve, interpolated inside the month), the
# status bands (done / 序时进度 ≥ 1.05 超序时, ≥ 0.95 达序时, below 滞后序时; short of the target
# after 31 Dec is 滞后序时) and the forecast are written as hand-computed literals, with their
# arithmetic, in the page tests themselves (FRACTION and STATUS in test_page_overview.py, the
# T07/T01/T10 cases in test_page_targets.py, the county table in test_page_map.py).
