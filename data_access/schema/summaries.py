"""The facts pre-summed as known now (migration 0013): written only by `data_access.kpis.summaries`,
read by the KPI facts and the 最新填报日期 of a view when they are current.

- `fact_sums`: one row per (target, unit, day): the sum of that day's facts of the target (the
  `queries.FACT_PARTS` rows: reported increments, facilities and unions counted one each, monthly
  membership) as known after every recorded change, and `due`, the first as-of date (D) through
  which they count (the day itself; for membership the month's last day).
- `fact_weeks`: the same per target, unit and week, for totals (a day-by-day report grows a
  year's rows sevenfold; a total needs only the weeks and the days of the last one).
- `fact_city_days`: the same summed over every unit, for the city-wide series.
- `known_days`: one row per (plan year, unit, due day): when the latest row a view counts on that
  day became known (recorded, or approved if later), the rule of `tables.latest_known_day`.
- `summary_state`: one row. `version` is the data's version (`data_version`) the sums were made
  for; they are read only while it is still the current one. `valid_from` is the latest moment any
  row of the figures was recorded, approved, withdrawn or superseded: for a knowledge date K at or
  after it, "as known at K" and "as known now" are the same rows.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, Double, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from data_access.schema.models import Base


class FactSum(Base):
    """Facts per target, unit and day as known now (base unit of the target)."""

    __tablename__ = "fact_sums"
    __table_args__ = (Index("ix_fact_sums_read", "target_id", "due", "unit_code"),)
    target_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)  # as in FACT_PARTS (membership: the month)
    due: Mapped[dt.date] = mapped_column(Date)  # counts in views through this day and later
    value: Mapped[float] = mapped_column(Double)


class FactWeek(Base):
    """`fact_sums` rolled up per target, unit and week (Monday to Sunday, by `due`): a total through
    any as-of date D is the weeks ending by D plus the days of D's own week (`summaries.totals`)."""

    __tablename__ = "fact_weeks"
    __table_args__ = (Index("ix_fact_weeks_read", "target_id", "week_end", "unit_code"),)
    target_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    week_end: Mapped[dt.date] = mapped_column(Date, primary_key=True)  # the Sunday on or after `due`
    value: Mapped[float] = mapped_column(Double)


class FactCityDay(Base):
    """`fact_sums` summed over every unit per target and day: the city-wide series (`summaries.facts`
    with no unit filter), a 25th of the rows with 25 units."""

    __tablename__ = "fact_city_days"
    __table_args__ = (Index("ix_fact_city_days_read", "target_id", "due"),)
    target_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    due: Mapped[dt.date] = mapped_column(Date)
    value: Mapped[float] = mapped_column(Double)


class KnownDay(Base):
    """When the latest counted row of a (plan year, unit, due day) became known."""

    __tablename__ = "known_days"
    __table_args__ = (Index("ix_known_days_latest", "year", "became"),)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    due: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    became: Mapped[dt.datetime] = mapped_column(DateTime)


class SummaryState(Base):
    """One row (id 1): the data's version the sums are current for, and from when they hold."""

    __tablename__ = "summary_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[dt.datetime | None] = mapped_column(DateTime)
    rebuilt_at: Mapped[dt.datetime] = mapped_column(DateTime)
