"""Entrypoint: `streamlit run dashboard/app.py`. Sets up the page, the shared filters and navigation."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run dashboard/app.py` puts only dashboard/ on the path
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from dashboard.auth import gate as auth_gate  # noqa: E402
from dashboard import data, error_page  # noqa: E402
from dashboard.filters import layout, state  # noqa: E402
from dashboard.i18n import t, tr  # noqa: E402
from dashboard.navigation import build_pages  # noqa: E402
from dashboard.ui import phone  # noqa: E402
from dashboard.ui.safe_text import md  # noqa: E402
from data_access import events, settings  # noqa: E402
from data_access.errors import DataAccessError  # noqa: E402

# Presentation mode of the meeting page (?present=1): no sidebar, no navigation, big type.
presenting = st.query_params.get("present") in ("1", "true")
# An emoji icon is drawn locally; a :material: page icon makes the browser fetch it from a CDN.
st.set_page_config(page_title="鹰城工会看板", page_icon="📊", layout="wide",  # a phone: sidebar closed
                   initial_sidebar_state="collapsed" if presenting or layout.setup().phone else "expanded")

try:  # a bad setting (e.g. KPI_CACHE_TTL=2m): its one-line reason, not a traceback
    settings.get()
except settings.SettingsError as exc:
    st.error(exc.message_zh, icon=":material/error:")  # the operator's own setting, named
    st.stop()
with error_page.guard("app"):  # an outage or a bug: the project's Chinese page, never Streamlit's
    try:
        data.engine()
        data.begin_run()  # the data's version, read once per run: every cached figure is keyed by it
        defaults = state.defaults()
    except DataAccessError as exc:
        events.error(exc, where="app")
        st.error(tr("db_error", "zh", reason=md(exc.message_zh)), icon=":material/error:")
        st.stop()
    except LookupError:
        st.error(tr("no_plan_year", "zh"), icon=":material/error:")
        st.stop()

    user = auth_gate.gate()  # no login, no page: stops here with the login form (issue 7)
    filters = state.setup(defaults)
    page = st.navigation(build_pages(filters.lang, user.role), position="hidden" if presenting else "sidebar")
    if not presenting:
        with st.sidebar:
            st.markdown(f"### {t('app_title')}")
            st.caption(t("app_subtitle"))
        phone.shell(defaults)  # the sidebar's filters, or on a phone the filters at the top
        auth_gate.sidebar_account()
    state.show_warnings()
    page.run()
