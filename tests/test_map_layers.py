"""The map's deck builder on tiny hand-made frames: layer ids, what each layer holds, colours, the
view fitting, and that nothing in the spec points off the machine unless a tile server is set."""
from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from dashboard.charts import map_layers as ml
from data_access.kpis.metrics import (STATUS_AHEAD, STATUS_BEHIND, STATUS_MET, STATUS_MISSED, STATUS_NOT_STARTED,
                                      STATUS_ON_PACE)


def square(x0, y0, size=0.1):
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x0 + size, y0], [x0 + size, y0 + size],
                                                [x0, y0 + size], [x0, y0]]]}


FEATURES = [
    {"type": "Feature", "geometry": square(113.0, 33.7), "properties": {"adcode": "410402", "name": "新华区"}},
    {"type": "Feature", "geometry": square(113.1, 33.7), "properties": {"adcode": "410423", "name": "鲁山县"}},
    {"type": "Feature", "geometry": square(113.2, 33.7), "properties": {"adcode": "410481", "name": "舞钢市"}},
]
SHADE = pd.DataFrame({
    "unit_code": ["410402", "410423", "410481"],
    "status": [STATUS_AHEAD, STATUS_BEHIND, STATUS_AHEAD],
    "completion": [0.8, 0.2, None],  # 舞钢市: no allocation
    "tip_title": ["新华区", "鲁山县", "舞钢市"], "tip_body": ["a", "b", "c"],
})
POINTS = pd.DataFrame({
    "id": [11, 12, 21], "kind": ["care_station", "care_station", "childcare_class"],
    "name": ["驿站甲", "驿站乙", "托管班丙"], "unit_code": ["410402", "410423", "410423"],
    "lon": [113.05, 113.15, 113.16], "lat": [33.75, 33.74, 33.76], "is_new": [True, False, True],
    "tip_title": ["驿站甲", "驿站乙", "托管班丙"], "tip_body": ["x", "y", "z"],
})
LABELS = pd.DataFrame({"name": ["新华区", "鲁山县", "舞钢市", "高新区"], "lon": [113.05, 113.15, 113.25, 113.3],
                       "lat": [33.75] * 4, "has_boundary": [True, True, True, False]})
VIEW = {"longitude": 113.15, "latitude": 33.75, "zoom": 10.0}


def spec(chosen=(), shade_by="status", kinds=ml.KINDS, tile_url=None):
    counties = ml.county_collection(FEATURES, SHADE, shade_by, chosen)
    deck = ml.build_deck(counties, LABELS, POINTS, VIEW, kinds=kinds, tile_url=tile_url)
    return deck, json.loads(deck.to_json())


def layer(d, layer_id):
    return next(lay for lay in d["layers"] if lay["id"] == layer_id)


def test_layers_have_ids_in_drawing_order_and_hold_the_rows():
    deck, d = spec()
    assert [lay["id"] for lay in d["layers"]] == ["counties", "care_station", "childcare_class", "county_labels"]
    assert [f["properties"]["adcode"] for f in layer(d, "counties")["data"]["features"]] == ["410402", "410423", "410481"]
    care = layer(d, "care_station")["data"]
    assert [r["id"] for r in care] == [12, 11]  # older first, so the new one is drawn on top
    assert [(r["lon"], r["lat"]) for r in care] == [(113.15, 33.74), (113.05, 33.75)]
    assert [r["id"] for r in layer(d, "childcare_class")["data"]] == [21]
    assert [r["name"] for r in layer(d, "county_labels")["data"]] == ["新华区", "鲁山县", "舞钢市", "高新区"]


def test_no_url_anywhere_without_a_tile_server():
    deck, d = spec()
    text = deck.to_json()
    assert "http" not in text
    assert d.get("mapProvider") is None
    # pydeck's placeholder, which Streamlit drops (no basemap); map_style=None would bring Carto back.
    assert d["mapStyle"] == "__MAP_STYLE__"


def test_point_colours_new_ringed_old_pale():
    _, d = spec()
    care = {r["id"]: r for r in layer(d, "care_station")["data"]}
    assert care[11]["fill"] == [230, 101, 0, 255] and care[11]["line"] == [20, 24, 28, 255]
    assert care[11]["radius"] > care[12]["radius"]
    # 35 % towards white: 230 + 25*0.35 = 238.75 -> 239; 101 + 154*0.35 = 154.9 -> 155; 0 + 89.25 -> 89
    assert care[12]["fill"] == [239, 155, 89, 215] and care[12]["line"] == [255, 255, 255, 230]
    assert layer(d, "childcare_class")["data"][0]["fill"] == [121, 80, 242, 255]


