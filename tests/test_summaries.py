"""The facts pre-summed as known now (kpis.summaries, kpis.summary_writer): read only while current
and while K knows every change; kept current by every batch change on SQLite and PostgreSQL (left
behind on MariaDB until a refresh); left behind by a plan edit; carried along by an account change;
and always the same figures as the versions (compared with the versions read directly, and with
figures worked out by hand).

The story is test_aggregates.py's (tiny_data; see its doc), told through the product's commit,
review and withdraw. As known now at its end, T01 city-wide:
  as of 20 Jan: A 5 + 9 (7 corrected) + A's 4 (batch 1, approved 21 Jan) + B 3 (B's 2 withdrawn) = 21
  as of 2 July: 21 + A's 6 for 24-30 June (its 9 withdrawn, its 11 never approved) = 27
T11 (membership, A Jan 35, B Jan 20, A May 10 corrected to 12): as of 30 June 35 + 20 + 12 = 67.
"""
from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select, update

from data_access import data_version
from data_access.accounts import users
from data_access.cli.main import main as cli_main
from data_access.kpis import queries, summaries, summary_writer, tables
from data_access.plan import allocations
from data_access.reporting import commit as committing
from data_access.reporting import review as reviewing
from data_access.schema.summaries import FactSum, SummaryState
from tests.helpers import D, FACILITY_HEAD, MEMBER_HEAD, frow, prow, xlsx
from tests.people import admin, reporter, reviewer
from tests.tiny_data import A, B

T = dt.datetime
NOW = T(2026, 12, 2, 12)  # K = now: after every change of the story
MAY = ("2023-05", "外卖配送", "美团")
DAYS = [D(2023, 1, 6), D(2023, 1, 13), D(2023, 1, 20), D(2023, 1, 21), D(2023, 3, 31), D(2023, 5, 31),
        D(2023, 6, 1), D(2023, 6, 29), D(2023, 6, 30), D(2023, 7, 2), D(2023, 12, 31), D(2024, 3, 1)]
SCOPES = [None, [A], [B], []]


def mrow(value: int) -> list:
    return [A, "", MAY[0], MAY[1], MAY[2], value]


@contextlib.contextmanager
def from_the_versions() -> Iterator[None]:
    """Read as if the sums were not there (the readers' other branch), to compare with."""
    real = summaries.usable
    summaries.usable = lambda conn, known_at: False  # type: ignore[assignment]
    try:
        yield
    finally:
        summaries.usable = real  # type: ignore[assignment]


def usable(engine, known_at=NOW) -> bool:
    with engine.connect() as conn:
        return summaries.usable(conn, known_at)


def figures(engine) -> dict:
    """Every read the sums serve, as known now: per unit, per day, the overview's actual and week
    ago (K - 7 reads the versions when a change came in the last week), 最新填报日期."""
    out: dict = {}
    for day in DAYS:
        for units in SCOPES:
            key = (day, None if units is None else tuple(units))
            with queries.known_by(NOW):
                out[("unit",) + key] = queries.progress_by_unit(engine, 2023, day, units).to_dict("records")
                out[("day",) + key] = queries.progress_by_day(engine, 2023, day, units).to_dict("records")
            ov = tables.target_overview(engine, 2023, day, units, known=NOW)
            cols = ov[["target_code", "actual", "actual_week_ago", "forecast"]]
            out[("overview",) + key] = cols.astype(object).where(cols.notna(), None).to_dict("records")
        out[("latest", day)] = tables.latest_known_day(engine, 2023, day, known=NOW)
    out["by_year"] = queries.latest_by_year(engine)
    out["report_date"] = queries.latest_report_date(engine, 2023)
    return out


def same_as_the_versions(engine) -> None:
    assert usable(engine)
    summed = figures(engine)
    with from_the_versions():
        raw = figures(engine)
    assert summed == raw
    with engine.connect() as conn:
        assert summary_writer.check(conn) == {"fact_sums": 0, "fact_weeks": 0, "fact_city_days": 0, "known_days": 0}


def t01(engine, day: dt.date, units=None) -> float:
    ov = tables.target_overview(engine, 2023, day, units, known=NOW).set_index("target_code")
    return float(ov.loc["T01", "actual"])


