"""Browser timing of the overview: milliseconds from navigation until the script run has finished
and every plotly chart on the page is drawn. For the benchmarks; tests never assert on time.

    from tests.browser.timing import overview_draw_ms, measure_overview
    ms = overview_draw_ms(browser, "http://127.0.0.1:8501")           # one page load
    figures = measure_overview("sqlite:///…/kpi.sqlite3", runs=5)      # own server + chromium

or from the shell: `python -m tests.browser.timing [DB_URL] [RUNS]`.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tests.browser.support import launch_chromium, new_context, start_server, stop_server

# Runs in the page on every animation frame; stamps the moment the page is fully drawn on the
# browser's own clock (performance.now() counts from the start of the navigation).
_DRAWN = """(minCharts) => {
  const app = document.querySelector("[data-testid='stApp']");
  if (!app || app.dataset.testScriptState !== 'notRunning') return false;
  const charts = [...document.querySelectorAll("[data-testid='stPlotlyChart']")];
  if (charts.length < minCharts || !charts.every(c => c.querySelector('svg.main-svg'))) return false;
  window.__kpiDrawnAt = performance.now();
  return true;
}"""


def overview_draw_ms(browser, base_url: str, path: str = "/", *, min_charts: int = 1,
                     timeout_ms: float = 60_000, outside: list[str] | None = None) -> float:
    """Open `base_url + path` in a fresh 1920x1080 zh-CN context of `browser` (a Playwright sync
    Browser) and return the milliseconds from navigation start until the app is notRunning and
    at least `min_charts` plotly charts are present and all of them drawn.

    Requests off the machine are aborted (and appended to `outside` when given), as in the tests.
    """
    context = new_context(browser, outside if outside is not None else [])
    try:
        page = context.new_page()
        page.goto(base_url + path, wait_until="commit")
        page.wait_for_function(_DRAWN, arg=min_charts, timeout=timeout_ms, polling="raf")
        return float(page.evaluate("() => window.__kpiDrawnAt"))
    finally:
        context.close()


def measure_overview(db_url: str, runs: int = 3, path: str = "/", min_charts: int = 1) -> dict:
    """Start a server on `db_url` and Debian's chromium, load the overview `runs` times.

    Returns {"first_ms": the first load (the server's first session imports pandas/plotly and
    fills the caches), "warm_ms": [the later loads], "outside_requests": [...]}.
    """
    from playwright.sync_api import sync_playwright

    outside: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_server(db_url, Path(tmp) / "server.log")
        try:
            with sync_playwright() as p:
                browser = launch_chromium(p)
                try:
                    times = [overview_draw_ms(browser, url, path, min_charts=min_charts, outside=outside)
                             for _ in range(max(runs, 1))]
                finally:
                    browser.close()
        finally:
            stop_server(proc)
    return {"first_ms": times[0], "warm_ms": times[1:], "outside_requests": outside}


if __name__ == "__main__":
    from data_access.settings import database_url

    db = sys.argv[1] if len(sys.argv) > 1 else database_url()
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    print(measure_overview(db, n))
