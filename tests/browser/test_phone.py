"""The five pages a leader reads (overview, targets, map, new economy, meeting), 30 June 2023 on the
sample, in Chromium at 390x844 (a phone: the layout is chosen by the width, dashboard/filters/
layout.py) and at 1920x1080 (the desktop): nothing wider than the screen, no two text boxes
overlapping (read from the bounding boxes of every text run, plotly's SVG text included), every
target's status text present. On the phone also: the sidebar closed, the banners a line each, all 11
targets within the first two screens, a tap opens a card, the map pans under a finger and a tapped
point shows its card; ?view=phone / ?view=desktop override the width. The screenshots go to
artifacts/ (git-ignored; a test writes no tracked file); the ones in docs/ are copied from there by hand.
"""
from __future__ import annotations

import io
import math
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from dashboard.charts import map_layers
from dashboard.ui import phone as phone_ui
from dashboard.views import map as map_view
from data_access.db import make_engine
from data_access.kpis import queries
from tests.browser.support import ROOT, guard_context, wait_ready

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1920, "height": 1080}
PAGES = ("overview", "targets", "map", "new-economy", "meeting")
LINK = "/{page}?as_of=2023-06-30"
# by hand, city-wide on 30 June 2023 (tests/test_page_overview.py's STATUS notes)
STATUS = {"T01": "达序时", "T02": "滞后序时", "T03": "达序时", "T04": "达序时", "T05": "超序时", "T06": "滞后序时",
          "T07": "超序时", "T08": "达序时", "T09": "达序时", "T10": "达序时", "T11": "滞后序时"}
ICON = {"超序时": "▲", "达序时": "●", "滞后序时": "▼"}

# Every text run in the main area as boxes (one per line of a run; SVG text by its element), each
# clipped by the ancestors that clip it; runs in a closed <details>, hidden or empty are left out.
TEXT_BOXES = """() => {
  const main = document.querySelector("[data-testid='stMain']");
  const clipOf = (el) => {
    let box = {l: -1e9, t: -1e9, r: 1e9, b: 1e9};
    for (let a = el; a && a !== main; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (['hidden', 'clip', 'auto', 'scroll'].includes(s.overflowX) || ['hidden', 'clip'].includes(s.overflowY)) {
        const r = a.getBoundingClientRect();
        box = {l: Math.max(box.l, r.left), t: Math.max(box.t, r.top), r: Math.min(box.r, r.right), b: Math.min(box.b, r.bottom)};
      }
    }
    return box;
  };
  const out = [];
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  let n, k = 0;
  while ((n = walker.nextNode())) {
    k += 1;
    const text = n.textContent.trim();
    const el = n.parentElement;
    if (!text || !el || el.closest("[data-testid='stDataFrame'], .deck-tooltip, style, script")) continue;
    // not drawn: display none, visibility hidden, opacity 0, or in a closed <details> (skipped content)
    if (!el.checkVisibility({opacityProperty: true, visibilityProperty: true, contentVisibilityAuto: true})) continue;
    let rects;
    if (el instanceof SVGElement) { rects = [el.getBoundingClientRect()]; }
    else { const r = document.createRange(); r.selectNodeContents(n); rects = [...r.getClientRects()]; }
    const c = clipOf(el);
    for (const b of rects) {
      const box = {l: Math.max(b.left, c.l), t: Math.max(b.top, c.t), r: Math.min(b.right, c.r), b: Math.min(b.bottom, c.b)};
      if (box.r - box.l > 1 && box.b - box.t > 1) out.push({...box, node: k, text: text.slice(0, 40)});
    }
  }
  return out;
}"""

# Elements reaching past the screen's right or left edge and not clipped by a box on the screen,
# and the main area's own horizontal overflow.
TOO_WIDE = """() => {
  const W = document.documentElement.clientWidth;
  const main = document.querySelector("[data-testid='stMain']");
  const bad = [];
  for (const el of main.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || (r.right <= W + 1 && r.left >= -1)) continue;
    if (!el.checkVisibility({opacityProperty: true, visibilityProperty: true, contentVisibilityAuto: true})) continue;
    let clipped = false;
    for (let a = el.parentElement; a && a !== main; a = a.parentElement) {
      const s = getComputedStyle(a), ar = a.getBoundingClientRect();
      if (['hidden', 'clip'].includes(s.overflowX) && ar.right <= W + 1 && ar.left >= -1) { clipped = true; break; }
    }
    if (!clipped) bad.push({tag: el.tagName, cls: String(el.className).slice(0, 60), l: r.left, r: r.right,
                            text: (el.innerText || el.textContent || '').slice(0, 40)});
  }
  return {bad: bad.slice(0, 10), n: bad.length, scroll: main.scrollWidth, client: main.clientWidth,
          doc: document.scrollingElement.scrollWidth, W};
}"""


def overlaps(boxes: list[dict], tol: float = 2.0) -> list[tuple[str, str]]:
    """Pairs of text boxes of different text runs that overlap by more than `tol` pixels both ways
    (the lines of one run never overprint each other)."""
    out = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if a["node"] == b["node"]:
                continue
            w = min(a["r"], b["r"]) - max(a["l"], b["l"])
            h = min(a["b"], b["b"]) - max(a["t"], b["t"])
            if w > tol and h > tol:
                out.append((a["text"], b["text"], round(w), round(h)))
    return out