def kept(engine) -> None:
    """After a batch change: current on SQLite and PostgreSQL; on MariaDB behind until a refresh."""
    if engine.dialect.name in ("mysql", "mariadb"):
        assert not usable(engine)
        assert summary_writer.refresh(engine) is True
    with engine.connect() as conn:
        assert summaries.usable(conn, NOW), summaries.state(conn)


@pytest.fixture
def built(tiny):
    with tiny.begin() as conn:
        written = summary_writer.rebuild_all(conn)
    assert written["fact_sums"] > 0 and written["known_days"] > 0
    return tiny


def test_the_story_keeps_them_current_and_equal_to_the_versions(built):
    engine = built
    same_as_the_versions(engine)
    me = reporter("新华填报员", A)
    reviewing.review(engine, 1, "approve", reviewer=reviewer(), now=T(2023, 1, 21, 10))
    kept(engine)
    reviewing.withdraw(engine, 2, user=admin(), now=T(2023, 1, 25, 9))  # a request: nothing changes yet
    kept(engine)
    reviewing.review(engine, 2, "approve", reviewer=reviewer(), now=T(2023, 1, 25, 9))
    kept(engine)
    same_as_the_versions(engine)
    committing.commit(engine, xlsx([mrow(10)], MEMBER_HEAD, "新业态入会"), "m10.xlsx", actor=me.username,
                      now=T(2023, 6, 1, 10), approver=admin())
    fix = committing.commit(engine, xlsx([mrow(12)], MEMBER_HEAD, "新业态入会"), "m12.xlsx",
                            actor=me.username, now=T(2023, 6, 2, 10))
    kept(engine)
    reviewing.review(engine, fix.batch_id, "approve", reviewer=reviewer(), now=T(2023, 6, 3, 9))
    kept(engine)
    before_station = float(tables.target_overview(engine, 2023, D(2023, 6, 30), known=NOW)
                           .set_index("target_code").loc["T07", "actual"])
    committing.commit(engine, xlsx([frow()], FACILITY_HEAD, "设施登记"), "f.xlsx", actor=me.username,
                      now=T(2023, 6, 30, 11), approver=admin())
    kept(engine)
    after_station = float(tables.target_overview(engine, 2023, D(2023, 6, 30), known=NOW)
                          .set_index("target_code").loc["T07", "actual"])
    assert after_station == before_station + 1  # the station opened on 1 June counts from its approval
    committing.commit(engine, xlsx([prow(value=6)]), "six.xlsx", actor=me.username,
                      now=T(2023, 6, 30, 10), approver=admin())
    nine = committing.commit(engine, xlsx([prow(value=9, note="更正")]), "nine.xlsx", actor=me.username,
                             now=T(2023, 6, 30, 12))
    committing.commit(engine, xlsx([prow(value=11)]), "eleven.xlsx", actor=me.username, now=T(2023, 6, 30, 14))
    kept(engine)
    reviewing.review(engine, nine.batch_id, "approve", reviewer=reviewer(), now=T(2023, 7, 1, 9))
    kept(engine)
    assert t01(engine, D(2023, 7, 2)) == 30  # the 9 counts now
    reviewing.withdraw(engine, nine.batch_id, user=admin(), now=T(2023, 7, 2, 9))
    reviewing.review(engine, nine.batch_id, "approve", reviewer=reviewer(), now=T(2023, 7, 2, 9))
    kept(engine)
    same_as_the_versions(engine)
    assert t01(engine, D(2023, 1, 20)) == 21
    assert t01(engine, D(2023, 7, 2)) == 27
    assert t01(engine, D(2023, 7, 2), [B]) == 3
    ov = tables.target_overview(engine, 2023, D(2023, 6, 30), known=NOW).set_index("target_code")
    assert ov.loc["T11", "actual"] == 67
    with engine.connect() as conn:
        assert summaries.state(conn)[1] == T(2023, 7, 2, 9)  # valid_from: the last withdrawal


