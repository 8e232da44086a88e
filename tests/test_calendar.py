"""The calendar's rules (data_access/kpis/calendar.py) on hand-picked dates, and the organisation's
clock across a UTC/Shanghai midnight. Pure: no database.

2023: 1 January is a Sunday, Thursday 5 and Friday 6 January are in its first reporting week, and
31 December is a Sunday.
"""
import datetime as dt
import re
from pathlib import Path

import pytest

from data_access import clock, settings
from data_access.kpis import calendar

D = dt.date
Y2023 = (D(2023, 1, 1), D(2023, 12, 31))
Y2024 = (D(2024, 1, 1), D(2024, 12, 31))
THU, FRI = D(2023, 1, 5), D(2023, 1, 6)
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def zone(monkeypatch):
    """Set KPI_TIMEZONE for one test (settings are read again when a KPI_* variable changes)."""
    def use(name: str) -> None:
        monkeypatch.setenv("KPI_TIMEZONE", name)
    yield use
    settings.reset()


# ---------------------------------------------------------------------------------------------
# weeks


def test_week_ago_is_seven_days_earlier():
    assert calendar.week_ago(THU) == D(2022, 12, 29)  # a Thursday, in the year before
    assert calendar.week_ago(FRI) == D(2022, 12, 30)
    assert calendar.week_ago(D(2023, 1, 1)) == D(2022, 12, 25)
    assert calendar.week_ago(D(2023, 12, 31)) == D(2023, 12, 24)
    assert calendar.week_ago(D(2024, 3, 7)) == D(2024, 2, 29)  # across a leap day


def test_meeting_week_is_the_seven_days_ending_on_the_meeting():
    assert calendar.meeting_week(THU) == (D(2022, 12, 30), THU)
    assert calendar.meeting_week(FRI) == (D(2022, 12, 31), FRI)
    first, last = calendar.meeting_week(FRI)
    assert (last - first).days + 1 == 7
    # it starts the day after "a week ago": consecutive meetings cover adjoining weeks
    assert first == calendar.week_ago(FRI) + dt.timedelta(days=1)
    assert calendar.meeting_week(calendar.week_ago(FRI))[1] + dt.timedelta(days=1) == first
    assert calendar.next_meeting(THU) == D(2023, 1, 12)


def test_reporting_week_runs_saturday_to_friday():
    assert calendar.reporting_week(THU) == (D(2022, 12, 31), FRI)
    assert calendar.reporting_week(FRI) == (D(2022, 12, 31), FRI)  # Friday is the week's last day
    assert calendar.reporting_week(D(2023, 1, 7)) == (D(2023, 1, 7), D(2023, 1, 13))  # Saturday starts one
    for day in (THU, FRI, D(2023, 1, 7), D(2023, 6, 27), D(2023, 12, 31)):
        first, last = calendar.reporting_week(day)
        assert first.weekday() == 5 and last.weekday() == 4 and first <= day <= last


def test_reporting_week_is_cut_to_the_plan_year():
    assert calendar.reporting_week(D(2023, 1, 1), *Y2023) == (D(2023, 1, 1), FRI)
    assert calendar.reporting_week(THU, *Y2023) == (D(2023, 1, 1), FRI)
    assert calendar.reporting_week(D(2023, 12, 31), *Y2023) == (D(2023, 12, 30), D(2023, 12, 31))
    assert calendar.reporting_week(D(2023, 12, 31)) == (D(2023, 12, 30), D(2024, 1, 5))


def test_last_reporting_week_end():
    assert calendar.last_reporting_week_end(THU, *Y2023) is None  # the first week is still running
    assert calendar.last_reporting_week_end(FRI, *Y2023) == FRI  # over at the end of Friday
    assert calendar.last_reporting_week_end(D(2023, 1, 12), *Y2023) == FRI
    assert calendar.last_reporting_week_end(D(2023, 12, 31), *Y2023) == D(2023, 12, 31)
    assert calendar.last_reporting_week_end(D(2024, 1, 3), *Y2023) == D(2023, 12, 31)  # the next year
    assert calendar.last_reporting_week_end(D(2022, 12, 20), *Y2023) is None


