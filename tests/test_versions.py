"""One statement decides which version of a figure counts (kpis.versions.latest): the KPI reads
(queries.facts), the upload preview, the history of a figure and the review tab all ask it, so they
agree, on SQLite, PostgreSQL and MariaDB, through a correction, its withdrawal and a batch that is
never approved.

The story (tiny_data, T01 of 新华区 A for the week 24–30 June 2023; tiny has no figure for it):
- 30 June 10:00  batch 1: 6, approved on upload
- 30 June 12:00  batch 2: 9 (a correction), pending
- 30 June 14:00  batch 3: 11, pending, never approved
- 1 July 09:00   batch 2 approved
- 2 July 08:00   the administrator asks to withdraw batch 2 (it still counts)
- 2 July 09:00   batch 2 withdrawn: a reviewer approves the request
So by the end of 30 June the figure is 6 (the correction waits), of 1 July 9, of 2 and 3 July 6 again;
and what was known on 1 July stays 9 after the withdrawal.
"""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from data_access.kpis import queries
from data_access.reporting import commit as committing
from data_access.reporting import history as figures
from data_access.reporting import preview as previewing
from data_access.reporting import review as reviewing
from data_access.schema import migrate
from tests.conftest import _engine_for
from tests.helpers import D, WEEK, prow, sync_sequences, xlsx
from tests.people import admin, reporter, reviewer
from tests.tiny_data import A, load_tiny

T = dt.datetime
EXPECTED = {D(2023, 6, 30): 6.0, D(2023, 7, 1): 9.0, D(2023, 7, 2): 6.0, D(2023, 7, 3): 6.0}


@pytest.fixture(scope="module", params=["sqlite", "postgresql", "mariadb"])
def story(request, tmp_path_factory):
    engine, teardown = _engine_for(request.param, tmp_path_factory.mktemp(request.param))
    migrate.upgrade(engine)
    load_tiny(engine)
    sync_sequences(engine)
    me = reporter("新华填报员", A)
    first = committing.commit(engine, xlsx([prow(value=6)]), "six.xlsx", actor=me.username,
                              now=T(2023, 6, 30, 10), approver=admin())
    fix = committing.commit(engine, xlsx([prow(value=9, note="更正")]), "nine.xlsx", actor=me.username,
                            now=T(2023, 6, 30, 12))
    never = committing.commit(engine, xlsx([prow(value=11)]), "eleven.xlsx", actor=me.username,
                              now=T(2023, 6, 30, 14))
    reviewing.review(engine, fix.batch_id, "approve", reviewer=reviewer(), now=T(2023, 7, 1, 9))
    reviewing.withdraw(engine, fix.batch_id, user=admin(), now=T(2023, 7, 2, 8))
    reviewing.review(engine, fix.batch_id, "approve", reviewer=reviewer(), now=T(2023, 7, 2, 9))
    yield engine, first.batch_id, fix.batch_id, never.batch_id
    teardown()


def end_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59, 59))


def by_facts(engine, day) -> float | None:
    f = queries.facts(engine, 2023, day, (A,), ["T01"])
    with engine.connect() as conn:
        values = conn.execute(select(f.c.value).where(f.c.day == WEEK[1])).scalars().all()
    assert len(values) <= 1
    return values[0] if values else None


def by_preview(engine, day) -> float | None:
    pv = previewing.preview(engine, xlsx([prow(value=1)]), "probe.xlsx", now=end_of(day))
    old = pv.changes[0].old
    return None if old is None else float(old["value"])


def by_history(engine, day) -> float | None:
    hist = figures.figure_history(engine, "T01", A, 2023, WEEK[1], now=end_of(day))
    live = hist.loc[hist["in_force"], "value"].tolist()
    assert len(live) <= 1
    return live[0] if live else None


def by_review_tab(engine, batch_id, day) -> float | None:
    rows = reviewing.batch_rows(engine, batch_id, now=end_of(day))
    old = rows["old"].iloc[0]
    return None if old is None or old != old else float(old)


@pytest.mark.parametrize("day", list(EXPECTED), ids=str)
def test_the_four_readers_agree(story, day):
    engine, _first, _fix, never = story
    seen = {"facts": by_facts(engine, day), "preview": by_preview(engine, day),
            "history": by_history(engine, day), "review tab": by_review_tab(engine, never, day)}
    assert seen == dict.fromkeys(seen, EXPECTED[day])


def test_history_keeps_every_version(story):
    engine, first, fix, never = story
    hist = figures.figure_history(engine, "T01", A, 2023, WEEK[1], now=end_of(D(2023, 7, 1)))
    assert hist[["value", "batch_id", "status", "in_force"]].values.tolist() == [
        [6.0, first, "approved", False], [9.0, fix, "withdrawn", True], [11.0, never, "pending", False]]


def test_review_tab_before_the_correction(story):
    """The correction's own review row: the version in force before it, whatever came after."""
    engine, _first, fix, _never = story
    rows = reviewing.batch_rows(engine, fix, now=end_of(D(2023, 7, 3)))
    assert rows[["item", "old", "new", "action"]].values.tolist() == [["T01", 6.0, 9.0, "changed"]]


def test_a_returned_file_withdrawn_later_never_counts(tiny):
    """Returned on 1 July, withdrawn on 3 July: no view, as of any day, counts it (the withdrawal
    stamps withdrawn_at only on a batch that had been approved)."""
    done = committing.commit(tiny, xlsx([prow(value=6)]), "six.xlsx", actor="新华填报员", allowed_units=(A,),
                             now=T(2023, 6, 30, 10))
    reviewing.review(tiny, done.batch_id, "return", reviewer=reviewer(), reason="与台账不符", now=T(2023, 7, 1, 9))
    reviewing.withdraw(tiny, done.batch_id, user=reporter("新华填报员", A), now=T(2023, 7, 3, 9))
    days = [D(2023, 6, 30), D(2023, 7, 1), D(2023, 7, 2), D(2023, 7, 3)]
    assert [by_facts(tiny, d) for d in days] == [None] * 4
    assert [by_history(tiny, d) for d in days] == [None] * 4
