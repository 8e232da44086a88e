"""Everything the new-economy page shows, as one dict of display-ready frames and headline figures
(`model`), read through the readers dashboard/data.py passes in (`Reads`) and cached there
(data.new_economy). The pieces are shaped by views/new_economy.py.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from data_access.kpis import anomaly, calendar, queries

from dashboard.views.new_economy import (T11, Headline, breakdown, county_industry_table, cumulative_points,
                                         federation_table, growth, in_field_series, month_earlier, name,
                                         period_text, periods, year_earlier)


# ---------------------------------------------------------------------------------------------
# what the model reads (dashboard/data.py passes its cached readers)


@dataclass(frozen=True)
class Reads:
    """The readers `model` calls, with data.py's signatures: members(as_of, units, by, since,
    until_month) and orgs(as_of, units, by, founded_since) of kpis.new_economy, overview(year,
    as_of, units) = tables.target_overview, series(year, as_of, target_code, units) =
    tables.cumulative_series; `units` is the units table."""
    members: Callable[..., pd.DataFrame]
    orgs: Callable[..., pd.DataFrame]
    overview: Callable[..., pd.DataFrame]
    series: Callable[..., pd.DataFrame]
    units: pd.DataFrame


def members_total(read: Reads, as_of: Any, units: Any, since: Any=None, until_month: Any=None) -> int:
    return int(read.members(as_of, units, (), since, until_month)["new_members"].iloc[0])


def orgs_total(read: Reads, as_of: Any, units: Any) -> int:
    return int(read.orgs(as_of, units)["orgs"].iloc[0])


def _empty(*cols: Any) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="int64" if c == "new_members" else object) for c in cols})


def model(year: int, bounds: tuple[dt.date, dt.date], as_of: dt.date, units: tuple[str, ...] | None,
          lang: str, read: Reads) -> dict[str, Any]:
    """Everything the page shows, as display-ready frames and headline figures, for plan year `year`
    (`bounds`: its start and end dates), read through `read` (dashboard/data.py caches the result)."""
    start, end = bounds
    p = periods(start, end, as_of)
    unit_df = read.units
    members, orgs = read.members, read.orgs
    unit_names = unit_df.set_index("code")["name_en" if lang == "en" else "name_zh"].to_dict()
    week_ago, month_ago, year_ago = calendar.week_ago(as_of), month_earlier(as_of), year_earlier(as_of)

    def mem(by: Any, since: Any = None, until: Any = None, *, this_year: bool = False) -> pd.DataFrame:
        if this_year and not p.has_months:
            return _empty(*by, "new_members")
        return members(as_of, units, tuple(by), since, until)

    # headline 1: T11 from the overview (the same figure the overview shows), changes, year-on-year
    ov = read.overview(year, as_of, units).set_index("target_code")
    t11 = ov.loc[T11]
    t11_month = None
    if month_ago >= start:
        before = read.overview(year, month_ago, units).set_index("target_code").loc[T11, "actual"]
        t11_month = float(t11["actual"]) - float(before)
    ly_total = members_total(read, as_of, units, p.ly_start, p.ly_until) if p.has_months else 0
    this_months = mem(["month"], p.start, p.until, this_year=True)
    head_t11 = Headline(float(t11["actual"]), t11["change_week"], t11_month,
                        growth(float(t11["actual"]), ly_total),
                        cumulative_points(this_months, "new_members", 12))

    # headline 2: the cumulative total (all months to date), as known on each date
    cum = members_total(read, as_of, units)
    head_cum = Headline(cum, cum - members_total(read, week_ago, units), cum - members_total(read, month_ago, units),
                        growth(cum, members_total(read, year_ago, units)),
                        cumulative_points(mem(["month"]), "new_members", 24))

    # headline 3: union organisations in the field
    n_orgs = orgs_total(read, as_of, units)
    head_orgs = Headline(n_orgs, n_orgs - orgs_total(read, week_ago, units), n_orgs - orgs_total(read, month_ago, units),
                         growth(n_orgs, orgs_total(read, year_ago, units)),
                         cumulative_points(orgs(as_of, units, ("month",)), "orgs", 24))

    # growth over time: monthly by industry, and the intake-jump flags per unit
    monthly = mem(["month", "industry"], p.start, p.until, this_year=True)
    monthly = monthly.assign(label=[name(i, lang) for i in monthly["industry"]])
    judged = anomaly.flag_jumps(mem(["unit_code", "month"],
                                    queries.add_months(p.start, -anomaly.WINDOW_MONTHS), p.until))
    flags = judged[judged["flagged"] & (judged["month"] >= p.start)]
    flags = pd.DataFrame({"month": flags["month"], "unit": [unit_names.get(u, u) for u in flags["unit_code"]],
                          "new_members": flags["new_members"].astype("int64"),
                          "baseline": flags["baseline"], "ratio": flags["ratio"]}).reset_index(drop=True)

    # where it comes from: share and growth against the same months last year
    def split(key: str) -> pd.DataFrame:
        b = breakdown(mem([key], p.start, p.until, this_year=True),
                      mem([key], p.ly_start, p.ly_until, this_year=True), key)
        b.insert(0, "label", [unit_names.get(v, v) if key == "unit_code" else name(v, lang) for v in b[key]])
        return b.drop(columns=key)

    # organisations in the field over time, and members per organisation by federation
    founded = orgs(as_of, units, ("month", "federation"), start)
    founded = founded.assign(label=[name(f, lang) for f in founded["federation"]])
    months = [m for m in (queries.add_months(p.start, i) for i in range(12))
              if m <= queries.first_of_month(min(as_of, end))]
    # those in the field before the year, as known now, so the last point equals the headline
    in_field = in_field_series(n_orgs - int(founded["orgs"].sum()), founded, months)
    fed = federation_table(orgs(as_of, units, ("federation",))[["federation", "orgs", "members_at_founding"]],
                           mem(["federation"]), mem(["federation"], p.start, p.until, this_year=True))
    fed.insert(0, "label", [name(f, lang) for f in fed["federation"]])

    return {
        "periods": p, "t11": t11, "head_t11": head_t11, "head_cum": head_cum, "head_orgs": head_orgs,
        "monthly": monthly, "flags": flags, "series": read.series(year, as_of, T11, units),
        "by_industry": split("industry"), "by_platform": split("platform"), "by_unit": split("unit_code"),
        "county_industry": county_industry_table(
            mem(["unit_code", "industry"], p.start, p.until, this_year=True), list(unit_df["code"]),
            unit_names, lang),
        "founded": founded, "in_field": in_field, "federations": fed.drop(columns="federation"),
        "period_text": period_text(p, lang),
    }
