"""The portable backup: every table as JSON lines in a zip, with a manifest of counts and checksums."""
from __future__ import annotations

import base64
import datetime as dt
import decimal
import hashlib
import json
import os
import tempfile
import time
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Connection, Engine, MetaData, Table, delete, insert, inspect, select, types

from data_access import clock, data_version, events
from data_access.errors import DataAccessError, SchemaTooNewError
from data_access.kpis import summary_writer

FORMAT = "kpi-backup"
FORMAT_VERSION = 1
# Not backed up: the schema revision, and the data's version (a cache key, not data: a restore moves
# it past anything a running server has cached, see data_version.bump_past), and the maintained
# aggregates (derived from the figures: a restore rebuilds them, kpis.aggregates).
SKIP_TABLES = frozenset({"alembic_version", "data_version", "progress_known", "membership_known", "aggregate_state",
                         "fact_sums", "fact_weeks", "fact_city_days", "known_days", "summary_state"})
CHUNK = 1000


class BackupError(DataAccessError):
    """A backup that cannot be written or restored; the message says why, in one line."""


@dataclass
class Manifest:
    schema_revision: str
    tables: dict[str, dict[str, Any]]
    created_at: str = ""
    source: str = ""
    format: str = FORMAT
    format_version: int = FORMAT_VERSION
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return sum(int(t["rows"]) for t in self.tables.values())

    def to_json(self) -> str:
        return json.dumps({"format": self.format, "format_version": self.format_version,
                           "schema_revision": self.schema_revision, "created_at": self.created_at,
                           "source": self.source, "tables": self.tables}, ensure_ascii=False, indent=1)


# ---------------------------------------------------------------------------------------------
# values


def encode(value: Any) -> Any:
    """A value as JSON, the same for every database: dates ISO, decimals as plain strings, bytes base64."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"b64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, (list, dict)):
        return json.loads(json.dumps(value, sort_keys=True, default=str))
    return str(value)


def decode(value: Any, column_type: types.TypeEngine[Any]) -> Any:
    """The inverse of `encode`, by the column's type."""
    if value is None:
        return None
    if isinstance(column_type, types.LargeBinary):
        return base64.b64decode(value["b64"])
    if isinstance(column_type, types.DateTime):
        return dt.datetime.fromisoformat(value)
    if isinstance(column_type, types.Date):
        return dt.date.fromisoformat(value)
    if isinstance(column_type, types.Time):
        return dt.time.fromisoformat(value)
    if isinstance(column_type, types.Numeric) and not isinstance(column_type, types.Float):
        return decimal.Decimal(value) if column_type.asdecimal else float(value)
    return value


