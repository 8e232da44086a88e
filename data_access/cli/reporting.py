"""Command-line reporting: template, import, review, withdraw, history, batches, reporting-status.

The same importer functions as the `report` page: preview first, then commit with the preview's
fingerprint, so what is written is exactly what was shown.
"""
from __future__ import annotations

import datetime as dt
import argparse
import getpass
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from data_access.accounts import auth
from data_access.cli import terminal
from data_access.db import check_reachable, make_engine
from data_access import clock
from data_access.errors import DataAccessError
from data_access.kpis import queries
from data_access.reporting import batches, history, templates
from data_access.reporting.cells import parse_date
from data_access.reporting.commit import commit
from data_access.reporting.kinds import KINDS
from data_access.reporting.preview import ACTION_ZH, changes_frame, preview
from data_access.reporting.review import review, withdraw
from data_access.schema import migrate
from data_access.schema.accounts import ROLE_ADMIN, ROLE_REPORTER


def _engine(args: argparse.Namespace) -> Engine:
    engine = make_engine(args.url)
    check_reachable(engine)
    migrate.require_current(engine)
    return engine


def _user(args: argparse.Namespace) -> str:
    return args.user or os.environ.get("KPI_USER") or getpass.getuser()


def _rights(args: argparse.Namespace, engine: Engine) -> tuple[str, tuple[str, ...] | None, auth.AuthUser | None]:
    """(actor, allowed units, account) for a command that writes.

    With --user the account's own rights apply: a county reporter writes only for its unit
    (a --unit outside it is refused), leaders write for none. Without --user the command runs as
    the server's operator, limited only by --unit."""
    units = tuple(args.unit) if getattr(args, "unit", None) else None
    if not args.user:
        return _user(args), units, None
    account = auth.load_user(engine, args.user)
    allowed = auth.writable_units(account)
    for unit in units or ():
        auth.require_write_scope(account, unit)
    return account.username, units if units is not None else allowed, account


def _operator(args: argparse.Namespace, engine: Engine) -> auth.AuthUser:
    """Who a review or withdrawal acts as: with --user that account (its own role decides); without,
    the server's operator, recorded under KPI_USER: an administrator, or with one --unit a county
    reporter of that unit."""
    if args.user:
        return auth.load_user(engine, args.user)
    units = tuple(getattr(args, "unit", None) or ())
    if len(units) > 1:
        raise DataAccessError("撤回时 --unit 只能指定一个单位", "Give at most one --unit")
    name = _user(args)
    if units:
        return auth.AuthUser(username=name, display_name=name, role=ROLE_REPORTER, unit_code=units[0])
    return auth.AuthUser(username=name, display_name=name, role=ROLE_ADMIN)


def _date(text: str | None) -> dt.date | None:
    return None if not text else parse_date(text)


def _cmd_template(args: argparse.Namespace) -> str:
    tpl = templates.build_template(_engine(args), args.kind, args.unit, args.period, args.year)
    out = Path(args.output) if args.output else Path(tpl.file_name)
    if out.is_dir():
        out = out / tpl.file_name
    out.write_bytes(tpl.data)
    return f"已生成模板：{out}（{tpl.period_label}）"


def _table(df: pd.DataFrame, columns: dict[str, str]) -> str:
    if df.empty:
        return "（无）"
    shown = df[list(columns)].astype(object).where(df[list(columns)].notna(), "")
    shown = shown.map(terminal.cell)  # a clerk's text never reaches the terminal raw
    return str(shown.rename(columns=columns).to_string(index=False))


def _cmd_import(args: argparse.Namespace) -> str:
    engine = _engine(args)
    path = Path(args.file)
    data = path.read_bytes()
    actor, units, account = _rights(args, engine)
    if args.approve and account is not None:
        auth.require_review(account)
    if args.approve and units:
        raise DataAccessError("区县上报（--unit）须经审核，不能使用 --approve")
    pv = preview(engine, data, path.name, allowed_units=units, year=args.year, kind=args.kind)
    c = pv.counts
    lines = [f"文件：{path.name}（{pv.title}，{c['total']}行：新增{c['new']}，修改{c['changed']}，"
             f"无变化{c['unchanged']}）",
             _table(changes_frame(pv).replace({"action": ACTION_ZH}),
                    {"line": "行", "action": "变动", "unit_code": "单位", "item": "项目", "period": "周期",
                     "old": "原值", "new": "新值", "pending_elsewhere": "其他待审批次"})]
    if not args.yes:
        lines.append("以上为预览，尚未写入。确认无误后加 --yes 重新运行以导入。")
        return "\n".join(lines)
    done = commit(engine, data, path.name, actor=actor, allowed_units=units, year=args.year, kind=args.kind,
                  approver=_operator(args, engine) if args.approve else None, expect=pv.fingerprint)
    lines.append(f"已导入：批次#{done.batch_id}，状态：{batches.STATUS_ZH[done.status]}。")
    return "\n".join(lines)


def _cmd_review(args: argparse.Namespace) -> str:
    engine = _engine(args)
    status = review(engine, args.batch, args.decision, reviewer=_operator(args, engine), reason=args.reason)
    return f"批次#{args.batch}：{batches.STATUS_ZH[status]}。"


