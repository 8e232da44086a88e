"""The maintained aggregates (kpis.aggregates): rebuilt = maintained = raw, on SQLite, PostgreSQL and
MariaDB, through corrections, withdrawals and a registry change, and the KPI reads give the same
hand-computed figures from them.

The story (tiny_data, rebuilt first; then every change through the product's commit/review/withdraw):
- tiny batch 1 (新华区 A, T01 14–20 Jan: 4, pending) approved 21 Jan 10:00
- tiny batch 2 (鲁山县 B, T01 7–13 Jan: 2, approved 14 Jan) withdrawn 25 Jan 09:00
- membership A May 外卖配送/美团: 10 approved on upload 1 June 10:00; 12 (a correction) uploaded
  2 June 10:00, approved 3 June 09:00
- a care station registered for A, approved on upload 30 June 11:00 (a registry change)
- T01 A 24–30 June: 6 approved on upload 30 June 10:00; 9 uploaded 30 June 12:00, approved 1 July
  09:00, withdrawn 2 July 09:00; 11 uploaded 30 June 14:00, never approved

T01 city-wide, by hand (tiny: A 5 for 1–6 Jan, 7 for 7–13 Jan corrected to 9 on 16 Jan; B 3 for
1–6 Jan, 2 for 7–13 Jan in batch 2):
  as of 20 Jan: A 5+9, B 3+2 = 19      as of 21 Jan: + A's 4 = 23
  as of 24 Jan: 23                    as of 25 Jan: B's 2 withdrawn = 21
  as of 30 June: 21 + 6 = 27          as of 1 July: 21 + 9 = 30      as of 2 July: 27 again
T11 (tiny: A Jan 30 corrected to 35 on 3 Feb, B Jan 20): as of 2 June 35+20+10 = 65, as of 3 June 67.
"""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, select

from data_access.cli.main import main as cli_main
from data_access.kpis import aggregates, queries, versions
from data_access.reporting import commit as committing
from data_access.reporting import review as reviewing
from data_access.schema import migrate
from data_access.schema.aggregates import ProgressKnown
from tests.conftest import _engine_for
from tests.helpers import D, FACILITY_HEAD, MEMBER_HEAD, frow, overview_actual, prow, sync_sequences, xlsx
from tests.people import admin, reporter, reviewer
from tests.tiny_data import A, B, load_tiny

T = dt.datetime
MAY = ("2023-05", "外卖配送", "美团")


def mrow(value: int) -> list:
    return [A, "", MAY[0], MAY[1], MAY[2], value]


# ---------------------------------------------------------------------------------------------
# the interval rule, by hand


def test_counting_interval_follows_the_batch_states():
    r, a, w = T(2023, 1, 2, 9), T(2023, 1, 3, 9), T(2023, 1, 5, 9)
    assert aggregates.counting_interval(r, None, None, None, None) == (r, None)  # no batch: from recording
    assert aggregates.counting_interval(r, 1, "approved", a, None) == (a, None)  # from the approval
    assert aggregates.counting_interval(a, 1, "approved", r, None) == (a, None)  # approved before recorded
    assert aggregates.counting_interval(r, 1, "withdrawn", a, w) == (a, w)  # until the withdrawal
    assert aggregates.counting_interval(r, 1, "withdrawn", None, None) is None  # withdrawn while pending
    assert aggregates.counting_interval(r, 1, "pending", None, None) is None
    assert aggregates.counting_interval(r, 1, "returned", a, None) is None


def test_known_intervals_hand_cases():
    t = [T(2023, 1, d, 9) for d in range(1, 8)]
    # v1 counts from day 1; v2 (later recorded) counts days 3-5 (approved, then withdrawn); v3 from day 6
    found = [((t[0], 1), (t[0], None), "v1"), ((t[1], 2), (t[2], t[4]), "v2"), ((t[5], 3), (t[5], None), "v3")]
    assert aggregates.known_intervals(found) == [("v1", (t[0], t[2])), ("v2", (t[2], t[4])),
                                                 ("v1", (t[4], t[5])), ("v3", (t[5], None))]
    # an earlier-recorded version approved later does not displace a later-recorded one
    found = [((t[1], 5), (t[1], None), "late"), ((t[0], 4), (t[3], None), "early")]
    assert aggregates.known_intervals(found) == [("late", (t[1], None))]
    # equal recorded_at: the higher id wins; a version that never counted has no row
    found = [((t[0], 7), (t[0], None), "a"), ((t[0], 8), (t[0], None), "b")]
    assert aggregates.known_intervals(found) == [("b", (t[0], None))]
    assert aggregates.known_intervals([]) == []


