"""The app shell under AppTest: bad links never crash a page, and URL text is shown as typed."""
from tests.apptest_support import open_page


def test_date_outside_the_plan_year_warns_instead_of_crashing(sample_db_url):
    at = open_page(sample_db_url, "overview.py", {"as_of": "2030-01-01"})
    assert [w.value for w in at.warning if "链接" in w.value] == [
        "链接中的日期“2030-01-01”不在所选计划年度内（2023-01-01 至 2023-12-31），已改为默认日期。"]
    assert at.session_state["filters"].as_of.isoformat() == "2023-12-31"
    assert at.get("plotly_chart")  # the page itself was drawn


def test_url_text_is_escaped_in_warnings(sample_db_url):
    evil = "![x](http://evil.example/p.png)"
    at = open_page(sample_db_url, "targets.py", {"county": evil, "target": "[登录](http://evil.example)"})
    shown = [w.value for w in at.warning if "链接" in w.value]
    assert len(shown) == 2
    for text in shown:  # every markdown control character arrives escaped: no image, no link
        assert "](http" not in text and "\\]\\(http" in text
