"""The target-detail page under AppTest on the committed sample, read back from the page (the two
plotly specs, the tiles, the ranking table) and compared with figures computed independently:
tests/sample_expectations.py (plain pandas on the CSV files) for what is done and the allocations,
hand-computed literals for 序时进度, the forecast and the status bands. Plus the pure helpers of
dashboard/views/targets.py."""
from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest

from dashboard.views import targets as tv
from data_access.present import exports
from tests import sample_expectations as E
from tests.apptest_support import by_row, open_page, page_text, plotly_specs, trace, values

AS_OF = dt.date(2023, 6, 30)
ICONS = {"超序时": "▲", "达序时": "●", "滞后序时": "▼"}


def linear_share(day: dt.date) -> float:
    """Share of 2023 expected by the end of `day` for a linear target: days since 1 Jan, 1 Jan
    counting as day 1, over 365 (30 June: 181/365)."""
    return ((day - dt.date(2023, 1, 1)).days + 1) / 365


# T07 on 30 June, each unit against its own allocation (allocations.csv) × 181/365; ≥ 1.05 超序时,
# ≥ 0.95 达序时, below 滞后序时. Done and allocation are the oracle's, checked against the page.
T07_UNIT_STATUS = {
    "410404": "超序时",    # 石龙区 1 / (1 × 0.4959) = 2.02
    "410422": "超序时",    # 叶县 6 / 2.975 = 2.02
    "410423": "超序时",    # 鲁山县 5 / 2.975 = 1.68
    "410411": "超序时",    # 湛河区 3 / 1.984 = 1.51
    "410402": "超序时",    # 新华区 3 / 2.479 = 1.21
    "410421": "超序时",    # 宝丰县 3 / 2.479 = 1.21
    "410425": "达序时",    # 郏县 2 / 1.984 = 1.008
    "410481": "达序时",    # 舞钢市 2 / 1.984 = 1.008
    "410472": "达序时",    # 城乡一体化示范区 1 / 0.992 = 1.008
    "410482": "滞后序时",  # 汝州市 3 / 3.471 = 0.864
    "410403": "滞后序时",  # 卫东区 1 / 1.984 = 0.504
    "410471": "滞后序时",  # 高新区 0 / 0.992 = 0
}


def _target_warnings(at) -> list[str]:
    """This page's own warnings (other parts of the app may warn too, e.g. about sign-in)."""
    return [w.value for w in at.warning if "目标代码" in w.value]


def _tiles(at) -> dict[str, str]:
    """{label: value} of the six tiles: 'label<br><span …>value</span>'."""
    out = {}
    for m in at.markdown:
        if "<br><span style='font-size:1.4rem" in m.value:
            label, rest = m.value.split("<br>", 1)
            out[label] = rest.split(">", 1)[1].rsplit("</span>", 1)[0]
    return out


def _days(tr) -> list[dt.date]:
    return [dt.date.fromisoformat(d[:10]) for d in values(tr["x"])]


def _cum_at(steps: pd.Series, day: dt.date) -> float:
    """The oracle's cumulative done at the end of `day` (0 before the first increment)."""
    before = steps[[d <= day for d in steps.index]]
    return float(before.iloc[-1]) if len(before) else 0.0


@pytest.fixture(scope="module")
def t07_city(sample_db_url):
    return open_page(sample_db_url, "targets.py", {"as_of": AS_OF.isoformat(), "target": "T07"})


