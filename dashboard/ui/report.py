"""The reporting page's streamlit helpers: an error shown as the user's own text, and an action
run with its outcome shown after the rerun."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from data_access.errors import DataAccessError

from dashboard.i18n import current_lang, t
from dashboard.ui.safe_text import md

FLASH = "rep_flash"


def said(exc: DataAccessError) -> str:
    """The error's message, markdown-escaped: it quotes cells and file names from the upload."""
    return md(exc.message_en if current_lang() == "en" else exc.message_zh)


def act(fn: Callable[..., Any], *args: Any, message: str) -> None:
    """Run an importer action; on success show `message` after the rerun, else the reason."""
    try:
        fn(*args)
    except DataAccessError as exc:
        st.error(t("rep_error", msg=said(exc)))
        return
    st.session_state[FLASH] = message
    st.rerun()


def show_flash() -> None:
    if FLASH in st.session_state:
        st.success(st.session_state.pop(FLASH), icon=":material/check_circle:")
