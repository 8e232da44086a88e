"""Query and KPI functions on the hand-built dataset (tests/tiny_data.py), on SQLite and PostgreSQL.

Every expected figure is worked out by hand from the rows in tiny_data.py.
"""
import datetime as dt

import pandas as pd
import pytest

from data_access.kpis import tables, queries
from tests.conftest import _engine_for
from tests.tiny_data import A, B

D = dt.date


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def empty_engine(request, tmp_path):
    """Here the queries also run on MariaDB (supported because it costs nothing extra)."""
    engine, teardown = _engine_for(request.param, tmp_path)
    yield engine
    teardown()


def by_target(df):
    return df.groupby("target_code")["actual"].sum().to_dict()


def test_as_of_keeps_latest_known_version_and_approved_batches(tiny):
    # 13 Jan: A 5 + 7 (correction not yet made); B 3 (late but known); B's batch approved 14 Jan.
    p = queries.progress_by_unit(tiny, 2023, D(2023, 1, 13))
    t01 = p[p.target_code == "T01"].set_index("unit_code")["actual"].to_dict()
    assert t01 == {A: 12.0, B: 3.0}
    # 16 Jan: the correction (9) replaces the 7; B's approved batch adds 2.
    p = queries.progress_by_unit(tiny, 2023, D(2023, 1, 16))
    assert p[p.target_code == "T01"].set_index("unit_code")["actual"].to_dict() == {A: 14.0, B: 5.0}
    # 20 Jan: A's pending batch stays hidden.
    p = queries.progress_by_unit(tiny, 2023, D(2023, 1, 20))
    assert by_target(p)["T01"] == 19.0


def test_late_report_unknown_before_it_arrived(tiny):
    # B's first week was reported on 9 Jan: as of 8 Jan only A's 5 is known.
    p = queries.progress_by_unit(tiny, 2023, D(2023, 1, 8))
    assert by_target(p)["T01"] == 5.0


def test_registry_counts(tiny):
    p = by_target(queries.progress_by_unit(tiny, 2023, D(2023, 1, 13)))
    # care stations built (新建) in 2023 by 13 Jan: #2, #3 (A); #4 recorded only on 14 Jan
    assert p["T07"] == 2.0
    assert p["T06"] == 1.0  # childcare #5
    assert p["T09"] == 2.0  # orgs founded 3 and 11 Jan; the 2022 one does not count
    assert "T11" not in p  # January not complete on 13 Jan
    p = by_target(queries.progress_by_unit(tiny, 2023, D(2023, 1, 16)))
    assert p["T07"] == 3.0  # #2, #3 (built, closed on 15 Jan: still built) and #4, now known
    p = by_target(queries.progress_by_unit(tiny, 2023, D(2023, 1, 31)))
    assert p["T11"] == 50.0  # 30 + 20, December 2022 excluded
    p = by_target(queries.progress_by_unit(tiny, 2023, D(2023, 2, 3)))
    assert p["T11"] == 55.0  # correction 30 -> 35


def test_unit_filter(tiny):
    p = by_target(queries.progress_by_unit(tiny, 2023, D(2023, 1, 16), units=[B]))
    assert p == {"T01": 5.0, "T06": 1.0, "T07": 1.0, "T09": 1.0}


def test_map_points_equal_target_counts(tiny):
    # the map shows 现有 (standing); T07 counts 新建: #3 (opened 10 Jan, closed 15 Jan) stays in it
    for day, closed_new in ((D(2023, 1, 13), 0), (D(2023, 1, 16), 1)):
        pts = queries.facility_points(tiny, 2023, day)
        prog = by_target(queries.progress_by_unit(tiny, 2023, day))
        assert pts[(pts.kind == "care_station") & pts.is_new].shape[0] + closed_new == prog["T07"]
        counts = queries.facility_counts(tiny, 2023, day)
        assert counts[counts.kind == "care_station"]["new_this_year"].sum() + closed_new == prog["T07"]
        assert counts[counts.kind == "care_station"]["built_this_year"].sum() == prog["T07"]
    pts = queries.facility_points(tiny, 2023, D(2023, 1, 16))
    assert sorted(pts["id"]) == [1, 2, 4, 5]  # #3 closed on 15 Jan
    assert set(pts.columns) == set(queries.FACILITY_COLUMNS)


def test_progress_by_day_sums_to_totals(tiny):
    day = queries.progress_by_day(tiny, 2023, D(2023, 2, 3))
    totals = day.groupby("target_code")["value"].sum().to_dict()
    assert totals == by_target(queries.progress_by_unit(tiny, 2023, D(2023, 2, 3)))
    t11 = day[day.target_code == "T11"]
    assert list(t11["day"]) == [D(2023, 1, 31)]  # membership is dated at month end


