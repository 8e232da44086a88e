"""The target-detail page under AppTest on the sample data, checked against the KPI layer, plus
the pure helpers of dashboard/targets_view.py."""
from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest

from dashboard.views import targets as tv
from data_access.present import exports
from data_access.kpis import tables
from data_access.db import make_engine
from tests.apptest_support import open_page, plotly_specs

COUNTY = "410423"  # 鲁山县
AS_OF = dt.date(2023, 6, 30)


@pytest.fixture(scope="module")
def kpi(sample_db_url):
    eng = make_engine(sample_db_url)
    ov = tables.target_overview(eng, 2023, AS_OF, None).set_index("target_code")
    series = tables.cumulative_series(eng, 2023, AS_OF, "T07", None)
    ub = tables.unit_breakdown(eng, 2023, AS_OF, None, "T07")
    ov_county = tables.target_overview(eng, 2023, AS_OF, (COUNTY,)).set_index("target_code")
    eng.dispose()
    return ov, series, ub, ov_county


def _target_warnings(at) -> list[str]:
    """This page's own warnings (other parts of the app may warn too, e.g. about sign-in)."""
    return [w.value for w in at.warning if "目标代码" in w.value]


def _trace(spec, name):
    (trace,) = [t for t in spec["data"] if t.get("name") == name]
    return trace


def test_t07_cumulative_chart_equals_kpis(sample_db_url, kpi):
    ov, series, _, _ = kpi
    at = open_page(sample_db_url, "targets.py", {"as_of": AS_OF.isoformat(), "target": "T07"})
    assert not _target_warnings(at)
    assert at.selectbox(key="tg_pick").value == "T07"
    cum, units = plotly_specs(at)
    done = series.dropna(subset=["actual_cum"])
    assert _trace(cum, "累计完成")["y"] == pytest.approx(list(done["actual_cum"]))
    assert [dt.date.fromisoformat(d[:10]) for d in _trace(cum, "累计完成")["x"]] == list(done["day"])
    assert _trace(cum, "序时进度")["y"] == pytest.approx(list(series["expected_cum"]))
    row = ov.loc["T07"]
    last = float(done["actual_cum"].iloc[-1])
    assert last == row["actual"]  # the line ends at the overview's figure
    assert _trace(cum, "年末预测")["y"] == pytest.approx([last, row["forecast"]])
    assert _trace(cum, "预测区间")["y"] == pytest.approx(
        [last, row["forecast_high"], row["forecast_low"], last])
    texts = [a["text"] for a in cum["layout"]["annotations"]]
    assert "6月30日 累计 30家" in texts and "年度目标 50家" in texts
    # Tiles: done / target and the status word with its icon.
    text = "\n".join(m.value for m in at.markdown)
    assert "30 / 50家" in text and f"{tv.status_label(row['status'], 'zh')}</span>" in text
    assert at.query_params["target"] == "T07"


def test_t07_units_each_against_own_allocation_and_ranking(sample_db_url, kpi):
    _, _, ub, _ = kpi
    at = open_page(sample_db_url, "targets.py", {"as_of": AS_OF.isoformat(), "target": "T07"})
    _, units = plotly_specs(at)
    shares = dict(zip(_trace(units, "actual")["y"], _trace(units, "actual")["x"]))
    ranks = dict(zip(_trace(units, "rank")["y"], _trace(units, "rank")["text"]))
    for r in ub.itertuples():
        assert shares[r.unit_code] == pytest.approx(r.actual / r.allocation)
        assert ranks[r.unit_code] == f"第{r.rank}名"
    # Best rank on top.
    assert _trace(units, "actual")["y"][0] == ub.sort_values("rank")["unit_code"].iloc[0]
    ranking = at.dataframe[0].value
    assert list(ranking.columns[:4]) == ["排名", "单位", "完成（家）", "分配任务（家）"]
    assert list(ranking["排名"]) == sorted(ub["rank"])
    by_name = ranking.set_index("单位")
    for r in ub.itertuples():
        assert by_name.loc[r.unit_name_zh, "完成（家）"] == r.actual
        assert by_name.loc[r.unit_name_zh, "分配任务（家）"] == r.allocation
        assert by_name.loc[r.unit_name_zh, "状态"] == r.status
    # Downloads: the ranking and the chart's series, each as CSV and Excel.
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["下载 CSV", "下载 Excel", "下载 CSV", "下载 Excel"]


def test_county_filter_uses_the_county_allocation(sample_db_url, kpi):
    _, _, _, ov_county = kpi
    at = open_page(sample_db_url, "targets.py",
                   {"as_of": AS_OF.isoformat(), "target": "T10", "county": COUNTY})
    cum, units = plotly_specs(at)
    row = ov_county.loc["T10"]
    assert _trace(cum, "序时进度")["y"][-1] == pytest.approx(row["target"])  # pace ends at the sum
    assert _trace(units, "actual")["y"] == [COUNTY]
    # 人 in 万 on the axis, which plotly cannot write itself.
    assert any("万人" in t for t in cum["layout"]["yaxis"]["ticktext"])


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
    assert "6,000人" in "\n".join(m.value for m in at.markdown)  # T03's annual target


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
    assert table.iloc[1]["每周需完成（家）"] == 0.12
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
