""""As known on a date": which recorded rows a view of `as_of` may see. One home for the two rules
every reader shares (reports, registries, membership, the briefing's reporting check):

- recorded before the end of `as_of` (`cutoff`): a row recorded later was not known yet;
- without an import batch, or from a batch approved by the end of `as_of` and not withdrawn by then
  (`visible`): a pending or returned upload is not a figure, and a withdrawal does not rewrite the
  past.

The organisation's dates and times are naive local times (`data_access.clock`), as stored.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement

from data_access.kpis import versions


def cutoff(as_of: dt.date) -> dt.datetime:
    """The first instant after `as_of`: rows recorded before it were known on that date."""
    return dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())


def visible(batch_id_col: Any, as_of: dt.date) -> ColumnElement[bool]:
    """Rows with no batch, or whose batch was approved before the end of `as_of` and, if it was
    withdrawn later, not withdrawn by then: a withdrawal does not rewrite the past. The rule is
    `versions.counted` (one home for "which batches count"); this name is the registries' reading."""
    return versions.counted(batch_id_col, as_of)
