"""Cached access to the data layer: the only module that calls st.cache_*; pages and ui call these.

Every reader takes hashable arguments (tuples of unit codes, dates) and returns a DataFrame or a
plain value; callers must not mutate what they get (it is shared across sessions). Every reader
with a `units` argument is wrapped in `scoped`, so the county scope (dashboard/viewer.py) is
applied once, here, before the cache is consulted.

Every cached reader is keyed by the data's version (`data_access.data_version`, bumped in the
transaction of every audited change): `_cached` passes `version()` into the cache as one more
argument, so a figure lives until a change commits, in every session and on every server process
(each reads the one counter from the shared database), and an approval shows on the next rerun.
The version is read once per script run (`begin_run`, at the top of app.py; one primary-key read:
0.1-0.4 ms on SQLite, 0.7-1.5 ms on MariaDB, 1.5-3 ms on PostgreSQL with pool_pre_ping on the
shared 2-core test machine, `python -m benchmarks.version_read`; a warm rerun costs ~250 ms of CPU)
and kept in the session state for the rest of the run. `settings.cache_ttl` (KPI_CACHE_TTL) is only
a safety limit: entries of old versions are dropped after it or by each reader's `max_entries`.
"""
from __future__ import annotations

import datetime as dt
import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from sqlalchemy.engine import Engine
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from data_access import clock, data_version, geo, settings
from data_access.db import make_engine
from data_access.errors import DataAccessError
from data_access.kpis import known as knowledge, new_economy as ne, queries, summary_writer, tables
from data_access.meeting import briefing as meeting, tables as bx
from data_access.reporting import batches as batch_list, commit as committing, history as figures, templates
from data_access.reporting import preview as previewing, review as reviewing
from data_access.reporting.issues import ImportRejected
from data_access.schema import migrate

from dashboard import viewer
from dashboard.charts import progress
from dashboard.i18n import tr
from dashboard.views import map as map_view, map_drawing as drawing, new_economy_model as ne_view
from dashboard.views import overview as ov_view
from dashboard.views.report import Identity

F = TypeVar("F", bound=Callable[..., Any])


def _ttl() -> int:
    """settings.cache_ttl; a bad KPI_CACHE_TTL must not kill the import (app.py shows the one-line
    reason on the page before any reader runs), so the default stands in until then."""
    try:
        return settings.get().cache_ttl
    except settings.SettingsError:
        default: int = settings.Settings.model_fields["cache_ttl"].default
        return default


TTL = _ttl()


@st.cache_resource(show_spinner=False)
def engine() -> Engine:
    """One engine per process, with the schema checked (and, for the quick start, the sample loaded)."""
    conf = settings.get()
    eng = make_engine(conf.resolved_database_url())
    state = migrate.check_schema(eng)
    if state != "current" and conf.uses_embedded_default:
        # Quick start on the embedded SQLite file: create the schema and load the sample once.
        from data_access.sample_loader import load_sample

        migrate.upgrade(eng)
        if state == "missing":
            load_sample(eng)
    else:
        migrate.require_current(eng)
    return eng


def scoped(fn: F) -> F:
    """Cut the reader's `units` argument (None: whole city) to what the signed-in user may view
    (`viewer.scope`), before the cache is consulted: the county scope is enforced where figures are
    read, whatever a page or the URL asked for."""
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        bound.arguments["units"] = viewer.scope(bound.arguments["units"])
        return fn(*bound.args, **bound.kwargs)

    setattr(wrapper, "scoped", True)  # tests check that every reader with `units` has it
    return wrapper  # type: ignore[return-value]


KNOWN_KEY = "view_known"
"""Session key of the view's knowledge date K (a date; None: now), set by filters/state.py."""
VIEW = "view"
"""Default of every reader's `known`: the view's K (the link's ?known=, else now). A date asks for
figures as known at the end of that day; None asks for now."""


def _view_known() -> dt.date | None:
    if get_script_run_ctx() is None:
        return None
    value = st.session_state.get(KNOWN_KEY)
    return value if isinstance(value, dt.date) else None