def test_progress_by_day_for_chosen_targets_equals_their_rows_of_all(tiny):
    # facts() reads only the asked targets' measures (and ranks only their reports): same rows
    day, units = D(2023, 2, 3), (A,)
    for scope in (None, units):
        every = queries.progress_by_day(tiny, 2023, day, scope)
        for codes in (["T01"], ["T07"], ["T09"], ["T11"], ["T01", "T11"], ["T06", "T07", "T09"]):
            chosen = queries.progress_by_day(tiny, 2023, day, scope, target_codes=codes)
            expected = every[every["target_code"].isin(codes)].reset_index(drop=True)
            pd.testing.assert_frame_equal(chosen, expected)
        assert queries.progress_by_day(tiny, 2023, day, scope, target_codes=["T99"]).empty


def test_target_overview_city(tiny):
    ov = tables.target_overview(tiny, 2023, D(2023, 1, 16)).set_index("target_code")
    t01 = ov.loc["T01"]
    assert t01["target"] == 100 and t01["actual"] == 19
    # Monday 16 Jan: a weekly target runs to Friday 13 Jan, day 13 of 365
    assert t01["runs_to"] == D(2023, 1, 13)
    assert t01["fraction"] == pytest.approx(13 / 365)
    assert t01["expected"] == pytest.approx(100 * 13 / 365)
    assert t01["status"] == "超序时"
    # as known on 9 Jan: A 5, B 3 (reported late, on the morning of 9 Jan)
    assert t01["actual_week_ago"] == 8 and t01["change_week"] == 11
    # the week after 13 Jan: 81 left × 7/352 of the year still ahead = 1.61, up to 2 场次
    assert t01["required_weekly"] == 2 and not t01["done"]
    assert ov.loc["T07", "runs_to"] == D(2023, 1, 16)  # a registry count runs to the as-of date
    assert ov.loc["T11", "runs_to"] is None  # January is not over: no month has closed
    assert ov.loc["T06", "expected"] == 0.0  # childcare curve expects nothing before June


def test_forecast_is_the_result_once_the_year_is_over(tiny):
    ov = tables.target_overview(tiny, 2023, D(2023, 12, 31)).set_index("target_code")
    t01 = ov.loc["T01"]
    # the year is over: its result (19 of 100: 未达成, 19% achieved), no forecast, no weekly need
    assert t01["actual"] == 19 and t01["completion"] == pytest.approx(0.19)
    assert pd.isna(t01["forecast"]) and pd.isna(t01["forecast_low"]) and pd.isna(t01["forecast_high"])
    assert pd.isna(t01["required_weekly"]) and t01["final"]
    assert t01["fraction"] == 1.0 and t01["status"] == "未达成"


def test_target_overview_counties_use_allocations(tiny):
    ov = tables.target_overview(tiny, 2023, D(2023, 1, 16), units=[B]).set_index("target_code")
    assert ov.loc["T01", "target"] == 40 and ov.loc["T01", "actual"] == 5
    assert ov.loc["T07", "target"] == 4 and ov.loc["T07", "actual"] == 1


def test_unit_breakdown_and_rank(tiny):
    ub = tables.unit_breakdown(tiny, 2023, D(2023, 1, 16), target_code="T01")
    rows = ub.set_index("unit_code")
    assert rows.loc[A, "allocation"] == 60 and rows.loc[A, "actual"] == 14
    assert rows.loc[B, "completion"] == pytest.approx(5 / 40)
    assert rows.loc[A, "rank"] == 1 and rows.loc[B, "rank"] == 2  # 14/60 > 5/40


def test_cumulative_series(tiny):
    s = tables.cumulative_series(tiny, 2023, D(2023, 1, 16), "T01").set_index("day")
    assert s.loc[D(2023, 1, 6), "actual_cum"] == 8  # A 5 + B 3 (both known by 16 Jan)
    assert s.loc[D(2023, 1, 13), "actual_cum"] == 19
    assert s.loc[D(2023, 12, 31), "expected_cum"] == pytest.approx(100)
    assert pd.isna(s.loc[D(2023, 1, 31), "actual_cum"])  # nothing is known after as_of


def test_as_of_after_year_end_counts_only_the_plan_year(tiny):
    # A report corrected after the year closed is known from that day on; periods stay in 2023.
    from sqlalchemy import insert

    from data_access.schema import models as m

    with tiny.begin() as conn:
        conn.execute(insert(m.ProgressReport), [dict(
            target_id=1, unit_code=A, period_start=D(2023, 1, 1), period_end=D(2023, 1, 6), value=6,
            reporter="x", recorded_at=dt.datetime(2024, 1, 3, 9), batch_id=None)])
        conn.execute(insert(m.UnionOrg), [dict(
            name="次年工会", unit_code=A, founded_on=D(2024, 1, 2), sector="企业", is_new_economy=False,
            industry=None, platform=None, members_at_founding=5,
            recorded_at=dt.datetime(2024, 1, 2, 12), batch_id=None)])
    year_end = by_target(queries.progress_by_unit(tiny, 2023, D(2023, 12, 31)))
    later = by_target(queries.progress_by_unit(tiny, 2023, D(2024, 1, 5)))
    assert later["T01"] - year_end["T01"] == 1  # 5 -> 6 for A's first week
    assert later["T09"] == year_end["T09"] == 2  # the 2024 union is not a 2023 result
    assert queries.latest_report_date(tiny, 2023) == D(2024, 1, 3)


