"""The floor: each KPI query's aggregation written by hand as ONE plain SQL statement.

A floor is what the database alone needs for the same numbers: no Python before or after, no
extra round trips (the plan year's start comes from a join to plan_years, not a first query).
run.py times each floor next to its query function and checks that both give the same figures,
so a floor can only be a real one. Same rules as data_access.queries: "as known on a date"
(periods ending by as_of, rows recorded before the end of that day, no batch or a batch approved
by then), the latest version per (target, unit, period) or per (month, unit, industry, platform).
"""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import Date, DateTime, Engine, bindparam, text

from data_access.kpis.queries import cutoff, last_complete_month

MEMBERS = "registry:ne_membership"


def _vis(alias: str, s: str) -> str:
    return (f"({alias}.batch_id IS NULL OR {alias}.batch_id IN (SELECT id FROM import_batches "
            f"WHERE status = 'approved' AND reviewed_at < :cutoff{s}))")


def _units(col: str, units) -> str:
    return f" AND {col} IN :units" if units else ""


def facts_cte(s: str, units, codes: bool = False) -> str:
    """CTE `facts{s}` (target_id, unit_code, day, value) as known on :as_of{s}, for :year.
    day is the period end, opening or founding date, or the month's first day for membership.
    With `codes`, only targets whose code is in :codes (a WHERE the query function applies later)."""
    code = " AND t.code IN :codes" if codes else ""
    return f"""facts{s} AS (
  SELECT target_id, unit_code, day, value FROM (
    SELECT pr.target_id, pr.unit_code, pr.period_end AS day, pr.value,
           ROW_NUMBER() OVER (PARTITION BY pr.target_id, pr.unit_code, pr.period_start, pr.period_end
                              ORDER BY pr.recorded_at DESC, pr.id DESC) AS rn
    FROM progress_reports pr
    JOIN targets t ON t.id = pr.target_id
    JOIN plan_years py ON py.year = t.year
    WHERE t.year = :year{code} AND pr.period_start >= py.start_date AND pr.period_end <= :as_of{s}
      AND pr.recorded_at < :cutoff{s} AND {_vis('pr', s)}{_units('pr.unit_code', units)}
  ) ranked WHERE rn = 1
  UNION ALL
  SELECT t.id, f.unit_code, f.opened_on, CAST(1 AS DOUBLE PRECISION)
  FROM facilities f
  JOIN targets t ON t.year = :year AND t.measure = 'facility:' || f.kind
  JOIN plan_years py ON py.year = t.year
  WHERE f.kind IN ('care_station', 'childcare_class'){code} AND f.opened_on >= py.start_date
    AND f.opened_on <= :as_of{s}  -- 新建: opened in the year, counted even if it closed since
    AND f.recorded_at < :cutoff{s} AND {_vis('f', s)} AND {_current('f', s)}{_units('f.unit_code', units)}
  UNION ALL
  SELECT t.id, o.unit_code, o.founded_on, CAST(1 AS DOUBLE PRECISION)
  FROM union_orgs o
  JOIN targets t ON t.year = :year AND t.measure = 'registry:union_orgs'
  JOIN plan_years py ON py.year = t.year
  WHERE o.founded_on >= py.start_date{code} AND o.founded_on <= :as_of{s} AND o.recorded_at < :cutoff{s}
    AND {_vis('o', s)} AND {_current('o', s)}{_units('o.unit_code', units)}
  UNION ALL
  SELECT t.id, m.unit_code, m.month, CAST(m.new_members AS DOUBLE PRECISION) FROM (
    SELECT n.month, n.unit_code, n.new_members,
           ROW_NUMBER() OVER (PARTITION BY n.month, n.unit_code, n.industry, n.platform
                              ORDER BY n.recorded_at DESC, n.id DESC) AS rn
    FROM ne_membership n JOIN plan_years py ON py.year = :year
    WHERE n.month >= py.start_date AND n.month <= :last_month{s} AND n.recorded_at < :cutoff{s}
      AND {_vis('n', s)}{_units('n.unit_code', units)}
  ) m JOIN targets t ON t.year = :year AND t.measure = '{MEMBERS}'{code}
  WHERE m.rn = 1
)"""


def _asof_params(s: str, as_of: dt.date) -> dict:
    return {f"as_of{s}": as_of, f"cutoff{s}": cutoff(as_of), f"last_month{s}": last_complete_month(as_of)}


def _run(engine: Engine, sql: str, params: dict, units=None, codes=None) -> list[tuple]:
    """Execute one statement; dates and timestamps are bound with SQLAlchemy's types, so SQLite
    compares the same text the ORM wrote."""
    stmt = text(sql)
    params = {k: v for k, v in params.items() if re.search(rf":{k}\b", sql)}
    binds = []
    for name, value in params.items():
        if isinstance(value, dt.datetime):
            binds.append(bindparam(name, type_=DateTime))
        elif isinstance(value, dt.date):
            binds.append(bindparam(name, type_=Date))
    if units:
        binds.append(bindparam("units", expanding=True))
        params = {**params, "units": list(units)}
    if codes:
        binds.append(bindparam("codes", expanding=True))
        params = {**params, "codes": list(codes)}
    stmt = stmt.bindparams(*binds) if binds else stmt
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(stmt, params)]


