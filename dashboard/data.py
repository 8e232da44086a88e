"""Cached access to the data layer. The only place that calls st.cache_*; pages call these.

Every function takes hashable arguments (tuples of unit codes, dates) and returns a DataFrame
or a plain value; callers must not mutate what they get (it is shared across sessions).
"""
from __future__ import annotations

import datetime as dt
import functools
import inspect

import pandas as pd
import streamlit as st

from data_access.kpis import tables, queries
from data_access.schema import migrate
from data_access.db import make_engine

from dashboard.settings import cache_ttl, db_url, uses_embedded_default

TTL = cache_ttl()


@st.cache_resource(show_spinner=False)
def engine():
    """One engine per process, with the schema checked (and, for the quick start, the sample loaded)."""
    eng = make_engine(db_url())
    state = migrate.check_schema(eng)
    if state != "current" and uses_embedded_default():
        # Quick start on the embedded SQLite file: create the schema and load the sample once.
        from data_access.sample_loader import load_sample

        migrate.upgrade(eng)
        if state == "missing":
            load_sample(eng)
    else:
        migrate.require_current(eng)
    return eng


def scoped(fn):
    """Cut the reader's `units` argument (None: whole city) to what the signed-in user may view,
    before the cache is consulted: the county scope is enforced where figures are read, whatever
    a page or the URL asked for."""
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from dashboard.auth.gate import scoped_units  # late: auth imports this module

        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        bound.arguments["units"] = scoped_units(bound.arguments["units"])
        return fn(*bound.args, **bound.kwargs)

    return wrapper


def clear() -> None:
    """Forget cached figures (after an import or an approval)."""
    st.cache_data.clear()


@st.cache_data(ttl=TTL, show_spinner=False)
def dataset_info() -> dict[str, str]:
    return queries.dataset_info(engine())


@st.cache_data(ttl=TTL, show_spinner=False)
def units() -> pd.DataFrame:
    return queries.units(engine())


@st.cache_data(ttl=TTL, show_spinner=False)
def plan_years() -> pd.DataFrame:
    return queries.plan_years(engine())


@st.cache_data(ttl=TTL, show_spinner=False)
def latest_report_date(year: int | None = None) -> dt.date | None:
    return queries.latest_report_date(engine(), year)


@st.cache_data(ttl=TTL, show_spinner=False)
def projects(year: int) -> pd.DataFrame:
    return queries.projects(engine(), year)


@st.cache_data(ttl=TTL, show_spinner=False)
def targets(year: int) -> pd.DataFrame:
    return queries.targets(engine(), year)


@st.cache_data(ttl=TTL, show_spinner=False)
def milestones(year: int) -> pd.DataFrame:
    return queries.milestones(engine(), year)


@scoped
@st.cache_data(ttl=TTL, show_spinner=False, max_entries=256)
def target_overview(year: int, as_of: dt.date, units: tuple[str, ...] | None) -> pd.DataFrame:
    return tables.target_overview(engine(), year, as_of, units)


@scoped
@st.cache_data(ttl=TTL, show_spinner=False, max_entries=256)
def unit_breakdown(year: int, as_of: dt.date, units: tuple[str, ...] | None,
                   target_code: str | None = None) -> pd.DataFrame:
    return tables.unit_breakdown(engine(), year, as_of, units, target_code)


@scoped
@st.cache_data(ttl=TTL, show_spinner=False, max_entries=256)
def cumulative_series(year: int, as_of: dt.date, target_code: str,
                      units: tuple[str, ...] | None) -> pd.DataFrame:
    return tables.cumulative_series(engine(), year, as_of, target_code, units)


@scoped
@st.cache_data(ttl=TTL, show_spinner=False, max_entries=128)
def facility_points(year: int, as_of: dt.date, units: tuple[str, ...] | None) -> pd.DataFrame:
    return queries.facility_points(engine(), year, as_of, units)


@scoped
@st.cache_data(ttl=TTL, show_spinner=False, max_entries=128)
def facility_counts(year: int, as_of: dt.date, units: tuple[str, ...] | None) -> pd.DataFrame:
    return queries.facility_counts(engine(), year, as_of, units)
