"""The presentation model (data_access/present/figures.py): one text per figure and unit, with
the rounding rules of its docstring, checked against hand-written texts."""
from __future__ import annotations

import datetime as dt
import math

import pytest

from data_access.present import figures as f

EVENTS = f.unit_of("场次", "events", 1000)
LECTURES = f.unit_of("场", "lectures", 100)
PEOPLE = f.unit_of("人", "people", 15000)
GROUPS = f.unit_of("个", "collectives", 65)
STATIONS = f.unit_of("家", "stations", 50)
MONEY = f.unit_of("元", "yuan", 600000)
SMALL_MONEY = f.unit_of("元", "yuan", 5000)
WAN_MONEY = f.unit_of("万元", "10k yuan", 60)


@pytest.mark.parametrize("value, unit, zh, en", [
    (49.6, LECTURES, "50场", "50 lectures"),          # counts never carry a fraction
    (49.5, LECTURES, "50场", "50 lectures"),          # half up, not to even
    (48.5, LECTURES, "49场", "49 lectures"),
    (1040, EVENTS, "1,040场次", "1,040 events"),
    (1, STATIONS, "1家", "1 station"),               # the target's own English word, singular for one
    (53, STATIONS, "53家", "53 stations"),
    (9600, PEOPLE, "9,600人", "9,600 people"),
    (152345, PEOPLE, "15.23万人", "152,345 people"),
    (150000, PEOPLE, "15万人", "150,000 people"),
    (610000, MONEY, "61万元", "610,000 yuan"),         # a 60万元 target: every figure in 万元
    (9600, MONEY, "0.96万元", "9,600 yuan"),
    (4321.4, SMALL_MONEY, "4,321元", "4,321 yuan"),   # a small 元 target stays in 元
    (61.456, WAN_MONEY, "61.46万元", "61.46 10k yuan"),
    (None, EVENTS, "—", "—"),
    (math.nan, EVENTS, "—", "—"),
])
def test_amount(value, unit, zh, en):
    assert f.amount(value, unit, "zh") == zh
    assert f.amount(value, unit, "en") == en


def test_shown_is_the_number_as_read():
    assert f.shown(152345, PEOPLE, "zh") == 152300
    assert f.shown(152345, PEOPLE, "en") == 152345
    assert f.shown(9649.99, MONEY, "zh") == 9600
    assert f.shown(0.028999999999999915, EVENTS) == 0
    assert f.shown(49.6, LECTURES) == 50


def test_one_unit_per_range():
    assert f.amount_range(9600, 13400, PEOPLE, "zh") == "0.96万–1.34万人"  # never 9,600–1.34万
    assert f.amount_range(9600, 13400, PEOPLE, "en") == "9,600–13,400 people"
    assert f.amount_range(347.2, 533.5, EVENTS, "zh") == "347–534场次"
    assert f.forecast(401.4, 347.2, 533.5, EVENTS, "en") == ("401 events", "347–534 events")
    assert f.forecast(401.4, None, 533.5, EVENTS, "zh") == ("401场次", "")


def test_gap_is_the_difference_of_what_is_shown():
    # the row: 47 done, 49.6 expected -> shown 50, so the gap reads 3 (not 2.6)
    assert f.gap(49.6, 47, LECTURES) == "3场"
    assert f.gap_value(49.6, 47, LECTURES) == 3
    assert f.gap(7438.4, 6633, PEOPLE, "en") == "805 people"


@pytest.mark.parametrize("share, text", [(0.5294, "52.9%"), (0.52949, "52.9%"), (0.5295, "53.0%"),
                                         (0.47, "47.0%"), (1.0, "100.0%"), (None, "—")])
def test_one_percentage_rule(share, text):
    assert f.completion(share, "zh") == text == f.completion(share, "en")
    assert f.percent is f.completion


