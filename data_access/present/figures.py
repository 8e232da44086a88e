"""The presentation model: every figure of a target, as text in Chinese and English, made once.

Each kind of figure has one function, and every surface (overview, targets page, map, new-economy
page, briefing page, presentation mode, PDF, workbook, CSV and table downloads) takes its text
from here, so that one figure reads the same wherever it appears. Pure (no streamlit, no SQL).

A figure's unit is a `Unit` (`unit_of(unit_zh, unit_en, target)`: the target's units from the
data, and its annual target for the scale of money). The English unit word is the target's own
(`unit_en` from the data: "stations", "events"), never a generic one.

Rounding rules, one per kind of unit (`Unit.kind`):

- **Counts of whole things** (场次, 场, 家, 个, 人, 名 and any other unit that is not money): a
  whole number, rounded half up (49.6场 reads 50场; 49.5 reads 50). From 10,000 on, people (人)
  read in 万 with at most two decimals in Chinese (15.23万人 = 152,300 people; English keeps
  152,300 people). Never a fraction of a thing.
- **Money** (元, 万元): in the unit the target is set in: a target in 万元 reads in 万元; a target
  in 元 of 10,000 or more reads in 万元 for every figure of that target (61万元, 0.96万元), with
  at most two decimals; a smaller 元 target reads in whole 元. English: whole yuan (610,000 yuan).
- **Percentages** (完成率, 序时进度比例, shares): one decimal, rounded half up (52.94% -> 52.9%).
- **Ranges** (the forecast's): one unit for both ends, the scale of the higher end
  (0.96万–1.34万人, never 9,600–1.34万人).
- **Gap** (差距): the expected amount as shown minus the done amount as shown, so that a row that
  reads 47 done and 50 expected reads a gap of 3.
- **Change since last week**: signed (+12场次, −3家, ±0), the amount rule of the unit.
- **Weekly rate needed**: counts are rounded up to whole things (每周需18场次); a rate under one a
  week reads the way a person would say it, 约每5周1个 ("about 1 every 5 weeks"; the weeks rounded
  down, so the pace it asks for is never slower than needed); 0 reads 已完成 / "done"; money and
  other units follow the amount rule.
- **Status**: the words of `kpis.metrics.STATUS_EN` ("Behind pace"), the same on every surface.
- **Target names**: `target_name(row, lang)` the full name from the data, `target_name(row, lang,
  short=True)` the one short form every surface uses (`short_name`: the parenthesised gloss
  dropped, 群众性文化活动（千场…） -> 群众性文化活动; a long name without its heading before '：').
  A chart may wrap it onto two lines; it never shortens it differently.

`shown(value, unit)` is the number as shown, in the target's base unit (152,345 people shown as
15.23万 -> 152,300): what a downloaded file's numeric cell holds.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any, Mapping

import pandas as pd

from data_access.kpis import metrics

COUNT, MONEY = "count", "money"
MONEY_UNITS = {"元": 1.0, "万元": 10000.0}
"""Money units and what one of them is worth in 元."""
WAN = 10000
WAN_COUNT_UNITS = {"人"}
"""Counts read in 万 from 10,000 on (people)."""
DASH = "—"


@dataclass(frozen=True)
class Unit:
    """A target's unit: its Chinese and English words, its kind (COUNT or MONEY) and, for money,
    whether every figure of the target reads in 万 (`wan`; None: each figure from 10,000 on, for
    a unit known without its target)."""

    zh: str
    en: str
    kind: str = COUNT
    wan: bool | None = False

    def word(self, lang: str, value: float | None = None) -> str:
        """The unit word in `lang`; in English the singular for exactly one (1 station)."""
        if lang != "en":
            return self.zh
        word = self.en or self.zh
        if value is not None and abs(value) == 1:
            return _singular(word)
        return word


def _singular(word: str) -> str:
    if word.endswith(("sses", "ches", "shes", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def unit_of(unit_zh: str, unit_en: str = "", target: float | None = None) -> Unit:
    """The `Unit` of a target with units `unit_zh` / `unit_en` (from the data) and annual target
    `target` (in its base unit; decides whether a 元 target reads in 万元)."""
    unit_zh, unit_en = str(unit_zh or ""), str(unit_en or "")
    if unit_zh in MONEY_UNITS:
        wan: bool | None = None if target is None or _missing(target) else abs(float(target)) >= WAN
        return Unit(unit_zh, unit_en or "yuan", MONEY, wan if unit_zh == "元" else False)
    return Unit(unit_zh, unit_en, COUNT)


def row_unit(row: Mapping[str, Any]) -> Unit:
    """The `Unit` of a row of `kpis.target_overview` (unit_zh, unit_en, target; a dict or a
    pandas row)."""
    return unit_of(row["unit_zh"], row.get("unit_en", ""), row.get("target"))


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return True


def _round(value: float, places: int = 0) -> float:
    """Half up (49.5 -> 50, 0.125 -> 0.13 at two places), on the decimal value as written."""
    q = Decimal(1).scaleb(-places)
    return float(Decimal(repr(float(value))).quantize(q, rounding=ROUND_HALF_UP))


def _wan(value: float, unit: Unit, lang: str) -> bool:
    """Whether `value` reads in 万 in `lang`."""
    if lang == "en":
        return False
    if unit.kind == MONEY:
        return abs(value) >= WAN if unit.wan is None else unit.wan
    return unit.zh in WAN_COUNT_UNITS and abs(value) >= WAN


def _places(unit: Unit, in_wan: bool, lang: str) -> int:
    if in_wan:
        return 2
    if unit.kind == MONEY and unit.zh == "万元":
        return 2
    return 0


def shown(value: Any, unit: Unit, lang: str = "zh", *, in_wan: bool | None = None) -> float | None:
    """`value` rounded as `amount` shows it, in the base unit (None when missing). The rounding of
    the Chinese view (万 with two decimals) is the same number for English only where English shows
    it whole too; a file holds the value of its own language."""
    if _missing(value):
        return None
    v = float(value)
    wan = _wan(v, unit, lang) if in_wan is None else in_wan
    if wan:
        return float(Decimal(repr(_round(v / WAN, 2))) * WAN)
    return _round(v, _places(unit, False, lang))


def _digits(value: float, places: int) -> str:
    text = f"{value:,.{places}f}"
    if places:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def bare(value: Any, unit: Unit, lang: str = "zh", *, in_wan: bool | None = None) -> str:
    """The number as shown without the unit word: '15.23万', '1,040', '152,300'."""
    if _missing(value):
        return DASH
    v = float(value)
    wan = _wan(v, unit, lang) if in_wan is None else in_wan
    s = shown(v, unit, lang, in_wan=wan)
    assert s is not None
    if wan:
        return f"{_digits(s / WAN, 2)}万"
    return _digits(s, _places(unit, False, lang))


def _with_unit(number: str, unit: Unit, lang: str, value: float | None) -> str:
    if lang == "en":
        return f"{number} {unit.word(lang, value)}".strip()
    word = unit.zh
    if number.endswith("万") and word == "万元":
        word = "元"
    return f"{number}{word}"


def amount(value: Any, unit: Unit, lang: str = "zh") -> str:
    """An amount of the target (done, annual target, expected to date, forecast, allocation):
    '1,040场次', '15.23万人', '61万元'; English '152,300 people'. '—' when missing."""
    if _missing(value):
        return DASH
    return _with_unit(bare(value, unit, lang), unit, lang, shown(value, unit, lang))


def amount_range(low: Any, high: Any, unit: Unit, lang: str = "zh") -> str:
    """A range with one unit, the scale of the higher end: '0.96万–1.34万人', '347–533场次'."""
    if _missing(low) or _missing(high):
        return DASH
    wan = _wan(max(abs(float(low)), abs(float(high))), unit, lang)
    text = f"{bare(low, unit, lang, in_wan=wan)}–{bare(high, unit, lang, in_wan=wan)}"
    return _with_unit(text, unit, lang, None)


def gap_value(expected: Any, actual: Any, unit: Unit, lang: str = "zh") -> float | None:
    """差距 as shown: the expected amount as shown minus the done amount as shown (base unit)."""
    e, a = shown(expected, unit, lang), shown(actual, unit, lang)
    if e is None or a is None:
        return None
    return _round(e - a, 2)


def gap(expected: Any, actual: Any, unit: Unit, lang: str = "zh") -> str:
    """差距 (expected to date minus done) as text; see `gap_value`."""
    return amount(gap_value(expected, actual, unit, lang), unit, lang)


def change(value: Any, unit: Unit, lang: str = "zh") -> str:
    """A change since last week with its sign: '+12场次', '−3家', '±0'; '—' when missing."""
    if _missing(value):
        return DASH
    s = shown(value, unit, lang)
    if not s:
        return "±0"
    return ("+" if s > 0 else "−") + amount(abs(s), unit, lang)


def change_value(value: Any, unit: Unit, lang: str = "zh") -> float | None:
    """The change as shown (base unit)."""
    return shown(value, unit, lang)


def weekly_value(rate: Any, unit: Unit, lang: str = "zh") -> float | None:
    """The weekly rate needed as shown (base unit): counts rounded up to whole things (a rate
    under one a week stays as it is: `weekly` says it as 'about 1 every N weeks')."""
    if _missing(rate):
        return None
    r = float(rate)
    if unit.kind == COUNT and r > 0:
        if r < 1:  # shown as 1 every n weeks: the rate 1/n
            return 1 / _every(r)
        return float(math.ceil(_round(r, 6)))
    return shown(r, unit, lang)


def _every(rate: float) -> int:
    """n of '1 every n weeks' for a rate under one a week: 1/rate rounded down (at least 1)."""
    return max(1, int(Decimal(repr(1 / rate + 1e-9)).quantize(Decimal(1), rounding=ROUND_DOWN)))


WEEKLY_WORDS = {"done": ("已完成", "done"), "every": ("约每{n}周1{unit}", "about 1 {unit} every {n} weeks"),
                "weekly": ("每周需{amount}", "needs {amount} a week"),
                "needs": ("{text}", "needs {text}")}


def weekly_phrase(rate: Any, unit: Unit, lang: str = "zh") -> str:
    """The weekly rate in a sentence: '每周需18场次' / 'needs 18 events a week', '约每5周1个' /
    'needs about 1 collective every 5 weeks', '已完成' / 'done'; '—' when missing."""
    text = weekly(rate, unit, lang)
    v = weekly_value(rate, unit, lang)
    i = 1 if lang == "en" else 0
    if v is None or v == 0:
        return text
    if unit.kind == COUNT and v < 1 and text != amount(1, unit, lang):
        return WEEKLY_WORDS["needs"][i].format(text=text)
    return WEEKLY_WORDS["weekly"][i].format(amount=text)


def weekly(rate: Any, unit: Unit, lang: str = "zh") -> str:
    """The rate needed per week from now on: '18场次', '约每5周1个' (under one a week), '已完成'
    (0: the target is reached); '—' when missing (a closed year)."""
    v = weekly_value(rate, unit, lang)
    if v is None:
        return DASH
    zh_en = 1 if lang == "en" else 0
    if v == 0:
        return WEEKLY_WORDS["done"][zh_en]
    if unit.kind == COUNT and v < 1:
        n = _every(v)
        if n <= 1:
            return amount(1, unit, lang)
        return WEEKLY_WORDS["every"][zh_en].format(n=n, unit=unit.word(lang, 1))
    return amount(v, unit, lang)


def completion(share: Any, lang: str = "zh") -> str:
    """A share as a percentage with one decimal (完成率, 序时进度比例): '52.9%'; '—' when missing."""
    v = completion_value(share)
    if v is None:
        return DASH
    return f"{_digits_fixed(v * 100, 1)}%"


def _digits_fixed(value: float, places: int) -> str:
    return f"{value:.{places}f}"  # a percentage without a thousands separator (1016.7%)


def completion_value(share: Any) -> float | None:
    """The share as shown (0.529 for 52.9%)."""
    if _missing(share):
        return None
    percent = (Decimal(repr(float(share))) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return float(percent / 100)


percent = completion
"""Every percentage follows the one rule of `completion`."""


def forecast(point: Any, low: Any, high: Any, unit: Unit, lang: str = "zh",
             target: Any = None) -> tuple[str, str]:
    """(the year-end forecast, its range): ('347场次', '300–533场次'); '' for a missing range.
    With no `target` for the scope (0: e.g. 市总本级 alone, nothing allocated) there is nothing to
    forecast: ('—', '')."""
    if target is not None and not _missing(target) and float(target) <= 0:
        return DASH, ""
    point_text = amount(point, unit, lang)
    if _missing(point) or _missing(low) or _missing(high):
        return point_text, ""
    return point_text, amount_range(low, high, unit, lang)


def status(value: object, lang: str = "zh") -> str:
    """The status word: '滞后序时' / 'Behind pace'; '—' for none."""
    if not isinstance(value, str):
        return DASH
    return metrics.STATUS_EN.get(value, value) if lang == "en" else value


SHORT_NAME_LENGTH = 14
"""A name longer than this (after its gloss is dropped) keeps only the part after its heading
(the text after '：')."""


def short_name(name: str) -> str:
    """A target's one short form: the name without its parenthesised gloss (群众性文化活动（千场…）
    -> 群众性文化活动) and, when still longer than `SHORT_NAME_LENGTH`, without the heading before
    '：' (乡村振兴劳模出彩行动：先进集体参与 -> 先进集体参与)."""
    text = re.sub(r"（[^）]*）|\([^)]*\)", "", str(name)).strip()
    if "：" in text and len(text) > SHORT_NAME_LENGTH:
        text = text.split("：", 1)[1].strip()
    return text


def target_name(row: Mapping[str, Any], lang: str = "zh", short: bool = False) -> str:
    """The target's name from the data (name_zh / name_en); `short`: its one short form."""
    name = str(row["name_en"] if lang == "en" else row["name_zh"])
    return short_name(name) if short else name


