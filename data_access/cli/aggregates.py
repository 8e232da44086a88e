"""`python -m data_access aggregates rebuild|check`: the maintained aggregates of the versioned figures
(data_access.kpis.aggregates) and the facts pre-summed from them (data_access.kpis.summary_writer).

    python -m data_access aggregates rebuild   # recompute them from the raw versions, in one transaction
    python -m data_access aggregates check     # compare them with a fresh computation (exit 2 if they differ)
"""
from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING, Any

from data_access.db import check_reachable, make_engine
from data_access.errors import DataAccessError
from data_access.kpis import aggregates, summaries, summary_writer
from data_access.schema import migrate

if TYPE_CHECKING:
    from data_access.cli.main import Handler


def register(subparsers: Any) -> dict[str, Handler]:
    p = subparsers.add_parser("aggregates", help="重建或核对汇总表 (rebuild or check the maintained aggregates)")
    p.add_argument("action", choices=("rebuild", "check"), help="rebuild 重建 | check 核对")
    return {"aggregates": _cmd_aggregates}


def _cmd_aggregates(args: argparse.Namespace) -> str:
    engine = make_engine(args.url)
    check_reachable(engine)
    migrate.require_current(engine)
    started = time.perf_counter()
    if args.action == "rebuild":
        with engine.begin() as conn:
            written = summary_writer.rebuild_all(conn)
        rows = "，".join(f"{name} {n} 行" for name, n in written.items())
        return f"汇总表已重建（{time.perf_counter() - started:.1f} 秒）：{rows}"
    with engine.connect() as conn:
        differ = aggregates.check(conn)
        complete = {aggregates.TABLES[f].__tablename__ for f in aggregates.ready(conn)}
        version, _valid, current = summaries.state(conn)
        if version is not None and version == current:  # behind: not read, so nothing to compare
            summed = summary_writer.check(conn)
            differ.update(summed)
            complete |= set(summed)
    missing = [name for name in differ if name not in complete]
    if missing:
        raise DataAccessError(f"汇总表尚未建立：{'、'.join(missing)}；请运行 python -m data_access aggregates rebuild",
                              f"Aggregates not built yet: {', '.join(missing)}; run `aggregates rebuild`")
    bad = {name: n for name, n in differ.items() if n}
    if bad:
        rows = "，".join(f"{name} {n} 行不同" for name, n in bad.items())
        raise DataAccessError(f"汇总表与原始数据不一致：{rows}；请运行 python -m data_access aggregates rebuild",
                              f"Aggregates differ from the raw versions: {bad}; run `aggregates rebuild`")
    if version != current:
        return ("汇总表与原始数据一致；预汇总表落后于最新改动（暂按原始数据计算，后台预热时会重建，"
                "也可运行 python -m data_access aggregates rebuild）。")
    return "汇总表与原始数据一致。"
