"""Queries for the new-economy page: new members among new-economy workers (ne_membership) and the
union organisations in the field (union_orgs with is_new_economy). Aggregated in SQL; no streamlit.

Membership figures come from `queries.ne_membership_latest`, the same versioned, as-of-aware
subquery that T11 in `kpis.target_overview` sums, so this page and the overview cannot disagree.
Organisations follow the registry rule (`registry.standing`, the same clause T09 counts with):
founded by `as_of`, recorded before the end of that day, without an import batch or from a batch
approved by then, and the version in force then. `units` follows `scope`: None is the whole city,
an empty list nothing.

Amounts are people (人) for members and organisations (个) for orgs.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Sequence

import pandas as pd
from sqlalchemy import ColumnElement, Engine, case, extract, func, literal, select

from data_access.kpis import aggregates, queries, registry
from data_access.schema.models import UnionOrg

# The city's four industry union federations (行业工会联合会) and the industries each takes in.
# Delivery riders and truck drivers are platform logistics work, so they belong to 物流与电商.
# This is the one place the mapping lives.
FEDERATIONS = ("物流与电商", "快递", "网约车", "家政服务")
INDUSTRY_FEDERATION = {
    "物流与电商": "物流与电商",
    "外卖配送": "物流与电商",
    "货车司机": "物流与电商",
    "快递": "快递",
    "网约车": "网约车",
    "家政服务": "家政服务",
}
OTHER = "其他"  # industries outside the mapping (none in the sample)

MEMBER_DIMENSIONS = ("month", "unit_code", "industry", "platform", "federation")
ORG_DIMENSIONS = ("month", "unit_code", "industry", "platform", "federation")


def federation_of(industry_col: Any) -> ColumnElement[str]:
    """SQL expression: the federation of an industry column (OTHER for unmapped or NULL)."""
    return case(*[(industry_col == ind, literal(fed)) for ind, fed in INDUSTRY_FEDERATION.items()],
                else_=literal(OTHER))


def _check_by(by: Sequence[str], allowed: Sequence[str]) -> None:
    unknown = [b for b in by if b not in allowed]
    if unknown:
        raise ValueError(f"unknown grouping {unknown}; allowed: {allowed}")


# ---------------------------------------------------------------------------------------------
# membership


def members(engine: Engine, as_of: dt.date, units: Sequence[str] | None = None, *,
            by: Sequence[str] = (), since: dt.date | None = None,
            until_month: dt.date | None = None) -> pd.DataFrame:
    """New new-economy members (人) as known on `as_of`, summed over complete months.

    Months: from `since` (first of a month; None = all history) to the last month complete on
    `as_of` (or `until_month` if earlier). `by`: any of month (date, first day), unit_code,
    industry (外卖配送, 快递, 网约车, 货车司机, 家政服务), platform (美团, 顺丰 … 其他), federation
    (see FEDERATIONS). Columns: the `by` columns, then new_members (int). Sorted by `by`.
    With no `by`, one row (new_members 0 when nothing matches).
    """
    by = tuple(by)
    _check_by(by, MEMBER_DIMENSIONS)
    with engine.connect() as conn:  # the maintained aggregate when complete (kpis.aggregates)
        ready = frozenset(aggregates.ready(conn))
    latest = queries.ne_membership_latest(as_of, units, since=since, until_month=until_month, ready=ready)
    cols = {"month": latest.c.month, "unit_code": latest.c.unit_code,
            "industry": latest.c.industry, "platform": latest.c.platform,
            "federation": federation_of(latest.c.industry)}
    keys = [cols[b].label(b) for b in by]
    stmt = select(*keys, func.coalesce(func.sum(latest.c.new_members), 0))
    if by:
        stmt = stmt.group_by(*[cols[b] for b in by]).order_by(*[cols[b] for b in by])
    df = queries._read(engine, stmt, [*by, "new_members"])
    df["new_members"] = df["new_members"].astype("int64")
    if "month" in df:
        df["month"] = df["month"].map(queries._as_date)
    return df


def members_total(engine: Engine, as_of: dt.date, units: Sequence[str] | None = None, *,
                  since: dt.date | None = None, until_month: dt.date | None = None) -> int:
    """Total new new-economy members (人) over the months `members` would cover (all history by
    default: the cumulative total, e.g. the seed's 45万 by March 2023)."""
    return int(members(engine, as_of, units, since=since, until_month=until_month)
               ["new_members"].iloc[0])


# ---------------------------------------------------------------------------------------------
# union organisations in the field


def org_filter(as_of: dt.date, units: Sequence[str] | None = None,
               founded_since: dt.date | None = None) -> ColumnElement[bool]:
    """WHERE clause: new-economy union orgs standing in the registry on `as_of` (`registry`)."""
    return registry.union_org_filter(as_of, units, founded_since=founded_since, new_economy=True)


def orgs(engine: Engine, as_of: dt.date, units: Sequence[str] | None = None, *,
         by: Sequence[str] = (), founded_since: dt.date | None = None) -> pd.DataFrame:
    """New-economy union organisations (个) founded by `as_of` (建会), as known on `as_of`.

    `by`: any of month (date: first day of the founding month), unit_code, industry, platform,
    federation. Columns: the `by` columns, then orgs (count, int) and members_at_founding (人,
    sum, int; NULLs count as 0). With no `by`, one row: the number in the field.
    """
    by = tuple(by)
    _check_by(by, ORG_DIMENSIONS)
    u = UnionOrg
    year, month = extract("year", u.founded_on), extract("month", u.founded_on)
    cols: dict[str, list[Any]] = {
        "unit_code": [u.unit_code], "industry": [u.industry], "platform": [u.platform],
        "federation": [federation_of(u.industry)], "month": [year, month]}
    group = [c for b in by for c in cols[b]]
    names = [n for b in by for n in (["_y", "_m"] if b == "month" else [b])]
    stmt = select(*[c.label(n) for c, n in zip(group, names)], func.count(u.id),
                  func.coalesce(func.sum(u.members_at_founding), 0)).where(
        org_filter(as_of, units, founded_since))
    if group:
        stmt = stmt.group_by(*group).order_by(*group)
    df = queries._read(engine, stmt, [*names, "orgs", "members_at_founding"])
    if "month" in by:
        df.insert(0, "_month", [dt.date(int(y), int(m), 1) for y, m in zip(df["_y"], df["_m"])])
        df = df.drop(columns=["_y", "_m"]).rename(columns={"_month": "month"})
        df = df[[*by, "orgs", "members_at_founding"]]
    for col in ("orgs", "members_at_founding"):
        df[col] = df[col].astype("int64")
    return df.reset_index(drop=True)


def orgs_total(engine: Engine, as_of: dt.date, units: Sequence[str] | None = None) -> int:
    """Number of new-economy union organisations in the field on `as_of` (372 on 2023-03-26)."""
    return int(orgs(engine, as_of, units)["orgs"].iloc[0])
