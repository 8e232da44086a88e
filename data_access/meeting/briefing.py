"""The weekly meeting's briefing (周例会简报): what stands, what moved, who is behind, who did not
report, the decisions (督办事项) and a generated summary. No streamlit.

The week of a briefing dated D is the seven days D-6 … D. "What moved this week" is what was known
at the end of D minus what was known at the end of D-7, both from the as-of queries, so a late
report or a correction counts in the week it became known, and nothing recorded after D changes
the briefing of D (a past briefing reopened shows what was known then).

Every figure comes from `kpis` (the overview's own definitions) or `queries`; the only SQL written
here is the reporting check and the decisions' tables.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Sequence

import pandas as pd
from sqlalchemy import Engine, and_, case, func, insert, or_, select, update

from data_access import clock
from data_access.present import fmt
from data_access.kpis import calendar, metrics, queries, scope, tables
from data_access.schema.decisions import CLOSED_STATES, DECISION_OPEN, DECISION_STATES, Decision, DecisionUpdate
from data_access.errors import DataAccessError
from data_access.schema.models import MEASURE_REPORTED, AuditLog, ProgressReport, Target, Unit
from data_access.present.texts import Texts

MAX_NOTE = 1000
MAX_NAME = 64

# Texts used by the summary and the exports, (zh, en). The page registers them for `t()` as mt_<key>.
TEXT: dict[str, tuple[str, str]] = {
    "title": ("周例会简报", "Weekly meeting briefing"),
    "scope_city": ("全市", "the whole city"),
    "sum_status": ("截至{date}，{scope}的{n}项年度目标中，{ahead}项超序时、{on}项达序时、{behind}项滞后序时。",
                   "As of {date}, {scope}: of {n} targets, ahead of pace {ahead}, on pace {on}, "
                   "behind {behind}."),
    "sum_changes": ("本周（{week}）新增：{items}。", "This week ({week}): {items}."),
    "sum_no_change": ("本周（{week}）各项目标均无新增。", "This week ({week}) no target moved."),
    "sum_still": ("本周无进展：{items}。", "No progress this week: {items}."),
    "sum_behind": ("滞后序时的目标：{items}。", "Behind pace: {items}."),
    "sum_behind_item": ("{name}（完成{actual}，序时进度{expected}，此后每周需完成{weekly}）",
                        "{name} ({actual} done, {expected} expected by now; needs {weekly} a week)"),
    "sum_none_behind": ("所有目标均达到或超过序时进度。", "Every target is on or ahead of pace."),
    "sum_counties": ("{n}个单位有目标滞后序时，较多的是{items}。",
                     "{n} units are behind on at least one target, most of all {items}."),
    "sum_county_item": ("{name}（{k}项）", "{name} ({k})"),
    "sum_no_counties": ("各单位均达到序时进度。", "Every unit is on pace."),
    "sum_not_reported": ("本周未报送：{items}。", "Did not report this week: {items}."),
    "sum_partial": ("部分报送：{items}。", "Reported in part: {items}."),
    "sum_all_reported": ("各单位本周均已报送。", "Every unit reported this week."),
    "sum_decisions": ("督办事项{open}项在办（其中逾期{overdue}项），本周办结{done}项。",
                      "Decisions: {open} open ({overdue} overdue), {done} closed this week."),
    "sum_no_decisions": ("暂无督办事项。", "No decisions on record."),
    "list_sep": ("、", ", "),
    "item_sep": ("；", "; "),
}


tx = Texts(TEXT)


class DecisionError(DataAccessError):
    """A decision that cannot be saved as entered (message fit for the user)."""


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

    @property
    def week_start(self) -> dt.date:
        return week_start(self.meeting_date)

    def scope(self, lang: str = "zh") -> str:
        """'全市' or the chosen units' names."""
        if not self.units:
            return tx("scope_city", lang)
        names = self.unit_names.set_index("code")["name_en" if lang == "en" else "name_zh"]
        return tx("list_sep", lang).join(str(names.get(c, c)) for c in self.units)


def week_start(meeting_date: dt.date) -> dt.date:
    """First day of the week a briefing covers (the meeting date is the last)."""
    return calendar.meeting_week(meeting_date)[0]


def _units(units: Sequence[str] | None) -> tuple[str, ...] | None:
    return scope.normalise(units)


