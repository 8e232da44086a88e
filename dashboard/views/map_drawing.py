"""The whole map drawing (pure: the cached readers' frames in, the deck's JSON, legend and tables
out), assembled from views/map.py's pieces; dashboard/data.py caches it per filter (`map_drawing`).
"""
from __future__ import annotations

from typing import Any, Mapping, NamedTuple, Sequence

import pandas as pd

from dashboard.charts import map_layers
from dashboard.i18n import tr
from dashboard.views.map import (MAP_HEIGHT, MAP_WIDTH_GUESS, county_counts, county_display, county_shading,
                                 label_frame, point_rows, view_for, zone_seats, zones_without_boundary)


class Drawn(NamedTuple):
    spec: str  # the deck's JSON
    legend: str
    counties: pd.DataFrame  # display table
    points: pd.DataFrame  # point_rows (filter with search, show with points_display)
    zones_note: str  # the note naming the zones drawn without a polygon ("" when none)


def drawing(features: Sequence[Mapping[str, Any]], *, units_df: pd.DataFrame, area: Sequence[str] | None,
            breakdown: pd.DataFrame | None, area_counts: pd.DataFrame, counts: pd.DataFrame,
            points: pd.DataFrame, overview: pd.DataFrame | None, target: str | None,
            counties: tuple[str, ...], kind: str, shade_by: str, kinds_shown: tuple[str, ...], lang: str,
            tile_url: str | None) -> Drawn:
    """The map, its legend and tables. `area` (None: the whole city) is what the viewer may read:
    the polygons are shaded, and the table's rows listed, for those units only; `counts`, `points`
    and `overview` are the filter's; `breakdown` is `target`'s per-unit allocation over `area`."""
    empty = pd.DataFrame(columns=["unit_code", "allocation", "completion", "status"])
    breakdown = breakdown if breakdown is not None else empty
    shown_units = units_df if area is None else units_df[units_df["code"].isin(area)]
    shading = county_shading(county_counts(shown_units, area_counts, breakdown, kind, ()), kind, lang)
    point_table = point_rows(points, units_df, lang)
    rows = county_counts(shown_units, counts, breakdown, kind, counties)
    total = None
    if target and overview is not None:
        total = overview[overview["target_code"] == target].iloc[0].to_dict()
    seats = zone_seats(features, shown_units, lang)
    deck = map_layers.build_deck(
        map_layers.county_collection(features, shading, shade_by, counties),
        label_frame(features, units_df, lang), point_table, view_for(features, counties, point_table, units_df),
        kinds=kinds_shown, tile_url=tile_url, size=(MAP_WIDTH_GUESS, MAP_HEIGHT),
        zones=map_layers.zone_frame(seats, shading, shade_by, counties))
    legend = map_layers.legend_html(
        map_layers.legend_items(kind, shade_by, kinds_shown, lang, zones=len(seats) > 0), lang)
    zones = zones_without_boundary(features, units_df, lang)
    note = tr("map_note_zones", lang, zones=zones) if zones else ""
    return Drawn(map_layers.deck_json(deck), legend, county_display(rows, total, lang, not counties),
                 point_table, note)
