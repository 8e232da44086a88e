"""Backups that restore (issue #16): `backup` and `restore` on SQLite, PostgreSQL and MariaDB.

Every test compares real row counts and checksums before and after; a refused restore leaves the
target exactly as it was (its checksums are compared too)."""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
import zipfile

import pytest
from sqlalchemy import func, insert, select, text

from data_access import backup
from data_access.backup import portable
from data_access.cli.main import main
from data_access.db import make_engine
from data_access.errors import SchemaTooNewError
from data_access.schema import migrate
from data_access.schema import models as m
from tests.conftest import _engine_for
from tests.tiny_data import A

FILE_BYTES = bytes(range(256)) * 3  # every byte value, through base64 and back


def _counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in portable.model_tables()}


def _sums(engine) -> dict[str, dict]:
    with engine.connect() as conn:
        return portable.table_checksums(conn)


def _add_awkward_rows(engine) -> None:
    """A batch with binary content, a microsecond time and Chinese text; a JSON pace curve."""
    with engine.begin() as conn:
        conn.execute(insert(m.ImportBatch), [dict(
            id=900, kind="progress", unit_code=A, file_name="新华区周报 “六月”.xlsx", file_sha256="0" * 64,
            file_bytes=FILE_BYTES, uploaded_by="zhangsan", uploaded_at=dt.datetime(2023, 6, 30, 18, 0, 1),
            row_count=2, rows_new=2, rows_changed=0, status="pending")])


@pytest.fixture
def source(tiny):
    _add_awkward_rows(tiny)
    return tiny


@pytest.fixture
def other(request, tmp_path):
    """A second fresh database on the same backend as `source` (no schema)."""
    backend = request.node.callspec.params["empty_engine"]
    path = tmp_path / "other"
    path.mkdir()
    engine, teardown = _engine_for(backend, path)
    yield engine
    teardown()


def test_round_trip_same_backend_counts_and_checksums_equal(source, other, tmp_path):
    before = _sums(source)
    counts = _counts(source)
    assert counts["units"] == 3 and counts["import_batches"] >= 1 and sum(counts.values()) > 20
    manifest = backup.backup(source, tmp_path / "b.zip")
    assert {n: t["rows"] for n, t in manifest.tables.items()} == counts
    assert {n: t["sha256"] for n, t in manifest.tables.items()} == {n: s["sha256"] for n, s in before.items()}
    assert manifest.schema_revision == migrate.head_revision()

    restored = backup.restore(other, tmp_path / "b.zip")
    assert restored.rows == sum(counts.values())
    assert _counts(other) == counts
    assert _sums(other) == before
    assert migrate.check_schema(other) == "current"
    with other.connect() as conn:
        blob, at = conn.execute(select(m.ImportBatch.file_bytes, m.ImportBatch.uploaded_at)
                                .where(m.ImportBatch.id == 900)).one()
    assert blob == FILE_BYTES and at == dt.datetime(2023, 6, 30, 18, 0, 1)
    # new rows get fresh ids after the restore (PostgreSQL's sequences were moved past them)
    with other.begin() as conn:
        new_id = conn.execute(insert(m.ImportBatch).values(
            kind="progress", unit_code=A, file_name="x.csv", file_sha256="1" * 64, uploaded_by="u",
            uploaded_at=dt.datetime(2023, 7, 1)).returning(m.ImportBatch.id)).scalar_one()
    assert new_id > 900


@pytest.fixture(scope="module")
def sample_backup(sample_db_url, tmp_path_factory):
    """The 2023 sample data (SQLite) backed up once; with its counts and checksums."""
    eng = make_engine(sample_db_url)
    path = tmp_path_factory.mktemp("bk") / "sample.zip"
    manifest = backup.backup(eng, path)
    sums, counts = _sums(eng), _counts(eng)
    eng.dispose()
    return path, manifest, sums, counts


