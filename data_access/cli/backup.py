"""`python -m data_access backup FILE` and `restore FILE [--force]` (any of the three databases).

The file is the portable backup of data_access/backup (a zip of every table with a manifest of
row counts and checksums); a backup of SQLite restores into PostgreSQL or MariaDB and back.
"""
from __future__ import annotations

import argparse
from collections.abc import Callable

from data_access import backup
from data_access.db import check_reachable, make_engine


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]
             ) -> dict[str, Callable[[argparse.Namespace], str]]:
    p = subparsers.add_parser("backup", help="备份整个数据库到一个文件 (back up every table to FILE)")
    p.add_argument("file", help="备份文件（.zip），如 /var/lib/kpi-dashboard/backups/kpi-20260101.zip")
    p = subparsers.add_parser("restore", help="从备份文件恢复并逐表核对 (restore FILE and check it)")
    p.add_argument("file", help="备份文件（.zip）")
    p.add_argument("--force", action="store_true", help="目标数据库已有数据时也覆盖（先清空再恢复）")
    return {"backup": _cmd_backup, "restore": _cmd_restore}


def _summary(m: backup.Manifest) -> str:
    return f"{len(m.tables)} 张表、{m.rows} 行，结构版本 {m.schema_revision}，用时 {m.seconds:.1f} 秒"


def _cmd_backup(args: argparse.Namespace) -> str:
    engine = make_engine(args.url)
    check_reachable(engine)
    m = backup.backup(engine, args.file)
    return f"备份完成：{args.file}（{_summary(m)}）"


def _cmd_restore(args: argparse.Namespace) -> str:
    engine = make_engine(args.url)
    m = backup.restore(engine, args.file, force=args.force)
    return (f"恢复完成：{engine.url.render_as_string(hide_password=True)}（{_summary(m)}）；"
            "每张表的行数和校验和均与备份一致。")
