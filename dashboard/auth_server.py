"""Production entrypoint: `streamlit run dashboard/auth_server.py` (or `uvicorn` on `auth_server:app`).

The same dashboard as `streamlit run dashboard/app.py`, plus the two cookie routes of
auth_routes.py (st.App custom routes, Streamlit >= 1.53), so a built-in login survives a page
refresh. Started through app.py directly, the built-in login still works but ends on refresh, and
the login form says so.
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from dashboard import health, server_guard, warm  # noqa: E402
from dashboard.auth import routes as auth_routes  # noqa: E402

auth_routes.MOUNTED = True
app = st.App(Path(__file__).resolve().with_name("app.py"), routes=auth_routes.routes() + health.routes(),
             middleware=server_guard.middleware())  # no login, no cost: dashboard/server_guard.py
warm.start()  # the default views computed in the background, on start and after each change
