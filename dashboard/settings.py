"""The dashboard's view of the settings: `data_access.settings` is the one place they are read."""
from __future__ import annotations

from data_access import settings


def cache_ttl() -> int:
    """Seconds a cached figure lives (KPI_CACHE_TTL)."""
    return settings.get().cache_ttl


def db_url() -> str:
    """The database URL: KPI_DATABASE_URL, then secrets [database] url, then the default SQLite."""
    return settings.database_url()


def uses_embedded_default() -> bool:
    """True when running on the checkout's own SQLite file (the quick start)."""
    return settings.get().uses_embedded_default