def test_a_knowledge_date_before_the_last_change_reads_the_versions(built):
    engine = built
    with engine.connect() as conn:
        assert summaries.state(conn)[1] == T(2023, 2, 3, 9)  # tiny's last change: T11's correction
    reviewing.review(engine, 1, "approve", reviewer=reviewer(), now=T(2023, 3, 1, 10))
    kept(engine)
    assert usable(engine, T(2023, 3, 1, 10)) and usable(engine, D(2023, 3, 1))
    assert not usable(engine, T(2023, 3, 1, 9, 59, 59)) and not usable(engine, D(2023, 2, 28))
    sql = str(queries.facts(engine, 2023, D(2023, 3, 1)).compile(engine))  # K = the end of 1 March
    assert "fact_city_days" in sql
    sql = str(queries.facts(engine, 2023, D(2023, 2, 28)).compile(engine))  # K = the end of 28 Feb
    assert "fact_city_days" not in sql and "fact_sums" not in sql
    # as known on 28 Feb the 4 was pending: 19; from its approval on 1 March: 23 (the sums' answer)
    ov = tables.target_overview(engine, 2023, D(2023, 2, 28)).set_index("target_code")
    assert ov.loc["T01", "actual"] == 19
    ov = tables.target_overview(engine, 2023, D(2023, 3, 1)).set_index("target_code")
    assert ov.loc["T01", "actual"] == 23


def test_an_account_change_carries_them_and_a_plan_edit_leaves_them_behind(built):
    engine = built
    with engine.connect() as conn:
        version = data_version.read(conn)
    users.create_user(engine, admin(), "newbie", "leader", password="Correct-Horse-9-Battery")
    with engine.connect() as conn:
        assert data_version.read(conn) == version + 1  # the version moved (caches re-read) ...
    assert usable(engine)  # ... and the sums came along: an account changes no figure
    assert allocations.set_allocation(engine, admin(), 2023, "T01", A, 61.0)
    assert not usable(engine)  # a plan edit is not followed: read from the versions ...
    assert t01(engine, D(2023, 1, 20)) == 19
    assert summary_writer.refresh(engine) is True  # ... until the refresh (the warming runs it)
    assert summary_writer.refresh(engine) is False  # current: nothing to do
    same_as_the_versions(engine)


def test_a_pending_upload_keeps_them_and_changes_no_sum(built):
    engine = built
    with engine.connect() as conn:
        rows = conn.execute(select(func.count(), func.sum(FactSum.value))).one()
    committing.commit(engine, xlsx([prow(value=99)]), "p.xlsx", actor="新华填报员", now=T(2023, 6, 30, 10))
    if engine.dialect.name not in ("mysql", "mariadb"):
        assert usable(engine)
    with engine.connect() as conn:
        assert conn.execute(select(func.count(), func.sum(FactSum.value))).one() == rows


def test_a_rebuild_of_the_aggregates_alone_leaves_them_behind(built):
    from data_access.kpis import aggregates

    with built.begin() as conn:
        aggregates.rebuild(conn)  # after a write by hand, which no audit entry announced
    assert not usable(built)


def test_the_commands_rebuild_and_check_them(tiny_url, capsys):
    assert cli_main(["--url", tiny_url, "aggregates", "rebuild"]) == 0
    out = capsys.readouterr().out
    assert "fact_sums" in out and "known_days" in out
    assert cli_main(["--url", tiny_url, "aggregates", "check"]) == 0
    assert "汇总表与原始数据一致。" in capsys.readouterr().out
    from data_access.db import make_engine

    engine = make_engine(tiny_url)
    with engine.begin() as conn:  # a sum changed behind the product's back
        conn.execute(update(FactSum).where(FactSum.unit_code == A).values(value=FactSum.value + 1))
    assert cli_main(["--url", tiny_url, "aggregates", "check"]) == 2
    assert "fact_sums" in capsys.readouterr().err
    with engine.begin() as conn:
        conn.execute(update(SummaryState).values(version=-1))
    assert cli_main(["--url", tiny_url, "aggregates", "check"]) == 0
    assert "预汇总表落后于最新改动" in capsys.readouterr().out
    engine.dispose()


def test_the_sample_reads_them_and_gives_the_seed_figures(sample_copy_url):
    from data_access.db import make_engine

    engine = make_engine(sample_copy_url)
    assert usable(engine)
    assert t01(engine, D(2023, 12, 31)) == 1040  # sample_data/README.md
    with from_the_versions():
        assert t01(engine, D(2023, 12, 31)) == 1040
    assert queries.latest_by_year(engine) == {2023: D(2023, 12, 31)}
    engine.dispose()
