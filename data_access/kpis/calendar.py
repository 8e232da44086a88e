"""The organisation's calendar: the one home of every rule that says which days a figure covers.

Every page, briefing, export, template and command asks here; no other module subtracts seven days
or picks a default year. The rules, each with its reason in the function's docstring:

| rule | function | e.g. for Thursday 5 Jan 2023 |
|---|---|---|
| a week ago | `week_ago` | Thursday 29 Dec 2022 |
| the meeting's week | `meeting_week` | Fri 30 Dec 2022 … Thu 5 Jan 2023 |
| the next meeting (a decision's default due date) | `next_meeting` | Thursday 12 Jan 2023 |
| the reporting week (Saturday … Friday) | `reporting_week` | Sat 31 Dec 2022 … Fri 6 Jan 2023 |
| the latest reporting week that has ended | `last_reporting_week_end` | Fri 30 Dec 2022 |
| the latest calendar month that has ended (in the plan year) | `last_month_end` | none yet |
| how often a target's figures come | `cadence_of` | weekly, monthly or daily |
| the date a target's figures run to | `runs_to` | weekly: none yet; daily: 5 Jan |
| how many of its periods have closed by then | `periods_closed` | 0 |
| whether the plan year is over (final statuses) | `year_over` | no |
| the deadline of a week's report | `report_deadline` | Friday 30 Dec 2022's: Monday 2 Jan 2023 |
| the latest week already due (judged inside the year) | `due_week_end` | Fri 30 Dec 2022 (before 2023: none) |
| the plan year of a date | `plan_year_of` | 2023 |
| the default as-of date D of a plan year | `default_as_of` | today held in the year |
| the default view (year, as-of) | `default_view` | the year whose latest figure arrived last |
| the year a new plan year defaults to | `new_plan_year` | the one after the latest |

"Today" is always the organisation's (`data_access.clock`), never the server's. Pure: no database.
What "runs to" and the deadline mean in words a leader reads: the 口径说明,
`data_access.present.texts.definitions` (its GRACE_DAYS is this module's).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from data_access import clock

WEEK_DAYS = 7
"""Days in a week: the meeting's week, the reporting week and "a week ago" all have seven."""

FRIDAY = 4
"""`date.weekday()` of Friday, the last day of a reporting week."""

CADENCE_WEEKLY = "weekly"
"""Figures sent each reporting week (progress_reports): T01–T05, T08, T10."""
CADENCE_MONTHLY = "monthly"
"""Figures sent for each calendar month (ne_membership): T11."""
CADENCE_DAILY = "daily"
"""Registry counts (facilities, union organisations), true on any day: T06, T07, T09."""

_MONTHLY_MEASURES = frozenset({"registry:ne_membership"})
_DAILY_MEASURES = frozenset({"facility:care_station", "facility:childcare_class", "registry:union_orgs"})

YearRanges = Mapping[int, tuple[dt.date, dt.date]]
"""Plan years as {year: (start_date, end_date)}, both days included."""


# ---------------------------------------------------------------------------------------------
# weeks


def week_ago(day: dt.date) -> dt.date:
    """The day seven days before `day`: "what was known a week ago" is what was known at the end
    of this day.

    Why seven, not six: the meeting's week is `day` and the six days before it
    (`meeting_week`), so the figure known at the end of `week_ago(day)` is the one the week
    started from, and "this week's change" (known at the end of `day` minus known at the end of
    `week_ago(day)`) counts every figure that became known in that week once, none twice. The KPI
    table's actual_week_ago, the briefing's 各单位本周变化 and the new-economy page's weekly change
    all read this, so they add up to each other."""
    return day - dt.timedelta(days=WEEK_DAYS)


def meeting_week(meeting_date: dt.date) -> tuple[dt.date, dt.date]:
    """(first day, last day) of the week a briefing dated `meeting_date` covers: the seven days
    ending on the meeting date, both included.

    Why: the weekly meeting looks back at what happened since the last meeting a week earlier;
    the first day is the day after `week_ago(meeting_date)`, so consecutive briefings cover
    consecutive weeks without a gap or an overlap, whatever weekday the meeting is held on."""
    return week_ago(meeting_date) + dt.timedelta(days=1), meeting_date


def next_meeting(meeting_date: dt.date) -> dt.date:
    """The next weekly meeting after `meeting_date`: seven days later. A decision taken in a
    meeting is due by default at the next one, where it is checked."""
    return meeting_date + dt.timedelta(days=WEEK_DAYS)