def test_change_since_last_week():
    assert f.change(12, EVENTS) == "+12场次"
    assert f.change(-3, STATIONS, "en") == "−3 stations"
    assert f.change(0, STATIONS) == "±0"
    assert f.change(0.2, STATIONS) == "±0"  # less than one station: nothing to show
    assert f.change(12000, MONEY) == "+1.2万元"
    assert f.change(None, MONEY) == "—"


def test_weekly_rate_needed():
    assert f.weekly(17.9, EVENTS) == "18场次"           # whole things, rounded up
    assert f.weekly(17.0, EVENTS) == "17场次"
    assert f.weekly_value(17.9, EVENTS) == 18
    assert f.weekly(0.2, GROUPS) == "约每5周1个"          # not 每周需0.2个
    assert f.weekly(0.3, GROUPS, "en") == "about 1 collective every 3 weeks"
    assert f.weekly(0.7, GROUPS) == "1个"                # 1/0.7 = 1.4 weeks: every week
    assert f.weekly_phrase(17.9, EVENTS) == "每周需18场次"
    assert f.weekly_phrase(17.9, EVENTS, "en") == "needs 18 events a week"
    assert f.weekly_phrase(0.2, GROUPS, "en") == "needs about 1 collective every 5 weeks"
    assert f.weekly_phrase(0.2, GROUPS) == "约每5周1个"
    assert f.weekly(0, GROUPS) == "已完成" and f.weekly(0, GROUPS, "en") == "done"
    assert f.weekly(11234.5, MONEY) == "1.12万元"        # money: the amount rule
    assert f.weekly(math.nan, EVENTS) == "—"             # a closed year


def test_status_words_are_one_set():
    assert f.status("滞后序时", "en") == "Behind pace" and f.status("滞后序时", "zh") == "滞后序时"
    assert f.status("超序时", "en") == "Ahead of pace" and f.status(None, "en") == "—"


def test_names_full_and_short():
    row = {"name_zh": "群众性文化活动（千场文化活动进基层）",
           "name_en": "Grassroots cultural events (1,000 events to the grassroots)"}
    assert f.target_name(row, "zh") == "群众性文化活动（千场文化活动进基层）"
    assert f.target_name(row, "zh", short=True) == "群众性文化活动"
    assert f.target_name(row, "en", short=True) == "Grassroots cultural events"
    assert f.short_name("乡村振兴劳模出彩行动：先进集体参与") == "先进集体参与"
    assert f.short_name("新建户外劳动者爱心驿站") == "新建户外劳动者爱心驿站"


def test_dates():
    assert f.date(dt.date(2023, 6, 30), "zh") == "2023年6月30日"
    assert f.date(dt.date(2023, 6, 30), "en") == "30 Jun 2023"
    assert f.date(None) == "—"


def test_figures_of_a_row():
    row = {"unit_zh": "场", "unit_en": "lectures", "target": 100.0, "actual": 47.0, "expected": 49.589,
           "completion": 0.47, "change_week": 2.0, "required_weekly": 2.0, "forecast": 95.2,
           "forecast_low": 88.0, "forecast_high": 104.6, "status": "滞后序时"}
    assert f.figures(row, "zh") == {
        "done": "47场", "target": "100场", "expected": "50场", "gap": "3场", "completion": "47.0%",
        "change_week": "+2场", "weekly": "2场", "forecast": "95场", "forecast_range": "88–105场",
        "status": "滞后序时"}
    en = f.figures(row, "en")
    assert en["forecast_range"] == "88–105 lectures" and en["status"] == "Behind pace"


def test_no_forecast_without_a_target_for_the_scope():
    # 市总本级 alone has no allocation of T06: nothing to forecast, on every surface
    assert f.forecast(0.0, 0.0, 0.0, STATIONS, "zh", target=0.0) == ("—", "")
    assert f.forecast(12.0, 10.0, 14.0, STATIONS, "zh", target=50.0) == ("12家", "10–14家")


def test_large_percentages_have_no_thousands_separator():
    assert f.completion(10.167) == "1016.7%"
