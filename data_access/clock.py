"""The organisation's clock: "now" and "today" in its time zone, whatever the server's clock says.

An intranet server often runs in UTC, where 07:00 in Pingdingshan is still yesterday; every rule
that asks "what day is it" asks here. The zone is the setting ``KPI_TIMEZONE`` (default
Asia/Shanghai). Times are returned naive, in the organisation's local time, because that is how the
database stores every recorded time (``created_at``, ``reviewed_at``, login times).

Tests put the whole process on a given moment with ``frozen(...)`` (a Thursday, 5 January ...).
"""
from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

from data_access import settings

_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    """The organisation's local time now, naive, to the second."""
    if _frozen is not None:
        return _frozen
    return dt.datetime.now(settings.get().zone).replace(tzinfo=None, microsecond=0)


def today() -> dt.date:
    """The organisation's date today."""
    return now().date()


@contextlib.contextmanager
def frozen(at: dt.datetime | dt.date) -> Iterator[dt.datetime]:
    """Within the block, `now()` is `at` (a date means its 12:00). For tests and replays."""
    global _frozen
    moment = at if isinstance(at, dt.datetime) else dt.datetime.combine(at, dt.time(12, 0))
    before, _frozen = _frozen, moment.replace(tzinfo=None, microsecond=0)
    try:
        yield _frozen
    finally:
        _frozen = before