def build_briefing(engine: Engine, year: int, meeting_date: dt.date,
                   units: Sequence[str] | None = None, *, with_decisions: bool = True) -> Briefing:
    """The briefing of `meeting_date` as known at the end of that day."""
    units = _units(units)
    overview = tables.target_overview(engine, year, meeting_date, units)
    breakdown = tables.unit_breakdown(engine, year, meeting_date, units)
    names = queries.units(engine)[["code", "name_zh", "name_en", "sort_order"]]
    decisions = (list_decisions(engine, year, meeting_date, units) if with_decisions
                 else pd.DataFrame(columns=DECISION_COLUMNS))
    return Briefing(
        year=year, meeting_date=meeting_date, units=units, unit_names=names, overview=overview,
        changes=week_changes(overview),
        county_changes=county_changes(engine, year, meeting_date, units),
        behind_targets=behind_targets(overview),
        behind_counties=behind_counties(breakdown, overview),
        reporting=week_reporting(engine, year, meeting_date, units),
        decisions=decisions,
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


def county_changes(engine: Engine, year: int, meeting_date: dt.date,
                   units: Sequence[str] | None = None) -> pd.DataFrame:
    """Per unit and target with any progress: known a week earlier, known now, and the change.
    The changes of all units add up to `week_changes` of the same units."""
    start, _end = queries.plan_year_bounds(engine, year)
    now = queries.progress_by_unit(engine, year, meeting_date, units)
    before_day = calendar.week_ago(meeting_date)
    ago = (queries.progress_by_unit(engine, year, before_day, units) if before_day >= start
           else now.iloc[0:0])
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


def behind_targets(overview: pd.DataFrame) -> pd.DataFrame:
    """Targets 滞后序时, furthest behind first, with the weekly amount each needs from now on
    (required_weekly) beside this week's actual change (change_week)."""
    df = overview[overview["status"] == metrics.STATUS_BEHIND].copy()
    df["change_week"] = pd.to_numeric(df["change_week"], errors="coerce")
    df = df.sort_values("pace_ratio", na_position="first", kind="stable")
    return df[BEHIND_TARGET_COLUMNS].reset_index(drop=True)


BEHIND_COUNTY_COLUMNS = ["unit_code", "unit_name_zh", "unit_name_en", "target_code", "name_zh",
                         "name_en", "unit_zh", "unit_en", "allocation", "actual", "expected", "gap",
                         "completion", "pace_ratio", "required_weekly"]


def behind_counties(breakdown: pd.DataFrame, overview: pd.DataFrame) -> pd.DataFrame:
    """(unit, target) pairs 滞后序时 against the unit's own allocation, by unit then furthest behind."""
    df = breakdown[(breakdown["status"] == metrics.STATUS_BEHIND) & (breakdown["allocation"] > 0)]
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
                   units: Sequence[str] | None = None) -> pd.DataFrame:
    """Per unit that owes weekly reports (an allocation > 0 of a reported target): how many of those
    targets it reported for a period ending in the meeting's week, as known on the meeting date.
    Counted as the dashboards count (approved or loaded reports only), so the briefing's figures and
    this list agree; whether a county sent its files on time, pending review or not, is
    importer.submission_status, the reporting page's question.

    Columns: unit_code, unit_name_zh, unit_name_en, expected (targets owed), reported (targets with
    a report this week), missing (codes, comma-separated), last_period_end (latest period the unit
    ever reported, None if never), state: none | partial | complete. Units that did not report at
    all come first. Only whether a period was reported matters here, so every version of a report
    counts the same as its latest (a corrected report was still reported).
    """
    units = _units(units)
    pr = ProgressReport
    first = week_start(meeting_date)
    in_week = and_(pr.period_end >= first, pr.period_end <= meeting_date)
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
        missing = [c for c in owed_codes if c not in done]
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


# ---------------------------------------------------------------------------------------------
# decisions (督办事项)

DECISION_COLUMNS = ["id", "meeting_date", "target_code", "target_name_zh", "target_name_en",
                    "unit_code", "unit_name_zh", "unit_name_en", "note", "owner", "due_date",
                    "state", "state_on", "comment", "overdue", "created_by", "created_at"]


def _clean(text: str | None, limit: int, field_zh: str, field_en: str, required: bool = True) -> str | None:
    value = (text or "").strip()
    if not value:
        if required:
            raise DecisionError(f"请填写{field_zh}。", f"Please fill in the {field_en}.")
        return None
    if len(value) > limit:
        raise DecisionError(f"{field_zh}不能超过{limit}个字。", f"The {field_en} is limited to {limit} characters.")
    return value


