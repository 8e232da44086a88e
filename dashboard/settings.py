"""Settings read in one place: environment first, then .streamlit/secrets.toml. Pure."""
from __future__ import annotations

import os

from data_access.config import ENV_VAR, database_url

CACHE_TTL_SECONDS = int(os.environ.get("KPI_CACHE_TTL", "120"))


def db_url() -> str:
    """The database URL: KPI_DATABASE_URL, then secrets [database] url, then the default SQLite."""
    if os.environ.get(ENV_VAR):
        return database_url()
    try:
        import streamlit as st

        url = st.secrets.get("database", {}).get("url")
        if url:
            return url
    except Exception:  # noqa: BLE001 - no secrets file is the normal case
        pass
    return database_url()


def uses_embedded_default() -> bool:
    """True when running on the checkout's own SQLite file (the quick start)."""
    return db_url() == database_url() and not os.environ.get(ENV_VAR)