def reporting_week(day: dt.date, start: dt.date | None = None,
                   end: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """(Saturday, Friday) of the reporting week containing `day`, cut to [`start`, `end`] (the
    plan year) when given.

    Why Saturday to Friday: units send their weekly figures on Friday afternoon, so a reporting
    week ends on a Friday and every weekly report's period_end is a Friday (or the plan year's
    last day). The first and last weeks of a plan year are cut to it, so a report never spans two
    plan years (1 Jan 2023, a Sunday, is in the week 1 Jan … Fri 6 Jan)."""
    friday = day + dt.timedelta(days=(FRIDAY - day.weekday()) % WEEK_DAYS)
    first = friday - dt.timedelta(days=WEEK_DAYS - 1)
    return (first if start is None else max(first, start)), (friday if end is None else min(friday, end))


def last_reporting_week_end(day: dt.date, start: dt.date, end: dt.date) -> dt.date | None:
    """The last day of the latest reporting week (cut to the plan year [`start`, `end`]) that has
    ended by `day`; None while the plan year's first week is still running (or before the year).

    Why: a week's figures are due once its Friday is over; the template offered by default and the
    submission check ("which week should have been sent") both ask for that week. After the plan
    year it is the year's last (cut) week."""
    day = min(day, end)
    if day < start:
        return None
    first, last = reporting_week(day, start, end)
    if last <= day:
        return last
    return first - dt.timedelta(days=1) if first > start else None


def last_month_end(day: dt.date, start: dt.date, end: dt.date) -> dt.date | None:
    """The last day of the latest calendar month that has ended by the end of `day`, cut to the
    plan year [`start`, `end`]; None while the plan year's first month is still running.

    Why: a month's figure (new-economy membership) is sent for the whole month, so it is only
    complete once the month's last day is over (31 March counts March, 30 March does not)."""
    day = min(day, end)
    if day < start:
        return None
    following = day + dt.timedelta(days=1)
    last = following.replace(day=1) - dt.timedelta(days=1)  # the end of the month before `following`
    return last if last >= start else None


def cadence_of(measure: str) -> str:
    """How often the figures of a target with `measure` (schema.models.MEASURE_*) come:
    CADENCE_MONTHLY for ne_membership, CADENCE_DAILY for the registries (a facility or union counts
    from its opening / founding day), CADENCE_WEEKLY for reported targets (and any other)."""
    if measure in _MONTHLY_MEASURES:
        return CADENCE_MONTHLY
    if measure in _DAILY_MEASURES:
        return CADENCE_DAILY
    return CADENCE_WEEKLY


def runs_to(cadence: str, as_of: dt.date, start: dt.date, end: dt.date) -> dt.date | None:
    """The date the figures of a target run to in a view as of `as_of` of the plan year [`start`,
    `end`]: the end of its last complete reporting week (weekly, `last_reporting_week_end`), of its
    last complete month (monthly, `last_month_end`), or `as_of` itself (daily: registries), always
    held inside the plan year. None before the target's first period has closed (1–5 January
    2023 for a weekly target, all of January for a monthly one, before 1 January for a registry).

    Why: expected-to-date (序时进度) is measured at this date, not at `as_of`, so actual and expected
    cover the same days; on Thursday 29 June 2023 a weekly target runs to Friday 23 June, like every
    day from Saturday 24 June on, and its status does not sink day by day while no figure can
    arrive. The column `runs_to` of the KPI tables."""
    if cadence == CADENCE_MONTHLY:
        return last_month_end(as_of, start, end)
    if cadence == CADENCE_DAILY:
        day = min(as_of, end)
        return day if day >= start else None
    return last_reporting_week_end(as_of, start, end)


def periods_closed(cadence: str, runs_to_day: dt.date | None, start: dt.date,
                   end: dt.date | None = None) -> int:
    """How many of a target's periods in the plan year [`start`, `end`] have closed by
    `runs_to_day` (its `runs_to`): calendar months for monthly targets, reporting weeks (cut to the
    year: 1–6 Jan 2023 is week 1, 30–31 Dec week 53) for weekly targets and for registries (which
    the weekly meeting follows week by week). 0 when `runs_to_day` is None.

    Why: the year-end forecast waits for enough periods (`metrics.MIN_FORECAST_PERIODS`)."""
    if runs_to_day is None or runs_to_day < start:
        return 0
    if cadence == CADENCE_MONTHLY:
        return (runs_to_day.year - start.year) * 12 + runs_to_day.month - start.month + (
            1 if (runs_to_day + dt.timedelta(days=1)).day == 1 else 0)
    first_end = reporting_week(start)[1]
    if runs_to_day < first_end:
        return 0
    weeks = 1 + (runs_to_day - first_end).days // WEEK_DAYS
    if end is not None and runs_to_day >= end and reporting_week(end)[1] > end:
        weeks += 1  # the year's last week, cut to end before its Friday, is over on `end`
    return weeks


GRACE_DAYS = 3
"""Days after a reporting week's last day by which its report is due: a week ending on Friday is
due by the end of the Monday after it (`report_deadline`)."""


def report_deadline(period_end: dt.date) -> dt.date:
    """The last day on which the report of a week ending `period_end` is on time: GRACE_DAYS
    later (Friday 23 June 2023 -> Monday 26 June). A report recorded by the end of this day is
    on time, one recorded the day after is late (`deadline_cutoff`).

    Why one rule: the meeting page's reporting table and the report page's 上报情况 both judge
    lateness with it (meeting.briefing.week_reporting, reporting.history.submission_status), so
    they cannot disagree about a unit that reported on the deadline day."""
    return period_end + dt.timedelta(days=GRACE_DAYS)


def deadline_cutoff(period_end: dt.date) -> dt.datetime:
    """The first instant after the deadline of the week ending `period_end`: a report recorded
    before it is on time."""
    return dt.datetime.combine(report_deadline(period_end) + dt.timedelta(days=1), dt.time())


def due_week_end(day: dt.date, start: dt.date, end: dt.date) -> dt.date | None:
    """The last day of the latest reporting week of the plan year [`start`, `end`] whose deadline
    (`report_deadline`) falls on or before `day`; None when none is due yet.

    Judged inside the year only: `day` is held at the year's last day, so a view or a check made
    in January (corrections to last year) asks about the year's weeks as they stood at its end and
    never finds every unit late for weeks that belong to no plan year (on 3 January 2024 the due
    week of 2023 is the one ending Friday 22 December, whose deadline, 25 December, is in the
    year; on Monday 3 July 2023 it is the week ending Friday 30 June)."""
    return last_reporting_week_end(min(day, end) - dt.timedelta(days=GRACE_DAYS), start, end)


def year_over(as_of: dt.date, end: dt.date) -> bool:
    """Whether a view as of `as_of` shows a plan year ending `end` as closed: at and after its last
    day (the end of `end` is the end of the year). Its statuses are then final (`metrics.
    FINAL_STATUSES`), with no weekly rate needed and no forecast."""
    return as_of >= end


def weekly_checkpoints(as_of: dt.date, start: dt.date, weeks: int) -> list[dt.date]:
    """`as_of` and the `weeks - 1` days a week, two weeks, … before it that fall on or after
    `start` (the plan year's first day), oldest first: the points of the forecast's weekly run
    rate, each one `week_ago` of the next."""
    days = [as_of]
    for _ in range(weeks - 1):
        days.append(week_ago(days[-1]))
    return sorted(d for d in days if d >= start)


# ---------------------------------------------------------------------------------------------
# plan years


def plan_year_of(day: dt.date, years: YearRanges | Iterable[tuple[int, dt.date, dt.date]]) -> int | None:
    """The plan year a date belongs to: the one whose range contains `day`; else (between plan
    years, or after the last) the latest one that has begun by then; else (before every plan year)
    the first. None only when there is no plan year.

    Why: a template, an upload or a report asked for "now" belongs to the plan year in force;
    after its end (late reports and corrections in early January, before next year's plan is
    entered) it still belongs to the year just ended, not to a year that does not exist yet.
    `years`: {year: (start, end)} or (year, start, end) rows as read from plan_years."""
    rows: list[tuple[int, tuple[dt.date, dt.date]]] = sorted(
        years.items() if isinstance(years, Mapping) else ((y, (s, e)) for y, s, e in years))
    if not rows:
        return None
    for year, (first, last) in rows:
        if first <= day <= last:
            return year
    begun = [year for year, (first, _last) in rows if first <= day]
    return begun[-1] if begun else rows[0][0]


def default_as_of(start: dt.date, end: dt.date, today: dt.date | None = None) -> dt.date:
    """The as-of date D (the period axis, `kpis.known`) a plan year [`start`, `end`] is shown at
    when none is chosen: today held inside the year: today for the current year, its last day for
    a past year, its first day for a future one.

    Why not the day the latest figure arrived: that mixed the two axes. A correction to 2023
    recorded on 9 January 2024 dragged 2023's view to 9 January; now 2023 shows its periods
    through 31 December as known now (K = now), the correction counted. `today`: the
    organisation's today (`clock.today()`) unless given."""
    return min(max(clock.today() if today is None else today, start), end)


def default_view(years: YearRanges, latest_by_year: Mapping[int, dt.date],
                 today: dt.date | None = None) -> tuple[int, dt.date]:
    """(plan year, as-of date D) shown when nothing is chosen: the plan year whose latest figure
    became known last (the earliest such year on a tie), else the latest plan year; at
    `default_as_of` (today held inside it), as known now.

    Why: the dashboard opens on what the city federation is working on now, which is the year
    still receiving figures (in January that may be last year's late corrections). LookupError
    when there is no plan year. `latest_by_year`: {year: latest report day}, years without data
    left out."""
    if not years:
        raise LookupError("no plan year")
    known = {y: d for y, d in latest_by_year.items() if y in years}
    year = max(sorted(known), key=lambda y: known[y]) if known else max(years)
    return year, default_as_of(*years[year], today)


def new_plan_year(years: Iterable[int], today: dt.date | None = None) -> int:
    """The year a new plan year (copied from an old one) is proposed as: the year after the latest
    plan year; with none, the organisation's current calendar year. Plans are made for the coming
    year, at the end of the one before."""
    existing = list(years)
    return max(existing) + 1 if existing else (clock.today() if today is None else today).year