def viewed(fn: F) -> F:
    """Resolve the reader's `known` argument: VIEW becomes the view's K (`KNOWN_KEY`: a date, or
    None for now) before the cache is consulted, so the cache is keyed by the K actually read and
    every page honours a link's ?known= without passing it."""
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        if bound.arguments.get("known") == VIEW:
            bound.arguments["known"] = _view_known()
        return fn(*bound.args, **bound.kwargs)

    return wrapper  # type: ignore[return-value]


def moment(known: dt.date | None) -> dt.date | dt.datetime:
    """K for the data layer (`data_access.kpis.known`): the date, or the organisation's now."""
    return clock.now() if known is None else known


Known = dt.date | None | str
"""A reader's `known`: VIEW (default), a date, or None (now)."""


_VERSION_KEY = "_kpi_data_version"


def begin_run() -> int:
    """Read the data's version for this script run (app.py calls it first on every run) and keep it
    in the session state: every cached reader of the run is keyed by it."""
    value = data_version.current(engine())
    if get_script_run_ctx() is not None:
        st.session_state[_VERSION_KEY] = value
    return value


def version() -> int:
    """The data's version of this run (read by `begin_run`, or now if no run has read it; outside a
    script run, e.g. a notebook or a test, read afresh at each call)."""
    if get_script_run_ctx() is None:
        return data_version.current(engine())
    value = st.session_state.get(_VERSION_KEY)
    return int(value) if value is not None else begin_run()


def refresh_summaries() -> bool:
    """Rebuild the pre-summed facts if a change left them behind (the warming calls it; True if
    it rebuilt them). Figures cached meanwhile stay right: they were read from the versions."""
    return summary_writer.refresh(engine())


def clear() -> None:
    """Forget every cached figure (frees memory; a change does not need it: the version moves on)."""
    st.cache_data.clear()
    overview_bullets.clear()  # type: ignore[attr-defined]


def _by_version(cache: Callable[[Callable[..., Any]], Any]) -> Callable[[F], F]:
    """`cache` (a configured st.cache_data or st.cache_resource) keyed by the arguments and the
    data's version (see the module doc)."""
    def decorate(fn: F) -> F:
        def keyed(*args: Any, version: int, **kwargs: Any) -> Any:
            return fn(*args, **kwargs)

        # fn's name, module and source make the cache's key; its signature names the arguments
        functools.update_wrapper(keyed, fn)
        cached = cache(keyed)

        @functools.wraps(fn)
        def reader(*args: Any, **kwargs: Any) -> Any:
            return cached(*args, version=version(), **kwargs)

        setattr(reader, "clear", cached.clear)
        return reader  # type: ignore[return-value]
    return decorate


def _cached(max_entries: int = 64) -> Callable[[F], F]:
    """st.cache_data keyed by the arguments and the data's version: each caller gets a copy."""
    return _by_version(st.cache_data(ttl=TTL, show_spinner=False, max_entries=max_entries))


def _shared(max_entries: int = 64) -> Callable[[F], F]:
    """Like `_cached` but the value itself is shared, not a copy (st.cache_resource): for a plotly
    figure, whose copy would be built and validated again (the cost being saved). Every caller
    only reads it (st.plotly_chart serialises it; nothing sets a property on it)."""
    return _by_version(st.cache_resource(ttl=TTL, show_spinner=False, max_entries=max_entries))


# --- the plan and the units ---------------------------------------------------------------------


@_cached()
def dataset_info() -> dict[str, str]:
    return queries.dataset_info(engine())


@_cached()
def units() -> pd.DataFrame:
    return queries.units(engine())


_all_units = units  # for the readers below, whose own `units` argument hides the name


@_cached()
def plan_years() -> pd.DataFrame:
    return queries.plan_years(engine())


@_cached()
def latest_report_date(year: int | None = None) -> dt.date | None:
    return queries.latest_report_date(engine(), year)


@_cached()
def latest_by_year() -> dict[int, dt.date]:
    """{plan year: its latest_report_date} (one statement while the pre-summed facts are current)."""
    return queries.latest_by_year(engine())


@_cached()
def projects(year: int) -> pd.DataFrame:
    return queries.projects(engine(), year)


@_cached()
def targets(year: int) -> pd.DataFrame:
    return queries.targets(engine(), year)


@_cached()
def milestones(year: int) -> pd.DataFrame:
    return queries.milestones(engine(), year)


