"""The phone layout: which session gets it (dashboard/filters/layout.py), the pure shaping of
dashboard/views/phone.py on hand-made rows, and the five pages under AppTest with ?view=phone on the
committed sample (30 June 2023): every target a card with the status computed by hand in
tests/test_page_overview.py's notes, the done / target figures from tests/sample_expectations.py,
and no plotly chart on the overview (the phone does not pay for the bullet chart)."""
from __future__ import annotations

import datetime as dt
import math
import re

import pandas as pd
import pytest

from dashboard.filters import layout
from dashboard.views import phone as pv
from tests import sample_expectations as E
from tests.apptest_support import open_page, plotly_specs

AS_OF = dt.date(2023, 6, 30)
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/17.5 Mobile/15E148 Safari/604.1")
DESKTOP_CHROME = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 "
                  "Safari/537.36")


# --- who gets the phone layout ----------------------------------------------------------------------


def test_the_link_wins_over_everything():
    remembered = layout.Layout("desktop", True, "link")
    got = layout.choose(" Phone ", remembered, "desktop", {"User-Agent": DESKTOP_CHROME})
    assert (got.view, got.explicit, got.source) == ("phone", True, "link")
    assert layout.choose("desktop", None, "phone", {"User-Agent": IPHONE}).view == "desktop"


def test_an_explicit_choice_is_kept_for_the_session_then_the_cookie_then_the_hint():
    kept = layout.choose(None, layout.Layout("phone", True, "link"), "desktop", {})
    assert (kept.view, kept.explicit, kept.source) == ("phone", True, "session")
    # a remembered choice that was only detected is detected again (the width may have changed)
    again = layout.choose(None, layout.Layout("phone", False, "cookie"), "desktop", {})
    assert (again.view, again.explicit, again.source) == ("desktop", False, "cookie")
    assert layout.choose(None, None, None, {"user-agent": IPHONE}).source == "client_hint"
    assert layout.choose(None, None, None, {"Sec-CH-UA-Mobile": "?1"}).view == "phone"
    assert layout.choose(None, None, "tablet", {"Sec-CH-UA-Mobile": "?0", "User-Agent": DESKTOP_CHROME}) == \
        layout.Layout("desktop", False, "default")
    assert layout.choose("big", None, None, {}).source == "default"  # an unknown value is ignored


def test_the_breakpoint_is_where_phones_end():
    # phones in portrait are 320-430 CSS px; the 390-px iPhone and a 412-px Android are phones,
    # an 800-px tablet in portrait is not
    assert 430 <= layout.PHONE_MAX_WIDTH < 800


# --- the shaping --------------------------------------------------------------------------------


def test_plain_drops_the_charts_markup_and_keeps_a_range_apart():
    assert pv.plain("1,017场次<br><span style='font-size:12px'>1,017–1,026</span>") == "1,017场次 1,017–1,026"
    assert pv.plain("T04 劳模、五一劳动奖章获得者等先<br>进个人参与") == "T04 劳模、五一劳动奖章获得者等先进个人参与"
    assert pv.plain("T04 Model workers<br>taking part", "en") == "T04 Model workers taking part"
    assert pv.plain(None) == "—" and pv.plain(float("nan")) == "—"


def test_share_holds_the_bar_to_its_full_length():
    assert pv.share(1.3) == 1.0 and pv.share(-0.2) == 0.0 and pv.share(0.529) == 0.529
    assert pv.share(float("nan")) is None and pv.share(None) is None


ROWS = pd.DataFrame([
    {"row_id": "P1", "label": "P1 思想政治引航工程", "header": True},
    {"row_id": "T01", "label": "T01 群众性文化活动", "header": False, "actual_share": 0.529,
     "expected_share": 0.52, "colour": "#1f6feb", "bar_labels": "53%", "done": "529 / 1,000场次",
     "pace": "520场次", "status": "● 达序时", "status_colour": "#1f6feb", "week": "+18场次",
     "forecast": "1,017场次<br><span style='font-size:12px'>1,017–1,026</span>"},
    {"row_id": "P3", "label": "P3 和谐稳定保障工程（无量化目标）", "header": True},
    {"row_id": "P4", "label": "P4 职工服务暖心工程", "header": True},
    {"row_id": "T07", "label": "T07 <b>新建</b>爱心驿站", "header": False, "actual_share": 1.2,
     "expected_share": float("nan"), "colour": "javascript:alert(1)", "bar_labels": "120%",
     "done": "60 / 50家", "pace": "—", "status": "▲ 超序时", "status_colour": "#1a7f37", "week": "+2家",
     "forecast": "—"},
])


