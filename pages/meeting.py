"""周例会 (weekly meeting): the briefing of the shared as-of date, screen-shared in presentation
mode (?present=1, one section per screen), with decisions recorded during the meeting and the
briefing as PDF and Excel."""
import streamlit as st

from dashboard.views import meeting as mv
from dashboard.ui import widgets
from dashboard.i18n import t
from dashboard.filters.state import current

f = current()
present = mv.presenting()
b = mv.briefing(f.year, f.as_of, f.units)
shown = mv.tables(f.year, f.as_of, f.units, b, f.lang)

if present:
    mv.presentation_style()
    mv.header(b, f.lang, big=True)
    i = mv.slide_index()
    mv.slide_nav(i)  # at the top, so it stays on screen whatever the section's length
    key = mv.SLIDES[i]
    st.header(t(mv.SLIDE_TITLES[key]))
    mv.SHOW[key](b, shown, f.lang, big=True)
else:
    widgets.banner()
    mv.header(b, f.lang, big=False)
    c1, c2 = st.columns([1, 2])
    with c1:
        mv.present_button()
    with c2:
        mv.downloads(b, f.lang)
    for key in mv.SLIDES:
        st.header(t(mv.SLIDE_TITLES[key]))
        mv.SHOW[key](b, shown, f.lang, big=False)