@scoped
def visible_units(units: tuple[str, ...] | None = None) -> tuple[str, ...] | None:
    """The units the viewer may read (None: the whole city); not cached, it is the scope itself."""
    return units


# --- figures ------------------------------------------------------------------------------------


@viewed
@_cached()
def view_latest(year: int, as_of: dt.date, known: Known = VIEW) -> dt.date | None:
    """最新填报日期 of the view (`tables.latest_known_day`): periods through `as_of`, as known at K."""
    return tables.latest_known_day(engine(), year, as_of, moment(_k(known)))


def _k(known: Known) -> dt.date | None:
    return known if isinstance(known, dt.date) else None


@scoped
@viewed
@_cached(256)
def target_overview(year: int, as_of: dt.date, units: tuple[str, ...] | None,
                    known: Known = VIEW) -> pd.DataFrame:
    return tables.target_overview(engine(), year, as_of, units, known=moment(_k(known)))


@scoped
@viewed
@_cached(256)
def unit_breakdown(year: int, as_of: dt.date, units: tuple[str, ...] | None,
                   target_code: str | None = None, known: Known = VIEW) -> pd.DataFrame:
    return tables.unit_breakdown(engine(), year, as_of, units, target_code, known=moment(_k(known)))


@scoped
@viewed
@_cached(256)
def cumulative_series(year: int, as_of: dt.date, target_code: str,
                      units: tuple[str, ...] | None, known: Known = VIEW) -> pd.DataFrame:
    return tables.cumulative_series(engine(), year, as_of, target_code, units, known=moment(_k(known)))


@scoped
@viewed
@_cached(128)
def facility_points(year: int, as_of: dt.date, units: tuple[str, ...] | None,
                    known: Known = VIEW) -> pd.DataFrame:
    with knowledge.recorded_by(moment(_k(known))):
        return queries.facility_points(engine(), year, as_of, units)


@scoped
@viewed
@_cached(128)
def facility_counts(year: int, as_of: dt.date, units: tuple[str, ...] | None,
                    known: Known = VIEW) -> pd.DataFrame:
    with knowledge.recorded_by(moment(_k(known))):
        return queries.facility_counts(engine(), year, as_of, units)


# --- charts made once per figure set -------------------------------------------------------------


@scoped
@viewed
@_shared(64)
def overview_bullets(year: int, as_of: dt.date, units: tuple[str, ...] | None, lang: str,
                     known: Known = VIEW) -> go.Figure:
    """The overview's bullet chart (charts.progress.bullet_rows of views.overview.bullet_table),
    made once per filter and language and shared: building its traces was about half of a warm
    rerun's CPU, and every session of a view draws the same chart. A figure (not its dict), since
    st.plotly_chart validates a dict by building the figure again."""
    k = _k(known)
    rows = ov_view.bullet_table(target_overview(year, as_of, units, known=k), lang, projects(year), as_of=as_of)
    fig = progress.bullet_rows(rows, ov_view.text_column_titles(lang), target_label=tr("ov_target_line", lang),
                               **ov_view.BULLET_LAYOUT[lang])
    return fig


@scoped
@viewed
@_cached(64)
def overview_panel(year: int, as_of: dt.date, units: tuple[str, ...] | None, lang: str, units_shown: int,
                   known: Known = VIEW) -> dict[str, Any]:
    """The overview's tiles, attention list and milestones (views.overview.panel), made once per
    filter and language."""
    k = _k(known)
    return ov_view.panel(target_overview(year, as_of, units, known=k), unit_breakdown(year, as_of, units, known=k),
                         milestones(year), as_of, lang, units_shown)


# --- the map ------------------------------------------------------------------------------------


@_cached()
def boundaries(path: Path) -> list[dict[str, Any]]:
    """The county polygons with label points and bounds (views.map.load_geo of geo's file)."""
    return map_view.load_geo(path)


