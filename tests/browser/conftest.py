"""Browser tier fixtures: one `streamlit run dashboard/app.py` per session on a free local port,
on the committed sample data, driven by Debian's headless Chromium through Playwright's sync API.

Without Chromium or Playwright the tests skip, or fail under KPI_STRICT=1 (CI), through
tests.conftest.skip_or_fail. Every request off the machine is aborted and recorded in
`outside_requests`.
"""
from __future__ import annotations

import pytest

from tests.browser.support import launch_chromium, new_context, start_server, stop_server, wait_ready
from tests.conftest import skip_or_fail

__all__ = ["wait_ready"]


@pytest.fixture(scope="session")
def app_url(sample_db_url, tmp_path_factory):
    """Base URL of one dashboard server for the whole session."""
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    proc, url = start_server(sample_db_url, log)
    yield url
    stop_server(proc)


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        skip_or_fail(f"Chromium not available: playwright cannot be imported ({exc})")
    with sync_playwright() as p:
        try:
            b = launch_chromium(p)
        except Exception as exc:  # noqa: BLE001 - missing binary or a launch failure alike
            skip_or_fail(f"Chromium not available: {str(exc).splitlines()[0]}")
        yield b
        b.close()


@pytest.fixture(scope="session")
def outside_requests() -> list[str]:
    """Every request any page of the session tried to send off the machine (all were aborted)."""
    return []


@pytest.fixture
def page(browser, app_url, outside_requests):
    """A fresh tab (own context) at 1920x1080, zh-CN, outside requests blocked and recorded."""
    context = new_context(browser, outside_requests)
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    context.close()
