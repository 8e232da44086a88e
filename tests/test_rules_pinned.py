"""Each KPI rule pinned where a quiet change would otherwise pass the whole suite: the year-end
final status, "a week ago" (the briefing's 本周变化 against the sum of 各单位本周变化 on the 2023
sample), a facility on its closing day, a union on its founding day, what an empty county scope
means, and a bad setting's message.
"""
import datetime as dt

import pytest
from sqlalchemy import insert, select

from data_access import settings
from data_access.db import make_engine
from data_access.kpis import calendar, metrics, new_economy, queries, registry, scope, tables
from data_access.meeting import briefing
from data_access.schema import models as m
from tests.tiny_data import A, B

D = dt.date
T = dt.datetime


# ---------------------------------------------------------------------------------------------
# the year-end final status


def test_final_status_has_no_tolerance_band():
    # during the year 96% of the pace is inside the 95% band; at the end of the year it is behind
    assert metrics.pace_status(96, 100) == metrics.STATUS_ON_PACE
    assert metrics.pace_status(96, 100, final=True) == metrics.STATUS_BEHIND
    assert metrics.pace_status(100, 100, final=True) == metrics.STATUS_ON_PACE
    assert metrics.pace_status(106, 100, final=True) == metrics.STATUS_AHEAD
    # once the year is over the status is its result: 达成 / 未达成, short by any amount is 未达成
    assert tables.status_for(99.9, 100, 100, fraction=1.0) == metrics.STATUS_MISSED
    assert tables.status_for(100, 100, 100, fraction=1.0) == metrics.STATUS_MET
    assert tables.status_for(99.9, 100, 100, fraction=0.999) == metrics.STATUS_ON_PACE
    assert tables.status_for(0, 0, 0, fraction=1.0) is None  # no target: no status
    # a plan curve at 100% before December (T06 in September) is not the end of the year
    assert tables.status_for(99.9, 100, 100, fraction=1.0, final=False) == metrics.STATUS_ON_PACE


def test_target_short_of_its_value_on_31_december_is_behind(tiny):
    # tiny's T01 (target 100) stands at 19 all year; 77 more in the last full week makes 96.
    with tiny.begin() as conn:
        conn.execute(insert(m.ProgressReport), [dict(
            target_id=1, unit_code=A, period_start=D(2023, 12, 23), period_end=D(2023, 12, 29), value=77,
            reporter="x", recorded_at=T(2023, 12, 29, 17), batch_id=None)])

    def t01(day):
        return tables.target_overview(tiny, 2023, day).set_index("target_code").loc["T01"]

    before = t01(D(2023, 12, 30))  # runs to Fri 29 Dec, 363/365 expected: 96 is 96.5% of 99.45, on pace
    assert before["actual"] == 96 and before["fraction"] < 1
    assert before["status"] == metrics.STATUS_ON_PACE
    last = t01(D(2023, 12, 31))  # the whole target expected: short of it is final: 未达成
    assert last["fraction"] == 1 and last["expected"] == 100 and last["pace_ratio"] == pytest.approx(0.96)
    assert last["status"] == metrics.STATUS_MISSED and last["completion"] == pytest.approx(0.96)
    counts = tables.status_counts(tables.target_overview(tiny, 2023, D(2023, 12, 31)), metrics.ALL_STATUSES)
    assert counts[metrics.STATUS_MISSED] >= 1 and counts[metrics.STATUS_BEHIND] == 0
    # the units against their own allocations follow the same rule (B: 5 of 40; A: 91 of 60)
    b = tables.unit_breakdown(tiny, 2023, D(2023, 12, 31), target_code="T01").set_index("unit_code")
    assert b.loc[B, "status"] == metrics.STATUS_MISSED and b.loc[A, "status"] == metrics.STATUS_MET


# ---------------------------------------------------------------------------------------------
# a week ago, on the 2023 sample

SAMPLE_DAYS = [D(2023, 3, 26), D(2023, 6, 29), D(2023, 6, 30), D(2023, 12, 31)]  # Sun, Thu, Fri, year end


