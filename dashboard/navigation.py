"""The page table: file, ASCII url path, title, icon, section. Pages whose script is not there yet
are left out, so each issue adds its page by adding its file."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from .i18n import tr

PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"

# (script, url_path, title key, icon, section key)
PAGE_TABLE = [
    ("overview.py", "overview", "nav_overview", ":material/dashboard:", "nav_section_main"),
    ("targets.py", "targets", "nav_targets", ":material/flag:", "nav_section_main"),
    ("map.py", "map", "nav_map", ":material/map:", "nav_section_main"),
    ("new_economy.py", "new-economy", "nav_new_economy", ":material/delivery_truck_speed:", "nav_section_main"),
    ("meeting.py", "meeting", "nav_meeting", ":material/co_present:", "nav_section_work"),
    ("report.py", "report", "nav_report", ":material/upload_file:", "nav_section_work"),
    ("admin.py", "admin", "nav_admin", ":material/admin_panel_settings:", "nav_section_work"),
]


def build_pages(lang: str) -> dict[str, list]:
    sections: dict[str, list] = {}
    for script, url_path, title_key, icon, section_key in PAGE_TABLE:
        path = PAGES_DIR / script
        if not path.exists():
            continue
        page = st.Page(path, title=tr(title_key, lang), icon=icon, url_path=url_path,
                       default=url_path == "overview")
        sections.setdefault(tr(section_key, lang), []).append(page)
    return sections
