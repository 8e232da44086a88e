"""Warming: the default views computed in the background, so the first visitor after a start or a
change finds them cached.

What is warmed (`default_views`): the readers of the default pages (overview: target_overview,
unit_breakdown, its bullet chart and side panel in both languages, milestones, projects, targets, the shell's plan
years, units and default view, the banner's dataset_info, latest_report_date and view_latest; the
new-economy page's model, in both languages) for the default plan year and as-of date
(`filters.state.defaults`, the same call a session makes), city-wide first, then each unit alone.
They go into the same cache entries a session reads (dashboard/data.py, keyed by the data's
version): the cached readers are called outside a script run, through their unscoped form (the
scope of an unrestricted viewer is the argument itself; a county reporter's is its unit, the same
key as that county's view).

First, if the pre-summed facts (data_access.kpis.summaries) are behind the data's version (a plan
edit, a registry change outside a batch, any approval on MariaDB), they are rebuilt
(`summary_writer.refresh`: one transaction, serialised with every change; a second process finds
them current and skips), so the views below read them.

When: `start` (once per server process, from dashboard/auth_server.py) runs a small poller that reads
the data's version every `POLL_SECONDS` (one primary-key read) and calls `Warmer.notice`: on start,
and after each change, on whichever process made it. `notice` returns at once: it never blocks a
session. One warming thread per process at a time: a notice while one runs only records the newest
version, which the running thread warms next (never two computations at once; a version passed
over in between is not warmed). Bounded: a warming stops starting new views after `MAX_SECONDS`;
memory is bounded by each reader's max_entries (old versions' entries are evicted or expire after
settings.cache_ttl). A session asking for a view being warmed waits on Streamlit's per-key compute
lock for that one value instead of computing it a second time.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

MAX_SECONDS = 120.0  # one warming stops starting new views after this long
POLL_SECONDS = 5.0  # how often the poller reads the data's version

log = logging.getLogger("kpi.warm")
THREAD = "kpi-warm"


class _QuietOutsideARun(logging.Filter):
    """Streamlit warns "missing ScriptRunContext" at every cached call outside a script run: true
    and expected for the warming thread, so not logged from it (other threads still warn)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return threading.current_thread().name != THREAD


logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(_QuietOutsideARun())
logging.getLogger("streamlit.runtime.caching.cache_data_api").addFilter(_QuietOutsideARun())

Compute = Callable[[int, float], int]
"""(the data's version, deadline on time.monotonic()) -> how many views were computed."""


class Warmer:
    """Runs `compute` in one background thread at a time for the newest version noticed."""

    def __init__(self, compute: Compute, max_seconds: float = MAX_SECONDS) -> None:
        self.compute = compute
        self.max_seconds = max_seconds
        self._lock = threading.Lock()
        self._running = False
        self._wanted: int | None = None
        self.warmed: int | None = None  # the last version warmed
        self.runs = 0  # warmings finished
        self.idle = threading.Event()  # set while no warming runs
        self.idle.set()

    def notice(self, version: int) -> bool:
        """Ask for the views of `version`; returns at once. True if this started a warming thread."""
        with self._lock:
            if version in (self.warmed, self._wanted):
                return False
            self._wanted = version
            if self._running:  # the running thread takes the newest version when it is done
                return False
            self._running = True
            self.idle.clear()
        threading.Thread(target=self._run, name=THREAD, daemon=True).start()
        return True

    def _run(self) -> None:
        while True:
            with self._lock:
                version = self._wanted
                if version is None or version == self.warmed:
                    self._running = False
                    self.idle.set()
                    return
            started = time.monotonic()
            try:
                views = self.compute(version, started + self.max_seconds)
                log.info("warmed version %s: %s views in %.1f s", version, views, time.monotonic() - started)
            except Exception:  # noqa: BLE001 - a warming failure must not reach any session
                log.exception("warming version %s failed", version)
            with self._lock:
                self.warmed = version
                self.runs += 1


def _unscoped(reader: Any) -> Any:
    """The cached reader under `data.scoped` (called with the scope itself, no signed-in user)."""
    return getattr(reader, "__wrapped__", reader) if getattr(reader, "scoped", False) else reader


def default_views(version: int, deadline: float) -> int:
    """Compute the default views into the dashboard's caches (see the module doc); stops starting
    new ones after `deadline`. Returns how many reader calls were made."""
    from dashboard import data
    from dashboard.filters import state
    from dashboard.views import overview as ov_view

    data.refresh_summaries()  # behind the version after a change they do not follow: rebuilt first
    d = state.defaults()
    calls = 0
    plain: list[Callable[[], Any]] = [data.dataset_info, data.latest_report_date, data.latest_by_year,
                                      data.plan_years, data.units, lambda: data.targets(d.year),
                                      lambda: data.milestones(d.year), lambda: data.projects(d.year),
                                      lambda: data.view_latest(d.year, d.as_of, known=None)]
    for fn in plain:
        fn()
        calls += 1
    overview = _unscoped(data.target_overview)
    breakdown = _unscoped(data.unit_breakdown)
    new_economy = _unscoped(data.new_economy)
    bullets = _unscoped(data.overview_bullets)
    panel = _unscoped(data.overview_panel)
    scopes: list[tuple[str, ...] | None] = [None, *[(code,) for code in d.unit_codes]]
    for units in scopes:
        views: list[tuple[Callable[..., Any], tuple[Any, ...]]] = [
            (overview, (d.year, d.as_of, units)), (breakdown, (d.year, d.as_of, units)),
            (bullets, (d.year, d.as_of, units, "zh")), (bullets, (d.year, d.as_of, units, "en")),
            (panel, (d.year, d.as_of, units, "zh", ov_view.ATTENTION_UNITS_SHOWN)),
            (panel, (d.year, d.as_of, units, "en", ov_view.ATTENTION_UNITS_SHOWN)),
            (new_economy, (d.year, d.as_of, units, "zh")), (new_economy, (d.year, d.as_of, units, "en"))]
        for reader, args in views:
            if time.monotonic() > deadline:
                return calls
            reader(*args)
            calls += 1
    return calls


_started: dict[str, Any] = {}
_start_lock = threading.Lock()


def start(poll_seconds: float = POLL_SECONDS) -> Warmer:
    """Once per process: the warmer of the default views and its poller thread (see the module doc)."""
    with _start_lock:
        if "warmer" in _started:
            warmer: Warmer = _started["warmer"]
            return warmer
        warmer = Warmer(default_views)
        _started["warmer"] = warmer
    threading.Thread(target=_poll, args=(warmer, poll_seconds), name="kpi-warm-poll", daemon=True).start()
    return warmer


def _poll(warmer: Warmer, poll_seconds: float) -> None:
    from streamlit import runtime

    from data_access import data_version
    from dashboard import data

    while True:
        try:
            if runtime.exists():  # the server's cache storage is there (not before it started)
                warmer.notice(data_version.current(data.engine()))
        except Exception:  # noqa: BLE001 - e.g. the database restarting: try again at the next poll
            log.exception("reading the data's version for warming failed")
        time.sleep(poll_seconds)