@pytest.fixture
def open_at(browser, outside_requests):
    """open_at(viewport, path, want="phone"|"desktop", touch=False): a fresh zh-CN context of that
    size, the page opened and drawn in the layout `want` (after the page's own width probe has
    reloaded it once, where it does)."""
    contexts = []

    def go(viewport: dict, path: str, want: str, touch: bool = False, app_url: str = ""):
        context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai",
                                      has_touch=touch)
        guard_context(context, outside_requests)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.goto(app_url + path)
        page.wait_for_function("w => document.documentElement.dataset.kpiView === w", arg=want)
        wait_ready(page, settle_ms=1200)
        page.wait_for_function("w => document.documentElement.dataset.kpiView === w", arg=want)
        wait_ready(page, settle_ms=800)
        return page

    yield go
    for c in contexts:
        c.close()


def _main_text(page) -> str:
    return page.locator("[data-testid='stMain']").inner_text()


def _svg_texts(page) -> list[str]:
    return page.eval_on_selector_all("[data-testid='stMain'] svg text", "els => els.map(e => e.textContent.trim())")


def _check_fits(page, name: str) -> None:
    wide = page.evaluate(TOO_WIDE)
    assert wide["n"] == 0 and wide["scroll"] <= wide["client"] + 1 and wide["doc"] <= wide["W"] + 1, (name, wide)
    boxes = page.evaluate(TEXT_BOXES)
    assert boxes, name
    assert overlaps(boxes) == [], name


def _check_statuses(page, name: str, phone: bool) -> None:
    text = _main_text(page)
    if name == "overview":
        if phone:
            cards = page.eval_on_selector_all(".ph-card", """els => Object.fromEntries(els.map(e =>
                [e.dataset.row, e.querySelector('.ph-status').textContent.trim()]))""")
            assert cards == {c: f"{ICON[s]} {s}" for c, s in STATUS.items()}
        else:  # the bullet chart's status column
            svg = _svg_texts(page)
            for s, n in (("超序时", 2), ("达序时", 6), ("滞后序时", 3)):
                assert svg.count(f"{ICON[s]} {s}") == n, (s, svg)
    elif name == "meeting":  # the briefing's progress table: every target with its status
        for code, s in STATUS.items():
            assert code in text
        for s, n in (("超序时", 2), ("达序时", 6), ("滞后序时", 3)):
            assert text.count(s) >= n, s
    elif name == "targets":  # the page opens on T01
        assert f"{ICON['达序时']} 达序时" in text
    elif name == "new-economy":  # T11
        assert "滞后序时" in text
    else:  # the map shades the counties by status: the legend names them
        for s in ("超序时", "达序时", "滞后序时"):
            assert s in text


@pytest.mark.parametrize("name", PAGES)
def test_phone_page_fits_the_screen(open_at, app_url, name):
    page = open_at(PHONE, LINK.format(page=name), "phone", app_url=app_url)
    assert "view" not in parse_qs(urlsplit(page.url).query)  # chosen by the width, not written in the link
    # the sidebar is closed: nothing of it over the page
    sidebar = page.locator("[data-testid='stSidebar']")
    assert sidebar.get_attribute("data-collapsed") == "true"
    assert sidebar.evaluate("e => e.getBoundingClientRect().right") <= 0
    # the notices above the filters are one line each
    heights = page.eval_on_selector_all(
        "[data-testid='stElementContainer']:has(~ [data-testid='stLayoutWrapper'] > .st-key-ph-top) [data-testid='stAlert'],"
        " .ph-line", "els => els.map(e => e.getBoundingClientRect().height)")
    assert heights and all(h <= 44 for h in heights), heights
    _check_fits(page, name)
    _check_statuses(page, name, phone=True)
    (ROOT / "artifacts").mkdir(exist_ok=True)
    page.screenshot(path=str(ROOT / "artifacts" / f"screenshot-{name}-phone.png"))


@pytest.mark.parametrize("name", PAGES)
def test_desktop_page_fits_the_screen(open_at, app_url, name):
    page = open_at(DESKTOP, LINK.format(page=name), "desktop", app_url=app_url)
    assert page.locator(".ph-card, .ph-rec").count() == 0
    _check_fits(page, name)
    _check_statuses(page, name, phone=False)
    (ROOT / "artifacts").mkdir(exist_ok=True)
    page.screenshot(path=str(ROOT / "artifacts" / f"desktop-{name}.png"))