def _now(now: dt.datetime | None) -> dt.datetime:
    return (now or clock.now()).replace(microsecond=0)


def _audit(conn, at: dt.datetime, actor: str, action: str, entity_id: int, before, after) -> None:
    dump = lambda v: None if v is None else json.dumps(v, ensure_ascii=False, default=str)  # noqa: E731
    conn.execute(insert(AuditLog).values(at=at, actor=actor, action=action, entity="decision",
                                         entity_id=str(entity_id), before=dump(before), after=dump(after)))


def _check_refs(conn, year: int, target_code: str | None, unit_code: str | None) -> None:
    if not target_code and not unit_code:
        raise DecisionError("请选择督办事项对应的目标或区县。", "Choose a target or a county for the decision.")
    if target_code and conn.execute(select(Target.id).where(
            Target.year == year, Target.code == target_code)).first() is None:
        raise DecisionError(f"{year}年没有目标 {target_code}。", f"No target {target_code} in {year}.")
    if unit_code and conn.execute(select(Unit.code).where(
            Unit.code == unit_code, Unit.active.is_(True))).first() is None:
        raise DecisionError(f"没有单位 {unit_code}。", f"No unit {unit_code}.")


def create_decision(engine: Engine, *, year: int, meeting_date: dt.date, note: str, owner: str,
                    due_date: dt.date, created_by: str, target_code: str | None = None,
                    unit_code: str | None = None, now: dt.datetime | None = None) -> int:
    """Record a decision made in the meeting of `meeting_date`; returns its id."""
    note = _clean(note, MAX_NOTE, "督办内容", "note")
    owner = _clean(owner, MAX_NAME, "责任人", "owner")
    created_by = _clean(created_by, MAX_NAME, "记录人", "recorder")
    if due_date < meeting_date:
        raise DecisionError("办结期限不能早于会议日期。", "The due date cannot be before the meeting date.")
    at = _now(now)
    with engine.begin() as conn:
        _check_refs(conn, year, target_code or None, unit_code or None)
        values = dict(year=year, meeting_date=meeting_date, target_code=target_code or None,
                      unit_code=unit_code or None, note=note, owner=owner, due_date=due_date,
                      state=DECISION_OPEN, created_by=created_by, created_at=at, closed_at=None)
        new_id = conn.execute(insert(Decision).values(**values)).inserted_primary_key[0]
        conn.execute(insert(DecisionUpdate).values(decision_id=new_id, on_date=meeting_date,
                                                   state=DECISION_OPEN, comment=None, by=created_by, at=at))
        _audit(conn, at, created_by, "create", new_id, None, values)
    return int(new_id)


def get_decision(engine: Engine, decision_id: int) -> dict:
    """The decision's current row as a dict (columns of table decisions)."""
    with engine.connect() as conn:
        row = conn.execute(select(*Decision.__table__.c).where(Decision.id == decision_id)).mappings().first()
    if row is None:
        raise DecisionError(f"督办事项 {decision_id} 不存在。", f"Decision {decision_id} does not exist.")
    return dict(row)


def update_decision(engine: Engine, decision_id: int, *, by: str, note: str | None = None,
                    owner: str | None = None, due_date: dt.date | None = None,
                    now: dt.datetime | None = None) -> None:
    """Edit the note, owner or due date (the audit log keeps the previous values)."""
    by = _clean(by, MAX_NAME, "记录人", "recorder")
    before = get_decision(engine, decision_id)
    changes = {}
    if note is not None:
        changes["note"] = _clean(note, MAX_NOTE, "督办内容", "note")
    if owner is not None:
        changes["owner"] = _clean(owner, MAX_NAME, "责任人", "owner")
    if due_date is not None:
        if due_date < before["meeting_date"]:
            raise DecisionError("办结期限不能早于会议日期。", "The due date cannot be before the meeting date.")
        changes["due_date"] = due_date
    if not changes:
        return
    at = _now(now)
    with engine.begin() as conn:
        conn.execute(update(Decision).where(Decision.id == decision_id).values(**changes))
        _audit(conn, at, by, "update", decision_id, {k: before[k] for k in changes}, changes)