@scoped
@viewed
@_cached(32)
def map_drawing(year: int, as_of: dt.date, units: tuple[str, ...] | None, area: tuple[str, ...] | None,
                counties: tuple[str, ...], kind: str, shade_by: str, kinds_shown: tuple[str, ...], lang: str,
                tile_url: str | None, known: Known = VIEW) -> drawing.Drawn:
    """The map, its legend and tables, made once per filter (at 100x the city has ten thousand points,
    and shaping them and writing the deck's JSON took over a second per rerun). `area` is
    `visible_units()`: the shading covers what the viewer may read, the table the filter's `units`."""
    target = map_view.kind_target(targets(year), kind)
    k = _k(known)
    overview = target_overview(year, as_of, units, known=k) if target else None
    return drawing.drawing(
        boundaries(geo.boundary_file()), units_df=_all_units(), area=area,
        breakdown=unit_breakdown(year, as_of, area, target, known=k) if target else None,
        area_counts=facility_counts(year, as_of, area, known=k), counts=facility_counts(year, as_of, units, known=k),
        points=facility_points(year, as_of, units, known=k), overview=overview, target=target,
        counties=counties, kind=kind, shade_by=shade_by, kinds_shown=kinds_shown, lang=lang, tile_url=tile_url)


# --- new-economy membership ---------------------------------------------------------------------


@scoped
@viewed
@_cached(512)
def ne_members(as_of: dt.date, units: tuple[str, ...] | None, by: tuple[str, ...] = (),
               since: dt.date | None = None, until_month: dt.date | None = None,
               known: Known = VIEW) -> pd.DataFrame:
    with knowledge.recorded_by(moment(_k(known))):
        return ne.members(engine(), as_of, units, by=by, since=since, until_month=until_month)


@scoped
@viewed
@_cached(512)
def ne_orgs(as_of: dt.date, units: tuple[str, ...] | None, by: tuple[str, ...] = (),
            founded_since: dt.date | None = None, known: Known = VIEW) -> pd.DataFrame:
    with knowledge.recorded_by(moment(_k(known))):
        return ne.orgs(engine(), as_of, units, by=by, founded_since=founded_since)


@scoped
@viewed
@_cached(64)
def new_economy(year: int, as_of: dt.date, units: tuple[str, ...] | None, lang: str,
                known: Known = VIEW) -> dict[str, Any]:
    """Everything the new-economy page shows (views.new_economy.model), made once per filter and
    language (shaping two dozen cached frames and judging every unit's series took ~250 ms)."""
    base = _k(known) or clock.today()  # K = now reads as the end of today, so the reads are cached

    def at(reader: Callable[..., Any], pos: int) -> Callable[..., Any]:
        """`reader` with K moved back as far as its D is before `as_of` (`known.earlier`)."""
        def read(*args: Any, **kwargs: Any) -> Any:
            day = args[pos] if len(args) > pos else kwargs["as_of"]
            if day == as_of:  # the view itself: the very K asked for, so the overview's cache entry serves
                return reader(*args, known=_k(known), **kwargs)
            return reader(*args, known=knowledge.earlier(base, as_of, day), **kwargs)
        return read

    reads = ne_view.Reads(members=at(ne_members, 0), orgs=at(ne_orgs, 0), overview=at(target_overview, 1),
                          series=at(cumulative_series, 1), units=_all_units())
    return ne_view.model(year, queries.plan_year_bounds(engine(), year), as_of, units, lang, reads)


# --- the weekly meeting -------------------------------------------------------------------------


# A briefing's `known`: VIEW is the link's ?known= if it carries one, else None, which here means
# the meeting date's end: a past briefing reopens as (D = its date, K = its date), as it was.


@scoped
@viewed
@_cached(64)
def briefing_figures(year: int, as_of: dt.date, units: tuple[str, ...] | None,
                     known: Known = VIEW) -> meeting.Briefing:
    return meeting.build_briefing(engine(), year, as_of, units, with_decisions=False, known=_k(known))


@scoped
@viewed
@_cached(64)
def briefing_tables(year: int, as_of: dt.date, units: tuple[str, ...] | None, lang: str,
                    known: Known = VIEW) -> dict[str, Any]:
    """The briefing's formatted tables, made once per filter and language (each making took ~60 ms)."""
    return bx.tables(briefing_figures(year, as_of, units, known=_k(known)), lang)


@scoped
@viewed
def briefing(year: int, as_of: dt.date, units: tuple[str, ...] | None,
             known: Known = VIEW) -> meeting.Briefing:
    """The cached figures of the briefing, with its decisions read afresh (they change in the meeting)."""
    return meeting.with_decisions(briefing_figures(year, as_of, units, known=_k(known)), engine())