def test_t07_cumulative_chart_against_the_registry(t07_city):
    at = t07_city
    assert not _target_warnings(at)
    assert at.selectbox(key="tg_pick").value == "T07"
    cum, _units = plotly_specs(at)
    done = trace(cum, "累计完成")
    steps = E.cumulative_steps("T07", AS_OF)
    days = _days(done)
    # Every opening day of a 2023 care station is a point, the line ends on the as-of date, and at
    # each point the height is the number of stations opened by that day.
    assert set(steps.index) <= set(days) and days[-1] == AS_OF and days[0] == dt.date(2023, 1, 1)
    assert values(done["y"]) == pytest.approx([_cum_at(steps, d) for d in days])
    assert values(done["y"])[-1] == 30 == E.done("T07", AS_OF)
    # The pace line: 50 × days/365 at every point, 50 on 31 Dec.
    pace = trace(cum, "序时进度")
    assert values(pace["y"]) == pytest.approx([50 * linear_share(d) for d in _days(pace)])
    assert _days(pace)[-1] == dt.date(2023, 12, 31) and values(pace["y"])[-1] == pytest.approx(50)
    # Forecast: 30 × 365/181 = 60.50. Range over the last 8 weekly checkpoints (5-12 … 6-30) of
    # done-by-then / share-by-then; the lowest is 16 June: 24 stations opened by then (the next
    # opens on 19 June) over 167/365 = 52.46; the highest is 30 June's own 60.50.
    assert values(trace(cum, "年末预测")["y"]) == pytest.approx([30, 30 * 365 / 181])
    assert _cum_at(steps, dt.date(2023, 6, 16)) == 24
    assert values(trace(cum, "预测区间")["y"]) == pytest.approx(
        [30, 30 * 365 / 181, 24 * 365 / 167, 30])
    texts = [a["text"] for a in cum["layout"]["annotations"]]
    assert "6月30日 累计 30家" in texts and "年度目标 50家" in texts
    assert "预测 60家（52–60家）" in texts  # whole stations: 60.497 and 52.455–60.497, one unit
    tiles = _tiles(at)
    assert tiles["完成 / 年度目标"] == "30 / 50家"
    assert tiles["序时进度"] == "25家"            # 50 × 181/365 = 24.79, whole stations
    assert tiles["状态"] == "▲ 超序时"            # 30 / 24.79 = 1.21
    assert tiles["较上周"] == "+2家"              # stations opened 29 June (2); none 24–28 June
    assert E.done("T07", AS_OF) - E.done("T07", AS_OF - dt.timedelta(days=7)) == 2
    assert tiles["每周需完成"] == "1家"         # (50 - 30) / (184/7) = 0.76, rounded up to whole stations (#13; was 0.8家)
    assert at.query_params["target"] == "T07"


def test_t07_forecast_tile_shows_the_range_not_markup(t07_city):
    tile = _tiles(t07_city)["年末预测（区间）"]
    assert tile.startswith("60家") and "&lt;" not in tile and "52–60家" in tile


def test_forecast_tile_in_english_shows_the_range_not_markup(sample_db_url):
    at = open_page(sample_db_url, "targets.py", {"as_of": AS_OF.isoformat(), "target": "T07", "lang": "en"})
    (tile,) = [m.value for m in at.markdown if m.value.startswith("Year-end forecast (range)<br>")]
    assert "&lt;" not in tile and "52–60 stations</span>" in tile


def test_t07_units_each_against_own_allocation_and_ranking(t07_city):
    at = t07_city
    _, units = plotly_specs(at)
    names = E.unit_names()
    # The units with a T07 allocation (市总本级 has none and built none).
    alloc = E.csv("allocations")
    codes = list(alloc.loc[alloc["target_code"] == "T07", "unit_code"])
    assert len(codes) == 12 and "410400" not in codes
    want = E.per_unit("T07", AS_OF, codes)
    want["completion"] = want["done"] / want["allocation"]
    want["rank"] = want["completion"].rank(ascending=False, method="min").astype(int)  # 1 = best
    shares = by_row(units, "actual")
    assert set(shares) == set(codes)
    assert shares == pytest.approx(want["completion"].to_dict())
    ranks = by_row(units, "rank", "text")
    assert ranks == {u: f"第{r}名" for u, r in want["rank"].items()}
    assert ranks["410404"] == ranks["410422"] == "第1名"  # 石龙区 1/1 and 叶县 6/6 share the top
    assert ranks["410471"] == "第12名"                   # 高新区 0/2
    assert by_row(units, "status", "text") == {u: f"{ICONS[s]} {s}" for u, s in T07_UNIT_STATUS.items()}
    assert by_row(units, "done", "text")["410423"] == "5 / 6家"
    assert values(trace(units, "actual")["y"])[0] in ("410404", "410422")  # best rank on top
    ranking = at.dataframe[0].value
    assert list(ranking.columns[:4]) == ["排名", "单位", "完成（家）", "分配任务（家）"]
    assert list(ranking["排名"]) == sorted(want["rank"])
    by_name = ranking.set_index("单位")
    for code, r in want.iterrows():
        assert by_name.loc[names[code], "完成（家）"] == r["done"], code
        assert by_name.loc[names[code], "分配任务（家）"] == r["allocation"], code
        assert by_name.loc[names[code], "排名"] == r["rank"], code
        assert by_name.loc[names[code], "状态"] == T07_UNIT_STATUS[code], code
    # The series table: the chart's points with 2-decimal amounts; 30 June: 30 done, 24.79 expected.
    series = at.dataframe[1].value.set_index("日期")
    assert series.loc[AS_OF, "累计完成"] == 30 and series.loc[AS_OF, "序时进度"] == 24.79
    # Downloads: the ranking and the chart's series, each as CSV and Excel.
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["下载 CSV", "下载 Excel", "下载 CSV", "下载 Excel"]


