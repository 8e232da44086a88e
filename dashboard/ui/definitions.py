"""The 口径说明 box of the overview and the targets page: one collapsed expander with the text of
`data_access.present.texts.definitions` (the same words the rules' docstrings point to)."""
from __future__ import annotations

import streamlit as st

from data_access.present import texts


def show(lang: str) -> None:
    """The definitions, collapsed, in `lang`."""
    zh, en = texts.DEFINITIONS_TITLE
    with st.expander(en if lang == "en" else zh, icon=":material/info:"):
        st.markdown(texts.definitions(lang))
