"""Create or upgrade the schema with Alembic, and refuse a schema written by a newer version."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from data_access.db import check_reachable
from data_access.errors import DataAccessError, SchemaTooNewError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships its migrations
        raise RuntimeError(f"no Alembic revisions in {MIGRATIONS}")
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def check_schema(engine: Engine) -> str:
    """Return 'current', 'missing' or 'outdated'; raise SchemaTooNewError for an unknown revision."""
    rev = current_revision(engine)
    if rev is None:
        return "missing"
    script = ScriptDirectory.from_config(_config())
    known = {s.revision for s in script.walk_revisions()}
    if rev not in known:
        raise SchemaTooNewError(
            f"数据库结构版本 {rev} 比本程序新（本程序最高为 {script.get_current_head()}），请升级程序后再试。",
            f"The database schema revision {rev} is newer than this program's "
            f"({script.get_current_head()}); upgrade the program.",
        )
    return "current" if rev == script.get_current_head() else "outdated"


def upgrade(engine: Engine) -> str:
    """Create or upgrade the schema to the newest revision; return the revision."""
    check_reachable(engine)
    check_schema(engine)
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    return head_revision()


def require_current(engine: Engine) -> None:
    """Raise a DataAccessError unless the schema is at head (used before reading or writing)."""
    state = check_schema(engine)
    if state != "current":
        raise DataAccessError(
            "数据库尚未初始化或结构过旧，请先运行：python -m data_access init",
            "The database has no schema or an old one; run: python -m data_access init",
        )
