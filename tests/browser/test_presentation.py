"""Presentation mode (`/meeting?present=1`) at 1920x1080 in Chromium (issue 18): on every slide the
content lies wholly on the screen (nothing under the header, nothing below the bottom edge, read from
the bounding boxes of the slide's elements), the slide of lagging units included when 12 units lag
(30 June 2023 on the sample), and no banner (authentication off, sample data) on any slide."""
from __future__ import annotations

import pytest

from dashboard.views.meeting import SLIDES
from tests.browser.support import ROOT, VIEWPORT, wait_ready

pytestmark = pytest.mark.browser

LINK = "/meeting?present=1&as_of=2023-06-30&slide={n}&lang={lang}"
CONTENT = "[data-testid='stMainBlockContainer'] [data-testid='stElementContainer']"


def _boxes(page) -> list[dict]:
    """Bounding boxes of the slide's visible elements (no zero-size style or spacer elements)."""
    return page.eval_on_selector_all(CONTENT, """els => els.map(e => {
        const r = e.getBoundingClientRect();
        return {top: r.top, bottom: r.bottom, w: r.width, h: r.height, text: e.innerText.slice(0, 60)};
    }).filter(b => b.w > 0 && b.h > 0)""")


def _header_bottom(page) -> float:
    """Bottom edge of Streamlit's fixed header, 0 when it is hidden."""
    return page.evaluate("""() => {
        const h = document.querySelector("[data-testid='stHeader']");
        if (!h) return 0;
        const r = h.getBoundingClientRect();
        return getComputedStyle(h).display === 'none' || r.height === 0 ? 0 : r.bottom;
    }""")


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("n", range(1, len(SLIDES) + 1))
def test_slide_fits_the_screen_without_banner(page, app_url, n, lang):
    page.goto(app_url + LINK.format(n=n, lang=lang))
    wait_ready(page, settle_ms=1500)
    page.wait_for_timeout(500)  # charts and tables get their final size
    boxes = _boxes(page)
    assert boxes, n
    top = _header_bottom(page)
    clipped = [b for b in boxes if b["top"] < top - 0.5]
    assert not clipped, (n, top, clipped)
    overflow = [b for b in boxes if b["bottom"] > VIEWPORT["height"] + 0.5]
    assert not overflow, (n, overflow)
    assert page.evaluate("document.scrollingElement.scrollHeight") <= VIEWPORT["height"] + 1 or \
        page.locator("[data-testid='stMain']").evaluate("e => e.scrollHeight") <= VIEWPORT["height"] + 1
    alerts = page.locator("[data-testid='stMain'] [data-testid='stAlert']").all_inner_texts()
    banners = ("身份认证", "示例数据：", "Authentication", "Sample data:")
    assert not [a for a in alerts if any(b in a for b in banners)], (n, alerts)
    if n == SLIDES.index("behind") + 1:
        # the 12th lagging unit is on the screen
        assert page.get_by_text("舞钢市" if lang == "zh" else "Wugang").count() >= 1
        page.screenshot(path=str(ROOT / "artifacts" / f"presentation-behind-{lang}.png"))
