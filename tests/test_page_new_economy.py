"""The new-economy page under AppTest: every chart's figures read back from the plotly specs and
compared with the hand-computed values of tests/ne_fixture.py; on the committed sample, the
headline figures against the seed's (372 organisations, 45万 members in March 2023, 13,745 new
members in 2023) and against tests/sample_expectations.py (plain pandas on the CSV files); the
舞钢市 flag on the sample."""
import base64
import datetime as dt

import numpy as np
import pytest

from data_access.present import fmt
from data_access.schema import migrate
from data_access.db import make_engine
from tests import sample_expectations as E
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


def test_cumulative_against_pace_and_forecast(at):
    spec = traces(plotly_specs(at)[1])
    actual = dict(zip(spec["实际累计"]["x"], values(spec["实际累计"]["y"])))
    assert actual == {"2023-01-01": 0, "2023-01-31": 55, "2023-02-28": 375, "2023-03-31": 440}
    pace = dict(zip(spec["序时进度"]["x"], values(spec["序时进度"]["y"])))
    assert pace["2023-03-31"] == pytest.approx(1000 * 90 / 365)
    assert pace["2023-12-31"] == pytest.approx(1000)
    # Forecast: the run rate carried to 31 Dec, 440 × 365/90 = 1784.4. The range looks at the
    # 8 weekly checkpoints 10 Feb … 31 Mar, each done-by-then × 365 / days-by-then (a month counts
    # on its last day): highest 3 Mar, 375 × 365/62 = 2207.7; lowest 24 Feb, 55 × 365/55 = 365,
    # which is below what is already done, so the range starts at the 440 done.
    assert values(spec["年末预测"]["y"]) == pytest.approx([440, 440 * 365 / 90])
    band = values(spec["年末预测区间"]["y"])
    assert band == pytest.approx([440, 375 * 365 / 62, 440, 440])


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
    {"as_of": "2023-06-30"},
    {"as_of": "2023-06-30", "county": "410423"},
    {"as_of": "2023-06-30", "county": "410423,410481"},
])
def test_t11_headline_against_the_csv(sample_db_url, params):
    at = page(sample_db_url, **params)
    as_of = dt.date.fromisoformat(params["as_of"])
    units = tuple(params["county"].split(",")) if "county" in params else None
    done = E.done("T11", as_of, units)  # months of 2023 complete by as_of, from ne_membership.csv
    head = {x.label: x for x in at.metric}["本年新发展新业态会员"]
    assert head.value == fmt.number(done, "人", "zh")
    assert head.proto.help == f"精确值：{done:,.0f}"  # the exact figure, not only the rounded 万
    line = [md.value for md in at.markdown if md.value.startswith("目标")][0]
    assert line.startswith(f"目标 {fmt.number(E.target_value('T11', units), '人', 'zh')}，")


def test_t11_on_30_june_by_hand(sample_db_url):
    """City, 鲁山县 and 鲁山县 + 舞钢市 on 30 June (Jan–Jun complete), the figures as literals."""
    cases = {None: ("6,633人", "目标 1.5万人，序时进度 7,438人，完成率 44.2%"),   # 15000 × 181/365; 6633/15000
             "410423": ("639人", "目标 1,710人，序时进度 848人，完成率 37.4%"),   # 1710 × 181/365 = 848.0
             "410423,410481": ("1,204人", "目标 2,900人，序时进度 1,438人，完成率 41.5%")}
    for county, (value, target) in cases.items():
        params = {"as_of": "2023-06-30"} | ({"county": county} if county else {})
        at = page(sample_db_url, **params)
        assert {x.label: x for x in at.metric}["本年新发展新业态会员"].value == value, county
        line = [md.value for md in at.markdown if md.value.startswith("目标")][0]
        assert line.startswith(target) and line.endswith(":red-badge[▼ 滞后序时]"), county
    assert E.done("T11", dt.date(2023, 6, 30)) == 6633
    assert E.done("T11", dt.date(2023, 6, 30), ("410423",)) == 639
    assert E.done("T11", dt.date(2023, 6, 30), E.TWO) == 1204


def test_year_end_t11_missed(sample_db_url):
    """The seed's year end: 13,745 of 15,000 new-economy members, missed."""
    at = page(sample_db_url, as_of="2023-12-31")
    head = {x.label: x for x in at.metric}["本年新发展新业态会员"]
    assert (head.value, head.proto.help) == ("1.37万人", "精确值：13,745")
    assert E.done("T11", dt.date(2023, 12, 31)) == 13745
    line = [md.value for md in at.markdown if md.value.startswith("目标")][0]
    # 31 December: the year's result (#13), 13745/15000 = 91.6% < 100%: 未达成
    assert line == "目标 1.5万人，序时进度 1.5万人，完成率 91.6%\u3000:red-badge[✖ 未达成]"
    orgs = {x.label: x for x in at.metric}["新业态领域工会组织"]
    assert orgs.proto.help == f"精确值：{E.ne_orgs_in_field(dt.date(2023, 12, 31))}"


def test_seed_372_organisations_on_26_march(sample_db_url):
    at = page(sample_db_url, as_of="2023-03-26")
    orgs = {x.label: x for x in at.metric}["新业态领域工会组织"]
    assert (orgs.value, orgs.proto.help) == ("372个", "精确值：372")
    assert E.ne_orgs_in_field(dt.date(2023, 3, 26)) == 372
    # one day earlier the registry knew fewer: the 26 March founding(s) or their recording count
    assert E.ne_orgs_in_field(dt.date(2023, 3, 25)) < 372