def set_decision_state(engine: Engine, decision_id: int, state: str, *, by: str, on_date: dt.date,
                       comment: str | None = None, now: dt.datetime | None = None) -> None:
    """Record a new state in the briefing of `on_date`. History is never rewritten: `on_date` may
    not be before the meeting it was made in nor before its last recorded state."""
    if state not in DECISION_STATES:
        raise DecisionError(f"未知状态：{state}", f"Unknown state: {state}")
    by = _clean(by, MAX_NAME, "记录人", "recorder")
    comment = _clean(comment, MAX_NOTE, "说明", "comment", required=False)
    before = get_decision(engine, decision_id)
    at = _now(now)
    with engine.begin() as conn:
        last = conn.execute(select(func.max(DecisionUpdate.on_date)).where(
            DecisionUpdate.decision_id == decision_id)).scalar()
        last = queries._as_date(last)
        floor = max(d for d in (before["meeting_date"], last) if d is not None)
        if on_date < floor:
            raise DecisionError(f"该事项在{fmt.date(floor)}已有记录，不能改写更早的简报。",
                                f"This decision has a record on {floor}; earlier briefings cannot be changed.")
        conn.execute(insert(DecisionUpdate).values(decision_id=decision_id, on_date=on_date, state=state,
                                                   comment=comment, by=by, at=at))
        closed_at = at if state in CLOSED_STATES else None
        conn.execute(update(Decision).where(Decision.id == decision_id).values(state=state, closed_at=closed_at))
        _audit(conn, at, by, "state", decision_id, {"state": before["state"]},
               {"state": state, "on_date": on_date, "comment": comment})


def list_decisions(engine: Engine, year: int, as_of: dt.date, units: Sequence[str] | None = None,
                   *, include_closed: bool = False) -> pd.DataFrame:
    """Decisions made in meetings up to `as_of`, each in its state as recorded by then.

    By default: those still open on `as_of`, and those closed during its week. With `units`, the
    decisions about those units and the city-wide ones (no unit). Columns: DECISION_COLUMNS, where
    state/state_on/comment are the latest state recorded on or before as_of and overdue means
    open with a due date before as_of. Oldest first.
    """
    units = _units(units)
    u = DecisionUpdate
    ranked = select(
        u.decision_id, u.state, u.on_date, u.comment,
        func.row_number().over(partition_by=u.decision_id,
                               order_by=(u.on_date.desc(), u.id.desc())).label("rn"),
    ).where(u.on_date <= as_of).subquery("latest_state")
    d = Decision
    stmt = (
        select(d.id, d.meeting_date, d.target_code, d.unit_code, d.note, d.owner, d.due_date,
               ranked.c.state, ranked.c.on_date, ranked.c.comment, d.created_by, d.created_at)
        .join(ranked, and_(ranked.c.decision_id == d.id, ranked.c.rn == 1))
        .where(d.year == year, d.meeting_date <= as_of,
               or_(d.unit_code.is_(None), scope.clause(d.unit_code, units)))
        .order_by(d.meeting_date, d.id)
    )
    cols = ["id", "meeting_date", "target_code", "unit_code", "note", "owner", "due_date", "state",
            "state_on", "comment", "created_by", "created_at"]
    with engine.connect() as conn:
        df = pd.DataFrame([tuple(r) for r in conn.execute(stmt)], columns=cols)
    for col in ("meeting_date", "due_date", "state_on"):
        df[col] = df[col].map(queries._as_date)
    closed = df["state"].isin(CLOSED_STATES)
    if not include_closed:
        df = df[~closed | (df["state_on"] >= week_start(as_of))]
        closed = df["state"].isin(CLOSED_STATES)
    df = df.assign(overdue=~closed & (df["due_date"] < as_of))
    tg = queries.targets(engine, year).set_index("target_code")
    names = queries.units(engine).set_index("code")
    df["target_name_zh"] = df["target_code"].map(tg["name_zh"])
    df["target_name_en"] = df["target_code"].map(tg["name_en"])
    df["unit_name_zh"] = df["unit_code"].map(names["name_zh"])
    df["unit_name_en"] = df["unit_code"].map(names["name_en"])
    df["overdue"] = df["overdue"].astype(bool)
    return df[DECISION_COLUMNS].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# the summary in prose


def short_name(name: str) -> str:
    """A target's name without its parenthesised gloss: 群众性文化活动（千场…） -> 群众性文化活动."""
    for mark in ("（", " ("):
        if mark in name:
            return name.split(mark)[0]
    return name


def _name(row, lang: str) -> str:
    return short_name(str(row["name_en"] if lang == "en" else row["name_zh"]))