# ---------------------------------------------------------------------------------------------
# the story on three databases


@pytest.fixture(scope="module", params=["sqlite", "postgresql", "mariadb"])
def story(request, tmp_path_factory):
    engine, teardown = _engine_for(request.param, tmp_path_factory.mktemp(request.param))
    migrate.upgrade(engine)
    load_tiny(engine)
    sync_sequences(engine)
    with engine.begin() as conn:
        written = aggregates.rebuild(conn)
    # tiny by hand: T01 rows A 5, A 7 -> 9 (two rows), B 3, B 2 (batch 2), 2022's 50 (A) = 6 rows
    # (the pending 4 has none); membership: 2022's 100, A Jan 30 -> 35 (two rows), B Jan 20 = 4 rows
    assert written == {"progress_known": 6, "membership_known": 4}
    me = reporter("新华填报员", A)
    reviewing.review(engine, 1, "approve", reviewer=reviewer(), now=T(2023, 1, 21, 10))
    reviewing.withdraw(engine, 2, user=admin(), now=T(2023, 1, 25, 9))
    reviewing.review(engine, 2, "approve", reviewer=reviewer(), now=T(2023, 1, 25, 9))  # a second person
    committing.commit(engine, xlsx([mrow(10)], MEMBER_HEAD, "新业态入会"), "m10.xlsx", actor=me.username,
                      now=T(2023, 6, 1, 10), approver=admin())
    fix = committing.commit(engine, xlsx([mrow(12)], MEMBER_HEAD, "新业态入会"), "m12.xlsx",
                            actor=me.username, now=T(2023, 6, 2, 10))
    reviewing.review(engine, fix.batch_id, "approve", reviewer=reviewer(), now=T(2023, 6, 3, 9))
    committing.commit(engine, xlsx([prow(value=6)]), "six.xlsx", actor=me.username,
                      now=T(2023, 6, 30, 10), approver=admin())
    committing.commit(engine, xlsx([frow()], FACILITY_HEAD, "设施登记"), "f.xlsx", actor=me.username,
                      now=T(2023, 6, 30, 11), approver=admin())
    nine = committing.commit(engine, xlsx([prow(value=9, note="更正")]), "nine.xlsx", actor=me.username,
                             now=T(2023, 6, 30, 12))
    committing.commit(engine, xlsx([prow(value=11)]), "eleven.xlsx", actor=me.username, now=T(2023, 6, 30, 14))
    reviewing.review(engine, nine.batch_id, "approve", reviewer=reviewer(), now=T(2023, 7, 1, 9))
    reviewing.withdraw(engine, nine.batch_id, user=admin(), now=T(2023, 7, 2, 9))
    reviewing.review(engine, nine.batch_id, "approve", reviewer=reviewer(), now=T(2023, 7, 2, 9))  # a second person
    yield engine
    teardown()


def _rows(engine, stmt) -> list[tuple]:
    with engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(stmt))


def _stored(engine) -> dict[str, list[tuple]]:
    out = {}
    for figure, table in aggregates.TABLES.items():
        cols = ["version_id", *figure.key, "value", "recorded_at", "batch_id", "known_from", "known_until"]
        out[table.__tablename__] = _rows(engine, select(*[getattr(table, c) for c in cols]))
    return out


def test_the_kpi_reads_use_the_aggregate_and_give_the_hand_computed_figures(story):
    with story.connect() as conn:
        assert aggregates.ready(conn) == {versions.PROGRESS, versions.MEMBERSHIP}
    sql = str(queries.facts(story, 2023, D(2023, 6, 30)).compile(story))
    assert "progress_known" in sql and "membership_known" in sql and "row_number" not in sql.lower()
    expected = {D(2023, 1, 20): 19, D(2023, 1, 21): 23, D(2023, 1, 24): 23, D(2023, 1, 25): 21,
                D(2023, 6, 30): 27, D(2023, 7, 1): 30, D(2023, 7, 2): 27}
    assert {day: overview_actual(story, "T01", day) for day in expected} == expected
    assert overview_actual(story, "T11", D(2023, 6, 2)) == 65
    assert overview_actual(story, "T11", D(2023, 6, 3)) == 67
    assert overview_actual(story, "T01", D(2023, 7, 1), units=[B]) == 3