def test_weekly_checkpoints_step_back_a_week_at_a_time():
    assert calendar.weekly_checkpoints(D(2023, 1, 26), D(2023, 1, 1), 8) == [
        D(2023, 1, 5), D(2023, 1, 12), D(2023, 1, 19), D(2023, 1, 26)]
    assert calendar.weekly_checkpoints(D(2023, 6, 30), D(2023, 1, 1), 3) == [
        D(2023, 6, 16), D(2023, 6, 23), D(2023, 6, 30)]


# ---------------------------------------------------------------------------------------------
# plan years


def test_plan_year_of_a_date():
    one = {2023: Y2023}
    for day in (D(2023, 1, 1), D(2023, 1, 6), D(2023, 12, 31)):
        assert calendar.plan_year_of(day, one) == 2023
    # after the last plan year (late reports in January): still the year just ended
    assert calendar.plan_year_of(D(2024, 1, 3), one) == 2023
    # before every plan year: the first one
    assert calendar.plan_year_of(D(2022, 12, 31), one) == 2023
    two = {2023: Y2023, 2024: Y2024}
    assert calendar.plan_year_of(D(2023, 12, 31), two) == 2023
    assert calendar.plan_year_of(D(2024, 1, 1), two) == 2024
    assert calendar.plan_year_of(D(2025, 2, 1), two) == 2024
    # a gap between plan years: the latest one that has begun
    assert calendar.plan_year_of(D(2023, 6, 1), {2022: (D(2022, 1, 1), D(2022, 12, 31)), 2024: Y2024}) == 2022
    # rows as read from plan_years, in any order
    assert calendar.plan_year_of(D(2024, 1, 1), [(2024, *Y2024), (2023, *Y2023)]) == 2024
    assert calendar.plan_year_of(D(2024, 1, 1), {}) is None


def test_default_as_of_of_a_plan_year():
    # D is the period axis: a correction recorded on 3 Jan 2024 no longer drags 2023's view there
    assert calendar.default_as_of(*Y2023, today=D(2023, 6, 1)) == D(2023, 6, 1)  # today inside
    assert calendar.default_as_of(*Y2023, today=D(2025, 6, 1)) == D(2023, 12, 31)  # a past year: its end
    assert calendar.default_as_of(*Y2024, today=D(2023, 6, 1)) == D(2024, 1, 1)  # a future one: its start
    with clock.frozen(D(2023, 1, 6)):
        assert calendar.default_as_of(*Y2023) == FRI


def test_default_view():
    years = {2023: Y2023, 2024: Y2024}
    # the year whose latest figure arrived last (2023's late corrections after 2024 began), through
    # today held inside it (D; the corrections count through K = now, not by moving D)
    nine = D(2024, 1, 9)
    assert calendar.default_view(years, {2023: D(2024, 1, 9), 2024: D(2024, 1, 8)}, nine) == (2023, D(2023, 12, 31))
    assert calendar.default_view(years, {2023: D(2023, 12, 29), 2024: D(2024, 1, 8)}, nine) == (2024, nine)
    assert calendar.default_view(years, {2023: D(2024, 1, 8), 2024: D(2024, 1, 8)}, nine) == (2023, D(2023, 12, 31))
    # without any figure: the latest plan year, today held inside it
    assert calendar.default_view(years, {}, today=D(2024, 5, 1)) == (2024, D(2024, 5, 1))
    assert calendar.default_view(years, {}, today=D(2023, 5, 1)) == (2024, D(2024, 1, 1))
    with clock.frozen(D(2026, 3, 1)):
        assert calendar.default_view(years, {}) == (2024, D(2024, 12, 31))
    with pytest.raises(LookupError):
        calendar.default_view({}, {})


