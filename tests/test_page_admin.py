"""The administration page (AppTest on a copy of the sample database): only administrators get in;
accounts are created, disabled and reset from it; the plan's editors show what is stored; the
audit log tab lists each change with before and after."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from data_access import audit
from data_access.kpis import queries, tables
from data_access.plan import allocations, edits
from data_access.accounts import auth
from data_access.schema.accounts import User
from tests.apptest_support import ROOT, open_page
from tests import test_access_control as ac
from tests.test_access_control import PW, XINHUA, _sign_in_by_cookie

db = ac.db  # the fixture: a copy of the sample database with four accounts

TABS = ["账号", "目标", "计划曲线", "区县分配", "里程碑", "新计划年度", "审计日志"]


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


def _edit(at, key: str, rows: dict) -> None:
    """Seed a keyed data editor's edit state (row position -> {column: value}) and rerun."""
    at.session_state[key] = {"edited_rows": rows, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception, [e.value for e in at.exception]


def test_edit_a_curve_then_see_where_allocations_do_not_add_up(db, monkeypatch):
    """The sample's T01 curve is 12, 6, 6, 9, 12, 7, 5, 5, 9, 11, 7, 11 (per cent a month; cumulative
    0.12, 0.18, … 1.0 in sample_data/output/targets.csv); its 1,000 场次 are allocated in full
    (the 13 allocations of allocations.csv sum to 1,000)."""
    at = _admin_page(db, monkeypatch, tab="计划曲线")
    shown = at.dataframe[0].value.set_index("code")
    assert list(shown.loc["T01", [f"m{i:02d}" for i in range(1, 13)]]) == [12, 6, 6, 9, 12, 7, 5, 5, 9, 11, 7, 11]
    assert shown.loc["T02", "m01":"m12"].isna().all()  # linear
    config = json.loads(at.dataframe[0].proto.columns)
    assert config["m03"]["label"] == "3月（%）"
    _edit(at, "admin_curves_2023_0", {0: {"m01": 20}})  # 12 -> 20: the year sums to 108%
    assert at.error[0].value == "以下计划曲线不能保存："
    assert "目标 T01 的计划曲线：12个月合计 108%，比 100% 多 8 个百分点" in [x.value for x in at.text]
    assert at.button(key="admin_curves_save").disabled
    _edit(at, "admin_curves_2023_0", {0: {"m01": 4, "m02": 14}})  # 8 points moved to February: 100%
    assert not at.error and not at.button(key="admin_curves_save").disabled
    at.button(key="admin_curves_save").click().run()
    assert at.success[0].value == "已保存 1 处修改。"
    curve = queries.targets(db[1], 2023).set_index("target_code").at["T01", "pace_curve"]
    assert curve == pytest.approx([0.04, 0.18, 0.24, 0.33, 0.45, 0.52, 0.57, 0.62, 0.71, 0.82, 0.89, 1.0])
    # the figures of 31 January run to Friday 27 January: 27/31 of January's 4% of 1,000 场次 expected
    row = tables.target_overview(db[1], 2023, dt.date(2023, 1, 31)).set_index("target_code").loc["T01"]
    assert row["runs_to"] == dt.date(2023, 1, 27)
    assert row["expected"] == pytest.approx(1000 * 0.04 * 27 / 31)  # 34.8 (on the old curve's 12%: 104.5)

    at.session_state["admin_tab"] = "目标"
    at.run()
    assert at.caption[1].value.startswith("各目标的区县分配合计与目标值一致")  # the stored plan adds up
    _edit(at, "admin_targets_2023_1", {0: {"value": 1200}})  # T01 raised to 1,200, not yet saved
    assert at.warning[0].value == "以下目标的区县分配与目标值不一致（保存前请核对）："
    gaps = at.dataframe[1].value
    assert gaps.to_dict("records") == [{"目标": "T01", "名称": "群众性文化活动（千场文化活动进基层）",
                                        "目标值": "1,200场次", "分配合计": "1,000场次",
                                        "差额（分配−目标）": "−200场次", "未分配单位": "—"}]
    assert at.button(key="admin_targets_save").disabled  # asks first
    assert edits.targets_for_edit(db[1], 2023).set_index("code").at["T01", "value"] == 1000  # nothing saved
    at.checkbox(key="admin_targets_gaps_1").check().run()
    at.button(key="admin_targets_save").click().run()
    assert at.success[0].value == "已保存 1 处修改。"
    assert edits.targets_for_edit(db[1], 2023).set_index("code").at["T01", "value"] == 1200

    at.session_state["admin_tab"] = "区县分配"  # the allocation tab says the same before a change
    at.run()
    assert at.dataframe[1].value.iloc[0]["差额（分配−目标）"] == "−200场次"
    assert at.button(key="admin_alloc_save").disabled


def test_add_and_retire_a_target_from_the_page(db, monkeypatch):
    at = _admin_page(db, monkeypatch, tab="目标")
    at.text_input(key="admin_nt_code").input("t12")
    at.selectbox(key="admin_nt_project").set_value("P4")
    at.text_input(key="admin_nt_name_zh").input("职工书屋")
    at.text_input(key="admin_nt_name_en").input("Workers' libraries")
    at.text_input(key="admin_nt_unit_zh").input("家")
    at.text_input(key="admin_nt_unit_en").input("libraries")
    at.number_input(key="admin_nt_value").set_value(20)
    at.button(key="admin_nt_submit").click().run()
    assert not at.exception and not at.error
    assert at.success[0].value == "已添加 T12。"
    overview = tables.target_overview(db[1], 2023, dt.date(2023, 6, 30)).set_index("target_code")
    assert (overview.at["T12", "project_code"], overview.at["T12", "target"], overview.at["T12", "actual"]) == \
        ("P4", 20.0, 0.0)
    gaps = at.dataframe[1].value  # a new target has no allocation: every county and zone is missing
    assert gaps.iloc[0]["目标"] == "T12" and gaps.iloc[0]["分配合计"] == "0家"
    assert gaps.iloc[0]["未分配单位"].startswith("新华区、卫东区")
    at.selectbox(key="admin_retire_target").set_value("T12").run()
    at.button(key="admin_retire_target_go").click().run()
    assert at.success[0].value == "已将 T12 移出 2023 年计划。"
    assert "T12" not in list(queries.targets(db[1], 2023)["target_code"])
    log = audit.entries(db[1], limit=2)
    assert list(log["action"]) == ["retire", "create"] and list(log["entity_id"]) == ["2023/T12", "2023/T12"]
    at.session_state["admin_tab"] = "审计日志"
    at.run()
    top = at.dataframe[0].value.head(2)
    assert list(top["操作"]) == ["移出计划", "新建"] and top.iloc[0]["变更内容"] == "已停用：否 → 是"


def test_plan_curves_in_english(db, monkeypatch):
    """Opened straight on the tab: AppTest formats the accounts tab's role choices outside the
    script (in Chinese), so the English page is not switched to from there."""
    monkeypatch.setenv("KPI_AUTH_MODE", "builtin")
    _sign_in_by_cookie(monkeypatch, db[1], "root")
    at = open_page(db[0], None, {"lang": "en"})
    at.session_state["admin_tab"] = "Plan curves"
    at.switch_page(str(ROOT / "pages" / "admin.py"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [tab.label for tab in at.tabs][:3] == ["Accounts", "Targets", "Plan curves"]
    assert json.loads(at.dataframe[0].proto.columns)["m03"]["label"] == "March (%)"
    _edit(at, "admin_curves_2023_0", {1: {"m05": -5}})  # T02 is linear: one month filled, the rest blank
    assert at.error[0].value == "These plan curves cannot be saved:"
    assert "Target T02 plan curve: January is blank (leave all twelve blank for an even pace over the year)" in \
        [x.value for x in at.text]
