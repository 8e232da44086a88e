"""The weekly meeting's briefing (周例会简报): what stands, what moved, who is behind, who did not
report, and the decisions as they stood. No streamlit. The prose is `meeting.summary`, the files
`meeting.excel` and `meeting.pdf`, the decisions' writes `meeting.decisions`.

The week of a briefing dated D is the seven days D-6 … D (`meeting.week`). "What moved this week"
is what was known at the end of D minus what was known at the end of D-7, both from the as-of
queries, so a late report or a correction counts in the week it became known, and nothing recorded
after D changes the briefing of D (a past briefing reopened shows what was known then).

Every figure comes from `kpis` (the overview's own definitions) or `queries`; the only SQL written
here is the reporting check.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

import pandas as pd
from sqlalchemy import ColumnElement, Engine, and_, case, false, func, select

from data_access.kpis import calendar, known as knowledge, metrics, queries, scope, tables
from data_access.kpis.known import Moment
from data_access.meeting.decisions import DECISION_COLUMNS, list_decisions
from data_access.meeting.texts import tx
from data_access.meeting.week import week_start
from data_access.schema.models import MEASURE_REPORTED, ProgressReport, Target

__all__ = ["week_start", "Briefing", "build_briefing", "with_decisions"]


# ---------------------------------------------------------------------------------------------
# the briefing


@dataclasses.dataclass(frozen=True)
class Briefing:
    """Everything a briefing shows, for one plan year, meeting date and choice of units."""

    year: int
    meeting_date: dt.date
    units: tuple[str, ...] | None  # None: the whole city
    unit_names: pd.DataFrame  # code, name_zh, name_en, sort_order (of every active unit)
    overview: pd.DataFrame  # kpis.target_overview, unchanged: the overview's numbers
    changes: pd.DataFrame  # per target: known a week ago, known now, change
    county_changes: pd.DataFrame  # per unit and target
    behind_targets: pd.DataFrame
    behind_counties: pd.DataFrame
    reporting: pd.DataFrame  # per unit: expected / reported this week, state
    decisions: pd.DataFrame
    known: dt.date | None = None  # the knowledge date K when it is not the meeting date's end

    @property
    def week_start(self) -> dt.date:
        return week_start(self.meeting_date)

    def scope(self, lang: str = "zh") -> str:
        """'全市' or the chosen units' names."""
        if not self.units:
            return tx("scope_city", lang)
        names = self.unit_names.set_index("code")["name_en" if lang == "en" else "name_zh"]
        return tx("list_sep", lang).join(str(names.get(c, c)) for c in self.units)


def _units(units: Sequence[str] | None) -> tuple[str, ...] | None:
    return scope.normalise(units)


def build_briefing(engine: Engine, year: int, meeting_date: dt.date,
                   units: Sequence[str] | None = None, *, with_decisions: bool = True,
                   known: Moment | None = None) -> Briefing:
    """The briefing of `meeting_date` (D) as known at `known` (K; None: the end of that day, so a
    past briefing reopens exactly as it was; `kpis.known`). Each set of facts is read once: per
    unit as of the date and as of a week earlier (shared by the overview's week change, the units'
    breakdown and the county changes), per day as of the date (the overview's series)."""
    with knowledge.recorded_by(known):
        return _build_briefing(engine, year, meeting_date, units, with_decisions, known)


def _build_briefing(engine: Engine, year: int, meeting_date: dt.date, units: Sequence[str] | None,
                    with_decisions: bool, known: Moment | None) -> Briefing:
    units = _units(units)
    now, ago = _by_unit(engine, year, meeting_date, units, known)
    overview = tables.target_overview(engine, year, meeting_date, units, week_ago_by_unit=ago)
    breakdown = tables.unit_breakdown(engine, year, meeting_date, units, by_unit=now)
    names = queries.units(engine)[["code", "name_zh", "name_en", "sort_order"]]
    decisions = (list_decisions(engine, year, meeting_date, units) if with_decisions
                 else pd.DataFrame(columns=DECISION_COLUMNS))
    return Briefing(
        year=year, meeting_date=meeting_date, units=units, unit_names=names, overview=overview,
        changes=week_changes(overview),
        county_changes=county_changes(engine, year, meeting_date, units, read=(now, ago)),
        behind_targets=behind_targets(overview),
        behind_counties=behind_counties(breakdown, overview),
        reporting=week_reporting(engine, year, meeting_date, units),
        decisions=decisions, known=knowledge.label(known),
    )