def test_sample_from_sqlite_restores_into_every_backend(sample_backup, empty_engine):
    path, manifest, sums, counts = sample_backup
    assert counts["progress_reports"] == 4581 and counts["ne_membership"] == 10800
    assert manifest.rows == sum(counts.values()) == 16379
    backup.restore(empty_engine, path)
    assert _counts(empty_engine) == counts
    assert _sums(empty_engine) == sums


def test_non_empty_target_refused_without_force_and_unchanged(sample_backup, tiny):
    path, _, sums, counts = sample_backup
    before, before_counts = _sums(tiny), _counts(tiny)
    with pytest.raises(backup.BackupError, match="--force"):
        backup.restore(tiny, path)
    assert _sums(tiny) == before and _counts(tiny) == before_counts
    backup.restore(tiny, path, force=True)
    assert _counts(tiny) == counts and _sums(tiny) == sums


def _rewrite(src, dest, manifest_change=None, table_change=None):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "manifest.json" and manifest_change:
                doc = json.loads(data)
                manifest_change(doc)
                data = json.dumps(doc).encode()
            elif table_change and item.filename == f"tables/{table_change[0]}.jsonl":
                data = table_change[1](data)
            zout.writestr(item, data)


@pytest.mark.parametrize("target", ["empty", "filled"])
def test_newer_schema_file_refused_and_database_unchanged(sample_backup, tiny, empty_engine, target, tmp_path):
    path, *_ = sample_backup
    newer = tmp_path / "newer.zip"
    _rewrite(path, newer, manifest_change=lambda d: d.update(schema_revision="9999"))
    engine = tiny if target == "filled" else empty_engine
    before = _sums(engine) if target == "filled" else None
    with pytest.raises(SchemaTooNewError, match="9999"):
        backup.restore(engine, newer, force=True)
    if target == "filled":
        assert _sums(engine) == before
        assert migrate.current_revision(engine) == migrate.head_revision()


