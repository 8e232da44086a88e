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


def test_the_plans_use_the_new_indexes(tmp_path):
    """Migration 0009's indexes, as SQLite plans them (no row needed: the planner picks by shape)."""
    from sqlalchemy import text

    from data_access.schema import migrate

    eng = make_engine(f"sqlite:///{tmp_path / 'plan.sqlite3'}")
    migrate.upgrade(eng)
    queries_and_index = {
        # versions.counted: which batches count at a moment
        "SELECT id FROM import_batches WHERE reviewed_at <= '2023-07-01' AND (status = 'approved' OR "
        "(status = 'withdrawn' AND withdrawn_at > '2023-07-01'))": "ix_batches_status_reviewed",
        "SELECT id FROM audit_log WHERE entity = 'import_batches' AND entity_id = '5'": "ix_audit_entity",
        "SELECT id FROM facilities WHERE unit_code = '410402' AND name = 'x'": "ix_facility_unit_name",
        "SELECT id FROM union_orgs WHERE unit_code = '410402' AND name = 'x'": "ix_union_unit_name",
    }
    with eng.connect() as conn:
        for sql, index in queries_and_index.items():
            plan = " | ".join(r[3] for r in conn.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
            assert f"USING INDEX {index}" in plan or f"USING COVERING INDEX {index}" in plan, plan
            assert "SCAN" not in plan, plan
    eng.dispose()