def with_decisions(b: Briefing, engine: Engine) -> Briefing:
    """The same briefing with its decisions read afresh (they change during the meeting)."""
    return dataclasses.replace(b, decisions=list_decisions(engine, b.year, b.meeting_date, b.units))


CHANGE_COLUMNS = ["target_code", "project_code", "name_zh", "name_en", "unit_zh", "unit_en",
                  "measure", "actual_week_ago", "actual", "change"]


def week_changes(overview: pd.DataFrame) -> pd.DataFrame:
    """Per target: actual_week_ago (known at the end of D-7; 0 before the plan year), actual
    (known at the end of D) and change, in the target's base unit."""
    df = overview[["target_code", "project_code", "name_zh", "name_en", "unit_zh", "unit_en",
                   "measure", "actual"]].copy()
    df["actual_week_ago"] = pd.to_numeric(overview["actual_week_ago"], errors="coerce").fillna(0.0)
    df["change"] = df["actual"] - df["actual_week_ago"]
    return df[CHANGE_COLUMNS].reset_index(drop=True)


COUNTY_CHANGE_COLUMNS = ["unit_code", "unit_name_zh", "unit_name_en", "target_code",
                         "actual_week_ago", "actual", "change"]


def _by_unit(engine: Engine, year: int, meeting_date: dt.date,
             units: Sequence[str] | None, known: Moment | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Progress per target and unit of the view (through the date, as known at K in force) and of
    the view a week earlier on both axes (`known.week_before`; empty when the year had not begun)."""
    start, _end = queries.plan_year_bounds(engine, year)
    now = queries.progress_by_unit(engine, year, meeting_date, units)
    before_day = calendar.week_ago(meeting_date)
    with knowledge.recorded_by(knowledge.week_before(known)):
        ago = (queries.progress_by_unit(engine, year, before_day, units) if before_day >= start
               else now.iloc[0:0])
    return now, ago


def county_changes(engine: Engine, year: int, meeting_date: dt.date,
                   units: Sequence[str] | None = None, *,
                   read: tuple[pd.DataFrame, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Per unit and target with any progress: known a week earlier, known now, and the change.
    The changes of all units add up to `week_changes` of the same units. `read`: `_by_unit`'s
    frames when the caller has read them."""
    now, ago = read if read is not None else _by_unit(engine, year, meeting_date, units)
    df = now.merge(ago.rename(columns={"actual": "actual_week_ago"}),
                   on=["target_code", "unit_code"], how="outer")
    df[["actual", "actual_week_ago"]] = df[["actual", "actual_week_ago"]].fillna(0.0).astype(float)
    df["change"] = df["actual"] - df["actual_week_ago"]
    names = queries.units(engine).set_index("code")
    df["unit_name_zh"] = df["unit_code"].map(names["name_zh"]).fillna(df["unit_code"])
    df["unit_name_en"] = df["unit_code"].map(names["name_en"]).fillna(df["unit_code"])
    df["_order"] = df["unit_code"].map(names["sort_order"])
    df = df.sort_values(["_order", "unit_code", "target_code"])
    return df[COUNTY_CHANGE_COLUMNS].reset_index(drop=True)


def county_change_matrix(county: pd.DataFrame, overview: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Units as rows, targets as columns, the week's change in each cell (0 where none); the
    first column is the unit's name. Column headings are target codes."""
    name_col = "unit_name_en" if lang == "en" else "unit_name_zh"
    if county.empty:
        return pd.DataFrame(columns=[name_col, *overview["target_code"]])
    wide = county.pivot_table(index=["unit_code", name_col], columns="target_code", values="change",
                              aggfunc="sum", fill_value=0.0, sort=False)
    wide = wide.reindex(columns=list(overview["target_code"]), fill_value=0.0)
    return wide.reset_index(level=name_col).reset_index(drop=True)


BEHIND_TARGET_COLUMNS = ["target_code", "name_zh", "name_en", "unit_zh", "unit_en", "target",
                         "actual", "expected", "gap", "completion", "pace_ratio", "change_week",
                         "required_weekly"]


BEHIND_STATUSES = (metrics.STATUS_BEHIND, metrics.STATUS_MISSED)
"""What the briefing lists as behind: 滞后序时 in a running year, 未达成 once it is over (尚无数据 is
neither: nothing could be reported yet)."""


def behind_targets(overview: pd.DataFrame) -> pd.DataFrame:
    """Targets 滞后序时 (in a closed year: 未达成), furthest behind first, with the weekly amount
    each needs from now on (required_weekly; NaN once the year is over) beside this week's actual
    change (change_week)."""
    df = overview[overview["status"].isin(BEHIND_STATUSES)].copy()
    df["change_week"] = pd.to_numeric(df["change_week"], errors="coerce")
    df = df.sort_values("pace_ratio", na_position="first", kind="stable")
    return df[BEHIND_TARGET_COLUMNS].reset_index(drop=True)


BEHIND_COUNTY_COLUMNS = ["unit_code", "unit_name_zh", "unit_name_en", "target_code", "name_zh",
                         "name_en", "unit_zh", "unit_en", "allocation", "actual", "expected", "gap",
                         "completion", "pace_ratio", "required_weekly"]


def behind_counties(breakdown: pd.DataFrame, overview: pd.DataFrame) -> pd.DataFrame:
    """(unit, target) pairs 滞后序时 (in a closed year: 未达成) against the unit's own allocation, by
    unit then furthest behind."""
    df = breakdown[breakdown["status"].isin(BEHIND_STATUSES) & (breakdown["allocation"] > 0)]
    names = overview[["target_code", "name_zh", "name_en", "unit_zh", "unit_en"]]
    df = df.merge(names, on="target_code", how="left")
    order = {code: i for i, code in enumerate(dict.fromkeys(breakdown["unit_code"]))}
    df["_order"] = df["unit_code"].map(order)
    df = df.sort_values(["_order", "pace_ratio"], kind="stable")
    return df[BEHIND_COUNTY_COLUMNS].reset_index(drop=True)


def behind_by_unit(behind: pd.DataFrame) -> pd.DataFrame:
    """One row per unit behind: unit_code, unit_name_zh, unit_name_en, count (targets behind),
    targets (codes, comma-separated); most targets behind first."""
    if behind.empty:
        return pd.DataFrame(columns=["unit_code", "unit_name_zh", "unit_name_en", "count", "targets"])
    g = behind.groupby(["unit_code", "unit_name_zh", "unit_name_en"], sort=False)["target_code"]
    out = g.agg(count="size", targets=lambda s: ",".join(s)).reset_index()
    return out.sort_values("count", ascending=False, kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# who reported this week

REPORT_NONE, REPORT_PARTIAL, REPORT_COMPLETE = "none", "partial", "complete"
REPORTING_COLUMNS = ["unit_code", "unit_name_zh", "unit_name_en", "expected", "reported",
                     "missing", "last_period_end", "state"]


def week_reporting(engine: Engine, year: int, meeting_date: dt.date,
                   units: Sequence[str] | None = None, *, known: Moment | None = None) -> pd.DataFrame:
    """Per unit that owes weekly reports (an allocation > 0 of a reported target): how many of those
    targets it reported on time for the week due at the meeting (`calendar.due_week_end`: the
    latest week whose deadline, `calendar.report_deadline`, has come by the meeting date, judged
    inside the plan year). On time: recorded by the end of the deadline day; the day after is late.
    The one deadline rule the report page's 上报情况 uses too (reporting.history.submission_status).
    Counted as the dashboards count (approved or loaded reports only, as known at `known`, K; None:
    the end of the meeting date), so the briefing's figures and this list agree; a file still
    waiting for review counts on the report page, not here.

    Columns: unit_code, unit_name_zh, unit_name_en, expected (targets owed), reported (targets
    reported on time for the due week), missing (codes, comma-separated), last_period_end (latest
    period the unit ever reported, None if never), state: none | partial | complete (complete for
    everyone while no week is due yet). Units that did not report at all come first. Only whether
    a period was reported matters here, so every version of a report counts the same as its latest
    (a corrected report was still reported).
    """
    with knowledge.recorded_by(known):
        return _week_reporting(engine, year, meeting_date, units)


def _week_reporting(engine: Engine, year: int, meeting_date: dt.date,
                    units: Sequence[str] | None) -> pd.DataFrame:
    units = _units(units)
    pr = ProgressReport
    start, end = queries.plan_year_bounds(engine, year)
    due = calendar.due_week_end(meeting_date, start, end)
    in_week: ColumnElement[bool]
    if due is None:
        in_week = false()
    else:
        in_week = and_(pr.period_end == due, pr.recorded_at < calendar.deadline_cutoff(due))
    stmt = (
        select(pr.unit_code, Target.code,
               func.sum(case((in_week, 1), else_=0)).label("week_rows"),
               func.max(pr.period_end))
        .join(Target, Target.id == pr.target_id)
        .where(Target.year == year, Target.measure == MEASURE_REPORTED,
               pr.period_end <= meeting_date, pr.recorded_at < queries.cutoff(meeting_date),
               queries.visible(pr.batch_id, meeting_date),
               scope.clause(pr.unit_code, units))
        .group_by(pr.unit_code, Target.code)
    )
    with engine.connect() as conn:
        got = pd.DataFrame([tuple(r) for r in conn.execute(stmt)],
                           columns=["unit_code", "target_code", "week_rows", "last"])
    tg = queries.targets(engine, year)
    reported_codes = set(tg.loc[tg["measure"] == MEASURE_REPORTED, "target_code"])
    alloc = queries.allocations(engine, year, units)
    owed = alloc[(alloc["value"] > 0) & alloc["target_code"].isin(reported_codes)]
    names = queries.units(engine).set_index("code")
    order = list(tg["target_code"])
    rows = []
    for code in names.index:
        if not scope.includes(units, code):
            continue
        owed_codes = [c for c in order if c in set(owed.loc[owed["unit_code"] == code, "target_code"])]
        mine = got[got["unit_code"] == code]
        if not owed_codes and mine.empty:
            continue
        done = set(mine.loc[mine["week_rows"].fillna(0).astype(int) > 0, "target_code"])
        missing = [c for c in owed_codes if c not in done] if due is not None else []
        last = queries._as_date(mine["last"].max()) if not mine.empty else None
        reported = len(done & set(owed_codes)) if owed_codes else len(done)
        state = (REPORT_COMPLETE if not missing else REPORT_NONE if not done else REPORT_PARTIAL)
        rows.append({"unit_code": code, "unit_name_zh": names.at[code, "name_zh"],
                     "unit_name_en": names.at[code, "name_en"], "expected": len(owed_codes),
                     "reported": reported, "missing": ",".join(missing),
                     "last_period_end": last, "state": state})
    df = pd.DataFrame(rows, columns=REPORTING_COLUMNS)
    rank = {REPORT_NONE: 0, REPORT_PARTIAL: 1, REPORT_COMPLETE: 2}
    return df.sort_values("state", key=lambda s: s.map(rank), kind="stable").reset_index(drop=True)
