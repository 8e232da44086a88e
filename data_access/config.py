"""Where the shared database lives: `KPI_DATABASE_URL`, else a SQLite file in the checkout's data/."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = ROOT / "data"
ENV_VAR = "KPI_DATABASE_URL"


def database_url() -> str:
    """The SQLAlchemy URL of the shared database."""
    url = os.environ.get(ENV_VAR, "").strip()
    if url:
        return url
    DEFAULT_DATA_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_DATA_DIR / 'kpi.sqlite3'}"