def test_county_shading_by_status_and_completion():
    _, d = spec()
    fills = {f["properties"]["adcode"]: f["properties"]["fill"] for f in layer(d, "counties")["data"]["features"]}
    assert fills == {"410402": [26, 127, 55, 170], "410423": [207, 34, 46, 170], "410481": [210, 214, 219, 170]}
    _, d = spec(shade_by="completion")
    fills = {f["properties"]["adcode"]: f["properties"]["fill"] for f in layer(d, "counties")["data"]["features"]}
    # 0.8 is in the 75–100 % step, 0.2 in the first (<25 %), no allocation grey
    assert fills == {"410402": [44, 127, 184, 170], "410423": [199, 233, 180, 170], "410481": [210, 214, 219, 170]}


def test_chosen_counties_are_outlined_and_the_others_dimmed():
    _, d = spec(chosen=("410423",))
    props = {f["properties"]["adcode"]: f["properties"] for f in layer(d, "counties")["data"]["features"]}
    assert props["410423"]["line_width"] == 3.0 and props["410423"]["fill"][3] == ml.FILL_ALPHA
    assert props["410402"]["line_width"] == 1.2 and props["410402"]["fill"][3] == ml.DIMMED_ALPHA


def test_point_layers_can_be_switched_off():
    _, d = spec(kinds=("childcare_class",))
    assert [lay["id"] for lay in d["layers"]] == ["counties", "childcare_class", "county_labels"]
    _, d = spec(kinds=())
    assert [lay["id"] for lay in d["layers"]] == ["counties", "county_labels"]


def test_constants_are_literals_not_accessor_expressions():
    _, d = spec()
    labels = layer(d, "county_labels")
    assert labels["characterSet"] == "auto"  # Chinese glyphs are built from the data
    assert labels["fontFamily"].startswith('"Noto Sans CJK SC"')
    assert labels["sizeUnits"] == "pixels" and labels["getText"] == "@@=name"
    assert layer(d, "care_station")["radiusUnits"] == "pixels"
    assert layer(d, "counties")["lineWidthUnits"] == "pixels"


def test_one_tooltip_template_fits_every_pickable_layer():
    _, d = spec()
    fields = {"tip_title", "tip_body"}
    assert set(ml.TOOLTIP["html"].replace("}", "{").split("{")[1::2]) == fields
    for lay in d["layers"]:
        if not lay.get("pickable"):
            continue
        rows = lay["data"]["features"] if lay["id"] == "counties" else lay["data"]
        for r in rows:
            assert fields <= set(r.get("properties", r)), lay["id"]


def test_tile_server_adds_a_bitmap_mosaic_under_everything():
    url = "http://tiles.intranet.example/{z}/{x}/{y}.png"
    deck, d = spec(tile_url=url)
    tiles = [lay for lay in d["layers"] if lay["id"].startswith("basemap_")]
    assert tiles and d["layers"][: len(tiles)] == tiles
    assert len({t["id"] for t in tiles}) == len(tiles) <= 64
    z, x, y = map(int, tiles[0]["id"].split("_")[1:])
    assert tiles[0]["image"] == f"http://tiles.intranet.example/{z}/{x}/{y}.png"
    # z/x/y bounds: west = x/2^z*360-180
    assert tiles[0]["bounds"][0] == pytest.approx(x / 2 ** z * 360 - 180)
    # the mosaic covers the view's centre
    lons = [(t["bounds"][0], t["bounds"][2]) for t in tiles]
    lats = [(t["bounds"][1], t["bounds"][3]) for t in tiles]
    assert min(a for a, _ in lons) < VIEW["longitude"] < max(b for _, b in lons)
    assert min(a for a, _ in lats) < VIEW["latitude"] < max(b for _, b in lats)


