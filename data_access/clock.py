"""The organisation's clock: "now" and "today" in its time zone, whatever the server's clock says.

An intranet server often runs in UTC, where 07:00 in Pingdingshan is still yesterday; every rule
that asks "what day is it" asks here (and `data_access.kpis.calendar` for the weeks and plan years
built on it). The zone is the setting ``KPI_TIMEZONE`` (default Asia/Shanghai). Times are returned
naive, in the organisation's local time, because that is how the database stores every recorded
time (``created_at``, ``reviewed_at``, login times).

Tests put the whole process on a given moment with ``frozen(...)``: a naive datetime (or a date,
meaning its 12:00) is the organisation's local time itself; an aware datetime is an instant, read in
``KPI_TIMEZONE`` when asked (so 2023-01-05 17:00 UTC is Friday 6 January in Shanghai and still
Thursday 5 January with KPI_TIMEZONE=UTC).
"""
from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

from data_access import settings

_frozen: dt.datetime | None = None


def _local(instant: dt.datetime) -> dt.datetime:
    """An aware instant as the organisation's naive local time, to the second."""
    return instant.astimezone(settings.get().zone).replace(tzinfo=None, microsecond=0)


def now() -> dt.datetime:
    """The organisation's local time now, naive, to the second."""
    if _frozen is not None:
        return _local(_frozen) if _frozen.tzinfo is not None else _frozen
    return _local(dt.datetime.now(dt.timezone.utc))


def today() -> dt.date:
    """The organisation's date today."""
    return now().date()


@contextlib.contextmanager
def frozen(at: dt.datetime | dt.date) -> Iterator[dt.datetime]:
    """Within the block, `now()` is `at`: a naive datetime as the local time, an aware one as an
    instant read in KPI_TIMEZONE, a date as its 12:00. Yields the local time `now()` gives at entry.
    For tests and replays."""
    global _frozen
    moment = at if isinstance(at, dt.datetime) else dt.datetime.combine(at, dt.time(12, 0))
    before, _frozen = _frozen, moment.replace(microsecond=0)
    try:
        yield now()
    finally:
        _frozen = before