def date(value: dt.date | None, lang: str = "zh") -> str:
    """2023年6月30日, or 30 Jun 2023 in English; '—' when missing."""
    if value is None or _missing_date(value):
        return DASH
    if lang == "en":
        return f"{value.day} {value.strftime('%b')} {value.year}"
    return f"{value.year}年{value.month}月{value.day}日"


def _missing_date(value: Any) -> bool:
    return not isinstance(value, dt.date)


FIGURES = ("done", "target", "expected", "gap", "completion", "change_week", "weekly", "forecast",
           "forecast_range", "status")
"""The figures of a target, as `figures` returns them."""


def figures(row: Mapping[str, Any], lang: str = "zh", *, target_key: str = "target",
            unit: Unit | None = None) -> dict[str, str]:
    """Every figure (`FIGURES`) of one row of `kpis.target_overview` (or of `unit_breakdown`
    with target_key='allocation' and the target's `unit`) as text in `lang`."""
    u = unit or row_unit(row)
    get = row.get
    point, rng = forecast(get("forecast"), get("forecast_low"), get("forecast_high"), u, lang,
                          target=row[target_key])
    return {
        "done": amount(row["actual"], u, lang),
        "target": amount(row[target_key], u, lang),
        "expected": amount(row["expected"], u, lang),
        "gap": gap(row["expected"], row["actual"], u, lang),
        "completion": completion(row["completion"], lang),
        "change_week": change(get("change_week"), u, lang),
        "weekly": weekly(row["required_weekly"], u, lang),
        "forecast": point,
        "forecast_range": rng,
        "status": status(row["status"], lang),
    }
