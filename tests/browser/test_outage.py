"""A database outage in a real browser: the dashboard's own Chinese page (no Streamlit exception
box, no "Ask Google / Ask ChatGPT", no link at all), and back to the figures by itself once the
database answers again, without a restart and without a click (the page retries every
dashboard.error_page.RETRY_SECONDS).

The server runs against tiny_data in a fresh PostgreSQL schema, reached only through a TCP proxy
(tests/db_proxy.py) the test cuts and restores. Figures by hand: tiny's five targets ("目标项数 5 项")."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from data_access.schema import migrate
from tests.browser.support import new_context, start_server, stop_server, wait_ready
from tests.conftest import _drop_pg, _fresh_pg_engine
from tests.db_proxy import CuttableProxy
from tests.helpers import sync_sequences
from tests.tiny_data import load_tiny

pytestmark = pytest.mark.browser

MAIN = "[data-testid='stMain']"


@pytest.fixture
def proxied_server(tmp_path, monkeypatch):
    monkeypatch.setenv("KPI_AUTH_MODE", "none")
    engine, admin, name = _fresh_pg_engine()
    migrate.upgrade(engine)
    load_tiny(engine)
    sync_sequences(engine)
    proxy = CuttableProxy((engine.url.host or "127.0.0.1", engine.url.port or 5432))
    url = engine.url.set(port=proxy.port, query={"options": f"-csearch_path={name}"}).render_as_string(
        hide_password=False)
    proc, base = start_server(url, tmp_path / "server.log")
    yield base, proxy
    stop_server(proc)
    proxy.close()
    _drop_pg(engine, admin, name)


def test_outage_page_then_the_figures_again_by_themselves(browser, proxied_server):
    base, proxy = proxied_server
    outside: list[str] = []
    context = new_context(browser, outside)
    page = context.new_page()
    try:
        page.goto(f"{base}/?as_of=2023-06-30")
        wait_ready(page)
        expect(page.locator(MAIN)).to_contain_text("5 项", timeout=30_000)

        proxy.cut()
        page.reload()
        main = page.locator(MAIN)
        expect(main).to_contain_text("数据库暂时无法连接", timeout=30_000)
        expect(main).to_contain_text("已录入的数据是安全的")
        expect(main).to_contain_text("系统每10秒自动重试一次")
        assert page.locator("[data-testid='stException']").count() == 0  # not Streamlit's box
        assert page.locator("a[href^='http']").count() == 0  # no outside link anywhere on the page
        assert "Google" not in page.content() and "ChatGPT" not in page.content()

        proxy.restore()  # no click, no reload: the page retries by itself
        expect(main).to_contain_text("5 项", timeout=60_000)
        expect(main).not_to_contain_text("数据库暂时无法连接")
        assert outside == []
    finally:
        context.close()