def test_fit_view_fits_the_bounds_tightly():
    bounds = (112.5, 33.1, 113.7, 34.3)
    w, h, pad = 820, 600, 16
    view = ml.fit_view(bounds, w, h, padding=pad)
    xs, ys = zip(*[ml.project(lon, lat, view, w, h) for lon in bounds[::2] for lat in bounds[1::2]])
    assert min(xs) >= pad - 1 and max(xs) <= w - pad + 1
    assert min(ys) >= pad - 1 and max(ys) <= h - pad + 1
    # the tighter axis touches the padding (here height: the box is taller than wide in pixels)
    assert min(ys) == pytest.approx(pad, abs=1) and max(ys) == pytest.approx(h - pad, abs=1)


def test_project_and_unproject_are_inverse():
    x, y = ml.project(113.3, 33.9, VIEW, 820, 600)
    lon, lat = ml.unproject(x, y, VIEW, 820, 600)
    assert (lon, lat) == (pytest.approx(113.3), pytest.approx(33.9))
    assert ml.project(VIEW["longitude"], VIEW["latitude"], VIEW, 820, 600) == (410, 300)
    # one zoom level doubles distances from the centre
    x2, _ = ml.project(113.3, 33.75, {**VIEW, "zoom": 11.0}, 820, 600)
    assert x2 - 410 == pytest.approx(2 * (ml.project(113.3, 33.75, VIEW, 820, 600)[0] - 410))


def test_status_colours_match_the_badges():
    from dashboard.ui.status_style import STATUS_COLOURS

    assert {s: ml.rgb_hex(c) for s, c in ml.STATUS_RGB.items()} == STATUS_COLOURS
    # every status a county can have (#13): the three of a running year, 尚无数据, 达成 / 未达成
    assert set(ml.STATUS_RGB) == {STATUS_AHEAD, STATUS_ON_PACE, STATUS_BEHIND, STATUS_NOT_STARTED,
                                  STATUS_MET, STATUS_MISSED}
    # a closed year's county is shaded by its result, not drawn as "no allocation"
    assert ml.county_fill(STATUS_MET, 1.1, "status", False)[:3] == list(ml.STATUS_RGB[STATUS_MET])
    assert ml.county_fill(STATUS_MISSED, 0.4, "status", False)[:3] == list(ml.STATUS_RGB[STATUS_MISSED])


@pytest.mark.parametrize("completion, step", [(0.0, 0), (0.2499, 0), (0.25, 1), (0.74, 2), (0.99, 3),
                                              (1.0, 4), (2.5, 4)])
def test_completion_steps(completion, step):
    assert ml.completion_rgb(completion) == ml.COMPLETION_RGB[step]
    assert ml.completion_rgb(None) == ml.completion_rgb(math.nan) == ml.NO_ALLOCATION_RGB


def test_legend_lists_shading_and_both_point_kinds_in_chinese_and_english():
    items = ml.legend_items("care_station", "status", ml.KINDS, "zh")
    labels = [i["label"] for i in items]
    # every status a county can be shaded with (#13 added 尚无数据, 达成, 未达成)
    assert labels == ["超序时", "达序时", "滞后序时", "尚无数据", "达成", "未达成", "无分配任务",
                      "爱心驿站（今年新建，黑圈）", "爱心驿站（往年已建）",
                      "爱心托管班（今年新建，黑圈）", "爱心托管班（往年已建）"]
    assert items[7]["fill"] == [230, 101, 0, 255]
    en = [i["label"] for i in ml.legend_items("childcare_class", "completion", ["care_station"], "en")]
    assert en == ["<25%", "25–50%", "50–75%", "75–100%", "≥100%", "No allocation",
                  "Care stations (opened this year, ringed)", "Care stations (opened earlier)"]
    html = ml.legend_html(items + [{"group": "<g>", "label": "<b>x</b>", "fill": (1, 2, 3), "shape": "area"}])
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html and "#e66500" in html


def test_serialized_deck_hands_streamlit_the_same_spec_compact_and_with_the_tooltip():
    deck, d = spec()
    text = ml.deck_json(deck)
    assert json.loads(text) == d  # the same deck, only written compactly
    assert "\n" not in text and "驿站甲" in text and "\\u" not in text
    assert len(text.encode()) < len(deck.to_json().encode()) / 2
    served = ml.SerializedDeck(text)
    assert served.to_json() is text
    assert served._tooltip == ml.TOOLTIP  # what st.pydeck_chart reads for the tooltip
