"""The weekly meeting's decisions (督办事项): record, edit, change state, and list them as known on
a briefing date. Tables: schema.decisions. No streamlit.

Who may write: `permissions.require_decision` (领导, 审核员, 管理员; a county reporter is refused),
checked here before anything is written. Every change is one audit entry (`audit.record`,
entity "decision", actor the user name) in the same transaction.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, and_, func, insert, or_, select, update

from data_access import audit, clock
from data_access.accounts.identity import ANONYMOUS, AuthUser
from data_access.accounts.permissions import require_decision
from data_access.present.safe_text import unsafe_count
from data_access.errors import DataAccessError
from data_access.kpis import queries, scope
from data_access.meeting.week import week_start
from data_access.present import fmt
from data_access.schema.decisions import CLOSED_STATES, DECISION_OPEN, DECISION_STATES, Decision, DecisionUpdate
from data_access.schema.models import Target, Unit

MAX_NOTE = 1000  # characters of a note or comment
MAX_NAME = 64  # characters of an owner or recorder name

DECISION_COLUMNS = ["id", "meeting_date", "target_code", "target_name_zh", "target_name_en",
                    "unit_code", "unit_name_zh", "unit_name_en", "note", "owner", "due_date",
                    "state", "state_on", "comment", "overdue", "created_by", "created_at"]


class DecisionError(DataAccessError):
    """A decision that cannot be saved as entered (message fit for the user)."""


def _clean(text: str | None, limit: int, field_zh: str, field_en: str, required: bool = True) -> str | None:
    value = (text or "").strip()
    if not value:
        if required:
            raise DecisionError(f"请填写{field_zh}。", f"Please fill in the {field_en}.")
        return None
    if len(value) > limit:
        raise DecisionError(f"{field_zh}不能超过{limit}个字。", f"The {field_en} is limited to {limit} characters.")
    if unsafe_count(value):  # exports mark them (present.safe_text); new text need not hold them at all
        raise DecisionError(f"{field_zh}含有不可见的控制字符或文字方向字符，请删除后重新输入。",
                            f"The {field_en} holds invisible control or text-direction characters; please retype it.")
    return value


def _required(text: str | None, limit: int, field_zh: str, field_en: str) -> str:
    value = _clean(text, limit, field_zh, field_en)
    assert value is not None
    return value


def _recorder(user: AuthUser, by: str | None) -> tuple[str, str]:
    """(the name kept in the decision rows, the audit actor). The rows keep the name given (the
    page passes the display name), else the user's display name; the audit log keeps the user name
    (audit.actor_name). With authentication off (ANONYMOUS) a name must be typed for the rows; the
    audit actor is then "anonymous"."""
    if user == ANONYMOUS:
        return _required(by, MAX_NAME, "记录人", "recorder"), user.username
    return _required(by or user.display_name or user.username, MAX_NAME, "记录人", "recorder"), user.username


def _at(now: dt.datetime | None) -> dt.datetime:
    return (now or clock.now()).replace(microsecond=0)


def _check_refs(conn: Connection, year: int, target_code: str | None, unit_code: str | None) -> None:
    if not target_code and not unit_code:
        raise DecisionError("请选择督办事项对应的目标或区县。", "Choose a target or a county for the decision.")
    if target_code and conn.execute(select(Target.id).where(
            Target.year == year, Target.code == target_code)).first() is None:
        raise DecisionError(f"{year}年没有目标 {target_code}。", f"No target {target_code} in {year}.")
    if unit_code and conn.execute(select(Unit.code).where(
            Unit.code == unit_code, Unit.active.is_(True))).first() is None:
        raise DecisionError(f"没有单位 {unit_code}。", f"No unit {unit_code}.")


def create_decision(engine: Engine, user: AuthUser, *, year: int, meeting_date: dt.date, note: str,
                    owner: str, due_date: dt.date, created_by: str | None = None,
                    target_code: str | None = None, unit_code: str | None = None,
                    now: dt.datetime | None = None) -> int:
    """Record a decision made in the meeting of `meeting_date`; returns its id. `created_by`: the
    recorder's name as shown (default the user's display name)."""
    require_decision(user)
    note = _required(note, MAX_NOTE, "督办内容", "note")
    owner = _required(owner, MAX_NAME, "责任人", "owner")
    shown, actor = _recorder(user, created_by)
    if due_date < meeting_date:
        raise DecisionError("办结期限不能早于会议日期。", "The due date cannot be before the meeting date.")
    at = _at(now)
    with engine.begin() as conn:
        _check_refs(conn, year, target_code or None, unit_code or None)
        values: dict[str, Any] = dict(
            year=year, meeting_date=meeting_date, target_code=target_code or None, unit_code=unit_code or None,
            note=note, owner=owner, due_date=due_date, state=DECISION_OPEN, created_by=shown, created_at=at,
            closed_at=None)
        pk = conn.execute(insert(Decision).values(**values)).inserted_primary_key
        assert pk is not None
        new_id = int(pk[0])
        conn.execute(insert(DecisionUpdate).values(decision_id=new_id, on_date=meeting_date,
                                                   state=DECISION_OPEN, comment=None, by=shown, at=at))
        audit.record(conn, actor=actor, action="create", entity="decision", entity_id=new_id,
                     after=values, at=at)
    return new_id


def get_decision(engine: Engine, decision_id: int) -> dict[str, Any]:
    """The decision's current row as a dict (columns of table decisions)."""
    with engine.connect() as conn:
        row = conn.execute(select(*Decision.__table__.c).where(Decision.id == decision_id)).mappings().first()
    if row is None:
        raise DecisionError(f"督办事项 {decision_id} 不存在。", f"Decision {decision_id} does not exist.")
    return dict(row)


