"""Number and date formatting, Chinese first (万, 2023年6月30日). Pure functions."""
from __future__ import annotations

import datetime as dt
import math

# Units whose amounts are shown in 万 once they reach 10,000 (people and money).
WAN_UNITS = {"人", "元"}
EN_UNITS = {"场次": "events", "场": "sessions", "人": "people", "名": "persons", "个": "groups",
            "家": "units", "元": "yuan"}


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def number(value: float | None, unit_zh: str = "", lang: str = "zh", digits: int = 0) -> str:
    """An amount with its unit: 1,040场次; 15.2万人; 61万元; en: 152,000 people."""
    if value is None or _is_missing(value):
        return "—"
    value = float(value)
    if lang == "en":
        unit = EN_UNITS.get(unit_zh, unit_zh)
        body = f"{value:,.{digits}f}"
        return f"{body} {unit}".strip()
    if unit_zh in WAN_UNITS and abs(value) >= 10000:
        wan = value / 10000
        body = f"{wan:,.2f}".rstrip("0").rstrip(".")
        return f"{body}万{unit_zh}"
    body = f"{value:,.{digits}f}"
    return f"{body}{unit_zh}"


def signed(value: float | None, unit_zh: str = "", lang: str = "zh") -> str:
    """A change with its sign: +12场次, −3家, ±0."""
    if value is None or _is_missing(value):
        return "—"
    if value == 0:
        return "±0"
    text = number(abs(value), unit_zh, lang)
    return ("+" if value > 0 else "−") + text


def percent(value: float | None, lang: str = "zh", digits: int = 1) -> str:
    """A share as a percentage: with one decimal the one rule of `figures.completion` (52.9%)."""
    if value is None or _is_missing(value):
        return "—"
    if digits == 1:
        from data_access.present import figures

        return figures.completion(value, lang)
    return f"{value * 100:.{digits}f}%"


def date(value: dt.date | None, lang: str = "zh") -> str:
    """2023年6月30日, or 30 Jun 2023 in English."""
    if value is None:
        return "—"
    if lang == "en":
        return f"{value.day} {value.strftime('%b')} {value.year}"
    return f"{value.year}年{value.month}月{value.day}日"
