"""Overview: every target of the plan year against its 序时进度, milestones, what needs attention.

Laid out for the screen-shared weekly meeting at 1920x1080: tiles, one bullet chart with all
targets (figures written on the chart) and, beside it, the attention list and the milestones.
"""
import streamlit as st

from dashboard import data
from dashboard.ui import definitions, widgets
from dashboard.views import overview as ov_view
from dashboard.i18n import t
from dashboard.filters.state import current
from dashboard.filters import layout
from dashboard.ui import phone

if layout.is_phone():  # a leader's phone: the same figures as cards (dashboard/ui/phone.py)
    phone.overview()
    st.stop()

ATTENTION_UNITS_SHOWN = 4
PLOT_CONFIG = {"displayModeBar": False, "staticPlot": True}

f = current()
widgets.banner()
ov = data.target_overview(f.year, f.as_of, f.units)
if ov.empty:
    st.info(t("no_data"))
    st.stop()
ms = data.milestones(f.year)
ub = data.unit_breakdown(f.year, f.as_of, f.units)

tiles = ov_view.tiles(ov, ms, f.as_of, f.lang)  # 4 to 6: the status counts shown depend on the date
for col, (label, value, colour) in zip(st.columns(len(tiles)), tiles):
    col.container(border=True).markdown(ov_view.tile_html(label, value, colour),
                                        unsafe_allow_html=True)

left, right = st.columns([2.4, 1], gap="medium")
with left:
    st.markdown(f"**{t('ov_chart_title')}**")
    st.plotly_chart(data.overview_bullets(f.year, f.as_of, f.units, f.lang), config=PLOT_CONFIG, key="ov_bullets")

with right:
    st.markdown(f"**{t('ov_attention')}**")
    with st.container(border=True):
        st.caption(ov_view.attention_text("ov_att_targets", ov, f.lang))
        lines = ov_view.behind_targets(ov, f.lang)
        st.markdown("\n".join(f"- {line}" for line in lines) or ov_view.attention_text("ov_att_none_targets", ov, f.lang))
        st.caption(ov_view.attention_text("ov_att_units", ov, f.lang))
        behind = ov_view.behind_unit_rows(ub, ov)
        lines = ov_view.unit_lines(behind, f.lang, ATTENTION_UNITS_SHOWN, per_unit=1)
        st.markdown("\n".join(f"- {line}" for line in lines) or ov_view.attention_text("ov_att_none_units", ov, f.lang))
        if len(behind):
            with st.expander(ov_view.attention_text("ov_att_more", ov, f.lang, n=len(behind))):
                widgets.table(ov_view.behind_units_table(behind, f.lang), hide_index=True)
    st.markdown(f"**{t('ov_milestones')}**")
    with st.container(border=True):
        ms_lines = ov_view.milestone_lines(ms, f.as_of, f.lang)
        st.markdown("\n".join(f"- {line}" for _, line in ms_lines) or t("ov_ms_none"))

definitions.show(f.lang)  # 口径说明