def test_zero_target_has_no_status_and_is_not_counted(tiny):
    # 市总本级 has no allocation in tiny: its figures exist but it is neither ahead nor behind.
    ov = tables.target_overview(tiny, 2023, D(2023, 1, 16), units=["410400"])
    assert ov["target"].eq(0).all() and ov["status"].isna().all()
    assert tables.status_counts(ov) == {"超序时": 0, "达序时": 0, "滞后序时": 0, "total": 0}
    city = tables.status_counts(tables.target_overview(tiny, 2023, D(2023, 1, 16)))
    # T11 (monthly) has no month closed on 16 Jan: 尚无数据, counted in the total only
    assert city == {"超序时": 4, "达序时": 0, "滞后序时": 0, "total": 5}


def test_week_change_in_the_first_week_counts_from_zero(tiny):
    ov = tables.target_overview(tiny, 2023, D(2023, 1, 6)).set_index("target_code")
    assert ov.loc["T01", "actual_week_ago"] == 0 and ov.loc["T01", "change_week"] == 5


def test_empty_unit_scope_reads_nothing(tiny):
    assert queries.progress_by_unit(tiny, 2023, D(2023, 1, 16), units=()).empty
    assert queries.facility_points(tiny, 2023, D(2023, 1, 16), units=()).empty
    ov = tables.target_overview(tiny, 2023, D(2023, 1, 16), units=())
    assert ov["actual"].eq(0).all() and ov["target"].eq(0).all()


def test_default_date_counts_approvals_and_registries(tiny):
    from sqlalchemy import update

    from data_access.schema import models as m

    # The latest figure known is a registry row: the membership correction recorded on 3 Feb.
    assert queries.latest_report_date(tiny, 2023) == D(2023, 2, 3)
    # A's pending batch (uploaded 20 Jan) approved on 10 Feb becomes known that day.
    with tiny.begin() as conn:
        conn.execute(update(m.ImportBatch).where(m.ImportBatch.id == 1).values(
            status=m.BATCH_APPROVED, reviewed_at=dt.datetime(2023, 2, 10, 9)))
    assert queries.latest_report_date(tiny, 2023) == D(2023, 2, 10)
    assert by_target(queries.progress_by_unit(tiny, 2023, D(2023, 2, 10)))["T01"] == 23.0  # 19 + 4


def test_withdrawal_does_not_rewrite_the_past(tiny):
    from sqlalchemy import update

    from data_access.schema import models as m

    with tiny.begin() as conn:  # B's approved batch (2 events) withdrawn on 20 Jan at 10:00
        conn.execute(update(m.ImportBatch).where(m.ImportBatch.id == 2).values(
            status=m.BATCH_WITHDRAWN, withdrawn_at=dt.datetime(2023, 1, 20, 10)))
    b = lambda day: queries.progress_by_unit(tiny, 2023, day).query("target_code == 'T01'").set_index(  # noqa: E731
        "unit_code")["actual"].get(B)
    assert b(D(2023, 1, 16)) == 5.0  # as known on 16 Jan: still counted
    assert b(D(2023, 1, 19)) == 5.0
    assert b(D(2023, 1, 20)) == 3.0  # from the day of the withdrawal on: gone


def test_reference_queries(tiny):
    # the latest figure known: the membership correction of 3 Feb (A's 20 Jan week is pending)
    assert queries.latest_report_date(tiny) == D(2023, 2, 3)
    assert queries.dataset_info(tiny) == {"dataset": "test"}
    assert list(queries.units(tiny)["code"]) == [A, B, "410400"]
    assert queries.plan_year_bounds(tiny, 2023) == (D(2023, 1, 1), D(2023, 12, 31))
    ms = queries.milestones(tiny, 2023)
    assert ms.loc[0, "due_date"] == D(2023, 5, 30) and ms.loc[0, "status"] == "done"
    tg = queries.targets(tiny, 2023).set_index("target_code")
    assert tg.loc["T06", "pace_curve"][6] == 0.75


def test_every_measure_has_its_one_source_of_facts():
    """Each measure of the schema is registered once, in queries.FACT_PARTS: a measure added to
    MEASURES without a source is caught here, not by a figure that silently reads zero."""
    from data_access.schema.models import MEASURES

    assert set(queries.FACT_PARTS) == set(MEASURES)


def test_a_target_of_an_unregistered_measure_is_refused_not_zero(tiny):
    from sqlalchemy import update

    from data_access.errors import DataAccessError
    from data_access.schema.models import Target

    with tiny.begin() as conn:
        conn.execute(update(Target).where(Target.code == "T01").values(measure="registry:new_kind"))
    with pytest.raises(DataAccessError, match="registry:new_kind"):
        tables.target_overview(tiny, 2023, dt.date(2023, 6, 30), None)