def test_t01_seasonal_pace_line_city(sample_db_url):
    at = open_page(sample_db_url, "targets.py", {"as_of": AS_OF.isoformat(), "target": "T01"})
    cum, units = plotly_specs(at)
    pace = dict(zip(_days(trace(cum, "序时进度")), values(trace(cum, "序时进度")["y"])))
    # 1000 × the curve's month-end share (targets.csv: 0.12, 0.18, 0.24, … 0.52, … 1.0).
    assert pace[dt.date(2023, 1, 31)] == pytest.approx(120)
    assert pace[dt.date(2023, 3, 31)] == pytest.approx(240)
    assert pace[dt.date(2023, 6, 30)] == pytest.approx(520)
    assert pace[dt.date(2023, 9, 30)] == pytest.approx(710)
    assert pace[dt.date(2023, 12, 31)] == pytest.approx(1000)
    # Inside a month it is interpolated: 1 Jan = 0.12 × 1/31 of 1000 = 3.87.
    assert pace[dt.date(2023, 1, 1)] == pytest.approx(120 / 31)
    done = trace(cum, "累计完成")
    steps = E.cumulative_steps("T01", AS_OF)
    assert values(done["y"]) == pytest.approx([_cum_at(steps, d) for d in _days(done)])
    assert values(done["y"])[-1] == 529
    tiles = _tiles(at)
    assert tiles["完成 / 年度目标"] == "529 / 1,000场次" and tiles["序时进度"] == "520场次"
    assert tiles["状态"] == "● 达序时"  # 529 / 520 = 1.017
    # 市总本级 has 20 of T01 (the city federation's own events): it is a row here.
    shares = by_row(units, "actual")
    assert "410400" in shares
    assert shares["410400"] == pytest.approx(E.done("T01", AS_OF, ("410400",)) / 20)


def test_county_filter_uses_the_county_allocation(sample_db_url):
    at = open_page(sample_db_url, "targets.py",
                   {"as_of": AS_OF.isoformat(), "target": "T10", "county": E.LUSHAN})
    cum, units = plotly_specs(at)
    assert E.target_value("T10", (E.LUSHAN,)) == 17100  # allocations.csv T10,410423
    pace = trace(cum, "序时进度")
    assert values(pace["y"])[-1] == pytest.approx(17100)  # pace ends at the county's allocation
    assert values(pace["y"]) == pytest.approx([17100 * linear_share(d) for d in _days(pace)])
    done = trace(cum, "累计完成")
    steps = E.cumulative_steps("T10", AS_OF, (E.LUSHAN,))
    assert values(done["y"]) == pytest.approx([_cum_at(steps, d) for d in _days(done)])
    assert values(done["y"])[-1] == 7558 == E.done("T10", AS_OF, (E.LUSHAN,))
    assert values(trace(units, "actual")["y"]) == [E.LUSHAN]
    tiles = _tiles(at)
    assert tiles["完成 / 年度目标"] == "7,558 / 1.71万人"
    assert tiles["序时进度"] == "8,480人"      # 17100 × 181/365 = 8479.7
    assert tiles["状态"] == "▼ 滞后序时"       # 7558 / 8479.7 = 0.891
    assert tiles["较上周"] == "+177人"         # 7558 - 7381 (the report of 17–23 June)
    assert tiles["每周需完成"] == "364人"      # (17100 - 7558) / (184/7) = 363.01, rounded up (#13; was 363人)
    # 人 in 万 on the axis, which plotly cannot write itself.
    assert any("万人" in t for t in cum["layout"]["yaxis"]["ticktext"])


