"""The weekly meeting page under AppTest on the committed sample: figures read back from the page
(metrics, chart specs, summary) equal the data layer's; presentation mode shows one section per
screen and moves with next/previous; a decision recorded on the page is stored and listed."""
from __future__ import annotations

import base64
import datetime as dt
import shutil

import numpy as np
import pytest

from data_access.kpis import tables
from data_access.meeting import briefing as meeting
from data_access.meeting import summary as msum
from data_access.db import make_engine
from tests.apptest_support import open_page, plotly_specs

PAGE = "meeting.py"
DAY = dt.date(2023, 6, 30)
SECTIONS_ZH = ["本周概要", "目标进度与序时进度", "本周变化", "滞后序时的目标和单位", "本周报送情况", "督办事项"]


def values(v):
    """A spec array: a plain list, or plotly's typed-array form {dtype, bdata}."""
    if isinstance(v, dict) and "bdata" in v:
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"])).tolist()
    return list(v)


def traces(spec):
    return {d.get("name"): d for d in spec["data"]}


@pytest.fixture(scope="module")
def briefing(sample_db_url):
    engine = make_engine(sample_db_url)
    yield meeting.build_briefing(engine, 2023, DAY)
    engine.dispose()


def test_page_shows_the_briefing(sample_db_url, briefing):
    at = open_page(sample_db_url, PAGE, {"as_of": DAY.isoformat()})
    assert [h.value for h in at.header] == SECTIONS_ZH
    assert at.title[0].value == "周例会简报 · 2023年6月30日"
    counts = briefing.overview["status"].value_counts()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["超序时"] == str(counts.get("超序时", 0))
    assert metrics["滞后序时"] == str(counts.get("滞后序时", 0))
    assert metrics["本周未报送单位"] == str(int((briefing.reporting["state"] != "complete").sum()))
    shown = [m.value for m in at.markdown]
    for paragraph in msum.summary(briefing, "zh"):
        assert paragraph in shown
    progress, change = plotly_specs(at)
    bars = traces(progress)
    ov = tables.target_overview(make_engine(sample_db_url), 2023, DAY)
    assert values(bars["completion"]["x"]) == pytest.approx(list(ov["completion"]))
    assert values(bars["pace"]["x"]) == pytest.approx(list(ov["fraction"]))
    assert [y.split(" ")[0] for y in values(bars["completion"]["y"])] == list(ov["target_code"])
    week = values(traces(change)["change"]["x"])
    assert week == pytest.approx(list(ov["change_week"] / ov["target"]))


def test_county_filter_in_english(sample_db_url):
    at = open_page(sample_db_url, PAGE, {"as_of": DAY.isoformat(), "county": "410423,410481", "lang": "en"})
    assert [h.value for h in at.header][:2] == ["Summary", "Progress against expected pace"]
    shown = [m.value for m in at.markdown]
    assert any(s.startswith("As of 30 Jun 2023, Lushan County, Wugang \\(county-level city\\)\\: of 11 targets")
               for s in shown)
    engine = make_engine(sample_db_url)
    ov = tables.target_overview(engine, 2023, DAY, ("410423", "410481"))
    bars = traces(plotly_specs(at)[0])
    assert values(bars["completion"]["x"]) == pytest.approx(list(ov["completion"]))


def test_presentation_mode_one_section_per_screen(sample_db_url):
    at = open_page(sample_db_url, PAGE, {"as_of": DAY.isoformat(), "present": "1", "slide": "2"})
    assert [h.value for h in at.header] == ["目标进度与序时进度"]
    assert len(plotly_specs(at)) == 1 and not at.dataframe
    assert "第 2 / 6 页 · 目标进度与序时进度" in [m.value.strip("*") for m in at.markdown]
    at.button(key="mt_next").click().run()
    assert [h.value for h in at.header] == ["本周变化"]
    assert at.query_params["slide"] == "3"
    at.button(key="mt_prev").click().run()
    at.button(key="mt_prev").click().run()
    assert [h.value for h in at.header] == ["本周概要"]
    assert at.button(key="mt_prev").disabled
    at.button(key="mt_present_off").click().run()
    assert [h.value for h in at.header] == SECTIONS_ZH
    assert "present" not in at.query_params


def test_presentation_slide_out_of_range_is_clamped(sample_db_url):
    at = open_page(sample_db_url, PAGE, {"as_of": DAY.isoformat(), "present": "1", "slide": "99"})
    assert [h.value for h in at.header] == ["督办事项"]
    assert at.button(key="mt_next").disabled


def test_record_and_close_a_decision(sample_db_url, tmp_path):
    # a copy of the sample: this test writes
    path = tmp_path / "meeting.sqlite3"
    shutil.copy(sample_db_url.removeprefix("sqlite:///"), path)
    url = f"sqlite:///{path}"
    at = open_page(url, PAGE, {"as_of": DAY.isoformat()})
    at.selectbox(key="mt_target").select("T11")
    at.selectbox(key="mt_unit").select("410423")
    at.text_area(key="mt_note").input("新业态入会滞后，请鲁山县 [见附件](http://x) 下周报进度")
    at.text_input(key="mt_owner").input("鲁山县总工会")
    if "mt_by" in [w.key for w in at.text_input]:  # asked only when no one is signed in
        at.text_input(key="mt_by").input("办公室")
    at.button(key="mt_save_new").click().run()
    assert not at.exception
    assert "已保存督办事项 1。" in [s.value for s in at.success]
    engine = make_engine(url)
    listed = meeting.list_decisions(engine, 2023, DAY)
    assert listed[["target_code", "unit_code", "owner", "meeting_date", "due_date", "state"]].values.tolist() == [
        ["T11", "410423", "鲁山县总工会", DAY, DAY + dt.timedelta(days=7), "open"]]
    table = at.dataframe[-1].value
    assert "新业态入会滞后，请鲁山县 [见附件](http://x) 下周报进度" in list(table["督办内容"])
    # close it in the same meeting
    at.selectbox(key="mt_which").select(1)
    at.button_group(key="mt_state").set_value("done")
    at.text_input(key="mt_comment").input("已落实")
    at.button(key="mt_save_state").click().run()
    assert "已更新督办事项 1。" in [s.value for s in at.success]
    listed = meeting.list_decisions(engine, 2023, DAY)
    assert listed[["state", "comment"]].values.tolist() == [["done", "已落实"]]
    # the previous week's briefing does not know it
    assert meeting.list_decisions(engine, 2023, DAY - dt.timedelta(days=7)).empty
    engine.dispose()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_city_level_alone_has_no_nan_in_the_chart(sample_db_url, lang):
    """市总本级 (410400) alone: most targets have no target there, so no status (NaN under pandas
    3). The progress chart labels such a bar '—', never '—（nan）'."""
    at = open_page(sample_db_url, PAGE, {"as_of": DAY.isoformat(), "county": "410400", "lang": lang})
    progress = plotly_specs(at)[0]
    texts = [str(x) for d in progress["data"] for x in values(d.get("text") or [])]
    assert texts and not [x for x in texts if "nan" in x.lower()], texts
    assert "—" in texts
    assert not [m.value for m in at.markdown if "nan" in m.value.lower().replace("finance", "")]
