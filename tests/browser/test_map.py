"""The map page in Chromium with every request off the machine aborted: the points are drawn (pixel
colours sampled from the deck canvas), a point's tooltip is in Chinese, and a click on a county
(at the screen position of its label point, projected from the same view the page computes)
filters the page to that county. Screenshots go to artifacts/map.png, map-tooltip.png and map-lushan.png.
"""
from __future__ import annotations

import io
import math
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect
from PIL import Image

from dashboard.charts import map_layers
from dashboard.views import map
from data_access.kpis import queries
from data_access.db import make_engine
from tests.browser.support import ROOT, wait_ready

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "artifacts"
CANVAS = "[data-testid='stDeckGlJsonChart'] canvas"


@pytest.fixture(scope="module")
def db(sample_db_url):
    eng = make_engine(sample_db_url)
    yield eng
    eng.dispose()


def colour_pixels(png: bytes, rgb, tol: int = 12) -> int:
    """How many pixels of the image are within `tol` of `rgb` on every channel."""
    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)
    return int((np.abs(img - np.array(rgb)) <= tol).all(axis=2).sum())


def wait_for_colour(page, rgb, min_pixels: int = 40, tries: int = 20) -> int:
    """Screenshot the deck canvas until it shows `rgb` (deck draws after the script run ends)."""
    n = 0
    for _ in range(tries):
        n = colour_pixels(page.locator(CANVAS).first.screenshot(), rgb)
        if n >= min_pixels:
            break
        page.wait_for_timeout(250)
    return n


def isolated_point(points: pd.DataFrame, view, w, h, min_px: float = 16):
    """A new care station at least `min_px` from every other point on screen, inside the map."""
    xy = [map_layers.project(lon, lat, view, w, h) for lon, lat in zip(points["lon"], points["lat"])]
    for i, r in enumerate(points.itertuples()):
        x, y = xy[i]
        if r.kind != "care_station" or not r.is_new or not (40 < x < w - 40 and 40 < y < h - 40):
            continue
        if all(math.dist(xy[i], xy[j]) >= min_px for j in range(len(xy)) if j != i):
            return r, (x, y)
    raise AssertionError("no isolated new care station to hover")


def test_map_draws_points_offline_and_a_county_click_filters_the_page(page, app_url, outside_requests, db):
    before = len(outside_requests)
    page.goto(app_url + "/map")
    wait_ready(page)
    page.locator(CANVAS).first.wait_for()

    # Points are drawn: new care stations and new childcare classes in their own opaque colours.
    care = wait_for_colour(page, map_layers.KIND_RGB["care_station"])
    child = wait_for_colour(page, map_layers.KIND_RGB["childcare_class"])
    assert care >= 40 and child >= 40, (care, child)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "map.png"))
    assert "示意图" in page.locator("[data-testid='stMain']").inner_text()

    # The view the page computed for the whole city (the deck centres it in the canvas).
    as_of = queries.latest_report_date(db)
    features = map.load_geo()
    empty_units = pd.DataFrame(columns=["code", "kind", "seat_lat", "seat_lon"])
    view = map.view_for(features, (), pd.DataFrame(columns=["unit_code", "lon", "lat"]), empty_units)
    box = page.locator(CANVAS).first.bounding_box()
    w, h = box["width"], box["height"]

    # Hovering a point shows its tooltip in Chinese.
    points = queries.facility_points(db, 2023, as_of)
    target, (x, y) = isolated_point(points, view, w, h)
    tip = page.locator(".deck-tooltip")
    for _ in range(10):  # deck only answers a hover once it has drawn; move again until it does
        page.mouse.move(box["x"] + x - 3, box["y"] + y)
        page.mouse.move(box["x"] + x, box["y"] + y)
        if tip.is_visible():
            break
        page.wait_for_timeout(300)
    assert tip.is_visible()
    assert target.name in tip.inner_text() and "启用日期" in tip.inner_text()
    page.screenshot(path=str(ARTIFACTS / "map-tooltip.png"))

    # Clicking 鲁山县 (at its label point: inside the polygon, away from the points) selects it.
    lushan = next(f["properties"] for f in features if f["properties"]["adcode"] == "410423")
    x, y = map_layers.project(lushan["label_lon"], lushan["label_lat"], view, w, h)
    for attempt in range(3):  # on a loaded machine deck may miss the first click while drawing
        page.mouse.click(box["x"] + x, box["y"] + y)
        try:
            page.wait_for_url(lambda u: parse_qs(urlsplit(u).query).get("county") == ["410423"],
                              timeout=20_000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
            wait_ready(page)
    wait_ready(page)
    n = len(queries.facility_points(db, 2023, as_of, ("410423",)))
    page.get_by_text(f"共 {n} 处", exact=True).wait_for()
    main = page.locator("[data-testid='stMain']").inner_text()
    assert "范围：鲁山县" in main
    expect(page.locator(".st-key-w_county [data-tag] span[title]")).to_have_text(["鲁山县"], timeout=15_000)
    wait_for_colour(page, map_layers.KIND_RGB["care_station"])
    page.screenshot(path=str(ARTIFACTS / "map-lushan.png"))

    outside = outside_requests[before:]
    assert not outside, sorted(set(outside))
