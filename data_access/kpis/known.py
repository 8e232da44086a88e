""""As known at K": which recorded rows a view may see. Every view has two dates:

- D, the period axis (`as_of` in every reader): the figures are for periods through D (a week
  ending by D, a facility opened by D, a month complete by D);
- K, the record axis (`moment`): only what was recorded, and approved, by K counts.

The dashboards show D = today (a past year: its last day) with K = now, so a correction to 2023
recorded in January 2024 counts in 2023's view; a briefing reopens as (D = its date, K = its date),
exactly as it was; a link may carry both (`?as_of=…&known=…`). When no K is given (`recorded_by`
not in force) K is the end of D, the briefing's reading and every reader's default.

One home for the rules every reader shares (reports, registries, membership, the briefing's
reporting check):

- recorded by K (`cutoff`): a row recorded later was not known yet;
- without an import batch, or from a batch approved by K and not withdrawn by then (`visible`):
  a pending or returned upload is not a figure, and a withdrawal does not rewrite the past.

K is set for a block of reads with `recorded_by(K)` (a context variable, so each thread and each
cached read has its own); the readers ask `moment`/`cutoff`/`visible` with their D and get K.
The organisation's dates and times are naive local times (`data_access.clock`), as stored.
"""
from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from collections.abc import Iterator
from typing import Any

from sqlalchemy import ColumnElement

from data_access.kpis import calendar, versions

Moment = dt.date | dt.datetime
"""A knowledge date K: a date means by the end of that day, a datetime at that instant (inclusive)."""

_K: contextvars.ContextVar[Moment | None] = contextvars.ContextVar("kpi_known", default=None)


@contextlib.contextmanager
def recorded_by(known: Moment | None) -> Iterator[None]:
    """Within the block, every reader's record axis is `known` (K) instead of the end of its
    `as_of` (D). None leaves the axis as it is (the end of D, or an outer block's K)."""
    if known is None:
        yield
        return
    token = _K.set(known)
    try:
        yield
    finally:
        _K.reset(token)


def moment(as_of: dt.date) -> Moment:
    """K of a read through `as_of`: the `recorded_by` in force, else `as_of` (by the end of it)."""
    k = _K.get()
    return as_of if k is None else k


def week_before(known: Moment | None) -> Moment | None:
    """K a week earlier (`calendar.week_ago`'s seven days): "what was known a week ago" moves both
    axes back a week, so this week's change counts each figure that became known in the week once."""
    return None if known is None else known - dt.timedelta(days=calendar.WEEK_DAYS)


def earlier(known: Moment, as_of: dt.date, day: dt.date) -> Moment:
    """K of the view through `day` that a view through `as_of` as known at `known` compares with
    (a week, a month, a year earlier): moved back as far as D was, so "this month's change" is
    what became known in the month, as before D and K were two dates."""
    return known - (as_of - day)


def _first_after(k: Moment) -> dt.datetime:
    if isinstance(k, dt.datetime):
        return k + dt.timedelta(microseconds=1)
    return dt.datetime.combine(k + dt.timedelta(days=1), dt.time())


def cutoff(as_of: dt.date) -> dt.datetime:
    """The first instant after K (`moment`): rows recorded before it were known at K. Without a K
    in force, the midnight after `as_of`."""
    return _first_after(moment(as_of))


def visible(batch_id_col: Any, as_of: dt.date) -> ColumnElement[bool]:
    """Rows with no batch, or whose batch was approved by K and, if it was withdrawn later, not
    withdrawn by then: a withdrawal does not rewrite the past. The rule is `versions.counted` (one
    home for "which batches count") at `moment(as_of)`; this name is the registries' reading."""
    return versions.counted(batch_id_col, moment(as_of))


def label(known: Moment | None) -> dt.date | None:
    """The knowledge date a page names ("按…所知"): None for now."""
    if known is None:
        return None
    return known.date() if isinstance(known, dt.datetime) else known
