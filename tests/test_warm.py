"""Warming (dashboard/warm.py): a change triggers one warming, two triggers never compute at once,
a session never waits on it, and what it computes is what the default page reads."""
from __future__ import annotations

import threading

import streamlit as st

from dashboard import warm
from data_access import data_version
from data_access.db import make_engine
from data_access.kpis import tables
from data_access.reporting import commit as committing
from data_access.reporting import review as reviewing
from tests.apptest_support import open_page, overview_done
from tests.helpers import D, NOW, prow, xlsx
from tests.people import reviewer

XINHUA = "410402"
BOUND = 120  # seconds: a bound on waiting for a background thread, not a timing


class Gate:
    """A compute that records its versions and, while `hold` is clear, blocks inside."""

    def __init__(self) -> None:
        self.versions: list[int] = []
        self.inside = threading.Event()
        self.hold = threading.Event()
        self.busy = 0
        self.most_at_once = 0
        self.lock = threading.Lock()

    def __call__(self, version: int, deadline: float) -> int:
        with self.lock:
            self.busy += 1
            self.most_at_once = max(self.most_at_once, self.busy)
            self.versions.append(version)
        self.inside.set()
        assert self.hold.wait(BOUND)
        with self.lock:
            self.busy -= 1
        return 1


def test_a_change_triggers_one_warming():
    gate = Gate()
    gate.hold.set()
    warmer = warm.Warmer(gate)
    assert warmer.notice(7) is True
    assert warmer.idle.wait(BOUND)
    assert warmer.notice(7) is False  # the same version again (the poller's next read): nothing
    assert warmer.idle.wait(BOUND)
    assert gate.versions == [7] and warmer.runs == 1 and warmer.warmed == 7
    assert warmer.notice(8) is True  # the next change: one more
    assert warmer.idle.wait(BOUND)
    assert gate.versions == [7, 8] and warmer.runs == 2


def test_two_triggers_never_compute_twice_at_once_and_a_notice_never_waits():
    gate = Gate()
    warmer = warm.Warmer(gate)
    assert warmer.notice(1) is True
    assert gate.inside.wait(BOUND)
    # the warming is blocked inside compute: these calls return at once (a session's run goes on)
    assert warmer.notice(2) is False
    assert warmer.notice(3) is False
    assert warmer.notice(3) is False
    assert gate.versions == [1] and not warmer.idle.is_set()
    gate.hold.set()
    assert warmer.idle.wait(BOUND)
    assert gate.versions == [1, 3]  # the newest noticed version next; 2 was passed over
    assert gate.most_at_once == 1 and warmer.runs == 2 and warmer.warmed == 3


def test_a_failing_warming_reaches_no_session():
    def broken(version: int, deadline: float) -> int:
        raise RuntimeError("database gone")

    warmer = warm.Warmer(broken)
    assert warmer.notice(1) is True
    assert warmer.idle.wait(BOUND)
    assert warmer.runs == 1 and warmer.notice(1) is False



def test_the_warmed_views_are_what_the_default_page_reads(sample_copy_url, monkeypatch):
    url = sample_copy_url
    eng = make_engine(url)
    calls: list[object] = []
    real = tables.target_overview
    monkeypatch.setattr(tables, "target_overview", lambda *a, **k: calls.append(a[1:]) or real(*a, **k))
    at = open_page(url)  # the default page (overview) of the default view
    assert overview_done(at, "T01") == "1,040 / 1,000场次"

    st.cache_data.clear()  # a fresh server process: nothing cached
    warmer = warm.Warmer(warm.default_views)
    calls.clear()
    assert warmer.notice(data_version.current(eng)) is True
    assert warmer.idle.wait(BOUND)
    assert calls[0] == (2023, D(2023, 12, 31), None)  # the default view, city-wide first
    scopes = [c[2] for c in calls if c[:2] == (2023, D(2023, 12, 31))]
    assert len(scopes) == len(set(scopes)) == 14  # the city and each of the sample's 13 units, once each
    calls.clear()
    at.run()
    assert overview_done(at, "T01") == "1,040 / 1,000场次" and calls == []  # the first view: every figure warmed

    # an approval elsewhere: the poller notices the new version, one warming, the first view is cached
    done = committing.commit(eng, xlsx([prow(unit=XINHUA, value=7)]), "x.xlsx", actor="新华填报员",
                             allowed_units=(XINHUA,), now=NOW)
    reviewing.review(eng, done.batch_id, "approve", reviewer=reviewer(), now=NOW)
    assert warmer.notice(data_version.current(eng)) is True
    assert warmer.idle.wait(BOUND)
    assert len([c for c in calls if c[:2] == (2023, D(2023, 12, 31))]) == 14 and warmer.runs == 2
    calls.clear()
    at.run()
    assert overview_done(at, "T01") == "1,047 / 1,000场次" and calls == []  # 1,040 + 7 (YEAR_END_DONE of test_page_overview), not computed by the session
    eng.dispose()


def test_a_session_does_not_wait_for_a_blocked_warming(sample_db_url):
    gate = Gate()  # a warming stuck inside its computation (e.g. a slow database)
    warmer = warm.Warmer(gate)
    assert warmer.notice(1) is True
    assert gate.inside.wait(BOUND)
    at = open_page(sample_db_url)  # the page runs to its end meanwhile
    assert overview_done(at, "T01") == "1,040 / 1,000场次"
    gate.hold.set()
    assert warmer.idle.wait(BOUND)


def test_a_warming_first_rebuilds_the_sums_a_plan_edit_left_behind(sample_copy_url):
    from data_access import clock
    from data_access.kpis import summaries
    from data_access.plan import allocations
    from tests.people import admin

    eng = make_engine(sample_copy_url)
    at = open_page(sample_copy_url)
    assert allocations.set_allocation(eng, admin(), 2023, "T01", XINHUA, 61.0)  # not followed by the sums
    with eng.connect() as conn:
        assert not summaries.usable(conn, clock.now())
    at.run()
    assert overview_done(at, "T01") == "1,040 / 1,000场次"  # read from the versions meanwhile
    st.cache_data.clear()
    warmer = warm.Warmer(warm.default_views)
    assert warmer.notice(data_version.current(eng)) is True
    assert warmer.idle.wait(BOUND)
    with eng.connect() as conn:
        assert summaries.usable(conn, clock.now())  # rebuilt before the views were warmed
    at.run()
    assert overview_done(at, "T01") == "1,040 / 1,000场次"
    eng.dispose()
