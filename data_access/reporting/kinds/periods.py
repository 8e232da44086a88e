"""The period a template is for: a reporting week (weekly progress), a month (membership), or the
day of filling in (the registries). Each parses the period asked for, labels it and stamps file names."""
from __future__ import annotations

import datetime as dt
from typing import Any

from data_access.errors import DataAccessError
from data_access.reporting.cells import CellError, parse_date, parse_month
from data_access.reporting.context import week_bounds


class Period:
    """A template's period: the day of filling in (default: today)."""

    heading = "填报日期"  # the instruction sheet's line for it
    monthly = False  # short text like 2023-05 names a month

    def given(self, period: Any) -> dt.date | None:
        """The date the caller asked for (a date or text); None for the default."""
        if isinstance(period, str) and period.strip():
            text = period.strip()
            try:
                return parse_month(text) if self.monthly and len(text) <= 8 else parse_date(text)
            except CellError:
                raise DataAccessError(f"无法识别的周期“{text}”（周报填日期如 2023-06-30，月报填 2023-05）",
                                      f"Unrecognised period “{text}”") from None
        if isinstance(period, dt.datetime):
            return period.date()
        return period if isinstance(period, dt.date) else None

    def parse(self, period: Any, start: dt.date, end: dt.date, today: dt.date) -> Any:
        return self.given(period) or today

    def label(self, period: Any) -> str:
        return f"{period:%Y-%m-%d}"

    def stamp(self, period: Any) -> str:
        """The period in a template's file name."""
        return f"{period:%Y%m%d}"


class Week(Period):
    """The reporting week (Saturday to Friday, cut to the plan year) as (start, end); default: the
    latest week ended by today."""

    heading = "填报周期"

    def parse(self, period: Any, start: dt.date, end: dt.date, today: dt.date) -> Any:
        day = self.given(period)
        if day is None:
            week = week_bounds(min(today, end), start, end)
            day = week[1] if week[1] <= today else max(week[0] - dt.timedelta(days=1), start)
        if not start <= day <= end:
            raise DataAccessError(f"日期{day}不在计划年度内（{start}至{end}）", f"{day} is outside the plan year")
        return week_bounds(day, start, end)

    def label(self, period: Any) -> str:
        return f"{period[0]:%Y-%m-%d} 至 {period[1]:%Y-%m-%d}"

    def stamp(self, period: Any) -> str:
        return f"{period[1]:%Y%m%d}"


class Month(Period):
    """A month as its first day; default: the last complete month (not before the plan year)."""

    heading = "填报周期"
    monthly = True

    def parse(self, period: Any, start: dt.date, end: dt.date, today: dt.date) -> Any:
        last_month = (min(today, end).replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        month = (self.given(period) or max(last_month, start.replace(day=1))).replace(day=1)
        if not start.replace(day=1) <= month <= end:
            raise DataAccessError(f"月份{month:%Y-%m}不在计划年度内", f"{month:%Y-%m} is outside the plan year")
        return month

    def label(self, period: Any) -> str:
        return f"{period:%Y年%m月}"

    def stamp(self, period: Any) -> str:
        return f"{period:%Y%m}"


WEEK, MONTH, DAY = Week(), Month(), Period()
