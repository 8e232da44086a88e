"""`python -m data_access user create|disable|enable|reset|set|list|scope ...` (accounts).

Whoever can run this already holds the database credentials, so the command line acts as an
administrator named `cli:<system user>` in the audit log. Initial passwords are generated, shown
once and must be changed at first login; `--password-stdin` reads one instead (never an argument,
which would end up in the shell history and the process list).
"""
from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy import Engine

from data_access.accounts import identity, permissions, users
from data_access.schema import accounts as roles
from data_access.schema import migrate
from data_access.schema.accounts import ROLE_NAMES_ZH, VIEW_SCOPES
from data_access.db import make_engine
from data_access.errors import DataAccessError

if TYPE_CHECKING:
    from data_access.cli.main import Handler

ROLE_HELP = "角色：领导、区县填报员、审核员、管理员（或 leader、reporter、reviewer、admin）"
VIEW_HELP = "区县填报员可查看的范围：city（全市，默认）或 unit（仅本单位）"


def _cli_actor() -> identity.AuthUser:
    return identity.AuthUser(username=f"cli:{getpass.getuser()}", display_name="命令行", role=roles.ROLE_ADMIN)


def _engine(args: argparse.Namespace) -> Engine:
    engine = make_engine(args.url)
    migrate.require_current(engine)
    return engine


def _read_password() -> str:
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise DataAccessError("标准输入中没有密码", "No password on standard input")
    return line


def _describe(name: str, role: str, unit: str | None) -> str:
    return f"{name}（{ROLE_NAMES_ZH.get(role, role)}{'，' + unit if unit else ''}）"


def _shown_password(generated: str | None) -> str:
    if generated is None:
        return "首次登录须修改密码。"
    return f"初始密码：{generated}　（仅显示这一次；首次登录须修改）"


def _create(args: argparse.Namespace) -> str:
    engine = _engine(args)
    password = _read_password() if args.password_stdin else None
    role = users.parse_role(args.role)
    generated = users.create_user(engine, _cli_actor(), args.name, role, display_name=args.display_name,
                                 unit_code=args.unit, view_scope=args.view, password=password)
    return f"已创建账号 {_describe(users.normalise_username(args.name), role, args.unit)}。" + _shown_password(generated)


def _disable(args: argparse.Namespace) -> str:
    users.update_user(_engine(args), _cli_actor(), args.name, active=False)
    return f"已停用账号 {args.name}，其登录已全部失效。"


def _enable(args: argparse.Namespace) -> str:
    users.update_user(_engine(args), _cli_actor(), args.name, active=True)
    return f"已启用账号 {args.name}。"


def _reset(args: argparse.Namespace) -> str:
    password = _read_password() if args.password_stdin else None
    generated = users.reset_password(_engine(args), _cli_actor(), args.name, password)
    return f"已重置账号 {args.name} 的密码，其登录已全部失效。" + _shown_password(generated)


def _set(args: argparse.Namespace) -> str:
    changes = {k: v for k, v in (("role", args.role), ("unit_code", args.unit), ("view_scope", args.view),
                                 ("display_name", args.display_name)) if v is not None}
    if args.clear_unit:
        changes["unit_code"] = None
    if not changes:
        raise DataAccessError("没有要修改的内容（--role、--unit、--view、--display-name）", "Nothing to change")
    users.update_user(_engine(args), _cli_actor(), args.name, **changes)
    return f"已修改账号 {args.name}。"


def _list(args: argparse.Namespace) -> str:
    df = users.list_users(_engine(args))
    if df.empty:
        return "尚无账号。创建管理员：python -m data_access user create 用户名 --role 管理员"
    def cell(value: object, empty: str = "-") -> str:
        return empty if value is None or pd.isna(value) else str(value)

    lines = ["用户名\t姓名\t角色\t单位\t查看范围\t状态\t最近登录"]
    for r in df.itertuples():
        lines.append("\t".join([
            r.username, r.display_name, ROLE_NAMES_ZH.get(r.role, r.role), cell(r.unit_code),
            cell(r.view_scope, "默认"), "启用" if r.active else "停用", cell(r.last_login_at)]))
    return "\n".join(lines)


def _scope(args: argparse.Namespace) -> str:
    user = users.load_user(_engine(args), args.name)
    if args.write:
        permissions.require_write_scope(user, args.write)
    writes = permissions.writable_units(user)
    reads = permissions.readable_units(user)
    return "\n".join([
        f"账号：{_describe(user.username, user.role, user.unit_code)}",
        "可填报：" + ("全部单位" if writes is None else "、".join(writes) or "无"),
        "可查看：" + ("全市" if reads is None else "、".join(reads) or "无"),
    ] + ([f"可以填报 {args.write}。"] if args.write else []))


def register(subparsers: Any) -> dict[str, Handler]:
    p = subparsers.add_parser("user", help="账号管理：创建、停用、启用、重置密码、修改、列出 (accounts)")
    sub = p.add_subparsers(dest="user_command", required=True)

    c = sub.add_parser("create", help="创建账号（生成初始密码，首次登录须修改）")
    c.add_argument("name", help="用户名（单点登录时须与代理或身份提供方给出的用户名一致）")
    c.add_argument("--role", required=True, help=ROLE_HELP)
    c.add_argument("--unit", help="所属单位代码（区县填报员必填），如 410423")
    c.add_argument("--view", choices=VIEW_SCOPES, help=VIEW_HELP)
    c.add_argument("--display-name", help="姓名或显示名")
    c.add_argument("--password-stdin", action="store_true", help="从标准输入读取初始密码，而不是自动生成")

    for name, text in (("disable", "停用账号（其登录立即失效）"), ("enable", "重新启用账号")):
        sp = sub.add_parser(name, help=text)
        sp.add_argument("name")

    r = sub.add_parser("reset", help="重置密码（生成新的初始密码，解除锁定）")
    r.add_argument("name")
    r.add_argument("--password-stdin", action="store_true", help="从标准输入读取新密码")

    s = sub.add_parser("set", help="修改角色、单位、查看范围或姓名")
    s.add_argument("name")
    s.add_argument("--role", help=ROLE_HELP)
    s.add_argument("--unit", help="所属单位代码")
    s.add_argument("--clear-unit", action="store_true", help="清除所属单位")
    s.add_argument("--view", choices=VIEW_SCOPES, help=VIEW_HELP)
    s.add_argument("--display-name")

    sub.add_parser("list", help="列出账号")

    sc = sub.add_parser("scope", help="显示账号可填报、可查看的单位；--write 检查能否填报某单位")
    sc.add_argument("name")
    sc.add_argument("--write", metavar="UNIT", help="单位代码：不能填报时以错误退出（退出码 2）")

    actions = {"create": _create, "disable": _disable, "enable": _enable, "reset": _reset, "set": _set,
               "list": _list, "scope": _scope}
    return {"user": lambda args: actions[args.user_command](args)}