def test_cards_group_by_project_with_the_details_in_order():
    groups = pv.cards(ROWS, {"pace": "序时进度", "week": "较上周", "forecast": "年末预测（区间）"}, "zh")
    assert [g.heading for g in groups] == ["P1 思想政治引航工程", "P3 和谐稳定保障工程（无量化目标）", "P4 职工服务暖心工程"]
    assert [len(g.cards) for g in groups] == [1, 0, 1]
    t01 = groups[0].cards[0]
    assert (t01.label, t01.done, t01.status, t01.done_share, t01.pace_share, t01.bar_label) == \
        ("T01 群众性文化活动", "529 / 1,000场次", "● 达序时", 0.529, 0.52, "53%")
    assert t01.details == (("序时进度", "520场次"), ("较上周", "+18场次"), ("年末预测（区间）", "1,017场次 1,017–1,026"))
    t07 = groups[2].cards[0]
    assert (t07.done_share, t07.pace_share) == (1.0, None)


def test_card_html_escapes_names_and_refuses_odd_colours():
    groups = pv.cards(ROWS, {"pace": "序时进度"}, "zh")
    page = pv.groups_html(groups, "序时进度")
    # the chart's markup was taken off the name; a name's own '<' would be escaped
    assert "T07 新建爱心驿站" in page and "<b>" not in page
    assert "javascript" not in page and "background:#6e7781" in page  # an odd colour is grey
    assert page.count("class='ph-card'") == 2 and page.count("class='ph-pace'") == 1  # no pace for T07
    assert "width:52.9%" in page and "left:52.0%" in page and "width:100.0%" in page
    one = pv.card_html(pv.Card("T99", "<script>x</script>", "1 / 2", "●", "#1f6feb", "#1f6feb", 0.5, 0.5, "50%"),
                       "序时进度")
    assert "<script>" not in one and "&lt;script&gt;" in one


def test_chips_and_tiles_keep_the_desktops_order():
    chips = pv.chips_html([("目标项数", "11 项", "#24292f"), ("▲ 超序时", "2 项", "#1a7f37"),
                           ("工作节点完成", "2 / 6", "#24292f")])
    assert re.findall(r"<b[^>]*>([^<]*)</b> ([^<]*)</span>", chips) == [
        ("11 项", "目标项数"), ("2 项", "▲ 超序时"), ("2 / 6", "工作节点完成")]
    grid = pv.headline_html([("完成 / 年度目标", "529 / 1,000场次", "#24292f", ""),
                             ("年末预测（区间）", "1,017场次", "#24292f", "1,017–1,026")])
    assert grid.count("ph-tile'") == 2 and "ph-tile-note'>1,017–1,026<" in grid


def test_record_rows_take_the_title_and_pairs_from_a_display_table():
    df = pd.DataFrame({"排名": [1, 2], "单位": ["鲁山县", "舞钢市"], "完成率（%）": [62.5, None]})
    assert pv.record_rows(df, title_columns=2) == [("1 鲁山县", [("完成率（%）", "62.5")]),
                                                   ("2 舞钢市", [("完成率（%）", "—")])]
    assert len(pv.record_rows(df, limit=1)) == 1
    assert pv.records_html(pv.record_rows(df)).count("class='ph-rec'") == 2


def test_the_map_is_refitted_for_the_phones_width():
    spec = '{"initialViewState": {"longitude": 113.0, "latitude": 33.7, "zoom": 9.0}, "layers": []}'
    # 820 px of map on the desktop, 366 on the phone: log2(820/366) = 1.1637 zoom steps out
    got = pv.fit_map_view(spec, 820, 366)
    assert '"zoom": 7.836' in got and '"longitude": 113.0' in got
    assert math.isclose(9.0 - math.log2(820 / 366), 7.836, abs_tol=1e-3)


# --- the pages on the sample ------------------------------------------------------------------------

