"""The briefing reads each set of facts once (issue 14 item 4): per unit as of the meeting date and as
of a week earlier, per day as of the date -- and builds the same briefing as the KPI tables and the
county changes read on their own."""
from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import event

from data_access.db import make_engine
from data_access.kpis import queries, tables
from data_access.meeting import briefing

DAY = dt.date(2023, 6, 30)


def test_the_briefing_reads_each_set_of_facts_once(sample_db_url, monkeypatch):
    eng = make_engine(sample_db_url)
    reads: list[tuple[str, dt.date]] = []
    by_unit, by_day = queries.progress_by_unit, queries.progress_by_day
    monkeypatch.setattr(queries, "progress_by_unit",
                        lambda e, y, d, u=None: reads.append(("unit", d)) or by_unit(e, y, d, u))
    monkeypatch.setattr(queries, "progress_by_day",
                        lambda e, y, d, u=None, *a: reads.append(("day", d)) or by_day(e, y, d, u, *a))
    statements: list[str] = []
    event.listen(eng, "before_cursor_execute", lambda *a: statements.append(a[2]))
    b = briefing.build_briefing(eng, 2023, DAY, None, with_decisions=False)
    assert sorted(reads) == [("day", DAY), ("unit", dt.date(2023, 6, 23)), ("unit", DAY)]
    facts = [s for s in statements if "UNION ALL" in s]
    assert len(facts) == 3  # was 5: three as of the date, two a week earlier

    # the same figures as each part read on its own
    monkeypatch.setattr(queries, "progress_by_unit", by_unit)
    monkeypatch.setattr(queries, "progress_by_day", by_day)
    pd.testing.assert_frame_equal(b.overview, tables.target_overview(eng, 2023, DAY, None))
    pd.testing.assert_frame_equal(b.county_changes, briefing.county_changes(eng, 2023, DAY, None))
    pd.testing.assert_frame_equal(
        b.behind_counties, briefing.behind_counties(tables.unit_breakdown(eng, 2023, DAY, None), b.overview))
    t01 = b.changes.set_index("target_code").loc["T01"]
    assert (t01["actual"], t01["actual"] - t01["change"]) == (529.0, t01["actual_week_ago"])
    cc = b.county_changes.groupby("target_code")["change"].sum()
    assert cc["T01"] == t01["change"]  # the county changes add up to the city's week change
    eng.dispose()
