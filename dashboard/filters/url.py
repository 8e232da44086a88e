"""The shared filters (county, year, as_of, lang) and their URL form. Pure: no streamlit here.

URL form: `?county=410423,410481&year=2023&as_of=2023-06-30&lang=en`. A key at its default is
left out, so the plain URL means "whole city, latest plan year, latest report date, Chinese".
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from data_access.kpis import calendar

FILTER_KEYS = ("county", "year", "as_of", "lang")
LANGS = ("zh", "en")


@dataclass(frozen=True)
class Filters:
    counties: tuple[str, ...]  # unit codes; empty = whole city
    year: int
    as_of: dt.date
    lang: str = "zh"

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
    if raw_as_of:
        try:
            as_of = dt.date.fromisoformat(raw_as_of)
            if len(raw_as_of) != 10:
                raise ValueError(raw_as_of)
        except ValueError:
            warnings.append(("warn_bad_date", {"value": raw_as_of}))
            as_of = None
    low, high = as_of_range(year, d)
    if as_of is not None and low is not None and high is not None and not low <= as_of <= high:
        # The picker cannot show a date outside the plan year (and its late reports).
        warnings.append(("warn_date_out_of_range", {"value": raw_as_of, "start": low.isoformat(),
                                                    "end": high.isoformat()}))
        as_of = None
    if as_of is None:
        as_of = default_as_of(year, d)
    return Filters(tuple(counties), year, as_of, lang), warnings


def default_as_of(year: int, d: Defaults) -> dt.date:
    """The year's latest report date; without reports, `d.as_of` held inside the year."""
    latest = d.latest_by_year.get(year)
    if latest is not None:
        return latest
    bounds = d.year_ranges.get(year)
    if bounds is None:
        return d.as_of
    return calendar.default_as_of(bounds[0], bounds[1], None, today=d.as_of)


def as_of_range(year: int, d: Defaults) -> tuple[dt.date | None, dt.date | None]:
    """The dates the as-of picker offers for `year`: its start to its end or latest report date."""
    bounds = d.year_ranges.get(year)
    if bounds is None:
        return None, None
    latest = d.latest_by_year.get(year)
    return bounds[0], max(bounds[1], latest) if latest else bounds[1]


def to_params(f: Filters, d: Defaults) -> dict[str, str]:
    """The URL params for `f`, leaving out keys at their default."""
    out: dict[str, str] = {}
    if f.counties:
        out["county"] = ",".join(f.counties)
    if f.year is not None and f.year != d.year:
        out["year"] = str(f.year)
    if f.as_of is not None and f.as_of != default_as_of(f.year or d.year, d):
        out["as_of"] = f.as_of.isoformat()
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
