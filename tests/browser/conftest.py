"""Browser tier fixtures: one `streamlit run dashboard/app.py` per session on a free local port,
on the committed sample data, driven by Debian's headless Chromium through Playwright's sync API.

Without Chromium or Playwright the tests skip, or fail under KPI_STRICT=1 (CI), through
tests.conftest.skip_or_fail. Every request off the machine is aborted and recorded in
`outside_requests`.
"""
from __future__ import annotations

import pytest

from tests.browser.support import new_context, start_server, stop_server, wait_ready

__all__ = ["wait_ready"]


@pytest.fixture(scope="session")
def app_url(sample_db_url, tmp_path_factory):
    """Base URL of one dashboard server for the whole session."""
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    proc, url = start_server(sample_db_url, log)
    yield url
    stop_server(proc)


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
