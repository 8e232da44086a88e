"""周例会 (weekly meeting): the briefing of the shared as-of date, screen-shared in presentation
mode (?present=1, one section per screen), with decisions recorded during the meeting and the
briefing as PDF and Excel."""
import streamlit as st

from dashboard import data
from dashboard.filters.state import current
from dashboard.i18n import t
from dashboard.ui import meeting as mu, widgets
from dashboard.views import meeting as mv
from dashboard.filters import layout
from dashboard.ui import phone

if layout.is_phone() and not mu.presenting():  # a leader's phone: the briefing as cards (ui/phone.py)
    phone.meeting_page()
    st.stop()

f = current()
present = mu.presenting()
b = data.briefing(f.year, f.as_of, f.units)
shown = mv.shown_tables(data.briefing_tables(f.year, f.as_of, f.units, f.lang), b, f.lang)

if present:
    mu.presentation_style()
    mu.header(b, f.lang, big=True)
    i = mu.slide_index()
    mu.slide_nav(i)  # at the top, so it stays on screen whatever the section's length
    key = mv.SLIDES[i]
    st.header(t(mv.SLIDE_TITLES[key]))
    mu.SHOW[key](b, shown, f.lang, big=True)
else:
    widgets.banner()
    mu.header(b, f.lang, big=False)
    c1, c2 = st.columns([1, 2])
    with c1:
        mu.present_button()
    with c2:
        mu.downloads(b, f.lang)
    for key in mv.SLIDES:
        st.header(t(mv.SLIDE_TITLES[key]))
        mu.SHOW[key](b, shown, f.lang, big=False)