def test_seed_45_wan_members_at_the_end_of_march(sample_db_url):
    """Every month 2019-01..2023-03 complete on 31 March: 450,000 through February (the seed's 45万)
    and March's 958: 450,958, 45.1万 (one decimal of 万)."""
    at = page(sample_db_url, as_of="2023-03-31")
    cum = {x.label: x for x in at.metric}["新业态会员累计"]
    assert (cum.value, cum.proto.help) == ("45.1万人", "精确值：450,958")
    assert E.ne_members_cumulative(dt.date(2023, 3, 31)) == 450958


def test_seed_45_wan_members_on_26_march(sample_db_url):
    """The seed's 45万 on its date: months 2019-01..2023-02, complete and recorded by 26 March."""
    at = page(sample_db_url, as_of="2023-03-26")
    cum = {x.label: x for x in at.metric}["新业态会员累计"]
    assert (cum.value, cum.proto.help) == ("45万人", "精确值：450,000")
    assert E.ne_members_cumulative(dt.date(2023, 3, 26)) == 450000


def test_sample_breakdowns_against_the_csv(sample_db_url):
    """City-wide on 30 June: the bars by industry, platform and county add up the 2023 months
    Jan–Jun of ne_membership.csv; the county × industry table too."""
    at = page(sample_db_url, as_of="2023-06-30")
    rows = E.ne_members_rows(dt.date(2023, 6, 30), since=dt.date(2023, 1, 1))
    assert rows["new_members"].sum() == 6633
    specs = plotly_specs(at)
    for idx, col, name in ((2, "industry", "按行业"), (3, "platform", "按平台/品牌")):
        bar = traces(specs[idx])[name]
        want = rows.groupby(col)["new_members"].sum()
        assert dict(zip(bar["y"], values(bar["x"]))) == want[want > 0].to_dict(), col
    names = E.unit_names()
    by_unit = rows.groupby("unit_code")["new_members"].sum().rename(index=names)
    bar = traces(specs[4])["按区县"]
    assert dict(zip(bar["y"], values(bar["x"]))) == by_unit[by_unit > 0].to_dict()
    tables = {tuple(d.value.columns)[0]: d.value for d in at.dataframe}
    ci = tables["区县"].set_index("区县")
    assert ci.loc["合计", "合计"] == 6633
    assert ci.loc["鲁山县", "合计"] == 639 == E.done("T11", dt.date(2023, 6, 30), (E.LUSHAN,))


def test_sample_in_english(sample_db_url):
    at = page(sample_db_url, as_of="2023-06-30", county="410423,410481", lang="en")
    m = {x.label: x for x in at.metric}
    assert m["New new-economy members this year"].value == "1,204 people"
    assert m["New-economy members to date"].value == \
        f"{E.ne_members_cumulative(dt.date(2023, 6, 30), E.TWO):,} people"
    assert m["Union organisations in the field"].value == \
        f"{E.ne_orgs_in_field(dt.date(2023, 6, 30), E.TWO)} groups"
    line = [md.value for md in at.markdown if md.value.startswith("Target")][0]
    assert line.startswith("Target 2,900 people; expected by now 1,438 people; 41.5% done")


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


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_city_level_alone_opens(sample_db_url, lang):
    """市总本级 (410400) alone: no T11 target there (status None, NaN under pandas 3); the page opens."""
    at = open_page(sample_db_url, "new_economy.py", {"as_of": "2023-06-30", "county": "410400", "lang": lang})
    assert "nan" not in "\n".join(m.value for m in at.markdown).lower().replace("finance", "")


def test_month_change_on_30_june_is_june_alone(sample_db_url):
    """较上月 on 30 June (a 30-day month) against the end of the previous calendar month, 31 May:
    June's new-economy members alone, 1,344 (ne_membership.csv, 2023-06 rows), not May + June
    (1,449 + 1,344 = 2,793, what 30 May against 30 June gave: on 30 May, May was not complete)."""
    at = page(sample_db_url, as_of="2023-06-30")
    m = {x.label: x for x in at.metric}
    captions = [c.value for c in at.caption]
    assert E.done("T11", dt.date(2023, 6, 30)) - E.done("T11", dt.date(2023, 5, 31)) == 1344
    assert m["本年新发展新业态会员"].value == "6,633人"
    assert sum("较上月 +1,344人" in c for c in captions) == 2, captions
    assert not [c for c in captions if "2,793" in c]


def test_month_earlier_ends_a_month_at_the_previous_month_end():
    from dashboard.views import new_economy as view

    D = dt.date
    assert view.month_earlier(D(2023, 6, 30)) == D(2023, 5, 31)
    assert view.month_earlier(D(2023, 4, 30)) == D(2023, 3, 31)
    assert view.month_earlier(D(2023, 2, 28)) == D(2023, 1, 31)
    assert view.month_earlier(D(2023, 3, 31)) == D(2023, 2, 28)
    assert view.month_earlier(D(2023, 6, 29)) == D(2023, 5, 29)
    assert view.month_earlier(D(2023, 1, 15)) == D(2022, 12, 15)
