"""The map page's pydeck deck. Pure: GeoJSON and DataFrames in, a `pdk.Deck` out (no streamlit, no SQL).

Offline by construction: `map_provider=None` and no `map_style` (setting `map_style=None` too
would bring Streamlit's Carto basemap back), no web font, and no URL anywhere in the spec unless
an operator configured an intranet tile server. Every layer has an id, so selections name it.
"""
from __future__ import annotations

import html
import json
import math
from typing import Any, Mapping, Sequence

import pandas as pd
import pydeck as pdk

from dashboard.i18n import register, tr
from dashboard.ui.status_style import STATUS_RGB, status_word

COUNTY_LAYER = "counties"
LABEL_LAYER = "county_labels"
ZONE_LAYER = "zones"  # the functional zones (no official boundary): a marker at the seat
ZONE_LINE_RGB = (36, 41, 47)
ZONE_RADIUS = 11.0
ZONE_LABEL_LAYER = "zone_labels"
TILE_LAYER = "basemap"
KINDS = ("care_station", "childcare_class")  # also the point layers' ids

# Point colours: warm orange and violet stay apart from the green/blue/red county shading.
KIND_RGB = {"care_station": (230, 101, 0), "childcare_class": (121, 80, 242)}
NEW_RING_RGB = (20, 24, 28)  # dark ring around points opened in the plan year
# Completion (actual / allocation) in five steps, light yellow-green to dark blue (the lightest
# step still reads as a fill on the white page).
COMPLETION_STEPS = (0.25, 0.5, 0.75, 1.0)
COMPLETION_RGB = ((199, 233, 180), (127, 205, 187), (65, 182, 196), (44, 127, 184), (37, 52, 148))
NO_ALLOCATION_RGB = (210, 214, 219)
FILL_ALPHA, DIMMED_ALPHA = 170, 55
# System fonts only (no web font): Noto CJK on Linux, YaHei on Windows, PingFang on macOS.
LABEL_FONT = ('"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei", '
              '"PingFang SC", sans-serif')
PIXELS = '"pixels"'  # pydeck reads bare strings as accessor expressions; quoted = literal
# Web-mercator world width in deck.gl pixels at zoom 0.
WORLD_PX = 512

register({
    "map_kind_care_station": ("爱心驿站", "Care stations"),
    "map_kind_childcare_class": ("爱心托管班", "Childcare classes"),
    "map_legend_new": ("{kind}（今年新建，黑圈）", "{kind} (opened this year, ringed)"),
    "map_legend_old": ("{kind}（往年已建）", "{kind} (opened earlier)"),
    "map_legend_no_alloc": ("无分配任务", "No allocation"),
    "map_legend_status_title": ("区县着色：{kind}序时状态", "County shading: {kind} pace"),
    "map_legend_completion_title": ("区县着色：{kind}完成率（新建数 ÷ 分配任务）",
                                    "County shading: {kind} completion (new ÷ allocation)"),
    "map_legend_points_title": ("点位", "Points"),
    "map_legend_zones_title": ("功能区", "Functional zones"),
    "map_legend_zone": ("无官方边界，标在驻地（着色同区县）",
                        "no official boundary: marked at the seat (shaded like the counties)"),
})


# ---------------------------------------------------------------------------------------------
# colours


