"""Backups that restore: a portable export of every table, and the SQLite copy `init` makes first.

`backup(engine, path)` writes one zip that any of the three databases can restore:

| member | what |
|---|---|
| manifest.json | format version, the schema revision, when, from which kind of database, and per table its columns, row count and SHA-256 |
| tables/NAME.jsonl | one JSON array per row, in primary-key order, values encoded as in `portable.encode` |

A table's checksum is the SHA-256 of its JSON lines, so the file, the source and a restored
database are compared the same way. The rows are read in one consistent view: on SQLite from a
snapshot made with the online backup API (`sqlite3.Connection.backup`, safe while the dashboard
writes), on PostgreSQL and MariaDB inside one REPEATABLE READ transaction.

`restore(engine, path, force=False)` refuses a file from a newer schema (or a newer format) and a
non-empty database without `force`, before changing anything; then loads every table in one
transaction, checks every table's row count and checksum against the manifest inside that
transaction (a mismatch rolls it all back), and upgrades the schema if the file was older.

`before_upgrade(engine)` is what `init` calls: on SQLite with an existing schema that is about to be
upgraded, a copy of the file (online backup API) in KPI_BACKUP_DIR (default backups/ beside it).
"""
from __future__ import annotations

from data_access.backup.portable import (
    FORMAT,
    FORMAT_VERSION,
    BackupError,
    Manifest,
    backup,
    read_manifest,
    restore,
    table_checksums,
)
from data_access.backup.sqlite import before_upgrade, snapshot_sqlite

__all__ = ["FORMAT", "FORMAT_VERSION", "BackupError", "Manifest", "backup", "before_upgrade",
           "read_manifest", "restore", "snapshot_sqlite", "table_checksums"]
