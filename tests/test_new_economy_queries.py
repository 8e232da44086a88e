"""data_access/new_economy.py on the hand-built fixture (tests/ne_fixture.py), SQLite and PostgreSQL,
and on the committed sample (the seed's 45万 and 372, the deliberate 舞钢市 jump)."""
import datetime as dt

import pytest

from data_access.kpis import anomaly, tables
from data_access.kpis import new_economy as ne
from data_access.db import make_engine
from tests.ne_fixture import AS_OF, EXPECTED, load_ne
from tests.tiny_data import A, B

D = dt.date
Y0, Y_MAR = D(2023, 1, 1), D(2023, 3, 1)


@pytest.fixture
def fx(engine):
    load_ne(engine)
    return engine


def as_dict(df, key, value="new_members"):
    return dict(zip(df[key], df[value]))


def test_monthly_by_industry(fx):
    df = ne.members(fx, AS_OF, by=("month", "industry"), since=Y0)
    months = [D(2023, 1, 1), D(2023, 2, 1), D(2023, 3, 1)]
    for industry, values in EXPECTED["monthly"].items():
        got = as_dict(df[df["industry"] == industry], "month")
        assert [got.get(m, 0) for m in months] == values, industry
    assert list(ne.members(fx, AS_OF, by=("month",), since=Y0)["new_members"]) == EXPECTED["monthly_total"]


def test_this_year_total_equals_t11_of_the_overview(fx):
    for units in (None, [A], [B]):
        ov = tables.target_overview(fx, 2023, AS_OF, units).set_index("target_code")
        assert ne.members_total(fx, AS_OF, units, since=Y0) == ov.loc["T11", "actual"]
    assert ne.members_total(fx, AS_OF, since=Y0) == EXPECTED["t11"]


def test_as_of_versions_and_late_rows(fx):
    # 28 Feb: February recorded on 2 Mar is unknown; January carries the 3 Feb correction (35).
    assert ne.members_total(fx, D(2023, 2, 28), since=Y0) == 55
    assert ne.members_total(fx, D(2023, 2, 2), since=Y0) == 50  # before the correction: 30 + 20
    assert ne.members_total(fx, D(2023, 3, 30), since=Y0) == 375  # March not complete yet
    assert ne.members_total(fx, AS_OF, until_month=D(2023, 2, 1), since=Y0) == 375


def test_cumulative_total_and_earlier_readings(fx):
    assert ne.members_total(fx, AS_OF) == EXPECTED["cumulative"]
    assert ne.members_total(fx, D(2023, 3, 24)) == EXPECTED["cumulative"] - EXPECTED["cumulative_week"]
    assert ne.members_total(fx, D(2023, 2, 28)) == EXPECTED["cumulative"] - EXPECTED["cumulative_month"]
    assert ne.members_total(fx, D(2022, 3, 31)) == EXPECTED["cumulative_year_ago"]


def test_breakdowns_and_last_year(fx):
    assert as_dict(ne.members(fx, AS_OF, by=("industry",), since=Y0), "industry") == EXPECTED["by_industry"]
    assert as_dict(ne.members(fx, AS_OF, by=("platform",), since=Y0), "platform") == EXPECTED["by_platform"]
    assert as_dict(ne.members(fx, AS_OF, by=("unit_code",), since=Y0), "unit_code") == {A: 375, B: 65}
    last = ne.members(fx, AS_OF, by=("industry",), since=D(2022, 1, 1), until_month=D(2022, 3, 1))
    assert as_dict(last, "industry") == EXPECTED["last_year"]
    ci = ne.members(fx, AS_OF, [B], by=("unit_code", "industry"), since=Y0)
    assert as_dict(ci, "industry") == {"快递": 35, "网约车": 5, "家政服务": 25}


def test_federation_mapping_in_sql(fx):
    cum = ne.members(fx, AS_OF, by=("federation",))
    assert as_dict(cum, "federation") == {f: v[1] for f, v in EXPECTED["federations"].items()}
    assert set(ne.INDUSTRY_FEDERATION.values()) == set(ne.FEDERATIONS)


def test_orgs_in_the_field(fx):
    assert ne.orgs_total(fx, AS_OF) == EXPECTED["orgs"]  # #12 is in a pending batch
    assert ne.orgs_total(fx, D(2023, 3, 24)) == EXPECTED["orgs_week"]
    assert ne.orgs_total(fx, D(2023, 3, 28)) == 4  # #11 founded 27 Mar, recorded only on 29 Mar
    assert ne.orgs_total(fx, D(2022, 3, 31)) == EXPECTED["orgs_year_ago"]
    assert ne.orgs_total(fx, AS_OF, [B]) == 3  # #3, #11, #13
    by_fed = ne.orgs(fx, AS_OF, by=("federation",)).set_index("federation")
    assert by_fed["orgs"].to_dict() == {f: v[0] for f, v in EXPECTED["federations"].items() if v[0]}
    assert by_fed.loc["物流与电商", "members_at_founding"] == 32  # 20 + 12


def test_orgs_by_month(fx):
    df = ne.orgs(fx, AS_OF, by=("month", "federation"), founded_since=Y0)
    got = {(r.month, r.federation): r.orgs for r in df.itertuples()}
    months = [D(2023, 1, 1), D(2023, 2, 1), Y_MAR]
    for fed, values in EXPECTED["founded"].items():
        assert [got.get((m, fed), 0) for m in months] == values
    assert list(df.columns) == ["month", "federation", "orgs", "members_at_founding"]


def test_flags_on_fixture(fx):
    judged = anomaly.flag_jumps(ne.members(fx, AS_OF, by=("unit_code", "month")))
    hit = judged[judged["flagged"]]
    month, unit, intake, base = EXPECTED["flag"]
    assert list(zip(hit["month"], hit["unit_code"], hit["new_members"], hit["baseline"])) == \
        [(month, unit, intake, base)]


def test_unknown_grouping_refused(fx):
    with pytest.raises(ValueError):
        ne.members(fx, AS_OF, by=("county",))


# --- the committed sample ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample(sample_db_url):
    eng = make_engine(sample_db_url)
    yield eng
    eng.dispose()


def test_sample_seed_figures(sample):
    # The seed's 45万 as known on 26 March 2023: every month through February (March's are recorded
    # on 31 March), 450,000; with March's 958, 450,958 on 31 March.
    assert ne.members_total(sample, D(2023, 3, 26)) == 450_000
    assert ne.members_total(sample, D(2023, 3, 31)) == 450_958
    # The seed: 372 new-economy union organisations as known on 26 March 2023.
    assert ne.orgs_total(sample, D(2023, 3, 26)) == 372
    founded_by_26 = ne.orgs(sample, D(2023, 3, 31), by=("month",))
    march = ne.orgs(sample, D(2023, 3, 31), founded_since=D(2023, 3, 27))["orgs"].iloc[0]
    assert int(founded_by_26["orgs"].sum()) - int(march) == 372


def test_sample_flags_wugang_september(sample):
    judged = anomaly.flag_jumps(ne.members(sample, D(2023, 12, 31), by=("unit_code", "month")))
    hits = set(zip(judged.loc[judged["flagged"], "unit_code"], judged.loc[judged["flagged"], "month"]))
    assert ("410481", D(2023, 9, 1)) in hits  # 舞钢市, the deliberate bulk entry
    assert hits == {("410481", D(2023, 9, 1)), ("410411", D(2023, 6, 1))}  # and 湛河区's in June
