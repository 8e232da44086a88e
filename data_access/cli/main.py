"""`python -m data_access`: init, load-sample, status. Errors end in one Chinese line and exit 2."""
from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable

from sqlalchemy.exc import SQLAlchemyError

from data_access import backup, events
from data_access.schema import migrate
from data_access.db import check_reachable, make_engine
from data_access.errors import DataAccessError

EXIT_ERROR = 2

# A subcommand: the parsed arguments in, the text to print out.
Handler = Callable[[argparse.Namespace], str]


def _cmd_init(args: argparse.Namespace) -> str:
    engine = make_engine(args.url)
    saved = backup.before_upgrade(engine)  # SQLite: a copy of the file before its schema changes
    rev = migrate.upgrade(engine)
    done = f"数据库结构已是最新版本（{rev}）：{engine.url.render_as_string(hide_password=True)}"
    return f"升级前的备份：{saved}\n{done}" if saved else done


def _cmd_load_sample(args: argparse.Namespace) -> str:
    from data_access.sample_loader import load_sample

    engine = make_engine(args.url)
    check_reachable(engine)
    if args.init:
        migrate.upgrade(engine)
    result = load_sample(engine)
    return "示例数据已导入。" if result == "loaded" else "示例数据已存在，未作改动。"


def _cmd_status(args: argparse.Namespace) -> str:
    from data_access.kpis import queries

    engine = make_engine(args.url)
    check_reachable(engine)
    state = migrate.check_schema(engine)
    lines = [f"数据库：{engine.url.render_as_string(hide_password=True)}", f"结构：{state}"]
    if state == "current":
        info = queries.dataset_info(engine)
        lines.append(f"数据集：{'示例数据' if info.get('dataset') == 'sample' else '正式数据'}")
        lines.append(f"最新填报日期：{queries.latest_report_date(engine) or '无'}")
    return "\n".join(lines)


COMMANDS: dict[str, tuple[Handler, str]] = {
    "init": (_cmd_init, "创建或升级数据库结构 (create or upgrade the schema)"),
    "load-sample": (_cmd_load_sample, "导入2023年示例数据，重复运行不改变数据 (load the sample data)"),
    "status": (_cmd_status, "显示数据库状态 (show the database state)"),
}


# Modules that add their own subcommands: each defines `register(subparsers) -> dict[name, fn]`,
# where fn(args) returns the text to print. Missing modules are skipped.
PLUGINS = ("data_access.cli.reporting", "data_access.cli.users", "data_access.cli.meeting",
           "data_access.cli.backup", "data_access.cli.aggregates")


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, Handler]]:
    parser = argparse.ArgumentParser(prog="python -m data_access", description="鹰城工会看板数据库工具")
    parser.add_argument("--url", help="SQLAlchemy 数据库地址（默认取环境变量 KPI_DATABASE_URL）")
    sub = parser.add_subparsers(dest="command", required=True)
    handlers: dict[str, Handler] = {}
    for name, (fn, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text)
        if name == "load-sample":
            p.add_argument("--init", action="store_true", help="导入前先创建或升级数据库结构")
        handlers[name] = fn
    for module_name in PLUGINS:
        module = importlib.import_module(module_name)
        handlers.update(module.register(sub))
    return parser, handlers


def main(argv: list[str] | None = None) -> int:
    parser, handlers = build_parser()
    args = parser.parse_args(argv)
    fn = handlers[args.command]
    try:
        print(fn(args))
    except DataAccessError as exc:
        print(f"错误：{exc.message_zh}", file=sys.stderr)
        return EXIT_ERROR
    except SQLAlchemyError as exc:
        events.error(exc, where=f"cli.{args.command}")
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        print(f"错误：数据库操作失败：{reason}", file=sys.stderr)
        return EXIT_ERROR
    except (OSError, ValueError) as exc:
        events.error(exc, where=f"cli.{args.command}")
        print(f"错误：{exc}", file=sys.stderr)
        return EXIT_ERROR
    return 0
