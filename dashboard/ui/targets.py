"""The target-detail page's picker: ?target=T07 is the page's own URL parameter; the link picks the
target, the picker writes it back, and the last pick is remembered across pages (widget state is
dropped when another page runs)."""
from __future__ import annotations

import streamlit as st

from dashboard.i18n import t
from dashboard.ui.safe_text import md
from dashboard.views import targets as tv

PICK = "tg_pick"
LAST = "tg_last"


def _picked() -> None:
    st.query_params["target"] = st.session_state[PICK]


def pick_target(codes: list[str], titles: dict[str, str]) -> str:
    """The target on screen: from the URL (a bad code warns and falls back), else the last pick,
    else the first; shown in a select box that writes the choice back into the URL."""
    raw = st.query_params.get("target")
    code, valid = tv.resolve_target(raw, codes, st.session_state.get(LAST))
    if not valid:
        st.warning(t("tg_bad_code", value=md(raw), code=titles[code]), icon=":material/warning:")
    st.session_state[PICK] = st.session_state[LAST] = code
    if st.query_params.get("target") != code:
        st.query_params["target"] = code
    st.selectbox(t("tg_pick"), codes, key=PICK, format_func=lambda c: titles[c], on_change=_picked)
    return code
