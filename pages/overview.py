"""Overview page (placeholder while it is built)."""
import streamlit as st

from dashboard import data, ui
from dashboard.state import current

f = current()
ui.banner()
df = data.target_overview(f.year, f.as_of, f.units)
st.dataframe(df)