def line(values: list[Any]) -> bytes:
    return (json.dumps(values, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n").encode()


# ---------------------------------------------------------------------------------------------
# tables


def model_tables() -> list[Table]:
    """Every table of the schema that a backup holds (not SKIP_TABLES), parents before children."""
    from data_access.schema import accounts, decisions, models  # noqa: F401 - registers the tables

    return [t for t in models.Base.metadata.sorted_tables if t.name not in SKIP_TABLES]


def _known(conn: Connection) -> dict[str, Table]:
    models = {t.name: t for t in model_tables()}
    present = set(inspect(conn).get_table_names()) - SKIP_TABLES
    unknown = sorted(present - set(models))
    if unknown:
        raise BackupError(f"数据库中有本程序不认识的表：{', '.join(unknown)}（请用对应版本的程序备份）",
                          f"The database has tables this program does not know: {', '.join(unknown)}")
    return {name: t for name, t in models.items() if name in present}


def _subset(model: Table, columns: list[str]) -> Table:
    """The model table limited to `columns` (a backup from an older schema may have fewer)."""
    cols = [model.c[c]._copy() if c in model.c else Column(c, types.Text()) for c in columns]
    return Table(model.name, MetaData(), *cols)


def read_table(conn: Connection, model: Table, columns: list[str]) -> Iterator[bytes]:
    """The table's rows as JSON lines, ordered by primary key (compared in Python, not by the
    database's collation, so the order is the same everywhere; without a key, by the lines)."""
    table = _subset(model, columns)
    rows = [[encode(v) for v in row] for row in conn.execute(select(*table.c))]
    key = [columns.index(c.name) for c in model.primary_key.columns if c.name in columns]
    if key:
        rows.sort(key=lambda r: tuple(r[i] for i in key))
        lines = [line(r) for r in rows]
    else:
        lines = sorted(line(r) for r in rows)
    yield from lines


def table_checksums(conn: Connection, tables: dict[str, list[str]] | None = None) -> dict[str, dict[str, Any]]:
    """{table: {"rows": n, "sha256": hex}} of the database, as a manifest states them."""
    known = _known(conn)
    wanted = tables or {name: [c.name for c in t.c] for name, t in known.items()}
    out: dict[str, dict[str, Any]] = {}
    for name, columns in wanted.items():
        if name not in known:
            raise BackupError(f"数据库中缺少表 {name}", f"The database has no table {name}")
        digest, n = hashlib.sha256(), 0
        for ln in read_table(conn, known[name], columns):
            digest.update(ln)
            n += 1
        out[name] = {"rows": n, "sha256": digest.hexdigest()}
    return out


# ---------------------------------------------------------------------------------------------
# backup


def _consistent(engine: Engine) -> Connection:
    if engine.dialect.name in ("postgresql", "mysql", "mariadb"):
        return engine.connect().execution_options(isolation_level="REPEATABLE READ")
    return engine.connect()


def backup(engine: Engine, path: str | os.PathLike[str]) -> Manifest:
    """Write the portable backup of the database to `path` (a zip; written beside it and renamed,
    so an interrupted backup leaves no half file). The schema must be at this program's head."""
    from data_access.backup.sqlite import copy_sqlite, sqlite_path
    from data_access.db import make_engine
    from data_access.schema import migrate

    started = time.monotonic()
    dest = Path(path)
    if dest.exists():
        raise BackupError(f"文件 {dest} 已存在，未覆盖；请换一个文件名。",
                          f"The file {dest} exists and was not overwritten; choose another name.")
    state = migrate.check_schema(engine)
    if state != "current":
        raise BackupError("数据库结构不是最新版本，请先运行：python -m data_access init",
                          "The schema is not current; run: python -m data_access init")
    source = engine.dialect.name
    with tempfile.TemporaryDirectory(prefix="kpi-backup-") as tmp:
        src_file = sqlite_path(engine)
        read_engine = engine
        if src_file is not None:  # read from a snapshot made with the online backup API
            snap = Path(tmp) / "snapshot.sqlite3"
            copy_sqlite(src_file, snap)
            read_engine = make_engine(f"sqlite:///{snap}")
        try:
            manifest = _write(read_engine, dest, source)
        finally:
            if read_engine is not engine:
                read_engine.dispose()
    manifest.seconds = round(time.monotonic() - started, 3)
    events.log("backup", reason=source, tables=len(manifest.tables), rows=manifest.rows)
    return manifest


def _write(engine: Engine, dest: Path, source: str) -> Manifest:
    from alembic.runtime.migration import MigrationContext

    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    tables: dict[str, dict[str, Any]] = {}
    with _consistent(engine) as conn, conn.begin():
        rev = MigrationContext.configure(conn).get_current_revision()
        if rev is None:
            raise BackupError("数据库尚未初始化", "The database has no schema")
        with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, model in _known(conn).items():
                columns = [c.name for c in model.c]
                digest, n = hashlib.sha256(), 0
                with zf.open(f"tables/{name}.jsonl", "w") as out:
                    for ln in read_table(conn, model, columns):
                        out.write(ln)
                        digest.update(ln)
                        n += 1
                tables[name] = {"columns": columns, "rows": n, "sha256": digest.hexdigest()}
            manifest = Manifest(schema_revision=rev, tables=tables, source=source,
                                created_at=clock.now().isoformat(timespec="seconds"))
            zf.writestr("manifest.json", manifest.to_json())
    part.replace(dest)
    return manifest


# ---------------------------------------------------------------------------------------------
# restore


def read_manifest(path: str | os.PathLike[str]) -> Manifest:
    """The manifest of a backup file; refuses a file of another format or a newer one."""
    try:
        with zipfile.ZipFile(path) as zf:
            data = json.loads(zf.read("manifest.json"))
    except (OSError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
        raise BackupError(f"不是有效的备份文件：{path}（{type(exc).__name__}）",
                          f"Not a valid backup file: {path}") from exc
    if data.get("format") != FORMAT:
        raise BackupError(f"不是本程序的备份文件：{path}", f"Not a backup of this program: {path}")
    if int(data.get("format_version", 0)) > FORMAT_VERSION:
        raise BackupError(f"备份文件格式版本 {data['format_version']} 比本程序新，请升级程序后再恢复。",
                          "The backup's format is newer than this program's; upgrade the program.")
    return Manifest(schema_revision=str(data["schema_revision"]), tables=dict(data["tables"]),
                    created_at=str(data.get("created_at", "")), source=str(data.get("source", "")),
                    format_version=int(data["format_version"]))


def _check_revision(manifest: Manifest) -> None:
    from alembic.script import ScriptDirectory

    from data_access.schema import migrate

    script = ScriptDirectory.from_config(migrate._config())
    known = {s.revision for s in script.walk_revisions()}
    if manifest.schema_revision not in known:
        raise SchemaTooNewError(
            f"备份文件的数据库结构版本 {manifest.schema_revision} 比本程序新（本程序最高为 "
            f"{script.get_current_head()}），未作任何改动；请升级程序后再恢复。",
            f"The backup's schema revision {manifest.schema_revision} is newer than this program's "
            f"({script.get_current_head()}); nothing was changed.")


def _file_lines(zf: zipfile.ZipFile, name: str) -> Iterable[bytes]:
    with zf.open(f"tables/{name}.jsonl") as f:
        yield from f


def _verify_file(zf: zipfile.ZipFile, manifest: Manifest) -> None:
    for name, info in manifest.tables.items():
        digest, n = hashlib.sha256(), 0
        for ln in _file_lines(zf, name):
            digest.update(ln)
            n += 1
        if n != info["rows"] or digest.hexdigest() != info["sha256"]:
            raise BackupError(f"备份文件已损坏：表 {name} 的行数或校验和与清单不符，未作任何改动。",
                              f"The backup file is damaged (table {name}); nothing was changed.")


def _has_rows(conn: Connection, known: dict[str, Table]) -> list[str]:
    return [name for name, t in known.items()
            if conn.execute(select(*t.primary_key.columns or t.c).limit(1)).first() is not None]


def _rebuild_schema(engine: Engine, revision: str) -> None:
    """Drop the (empty) tables and create the schema at `revision`."""
    from alembic import command

    from data_access.schema import migrate

    with engine.begin() as conn:
        ours = {t.name for t in model_tables()} | SKIP_TABLES
        meta = MetaData()
        meta.reflect(conn, only=[n for n in inspect(conn).get_table_names() if n in ours])
        meta.drop_all(conn)
    cfg = migrate._config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def _sync_sequences(conn: Connection, known: dict[str, Table]) -> None:
    if conn.dialect.name != "postgresql":
        return
    for name, t in known.items():
        pk = list(t.primary_key.columns)
        if len(pk) == 1 and isinstance(pk[0].type, types.Integer):
            col = pk[0].name
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{name}', '{col}'), "
                f"COALESCE((SELECT MAX({col}) FROM {name}), 0) + 1, false)")


def restore(engine: Engine, path: str | os.PathLike[str], force: bool = False) -> Manifest:
    """Restore the backup at `path` into the database of `engine` and check it (see the package doc)."""
    from alembic import command

    from data_access.db import check_reachable
    from data_access.schema import migrate

    started = time.monotonic()
    manifest = read_manifest(path)
    _check_revision(manifest)
    check_reachable(engine)
    state = migrate.check_schema(engine)  # raises for a database newer than this program
    with engine.connect() as conn:
        _known(conn)  # refuses a database that also holds tables of something else
        seen = data_version.read(conn) if inspect(conn).has_table("data_version") else 0  # servers' caches
    with zipfile.ZipFile(path) as zf:
        _verify_file(zf, manifest)
        if state != "missing":
            with engine.connect() as conn:
                full = _has_rows(conn, _known(conn))
            if full and not force:
                raise BackupError(
                    f"目标数据库不是空的（{len(full)} 张表有数据），未作任何改动；确认要覆盖时加 --force。",
                    f"The target database is not empty ({len(full)} tables have rows); nothing was "
                    "changed; add --force to overwrite it.")
            if migrate.current_revision(engine) != manifest.schema_revision:
                if full:
                    raise BackupError(
                        f"目标数据库有数据且结构版本（{migrate.current_revision(engine)}）与备份"
                        f"（{manifest.schema_revision}）不同，未作任何改动；请恢复到一个空数据库。",
                        "The target has rows and another schema revision than the backup; nothing was "
                        "changed; restore into an empty database.")
                _rebuild_schema(engine, manifest.schema_revision)
        else:
            _rebuild_schema(engine, manifest.schema_revision)
        with engine.begin() as conn:
            known = _known(conn)
            missing = sorted(set(manifest.tables) - set(known))
            if missing:
                raise BackupError(f"目标数据库缺少表：{', '.join(missing)}", f"Missing tables: {missing}")
            for name in reversed(list(known)):
                conn.execute(delete(known[name]))
            for name, model in known.items():
                if name not in manifest.tables:
                    continue
                columns = list(manifest.tables[name]["columns"])
                table = _subset(model, columns)
                batch: list[dict[str, Any]] = []
                for ln in _file_lines(zf, name):
                    values = json.loads(ln)
                    batch.append({c.name: decode(v, c.type) for c, v in zip(table.c, values)})
                    if len(batch) >= CHUNK:
                        conn.execute(insert(table), batch)
                        batch = []
                if batch:
                    conn.execute(insert(table), batch)
            _sync_sequences(conn, known)
            wanted = {name: list(info["columns"]) for name, info in manifest.tables.items()}
            got = table_checksums(conn, wanted)
            bad = [n for n, info in manifest.tables.items()
                   if got[n]["rows"] != info["rows"] or got[n]["sha256"] != info["sha256"]]
            if bad:
                raise BackupError(f"恢复后核对不符（表 {', '.join(bad)}），已全部撤销。",
                                  f"After the restore, tables {bad} differ from the backup; rolled back.")
    if manifest.schema_revision != migrate.head_revision():
        cfg = migrate._config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    with engine.begin() as conn:  # past any version a running server cached figures under
        data_version.bump_past(conn, seen)
        summary_writer.rebuild_all(conn)
    manifest.seconds = round(time.monotonic() - started, 3)
    events.log("restore", reason=engine.dialect.name, tables=len(manifest.tables), rows=manifest.rows)
    return manifest
