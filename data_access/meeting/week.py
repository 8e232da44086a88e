"""The week a briefing covers: the seven days D-6 … D of a briefing dated D (the meeting day)."""
from __future__ import annotations

import datetime as dt

WEEK = dt.timedelta(days=7)


def week_start(meeting_date: dt.date) -> dt.date:
    """First day of the week a briefing covers (the meeting date is the last): D - 6 days."""
    return meeting_date - WEEK + dt.timedelta(days=1)
