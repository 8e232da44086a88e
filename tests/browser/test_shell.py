"""The app shell in a real browser: filters in the link survive page switches, the county widget
writes the URL, bad links warn in Chinese, downloads open, the overview screenshot, and no request
leaves the machine.

Selectors use stable things only (sidebar widgets by key, navigation links by text, data-testid
attributes, download buttons by label), because the pages themselves are still changing.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pytest
from playwright.sync_api import expect

from data_access.kpis import tables
from data_access.db import make_engine
from tests.browser.support import ROOT, wait_ready

pytestmark = pytest.mark.browser

LINK = "/?county=410423,410481&as_of=2023-06-30"
SCOPE = "鲁山县、舞钢市"
MAIN = "[data-testid='stMain']"
ARTIFACTS = ROOT / "artifacts"


def params(page) -> dict[str, str]:
    """The page URL's query parameters (one value each)."""
    return {k: v[-1] for k, v in parse_qs(urlsplit(page.url).query).items()}


COUNTY_TAGS = ".st-key-w_county [data-tag] span[title]"
WAIT_MS = 15_000  # the page may still be drawing a rerun (after a page switch, say): look again until then


def selected_counties(page) -> list[str]:
    """The names shown as tags in the sidebar county multiselect."""
    return page.locator(COUNTY_TAGS).all_inner_texts()


def expect_counties(page, names: list[str]) -> None:
    """The sidebar county multiselect shows exactly `names` as tags, in this order."""
    expect(page.locator(COUNTY_TAGS)).to_have_text(names, timeout=WAIT_MS)


def expect_main(page, *texts: str) -> None:
    """The main area shows every one of `texts`."""
    for text in texts:
        expect(page.locator(MAIN)).to_contain_text(text, timeout=WAIT_MS)


def go(page, app_url: str, path: str) -> None:
    page.goto(app_url + path)
    wait_ready(page)


def nav(page, title: str, url_path: str) -> None:
    """Click a sidebar navigation link by its text and wait for the page to be drawn."""
    page.locator("[data-testid='stSidebarNav'] a", has_text=title).first.click()
    page.wait_for_url(lambda u: urlsplit(u).path.rstrip("/").endswith(url_path))
    wait_ready(page)


def assert_linked_filters(page) -> None:
    assert params(page).get("county") == "410423,410481", page.url
    assert params(page).get("as_of") == "2023-06-30", page.url
    expect_counties(page, ["鲁山县", "舞钢市"])
    expect_main(page, "2023年6月30日", SCOPE)


def test_link_filters_survive_page_switches(page, app_url):
    go(page, app_url, LINK)
    assert_linked_filters(page)
    expect_main(page, "范围：" + SCOPE)  # the banner caption names the scope

    nav(page, "目标详情", "/targets")
    assert_linked_filters(page)

    nav(page, "总览", "")  # the default page is served at /
    assert_linked_filters(page)


def test_changing_the_county_changes_the_url(page, app_url):
    go(page, app_url, LINK)
    box = page.locator(".st-key-w_county input")
    box.click()
    page.keyboard.type("汝州")
    page.locator("[role='option']", has_text="汝州市").first.click()
    page.keyboard.press("Escape")
    page.wait_for_url(lambda u: "410482" in u)
    wait_ready(page)
    assert params(page)["county"] == "410423,410481,410482"
    expect_counties(page, ["鲁山县", "舞钢市", "汝州市"])
    expect_main(page, "鲁山县、舞钢市、汝州市")

    page.locator(".st-key-w_county button[aria-label='Remove 鲁山县']").click()
    page.wait_for_url(lambda u: "410423" not in u)
    wait_ready(page)
    assert params(page)["county"] == "410481,410482"
    assert params(page)["as_of"] == "2023-06-30"  # the other filter is untouched
    expect_main(page, "舞钢市、汝州市")


def test_unknown_county_code_warns_and_falls_back_to_whole_city(page, app_url):
    go(page, app_url, "/?county=999999")
    expect_main(page, "链接中的区县代码无法识别：999999", "范围：全市")
    assert selected_counties(page) == []
    assert "county" not in params(page)