# 30 June 2023, city-wide, by hand (the ratios are in tests/test_page_overview.py's STATUS notes):
# 2 超序时 (T05, T07), 6 达序时, 3 滞后序时 (T02, T06, T11).
STATUS = {"T01": "● 达序时", "T02": "▼ 滞后序时", "T03": "● 达序时", "T04": "● 达序时", "T05": "▲ 超序时",
          "T06": "▼ 滞后序时", "T07": "▲ 超序时", "T08": "● 达序时", "T09": "● 达序时", "T10": "● 达序时",
          "T11": "▼ 滞后序时"}
UNITS = {"T01": "场次", "T02": "场", "T03": "人", "T04": "名", "T05": "个", "T06": "家", "T07": "家"}
CARD = re.compile(r"<details class=\"ph-card\" data-row=\"(T\d\d)\">.*?<span class=\"ph-status\"[^>]*>([^<]*)</span>"
                  r".*?<span class=\"ph-done\">([^<]*)</span>", re.S)


def _html(at) -> str:
    return "\n".join(el.proto.body for el in at.get("html")).replace("'", '"')


@pytest.fixture(scope="module")
def phone_page(sample_db_url):
    import os

    before = os.environ.get("KPI_DATABASE_URL")
    opened: dict = {}

    def get(script: str, **params: str):
        key = (script, tuple(sorted(params.items())))
        if key not in opened:
            opened[key] = open_page(sample_db_url, script, {"as_of": AS_OF.isoformat(), "view": "phone", **params})
        return opened[key]

    yield get
    if before is None:
        os.environ.pop("KPI_DATABASE_URL", None)
    else:
        os.environ["KPI_DATABASE_URL"] = before


def test_the_phone_overview_has_every_target_as_a_card_and_no_chart(phone_page):
    at = phone_page("overview.py")
    assert plotly_specs(at) == []
    cards = {code: (status, done) for code, status, done in CARD.findall(_html(at))}
    assert {c: s for c, (s, _) in cards.items()} == STATUS
    for code, unit in UNITS.items():  # done / target from the independent oracle
        done, target = E.done(code, AS_OF), E.target_value(code)
        assert cards[code][1] == f"{done:,.0f} / {target:,.0f}{unit}", code
    # the tiles' figures as chips: 11 targets, 2 / 6 / 3 by status, milestones 2 of 6
    chips = re.findall(r"<b[^>]*>([^<]*)</b> ([^<]*)</span>", _html(at))
    assert chips == [("11 项", "目标项数"), ("2 项", "▲ 超序时"), ("6 项", "● 达序时"), ("3 项", "▼ 滞后序时"),
                     ("2 / 6", "工作节点完成")]
    assert at.query_params["view"] in ("phone", ["phone"])  # kept in the link


def test_the_phone_overview_in_english(phone_page):
    at = phone_page("overview.py", lang="en")
    statuses = [s for _, s, _ in CARD.findall(_html(at))]
    assert statuses.count("▲ Ahead of pace") == 2 and statuses.count("● On pace") == 6 and statuses.count("▼ Behind pace") == 3


def test_the_desktop_overview_keeps_its_chart(sample_db_url):
    at = open_page(sample_db_url, "overview.py", {"as_of": AS_OF.isoformat()})
    assert len(plotly_specs(at)) == 1 and "ph-card" not in _html(at)


def test_the_phone_target_page_ranks_the_units_as_cards(phone_page):
    at = phone_page("targets.py", target="T07")
    body = _html(at)
    units = re.findall(r"data-row=\"(4\d{5})\"", body)
    assert len(units) == len(set(units)) >= 10  # every county as one card, no bullet chart for them
    assert len(plotly_specs(at)) == 1  # the cumulative chart only
    done, target = E.done("T07", AS_OF), E.target_value("T07")
    assert f"{done:,.0f} / {target:,.0f}家" in body  # the headline tile


def test_the_phone_map_meeting_and_new_economy_pages_run(phone_page):
    m = phone_page("map.py")
    assert len(m.get("deck_gl_json_chart")) == 1 and "ph-rec" in _html(m)
    mt = phone_page("meeting.py")
    assert plotly_specs(mt) == [] and "ph-rec" in _html(mt)
    ne = phone_page("new_economy.py")
    assert len(plotly_specs(ne)) == 2