def amount(value, row, lang: str = "zh") -> str:
    """An amount of the row's target in its unit (English uses the target's own unit name);
    small amounts keep one decimal so a rate of 0.4 a week does not read as 0."""
    unit = row["unit_en"] if lang == "en" else row["unit_zh"]
    small = value is not None and 0 < abs(float(value)) < 10
    digits = 1 if small and round(float(value), 1) % 1 else 0
    return fmt.number(value, unit, lang, digits=digits)


def week_label(b: Briefing, lang: str = "zh") -> str:
    """6月24日–6月30日 (the year once), or 24–30 Jun 2023."""
    first, last = b.week_start, b.meeting_date
    if lang == "en":
        return f"{fmt.date(first, lang)} – {fmt.date(last, lang)}"
    head = fmt.date(first, lang) if first.year != last.year else f"{first.month}月{first.day}日"
    return f"{head}–{last.month}月{last.day}日"


def _change_item(row, lang: str) -> str:
    value = float(row["change"])
    if lang == "en":
        sign = "+" if value > 0 else "−"
        return f"{_name(row, lang)} {sign}{amount(abs(value), row, lang)}"
    # a negative change is a correction downwards (核减)
    return f"{_name(row, lang)}{'' if value > 0 else '核减'}{amount(abs(value), row, lang)}"


def summary(b: Briefing, lang: str = "zh", top: int = 3) -> list[str]:
    """The briefing in a few sentences (one paragraph per topic), from templates."""
    sep, isep = tx("list_sep", lang), tx("item_sep", lang)
    ov = b.overview
    counts = tables.status_counts(ov)
    out = [tx("sum_status", lang, date=fmt.date(b.meeting_date, lang), scope=b.scope(lang),
              n=counts["total"], ahead=counts[metrics.STATUS_AHEAD], on=counts[metrics.STATUS_ON_PACE],
              behind=counts[metrics.STATUS_BEHIND])]

    week = week_label(b, lang)
    moved = b.changes[b.changes["change"] != 0]
    still = b.changes[b.changes["change"] == 0]
    if moved.empty:
        out.append(tx("sum_no_change", lang, week=week))
    else:
        items = sep.join(_change_item(r, lang) for _, r in moved.iterrows())
        text = tx("sum_changes", lang, week=week, items=items)
        if not still.empty:
            text += ("" if lang == "zh" else " ") + tx(
                "sum_still", lang, items=sep.join(_name(r, lang) for _, r in still.iterrows()))
        out.append(text)

    if b.behind_targets.empty:
        out.append(tx("sum_none_behind", lang))
    else:
        items = isep.join(
            tx("sum_behind_item", lang, name=_name(r, lang), actual=amount(r["actual"], r, lang),
               expected=amount(r["expected"], r, lang), weekly=amount(r["required_weekly"], r, lang))
            for _, r in b.behind_targets.iterrows())
        out.append(tx("sum_behind", lang, items=items))

    per_unit = behind_by_unit(b.behind_counties)
    if per_unit.empty:
        out.append(tx("sum_no_counties", lang))
    else:
        name_col = "unit_name_en" if lang == "en" else "unit_name_zh"
        items = sep.join(tx("sum_county_item", lang, name=r[name_col], k=int(r["count"]))
                         for _, r in per_unit.head(top).iterrows())
        out.append(tx("sum_counties", lang, n=len(per_unit), items=items))

    rep = b.reporting
    name_col = "unit_name_en" if lang == "en" else "unit_name_zh"
    none = rep[rep["state"] == REPORT_NONE]
    partial = rep[rep["state"] == REPORT_PARTIAL]
    if none.empty and partial.empty:
        out.append(tx("sum_all_reported", lang))
    else:
        parts = []
        if not none.empty:
            parts.append(tx("sum_not_reported", lang, items=sep.join(none[name_col])))
        if not partial.empty:
            parts.append(tx("sum_partial", lang, items=sep.join(partial[name_col])))
        out.append("".join(parts) if lang == "zh" else " ".join(parts))

    dec = b.decisions
    if dec.empty:
        out.append(tx("sum_no_decisions", lang))
    else:
        is_closed = dec["state"].isin(CLOSED_STATES)
        out.append(tx("sum_decisions", lang, open=int((~is_closed).sum()), overdue=int(dec["overdue"].sum()),
                      done=int(is_closed.sum())))
    return out
