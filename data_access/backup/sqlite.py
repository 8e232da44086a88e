"""SQLite copies with the online backup API: consistent while the dashboard reads and writes."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import Engine

from data_access import clock, events


def sqlite_path(engine: Engine) -> Path | None:
    """The database file of a SQLite engine, or None (another database, or in memory)."""
    if engine.dialect.name != "sqlite":
        return None
    name = engine.url.database
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    return Path(name).resolve()


def copy_sqlite(src: Path, dest: Path) -> None:
    """Copy the SQLite database `src` into the new file `dest` with `Connection.backup` (pages are
    copied in steps; writers of `src` may go on, and the copy is of one consistent moment)."""
    tmp = dest.with_name(dest.name + ".part")
    tmp.unlink(missing_ok=True)
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True, timeout=30)
    try:
        target = sqlite3.connect(tmp)
        try:
            source.backup(target, pages=1024)
        finally:
            target.close()
    finally:
        source.close()
    tmp.replace(dest)


def backup_dir(db_file: Path) -> Path:
    from data_access import settings

    configured = settings.get().backup_dir
    return Path(configured) if configured else db_file.parent / "backups"


def snapshot_sqlite(engine: Engine, dest_dir: Path | None = None, label: str = "snapshot") -> Path | None:
    """Copy the engine's SQLite file into `dest_dir` (default `backup_dir`) as
    NAME.LABEL.YYYYmmddTHHMMSSZ.sqlite3; return its path, or None when the engine is not a SQLite file."""
    src = sqlite_path(engine)
    if src is None or not src.exists():
        return None
    folder = dest_dir or backup_dir(src)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = clock.now().strftime("%Y%m%dT%H%M%S")  # the organisation's local time
    dest = folder / f"{src.stem}.{label}.{stamp}.sqlite3"
    n = 1
    while dest.exists():  # two copies in one second: never overwrite the first
        n += 1
        dest = folder / f"{src.stem}.{label}.{stamp}-{n}.sqlite3"
    copy_sqlite(src, dest)
    return dest


def before_upgrade(engine: Engine) -> Path | None:
    """Called by `init` before the schema upgrade: on SQLite, when the file has a schema that is
    older than this program's, copy it first and return the copy's path; otherwise None."""
    from data_access.schema import migrate

    if sqlite_path(engine) is None or migrate.check_schema(engine) != "outdated":
        return None
    rev = migrate.current_revision(engine) or "none"
    path = snapshot_sqlite(engine, label=f"pre-upgrade-{rev}")
    if path is not None:
        events.log("schema_backup", reason=f"from_{rev}"[:40])
    return path