def test_the_first_two_phone_screens_hold_every_target_and_a_tap_opens_one(open_at, app_url):
    page = open_at(PHONE, LINK.format(page="overview"), "phone", app_url=app_url)
    bottoms = page.eval_on_selector_all(".ph-card", """els => {
        const main = document.querySelector("[data-testid='stMain']");
        return els.map(e => e.getBoundingClientRect().bottom + main.scrollTop); }""")
    assert len(bottoms) == 11 and max(bottoms) <= 2 * PHONE["height"], bottoms
    page.locator("[data-testid='stMain']").evaluate(f"e => e.scrollTo(0, {PHONE['height']})")
    page.wait_for_timeout(300)
    page.screenshot(path=str(ROOT / "artifacts" / "screenshot-overview-screen2-phone.png"))
    page.locator("[data-testid='stMain']").evaluate("e => e.scrollTo(0, 0)")
    card = page.locator(".ph-card[data-row='T06']")
    assert not card.locator(".ph-more").is_visible()  # closed
    card.locator("summary").click()
    assert card.locator(".ph-more").is_visible()
    more = card.locator(".ph-more").inner_text()
    assert "序时进度" in more and "20家" in more and "年末预测" in more  # T06: 50 × 0.40 = 20 expected
    _check_fits(page, "overview")


def test_the_link_overrides_the_width(open_at, app_url):
    page = open_at(DESKTOP, "/overview?as_of=2023-06-30&view=phone", "phone", app_url=app_url)
    assert page.locator(".ph-card").count() == 11
    page = open_at(PHONE, "/overview?as_of=2023-06-30&view=desktop", "desktop", app_url=app_url)
    assert page.locator(".ph-card").count() == 0 and page.locator("[data-testid='stPlotlyChart']").count() == 1
    # an explicit choice stays in the link
    assert parse_qs(urlsplit(page.url).query).get("view") == ["desktop"]


def test_the_filters_are_at_the_top_on_a_phone(open_at, app_url):
    page = open_at(PHONE, "/overview?as_of=2023-06-30", "phone", app_url=app_url)
    page.get_by_text("筛选：全市 · 2023年6月30日").click()
    english = page.locator("[data-testid='stExpander']").get_by_text("English", exact=True)
    english.wait_for()
    english.click()
    page.wait_for_function("() => new URLSearchParams(location.search).get('lang') === 'en'")
    wait_ready(page, settle_ms=800)
    assert page.locator(".ph-card").count() == 11 and "On pace" in _main_text(page)


def _canvas_png(page) -> np.ndarray:
    png = page.locator("[data-testid='stDeckGlJsonChart'] canvas").first.screenshot()
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)


def test_the_phone_map_pans_under_a_finger_and_a_tapped_point_shows_its_card(open_at, app_url, sample_db_url):
    page = open_at(PHONE, "/map?as_of=2023-06-30", "phone", touch=True, app_url=app_url)
    canvas = page.locator("[data-testid='stDeckGlJsonChart'] canvas").first
    canvas.wait_for()
    page.wait_for_timeout(1500)  # deck draws after the run
    box = canvas.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    # the county table lies below the map
    first_rec = page.locator(".ph-rec").first.bounding_box()
    assert first_rec["y"] >= box["y"] + box["height"]

    # tap an isolated new care station (projected from the view the page computes, refitted for
    # the phone's width as dashboard/views/phone.fit_map_view does)
    eng = make_engine(sample_db_url)
    try:
        points = queries.facility_points(eng, 2023, pd.Timestamp("2023-06-30").date())
    finally:
        eng.dispose()
    empty = pd.DataFrame(columns=["code", "kind", "seat_lat", "seat_lon"])
    view = dict(map_view.view_for(map_view.load_geo(), (), pd.DataFrame(columns=["unit_code", "lon", "lat"]), empty))
    view["zoom"] = view["zoom"] - math.log2(map_view.MAP_WIDTH_GUESS / phone_ui.MAP_WIDTH)
    w, h = box["width"], box["height"]
    xy = [map_layers.project(lon, lat, view, w, h) for lon, lat in zip(points["lon"], points["lat"])]
    target = None
    for i, r in enumerate(points.itertuples()):
        x, y = xy[i]
        if r.kind == "care_station" and r.is_new and 30 < x < w - 30 and 30 < y < h - 30 and \
                all(math.dist(xy[i], xy[j]) >= 14 for j in range(len(xy)) if j != i):
            target = (r, x, y)
            break
    assert target is not None
    r, x, y = target
    for attempt in range(3):  # deck may miss a tap while it draws
        page.touchscreen.tap(box["x"] + x, box["y"] + y)
        try:
            page.locator(".ph-rec-title", has_text=r.name).first.wait_for(timeout=20_000)
            break
        except Exception:
            if attempt == 2:
                raise
            wait_ready(page)
    wait_ready(page, settle_ms=800)
    assert page.locator("[data-testid='stTextInput'] input").first.input_value() == r.name

    # a finger's drag pans the map: the canvas shows another picture
    page.locator("[data-testid='stDeckGlJsonChart']").first.scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    box = canvas.bounding_box()
    before = _canvas_png(page)
    cdp = page.context.new_cdp_session(page)
    x0, y0 = box["x"] + w / 2, box["y"] + h / 2
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x0, "y": y0}]})
    for k in range(1, 11):
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x0 + 8 * k, "y": y0 + 5 * k}]})
        page.wait_for_timeout(30)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    page.wait_for_timeout(800)
    after = _canvas_png(page)
    changed = float((np.abs(before - after).sum(axis=2) > 30).mean())
    assert changed > 0.05, changed
