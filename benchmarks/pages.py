"""Page timing: each page's script run under AppTest (the real app, in process), cold and warm cache,
and which functions a slow run spends its time in.

cold: dashboard.data.clear() (every cached figure and shared chart) then a run (the engine, a
      cache_resource, is kept: it is made once per server process, not per visitor); warm: the same run again, every figure cached.
A run is the entrypoint (filters, navigation) plus the page script, as on every rerun in a browser.
"""
from __future__ import annotations

import cProfile
import functools
import pstats
import statistics
import sys
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path


from dashboard import data
from dashboard.navigation import PAGE_TABLE, PAGES_DIR
from tests.apptest_support import ROOT, open_page

# The attribution times every function of the project's own modules (inclusive: a caller's time
# contains its callees'), except the translation helpers, called thousands of times.
PACKAGES = ("dashboard.", "data_access.")
NOT_ATTRIBUTED = {"dashboard.i18n", "data_access.present.fmt", "data_access.schema.models", "data_access.kpis.metrics"}
TIMEOUT = 900  # seconds: a cold new-economy run on the 100x database takes long


def existing_pages() -> list[tuple[str, str]]:
    """(script, url_path) of the pages whose script is there now."""
    return [(script, url) for script, url, *_ in PAGE_TABLE if (PAGES_DIR / script).exists()]


def time_page(db_url: str, script: str, params: dict[str, str], runs: int) -> dict:
    """Median cold and warm run times (ms) of one page; plus every sample."""
    at = open_page(db_url, script, params, timeout=TIMEOUT)  # first run: imports, engine, caches
    _require_content(at)
    cold, warm = [], []
    for _ in range(runs):
        data.clear()
        cold.append(_timed_run(at))
        warm.append(_timed_run(at))
    return {"cold_ms": statistics.median(c[0] for c in cold), "warm_ms": statistics.median(w[0] for w in warm),
            "cold_cpu": statistics.median(c[1] for c in cold), "warm_cpu": statistics.median(w[1] for w in warm),
            "at": at}


def _timed_run(at) -> tuple[float, float]:
    """(wall ms, CPU ms of this process: the script thread's work, SQLite included)."""
    started, cpu = time.perf_counter(), time.process_time()
    at.run(timeout=TIMEOUT)
    ms, cpu_ms = (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000
    _require_content(at)
    return ms, cpu_ms


def _require_content(at) -> None:
    """A page that only shows an error (no schema, no login) would time nothing: stop instead."""
    if at.exception or at.error:
        raise RuntimeError(f"page shows an error: {[e.value for e in [*at.exception, *at.error]]}")


@contextmanager
def attributed():
    """Wrap the module-level functions of ATTRIBUTED with timers; yields {name: [calls, ms]}."""
    totals: dict[str, list] = defaultdict(lambda: [0, 0.0])
    patched = []
    names = [n for n in list(sys.modules) if n.startswith(PACKAGES) and n not in NOT_ATTRIBUTED]
    for name in names:
        mod = sys.modules[name]
        for attr, obj in list(vars(mod).items()):
            if attr.startswith("__") or isinstance(obj, type) or not callable(obj):
                continue
            if getattr(obj, "__module__", None) != name:  # imported from elsewhere
                continue
            patched.append((mod, attr, obj))
            setattr(mod, attr, _timer(f"{name.split('.')[-1]}.{attr}", obj, totals))
    try:
        yield totals
    finally:
        for mod, attr, obj in patched:
            setattr(mod, attr, obj)


def _timer(label, fn, totals):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            entry = totals[label]
            entry[0] += 1
            entry[1] += (time.perf_counter() - started) * 1000
    return wrapper


def profile(at, top: int = 8) -> list[tuple[str, int, float]]:
    """cProfile of one warm run, in the script thread: the project's functions and Streamlit's
    element calls (st.pydeck_chart, st.dataframe …) by cumulative ms. The profiler's overhead
    inflates the figures (about 2x); they rank, they do not time."""
    from streamlit.runtime.scriptrunner import script_runner

    at.run(timeout=TIMEOUT)
    prof = cProfile.Profile()
    original = script_runner.ScriptRunner._run_script

    def profiled(self, *args, **kwargs):  # runs in the script thread, where the page executes
        prof.enable()
        try:
            return original(self, *args, **kwargs)
        finally:
            prof.disable()

    script_runner.ScriptRunner._run_script = profiled
    try:
        at.run(timeout=TIMEOUT)
    finally:
        script_runner.ScriptRunner._run_script = original
    rows = []
    for (path, _line, func), (_cc, calls, _tt, cum, _callers) in pstats.Stats(prof).stats.items():
        if "/streamlit/elements/" in path and not func.startswith("_"):
            rows.append((f"st.{func} ({Path(path).stem})", calls, cum * 1000))
        elif path.startswith(str(ROOT)) and "/pages/" not in path and not func.startswith("<"):
            rows.append((f"{Path(path).stem}.{func}", calls, cum * 1000))
    return sorted(rows, key=lambda r: -r[2])[:top]


def attribution(at, cold: bool, top: int = 10) -> list[tuple[str, int, float]]:
    """One more run of `at` (cold or warm) with timers on; the `top` functions by inclusive ms."""
    if cold:
        data.clear()
    else:
        at.run(timeout=TIMEOUT)  # make sure every cache is filled
    with attributed() as totals:
        started = time.perf_counter()
        at.run(timeout=TIMEOUT)
        total = (time.perf_counter() - started) * 1000
    rows = sorted(((k, v[0], v[1]) for k, v in totals.items()), key=lambda r: -r[2])
    return [("(whole run)", 1, total)] + rows[:top]
