"""The floor of the load benchmark: a plain Streamlit page with the overview's content (five tiles,
the bullet chart, the attention lines) prepared beforehand by benchmarks/load.py, so a rerun costs
only what Streamlit costs to draw it. `?county=<code>` picks the prepared view of that county."""
import json
import os

import streamlit as st

st.set_page_config(page_title="floor", layout="wide")


@st.cache_resource
def _views() -> dict:
    with open(os.environ["KPI_FLOOR_CONTENT"], encoding="utf-8") as fh:
        return json.load(fh)


view = _views()[st.query_params.get("county", "city")]
for col, tile in zip(st.columns(5), view["tiles"]):
    col.container(border=True).markdown(tile, unsafe_allow_html=True)
left, right = st.columns([2.4, 1], gap="medium")
with left:
    st.plotly_chart(json.loads(view["figure"]), config={"displayModeBar": False, "staticPlot": True})
with right:
    st.markdown("\n".join(f"- {line}" for line in view["lines"]))