@pytest.fixture(scope="module")
def sample(sample_db_url):
    engine = make_engine(sample_db_url)
    yield engine
    engine.dispose()


@pytest.mark.parametrize("day", SAMPLE_DAYS, ids=str)
def test_week_change_adds_up_over_units(sample, day):
    """本周变化 per target (the KPI table's actual - actual_week_ago) equals the sum over units of
    各单位本周变化 and of the units' own actuals a week apart (unit_breakdown)."""
    b = briefing.build_briefing(sample, 2023, day, with_decisions=False)
    changes = b.changes.set_index("target_code")["change"]
    by_unit = b.county_changes.groupby("target_code")["change"].sum().reindex(changes.index).fillna(0.0)
    assert by_unit.to_dict() == pytest.approx(changes.to_dict()), f"本周变化 vs 各单位本周变化 on {day}"
    now = tables.unit_breakdown(sample, 2023, day).groupby("target_code")["actual"].sum()
    ago = tables.unit_breakdown(sample, 2023, calendar.week_ago(day)).groupby("target_code")["actual"].sum()
    from_units = (now - ago.reindex(now.index).fillna(0.0)).reindex(changes.index).fillna(0.0)
    assert from_units.to_dict() == pytest.approx(changes.to_dict())
    assert changes["T09"] > 0  # new unions every week of the sample: the case the issue found


def test_week_ago_is_what_was_known_seven_days_before(sample):
    day = D(2023, 6, 30)
    ov = tables.target_overview(sample, 2023, day).set_index("target_code")
    seven_days = tables.target_overview(sample, 2023, D(2023, 6, 23)).set_index("target_code")
    assert ov["actual_week_ago"].to_dict() == pytest.approx(seven_days["actual"].to_dict())
    assert (ov["change_week"] == ov["actual"] - ov["actual_week_ago"]).all()
    assert briefing.week_start(day) == D(2023, 6, 24)


# ---------------------------------------------------------------------------------------------
# registries: standing on a date (tiny: care station #3 of A opened 10 Jan, closed 15 Jan)


def _t07(engine, day):
    p = queries.progress_by_unit(engine, 2023, day)
    return p.loc[p["target_code"] == "T07"].set_index("unit_code")["actual"].to_dict()


def test_care_station_is_not_standing_on_its_closing_day(tiny):
    def points(day):
        return set(queries.facility_points(tiny, 2023, day, kinds=(m.FACILITY_CARE_STATION,))["id"])

    assert 3 in points(D(2023, 1, 14))  # the day before it closes
    assert 3 not in points(D(2023, 1, 15))  # its closing day
    assert _t07(tiny, D(2023, 1, 14)) == {A: 2.0, B: 1.0}
    # T07 counts 新建 (built in the year): #3 was built on 10 Jan and stays counted once closed
    assert _t07(tiny, D(2023, 1, 15)) == {A: 2.0, B: 1.0}
    assert _t07(tiny, D(2023, 12, 31)) == {A: 2.0, B: 1.0}
    counts = queries.facility_counts(tiny, 2023, D(2023, 1, 15))
    a = counts[(counts["unit_code"] == A) & (counts["kind"] == m.FACILITY_CARE_STATION)].iloc[0]
    assert (a["total"], a["new_this_year"]) == (2, 1)  # #1 (2022) and #2


