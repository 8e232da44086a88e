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

PLOT_CONFIG = {"displayModeBar": False, "staticPlot": True}

f = current()
widgets.banner()
ov = data.target_overview(f.year, f.as_of, f.units)
if ov.empty:
    st.info(t("no_data"))
    st.stop()
panel = data.overview_panel(f.year, f.as_of, f.units, f.lang, ov_view.ATTENTION_UNITS_SHOWN)

for col, (label, value, colour) in zip(st.columns(len(panel["tiles"])), panel["tiles"]):
    col.container(border=True).markdown(ov_view.tile_html(label, value, colour),
                                        unsafe_allow_html=True)

left, right = st.columns([2.4, 1], gap="medium")
with left:
    st.markdown(f"**{t('ov_chart_title')}**")
    st.plotly_chart(data.overview_bullets(f.year, f.as_of, f.units, f.lang), config=PLOT_CONFIG, key="ov_bullets")

with right:
    st.markdown(f"**{t('ov_attention')}**")
    with st.container(border=True):
        st.caption(panel["targets_caption"])
        st.markdown("\n".join(f"- {line}" for line in panel["target_lines"]) or panel["targets_none"])
        st.caption(panel["units_caption"])
        st.markdown("\n".join(f"- {line}" for line in panel["unit_lines"]) or panel["units_none"])
        if panel["more_table"] is not None:
            with st.expander(panel["more_label"]):
                widgets.table(panel["more_table"], hide_index=True)
    st.markdown(f"**{t('ov_milestones')}**")
    with st.container(border=True):
        st.markdown("\n".join(f"- {line}" for line in panel["milestone_lines"]) or t("ov_ms_none"))

definitions.show(f.lang)  # 口径说明
