"""The new-economy page under AppTest: every chart's figures read back from the plotly specs and
compared with the hand-computed values of tests/ne_fixture.py; the T11 headline against
kpis.target_overview on the sample; the 舞钢市 flag on the sample."""
import base64
import datetime as dt

import numpy as np
import pytest

from data_access.present import fmt
from data_access.kpis import tables as kpis
from data_access.schema import migrate
from data_access.db import make_engine
from tests.apptest_support import open_page, plotly_specs
from tests.ne_fixture import AS_OF, EXPECTED, load_ne
from tests.tiny_data import B

PAGE = "new_economy.py"
MONTHS = ["2023-01-01", "2023-02-01", "2023-03-01"]


@pytest.fixture(scope="module")
def fixture_url(tmp_path_factory):
    path = tmp_path_factory.mktemp("ne") / "ne.sqlite3"
    eng = make_engine(f"sqlite:///{path}")
    migrate.upgrade(eng)
    load_ne(eng)
    eng.dispose()
    return f"sqlite:///{path}"


def values(v):
    """A spec array: a plain list, or plotly's typed-array form {dtype, bdata}."""
    if isinstance(v, dict) and "bdata" in v:
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"])).tolist()
    return list(v)


def traces(spec):
    return {d.get("name"): d for d in spec["data"]}


def page(url, **params):
    return open_page(url, PAGE, {k: str(v) for k, v in params.items()})


@pytest.fixture
def at(fixture_url):
    return page(fixture_url, as_of=AS_OF.isoformat())


def test_headline_figures(at):
    m = {x.label: x for x in at.metric}
    year, cum, orgs = m["本年新发展新业态会员"], m["新业态会员累计"], m["新业态领域工会组织"]
    assert (year.value, year.delta) == ("440人", "+65人")
    assert (cum.value, cum.delta) == ("650人", "+65人")
    assert (orgs.value, orgs.delta) == ("5个", "+1个")
    captions = [c.value for c in at.caption]
    # month changes 385 (Feb recorded on 2 Mar); year on year 440/30 - 1, 650/30 - 1, 5/1 - 1
    assert "较上月 +385人　·　同比 +1366.7%" in captions
    assert "较上月 +385人　·　同比 +2066.7%" in captions
    assert "较上月 +1个　·　同比 +400.0%" in captions
    target_line = [md.value for md in at.markdown if md.value.startswith("目标")]
    # T11 1000; 序时进度 1000 × 90/365 = 246.6 -> 247人; 44% done
    assert target_line and target_line[0].startswith("目标 1,000人，序时进度 247人，完成率 44.0%")
    # sparkline of this year: cumulative by month
    assert [float(v) for v in year.proto.chart_data] == [55.0, 375.0, 440.0]


def test_monthly_chart_by_industry_and_flag(at):
    spec = traces(plotly_specs(at)[0])
    for industry, expected in EXPECTED["monthly"].items():
        assert spec[industry]["x"] == MONTHS
        assert values(spec[industry]["y"]) == expected
    assert values(spec["合计"]["y"]) == EXPECTED["monthly_total"]
    flag = spec["异常"]
    assert flag["x"] == ["2023-02-01"] and flag["text"] == ["异常：新华区"]


def test_cumulative_against_pace_and_forecast(at, fixture_url):
    spec = traces(plotly_specs(at)[1])
    actual = dict(zip(spec["实际累计"]["x"], values(spec["实际累计"]["y"])))
    assert actual == {"2023-01-01": 0, "2023-01-31": 55, "2023-02-28": 375, "2023-03-31": 440}
    pace = dict(zip(spec["序时进度"]["x"], values(spec["序时进度"]["y"])))
    assert pace["2023-03-31"] == pytest.approx(1000 * 90 / 365)
    assert pace["2023-12-31"] == pytest.approx(1000)
    eng = make_engine(fixture_url)
    t11 = kpis.target_overview(eng, 2023, AS_OF).set_index("target_code").loc["T11"]
    eng.dispose()
    assert values(spec["年末预测"]["y"]) == pytest.approx([440, t11["forecast"]])
    band = values(spec["年末预测区间"]["y"])
    assert band == pytest.approx([440, t11["forecast_high"], t11["forecast_low"], 440])


def test_where_it_comes_from(at):
    specs = plotly_specs(at)
    for idx, key, name in ((2, "by_industry", "按行业"), (3, "by_platform", "按平台/品牌")):
        bar = traces(specs[idx])[name]
        assert dict(zip(bar["y"], values(bar["x"]))) == EXPECTED[key]
        assert values(bar["x"]) == sorted(values(bar["x"]), reverse=True)  # largest first
    units = traces(specs[4])["按区县"]
    assert dict(zip(units["y"], values(units["x"]))) == EXPECTED["by_unit"]
    # share and growth on the bars: 外卖配送 335/440 = 76.1%, vs 30 last year: +1016.7%
    industry = traces(specs[2])["按行业"]
    assert industry["text"][0] == "335人 · 76.1% · 同比 +1016.7%"
    assert industry["text"][1] == "40人 · 9.1%"  # nothing last year: no growth rate


