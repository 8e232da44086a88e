"""The overview page under AppTest on the sample data, checked against the KPI layer, plus the
pure shaping helpers of dashboard/overview_view.py on hand-made rows."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dashboard.views import overview as v
from data_access.present import fmt
from data_access.kpis import tables, metrics, queries
from data_access.db import make_engine
from tests.apptest_support import open_page, plotly_specs

COUNTY = "410423"  # 鲁山县
AS_OF = dt.date(2023, 6, 30)


@pytest.fixture(scope="module")
def page(sample_db_url):
    import os

    before = os.environ.get("KPI_DATABASE_URL")
    at = open_page(sample_db_url, "overview.py", {"county": COUNTY, "as_of": AS_OF.isoformat()})
    yield at
    if before is None:
        os.environ.pop("KPI_DATABASE_URL", None)
    else:
        os.environ["KPI_DATABASE_URL"] = before


@pytest.fixture(scope="module")
def expected(sample_db_url):
    """The KPI tables computed directly, without streamlit."""
    eng = make_engine(sample_db_url)
    ov = tables.target_overview(eng, 2023, AS_OF, (COUNTY,))
    ub = tables.unit_breakdown(eng, 2023, AS_OF, (COUNTY,))
    ms = queries.milestones(eng, 2023)
    eng.dispose()
    return ov, ub, ms


def _trace(spec, name):
    (trace,) = [t for t in spec["data"] if t.get("name") == name]
    return trace


def _by_row(trace, key="x"):
    return dict(zip(trace["y"], trace[key]))


def test_bullets_equal_the_kpis_for_the_county(page, expected):
    ov, _, _ = expected
    (spec,) = plotly_specs(page)
    assert len(ov) == 11
    actual = _by_row(_trace(spec, "actual"))
    marker = _by_row(_trace(spec, "expected"))
    assert set(actual) == set(ov["target_code"])
    for r in ov.itertuples():
        # The county's own allocation sum is the target, so shares are of that sum.
        assert r.target > 0
        assert actual[r.target_code] == pytest.approx(r.actual / r.target)
        assert marker[r.target_code] == pytest.approx(r.expected / r.target)
    # Projects P1..P5 head their groups, in plan order.
    cats = spec["layout"]["yaxis"]["categoryarray"]
    assert [c for c in cats if c.startswith("P")] == ["P1", "P2", "P3", "P4", "P5"]
    assert cats.index("P1") < cats.index("T01") < cats.index("T02") < cats.index("P2")
    # P3 has no quantified target in 2023: a heading that says so, directly followed by P4.
    headings = {a["y"]: a["text"] for a in spec["layout"]["annotations"] if a.get("yref") == "y"}
    assert headings[cats.index("P3")] == "<b>P3 和谐稳定保障工程（无量化目标）</b>"
    assert cats[cats.index("P3") + 1] == "P4"


def test_text_columns_show_amounts_status_change_forecast(page, expected):
    ov, _, _ = expected
    (spec,) = plotly_specs(page)
    done, pace = _by_row(_trace(spec, "done"), "text"), _by_row(_trace(spec, "pace"), "text")
    status, week = _by_row(_trace(spec, "status"), "text"), _by_row(_trace(spec, "week"), "text")
    forecast = _by_row(_trace(spec, "forecast"), "text")
    for r in ov.itertuples():
        assert done[r.target_code].endswith(" / " + v.amount(r.target, r.unit_zh, "zh"))
        assert pace[r.target_code] == v.amount(r.expected, r.unit_zh, "zh")
        icon = {"超序时": "▲", "达序时": "●", "滞后序时": "▼"}[r.status]
        assert status[r.target_code] == f"{icon} {r.status}"  # icon and word, not colour alone
        assert week[r.target_code] == fmt.signed(round(r.change_week, 1), r.unit_zh, "zh")
        assert forecast[r.target_code].startswith(v.amount(r.forecast, r.unit_zh, "zh"))
    # 鲁山县's T08 is money: amounts in 万元 (hand check of the format on real figures).
    t08 = ov.set_index("target_code").loc["T08"]
    assert done["T08"] == f"{v.bare(t08.actual, '元', 'zh')} / {fmt.number(t08.target, '元')}"
    assert "万元" in done["T08"]


def test_tiles_attention_and_milestones(page, expected):
    ov, ub, ms = expected
    text = "\n".join(m.value for m in page.markdown)
    behind = ov[ov["status"] == "滞后序时"]
    assert len(behind) > 0
    # Status tiles: the count of each status.
    for status, icon in (("超序时", "▲"), ("达序时", "●"), ("滞后序时", "▼")):
        n = int((ov["status"] == status).sum())
        assert f"{icon} {status}　<span" in text and f">{n} 项</span>" in text
    # Every target behind pace is listed with the weekly amount it needs.
    for r in behind.itertuples():
        assert f"**{r.target_code} " in text
        assert f"每周需{v.amount(r.required_weekly, r.unit_zh, 'zh')}" in text
    # The county's unit rows behind pace on its own allocation: all in the expander table.
    unit_behind = ub[(ub["status"] == "滞后序时") & (ub["allocation"] > 0)]
    (exp,) = page.expander
    assert exp.label == f"全部 {len(unit_behind)} 项单位滞后明细"
    table = exp.dataframe[0].value
    assert sorted(t.split(" ")[0] for t in table["目标"]) == sorted(unit_behind["target_code"])
    assert set(table["单位"]) == {"鲁山县"}
    assert f"**鲁山县** {len(unit_behind)}项滞后" in text
    # Milestones as known on 30 June: M1 and M2 were done by then; M3 was finished only in
    # November, so it was still open; M5 is stored as delayed.
    by_code = ms.set_index("code")
    for code, word in (("M1", "已完成"), ("M2", "已完成"), ("M3", "进行中"), ("M5", "延期")):
        assert f"{by_code.loc[code, 'name_zh']} :" in text
        line = next(line for line in text.splitlines() if by_code.loc[code, "name_zh"] in line)
        assert word in line
    assert ">2 / 6</span>" in text  # milestones done by as_of


def test_english_overview(sample_db_url):
    at = open_page(sample_db_url, "overview.py", {"as_of": "2023-06-30", "lang": "en"})
    (spec,) = plotly_specs(at)
    headings = [a["text"] for a in spec["layout"]["annotations"]]
    assert "<b>Year-end forecast</b>" in headings and "<b>Target</b>" in headings
    status = _trace(spec, "status")["text"]
    assert set(status) <= {"▲ Ahead", "● On pace", "▼ Behind"}
    assert any(m.value == "**Needs attention**" for m in at.markdown)


# --- pure helpers -----------------------------------------------------------------------------


def test_amount_and_range_formats():
    assert v.amount(0.5479, "家", "zh") == "0.5家"
    assert v.amount(24.8, "家", "zh") == "24.8家"
    assert v.amount(520.2, "场次", "zh") == "520场次"
    assert v.amount(297600, "元", "zh") == "29.76万元"
    assert v.bare(297600, "元", "zh") == "29.76万"
    assert v.bare(1234, "人", "en") == "1,234"
    assert v.amount_range(580900, 595200, "元", "zh") == "58.09万–59.52万元"


def test_short_name():
    assert v.short_name("群众性文化活动（千场文化活动进基层）", "zh") == "群众性文化活动"
    long = "乡村振兴劳模出彩行动：劳模、五一劳动奖章获得者等先进个人参与"
    assert v.short_name(long, "zh") == "劳模、五一劳动奖章获得者等先<br>进个人参与"
    assert v.one_line(long, "zh") == "劳模、五一劳动奖章获得者等先进个人参与"
    assert v.short_name("of which new-economy workers", "en") == "of which new-economy workers"


def test_milestone_state_as_of():
    d = dt.date
    assert metrics.milestone_state("done", d(2023, 5, 30), d(2023, 5, 28), d(2023, 6, 30)) == "done"
    assert metrics.milestone_state("done", d(2023, 11, 30), d(2023, 11, 17), d(2023, 6, 30)) == "in_progress"
    assert metrics.milestone_state("in_progress", d(2023, 5, 1), None, d(2023, 6, 30)) == "overdue"
    assert metrics.milestone_state("not_started", d(2023, 9, 1), None, d(2023, 6, 30)) == "not_started"
    assert metrics.milestone_state("delayed", d(2023, 10, 31), None, d(2023, 6, 30)) == "delayed"


def _ov_rows():
    base = dict(project_code="P4", project_name_zh="职工服务暖心工程", project_name_en="Services",
                name_en="x", unit_zh="家", change_week=1.0, forecast=40.0, forecast_low=30.0,
                forecast_high=45.0)
    return pd.DataFrame([
        dict(base, target_code="T06", name_zh="职工子女爱心托管班", target=50.0, actual=10.0,
             expected=20.0, completion=0.2, pace_ratio=0.5, status="滞后序时", required_weekly=1.6),
        dict(base, target_code="T07", name_zh="新建户外劳动者爱心驿站", target=50.0, actual=30.0,
             expected=25.0, completion=0.6, pace_ratio=1.2, status="超序时", required_weekly=0.8),
        dict(base, target_code="T08", name_zh="环卫工人免费早餐投入", target=0.0, actual=0.0,
             expected=0.0, completion=None, pace_ratio=None, status=None, required_weekly=0.0,
             unit_zh="元"),
    ])


def test_bullet_table_by_hand():
    rows = v.bullet_table(_ov_rows(), "zh").set_index("row_id")
    assert list(rows.index) == ["P4", "T06", "T07", "T08"]
    assert rows.loc["P4", "header"] and rows.loc["P4", "label"] == "P4 职工服务暖心工程"
    assert rows.loc["T06", "actual_share"] == 0.2 and rows.loc["T06", "expected_share"] == 0.4
    assert rows.loc["T06", "done"] == "10 / 50家" and rows.loc["T06", "status"] == "▼ 滞后序时"
    assert rows.loc["T06", "forecast"] == "40家<br><span style='font-size:12px'>30–45</span>"
    assert rows.loc["T06", "forecast_colour"] == v.STATUS_COLOURS["滞后序时"]  # 40 < 50
    assert rows.loc["T06", "week"] == "+1家"
    # No allocation for the chosen county: no status, no marker, said in words.
    assert rows.loc["T08", "bar_labels"] == "无分配任务" and rows.loc["T08", "status"] == "—"
    assert pd.isna(rows.loc["T08", "expected_share"])
    assert tables.status_counts(_ov_rows()) == {"超序时": 1, "达序时": 0, "滞后序时": 1, "total": 2}
    assert v.behind_targets(_ov_rows(), "zh") == ["▼ **T06 职工子女爱心托管班** 每周需1.6家"]


def test_unit_lines_group_by_unit():
    ub = pd.DataFrame([
        dict(target_code="T06", unit_code="A", unit_name_zh="甲区", unit_name_en="A", allocation=4.0,
             actual=0.0, expected=2.0, pace_ratio=0.0, status="滞后序时", required_weekly=0.2, gap=2.0),
        dict(target_code="T07", unit_code="A", unit_name_zh="甲区", unit_name_en="A", allocation=4.0,
             actual=1.0, expected=2.0, pace_ratio=0.5, status="滞后序时", required_weekly=0.1, gap=1.0),
        dict(target_code="T07", unit_code="B", unit_name_zh="乙县", unit_name_en="B", allocation=4.0,
             actual=1.0, expected=2.0, pace_ratio=0.5, status="滞后序时", required_weekly=0.1, gap=1.0),
        dict(target_code="T06", unit_code="B", unit_name_zh="乙县", unit_name_en="B", allocation=4.0,
             actual=3.0, expected=2.0, pace_ratio=1.5, status="超序时", required_weekly=0.1, gap=-1.0),
    ])
    rows = v.behind_unit_rows(ub, _ov_rows())
    assert list(zip(rows["unit_code"], rows["target_code"])) == [("A", "T06"), ("A", "T07"), ("B", "T07")]
    lines = v.unit_lines(rows, "zh", limit=5, per_unit=1)
    assert lines == ["▼ **甲区** 2项滞后：T06 每周需0.2家 等", "▼ **乙县** 1项滞后：T07 每周需0.1家"]
    table = v.behind_units_table(rows, "zh")
    assert list(table.columns) == ["单位", "目标", "完成", "序时进度", "分配任务", "每周需完成"]
    assert table.iloc[0].tolist() == ["甲区", "T06 职工子女爱心托管班", "0家", "2家", "4家", "0.2家"]
