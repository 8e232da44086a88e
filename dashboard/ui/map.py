"""The map page's streamlit side: the drawing for the shared filters (dashboard/data.py's cached
`map_drawing`), and what a click on the map does to the filters and the search box."""
from __future__ import annotations

from typing import NamedTuple, Sequence

import pandas as pd
import pydeck as pdk
import streamlit as st

from dashboard import data
from dashboard.charts import map_layers
from dashboard.filters.state import current
from dashboard.filters.url import Filters
from dashboard.views import map as map_view

SEARCH_KEY = "map_search"
_PICKS = "map_picks"
_FILTERS = "filters"  # dashboard.filters.state keeps the shared Filters under this session-state key


class MapPage(NamedTuple):
    deck: pdk.Deck
    legend: str
    counties: pd.DataFrame  # display table
    points: pd.DataFrame  # point_rows (filter with search, show with points_display)
    zones_note: str
    tile: bool
    bad_tile: bool


def build(f: Filters, kind: str, shade_by: str, kinds_shown: Sequence[str]) -> MapPage:
    """Everything the map page draws, for the shared filters and the page's own controls. The
    shading covers what the viewer may read (data.visible_units: the one county scope)."""
    url, bad = map_view.tile_url()
    d = data.map_drawing(f.year, f.as_of, f.units, data.visible_units(), f.counties, kind, shade_by,
                         tuple(kinds_shown), f.lang, url)
    return MapPage(map_layers.SerializedDeck(d.spec), d.legend, d.counties, d.points, d.zones_note,
                   url is not None, bad)


def deck_key() -> str:
    """The chart's key changes after each handled click, which clears the chart's own selection
    (Streamlit would otherwise grey out every unselected object)."""
    return f"map_deck_{st.session_state.get(_PICKS, 0)}"


def on_pick() -> None:
    """on_select callback: runs before the rerun, so the app's state.setup sees the new filters
    and writes them into the URL and the sidebar."""
    ss = st.session_state
    event = ss.get(deck_key())
    selection = event.get("selection") if event is not None else None
    new_filters, text = map_view.apply_pick(selection, current())
    if new_filters is not None:
        ss[_FILTERS] = new_filters
    if text is not None:
        ss[SEARCH_KEY] = text
    ss[_PICKS] = ss.get(_PICKS, 0) + 1