def _cmd_withdraw(args: argparse.Namespace) -> str:
    engine = _engine(args)
    if withdraw(engine, args.batch, user=_operator(args, engine), reason=args.reason) == batches.WITHDRAW_REQUESTED:
        return f"批次#{args.batch}的撤回申请已提交：经另一位审核员批准（review {args.batch} approve）后其数据才不再计入看板。"
    return f"批次#{args.batch}已撤回：其数据不再计入看板（原始记录仍保留）。"


def _cmd_history(args: argparse.Namespace) -> str:
    df = history.figure_history(_engine(args), args.target, args.unit, args.year, _date(args.period))
    if df.empty:
        return f"{args.unit} 的 {args.target.upper()} 没有填报记录。"
    df = df.assign(status=df["status"].map(lambda s: batches.STATUS_ZH[s if isinstance(s, str) else None]),
                   in_force=df["in_force"].map({True: "★", False: ""}),
                   batch_id=df["batch_id"].map(lambda b: "" if b is None or b != b else f"#{int(b)}"))
    return _table(df, {"period_start": "周期开始", "period_end": "周期结束", "value": "数值",
                       "recorded_at": "上报时间", "reporter": "填报人", "batch_id": "批次", "status": "状态",
                       "in_force": "现行", "note": "备注"}) + "\n★ 看板当前采用的版本"


def _cmd_batches(args: argparse.Namespace) -> str:
    df = batches.batches(_engine(args), [args.status] if args.status else None, args.unit or None)
    df = df.assign(status=df["status"].map(batches.STATUS_ZH), kind=df["kind"].map(
        lambda k: KINDS[k].title if k in KINDS else k))
    return _table(df, {"id": "批次", "kind": "类型", "unit_code": "单位", "file_name": "文件",
                       "uploaded_by": "上传人", "uploaded_at": "上传时间", "row_count": "行数",
                       "status": "状态", "review_note": "审核意见"})


def _cmd_reporting_status(args: argparse.Namespace) -> str:
    engine = _engine(args)
    year = args.year or queries.plan_year_of(engine, clock.today()) or clock.today().year
    df = history.submission_status(engine, year)
    df = df.assign(late=df["late"].map({True: "逾期", False: ""}))
    return _table(df, {"unit_code": "单位代码", "name_zh": "单位", "last_period_end": "最近上报周期",
                       "last_upload_at": "最近上传", "pending": "待审核", "returned": "已退回",
                       "late": "状态", "weeks_behind": "缺报周数"})


def register(sub: Any) -> dict[str, Callable[[argparse.Namespace], str]]:
    kinds = sorted(KINDS)
    p = sub.add_parser("template", help="生成填报模板 .xlsx (write a reporting template)")
    p.add_argument("kind", choices=kinds,
                   help=" | ".join(f"{k.code} {k.title}" for k in KINDS.values()))
    p.add_argument("--unit", required=True, help="单位代码，如 410423")
    p.add_argument("--period", help="周报：该周任一日期 2023-06-30；月报：2023-05（默认最近一期）")
    p.add_argument("--year", type=int, help="计划年度（默认今天所在年度）")
    p.add_argument("-o", "--output", help="输出文件或目录（默认当前目录、模板文件名）")

    p = sub.add_parser("import", help="校验并导入填报文件 (check and import a report file)")
    p.add_argument("file", help=".xlsx 或 .csv（UTF-8 / GB18030）")
    p.add_argument("--user", help="上传人（默认 KPI_USER 或系统用户名）")
    p.add_argument("--unit", action="append", help="只允许这些单位的数据（区县填报员）；可重复")
    p.add_argument("--kind", choices=kinds, help="报表类型（默认按工作表名和表头识别）")
    p.add_argument("--year", type=int, help="计划年度（默认今天所在年度）")
    p.add_argument("--yes", action="store_true", help="预览后直接导入（否则只预览）")
    p.add_argument("--approve", action="store_true", help="市总上报：导入即通过审核")

    p = sub.add_parser("review", help="审核批次：通过或退回 (approve or return a batch)")
    p.add_argument("batch", type=int)
    p.add_argument("decision", choices=["approve", "return"])
    p.add_argument("--reason", help="退回原因（退回时必填）")
    p.add_argument("--user", help="审核人")

    p = sub.add_parser("withdraw", help="撤回整个批次 (withdraw a batch)")
    p.add_argument("batch", type=int)
    p.add_argument("--user", help="操作人")
    p.add_argument("--unit", action="append", help="操作人所属单位（区县只能撤回本单位批次）")
    p.add_argument("--reason")

    p = sub.add_parser("history", help="一个数字的全部上报版本 (history of a figure)")
    p.add_argument("--target", required=True, help="指标代码，如 T01")
    p.add_argument("--unit", required=True, help="单位代码")
    p.add_argument("--period", help="只看截至该日期的那一周，如 2023-06-30")
    p.add_argument("--year", type=int)

    p = sub.add_parser("batches", help="导入批次列表 (list import batches)")
    p.add_argument("--status", choices=sorted(k for k in batches.STATUS_ZH if k is not None))
    p.add_argument("--unit", action="append")

    p = sub.add_parser("reporting-status", help="各单位最近上报情况 (who reported when)")
    p.add_argument("--year", type=int)

    return {"template": _cmd_template, "import": _cmd_import, "review": _cmd_review,
            "withdraw": _cmd_withdraw, "history": _cmd_history, "batches": _cmd_batches,
            "reporting-status": _cmd_reporting_status}
