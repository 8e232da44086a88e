"""Every page the README names opens by its path (issue 18): `/overview` too, not only `/`, with
the link's filters, and no "Page not found" dialog over it that would block the navigation."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from dashboard.navigation import PAGE_TABLE
from tests.browser.support import ROOT, wait_ready

pytestmark = pytest.mark.browser

QUERY = "?county=410423&as_of=2023-06-30"
NOT_FOUND = "Page not found"


def readme_pages() -> list[str]:
    """The page names of the README's 'Pages:' line (`overview`, `targets`, …)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    para = text.split("Open http://localhost:8501. Pages:", 1)[1].split("Every", 1)[0]
    return re.findall(r"`([a-z-]+)`", para)


def test_the_readme_names_every_page():
    assert set(readme_pages()) >= {row[1] for row in PAGE_TABLE}
    assert "overview" in readme_pages()


@pytest.mark.parametrize("path", [row[1] for row in PAGE_TABLE])
def test_page_opens_by_its_path(page, app_url, path):
    page.goto(f"{app_url}/{path}{QUERY}")
    wait_ready(page, settle_ms=800)
    assert page.get_by_text(NOT_FOUND).count() == 0, path
    assert page.locator("[role='dialog']").count() == 0, path
    expect(page.locator(".st-key-w_county [data-tag] span[title]")).to_have_text(["鲁山县"], timeout=15_000)
    assert page.url.split("?")[0].rstrip("/").endswith(path)


def test_overview_by_path_then_the_navigation_answers(page, app_url):
    page.goto(f"{app_url}/overview{QUERY}")
    wait_ready(page, settle_ms=800)
    expect(page.locator("[data-testid='stMain']")).to_contain_text("各项目标进度", timeout=15_000)
    page.locator("[data-testid='stSidebarNav'] a", has_text="目标详情").first.click(timeout=5_000)
    page.wait_for_url(re.compile(r"/targets"))
    wait_ready(page)
    assert page.get_by_text(NOT_FOUND).count() == 0