def test_fresh_database_stays_without_schema_after_a_refused_newer_file(sample_backup, tmp_path):
    path, *_ = sample_backup
    newer = tmp_path / "newer.zip"
    _rewrite(path, newer, manifest_change=lambda d: d.update(schema_revision="9999"))
    eng = make_engine(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    with pytest.raises(SchemaTooNewError):
        backup.restore(eng, newer)
    assert migrate.check_schema(eng) == "missing"


def test_damaged_file_refused_and_unchanged(sample_backup, tiny, tmp_path):
    path, *_ = sample_backup
    bad = tmp_path / "bad.zip"
    _rewrite(path, bad, table_change=("units", lambda d: d.replace("鲁山县".encode(), "鲁山".encode())))
    before = _sums(tiny)
    with pytest.raises(backup.BackupError, match="损坏"):
        backup.restore(tiny, bad, force=True)
    assert _sums(tiny) == before


def test_mismatch_after_loading_rolls_everything_back(sample_backup, tiny, monkeypatch):
    path, *_ = sample_backup
    before = _sums(tiny)
    real = portable.table_checksums

    def wrong(conn, tables=None):
        out = real(conn, tables)
        out["units"] = {"rows": out["units"]["rows"], "sha256": "0" * 64}
        return out

    monkeypatch.setattr(portable, "table_checksums", wrong)
    with pytest.raises(backup.BackupError, match="撤销"):
        backup.restore(tiny, path, force=True)
    monkeypatch.undo()
    assert _sums(tiny) == before


def test_sqlite_backup_during_an_open_write_sees_only_committed_rows(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    eng = make_engine(url)
    migrate.upgrade(eng)
    from tests.tiny_data import load_tiny

    load_tiny(eng)
    committed = _counts(eng)
    writer = sqlite3.connect(tmp_path / "live.sqlite3")
    writer.execute("BEGIN IMMEDIATE")  # the dashboard in the middle of an import
    writer.execute("INSERT INTO meta(key, value) VALUES ('uncommitted', 'x')")
    try:
        manifest = backup.backup(eng, tmp_path / "live.zip")
    finally:
        writer.rollback()
        writer.close()
    assert {n: t["rows"] for n, t in manifest.tables.items()} == committed
    eng.dispose()


def test_init_copies_an_outdated_sqlite_file_first(tmp_path, monkeypatch):
    from alembic import command

    db = tmp_path / "kpi.sqlite3"
    url = f"sqlite:///{db}"
    eng = make_engine(url)
    cfg = migrate._config()
    with eng.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0005")
    with eng.begin() as conn:
        conn.execute(text("INSERT INTO meta(key, value) VALUES ('dataset', 'real')"))
    eng.dispose()
    monkeypatch.setenv("KPI_BACKUP_DIR", str(tmp_path / "bk"))
    assert main(["--url", url, "init"]) == 0
    (copy,) = (tmp_path / "bk").glob("kpi.pre-upgrade-0005.*.sqlite3")
    with sqlite3.connect(copy) as c:
        assert c.execute("SELECT version_num FROM alembic_version").fetchone() == ("0005",)
        assert c.execute("SELECT value FROM meta WHERE key='dataset'").fetchone() == ("real",)
    assert migrate.check_schema(make_engine(url)) == "current"
    assert main(["--url", url, "init"]) == 0  # already current: no second copy
    assert len(list((tmp_path / "bk").glob("*.sqlite3"))) == 1


def test_init_default_backup_dir_is_beside_the_file(tmp_path, monkeypatch):
    from alembic import command

    monkeypatch.delenv("KPI_BACKUP_DIR", raising=False)
    db = tmp_path / "kpi.sqlite3"
    eng = make_engine(f"sqlite:///{db}")
    with eng.begin() as conn:
        cfg = migrate._config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0004")
    assert backup.before_upgrade(eng) is not None
    assert len(list((tmp_path / "backups").glob("kpi.pre-upgrade-0004.*.sqlite3"))) == 1
    assert backup.before_upgrade(make_engine("postgresql+psycopg://nobody@127.0.0.1:1/x")) is None


def test_cli_backup_restore_and_refusal_is_one_chinese_line(tiny_url, tmp_path, capsys):
    file = tmp_path / "cli.zip"
    assert main(["--url", tiny_url, "backup", str(file)]) == 0
    assert "备份完成" in capsys.readouterr().out
    target = f"sqlite:///{tmp_path / 'target.sqlite3'}"
    assert main(["--url", target, "restore", str(file)]) == 0
    out = capsys.readouterr().out
    assert "恢复完成" in out and "校验和均与备份一致" in out
    assert _sums(make_engine(target)) == _sums(make_engine(tiny_url))
    assert main(["--url", target, "restore", str(file)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("错误：目标数据库不是空的")
    assert main(["--url", target, "restore", str(file), "--force"]) == 0


NEWER_THAN_0005 = ("registry_changes",)  # migration 0007


def _as_revision_0005(src, dest):
    """The head backup of a database whose registry entries have no versions, rewritten as the
    0005 program would have written it (facilities and union_orgs without the two 0006 columns,
    import_batches without the four of 0011)."""
    import hashlib

    dropped_of = {"facilities": {"replaces_id", "superseded_at"}, "union_orgs": {"replaces_id", "superseded_at"},
                  "projects": {"retired"}, "targets": {"retired"},  # 0012 (all false)
                  "import_batches": {"withdraw_requested_by", "withdraw_requested_at", "withdraw_reason",
                                     "withdrawn_by"}}  # 0006's, 0011's
    with zipfile.ZipFile(src) as zin:
        doc = json.loads(zin.read("manifest.json"))
        tables = {name: zin.read(f"tables/{name}.jsonl") for name in doc["tables"]}
    for name, dropped in dropped_of.items():
        cols = doc["tables"][name]["columns"]
        keep = [i for i, c in enumerate(cols) if c not in dropped]
        lines = []
        for ln in tables[name].splitlines():
            row = json.loads(ln)
            assert all(row[i] in (None, False) for i, c in enumerate(cols) if c in dropped)
            lines.append(portable.line([row[i] for i in keep]))
        tables[name] = b"".join(lines)
        doc["tables"][name].update(columns=[cols[i] for i in keep],
                                   sha256=hashlib.sha256(tables[name]).hexdigest())
    for name in NEWER_THAN_0005:  # tables later migrations made: empty in the sample, absent at 0005
        assert not tables.pop(name) and doc["tables"].pop(name)["rows"] == 0
    doc["schema_revision"] = "0005"
    with zipfile.ZipFile(dest, "w") as zout:
        zout.writestr("manifest.json", json.dumps(doc))
        for name, data in tables.items():
            zout.writestr(f"tables/{name}.jsonl", data)


def test_backup_of_an_older_schema_restores_and_is_upgraded(sample_backup, empty_engine, tmp_path):
    path, _, sums, counts = sample_backup
    old = tmp_path / "0005.zip"
    _as_revision_0005(path, old)
    assert backup.read_manifest(old).schema_revision == "0005"
    backup.restore(empty_engine, old)
    assert migrate.check_schema(empty_engine) == "current"
    assert _counts(empty_engine) == counts
    assert _sums(empty_engine) == sums  # the new columns came back empty, as in the source


def test_older_backup_into_an_initialised_empty_database(sample_backup, engine, tmp_path):
    """The server's service ran `init` (head, no rows) before the office restores last year's file."""
    path, _, sums, counts = sample_backup
    old = tmp_path / "0005.zip"
    _as_revision_0005(path, old)
    backup.restore(engine, old)
    assert _counts(engine) == counts and _sums(engine) == sums


def test_database_with_foreign_tables_is_refused_and_they_stay(sample_backup, empty_engine):
    path, *_ = sample_backup
    with empty_engine.begin() as conn:
        conn.execute(text("CREATE TABLE other_app (id INTEGER PRIMARY KEY)"))
        conn.execute(text("INSERT INTO other_app (id) VALUES (1)"))
    with pytest.raises(backup.BackupError, match="other_app"):
        backup.restore(empty_engine, path, force=True)
    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT id FROM other_app")).scalar_one() == 1
    assert migrate.check_schema(empty_engine) == "missing"


def test_backup_never_overwrites_a_file(tiny_url, tmp_path):
    file = tmp_path / "kept.zip"
    file.write_bytes(b"last week's backup")
    with pytest.raises(backup.BackupError, match="已存在"):
        backup.backup(make_engine(tiny_url), file)
    assert file.read_bytes() == b"last week's backup"


def test_cli_newer_file_is_one_chinese_line_and_exit_2(sample_backup, tiny_url, tmp_path, capsys):
    path, *_ = sample_backup
    newer = tmp_path / "newer.zip"
    _rewrite(path, newer, manifest_change=lambda d: d.update(schema_revision="9999"))
    before = _sums(make_engine(tiny_url))
    assert main(["--url", tiny_url, "restore", str(newer), "--force"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("错误：备份文件的数据库结构版本 9999 比本程序新")
    assert _sums(make_engine(tiny_url)) == before


def test_backup_and_restore_are_one_event_line_each(tiny_url, tmp_path, caplog):
    import logging

    from data_access import events

    log = events.logger()
    log.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO, logger=events.LOGGER_NAME):
            m = backup.backup(make_engine(tiny_url), tmp_path / "e.zip")
            backup.restore(make_engine(f"sqlite:///{tmp_path / 'e.sqlite3'}"), tmp_path / "e.zip")
    finally:
        log.removeHandler(caplog.handler)
    assert [r.getMessage() for r in caplog.records] == [
        f"event=backup reason=sqlite tables={len(m.tables)} rows={m.rows}",
        f"event=restore reason=sqlite tables={len(m.tables)} rows={m.rows}"]