def update_decision(engine: Engine, user: AuthUser, decision_id: int, *, by: str | None = None,
                    note: str | None = None, owner: str | None = None, due_date: dt.date | None = None,
                    now: dt.datetime | None = None) -> None:
    """Edit the note, owner or due date (the audit log keeps the previous values)."""
    require_decision(user)
    _shown, actor = _recorder(user, by)
    before = get_decision(engine, decision_id)
    changes: dict[str, Any] = {}
    if note is not None:
        changes["note"] = _required(note, MAX_NOTE, "督办内容", "note")
    if owner is not None:
        changes["owner"] = _required(owner, MAX_NAME, "责任人", "owner")
    if due_date is not None:
        if due_date < before["meeting_date"]:
            raise DecisionError("办结期限不能早于会议日期。", "The due date cannot be before the meeting date.")
        changes["due_date"] = due_date
    if not changes:
        return
    at = _at(now)
    with engine.begin() as conn:
        conn.execute(update(Decision).where(Decision.id == decision_id).values(**changes))
        audit.record(conn, actor=actor, action="update", entity="decision", entity_id=decision_id,
                     before={k: before[k] for k in changes}, after=changes, at=at)


def set_decision_state(engine: Engine, user: AuthUser, decision_id: int, state: str, *,
                       on_date: dt.date, by: str | None = None, comment: str | None = None,
                       now: dt.datetime | None = None) -> None:
    """Record a new state in the briefing of `on_date`. History is never rewritten: `on_date` may
    not be before the meeting it was made in nor before its last recorded state."""
    require_decision(user)
    if state not in DECISION_STATES:
        raise DecisionError(f"未知状态：{state}", f"Unknown state: {state}")
    shown, actor = _recorder(user, by)
    comment = _clean(comment, MAX_NOTE, "说明", "comment", required=False)
    before = get_decision(engine, decision_id)
    at = _at(now)
    with engine.begin() as conn:
        last = queries._as_date(conn.execute(select(func.max(DecisionUpdate.on_date)).where(
            DecisionUpdate.decision_id == decision_id)).scalar())
        floor = max(d for d in (before["meeting_date"], last) if d is not None)
        if on_date < floor:
            raise DecisionError(f"该事项在{fmt.date(floor)}已有记录，不能改写更早的简报。",
                                f"This decision has a record on {floor}; earlier briefings cannot be changed.")
        conn.execute(insert(DecisionUpdate).values(decision_id=decision_id, on_date=on_date, state=state,
                                                   comment=comment, by=shown, at=at))
        closed_at = at if state in CLOSED_STATES else None
        conn.execute(update(Decision).where(Decision.id == decision_id).values(state=state, closed_at=closed_at))
        audit.record(conn, actor=actor, action="state", entity="decision", entity_id=decision_id,
                     before={"state": before["state"]},
                     after={"state": state, "on_date": on_date, "comment": comment}, at=at)


def list_decisions(engine: Engine, year: int, as_of: dt.date, units: Sequence[str] | None = None,
                   *, include_closed: bool = False) -> pd.DataFrame:
    """Decisions made in meetings up to `as_of`, each in its state as recorded by then.

    By default: those still open on `as_of`, and those closed during its week (week.week_start).
    With `units`, the decisions about those units and the city-wide ones (no unit). Columns:
    DECISION_COLUMNS, where state/state_on/comment are the latest state recorded on or before
    as_of and overdue means open with a due date before as_of. Oldest first.
    """
    wanted = scope.normalise(units)
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
               or_(d.unit_code.is_(None), scope.clause(d.unit_code, wanted)))
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
