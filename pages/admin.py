"""系统管理 (administrators only): accounts, targets (added, edited, retired), plan curves,
allocations and milestones of a plan year, a new plan year, the audit log. The data layer checks the role again on every write."""
from collections.abc import Callable

import streamlit as st

from dashboard.ui import admin as adm
from dashboard.auth.gate import require_page_role
from dashboard.i18n import t
from dashboard.filters.state import current
from data_access.schema.accounts import ROLE_ADMIN

admin = require_page_role(ROLE_ADMIN)
f = current()
st.title(adm.title())
adm.show_flash()
sections: list[tuple[str, Callable[[], None]]] = [
    ("admin_tab_accounts", lambda: adm.accounts(admin)),
    ("admin_tab_targets", lambda: adm.targets(admin, f.year)),
    ("admin_tab_curves", lambda: adm.curves(admin, f.year)),
    ("admin_tab_alloc", lambda: adm.allocations(admin, f.year)),
    ("admin_tab_milestones", lambda: adm.milestones(admin, f.year)),
    ("admin_tab_year", lambda: adm.new_year(admin)),
    ("admin_tab_audit", lambda: adm.audit(admin)),
]
tabs = st.tabs([t(key) for key, _ in sections], key="admin_tab", on_change="rerun")
for tab, (_, render) in zip(tabs, sections):
    if tab.open:  # only the selected tab runs (its editors read the database)
        with tab:
            render()
