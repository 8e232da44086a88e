"""The report page's review tab under AppTest: names beside codes, figures formatted with their unit,
（无） for a figure that had none, the clerk's 备注; a withdrawal of an approved batch asked on the
page, waiting in the queue with who asked and why, approved by a second person; and user text
(a file name, a query-string value) never rendered as a link.

Data: tests/tiny_data.py (新华区 A reported 7, then corrected to 9, for T01 in the week 7–13 January;
both loaded directly). Authentication off: the page acts as 市总工会 (administrator) or, through its
identity box, as a county's reporter.
"""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from data_access import clock
from data_access.db import make_engine
from data_access.reporting import commit as importer
from data_access.reporting import review as reviewing
from data_access.schema import migrate
from data_access.schema.models import ImportBatch
from tests.apptest_support import open_page
from tests.helpers import D, NOW, prow, t01, xlsx
from tests.people import admin, reviewer
from tests.tiny_data import A, load_tiny

# GitHub markdown turns these into links even when backslash-escaped (checked in Chromium,
# tests/browser/test_no_links.py): a body must not hold any of them.
AUTOLINK = re.compile(r"(?i)https?:(\\)?//|www(\\)?\.|[\w.+-](\\)?@[\w-]+\.")


@pytest.fixture
def review_db(tmp_path, monkeypatch):
    monkeypatch.setenv("KPI_AUTH_MODE", "none")
    url = f"sqlite:///{tmp_path / 'kpi.sqlite3'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    load_tiny(engine)
    yield url, engine
    engine.dispose()


def expander(at, batch_id):
    pick = at.selectbox(key="rep_pick")
    if pick.value != batch_id:
        pick.set_value(batch_id).run()
    return next(e for e in at.expander if e.label.startswith(f"#{batch_id} "))


def status(engine, batch_id):
    with engine.connect() as conn:
        return tuple(conn.execute(select(ImportBatch.status, ImportBatch.withdraw_requested_by,
                                         ImportBatch.withdrawn_by).where(ImportBatch.id == batch_id)).one())


def test_a_correction_shows_names_formatted_figures_and_the_note(review_db):
    url, engine = review_db
    fix = xlsx([prow(start=D(2023, 1, 7), end=D(2023, 1, 13), value=11, note="漏报2场，已核台账"),
                prow(value=12)])
    done = importer.commit(engine, fix, "新华区更正.xlsx", actor="王芳", allowed_units=(A,), now=NOW)
    at = open_page(url, "report.py", {"as_of": "2023-07-03"})
    rows = expander(at, done.batch_id).dataframe[0].value
    assert rows.values.tolist() == [
        ["T01 群众性文化活动", "新华区", "2023-01-07~2023-01-13", "9场次", "11场次", "修改", "漏报2场，已核台账"],
        ["T01 群众性文化活动", "新华区", "2023-06-24~2023-06-30", "（无）", "12场次", "新增", ""]]
    assert "None" not in rows.to_string()

    at.query_params["lang"] = "en"
    at.run()
    rows = expander(at, done.batch_id).dataframe[0].value
    assert list(rows.columns) == ["Item", "Unit", "Period", "Before", "New", "Change", "Note"]
    assert rows[["Unit", "Before", "New"]].values.tolist() == [
        ["Xinhua District", "9 events", "11 events"], ["Xinhua District", "(none)", "12 events"]]


