"""Values as they come back from the admin page's data editors (NaN, numpy scalars, Timestamps,
padded text), compared and checked the one way every plan edit uses, and the plan-year check.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

import pandas as pd
from sqlalchemy import Connection, select

from data_access.errors import DataAccessError
from data_access.schema.models import PlanYear


def plain(value: Any) -> Any:
    """A cell as a plain Python value: NaN/NaT/blank text -> None, numpy scalars -> Python,
    Timestamps and datetimes -> dates, text stripped."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalar
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """The fields of `after` whose plain value differs from `before` (floats compared exactly)."""
    out: dict[str, Any] = {}
    for f in fields:
        if f not in after:
            continue
        a, b = plain(before.get(f)), plain(after[f])
        if isinstance(a, (int, float)) and isinstance(b, (int, float)):
            if float(a) != float(b):
                out[f] = b
        elif a != b:
            out[f] = b
    return out


def check_value(value: Any, what: str) -> float:
    """A target or allocation value: a finite, non-negative number (base units), else an error
    naming `what`."""
    v = plain(value)
    try:
        v = float(v)
    except (TypeError, ValueError):
        raise DataAccessError(f"{what}：“{value}”不是数字", f"{what}: “{value}” is not a number") from None
    if not math.isfinite(v) or v < 0:
        raise DataAccessError(f"{what}：数值必须是非负数", f"{what}: the value must be non-negative")
    return v


def require_year(conn: Connection, year: int) -> None:
    """Refuse an edit of a plan year that does not exist."""
    if conn.execute(select(PlanYear.year).where(PlanYear.year == year)).first() is None:
        raise DataAccessError(f"计划年度 {year} 不存在", f"No plan year {year}")


def as_date(value: Any, what: str) -> dt.date | None:
    """A date cell (date, Timestamp or YYYY-MM-DD text) as a date; None when blank."""
    v = plain(value)
    if v is None or isinstance(v, dt.date):
        return v
    try:
        return dt.date.fromisoformat(str(v))
    except ValueError:
        raise DataAccessError(f"{what}：“{value}”不是日期（YYYY-MM-DD）",
                              f"{what}: “{value}” is not a date (YYYY-MM-DD)") from None