def test_malformed_date_warns_and_falls_back_to_latest_report(page, app_url):
    go(page, app_url, "/?as_of=2023-13-45")
    # The sample's latest report is 31 Dec 2023: the default date, so it leaves the URL.
    expect_main(page, "链接中的日期“2023-13-45”格式不对", "数据截至 2023年12月31日")
    assert "as_of" not in params(page)
    assert page.locator(".st-key-w_as_of input").input_value() == "2023-12-31"


def _download(page, key: str, dest: Path) -> Path:
    """Click the download button with Streamlit key `key` (its element carries class st-key-<key>)."""
    button = page.locator(f".st-key-{key} button")
    with page.expect_download() as info:
        button.click()
    download = info.value
    path = dest / download.suggested_filename
    download.save_as(path)
    return path


def test_target_downloads_open_as_csv_and_excel(page, app_url, sample_db_url, tmp_path):
    go(page, app_url, "/targets?target=T07&county=410423,410481&as_of=2023-06-30")
    eng = make_engine(sample_db_url)
    try:  # the units whose rows the breakdown table must carry, from the KPI layer itself
        units = tables.unit_breakdown(eng, 2023, dt.date(2023, 6, 30), ("410423", "410481"), "T07")
    finally:
        eng.dispose()
    names = set(units["unit_name_zh"])
    assert names == {"鲁山县", "舞钢市"}

    assert "下载 CSV" in page.locator(".st-key-tg_dl_units_csv button").inner_text()
    csv_path = _download(page, "tg_dl_units_csv", tmp_path)  # the ranking table's CSV
    assert csv_path.suffix == ".csv" and "2023-06-30" in csv_path.name
    raw = csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel read it as UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert any("\u4e00" <= ch <= "\u9fff" for cell in header for ch in cell), header  # Chinese header
    assert body, "the CSV has no data rows"
    flat = "\n".join(",".join(r) for r in body)
    for name in names:
        assert name in flat, (name, flat[:500])

    xlsx_path = _download(page, "tg_dl_units_xlsx", tmp_path)
    assert xlsx_path.suffix == ".xlsx"
    wb = openpyxl.load_workbook(xlsx_path, read_only=True)
    sheet_rows = [r for ws in wb.worksheets for r in ws.iter_rows(values_only=True)]
    wb.close()
    assert len(sheet_rows) >= 2
    cells = {str(c) for r in sheet_rows for c in r if c is not None}
    assert names <= cells


def test_overview_screenshot_at_1920x1080(page, app_url):
    go(page, app_url, "/")
    charts = page.locator("[data-testid='stPlotlyChart']")
    charts.first.wait_for()
    # Wait until plotly has drawn every chart before the picture is taken.
    page.wait_for_function(
        """() => [...document.querySelectorAll("[data-testid='stPlotlyChart']")]
                 .every(c => c.querySelector('svg.main-svg'))""")
    expect_main(page, "数据截至")
    # Screen-sharing: the first screen shows the whole all-targets chart without scrolling.
    box = charts.first.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= 1080, box
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "overview-1920x1080.png"
    page.screenshot(path=str(shot))
    png = shot.read_bytes()
    assert len(png) > 50_000
    assert png[16:24] == (1920).to_bytes(4, "big") + (1080).to_bytes(4, "big")  # PNG IHDR width, height


def test_nothing_tried_to_leave_the_machine(page, app_url, outside_requests):
    # Open the two main pages here too, so this holds when the test runs alone.
    go(page, app_url, LINK)
    go(page, app_url, "/targets?target=T07")
    assert not outside_requests, sorted(set(outside_requests))


def test_tables_offer_no_unneutralised_csv_export(page, app_url):
    # client.disableDataExport: a table's own toolbar has no CSV button (it would write "=…" cells
    # as formulas); the page's download buttons, which neutralise them, are the way out.
    go(page, app_url, "/targets?target=T07")
    grid = page.locator("[data-testid='stDataFrame']").first
    grid.hover()
    toolbar = page.locator("[data-testid='stElementToolbar']").first
    toolbar.locator("button").first.wait_for()
    labels = toolbar.locator("button").evaluate_all("els => els.map(e => e.getAttribute('aria-label'))")
    assert "Search" in labels, labels  # the toolbar is there
    assert "Download as CSV" not in labels, labels
    assert page.locator(".st-key-tg_dl_units_csv button").is_visible()