def test_withdrawing_an_approved_batch_from_the_page_takes_two_people(review_db):
    url, engine = review_db
    done = importer.commit(engine, xlsx([prow(value=6)]), "w26.xlsx", actor="王芳", allowed_units=(A,), now=NOW)
    reviewing.review(engine, done.batch_id, "approve", reviewer=reviewer("李审"), now=NOW)
    assert t01(engine) == 25.0  # tiny's 19 (tests/test_two_people.py) and the 6

    with clock.frozen(dt.datetime(2023, 7, 3, 9, 30)):  # the page asks and approves on Monday 3 July
        at = open_page(url, "report.py", {"as_of": "2023-07-03"})
        at.text_input(key="rep_actor").set_value("王芳")
        at.selectbox(key="rep_scope").set_value(A)
        at.run()
        at.selectbox(key="rep_wd_pick").set_value(done.batch_id)
        at.button(key="rep_wd").click().run()
        assert not at.exception
        assert [s.value for s in at.success] == [
            f"#{done.batch_id}：撤回申请已提交，须由另一位审核员批准；批准前数字照常计入。"]
        assert status(engine, done.batch_id) == ("approved", "王芳", None)
        assert t01(engine, as_of=dt.date(2023, 7, 3)) == 25.0  # the figures stay
        assert "rep_wd_pick" not in [w.key for w in at.selectbox]  # asked once: nothing left to withdraw

        # the city federation's reviewer (the page's default identity) sees the request in the queue
        at.selectbox(key="rep_scope").set_value("")
        at.text_input(key="rep_actor").set_value("市总工会")
        at.run()
        assert "待审核（2）" in [s.value for s in at.subheader]  # tiny's pending batch 1 and the request
        queue = next(d.value for d in at.dataframe if "审核意见" in d.value.columns)
        assert queue[["批次", "状态"]].values.tolist() == [[done.batch_id, "撤回待审核"], [1, "待审核"]]
        box = expander(at, done.batch_id)
        assert box.label.endswith("· 撤回待审核")
        assert [w.value for w in box.warning] == [
            "撤回申请：王芳于2023年7月3日 09:30提出，原因：—。批准后，本批次的数字从批准之日起不再计入看板；驳回则照常计入。"]
        assert [b.label for b in box.button] == ["批准撤回", "驳回撤回申请"]
        box.button[0].click().run()
        assert not at.exception
        assert f"#{done.batch_id}：已撤回" in [s.value for s in at.success]
        assert status(engine, done.batch_id) == ("withdrawn", "王芳", "市总工会")
        assert t01(engine, as_of=dt.date(2023, 7, 3)) == 19.0
    assert t01(engine, as_of=dt.date(2023, 7, 2)) == 25.0  # what was known before is not rewritten


def test_the_one_who_asked_sees_the_refusal_on_the_page(review_db):
    url, engine = review_db
    done = importer.commit(engine, xlsx([prow(value=6)]), "w26.xlsx", actor="王芳", allowed_units=(A,), now=NOW)
    reviewing.review(engine, done.batch_id, "approve", reviewer=reviewer("李审"), now=NOW)
    reviewing.withdraw(engine, done.batch_id, user=admin("市总工会"), now=NOW)  # as the page's own identity
    at = open_page(url, "report.py", {"as_of": "2023-07-03"})
    expander(at, done.batch_id).button[0].click().run()
    errors = " ".join(e.value for e in at.error)
    assert f"批次\\#{done.batch_id}是账号“市总工会”本人提出的撤回申请，须由另一位审核员或管理员审核（两人经手）" in errors
    assert status(engine, done.batch_id) == ("approved", "市总工会", None)


def test_no_link_from_a_file_name_or_the_query_string(review_db):
    url, engine = review_db
    planted = "http://evil.example/请重新登录 www.evil.example a@evil.example.xlsx"
    done = importer.commit(engine, xlsx([prow(value=6)]), planted, actor="王芳", allowed_units=(A,), now=NOW)
    at = open_page(url, "report.py", {"as_of": "2023-07-03", "county": "http://evil.example/请重新登录"})
    warnings = [w.value for w in at.warning]
    assert any("请重新登录" in w for w in warnings), warnings  # the bad county is named ...
    assert not [w for w in warnings if AUTOLINK.search(w)]  # ... but never as a link
    label = expander(at, done.batch_id).label
    assert "evil" in label and not AUTOLINK.search(label)
    bodies = [m.value for m in at.markdown] + [e.value for e in at.error] + [i.value for i in at.info]
    assert not [b for b in bodies if AUTOLINK.search(b)]


def test_shown_value_by_hand():
    import numpy as np

    from dashboard.views.report import shown_value

    assert [shown_value(v, "人", "zh") for v in (np.int64(12), 15000, np.float64("nan"), None, "")] == [
        "12人", "1.5万人", "（无）", "（无）", "（无）"]
    assert shown_value(2.5, "元", "zh") == "2.50元" and shown_value(3, "场次", "en") == "3 events"
    assert shown_value("停用日期=2023-06-15；状态=关闭", "", "zh") == "停用日期=2023-06-15；状态=关闭"
    assert shown_value(None, "场次", "en") == "(none)"
