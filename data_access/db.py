"""Engine factory. One engine per URL; SQLite gets foreign keys and a busy timeout."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError

from data_access.settings import database_url
from data_access.errors import DatabaseUnreachableError


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """Create an engine for `url` (default: `settings.database_url()`)."""
    url = url or database_url()
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def check_reachable(engine: Engine) -> None:
    """Raise DatabaseUnreachableError with a one-line Chinese message if the database does not answer."""
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseUnreachableError(
            f"无法连接数据库 {engine.url.render_as_string(hide_password=True)}：{reason}",
            f"Cannot reach the database {engine.url.render_as_string(hide_password=True)}: {reason}",
        ) from exc
