"""Map page: 爱心驿站 and 爱心托管班 over the county boundaries, offline, with counts per county."""
import streamlit as st

from dashboard.charts import map_layers
from dashboard.ui import map as mu
from dashboard.views import map
from dashboard.ui import widgets
from dashboard.i18n import t
from dashboard.filters.state import current
from dashboard.filters import layout
from dashboard.ui import phone

if layout.is_phone():  # a leader's phone: the same figures as cards (dashboard/ui/phone.py)
    phone.map_page()
    st.stop()

f = current()
widgets.banner()
st.subheader(t("map_title"))

c1, c2, c3 = st.columns([1.1, 1, 1.6])
kind = c1.segmented_control(t("map_kind_control"), options=list(map_layers.KINDS), key="map_kind",
                            default=map_layers.KINDS[0], required=True,
                            format_func=lambda k: t(f"map_kind_{k}"))
shade_by = c2.segmented_control(t("map_shade_control"), options=["status", "completion"],
                                key="map_shade", default="status", required=True,
                                format_func=lambda s: t(f"map_shade_{s}"))
shown = c3.pills(t("map_layers_control"), options=list(map_layers.KINDS), selection_mode="multi",
                 key="map_layers_shown", default=list(map_layers.KINDS),
                 format_func=lambda k: t(f"map_kind_{k}"))

view = mu.build(f, kind, shade_by, shown or [])
if view.bad_tile:
    st.warning(t("map_bad_tile_url"), icon=":material/warning:")

left, right = st.columns([3, 2], gap="medium")
with left:
    st.pydeck_chart(view.deck, on_select=mu.on_pick, selection_mode="single-object",
                    key=mu.deck_key(), height=map.MAP_HEIGHT)
    st.html(view.legend)
    notes = [t("map_note"), view.zones_note] + ([t("map_note_tiles")] if view.tile else [])
    st.caption(" ".join(notes))
    st.caption(t("map_click_hint"))
with right:
    st.markdown(f"**{t('map_county_header', kind=t(f'map_kind_{kind}'))}**")
    widgets.table(view.counties, hide_index=True, height="content", key="map_county_table")
    widgets.download_buttons(view.counties, stem=f"map_counties_{kind}", key="map_counties_dl")

st.markdown(f"**{t('map_points_header')}**")
text = st.text_input(t("map_search"), key=mu.SEARCH_KEY)
table = map.points_display(map.search(view.points, text), f.lang)
st.caption(t("map_rows", n=len(table)))
widgets.table(table, hide_index=True, height=420, key="map_point_table")
widgets.download_buttons(table, stem="map_points", key="map_points_dl")
