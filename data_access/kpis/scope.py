"""What a county scope means: the one rule for the `units` argument of every reader.

- ``None`` (`WHOLE_CITY`): the whole city, every unit, no filter.
- a sequence of unit codes: exactly those units. An **empty** sequence means no unit and so nothing
  (zero counts, empty tables), never the whole city: a restricted viewer without a unit (a county
  reporter whose account has no unit, `accounts.auth.readable_units` gives ``()``) must see nothing,
  not everything.

"No county chosen" in the dashboard's filter is turned into ``None`` where it is read
(`dashboard.filters.url.Filters.units`), and a restricted viewer's scope replaces it
(`dashboard.auth.gate.scoped_units`); below those two, ``()`` always means nothing.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, true

WHOLE_CITY: None = None
"""The scope of the whole city."""

Scope = tuple[str, ...] | None
"""A normalised scope: None for the whole city, else a tuple of unit codes (maybe empty: nothing)."""


def normalise(units: Iterable[str] | None) -> Scope:
    """`units` as a hashable scope: None stays the whole city; any iterable becomes a tuple of its
    codes in order without repeats, and an empty one stays empty (nothing)."""
    return WHOLE_CITY if units is None else tuple(dict.fromkeys(units))


def is_whole_city(units: Iterable[str] | None) -> bool:
    """True for the whole-city scope (None), False for any list of units, even an empty one."""
    return units is None


def includes(units: Iterable[str] | None, unit_code: str) -> bool:
    """Whether `unit_code` is inside the scope (always, for the whole city)."""
    return units is None or unit_code in tuple(units)


def clause(col: Any, units: Iterable[str] | None) -> ColumnElement[bool]:
    """SQL: rows of `col` (a unit_code column) inside the scope: no filter for None, `col IN (...)`
    otherwise, which for an empty scope matches no row."""
    return true() if units is None else col.in_(list(units))
