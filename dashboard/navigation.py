"""The page table: file, ASCII url path, title, section. Pages whose script is not there yet
are left out, so each issue adds its page by adding its file."""
from __future__ import annotations


from pathlib import Path
from typing import Any, Literal

import streamlit as st

from data_access.schema.accounts import ROLE_ADMIN

from dashboard.i18n import tr

PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"

# (script, url_path, title key, section key). No page icons: Streamlit makes a page's Material icon
# the tab's favicon by loading it from fonts.gstatic.com (an emoji would show as a box on machines
# without an emoji font), and nothing may leave the intranet.
PAGE_TABLE = [
    ("overview.py", "overview", "nav_overview", "nav_section_main"),
    ("targets.py", "targets", "nav_targets", "nav_section_main"),
    ("map.py", "map", "nav_map", "nav_section_main"),
    ("new_economy.py", "new-economy", "nav_new_economy", "nav_section_main"),
    ("meeting.py", "meeting", "nav_meeting", "nav_section_work"),
    ("report.py", "report", "nav_report", "nav_section_work"),
    ("admin.py", "admin", "nav_admin", "nav_section_work"),
]


# Pages listed in the menu only for these roles; for others they stay reachable by URL but hidden,
# so that /admin shows the page's own refusal rather than silently another page.
PAGE_ROLES = {"admin": (ROLE_ADMIN,)}


def page_entries(role: str | None = None) -> list[tuple[tuple[str, str, str, str], bool]]:
    """(PAGE_TABLE row, shown in the menu) for every page whose script exists, for `role`
    (None: authentication off, everything shown)."""
    out = []
    for row in PAGE_TABLE:
        script, url_path = row[0], row[1]
        if not (PAGES_DIR / script).exists():
            continue
        hidden = role is not None and url_path in PAGE_ROLES and role not in PAGE_ROLES[url_path]
        out.append((row, not hidden))
    return out


# Streamlit serves the default page at `/` only (its own url_path is reserved but answers "Page not
# found"), so the default page is registered under this path and the overview's own path,
# `/overview` (the one the README and shared links name), is a hidden second entry of the same script.
DEFAULT_PAGE = "overview"
DEFAULT_ALIAS = "home"


def build_pages(lang: str, role: str | None = None) -> dict[str, list[Any]]:
    """The navigation's sections for the user's `role`."""
    sections: dict[str, list[Any]] = {}
    for (script, url_path, title_key, section_key), shown in page_entries(role):
        section = sections.setdefault(tr(section_key, lang), [])
        visibility: Literal["visible", "hidden"] = "visible" if shown else "hidden"
        if url_path == DEFAULT_PAGE:
            section.append(st.Page(PAGES_DIR / script, title=tr(title_key, lang), url_path=DEFAULT_ALIAS,
                                   default=True, visibility=visibility))
            visibility = "hidden"
        section.append(st.Page(PAGES_DIR / script, title=tr(title_key, lang), url_path=url_path,
                               visibility=visibility))
    return sections
