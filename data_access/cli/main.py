"""`python -m data_access`: init, load-sample, status. Errors end in one Chinese line and exit 2.

The error contract holds for every failure: a refused file, a database error, a bad argument
(argparse's own message behind a Chinese line), a file that exhausts memory (MemoryError), a value
openpyxl cannot write (IllegalCharacterError), anything unexpected (logged by events.error): one
line on stderr starting with 错误：, exit code 2, no traceback. Everything printed goes through
cli.terminal.safe, so a clerk's text cannot send escape sequences to the operator's terminal."""
from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable
from typing import NoReturn

from sqlalchemy.exc import SQLAlchemyError

from data_access import backup, events
from data_access.cli.terminal import one_line, safe
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


class Parser(argparse.ArgumentParser):
    """argparse with the error contract: a bad argument is one Chinese line and exit 2."""

    def error(self, message: str) -> NoReturn:
        print(f"错误：命令行参数有误：{one_line(message)}（用 {self.prog} --help 查看用法）", file=sys.stderr)
        sys.exit(EXIT_ERROR)


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, Handler]]:
    parser = Parser(prog="python -m data_access", description="鹰城工会看板数据库工具")
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


def _fail(message: str) -> int:
    print(f"错误：{one_line(message)}", file=sys.stderr)
    return EXIT_ERROR


def main(argv: list[str] | None = None) -> int:
    parser, handlers = build_parser()
    args = parser.parse_args(argv)
    fn = handlers[args.command]
    where = f"cli.{args.command}"
    try:
        print(safe(fn(args)))
    except DataAccessError as exc:
        return _fail(exc.message_zh)
    except SQLAlchemyError as exc:
        events.error(exc, where=where)
        reason = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [type(exc).__name__])[0]
        return _fail(f"数据库操作失败：{reason}")
    except MemoryError:
        return _fail("内存不足：文件或数据过大，未作任何改动")
    except (OSError, ValueError) as exc:
        events.error(exc, where=where)
        return _fail(str(exc) or type(exc).__name__)
    except Exception as exc:  # noqa: BLE001 - the contract holds for anything (openpyxl's IllegalCharacterError …)
        events.error(exc, where=where)
        if type(exc).__name__ == "IllegalCharacterError":
            return _fail(f"文本含有 Excel 文件不能保存的控制字符：{exc}")
        return _fail(f"内部错误（{type(exc).__name__}），已记入日志：{exc}")
    return 0