# --- one floor per query function -----------------------------------------------------------------


def progress_by_unit(engine, year, as_of, units=None):
    """(target_code, unit_code, actual)"""
    sql = f"""WITH {facts_cte('', units)}
SELECT t.code, f.unit_code, SUM(f.value) FROM facts f JOIN targets t ON t.id = f.target_id
GROUP BY t.code, f.unit_code ORDER BY t.code, f.unit_code"""
    return _run(engine, sql, {"year": year, **_asof_params("", as_of)}, units)


def progress_by_day(engine, year, as_of, units=None):
    """(target_code, day, value); membership days are months' first days (the function shows ends)."""
    sql = f"""WITH {facts_cte('', units)}
SELECT t.code, f.day, SUM(f.value) FROM facts f JOIN targets t ON t.id = f.target_id
GROUP BY t.code, f.day ORDER BY t.code, f.day"""
    return _run(engine, sql, {"year": year, **_asof_params("", as_of)}, units)


def target_overview(engine, year, as_of, units=None, checkpoints=()):
    """(target_code, target, actual, actual_week_ago, cum at each checkpoint...): every figure of
    kpis.target_overview that comes from the database, the forecast's weekly points included."""
    week_ago = as_of - dt.timedelta(days=7)
    params = {"year": year, **_asof_params("", as_of), **_asof_params("_w", week_ago)}
    cps = []
    for k, day in enumerate(checkpoints):
        # a membership month counts at a checkpoint once the whole month is behind it
        params[f"cp{k}"], params[f"cpm{k}"] = day, last_complete_month(day)
        cps.append(f", SUM(CASE WHEN (t.measure <> '{MEMBERS}' AND f.day <= :cp{k}) OR "
                   f"(t.measure = '{MEMBERS}' AND f.day <= :cpm{k}) THEN f.value ELSE 0 END) AS cp{k}")
    target = ("(SELECT SUM(a.value) FROM allocations a WHERE a.target_id = t.id AND a.unit_code IN :units)"
              if units else "t.value")
    cp_cols = "".join(f", a.cp{k}" for k in range(len(checkpoints)))
    sql = f"""WITH {facts_cte('', units)}, {facts_cte('_w', units)},
agg AS (SELECT f.target_id, SUM(f.value) AS actual{''.join(cps)}
        FROM facts f JOIN targets t ON t.id = f.target_id GROUP BY f.target_id),
agg_w AS (SELECT target_id, SUM(value) AS actual FROM facts_w GROUP BY target_id)
SELECT t.code, {target}, COALESCE(a.actual, 0), COALESCE(w.actual, 0){cp_cols}
FROM targets t LEFT JOIN agg a ON a.target_id = t.id LEFT JOIN agg_w w ON w.target_id = t.id
WHERE t.year = :year ORDER BY t.code"""
    return _run(engine, sql, params, units)


def unit_breakdown(engine, year, as_of, units=None):
    """(target_code, unit_code, allocation, actual) for units with an allocation or progress."""
    sql = f"""WITH {facts_cte('', units)}
SELECT t.code, x.unit_code, SUM(x.allocation), SUM(x.actual) FROM (
  SELECT a.target_id, a.unit_code, a.value AS allocation, 0 AS actual FROM allocations a
  JOIN targets ta ON ta.id = a.target_id WHERE ta.year = :year{_units('a.unit_code', units)}
  UNION ALL
  SELECT target_id, unit_code, 0, value FROM facts
) x JOIN targets t ON t.id = x.target_id
GROUP BY t.code, x.unit_code ORDER BY t.code, x.unit_code"""
    return _run(engine, sql, {"year": year, **_asof_params("", as_of)}, units)


def cumulative_series(engine, year, as_of, target_code, units=None):
    """(day, cumulative actual) at each day the target moved."""
    sql = f"""WITH {facts_cte('', units, codes=True)}
SELECT f.day, SUM(SUM(f.value)) OVER (ORDER BY f.day) FROM facts f GROUP BY f.day ORDER BY f.day"""
    return _run(engine, sql, {"year": year, **_asof_params("", as_of)}, units, codes=[target_code])


def _current(alias: str, s: str = "") -> str:
    """The registry version in force at the cutoff (queries.in_force)."""
    return f"({alias}.superseded_at IS NULL OR {alias}.superseded_at >= :cutoff{s})"


