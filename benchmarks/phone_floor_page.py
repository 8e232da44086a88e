"""The floor of the phone benchmark (benchmarks/phone_load.py): a plain Streamlit page with the phone
overview's content made beforehand (the style, the chips, the eleven cards, the attention and
milestone lines), so a load costs only what Streamlit itself costs to bring that content to a phone."""
import json
import os

import streamlit as st

st.set_page_config(page_title="floor", layout="wide", initial_sidebar_state="collapsed")


@st.cache_resource
def _content() -> dict:
    with open(os.environ["KPI_PHONE_FLOOR_CONTENT"], encoding="utf-8") as fh:
        return json.load(fh)


c = _content()
st.html(c["style"])
for block in c["html"]:
    st.html(block)
for lines in c["markdown"]:
    st.markdown(lines)
