"""`python -m data_access briefing`: the weekly meeting's briefing as PDF and Excel, for a schedule.

    python -m data_access briefing --date 2023-06-30 --county 410423,410481 --pdf out/ --xlsx out/

A folder gets the dated default name (周例会简报_2023-06-30.pdf); a file name without the date
gets it added (out.pdf -> out_2023-06-30.pdf), so a scheduled job never overwrites last week's.
Without --pdf/--xlsx the summary is printed.
"""
from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from data_access.kpis import queries
from data_access.schema import migrate
from data_access.db import check_reachable, make_engine
from data_access.errors import DataAccessError

if TYPE_CHECKING:
    from data_access.cli.main import Handler


def register(subparsers: Any) -> dict[str, Handler]:
    p = subparsers.add_parser("briefing", help="生成周例会简报（PDF、Excel）(weekly meeting briefing)")
    p.add_argument("--date", help="简报日期 YYYY-MM-DD（默认：最新填报日期）")
    p.add_argument("--year", type=int, help="计划年度（默认：简报日期所在年度）")
    p.add_argument("--county", help="单位代码，逗号分隔（默认：全市）")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="语言 (zh|en)")
    p.add_argument("--pdf", help="PDF 文件或文件夹")
    p.add_argument("--xlsx", help="Excel 文件或文件夹")
    return {"briefing": _cmd_briefing}


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise DataAccessError(f"日期“{text}”格式不对，应为 YYYY-MM-DD。",
                              f"Invalid date “{text}”; expected YYYY-MM-DD.") from None


def _units(engine: Engine, text: str | None) -> tuple[str, ...] | None:
    if not text:
        return None
    codes = tuple(dict.fromkeys(c.strip() for c in text.split(",") if c.strip()))
    known = set(queries.units(engine)["code"])
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise DataAccessError(f"未知的单位代码：{'、'.join(unknown)}", f"Unknown unit codes: {', '.join(unknown)}")
    return codes or None


def output_path(given: str, default_name: str, day: dt.date) -> Path:
    """Where to write: a folder gets `default_name`; a file name gets the date if it lacks it."""
    path = Path(given)
    if path.is_dir() or given.endswith(("/", "\\")):
        path.mkdir(parents=True, exist_ok=True)
        return path / default_name
    stamp = day.isoformat()
    if stamp not in path.name:
        path = path.with_name(f"{path.stem}_{stamp}{path.suffix}")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _cmd_briefing(args: argparse.Namespace) -> str:
    from data_access.meeting import pdf as mpdf, excel as mxl, tables as mtables
    from data_access.meeting import briefing, summary

    engine = make_engine(args.url)
    check_reachable(engine)
    migrate.require_current(engine)
    view = queries.default_view(engine)
    day: dt.date | None
    if args.date:
        day = _date(args.date)
    elif args.year:
        day = queries.latest_report_date(engine, args.year)
    else:
        day = view[1] if view else None
    if day is None:
        raise DataAccessError("还没有任何填报数据，请用 --date 指定简报日期。", "No reports yet; give --date.")
    # The plan year: as asked; else the one the date falls in; else the latest one with data.
    year = args.year or queries.plan_year_of(engine, day) or day.year
    try:
        queries.plan_year_bounds(engine, year)
    except KeyError:
        raise DataAccessError(f"数据库中没有{year}年度的计划。", f"No plan for {year}.") from None
    b = briefing.build_briefing(engine, year, day, _units(engine, args.county))
    lines = [f"周例会简报 {day.isoformat()}（{b.scope('zh')}）"]
    if args.pdf:
        path = output_path(args.pdf, mtables.file_name(b, "pdf", args.lang), day)
        path.write_bytes(mpdf.pdf_bytes(b, args.lang))
        lines.append(f"已生成PDF：{path}")
    if args.xlsx:
        path = output_path(args.xlsx, mtables.file_name(b, "xlsx", args.lang), day)
        path.write_bytes(mxl.xlsx_bytes(b, args.lang))
        lines.append(f"已生成Excel：{path}")
    if not (args.pdf or args.xlsx):
        lines.extend(summary.summary(b, args.lang))
    return "\n".join(lines)