def test_one_clause_for_every_facility_reader(tiny):
    """The map's points and its counts are the same set of rows (现有) on each day; T07 (新建) is
    their new ones plus the new ones closed since (#3 of A, from its closing day 15 Jan on)."""
    for day in (D(2023, 1, 9), D(2023, 1, 13), D(2023, 1, 14), D(2023, 1, 15), D(2023, 1, 16)):
        pts = queries.facility_points(tiny, 2023, day, kinds=(m.FACILITY_CARE_STATION,))
        new = pts[pts["is_new"]].groupby("unit_code").size().astype(float).to_dict()
        closed_new = {A: 1.0} if day >= D(2023, 1, 15) else {}
        built = {u: new.get(u, 0.0) + closed_new.get(u, 0.0) for u in {*new, *closed_new}}
        assert built == _t07(tiny, day), day
        with tiny.connect() as conn:
            built_ids = set(conn.execute(select(m.Facility.id).where(registry.built_facility_filter(
                m.FACILITY_CARE_STATION, day, None, D(2023, 1, 1), D(2023, 12, 31)))).scalars())
        assert built_ids == set(pts.loc[pts["is_new"], "id"]) | ({3} if day >= D(2023, 1, 15) else set())
        counts = queries.facility_counts(tiny, 2023, day)
        cs = counts[counts["kind"] == m.FACILITY_CARE_STATION]
        assert int(cs["total"].sum()) == len(pts) and int(cs["new_this_year"].sum()) == sum(new.values())
        with tiny.connect() as conn:
            ids = set(conn.execute(select(m.Facility.id).where(
                registry.facility_filter(m.FACILITY_CARE_STATION, day, None))).scalars())
        assert ids == set(pts["id"])


def test_union_counts_from_its_founding_day(tiny):
    # union #3 (B, new economy) founded and recorded on 11 Jan; #2 (A) on 3 Jan; #1 (A, NE) in 2022
    def t09(day):
        p = queries.progress_by_unit(tiny, 2023, day)
        return p.loc[p["target_code"] == "T09"].set_index("unit_code")["actual"].to_dict()

    assert t09(D(2023, 1, 10)) == {A: 1.0}
    assert t09(D(2023, 1, 11)) == {A: 1.0, B: 1.0}
    assert new_economy.orgs_total(tiny, D(2023, 1, 10)) == 1
    assert new_economy.orgs_total(tiny, D(2023, 1, 11)) == 2
    assert new_economy.orgs_total(tiny, D(2023, 1, 11), [B]) == 1


# ---------------------------------------------------------------------------------------------
# what a county scope means: None the whole city, an empty list nothing


def test_scope_rule():
    assert scope.normalise(None) is scope.WHOLE_CITY is None
    assert scope.normalise([]) == ()
    assert scope.normalise([B, A, B]) == (B, A)
    assert scope.is_whole_city(None) and not scope.is_whole_city(())
    assert scope.includes(None, A) and scope.includes((A,), A)
    assert not scope.includes((), A) and not scope.includes((B,), A)


def test_empty_scope_is_nothing_in_every_reader(tiny):
    day = D(2023, 3, 1)
    assert not queries.progress_by_unit(tiny, 2023, day, None).empty
    assert queries.progress_by_unit(tiny, 2023, day, ()).empty
    assert queries.allocations(tiny, 2023, ()).empty
    assert queries.facility_points(tiny, 2023, day, ()).empty
    assert queries.facility_counts(tiny, 2023, day, ()).empty
    assert new_economy.orgs_total(tiny, day, None) == 2
    assert new_economy.orgs_total(tiny, day, ()) == 0  # not the whole city's 2
    assert new_economy.members_total(tiny, day, ()) == 0
    ov = tables.target_overview(tiny, 2023, day, ())
    assert (ov["actual"] == 0).all() and (ov["target"] == 0).all()
    assert tables.unit_breakdown(tiny, 2023, day, ()).empty
    b = briefing.build_briefing(tiny, 2023, day, (), with_decisions=False)
    assert b.units == () and b.county_changes.empty and b.reporting.empty
    assert (b.changes["actual"] == 0).all()


# ---------------------------------------------------------------------------------------------
# settings


def test_bad_cache_ttl_is_one_chinese_line_naming_it(monkeypatch):
    monkeypatch.setenv("KPI_CACHE_TTL", "2m")
    try:
        with pytest.raises(settings.SettingsError) as err:
            settings.get()
    finally:
        monkeypatch.delenv("KPI_CACHE_TTL")
        settings.reset()
    message = str(err.value)
    assert "\n" not in message and "KPI_CACHE_TTL" in message and "2m" in message
    assert message.startswith("设置 KPI_CACHE_TTL") and "应为整数" in message
    assert err.value.message_zh == message and "KPI_CACHE_TTL" in err.value.message_en
    assert settings.get().cache_ttl == 21600  # the default again once the variable is gone
