"""User text in the app's own messages is never a link, in a real browser: GitHub markdown (what
Streamlit renders st.warning bodies with) links bare URLs, www. and e-mail addresses even when
backslash-escaped, so dashboard/ui/safe_text.md breaks them with a zero-width space. Here a planted
`?county=` value (a URL, a www. address and an e-mail address) must show as text in the warning,
with no <a> in any alert, and no request leaving the machine."""
from __future__ import annotations

from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from tests.browser.support import wait_ready

pytestmark = pytest.mark.browser

PLANTED = "http://evil.example/请重新登录 www.evil.example help@evil.example"
ALERT = "[data-testid='stMain'] [data-testid='stAlert']"


def test_a_planted_link_in_the_query_string_is_plain_text(page, app_url, outside_requests):
    page.goto(f"{app_url}/?county={quote(PLANTED)}")
    wait_ready(page)
    alert = page.locator(ALERT).filter(has_text="请重新登录")
    expect(alert).to_have_count(1, timeout=15_000)
    shown = alert.inner_text().replace("\u200b", "")
    assert "http://evil.example/请重新登录" in shown and "help@evil.example" in shown  # readable as typed
    assert page.locator(f"{ALERT} a").count() == 0  # ... and no link anywhere in the alerts
    assert not [u for u in outside_requests if "evil.example" in u]
