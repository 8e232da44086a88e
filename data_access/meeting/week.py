"""The week a briefing covers: the seven days D-6 … D of a briefing dated D (the meeting day).

The rule itself lives in `data_access.kpis.calendar.meeting_week`; this module names it for the meeting
package."""
from __future__ import annotations

import datetime as dt

from data_access.kpis import calendar


def week_start(meeting_date: dt.date) -> dt.date:
    """First day of the week a briefing covers (the meeting date is the last): D - 6 days."""
    return calendar.meeting_week(meeting_date)[0]