# --- reporting ----------------------------------------------------------------------------------


@scoped
@_cached()
def batches(statuses: tuple[str, ...] | None = None, units: tuple[str, ...] | None = None,
            uploaded_by: str | None = None) -> pd.DataFrame:
    return batch_list.batches(engine(), statuses, units, uploaded_by)


@_cached()
def batch_rows(batch_id: int) -> pd.DataFrame:
    return reviewing.batch_rows(engine(), batch_id)


@_cached(32)
def batch_file(batch_id: int) -> tuple[str, bytes]:
    return batch_list.batch_file(engine(), batch_id)


@scoped
@viewed
@_cached()
def submission_status(year: int, as_of: dt.date, units: tuple[str, ...] | None = None,
                      known: Known = VIEW) -> pd.DataFrame:
    """Who reported when, for the units the viewer may see (a 13-row table: filtered after reading),
    judged by the one deadline rule at the earlier of K and the end of `as_of` (D)."""
    k = _k(known)
    now = clock.now() if k is None else dt.datetime.combine(k, dt.time(23, 59, 59))
    df = figures.submission_status(engine(), year, now, as_of=as_of)
    return df if units is None else df[df["unit_code"].isin(units)].reset_index(drop=True)


@_cached()
def figure_history(target_code: str, unit_code: str, year: int) -> pd.DataFrame:
    return figures.figure_history(engine(), target_code, unit_code, year)


@_cached(32)
def template(kind: str, unit_code: str, period: dt.date, year: int) -> templates.Template:
    return templates.build_template(engine(), kind, unit_code, period, year)


def preview(content: bytes, file_name: str, scope: tuple[str, ...] | None) -> previewing.Preview:
    return checked_upload(content, file_name, scope)  # once per upload, not per rerun


def commit(content: bytes, file_name: str, me: Identity, auto_approve: bool, expect: str) -> Any:
    approver = me.as_user() if auto_approve and me.scope is None and me.can_review else None
    done = committing.commit(engine(), content, file_name, actor=me.actor, allowed_units=me.scope,
                             approver=approver, expect=expect)
    begin_run()  # the rest of this run reads the new version
    return done


def review(batch_id: int, decision: str, me: Identity, reason: str | None = None) -> str:
    if not me.can_review:  # checked again here: a hidden button is not a permission check
        raise DataAccessError(f"账号“{me.actor}”无权审核", f"Account “{me.actor}” may not review")
    status = reviewing.review(engine(), batch_id, decision, reviewer=me.as_user(), reason=reason)
    begin_run()
    return status


def withdraw(batch_id: int, me: Identity) -> None:
    reviewing.withdraw(engine(), batch_id, user=me.as_user())
    begin_run()


# --- an upload, checked once (it stays in the uploader across reruns) ---------------------------


@_cached(16)
def _checked_upload(sha256: str, file_name: str, scope: tuple[str, ...] | None, today: dt.date,
                    _content: bytes = b"") -> tuple[previewing.Preview | None, tuple[Any, ...], tuple[str, str] | None]:
    """The preview of an uploaded file, or why it was refused, once per file (by its SHA-256, name
    and the viewer's scope), day and data version: a file sitting in the uploader is not read again
    on every rerun (a refused bomb would cost its reading each time). `_content` is not hashed (its
    SHA-256 is the key); refusals are kept as (issues) or (message_zh, message_en), since
    st.cache_data keeps what a function returns, not what it raises."""
    try:
        return previewing.preview(engine(), _content, file_name, allowed_units=scope), (), None
    except ImportRejected as exc:
        return None, tuple(exc.issues), None
    except DataAccessError as exc:
        return None, (), (exc.message_zh, exc.message_en)


def checked_upload(content: bytes, file_name: str, scope: tuple[str, ...] | None) -> previewing.Preview:
    """`_checked_upload` for the page: the preview, or ImportRejected / DataAccessError as before."""
    import hashlib

    from data_access import clock

    pv, issues, error = _checked_upload(hashlib.sha256(content).hexdigest(), file_name, scope, clock.today(),
                                        _content=content)
    if issues:
        raise ImportRejected(list(issues))
    if error is not None:
        raise DataAccessError(*error)
    assert pv is not None
    return pv