def _moments() -> list[versions.Moment]:
    days = [D(2022, 12, 30) + dt.timedelta(days=i) for i in range(0, 200)]
    exact = [T(2023, 1, 21, 10), T(2023, 1, 21, 9, 59, 59), T(2023, 1, 25, 9), T(2023, 1, 25, 8, 59),
             T(2023, 1, 14, 9), T(2023, 1, 16, 9), T(2023, 6, 30, 12), T(2023, 7, 1, 9), T(2023, 7, 2, 9),
             T(2023, 7, 2, 8, 59, 59), T(2023, 6, 3, 9), T(2023, 2, 3, 9)]
    return [*days, *exact]


@pytest.mark.parametrize("figure", [versions.PROGRESS, versions.MEMBERSHIP], ids=["progress", "membership"])
def test_aggregate_equals_raw_at_every_moment(story, figure):
    t = figure.table
    keys = ["id", *figure.key, "value", "recorded_at", "batch_id"]
    compared = 0
    for moment in _moments():
        for where in [(), (t.unit_code.in_([A]),)]:
            raw = versions.latest(figure, moment, *where)
            agg = aggregates.latest(figure, moment, *where)
            got = _rows(story, select(*[agg.c[k] for k in keys]))
            assert got == _rows(story, select(*[raw.c[k] for k in keys])), (moment, where)
            compared += len(got)
    assert compared > 0


def test_maintained_equals_rebuilt(story):
    maintained = _stored(story)
    with story.connect() as conn:
        assert aggregates.check(conn) == {"progress_known": 0, "membership_known": 0}
    # T01 A 24-30 June: 6 from 30 June 10:00 to 1 July 09:00, 9 until 2 July 09:00, 6 again from then
    week = sorted((r for r in maintained["progress_known"] if r[3] == D(2023, 6, 24)), key=lambda r: r[8])
    assert [(r[5], r[8], r[9]) for r in week] == [(6.0, T(2023, 6, 30, 10), T(2023, 7, 1, 9)),
                                                 (9.0, T(2023, 7, 1, 9), T(2023, 7, 2, 9)),
                                                 (6.0, T(2023, 7, 2, 9), None)]
    with story.begin() as conn:
        aggregates.rebuild(conn)
    assert _stored(story) == maintained


def test_a_database_without_a_rebuild_reads_the_raw_versions(tiny):
    with tiny.connect() as conn:
        assert aggregates.ready(conn) == set()
    sql = str(queries.facts(tiny, 2023, D(2023, 1, 20)).compile(tiny))
    assert "progress_known" not in sql
    assert overview_actual(tiny, "T01", D(2023, 1, 20)) == 19
    # an approval while the aggregate is not complete writes none of it
    reviewing.review(tiny, 1, "approve", reviewer=reviewer(), now=T(2023, 1, 21, 10))
    assert _rows(tiny, select(ProgressKnown.id)) == []
    assert overview_actual(tiny, "T01", D(2023, 1, 21)) == 23


def test_the_rebuild_and_check_commands(tiny_url, capsys):
    assert cli_main(["--url", tiny_url, "aggregates", "check"]) == 2
    assert "汇总表尚未建立" in capsys.readouterr().err
    assert cli_main(["--url", tiny_url, "aggregates", "rebuild"]) == 0
    out = capsys.readouterr().out
    assert "汇总表已重建" in out and "progress_known 6 行" in out and "membership_known 4 行" in out
    assert cli_main(["--url", tiny_url, "aggregates", "check"]) == 0
    assert "汇总表与原始数据一致" in capsys.readouterr().out
    from data_access.db import make_engine

    eng = make_engine(tiny_url)
    with eng.begin() as conn:
        conn.execute(delete(ProgressKnown).where(ProgressKnown.value == 9))
    eng.dispose()
    assert cli_main(["--url", tiny_url, "aggregates", "check"]) == 2
    assert "progress_known 1 行不同" in capsys.readouterr().err
