"""Maintained aggregates of the versioned figures (migration 0010): for each figure key, which
version was the known figure during which interval of "known at" time. Written only by
`data_access.kpis.aggregates` (rebuilt by `python -m data_access aggregates rebuild`, kept current in
the transaction of every batch state change); read by the KPI facts instead of ranking the raw
versions.

A row says: version `version_id` of the key was the latest counting version (kpis.versions.latest)
for every moment t with known_from <= t < known_until (known_until NULL: still is). A key with no
counting version at some moment has no row covering that moment.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, Double, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from data_access.schema.models import Base


class ProgressKnown(Base):
    """The known intervals of progress_reports' versions (key: target, unit, reporting period)."""

    __tablename__ = "progress_known"
    __table_args__ = (Index("ix_progress_known_read", "target_id", "period_end", "unit_code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(Integer)  # progress_reports.id
    target_id: Mapped[int] = mapped_column(Integer)
    unit_code: Mapped[str] = mapped_column(String(12))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    value: Mapped[float] = mapped_column(Double)  # the version's value, the target's base unit
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime)
    batch_id: Mapped[int | None] = mapped_column(Integer)
    known_from: Mapped[dt.datetime] = mapped_column(DateTime)
    known_until: Mapped[dt.datetime | None] = mapped_column(DateTime)


class MembershipKnown(Base):
    """The known intervals of ne_membership's versions (key: month, unit, industry, platform)."""

    __tablename__ = "membership_known"
    __table_args__ = (Index("ix_membership_known_read", "month", "unit_code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(Integer)  # ne_membership.id
    month: Mapped[dt.date] = mapped_column(Date)
    unit_code: Mapped[str] = mapped_column(String(12))
    industry: Mapped[str] = mapped_column(String(32))
    platform: Mapped[str] = mapped_column(String(32))
    value: Mapped[int] = mapped_column(Integer)  # new_members, persons
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime)
    batch_id: Mapped[int | None] = mapped_column(Integer)
    known_from: Mapped[dt.datetime] = mapped_column(DateTime)
    known_until: Mapped[dt.datetime | None] = mapped_column(DateTime)


class AggregateState(Base):
    """One row per aggregate that is complete (written by a rebuild). Without its row an aggregate
    is not read: the facts come from the raw versions (a database filled before 0010, or by hand)."""

    __tablename__ = "aggregate_state"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)  # the aggregate's table name
    rebuilt_at: Mapped[dt.datetime] = mapped_column(DateTime)
