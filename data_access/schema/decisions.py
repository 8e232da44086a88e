"""Tables of the weekly meeting's decisions (督办事项), on the shared `models.Base`.

A decision is attached to a target, a county, or both, and belongs to the meeting (briefing date)
where it was made. Every change of state is a `DecisionUpdate` row carrying the briefing date it
was recorded in (`on_date`), so a past briefing can show each decision's state as it was then.
`Decision.state` and `closed_at` hold the current state, for quick lists.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from data_access.schema.models import Base

DECISION_OPEN = "open"  # 待办
DECISION_IN_PROGRESS = "in_progress"  # 推进中
DECISION_DONE = "done"  # 已办结
DECISION_CANCELLED = "cancelled"  # 已撤销 (instead of deleting: the record stays)
DECISION_STATES = (DECISION_OPEN, DECISION_IN_PROGRESS, DECISION_DONE, DECISION_CANCELLED)
CLOSED_STATES = (DECISION_DONE, DECISION_CANCELLED)


class Decision(Base):
    """A 督办事项: note, owner and due date, attached to a target and/or a unit."""

    __tablename__ = "decisions"
    __table_args__ = (Index("ix_decisions_year_meeting", "year", "meeting_date"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(ForeignKey("plan_years.year"))
    meeting_date: Mapped[dt.date] = mapped_column(Date)  # the briefing it was made in
    target_code: Mapped[str | None] = mapped_column(String(8))  # T01.. of `year`; None: a county matter
    unit_code: Mapped[str | None] = mapped_column(ForeignKey("units.code"))  # None: city-wide
    note: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(64))  # 责任人 / 责任单位
    due_date: Mapped[dt.date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16), default=DECISION_OPEN)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class DecisionUpdate(Base):
    """One state of a decision, recorded in the briefing of `on_date` (the first row: creation)."""

    __tablename__ = "decision_updates"
    __table_args__ = (Index("ix_decision_updates_lookup", "decision_id", "on_date"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"))
    on_date: Mapped[dt.date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime)