@pytest.mark.parametrize("as_of, point, done", [
    # 鲁山县's T10 report for 27 May – 2 June came late, on 6 June (63), and was corrected on
    # 13 June (45: "原报63含重复统计，核减为45"). Up to 26 May it had 6,217.
    ("2023-06-05", None, 6217),   # not known yet: no point on 2 June, the line ends at 6,217
    ("2023-06-06", 6280, 6280),   # known from its recording day: 6217 + 63
    ("2023-06-12", 6280, 6786),   # + the 3–9 June report (recorded 10 June); still the 63
    ("2023-06-13", 6262, 6768),   # the correction replaces it: 6217 + 45; 6786 - 63 + 45
])
def test_late_report_and_correction_by_the_day(sample_db_url, as_of, point, done):
    at = open_page(sample_db_url, "targets.py", {"as_of": as_of, "target": "T10", "county": E.LUSHAN})
    day = dt.date.fromisoformat(as_of)
    assert E.done("T10", day, (E.LUSHAN,)) == done
    series = at.dataframe[1].value.set_index("日期")
    assert series.loc[dt.date(2023, 5, 26), "累计完成"] == 6217
    if point is None:
        assert dt.date(2023, 6, 2) not in series.index
    else:
        assert series.loc[dt.date(2023, 6, 2), "累计完成"] == point
    assert series.loc[day, "累计完成"] == done
    assert _tiles(at)["完成 / 年度目标"] == f"{done:,} / 1.71万人"
    cum, _units = plotly_specs(at)
    assert values(trace(cum, "累计完成")["y"])[-1] == done


def test_two_counties_in_english(sample_db_url):
    at = open_page(sample_db_url, "targets.py", {"as_of": AS_OF.isoformat(), "target": "T07",
                                                 "county": ",".join(E.TWO), "lang": "en"})
    cum, units = plotly_specs(at)
    assert E.target_value("T07", E.TWO) == 10 and E.done("T07", AS_OF, E.TWO) == 7
    done = trace(cum, "Done (cumulative)")
    steps = E.cumulative_steps("T07", AS_OF, E.TWO)
    assert values(done["y"]) == pytest.approx([_cum_at(steps, d) for d in _days(done)])
    assert values(trace(cum, "Expected to date")["y"])[-1] == pytest.approx(10)
    assert by_row(units, "done", "text") == {"410423": "5 / 6 stations", "410481": "2 / 4 stations"}
    assert by_row(units, "status", "text") == {"410423": "▲ Ahead of pace",  # 5 / 2.975 = 1.68
                                               "410481": "● On pace"}  # 2 / 1.984 = 1.008
    assert by_row(units, "rank", "text") == {"410423": "#1", "410481": "#2"}  # 83% before 50%
    tiles = _tiles(at)
    assert tiles["Done / annual target"] == "7 / 10 stations"
    assert tiles["Expected to date"] == "5 stations"  # 10 × 181/365 = 4.96
    assert tiles["Status"] == "▲ Ahead of pace"       # 7 / 4.96 = 1.41
    texts = [a["text"] for a in cum["layout"]["annotations"]]
    assert "7 stations by 30 Jun" in texts and "Annual target 10 stations" in texts
    ranking = at.dataframe[0].value
    assert list(ranking["Unit"]) == ["Lushan County", "Wugang (county-level city)"]
    assert list(ranking["Done (stations)"]) == [5, 2]


def test_invalid_target_warns_in_chinese_and_falls_back(sample_db_url):
    at = open_page(sample_db_url, "targets.py", {"as_of": AS_OF.isoformat(), "target": "T99"})
    (warning,) = _target_warnings(at)
    assert warning == "链接中的目标代码“T99”不存在，已显示T01 群众性文化活动（千场文化活动进基层）。"
    assert at.selectbox(key="tg_pick").value == "T01"
    assert at.query_params["target"] == "T01"
    assert len(plotly_specs(at)) == 2


def test_picker_writes_the_link(sample_db_url):
    at = open_page(sample_db_url, "targets.py", {"as_of": AS_OF.isoformat(), "target": "T07"})
    at.selectbox(key="tg_pick").select("T03").run()
    assert not at.exception
    assert at.query_params["target"] == "T03"
    assert at.selectbox(key="tg_pick").value == "T03"
    assert "6,000人" in page_text(at)  # T03's annual target
    assert _tiles(at)["完成 / 年度目标"] == "3,119 / 6,000人"
    assert E.done("T03", AS_OF) == 3119


# --- pure helpers -----------------------------------------------------------------------------


def test_resolve_target():
    codes = ["T01", "T02", "T07"]
    assert tv.resolve_target("T07", codes) == ("T07", True)
    assert tv.resolve_target(" t07 ", codes) == ("T07", True)
    assert tv.resolve_target(None, codes) == ("T01", True)
    assert tv.resolve_target(None, codes, current="T02") == ("T02", True)
    assert tv.resolve_target("T99", codes) == ("T01", False)
    assert tv.resolve_target("T99", codes, current="T02") == ("T02", False)