def _standing(s: str = "") -> str:
    return (f"f.kind IN ('care_station', 'childcare_class') AND f.opened_on <= :as_of{s} "
            f"AND (f.closed_on IS NULL OR f.closed_on > :as_of{s}) AND f.recorded_at < :cutoff{s} "
            f"AND {_vis('f', s)} AND {_current('f', s)}")


def facility_points(engine, year, as_of, units=None):
    """(id, kind, name, address, host_org, unit_code, lat, lon, opened_on, status, services,
    capacity, is_new) of the facilities standing on as_of."""
    sql = f"""SELECT f.id, f.kind, f.name, f.address, f.host_org, f.unit_code, f.lat, f.lon, f.opened_on,
       f.status, f.services, f.capacity, CASE WHEN f.opened_on >= py.start_date THEN 1 ELSE 0 END
FROM facilities f JOIN plan_years py ON py.year = :year
WHERE {_standing()}{_units('f.unit_code', units)}
ORDER BY f.kind, f.unit_code, f.opened_on, f.id"""
    return _run(engine, sql, {"year": year, **_asof_params("", as_of)}, units)


def facility_counts(engine, year, as_of, units=None):
    """(unit_code, kind, total, new_this_year)"""
    sql = f"""SELECT f.unit_code, f.kind, COUNT(*), SUM(CASE WHEN f.opened_on >= py.start_date THEN 1 ELSE 0 END)
FROM facilities f JOIN plan_years py ON py.year = :year
WHERE {_standing()}{_units('f.unit_code', units)}
GROUP BY f.unit_code, f.kind ORDER BY f.kind, f.unit_code"""
    return _run(engine, sql, {"year": year, **_asof_params("", as_of)}, units)


# --- new-economy page (data_access/new_economy.py) -------------------------------------------------


def _ne_latest(since: bool) -> str:
    lower = " AND n.month >= :since" if since else ""
    return f"""(SELECT n.month, n.unit_code, n.industry, n.platform, n.new_members,
        ROW_NUMBER() OVER (PARTITION BY n.month, n.unit_code, n.industry, n.platform
                           ORDER BY n.recorded_at DESC, n.id DESC) AS rn
 FROM ne_membership n
 WHERE n.month <= :last_month AND n.recorded_at < :cutoff AND {_vis('n', '')}{lower}) latest"""


def members(engine, as_of, by=(), since=None):
    """(*by, new_members): latest versions summed over complete months from `since` (None: all)."""
    keys = ", ".join(f"latest.{b}" for b in by)
    select = f"{keys}, " if by else ""
    tail = f" GROUP BY {keys} ORDER BY {keys}" if by else ""
    sql = f"SELECT {select}COALESCE(SUM(latest.new_members), 0) FROM {_ne_latest(since is not None)} " \
          f"WHERE latest.rn = 1{tail}"
    params = _asof_params("", as_of)
    if since is not None:
        params["since"] = since
    return _run(engine, sql, params)


def orgs(engine, as_of, by=()):
    """(*by, orgs, members_at_founding) of new-economy union orgs founded by as_of."""
    keys = ", ".join(f"o.{b}" for b in by)
    select = f"{keys}, " if by else ""
    tail = f" GROUP BY {keys} ORDER BY {keys}" if by else ""
    sql = f"""SELECT {select}COUNT(*), COALESCE(SUM(o.members_at_founding), 0) FROM union_orgs o
WHERE o.is_new_economy = TRUE AND o.founded_on <= :as_of AND o.recorded_at < :cutoff AND {_vis('o', '')}
  AND {_current('o')}{tail}"""
    return _run(engine, sql, _asof_params("", as_of))


# --- the default view (dashboard/state.py asks this for every plan year on a cold start) ----------


def latest_report_date(engine, year):
    """[(moment,)]: the latest moment a visible fact of `year` became known (recorded, or its
    batch approved if later), over reports, facilities, union orgs and membership."""
    def known(table: str, alias: str, where: str) -> str:
        return f"""SELECT CASE WHEN b.reviewed_at IS NOT NULL AND b.reviewed_at > {alias}.recorded_at
                   THEN b.reviewed_at ELSE {alias}.recorded_at END AS k
  FROM {table} {alias} LEFT JOIN import_batches b ON b.id = {alias}.batch_id
  JOIN plan_years py ON py.year = :year
  WHERE {where} AND ({alias}.batch_id IS NULL OR b.status = 'approved')"""
    parts = [known("progress_reports", "x", "x.target_id IN (SELECT id FROM targets WHERE year = :year)"),
             known("facilities", "f", "f.opened_on BETWEEN py.start_date AND py.end_date"),
             known("union_orgs", "o", "o.founded_on BETWEEN py.start_date AND py.end_date"),
             known("ne_membership", "n", "n.month BETWEEN py.start_date AND py.end_date")]
    sql = "SELECT MAX(k) FROM (" + "\nUNION ALL\n".join(parts) + ") known"
    return _run(engine, sql, {"year": year})
