"""Plan curves (计划曲线) edited as 12 monthly shares (管理员 only).

Stored: `targets.pace_curve`, the cumulative share of the year's target expected by the end of each
calendar month (12 floats, 0..1, the last 1.0; NULL: linear over the days of the plan year), read by
`kpis.metrics.expected_fraction`. Edited: the share of each month in per cent (1月 … 12月), which
must be 12 non-negative numbers summing to 100 (within `TOLERANCE` percentage points, so shares
such as 8.33 × 11 + 8.37 are accepted despite floating point); twelve blanks mean linear. A refused
curve names the month that is wrong, or by how much the total misses 100%.

Every changed curve is one audit entry (entity targets, id year/code, before/after
{"pace_curve": [...]}) in the transaction of the change.
"""
from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, select, update

from data_access import audit, clock
from data_access.accounts.identity import AuthUser
from data_access.accounts.permissions import require_plan_edit
from data_access.errors import DataAccessError
from data_access.plan.values import plain, require_year
from data_access.schema.models import Target

MONTHS = 12
MONTH_COLUMNS = tuple(f"m{i:02d}" for i in range(1, MONTHS + 1))  # m01 … m12: the editor's columns
MONTH_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
            "October", "November", "December")
TOLERANCE = 1e-6  # percentage points: how far the twelve shares may miss 100 (float rounding only)


def month_name(i: int, lang: str = "zh") -> str:
    """'3月' / 'March' for month `i` (1..12)."""
    return MONTH_EN[i - 1] if lang == "en" else f"{i}月"


def share_text(x: float) -> str:
    """A share in per cent without spurious digits: 98, 99.5, 8.33."""
    return f"{round(x, 4):.4f}".rstrip("0").rstrip(".")


def shares_from_curve(curve: Sequence[float] | None) -> list[float] | None:
    """The monthly shares in per cent of a stored cumulative curve (None stays None: linear),
    rounded to 6 decimals so that e.g. 0.18 - 0.12 shows as 6, not 5.999999999999998."""
    if curve is None:
        return None
    out, before = [], 0.0
    for c in curve:
        out.append(round((float(c) - before) * 100, 6) + 0.0)
        before = float(c)
    return out


def curve_from_shares(code: str, shares: Sequence[Any]) -> list[float] | None:
    """Check 12 monthly shares (per cent) and return the cumulative curve to store (the last value
    exactly 1.0); twelve blanks return None (linear). Raises DataAccessError naming the month or
    the shortfall/excess of the total, in Chinese and English."""
    values = [plain(v) for v in shares]
    what_zh, what_en = f"目标 {code} 的计划曲线", f"Target {code} plan curve"
    if len(values) != MONTHS:
        raise DataAccessError(f"{what_zh}须有 12 个月的占比，现有 {len(values)} 个",
                              f"{what_en}: needs 12 monthly shares, got {len(values)}")
    if all(v is None for v in values):
        return None
    nums: list[float] = []
    for i, v in enumerate(values, start=1):
        if v is None:
            raise DataAccessError(f"{what_zh}：{month_name(i)}未填写（12个月全部留空表示按天均匀推进）",
                                  f"{what_en}: {month_name(i, 'en')} is blank "
                                  "(leave all twelve blank for an even pace over the year)")
        try:
            x = float(v)
        except (TypeError, ValueError):
            raise DataAccessError(f"{what_zh}：{month_name(i)}“{v}”不是数字",
                                  f"{what_en}: {month_name(i, 'en')} “{v}” is not a number") from None
        if not math.isfinite(x):
            raise DataAccessError(f"{what_zh}：{month_name(i)}“{v}”不是数字",
                                  f"{what_en}: {month_name(i, 'en')} “{v}” is not a number")
        if x < 0:
            raise DataAccessError(f"{what_zh}：{month_name(i)}占比 {share_text(x)}% 不能为负",
                                  f"{what_en}: {month_name(i, 'en')} has {share_text(x)}%, which must not be negative")
        nums.append(x)
    total = math.fsum(nums)
    if abs(total - 100) > TOLERANCE:
        gap = abs(total - 100)
        zh, en = ("少", "short of") if total < 100 else ("多", "over")
        raise DataAccessError(f"{what_zh}：12个月合计 {share_text(total)}%，比 100% {zh} {share_text(gap)} 个百分点",
                              f"{what_en}: the twelve shares sum to {share_text(total)}%, "
                              f"{share_text(gap)} percentage points {en} 100%")
    curve, running = [], 0.0
    for x in nums:
        running += x
        curve.append(round(running / 100, 10))
    curve[-1] = 1.0
    return curve


