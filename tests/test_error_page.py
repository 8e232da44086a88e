"""The project's own error page (dashboard/error_page.py) instead of Streamlit's English exception
box with "Ask Google / Ask ChatGPT": an unhandled error and a database outage, in Chinese (English
with ?lang=en), with no outside link; and recovery without a restart.

The outage is real: a small TCP proxy started here sits between the app and PostgreSQL (the app's
KPI_DATABASE_URL points at the proxy's port); cutting it closes every connection and refuses new
ones, restoring it listens again on the same port.

Figures by hand (tests/tiny_data.py as of 30 June 2023): five targets (T01, T06, T07, T09, T11);
T01 群众性文化活动 100 场次, done 19 (新华区 5 + 9, 鲁山县 3 + 2): its bar reads 19.0% (one decimal, present.figures.completion).
"""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from data_access.schema import migrate
from tests.apptest_support import open_page, page_text, plotly_specs
from tests.conftest import _drop_pg, _fresh_pg_engine
from tests.db_proxy import CuttableProxy
from tests.helpers import sync_sequences
from tests.tiny_data import load_tiny

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r"(?i)https?:|www\.|google|chatgpt")


@pytest.fixture
def proxied_pg(monkeypatch):
    """tiny_data in a fresh PostgreSQL schema, reached by the app only through the proxy."""
    monkeypatch.setenv("KPI_AUTH_MODE", "none")
    engine, admin, name = _fresh_pg_engine()
    migrate.upgrade(engine)
    load_tiny(engine)
    sync_sequences(engine)
    url = engine.url
    proxy = CuttableProxy((url.host or "127.0.0.1", url.port or 5432))
    app_url = url.set(port=proxy.port, query={"options": f"-csearch_path={name}"}).render_as_string(
        hide_password=False)
    yield app_url, proxy
    proxy.close()
    _drop_pg(engine, admin, name)


def shows_figures(at) -> bool:
    spec = plotly_specs(at)
    return (bool(spec) and "目标项数" in page_text(at) and "5 项" in page_text(at)
            and "19.0%" in next(t for t in spec[0]["data"] if t.get("name") == "bar_labels")["text"])


def everything_said(at) -> str:
    return "\n".join([e.value for e in at.error] + [e.value for e in at.text] + [m.value for m in at.markdown]
                     + [b.label for b in at.button])


def test_an_outage_shows_the_chinese_page_and_recovers_without_a_restart(proxied_pg):
    url, proxy = proxied_pg
    at = open_page(url, "overview.py", {"as_of": "2023-06-30"})
    assert shows_figures(at)

    proxy.cut()
    at.run()
    assert not at.exception  # not Streamlit's exception box
    assert [e.value for e in at.error] == ["数据库暂时无法连接"]
    said = everything_said(at)
    assert "已录入的数据是安全的" in said and "系统每10秒自动重试一次" in said
    assert [b.label for b in at.button if b.key == "err_retry"] == ["重试"]
    assert not LINK.search(said) and not at.get("plotly_chart")

    at.run()  # still cut: still the page, still no exception
    assert [e.value for e in at.error] == ["数据库暂时无法连接"] and not at.exception

    proxy.restore()
    at.button(key="err_retry").click().run()
    assert not at.exception and not at.error
    assert shows_figures(at)


def test_the_outage_page_in_english(proxied_pg):
    url, proxy = proxied_pg
    at = open_page(url, "overview.py", {"as_of": "2023-06-30", "lang": "en"})
    proxy.cut()
    at.run()
    assert [e.value for e in at.error] == ["The database cannot be reached at the moment"]
    assert "The figures already stored are safe" in everything_said(at)
    assert not LINK.search(everything_said(at))


@pytest.fixture
def sqlite_tiny(tmp_path, monkeypatch):
    from data_access.db import make_engine

    monkeypatch.setenv("KPI_AUTH_MODE", "none")
    url = f"sqlite:///{tmp_path / 'kpi.sqlite3'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    load_tiny(engine)
    engine.dispose()
    return url


def test_an_unhandled_error_shows_the_chinese_page(sqlite_tiny, monkeypatch):
    from dashboard import data

    def broken(*_args, **_kwargs):
        raise KeyError("a bug in a reader")

    monkeypatch.setattr(data, "milestones", broken)
    at = open_page(sqlite_tiny, None, {"as_of": "2023-06-30"})  # the overview, at /
    assert not at.exception
    assert [e.value for e in at.error] == ["页面出现意外错误"]
    said = everything_said(at)
    assert "已录入的数据是安全的" in said and "请点击“重试”" in said
    assert "a bug in a reader" not in said and "KeyError" not in said  # nothing of the exception
    assert not LINK.search(said)


def test_streamlit_is_told_never_to_show_its_outside_links():
    for path in (ROOT / "dashboard/.streamlit/config.toml", ROOT / ".streamlit/config.toml"):
        cfg = tomllib.loads(path.read_text(encoding="utf-8"))
        assert cfg["client"]["showErrorLinks"] == "false"
        assert cfg["client"]["showErrorDetails"] == "none"
