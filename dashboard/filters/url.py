"""The shared filters (county, year, as_of, known, lang) and their URL form. Pure: no streamlit.

URL form: `?county=410423,410481&year=2023&as_of=2023-06-30&known=2023-06-30&lang=en`. A key at
its default is left out, so the plain URL means "whole city, the plan year in progress, through
today (a past year: its last day), as known now, Chinese". `as_of` is D, the period axis (held
inside the plan year); `known` is K, the record axis (`data_access.kpis.known`): a date means as
known at the end of that day, absent means now. A link from before the two dates with an as_of
after its year's end (a view of 2023 "as of 9 January 2024") opens as D = the year's last day,
K = that date: what it showed then.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from data_access.kpis import calendar

FILTER_KEYS = ("county", "year", "as_of", "known", "lang")
LANGS = ("zh", "en")


@dataclass(frozen=True)
class Filters:
    counties: tuple[str, ...]  # unit codes; empty = whole city
    year: int
    as_of: dt.date  # D: figures for periods through this date (inside the plan year)
    lang: str = "zh"
    known: dt.date | None = None  # K: as known at the end of this day; None: now

    @property
    def units(self) -> tuple[str, ...] | None:
        """Unit codes for the data layer: None means the whole city."""
        return self.counties or None


@dataclass(frozen=True)
class Defaults:
    year: int
    as_of: dt.date
    unit_codes: Sequence[str]
    years: Sequence[int]
    year_ranges: Mapping[int, tuple[dt.date, dt.date]] = field(default_factory=dict)
    # The latest report date of each plan year; it may fall after the year's end (late corrections).
    latest_by_year: Mapping[int, dt.date] = field(default_factory=dict)
    # The organisation's today (clock.today()); None: `as_of` stands in (tests).
    today: dt.date | None = None

    @property
    def now_day(self) -> dt.date:
        return self.today if self.today is not None else self.as_of


def _first(params: Mapping[str, Sequence[str]], key: str) -> str | None:
    values = params.get(key) or []
    values = [v for v in values if v is not None]
    return values[-1].strip() if values else None


def parse_filters(params: Mapping[str, Sequence[str]], d: Defaults) -> tuple[Filters, list[tuple[str, dict[str, Any]]]]:
    """Read the filters from URL params (each key -> list of values).

    Returns the filters and a list of warnings as (message key, format args); a bad value falls
    back to the default and gives a warning.
    """
    warnings: list[tuple[str, dict[str, Any]]] = []

    lang = _first(params, "lang") or "zh"
    if lang not in LANGS:
        warnings.append(("warn_bad_lang", {"value": lang}))
        lang = "zh"

    counties: list[str] = []
    raw_counties = [part.strip() for v in params.get("county") or [] for part in str(v).split(",")]
    unknown = [c for c in raw_counties if c and c not in d.unit_codes]
    if unknown:
        warnings.append(("warn_unknown_county", {"value": "、".join(unknown)}))
    for code in raw_counties:
        if code in d.unit_codes and code not in counties:
            counties.append(code)

    year = d.year
    raw_year = _first(params, "year")
    if raw_year:
        if raw_year.isdigit() and int(raw_year) in d.years:
            year = int(raw_year)
        else:
            warnings.append(("warn_bad_year", {"value": raw_year}))

    as_of = None
    raw_as_of = _first(params, "as_of")
    known = _date_param(params, "known", warnings)
    if raw_as_of:
        as_of = _date_param(params, "as_of", warnings)
    low, high = as_of_range(year, d)
    if (as_of is not None and high is not None and high < as_of <= d.now_day and known is None
            and calendar.plan_year_of(as_of, d.year_ranges) == year):
        # an old link "as of a day after the year" (before the next plan year) meant the year as
        # known on that day
        as_of, known = high, as_of
    if as_of is not None and low is not None and high is not None and not low <= as_of <= high:
        # The period axis is the plan year (K, not D, carries what came after it).
        warnings.append(("warn_date_out_of_range", {"value": raw_as_of, "start": low.isoformat(),
                                                    "end": high.isoformat()}))
        as_of = None
    if as_of is None:
        as_of = default_as_of(year, d)
    if known is not None and known > d.now_day:
        warnings.append(("warn_known_future", {"value": known.isoformat()}))
        known = None
    return Filters(tuple(counties), year, as_of, lang, known), warnings


def _date_param(params: Mapping[str, Sequence[str]], key: str,
                warnings: list[tuple[str, dict[str, Any]]]) -> dt.date | None:
    """A YYYY-MM-DD value of `key`, or None with a warn_bad_date warning."""
    raw = _first(params, key)
    if not raw:
        return None
    try:
        day = dt.date.fromisoformat(raw)
        if len(raw) != 10:
            raise ValueError(raw)
    except ValueError:
        warnings.append(("warn_bad_date", {"value": raw}))
        return None
    return day


def default_as_of(year: int, d: Defaults) -> dt.date:
    """D when none is chosen (`calendar.default_as_of`): today held inside the plan year, so a
    past year opens at its last day whatever came after it (K = now counts that)."""
    bounds = d.year_ranges.get(year)
    if bounds is None:
        return d.as_of
    return calendar.default_as_of(bounds[0], bounds[1], today=d.now_day)


def as_of_range(year: int, d: Defaults) -> tuple[dt.date | None, dt.date | None]:
    """The dates the as-of picker offers for `year`: its first to its last day (the period axis;
    figures recorded later are reached through K, `known`)."""
    bounds = d.year_ranges.get(year)
    if bounds is None:
        return None, None
    return bounds[0], bounds[1]


def to_params(f: Filters, d: Defaults) -> dict[str, str]:
    """The URL params for `f`, leaving out keys at their default."""
    out: dict[str, str] = {}
    if f.counties:
        out["county"] = ",".join(f.counties)
    if f.year is not None and f.year != d.year:
        out["year"] = str(f.year)
    if f.as_of is not None and f.as_of != default_as_of(f.year or d.year, d):
        out["as_of"] = f.as_of.isoformat()
    if f.known is not None:
        out["known"] = f.known.isoformat()
    if f.lang != "zh":
        out["lang"] = f.lang
    return out


def query_string(f: Filters, d: Defaults, extra: Mapping[str, str] | None = None) -> str:
    """`?county=…&…` for links between pages (empty string when everything is default)."""
    params = {**to_params(f, d), **(extra or {})}
    if not params:
        return ""
    return "?" + "&".join(f"{k}={v}" for k, v in params.items())


PRESENT_VALUES = ("1", "true", "True")


def presenting(params: Mapping[str, Any]) -> bool:
    """Presentation mode of the meeting page (`?present=1`): no sidebar, no banners, big type."""
    return params.get("present") in PRESENT_VALUES