def _ub():
    return pd.DataFrame([
        dict(target_code="T07", unit_code="A", unit_name_zh="甲区", unit_name_en="A district",
             allocation=4.0, actual=1.0, expected=2.0, completion=0.25, pace_ratio=0.5,
             status="滞后序时", required_weekly=0.115, gap=1.0, rank=2),
        dict(target_code="T07", unit_code="B", unit_name_zh="乙县", unit_name_en="B county",
             allocation=2.0, actual=2.0, expected=1.0, completion=1.0, pace_ratio=2.0,
             status="超序时", required_weekly=0.0, gap=-1.0, rank=1),
        dict(target_code="T07", unit_code="C", unit_name_zh="市总本级", unit_name_en="City",
             allocation=0.0, actual=1.0, expected=0.0, completion=None, pace_ratio=None,
             status="超序时", required_weekly=0.0, gap=-1.0, rank=pd.NA),
    ]).astype({"rank": "Int64"})


def test_unit_rows_and_ranking_by_hand():
    rows = tv.unit_bullet_table(_ub(), "家", "zh")
    assert list(rows["row_id"]) == ["B", "A", "C"]  # by rank, the unranked last
    assert list(rows["actual_share"]) == [1.0, 0.25, 0.0]
    assert list(rows["done"]) == ["2 / 2家", "1 / 4家", "1 / 0家"]
    assert list(rows["rank"]) == ["第1名", "第2名", "—"]
    assert rows["bar_labels"].iloc[2] == "无分配任务"
    table = tv.ranking_table(_ub(), "家", "zh")
    assert list(table.columns) == ["排名", "单位", "完成（家）", "分配任务（家）", "完成率（%）",
                                   "序时进度（家）", "状态", "每周需完成（家）"]
    assert table.iloc[0].tolist()[:7] == [1, "乙县", 2.0, 2.0, 100.0, 1.0, "超序时"]
    assert table.iloc[1]["每周需完成（家）"] == 0.125  # 0.115 a week: shown as 1 every 8 weeks
    assert pd.isna(table.iloc[2]["排名"]) and table.iloc[2]["状态"] == "—"
    en = tv.ranking_table(_ub(), "家", "en")
    assert list(en.columns[:3]) == ["Rank", "Unit", "Done (units)"]


def test_download_files_open_in_chinese():
    table = tv.ranking_table(_ub(), "家", "zh")
    csv = exports.csv_bytes(table)
    assert csv.startswith(b"\xef\xbb\xbf")  # utf-8-sig: Excel reads the Chinese headers
    back = pd.read_csv(io.BytesIO(csv), encoding="utf-8-sig")
    assert list(back.columns) == list(table.columns) and back["单位"].tolist() == ["乙县", "甲区", "市总本级"]
    xlsx = pd.read_excel(io.BytesIO(exports.xlsx_bytes({"排名": table})), sheet_name="排名")
    assert xlsx["完成（家）"].tolist() == [2.0, 1.0, 1.0]


def test_series_table_headers():
    series = pd.DataFrame({"day": [dt.date(2023, 1, 1)], "actual_cum": [1.234], "expected_cum": [2.345]})
    assert tv.series_table(series, "zh").iloc[0].tolist() == [dt.date(2023, 1, 1), 1.23, 2.35]
    assert list(tv.series_table(series, "zh").columns) == ["日期", "累计完成", "序时进度"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_city_level_alone_opens_every_target(sample_db_url, lang):
    """市总本级 (410400) alone: T03–T11 have no target there (status None, NaN under pandas 3);
    every target's page still opens, and nothing reads 'nan'."""
    for i in range(1, 12):
        at = open_page(sample_db_url, "targets.py", {"as_of": AS_OF.isoformat(), "county": "410400",
                                                     "target": f"T{i:02d}", "lang": lang})
        assert not _target_warnings(at)
        assert "nan" not in page_text(at).lower().replace("finance", ""), f"T{i:02d}"


@pytest.mark.parametrize("lang, column, pattern", [("zh", "日期", "YYYY年M月D日"), ("en", "Date", "D MMM YYYY")])
def test_the_cumulative_table_shows_dates_in_words(sample_db_url, lang, column, pattern):
    """The cumulative table's days are date cells shown as 2023年6月30日 / 30 Jun 2023, not ISO."""
    import json

    at = open_page(sample_db_url, "targets.py", {"as_of": AS_OF.isoformat(), "target": "T01", "lang": lang})
    (table,) = [d for d in at.dataframe if column in d.value.columns]
    assert all(isinstance(v, dt.date) for v in table.value[column])
    assert json.loads(table.proto.columns)[column]["type_config"]["format"] == pattern