def test_new_plan_year():
    assert calendar.new_plan_year([2023, 2024]) == 2025
    assert calendar.new_plan_year([], today=D(2026, 11, 30)) == 2026
    with clock.frozen(D(2027, 12, 1)):
        assert calendar.new_plan_year([]) == 2027


# ---------------------------------------------------------------------------------------------
# the organisation's clock


def test_frozen_naive_time_is_the_local_time(zone):
    zone("UTC")
    with clock.frozen(dt.datetime(2023, 1, 5, 23, 30)) as at:
        assert at == clock.now() == dt.datetime(2023, 1, 5, 23, 30)
        assert clock.today() == THU
    with clock.frozen(FRI):
        assert clock.now() == dt.datetime(2023, 1, 6, 12, 0)


def test_utc_evening_is_the_next_day_in_shanghai(zone):
    """17:00 UTC on Thursday 5 January is 01:00 on Friday 6 January in Pingdingshan: the calendar
    answers for Friday there, and for Thursday on a server set to UTC."""
    instant = dt.datetime(2023, 1, 5, 17, 0, tzinfo=dt.timezone.utc)
    zone("Asia/Shanghai")
    with clock.frozen(instant):
        assert clock.now() == dt.datetime(2023, 1, 6, 1, 0) and clock.now().tzinfo is None
        today = clock.today()
        assert today == FRI
        assert calendar.week_ago(today) == D(2022, 12, 30)
        assert calendar.last_reporting_week_end(today, *Y2023) == FRI
        assert calendar.default_as_of(*Y2023) == FRI
    zone("UTC")
    with clock.frozen(instant):
        assert clock.today() == THU
        assert calendar.last_reporting_week_end(clock.today(), *Y2023) is None
        assert calendar.default_as_of(*Y2023) == THU


def test_new_year_comes_first_in_shanghai(zone):
    instant = dt.datetime(2023, 12, 31, 16, 30, tzinfo=dt.timezone.utc)  # 00:30 on 1 Jan 2024 there
    years = {2023: Y2023, 2024: Y2024}
    zone("Asia/Shanghai")
    with clock.frozen(instant):
        assert calendar.plan_year_of(clock.today(), years) == 2024
        assert calendar.default_view(years, {}) == (2024, D(2024, 1, 1))
    zone("UTC")
    with clock.frozen(instant):
        assert calendar.plan_year_of(clock.today(), years) == 2023
        assert calendar.default_view(years, {}) == (2024, D(2024, 1, 1))  # 2024 held at its start


def test_unfrozen_clock_follows_the_zone(zone):
    zone("Asia/Shanghai")
    shanghai = clock.now()
    zone("UTC")
    utc = clock.now()
    assert shanghai.tzinfo is None and utc.tzinfo is None
    assert abs((shanghai - utc) - dt.timedelta(hours=8)) < dt.timedelta(minutes=1)


# ---------------------------------------------------------------------------------------------
# one home: no other module reads the server's clock or counts seven days itself

SERVER_CLOCK = re.compile(r"\b(?:dt\.|datetime\.)?(?:datetime\.now|datetime\.today|date\.today|datetime\.utcnow)\(")
OWN_WEEK = re.compile(r"timedelta\(\s*(?:days\s*=\s*)?(?:7|6)\s*[,)*]|timedelta\(\s*weeks\s*=")


def _sources():
    for folder in ("data_access", "dashboard", "pages"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            yield path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")


def test_no_server_clock_reads_outside_the_clock():
    found = [f"{name}:{n}" for name, text in _sources() if name != "data_access/clock.py"
             for n, line in enumerate(text.splitlines(), 1) if SERVER_CLOCK.search(line)]
    assert found == [], "read the organisation's clock (data_access.clock), not the server's"


def test_no_week_arithmetic_outside_the_calendar():
    found = [f"{name}:{n}" for name, text in _sources() if name != "data_access/kpis/calendar.py"
             for n, line in enumerate(text.splitlines(), 1) if OWN_WEEK.search(line)]
    assert found == [], "ask data_access.kpis.calendar for weeks (week_ago, meeting_week, reporting_week)"