def _same(a: Sequence[float] | None, b: Sequence[float] | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return len(a) == len(b) and all(abs(float(x) - float(y)) <= 1e-9 for x, y in zip(a, b))


def _stored(value: Any) -> list[float] | None:
    """A pace_curve as read back (a list, or JSON text on some drivers)."""
    if isinstance(value, str):
        value = json.loads(value)
    return None if value is None else [float(v) for v in value]


def curves_for_edit(engine: Engine, year: int) -> pd.DataFrame:
    """The year's targets in plan order (retired left out). Columns: code, name_zh, then m01 … m12
    (each month's share in per cent; NaN for a linear target)."""
    with engine.connect() as conn:
        rows = conn.execute(select(Target.code, Target.name_zh, Target.pace_curve)
                            .where(Target.year == year, Target.retired.is_(False))
                            .order_by(Target.sort_order, Target.code)).all()
    records = []
    for code, name, curve in rows:
        shares = shares_from_curve(_stored(curve)) or [float("nan")] * MONTHS
        records.append({"code": code, "name_zh": name, **dict(zip(MONTH_COLUMNS, shares))})
    return pd.DataFrame(records, columns=["code", "name_zh", *MONTH_COLUMNS])


def _set(conn: Connection, actor: AuthUser, year: int, code: str, shares: Sequence[Any] | None,
         now: dt.datetime) -> bool:
    row = conn.execute(select(Target.id, Target.pace_curve, Target.retired)
                       .where(Target.year == year, Target.code == code)).first()
    if row is None or row.retired:
        raise DataAccessError(f"{year}年没有目标 {code}", f"No target {code} in {year}")
    new = None if shares is None else curve_from_shares(code, shares)
    old = _stored(row.pace_curve)
    if _same(old, new):
        return False
    # None (linear) is written as SQL NULL: the column is JSON(none_as_null=True)
    conn.execute(update(Target).where(Target.id == row.id).values(pace_curve=new))
    audit.record(conn, actor=actor, action="update", entity="targets", entity_id=f"{year}/{code}",
                 before={"pace_curve": old}, after={"pace_curve": new}, at=now)
    return True


def set_curve(engine: Engine, actor: AuthUser, year: int, code: str, shares: Sequence[Any] | None) -> bool:
    """Give one target the curve of 12 monthly shares (per cent), or with None a linear pace;
    True if it changed."""
    require_plan_edit(actor)
    with engine.begin() as conn:
        require_year(conn, year)
        return _set(conn, actor, year, code, shares, clock.now())


def curve_problems(edited: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """{target code: (zh, en) refusal} for the rows of an edited `curves_for_edit` table that would
    be refused: the page shows them before saving (pure; the same check `save_curves` applies)."""
    out: dict[str, tuple[str, str]] = {}
    for rec in edited.to_dict("records"):
        try:
            curve_from_shares(str(rec["code"]), [rec.get(c) for c in MONTH_COLUMNS])
        except DataAccessError as exc:
            out[str(rec["code"])] = (exc.message_zh, exc.message_en)
    return out


def save_curves(engine: Engine, actor: AuthUser, year: int, edited: pd.DataFrame) -> int:
    """Apply an edited `curves_for_edit` table (rows keyed by code) in one transaction: every
    curve is checked first, so one wrong row leaves every curve as it was. Returns curves changed."""
    require_plan_edit(actor)
    now, n = clock.now(), 0
    rows: list[Mapping[str, Any]] = edited.to_dict("records")
    for rec in rows:  # refuse before writing anything
        curve_from_shares(str(rec["code"]), [rec.get(c) for c in MONTH_COLUMNS])
    with engine.begin() as conn:
        require_year(conn, year)
        for rec in rows:
            n += _set(conn, actor, year, str(rec["code"]), [rec.get(c) for c in MONTH_COLUMNS], now)
    return n