def rgb_hex(rgb: Sequence[int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb[:3])


def completion_rgb(completion: Any) -> tuple[int, int, int]:
    """The shade for a completion rate; no allocation (None/NaN) is grey."""
    if completion is None or (isinstance(completion, float) and math.isnan(completion)):
        return NO_ALLOCATION_RGB
    for step, rgb in zip(COMPLETION_STEPS, COMPLETION_RGB):
        if completion < step:
            return rgb
    return COMPLETION_RGB[-1]


def county_fill(status: str | None, completion: Any, shade_by: str, dimmed: bool) -> list[int]:
    """RGBA fill of a county: by pace status or by completion; dimmed when outside the filter."""
    if shade_by == "completion":
        rgb = completion_rgb(completion)
    else:
        rgb = STATUS_RGB.get(status or "", NO_ALLOCATION_RGB) if completion is not None else NO_ALLOCATION_RGB
    return [*rgb, DIMMED_ALPHA if dimmed else FILL_ALPHA]


def point_style(kind: str, is_new: bool) -> dict[str, Any]:
    """Fill, outline and radius of a point: new ones full colour with a dark ring, older ones paler."""
    rgb = KIND_RGB[kind]
    if is_new:
        return {"fill": [*rgb, 255], "line": [*NEW_RING_RGB, 255], "line_width": 2.0, "radius": 5.5}
    pale = [round(c + (255 - c) * 0.35) for c in rgb]
    return {"fill": [*pale, 215], "line": [255, 255, 255, 230], "line_width": 1.0, "radius": 4.0}


# ---------------------------------------------------------------------------------------------
# view


def _merc_y(lat: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def fit_view(bounds: Sequence[float], width: int, height: int, padding: int = 16,
             max_zoom: float = 13.0) -> dict[str, Any]:
    """latitude/longitude/zoom that fit (min_lon, min_lat, max_lon, max_lat) in a width×height map."""
    x0, y0, x1, y1 = bounds
    dx = max((x1 - x0) / 360 * WORLD_PX, 1e-9)
    dy = max((_merc_y(y1) - _merc_y(y0)) / (2 * math.pi) * WORLD_PX, 1e-9)
    zoom = math.log2(min((width - 2 * padding) / dx, (height - 2 * padding) / dy))
    lat = math.degrees(2 * math.atan(math.exp((_merc_y(y0) + _merc_y(y1)) / 2)) - math.pi / 2)
    return {"longitude": (x0 + x1) / 2, "latitude": lat, "zoom": round(min(zoom, max_zoom), 3)}


def project(lon: float, lat: float, view: Mapping[str, float], width: int,
            height: int) -> tuple[float, float]:
    """Pixel position (x right, y down) of lon/lat in a width×height map showing `view`."""
    scale = WORLD_PX * 2 ** view["zoom"]
    x = width / 2 + (lon - view["longitude"]) / 360 * scale
    y = height / 2 - (_merc_y(lat) - _merc_y(view["latitude"])) / (2 * math.pi) * scale
    return x, y


# ---------------------------------------------------------------------------------------------
# legend


def legend_items(kind: str, shade_by: str, kinds_shown: Sequence[str], lang: str,
                 zones: bool = False) -> list[dict[str, Any]]:
    """Legend entries: {'group', 'label', 'fill', 'line', 'shape'} (shape 'area', 'point' or 'zone');
    `zones`: functional zones are drawn as markers (they have no official boundary)."""
    kind_name = tr(f"map_kind_{kind}", lang)
    if shade_by == "completion":
        group = tr("map_legend_completion_title", lang, kind=kind_name)
        bounds = (0, *[int(s * 100) for s in COMPLETION_STEPS])
        labels = [f"{a}–{b}%" for a, b in zip(bounds, bounds[1:])] + [f"≥{bounds[-1]}%"]
        labels[0] = f"<{bounds[1]}%"
        items = [{"group": group, "label": lb, "fill": rgb, "shape": "area"}
                 for lb, rgb in zip(labels, COMPLETION_RGB)]
    else:
        group = tr("map_legend_status_title", lang, kind=kind_name)
        items = [{"group": group, "label": status_word(s, lang), "fill": rgb, "shape": "area"}
                 for s, rgb in STATUS_RGB.items()]
    items.append({"group": group, "label": tr("map_legend_no_alloc", lang), "fill": NO_ALLOCATION_RGB,
                  "shape": "area"})
    points = tr("map_legend_points_title", lang)
    for k in kinds_shown:
        name = tr(f"map_kind_{k}", lang)
        for is_new, key in ((True, "map_legend_new"), (False, "map_legend_old")):
            style = point_style(k, is_new)
            items.append({"group": points, "label": tr(key, lang, kind=name), "fill": style["fill"],
                          "line": style["line"], "shape": "point"})
    if zones:
        items.append({"group": tr("map_legend_zones_title", lang), "label": tr("map_legend_zone", lang),
                      "fill": (*NO_ALLOCATION_RGB, 255), "line": (*ZONE_LINE_RGB, 255), "shape": "zone"})
    return items


def legend_html(items: Sequence[Mapping[str, Any]], lang: str = "zh") -> str:
    """The legend as a small HTML block (inline styles only; labels escaped)."""
    groups: dict[str, list[str]] = {}
    for it in items:
        if it["shape"] == "zone":
            sw = (f"<span style='display:inline-block;width:16px;height:16px;border-radius:50%;"
                  f"background:{rgb_hex(it['fill'])};border:3px solid {rgb_hex(it['line'])};"
                  f"box-sizing:border-box;vertical-align:-3px'></span>")
        elif it["shape"] == "point":
            sw = (f"<span style='display:inline-block;width:11px;height:11px;border-radius:50%;"
                  f"background:{rgb_hex(it['fill'])};border:2px solid {rgb_hex(it['line'])};"
                  f"box-sizing:border-box;vertical-align:-1px'></span>")
        else:
            sw = (f"<span style='display:inline-block;width:16px;height:11px;border-radius:2px;"
                  f"background:{rgb_hex(it['fill'])};opacity:.85;vertical-align:-1px'></span>")
        groups.setdefault(it["group"], []).append(
            f"<span style='margin-right:14px;white-space:nowrap'>{sw} {html.escape(it['label'])}</span>")
    colon = ": " if lang == "en" else "："
    rows = [f"<div style='margin:2px 0'><b>{html.escape(g)}</b>{colon}{''.join(parts)}</div>"
            for g, parts in groups.items()]
    return "<div style='font-size:13px;line-height:1.7'>" + "".join(rows) + "</div>"


# ---------------------------------------------------------------------------------------------
# deck


def _quoted(value: str) -> str:
    """A literal string for pydeck, which otherwise reads strings as accessor expressions."""
    quote = "'" if "'" not in value else "`"
    return f"{quote}{value}{quote}"


def county_collection(features: Sequence[Mapping[str, Any]], shade: pd.DataFrame, shade_by: str,
                      chosen: Sequence[str]) -> dict[str, Any]:
    """A FeatureCollection of the county polygons with drawing and tooltip properties.

    `features`: GeoJSON features with properties adcode (str) and name. `shade`: one row per
    unit_code with status, completion, tip_title, tip_body (missing units are drawn grey).
    `chosen`: the filtered unit codes; others are dimmed when any is chosen.
    """
    by_code = shade.set_index("unit_code") if len(shade) else pd.DataFrame()
    out = []
    for feat in features:
        code = feat["properties"]["adcode"]
        row = by_code.loc[code] if code in by_code.index else None
        completion = None if row is None or pd.isna(row["completion"]) else float(row["completion"])
        status = None if row is None else row["status"]
        picked = code in chosen
        props = {
            "adcode": code, "name": feat["properties"]["name"],
            "fill": county_fill(status, completion, shade_by, dimmed=bool(chosen) and not picked),
            "line": [20, 24, 28, 255] if picked else [255, 255, 255, 255],
            "line_width": 3.0 if picked else 1.2,
            "tip_title": feat["properties"]["name"] if row is None else row["tip_title"],
            "tip_body": "" if row is None else row["tip_body"],
        }
        out.append({"type": "Feature", "geometry": feat["geometry"], "properties": props})
    return {"type": "FeatureCollection", "features": out}


def zone_frame(zones: pd.DataFrame, shade: pd.DataFrame, shade_by: str, chosen: Sequence[str]) -> pd.DataFrame:
    """The functional zones' markers, shaded like a county polygon.

    `zones`: code, name, lon, lat (views/map.zone_seats). `shade`: as for county_collection.
    Columns: unit_code, name, lon, lat, fill, line, line_width, tip_title, tip_body.
    """
    by_code = shade.set_index("unit_code") if len(shade) else pd.DataFrame()
    rows = []
    for z in zones.itertuples():
        row = by_code.loc[z.code] if z.code in by_code.index else None
        completion = None if row is None or pd.isna(row["completion"]) else float(row["completion"])
        status = None if row is None else row["status"]
        picked = z.code in chosen
        fill = county_fill(status if isinstance(status, str) else None, completion, shade_by,
                           dimmed=bool(chosen) and not picked)
        rows.append({"unit_code": z.code, "name": z.name, "lon": float(z.lon), "lat": float(z.lat),
                     "fill": [*fill[:3], 235], "line": [*ZONE_LINE_RGB, 255],
                     "line_width": 3.0 if picked else 2.0,
                     "tip_title": z.name if row is None else row["tip_title"],
                     "tip_body": "" if row is None else row["tip_body"]})
    return pd.DataFrame(rows, columns=["unit_code", "name", "lon", "lat", "fill", "line", "line_width",
                                       "tip_title", "tip_body"])


def zone_label_frame(zones: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """The zones' names: name, lon, lat, anchor ('start' right of the marker, 'end' left of it) and
    pixel offset, on the side away from the nearest county label (`labels`: label_frame)."""
    rows = []
    for z in zones.itertuples():
        side = 1
        if len(labels):
            d = (labels["lon"] - z.lon) ** 2 + (labels["lat"] - z.lat) ** 2
            nearest = labels.loc[d.idxmin()]
            side = -1 if float(nearest["lon"]) > z.lon else 1
        rows.append({"name": z.name, "lon": float(z.lon), "lat": float(z.lat),
                     "anchor": "start" if side > 0 else "end", "offset": [side * (ZONE_RADIUS + 5), 0]})
    return pd.DataFrame(rows, columns=["name", "lon", "lat", "anchor", "offset"])


def point_frame(points: pd.DataFrame, kind: str) -> pd.DataFrame:
    """The rows of one kind with their styles; older points first so new ones are drawn on top."""
    df = points[points["kind"] == kind]
    df = df.sort_values(["is_new", "id"], kind="stable")
    styles = [point_style(kind, bool(n)) for n in df["is_new"]]
    out = pd.DataFrame({
        "id": df["id"].astype(int).to_numpy(), "unit_code": df["unit_code"].astype(str).to_numpy(),
        "lon": df["lon"].astype(float).to_numpy(), "lat": df["lat"].astype(float).to_numpy(),
        "is_new": df["is_new"].astype(bool).to_numpy(), "name": df["name"].astype(str).to_numpy(),
        "tip_title": df["tip_title"].astype(str).to_numpy(),
        "tip_body": df["tip_body"].astype(str).to_numpy(),
    })
    for key in ("fill", "line", "line_width", "radius"):
        out[key] = [s[key] for s in styles]
    return out


TOOLTIP = {
    # One template for every layer: each object carries tip_title and tip_body (values are
    # HTML-escaped by Streamlit; pre-line keeps the body's line breaks).
    "html": "<b>{tip_title}</b><div>{tip_body}</div>",
    "style": {"whiteSpace": "pre-line", "fontSize": "13px", "maxWidth": "300px",
              "backgroundColor": "rgba(255,255,255,0.96)", "color": "#1f2328",
              "border": "1px solid #d0d7de", "borderRadius": "6px", "padding": "8px 10px"},
}


def build_deck(counties: dict[str, Any], labels: pd.DataFrame, points: pd.DataFrame, view: Mapping[str, float],
               kinds: Sequence[str] = KINDS, tile_url: str | None = None,
               size: tuple[int, int] = (820, 600), zones: pd.DataFrame | None = None) -> pdk.Deck:
    """The map: optional intranet basemap, county polygons, one point layer per kind, county labels.

    `counties`: from county_collection. `labels`: name, lon, lat, has_boundary (zones without a
    polygon are labelled in grey). `points`: facility rows with kind, is_new, lon, lat, tip_title,
    tip_body. `kinds`: the point layers switched on. `tile_url`: an {z}/{x}/{y} template or None;
    `size`: the map's expected width and height in pixels (for the basemap's extent). `zones`:
    zone_frame, the functional zones drawn as markers at their seats, always labelled.
    """
    layers = tile_layers(tile_url, view, *size) if tile_url else []
    layers.append(pdk.Layer(
        "GeoJsonLayer", counties, id=COUNTY_LAYER, stroked=True, filled=True, pickable=True,
        auto_highlight=True, highlight_color=[255, 255, 255, 70],
        get_fill_color="properties.fill", get_line_color="properties.line",
        get_line_width="properties.line_width", line_width_units=PIXELS,
    ))
    for kind in KINDS:
        if kind not in kinds:
            continue
        layers.append(pdk.Layer(
            "ScatterplotLayer", point_frame(points, kind), id=kind, pickable=True, auto_highlight=True,
            get_position=["lon", "lat"], get_fill_color="fill", get_line_color="line",
            get_line_width="line_width", get_radius="radius", stroked=True, filled=True,
            radius_units=PIXELS, line_width_units=PIXELS,
        ))
    if zones is not None and len(zones):
        layers.append(pdk.Layer(
            "ScatterplotLayer", zones, id=ZONE_LAYER, pickable=True, auto_highlight=True,
            get_position=["lon", "lat"], get_fill_color="fill", get_line_color="line",
            get_line_width="line_width", get_radius=ZONE_RADIUS, stroked=True, filled=True,
            radius_units=PIXELS, line_width_units=PIXELS,
        ))
    # Names last, so points never cover them.
    label_df = labels.assign(
        color=[[36, 41, 47, 255] if b else [110, 118, 129, 255] for b in labels["has_boundary"]],
        size=[14 if b else 12 for b in labels["has_boundary"]],
        priority=[1 if b else 0 for b in labels["has_boundary"]],
    )[["name", "lon", "lat", "color", "size", "priority"]]
    layers.append(pdk.Layer(
        "TextLayer", label_df, id=LABEL_LAYER, pickable=False, get_position=["lon", "lat"],
        get_text="name", get_color="color", get_size="size", size_units=PIXELS,
        character_set='"auto"', font_family=_quoted(LABEL_FONT), font_weight=600,
        font_settings={"sdf": True}, outline_width=3, outline_color=[255, 255, 255, 235],
        get_text_anchor='"middle"', get_alignment_baseline='"center"',
        # Overlapping names (the small central districts and zones) hide until zoomed in;
        # county names win over zone names.
        extensions=[{"@@type": "CollisionFilterExtension"}], get_collision_priority="priority",
    ))
    if zones is not None and len(zones):
        # A zone's name beside its marker, never hidden (no collision filter), on the side away from
        # the nearest county name.
        layers.append(pdk.Layer(
            "TextLayer", zone_label_frame(zones, labels), id=ZONE_LABEL_LAYER, pickable=False,
            get_position=["lon", "lat"], get_text="name", get_color=[36, 41, 47, 255], get_size=13,
            size_units=PIXELS, character_set='"auto"', font_family=_quoted(LABEL_FONT), font_weight=600,
            font_settings={"sdf": True}, outline_width=3, outline_color=[255, 255, 255, 235],
            get_text_anchor="anchor", get_alignment_baseline='"center"', get_pixel_offset="offset",
        ))
    state = pdk.ViewState(latitude=view["latitude"], longitude=view["longitude"], zoom=view["zoom"],
                          min_zoom=6, max_zoom=16, pitch=0, bearing=0)
    return pdk.Deck(layers=layers, initial_view_state=state, map_provider=None, tooltip=TOOLTIP)


class SerializedDeck(pdk.Deck):  # type: ignore[misc, unused-ignore]
    """A deck whose JSON was made beforehand. st.pydeck_chart calls `to_json()` on every rerun, and
    pydeck's serialiser (a recursive key rewrite, then an indented dump) takes about a second for
    ten thousand points; the page makes the JSON once per filter and reuses it."""

    def __init__(self, spec: str):
        super().__init__(map_provider=None, tooltip=TOOLTIP)  # the tooltip travels beside the spec
        self._spec = spec

    def to_json(self) -> str:
        return self._spec


def deck_json(deck: pdk.Deck) -> str:
    """The deck's JSON as pydeck writes it, made compact: no indentation, Chinese as UTF-8 rather
    than \\u escapes (about a third of the bytes the browser receives on every rerun)."""
    return json.dumps(json.loads(deck.to_json()), ensure_ascii=False, separators=(",", ":"))


def unproject(x: float, y: float, view: Mapping[str, float], width: int,
              height: int) -> tuple[float, float]:
    """lon/lat at pixel (x, y) of a width×height map showing `view` (inverse of `project`)."""
    scale = WORLD_PX * 2 ** view["zoom"]
    lon = view["longitude"] + (x - width / 2) / scale * 360
    my = _merc_y(view["latitude"]) - (y - height / 2) / scale * 2 * math.pi
    return lon, math.degrees(2 * math.atan(math.exp(my)) - math.pi / 2)


def _tile_xy(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - _merc_y(lat) / math.pi) / 2 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def _tile_bounds(x: int, y: int, z: int) -> list[float]:
    """[west, south, east, north] of slippy-map tile z/x/y."""
    n = 2 ** z

    def lat(row: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return [x / n * 360 - 180, lat(y + 1), (x + 1) / n * 360 - 180, lat(y)]


def tile_layers(url: str, view: Mapping[str, float], width: int, height: int,
                max_tiles: int = 64) -> list[pdk.Layer]:
    """An intranet raster basemap from a {z}/{x}/{y} URL template: one BitmapLayer per tile
    covering the first view and half a screen around it, at the sharpest zoom within `max_tiles`.

    Streamlit's JSON deck cannot carry the JavaScript `renderSubLayers` a TileLayer needs to draw
    images (and TerrainLayer needs a worker script from a CDN), so the mosaic is fixed: panning
    far or zooming in a lot shows its edge or blurs, which suits a schematic basemap.
    """
    corners = [unproject(px, py, view, width, height)
               for px in (-width / 2, 1.5 * width) for py in (-height / 2, 1.5 * height)]
    west, east = min(c[0] for c in corners), max(c[0] for c in corners)
    south, north = min(c[1] for c in corners), max(c[1] for c in corners)
    z = min(max(math.ceil(view["zoom"]) + 1, 1), 18)  # 256-px tiles show 1:1 at deck zoom + 1
    while True:
        x0, y0 = _tile_xy(west, north, z)
        x1, y1 = _tile_xy(east, south, z)
        if (x1 - x0 + 1) * (y1 - y0 + 1) <= max_tiles or z <= 1:
            break
        z -= 1
    layers = []
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            src = url.replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y))
            layers.append(pdk.Layer("BitmapLayer", id=f"{TILE_LAYER}_{z}_{x}_{y}", image=_quoted(src),
                                    bounds=_tile_bounds(x, y, z), pickable=False))
    return layers
