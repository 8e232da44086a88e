"""The administration page (AppTest on a copy of the sample database): only administrators get in;
accounts are created, disabled and reset from it; the plan's editors show what is stored; the
audit log tab lists each change with before and after."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from data_access import audit
from data_access.plan import allocations, edits
from data_access.accounts import auth
from data_access.schema.accounts import User
from tests.apptest_support import open_page
from tests import test_access_control as ac
from tests.test_access_control import PW, XINHUA, _sign_in_by_cookie

db = ac.db  # the fixture: a copy of the sample database with four accounts

TABS = ["账号", "目标", "区县分配", "里程碑", "新计划年度", "审计日志"]


def _admin_page(db, monkeypatch, who="root", tab=None):
    monkeypatch.setenv("KPI_AUTH_MODE", "builtin")
    _sign_in_by_cookie(monkeypatch, db[1], who)
    at = open_page(db[0], "admin.py")
    if tab is not None:
        at.session_state["admin_tab"] = tab
        at.run()
    return at


@pytest.mark.parametrize("who", ["boss", "lu", "wang"])
def test_only_administrators_open_the_page(db, monkeypatch, who):
    at = _admin_page(db, monkeypatch, who)
    assert len(at.error) == 1 and at.error[0].value.endswith("无权进行此操作，需要：管理员")
    assert not at.tabs and not at.dataframe


def test_accounts_tab_lists_and_creates_accounts(db, monkeypatch):
    at = _admin_page(db, monkeypatch)
    assert [tab.label for tab in at.tabs] == TABS
    table = at.dataframe[0].value
    assert list(table["username"]) == ["boss", "lu", "root", "wang"]
    assert list(table["role"]) == ["领导", "区县填报员", "管理员", "区县填报员"]
    assert table.set_index("username").loc["lu", "unit_code"] == "鲁山县"
    at.text_input(key="admin_nu_name").input("Zhao")
    at.text_input(key="admin_nu_display").input("赵<b>审核</b>")
    at.selectbox(key="admin_nu_role").set_value("reviewer")
    at.button(key="admin_nu_submit").click().run()
    assert not at.exception and not at.error
    assert at.success[0].value.startswith("已创建账号 zhao。初始密码")
    initial = at.code[0].value
    assert len(initial) == 12
    with db[1].connect() as conn:
        row = conn.execute(select(User).where(User.username == "zhao")).one()
    assert row.role == "reviewer" and row.display_name == "赵<b>审核</b>" and row.must_change_password
    assert row.password_hash.startswith("$argon2id$") and initial not in row.password_hash
    login = auth.login(db[1], "zhao", initial)
    assert login.user.must_change_password
    (entry,) = audit.entries(db[1], entity="users").query("entity_id == 'zhao'").to_dict("records")
    assert entry["actor"] == "root" and entry["action"] == "create"
    assert json.loads(entry["after"])["role"] == "reviewer"
    at.run()  # the password is shown once only
    assert not at.code


def test_disable_and_reset_from_the_page(db, monkeypatch):
    lu_login = auth.login(db[1], "lu", PW)
    at = _admin_page(db, monkeypatch)
    at.selectbox(key="admin_mu_user").set_value("lu").run()
    at.button(key="admin_mu_disable").click().run()
    assert at.success[0].value == "停用：lu"
    assert auth.check_session(db[1], lu_login.session_id) is None  # the county's login ended
    assert at.dataframe[0].value.set_index("username").loc["lu", "active"] == False  # noqa: E712
    at.selectbox(key="admin_mu_user").set_value("lu").run()
    at.button(key="admin_mu_reset").click().run()
    new_pw = at.code[0].value
    at.button(key="admin_mu_enable").click().run()
    assert auth.login(db[1], "lu", new_pw).user.must_change_password
    actions = audit.entries(db[1], entity="users").query("entity_id == 'lu'")["action"].tolist()
    assert actions[:3] == ["enable", "reset_password", "disable"]  # newest first


def test_an_administrator_cannot_lock_themselves_out(db, monkeypatch):
    at = _admin_page(db, monkeypatch)
    at.selectbox(key="admin_mu_user").set_value("root").run()
    at.button(key="admin_mu_disable").click().run()
    assert at.error[0].value == "不能停用自己的账号或取消自己的管理员角色"
    assert auth.load_user(db[1], "root").role == "admin"


def test_plan_editors_show_the_stored_plan(db, monkeypatch):
    at = _admin_page(db, monkeypatch, tab="目标")
    shown = at.dataframe[0].value
    stored = edits.targets_for_edit(db[1], 2023)
    assert list(shown["code"]) == list(stored["code"]) == [f"T{i:02d}" for i in range(1, 12)]
    assert shown.set_index("code").loc["T10", "value"] == 150000
    at.session_state["admin_tab"] = "区县分配"
    at.run()
    matrix = at.dataframe[0].value
    assert len(matrix) == 13 and matrix.set_index("unit_code").loc[XINHUA, "T01"] == \
        allocations.allocation_matrix(db[1], 2023).set_index("unit_code").loc[XINHUA, "T01"]
    at.session_state["admin_tab"] = "里程碑"
    at.run()
    assert len(at.dataframe[0].value) == len(edits.milestones_for_edit(db[1], 2023)) == 6


def test_audit_tab_shows_each_change_with_before_and_after(db, monkeypatch):
    """Chinese column titles, action and object in words, before/after as a change list (not JSON)."""
    root = auth.load_user(db[1], "root")
    edits.update_target(db[1], root, 2023, "T02", value=120)
    allocations.set_allocation(db[1], root, 2023, "T01", XINHUA, None)
    stored = audit.entries(db[1], limit=2)
    assert json.loads(stored.iloc[1]["before"]) == {"value": 100.0}
    assert json.loads(stored.iloc[1]["after"]) == {"value": 120.0}
    at = _admin_page(db, monkeypatch, tab="审计日志")
    log = at.dataframe[0].value
    assert list(log.columns) == ["序号", "时间", "操作人", "操作", "对象", "对象编号", "变更内容"]
    top = log.head(2)
    assert list(top["对象编号"]) == [f"2023/T01/{XINHUA}", "2023/T02"]
    assert list(top["操作人"]) == ["root", "root"]
    assert top.iloc[1]["操作"] == "修改" and top.iloc[1]["对象"] == "目标"
    assert top.iloc[1]["变更内容"] == "目标值：100 → 120"
    assert top.iloc[0]["对象"] == "区县分配" and "→ （空）" in top.iloc[0]["变更内容"]
    assert not [c for c in log["变更内容"] if "{" in c or "null" in c or "None" in c]
    assert [b.label for b in at.get("download_button")] == ["下载 CSV", "下载 Excel"]
    at.selectbox(key="admin_audit_entity").set_value("targets").run()
    assert list(at.dataframe[0].value["对象"].unique()) == ["目标"]


def test_audit_log_in_english(db):
    """The same table in English (dashboard/views/admin.audit_table, what the tab shows)."""
    from dashboard.views import admin as av

    root = auth.load_user(db[1], "root")
    edits.update_target(db[1], root, 2023, "T03", value=6100)
    log = av.audit_table(audit.entries(db[1], limit=5), "en")
    assert list(log.columns) == ["No.", "Time", "By", "Action", "Object", "Object id", "Change"]
    row = log.set_index("Object id").loc["2023/T03"]
    assert (row["Action"], row["Object"], row["Change"]) == ("Changed", "Targets", "Target value: 6,000 → 6,100")
    assert not [c for c in log["Change"] if any("\u4e00" <= ch <= "\u9fff" for ch in c)]


def test_plan_grids_have_titled_columns(db, monkeypatch):
    at = _admin_page(db, monkeypatch, tab="目标")
    config = json.loads(at.dataframe[0].proto.columns)
    assert config["code"]["label"] == "代码" and config["value"]["label"] == "目标值"
    at.session_state["admin_tab"] = "里程碑"
    at.run()
    config = json.loads(at.dataframe[0].proto.columns)
    assert config["due_date"]["label"] == "计划完成日期" and config["status"]["label"] == "状态"


def test_admin_page_is_in_the_menu_only_for_administrators():
    from dashboard.navigation import page_entries

    def visible(role):
        return [row[1] for row, shown in page_entries(role) if shown]

    assert "admin" in visible("admin") and "admin" in visible(None)
    for role in ("leader", "reporter", "reviewer"):
        assert "admin" not in visible(role) and "overview" in visible(role)
        assert "admin" in [row[1] for row, _ in page_entries(role)]  # still reachable: it refuses