def test_tables(at):
    tables = {tuple(d.value.columns)[0]: d.value for d in at.dataframe}
    ci = tables["区县"].set_index("区县")
    assert ci.loc["新华区", "外卖配送"] == 335 and ci.loc["鲁山县", "快递"] == 35
    assert ci.loc["合计", "合计"] == 440
    industry = tables["行业"].set_index("行业")
    assert industry.loc["外卖配送", "占比"] == pytest.approx(335 / 440)
    assert industry.loc["外卖配送", "同比增长"] == pytest.approx(335 / 30 - 1)
    flags = tables["月份"]
    assert flags.iloc[0].tolist() == ["2023年2月", "新华区", 300, 10.0, 30.0]
    fed = tables["行业工会联合会"].set_index("行业工会联合会")
    for name, (orgs, cum, year) in EXPECTED["federations"].items():
        assert (fed.loc[name, "组织数（个）"], fed.loc[name, "累计入会（人）"],
                fed.loc[name, "本年新入会（人）"]) == (orgs, cum, year)
    # every table downloadable: flags, 3 breakdowns, county x industry, federations; CSV + Excel
    assert len(at.get("download_button")) == 2 * 6


def test_orgs_charts(at):
    specs = plotly_specs(at)
    orgs = traces(specs[5])
    for fed, expected in EXPECTED["founded"].items():
        assert values(orgs[fed]["y"]) == expected
    assert values(orgs["组织总数"]["y"]) == EXPECTED["in_field"]
    per_org = traces(specs[6])["每个组织累计入会人数（按行业工会联合会）"]
    assert per_org["y"] == ["物流与电商", "快递", "网约车", "家政服务"]
    assert values(per_org["x"]) == [585 / 2, 35 / 2, 5.0, 0.0]
    assert per_org["text"] == ["292人（2个）", "18人（2个）", "5人（1个）", "—（0个）"]  # 292.5, 17.5 rounded
    # one colour per name across the page's charts
    assert orgs["快递"]["marker"]["color"] == traces(specs[0])["快递"]["marker"]["color"]


def test_county_filter(fixture_url):
    at = page(fixture_url, as_of=AS_OF.isoformat(), county=B)
    m = {x.label: x for x in at.metric}
    assert m["本年新发展新业态会员"].value == "65人"  # B: 20 + 20 + 25
    assert m["新业态领域工会组织"].value == "3个"
    assert [md.value for md in at.markdown if md.value.startswith("目标")][0].startswith("目标 400人")
    assert not [w for w in at.warning if "偏离" in w.value]  # A's jump is not B's
    assert any("没有需要核实" in s.value for s in at.success)


def test_english_and_no_complete_month(fixture_url):
    at = page(fixture_url, as_of="2023-03-31", lang="en")
    m = {x.label: x for x in at.metric}
    assert m["New new-economy members this year"].value == "440 people"
    assert "Food delivery" in traces(plotly_specs(at)[0])
    at = page(fixture_url, as_of="2023-01-13")  # no month of 2023 complete yet
    m = {x.label: x for x in at.metric}
    assert m["本年新发展新业态会员"].value == "0人"
    assert m["新业态领域工会组织"].value == "3个"  # #1, #13 and #3 (11 Jan)


@pytest.mark.parametrize("params", [
    {"as_of": "2023-06-30", "county": "410481"},
    {"as_of": "2023-09-30", "county": "410481,410411"},
    {"as_of": "2023-11-15"},
])
def test_t11_equals_overview_on_sample(sample_db_url, params):
    at = page(sample_db_url, **params)
    eng = make_engine(sample_db_url)
    units = params["county"].split(",") if "county" in params else None
    ov = kpis.target_overview(eng, 2023, dt.date.fromisoformat(params["as_of"]), units)
    eng.dispose()
    actual = ov.set_index("target_code").loc["T11", "actual"]
    head = {x.label: x for x in at.metric}["本年新发展新业态会员"]
    assert head.value == fmt.number(actual, "人", "zh")
    assert head.proto.help == f"精确值：{actual:,.0f}"  # the exact figure, not only the rounded 万


def test_sample_flags_wugang(sample_db_url):
    at = page(sample_db_url, as_of="2023-12-31")
    flag = traces(plotly_specs(at)[0])["异常"]
    assert flag["x"] == ["2023-06-01", "2023-09-01"]
    assert flag["text"] == ["异常：湛河区", "异常：舞钢市"]
    tables = {tuple(d.value.columns)[0]: d.value for d in at.dataframe}
    assert "舞钢市" in set(tables["月份"]["区县"])


def test_pure_shaping_helpers():
    from dashboard.views import new_economy as view

    D = dt.date
    assert view.month_earlier(D(2023, 3, 31)) == D(2023, 2, 28)
    assert view.month_earlier(D(2023, 1, 15)) == D(2022, 12, 15)
    assert view.year_earlier(D(2024, 2, 29)) == D(2023, 2, 28)
    p = view.periods(D(2023, 1, 1), D(2023, 12, 31), D(2023, 10, 15))
    assert (p.until, p.ly_start, p.ly_until) == (D(2023, 9, 1), D(2022, 1, 1), D(2022, 9, 1))
    assert not view.periods(D(2023, 1, 1), D(2023, 12, 31), D(2023, 1, 30)).has_months
    assert view.periods(D(2023, 1, 1), D(2023, 12, 31), D(2024, 2, 1)).until == D(2023, 12, 1)
    import pandas as pd

    b = view.breakdown(pd.DataFrame({"k": ["x", "y"], "new_members": [30, 10]}),
                       pd.DataFrame({"k": ["x", "z"], "new_members": [20, 5]}), "k").set_index("k")
    assert b.loc["x", "share"] == 0.75 and b.loc["x", "growth"] == pytest.approx(0.5)
    assert pd.isna(b.loc["y", "growth"]) and b.loc["z", "new_members"] == 0  # gone this year
