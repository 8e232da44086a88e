"""The `report` page under AppTest. AppTest cannot upload a file, so batches are created through the
importer (the same functions the upload calls) and the page's lists, review buttons, history and
reporting status are checked against them."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from data_access.reporting import commit as importer
from data_access.schema import migrate
from data_access.db import make_engine
from data_access.schema.models import ImportBatch
from tests.apptest_support import open_page
from tests.helpers import NOW, prow, xlsx
from tests.tiny_data import A, load_tiny


@pytest.fixture
def report_db(tmp_path, monkeypatch):
    """tiny_data plus a pending upload of 新华区 for the week of 30 June; authentication off (every
    visitor is the administrator and may act as a county through the page's identity box)."""
    monkeypatch.setenv("KPI_AUTH_MODE", "none")
    url = f"sqlite:///{tmp_path / 'kpi.sqlite3'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    load_tiny(engine)
    done = importer.commit(engine, xlsx([prow(value=6)]), "w26.xlsx", actor="王芳", allowed_units=(A,), now=NOW)
    yield url, engine, done.batch_id
    engine.dispose()


def status_of(engine, batch_id):
    with engine.connect() as conn:
        return tuple(conn.execute(select(ImportBatch.status, ImportBatch.reviewed_by, ImportBatch.review_note)
                                  .where(ImportBatch.id == batch_id)).one())


def expander(at, batch_id):
    """The detail of a pending batch: chosen in the review tab's select box, shown in an expander."""
    pick = at.selectbox(key="rep_pick")
    if pick.value != batch_id:
        pick.set_value(batch_id).run()
    return next(e for e in at.expander if e.label.startswith(f"#{batch_id} "))


def test_page_lists_pending_batches_with_their_rows(report_db):
    url, _engine, batch_id = report_db
    at = open_page(url, "report.py", {"as_of": "2023-07-03"})
    assert [t.label for t in at.tabs] == ["下载模板", "上传", "审核", "我的上报", "数字历史", "上报情况"]
    assert "待审核（2）" in [s.value for s in at.subheader]  # tiny's batch 1 and ours
    pending = next(d.value for d in at.dataframe if "审核意见" in d.value.columns)
    assert pending["批次"].tolist() == [batch_id, 1] and set(pending["状态"]) == {"待审核"}
    box = expander(at, batch_id)
    assert box.label == f"#{batch_id} · 周进度填报 · 新华区 · w26.xlsx · 王芳 · 2023-06-30 18:00 · 待审核"
    rows = box.dataframe[0].value
    assert list(rows.columns) == ["项目", "单位", "周期", "原值", "新值", "变动", "备注"]
    assert rows.values.tolist() == [["T01 群众性文化活动", "新华区", "2023-06-24~2023-06-30", "（无）", "6场次", "新增", ""]]
    assert [b.label for b in box.button] == ["通过", "退回"]
    assert any(e.label == "下载模板" for e in at.get("download_button"))


def test_reporting_status_marks_late_units(report_db):
    url, _engine, _batch = report_db
    at = open_page(url, "report.py", {"as_of": "2023-07-03"})
    table = at.dataframe[-1]
    df = table.value
    assert df[["单位", "最近上报周期截至", "待审核", "状态"]].values.tolist() == [
        ["新华区", "2023年6月30日", 2, "按时"], ["鲁山县", "2023年1月13日", 0, "逾期24周"], ["市总本级", "—", 0, "逾期26周"]]
    painted = {int(r) for r in re.findall(r"row(\d+)_col", table.proto.arrow_data.styler.styles)}
    assert painted == {1, 2}  # the late units' rows stand out
    assert "2023年6月30日这一周" in " ".join(c.value for c in at.caption)


def test_approve_and_return_from_the_page(report_db):
    url, engine, batch_id = report_db
    at = open_page(url, "report.py", {"as_of": "2023-07-03"})
    expander(at, batch_id).button[0].click().run()
    assert not at.exception
    assert status_of(engine, batch_id)[:2] == ("approved", "市总工会")
    assert f"#{batch_id}：已通过" in [s.value for s in at.success]
    assert not [e for e in at.expander if e.label.startswith(f"#{batch_id} ")]
    assert not [o for o in at.selectbox(key="rep_pick").options if o.startswith(f"#{batch_id} ")]

    box = expander(at, 1)  # tiny's pending batch: returning needs a reason
    box.button[1].click().run()
    assert "退回时必须填写退回原因" in " ".join(e.value for e in at.error)
    assert status_of(engine, 1)[0] == "pending"
    box = expander(at, 1)
    box.text_input[0].set_value("第3周数字与台账不符")
    box.button[1].click().run()
    assert status_of(engine, 1) == ("returned", "市总工会", "第3周数字与台账不符")
    # batch tables, in page order: [pending,] returned, mine
    returned = at.dataframe[[i for i, d in enumerate(at.dataframe) if "审核意见" in d.value.columns][-2]].value
    assert returned[["批次", "状态", "审核意见"]].values.tolist() == [[1, "已退回", "第3周数字与台账不符"]]


def test_county_identity_sees_its_own_submissions_without_review_buttons(report_db):
    url, engine, batch_id = report_db
    at = open_page(url, "report.py", {"as_of": "2023-07-03"})
    at.text_input(key="rep_actor").set_value("王芳")
    at.selectbox(key="rep_scope").set_value(A)
    at.run()
    assert not expander(at, batch_id).button  # no approve/return for a county
    mine = at.dataframe[[i for i, d in enumerate(at.dataframe) if "审核意见" in d.value.columns][-1]].value
    assert mine["批次"].tolist() == [batch_id]
    assert at.selectbox(key="rep_t_unit").options == ["新华区"]
    at.selectbox(key="rep_wd_pick").set_value(batch_id)
    at.button(key="rep_wd").click().run()
    assert status_of(engine, batch_id)[0] == "withdrawn"


def test_history_tab_marks_the_version_in_use(report_db):
    url, _engine, _batch = report_db
    at = open_page(url, "report.py", {"as_of": "2023-07-03", "county": A})
    history = next(d.value for d in at.dataframe if "现行" in d.value.columns)
    week2 = history[history["周期"] == "01-07~01-13"]
    assert week2[["现行", "数值"]].values.tolist() == [["", "7场次"], ["★", "9场次"]]
    pending = history[history["周期"] == "06-24~06-30"]
    assert pending[["现行", "状态", "填报人"]].values.tolist() == [["", "待审核", "王芳"]]


def test_english(report_db):
    url, _engine, batch_id = report_db
    at = open_page(url, "report.py", {"as_of": "2023-07-03", "lang": "en"})
    assert [t.label for t in at.tabs][:3] == ["Templates", "Upload", "Review"]
    assert expander(at, batch_id).label.endswith("· Pending")
    assert at.dataframe[-1].value["State"].tolist() == ["On time", "24 week(s) late", "26 week(s) late"]


@pytest.fixture
def accounts_db(report_db, monkeypatch):
    """The same data with the built-in login: a reporter of 新华区, a reviewer and a leader."""
    from data_access.accounts import auth
    from data_access.schema.accounts import User

    monkeypatch.setenv("KPI_AUTH_MODE", "builtin")  # tiny is not the sample: built-in login
    url, engine, batch_id = report_db
    people = (("xinhua", "reporter", A), ("shenhe", "reviewer", None), ("lingdao", "leader", None))
    for name, role, unit in people:
        auth.create_user(engine, auth.ANONYMOUS, name, role, unit_code=unit, password="Kpi-test-2023!")
    with engine.begin() as conn:  # skip the forced first-login password change
        conn.execute(User.__table__.update().values(must_change_password=False))
    return url, engine, batch_id


def login(url, name):
    at = open_page(url, None, {"as_of": "2023-07-03"})
    at.text_input(key="auth_username").set_value(name)
    at.text_input(key="auth_password").set_value("Kpi-test-2023!")
    at.button(key="auth_submit").click().run()
    at.switch_page("../pages/report.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_signed_in_rights(accounts_db):
    url, engine, batch_id = accounts_db
    reporter = login(url, "xinhua")
    assert "rep_scope" not in [w.key for w in reporter.selectbox]  # no identity box with a real login
    assert reporter.selectbox(key="rep_t_unit").options == ["新华区"]
    assert not expander(reporter, batch_id).button  # a reporter cannot approve
    listed = [o.split(" ")[0] for o in reporter.selectbox(key="rep_pick").options]
    assert listed == [f"#{batch_id}", "#1"]  # both 新华区's, and only they

    leader = login(url, "lingdao")
    assert "当前账号（领导）不能上传数据。" in [i.value for i in leader.info]  # leaders view, never write

    reviewer = login(url, "shenhe")
    expander(reviewer, batch_id).button[0].click().run()
    assert status_of(engine, batch_id)[:2] == ("approved", "shenhe")
