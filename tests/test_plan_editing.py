"""Next year's plan without code (data_access/plan/: curves, allocation_check, retire, edits): plan
curves as 12 monthly shares checked to sum to 100%, where allocations do not add up to the target,
projects and targets added and retired. On SQLite, PostgreSQL and MariaDB, each change compared
with the database before it; refused changes leave it as it was. Every expected value is worked out
by hand from tests/tiny_data.py (T01 100 = A 60 + B 40, T06 4, T07 10, T09 5, T11 1000; units A, B
counties, C 市总本级)."""
from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from sqlalchemy import select

from data_access import audit, data_version
from data_access.accounts import identity
from data_access.accounts.permissions import PermissionDenied
from data_access.errors import DataAccessError
from data_access.kpis import queries, tables
from data_access.plan import allocation_check, allocations, curves, edits, retire, years
from data_access.reporting.context import load_context
from data_access.reporting.kinds.progress import KIND as PROGRESS
from data_access.schema import accounts as roles
from data_access.schema.models import Allocation, AuditLog, PlanYear, Project, Target
from tests.tiny_data import A, B, C, CHILDCARE_CURVE

ROOT = identity.AuthUser("root", "Root", roles.ROLE_ADMIN)
CLERK = identity.AuthUser("lu", "鲁山填报", roles.ROLE_REPORTER, unit_code=B)  # a county clerk
TEN_THEN_FIVE = [10, 10, 10, 10, 10, 10, 10, 10, 5, 5, 5, 5]  # per cent a month
TEN_THEN_FIVE_CUM = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0]


def snapshot(engine) -> dict[str, list[tuple]]:
    """Every row of the plan's tables, the audit log and the data version, sorted: the database
    as compared before and after a change."""
    out = {}
    with engine.connect() as conn:
        for name, table in (("plan_years", PlanYear), ("projects", Project), ("targets", Target),
                            ("allocations", Allocation), ("audit_log", AuditLog)):
            rows = conn.execute(select(table)).all()
            out[name] = sorted((tuple(json.dumps(v) if isinstance(v, list) else v for v in r) for r in rows),
                               key=repr)
    out["version"] = [(data_version.current(engine),)]
    return out


def _log(engine) -> list[tuple]:
    df = audit.entries(engine).sort_values("id")
    return [(r["action"], r["entity"], r["entity_id"], json.loads(r["before"]) if r["before"] else None,
             json.loads(r["after"]) if r["after"] else None) for r in df.to_dict("records")]


def _curve(engine, year, code):
    tg = queries.targets(engine, year).set_index("target_code")
    return tg.at[code, "pace_curve"]


# ---------------------------------------------------------------------------------------------
# plan curves: the rule (pure)


def test_monthly_shares_become_the_stored_cumulative_curve():
    assert curves.curve_from_shares("T01", TEN_THEN_FIVE) == pytest.approx(TEN_THEN_FIVE_CUM)
    assert curves.curve_from_shares("T01", TEN_THEN_FIVE)[-1] == 1.0
    # 8.33 × 11 + 8.37 = 100 exactly in decimals, not in floating point: accepted, ends at 1.0
    thirds = curves.curve_from_shares("T02", [8.33] * 11 + [8.37])
    assert thirds[0] == pytest.approx(0.0833) and thirds[10] == pytest.approx(0.9163) and thirds[-1] == 1.0
    assert curves.curve_from_shares("T01", [None] * 12) is None  # twelve blanks: linear
    assert curves.curve_from_shares("T01", [float("nan")] * 12) is None
    # tiny's T06 curve back as shares: 25% in June, 50% in July, 25% in August
    assert curves.shares_from_curve(CHILDCARE_CURVE) == [0, 0, 0, 0, 0, 25, 50, 25, 0, 0, 0, 0]
    assert curves.shares_from_curve([0.12, 0.18, 0.24, 0.33, 0.45, 0.52, 0.57, 0.62, 0.71, 0.82, 0.89, 1.0]) == \
        [12, 6, 6, 9, 12, 7, 5, 5, 9, 11, 7, 11]  # the sample's T01 (6, not 5.999999999999998)
    assert curves.shares_from_curve(None) is None


@pytest.mark.parametrize("shares, zh, en", [
    ([10] * 7 + [8, 5, 5, 5, 5], "目标 T01 的计划曲线：12个月合计 98%，比 100% 少 2 个百分点",
     "Target T01 plan curve: the twelve shares sum to 98%, 2 percentage points short of 100%"),
    ([10] * 8 + [5, 5, 5, 8.5], "目标 T01 的计划曲线：12个月合计 103.5%，比 100% 多 3.5 个百分点",
     "Target T01 plan curve: the twelve shares sum to 103.5%, 3.5 percentage points over 100%"),
    ([10, 10, 10, 10, -2, 22, 10, 10, 5, 5, 5, 5], "目标 T01 的计划曲线：5月占比 -2% 不能为负",
     "Target T01 plan curve: May has -2%, which must not be negative"),
    ([10, 10, None, 10, 10, 10, 10, 10, 5, 5, 5, 15], "目标 T01 的计划曲线：3月未填写（12个月全部留空表示按天均匀推进）",
     "Target T01 plan curve: March is blank (leave all twelve blank for an even pace over the year)"),
    ([10, 10, 10, 10, 10, 10, 10, 10, 5, 5, 5, "五"], "目标 T01 的计划曲线：12月“五”不是数字",
     "Target T01 plan curve: December “五” is not a number"),
    ([10] * 10, "目标 T01 的计划曲线须有 12 个月的占比，现有 10 个",
     "Target T01 plan curve: needs 12 monthly shares, got 10"),
])
def test_a_wrong_curve_says_which_month_or_by_how_much(shares, zh, en):
    with pytest.raises(DataAccessError) as err:
        curves.curve_from_shares("T01", shares)
    assert (err.value.message_zh, err.value.message_en) == (zh, en)


# ---------------------------------------------------------------------------------------------
# plan curves in the database


def test_a_curve_edited_as_shares_drives_the_pace(tiny):
    shown = curves.curves_for_edit(tiny, 2023).set_index("code")
    assert list(shown.index) == ["T01", "T06", "T07", "T09", "T11"]
    assert shown.loc["T01", list(curves.MONTH_COLUMNS)].isna().all()  # linear: blank
    assert list(shown.loc["T06", list(curves.MONTH_COLUMNS)]) == [0, 0, 0, 0, 0, 25, 50, 25, 0, 0, 0, 0]
    day = dt.date(2023, 6, 30)
    before = tables.target_overview(tiny, 2023, day).set_index("target_code")
    assert before.at["T01", "fraction"] == pytest.approx(181 / 365)  # linear: 181 of 365 days
    v0 = data_version.current(tiny)
    edited = curves.curves_for_edit(tiny, 2023)
    edited.loc[edited["code"] == "T01", list(curves.MONTH_COLUMNS)] = TEN_THEN_FIVE
    edited.loc[edited["code"] == "T06", list(curves.MONTH_COLUMNS)] = float("nan")  # back to linear
    assert curves.save_curves(tiny, ROOT, 2023, edited) == 2
    assert curves.save_curves(tiny, ROOT, 2023, edited) == 0  # nothing new, nothing written
    assert data_version.current(tiny) == v0 + 1  # one transaction, one new version
    assert _curve(tiny, 2023, "T01") == pytest.approx(TEN_THEN_FIVE_CUM)
    assert _curve(tiny, 2023, "T06") is None
    after = tables.target_overview(tiny, 2023, day).set_index("target_code")
    assert after.at["T01", "fraction"] == pytest.approx(0.6)  # end of June on the new curve
    assert after.at["T01", "expected"] == pytest.approx(60.0)  # 60% of 100 场次
    assert after.at["T06", "fraction"] == pytest.approx(181 / 365)
    log = _log(tiny)
    assert [e[:3] for e in log] == [("update", "targets", "2023/T01"), ("update", "targets", "2023/T06")]
    assert log[0][3] == {"pace_curve": None} and log[0][4]["pace_curve"] == pytest.approx(TEN_THEN_FIVE_CUM)
    assert log[1][3] == {"pace_curve": CHILDCARE_CURVE} and log[1][4] == {"pace_curve": None}


def test_one_wrong_curve_leaves_every_curve_as_it_was(tiny):
    edited = curves.curves_for_edit(tiny, 2023)
    edited.loc[edited["code"] == "T01", list(curves.MONTH_COLUMNS)] = TEN_THEN_FIVE  # fine
    edited.loc[edited["code"] == "T06", "m07"] = 40.0  # 25 + 40 + 25 = 90
    assert curves.curve_problems(edited) == {"T06": (
        "目标 T06 的计划曲线：12个月合计 90%，比 100% 少 10 个百分点",
        "Target T06 plan curve: the twelve shares sum to 90%, 10 percentage points short of 100%")}
    before = snapshot(tiny)
    with pytest.raises(DataAccessError, match="少 10 个百分点"):
        curves.save_curves(tiny, ROOT, 2023, edited)
    with pytest.raises(DataAccessError, match="5月占比 -1% 不能为负"):
        curves.set_curve(tiny, ROOT, 2023, "T01", [10, 10, 10, 10, -1, 21, 10, 10, 5, 5, 5, 5])
    assert snapshot(tiny) == before


# ---------------------------------------------------------------------------------------------
# where the allocations do not add up (pure)


def test_allocation_gaps_by_hand():
    targets = pd.DataFrame({"code": ["T01", "T07", "T09", "T11", "T12"],
                            "value": [1200, 10, 5, 1000, 7]})
    matrix = pd.DataFrame({"unit_code": [A, B, C],
                           "T01": [600, 400, None],  # the issue: raised to 1,200, still 1,000 allocated
                           "T07": [6, None, None],  # B has no allocation
                           "T09": [5, 0, None],  # B's explicit 0 is an allocation: adds up
                           "T11": [600, 500, None]})  # 100 more than the target; no column for T12
    gaps = allocation_check.allocation_gaps(targets, matrix, [A, B])
    assert gaps.to_dict("records") == [
        {"target_code": "T01", "target": 1200.0, "allocated": 1000.0, "difference": -200.0, "missing_units": ()},
        {"target_code": "T07", "target": 10.0, "allocated": 6.0, "difference": -4.0, "missing_units": (B,)},
        {"target_code": "T11", "target": 1000.0, "allocated": 1100.0, "difference": 100.0, "missing_units": ()},
        {"target_code": "T12", "target": 7.0, "allocated": 0.0, "difference": -7.0, "missing_units": (A, B)},
    ]
    # a unit with no allocation is a finding even when the others add up to the target
    one_missing = pd.DataFrame({"unit_code": [A, B], "T07": [10, float("nan")]})
    assert allocation_check.allocation_gaps(targets[targets["code"] == "T07"], one_missing, [A, B]) \
        .to_dict("records") == [{"target_code": "T07", "target": 10.0, "allocated": 10.0, "difference": 0.0,
                                 "missing_units": (B,)}]
    # 0.1 + 0.2 of 0.3 adds up (float rounding is no gap)
    tenths = pd.DataFrame({"unit_code": [A, B], "T08": [0.1, 0.2]})
    assert allocation_check.allocation_gaps(pd.DataFrame({"code": ["T08"], "value": [0.3]}), tenths, [A, B]).empty


def test_allocation_gaps_on_the_stored_plan(tiny):
    assert allocation_check.share_units(tiny) == [A, B]  # the counties; not 市总本级
    targets, matrix = edits.targets_for_edit(tiny, 2023), allocations.allocation_matrix(tiny, 2023)
    assert allocation_check.allocation_gaps(targets, matrix, [A, B]).empty  # tiny's plan adds up
    edited = targets.copy()
    edited.loc[edited["code"] == "T01", "value"] = 120  # before saving: the page's check
    gaps = allocation_check.allocation_gaps(edited, matrix, [A, B])
    assert gaps.to_dict("records") == [{"target_code": "T01", "target": 120.0, "allocated": 100.0,
                                        "difference": -20.0, "missing_units": ()}]


# ---------------------------------------------------------------------------------------------
# adding and retiring projects and targets


def test_an_added_project_and_target_show_on_the_overview(tiny):
    edits.create_project(tiny, ROOT, 2023, "p6", name_zh="新项目")
    edits.create_target(tiny, ROOT, 2023, "t12", "P6", name_zh="职工书屋", name_en="Workers' libraries",
                        unit_zh="家", unit_en="libraries", value=7)
    allocations.set_allocation(tiny, ROOT, 2023, "T12", A, 4)
    assert list(queries.projects(tiny, 2023)["code"]) == ["P1", "P4", "P5", "P6"]
    overview = tables.target_overview(tiny, 2023, dt.date(2023, 1, 20)).set_index("target_code")
    assert list(overview.index) == ["T01", "T06", "T07", "T09", "T11", "T12"]
    row = overview.loc["T12"]
    assert (row["project_code"], row["name_zh"], row["target"], row["actual"]) == ("P6", "职工书屋", 7.0, 0.0)
    gaps = allocation_check.allocation_gaps(edits.targets_for_edit(tiny, 2023),
                                            allocations.allocation_matrix(tiny, 2023), [A, B])
    assert gaps.to_dict("records") == [{"target_code": "T12", "target": 7.0, "allocated": 4.0,
                                        "difference": -3.0, "missing_units": (B,)}]
    log = _log(tiny)
    assert [e[:3] for e in log] == [("create", "projects", "2023/P6"), ("create", "targets", "2023/T12"),
                                    ("create", "allocations", f"2023/T12/{A}")]
    assert log[0][4] == {"year": 2023, "code": "P6", "name_zh": "新项目", "name_en": "新项目", "sort_order": 6}
    assert log[1][4]["sort_order"] == 12 and log[1][4]["project_code"] == "P6"  # after T11 (sort 11)


def test_refused_additions_leave_the_database_unchanged(tiny):
    before = snapshot(tiny)
    cases = [
        (lambda: edits.create_project(tiny, ROOT, 2023, "P1", name_zh="x"), "2023年已有项目 P1"),
        (lambda: edits.create_project(tiny, ROOT, 2023, "P6", name_zh=" "), "项目 P6 的名称不能为空"),
        (lambda: edits.create_target(tiny, ROOT, 2023, "T12", "P9", name_zh="x", name_en="x", unit_zh="家",
                                     unit_en="u", value=1), "2023年没有项目 P9"),
        (lambda: edits.create_target(tiny, ROOT, 2023, "T12", "P5", name_zh="x", name_en="x", unit_zh="家",
                                     unit_en="u", value=1, parent_code="T99"), "2023年没有上级目标 T99"),
        (lambda: edits.create_target(tiny, ROOT, 2023, "T12", "P5", name_zh="x", name_en="x", unit_zh="",
                                     unit_en="u", value=1), "目标 T12 的 unit_zh 不能为空"),
        (lambda: edits.create_target(tiny, ROOT, 2024, "T12", "P5", name_zh="x", name_en="x", unit_zh="家",
                                     unit_en="u", value=1), "计划年度 2024 不存在"),
    ]
    for call, message in cases:
        with pytest.raises(DataAccessError, match=message):
            call()
    assert snapshot(tiny) == before


def test_a_retired_target_leaves_its_year_and_keeps_its_history(tiny):
    years.copy_plan_year(tiny, ROOT, 2023, 2024)
    v0 = data_version.current(tiny)
    retire.retire_target(tiny, ROOT, 2024, "T01")
    assert data_version.current(tiny) == v0 + 1
    assert list(queries.targets(tiny, 2024)["target_code"]) == ["T06", "T07", "T09", "T11"]
    assert list(tables.target_overview(tiny, 2024, dt.date(2024, 3, 1))["target_code"]) == \
        ["T06", "T07", "T09", "T11"]
    assert "T01" not in allocations.allocation_matrix(tiny, 2024).columns
    assert "T01" not in list(edits.targets_for_edit(tiny, 2024)["code"])
    with tiny.connect() as conn:  # no template row and no upload against it
        assert [r.code for r in PROGRESS._targets(conn, 2024)] == []
        assert [r.code for r in PROGRESS._targets(conn, 2023)] == ["T01"]
        assert "T01" not in load_context(conn, dt.datetime(2024, 3, 1, 9), 2024, None).targets
        kept = conn.execute(select(Allocation.unit_code, Allocation.value).join(Target, Target.id == Allocation.target_id)
                            .where(Target.year == 2024, Target.code == "T01").order_by(Allocation.unit_code)).all()
    assert [tuple(r) for r in kept] == [(A, 60.0), (B, 40.0)]  # its rows stay
    # 2023 untouched: T01 with its figures (A 5 + 9, B 3 + 2 known on 20 January)
    overview23 = tables.target_overview(tiny, 2023, dt.date(2023, 1, 20)).set_index("target_code")
    assert overview23.at["T01", "actual"] == 19.0 and overview23.at["T01", "target"] == 100.0
    # editing it is refused until it is restored
    with pytest.raises(DataAccessError, match="目标 T01 已停用，恢复后才能修改"):
        edits.update_target(tiny, ROOT, 2024, "T01", value=5)
    with pytest.raises(DataAccessError, match="2024年没有目标 T01"):
        allocations.set_allocation(tiny, ROOT, 2024, "T01", A, 5)
    # a copy of 2024 leaves it behind, with its allocations
    assert years.copy_plan_year(tiny, ROOT, 2024, 2025) == {"projects": 3, "targets": 4, "allocations": 8,
                                                            "milestones": 1}
    retire.restore_target(tiny, ROOT, 2024, "T01")
    assert list(queries.targets(tiny, 2024)["target_code"]) == ["T01", "T06", "T07", "T09", "T11"]
    assert allocations.allocation_matrix(tiny, 2024).set_index("unit_code").at[A, "T01"] == 60.0
    assert [e[:5] for e in _log(tiny) if e[0] in ("retire", "restore")] == [
        ("retire", "targets", "2024/T01", {"retired": False}, {"retired": True}),
        ("restore", "targets", "2024/T01", {"retired": True}, {"retired": False})]


def test_retiring_a_project_and_its_rules(tiny):
    before = snapshot(tiny)
    with pytest.raises(DataAccessError, match="项目 P4 下还有目标 T06、T07，请先停用这些目标"):
        retire.retire_project(tiny, ROOT, 2023, "P4")
    with pytest.raises(DataAccessError, match="2023年没有目标 T99"):
        retire.retire_target(tiny, ROOT, 2023, "T99")
    with pytest.raises(DataAccessError, match="目标 T07 未停用"):
        retire.restore_target(tiny, ROOT, 2023, "T07")
    assert snapshot(tiny) == before
    retire.retire_target(tiny, ROOT, 2023, "T06")
    retire.retire_target(tiny, ROOT, 2023, "T07")
    retire.retire_project(tiny, ROOT, 2023, "P4")
    assert list(queries.projects(tiny, 2023)["code"]) == ["P1", "P5"]
    assert list(queries.targets(tiny, 2023)["target_code"]) == ["T01", "T09", "T11"]
    with pytest.raises(DataAccessError, match="项目 P4 已停用，请先恢复项目"):
        retire.restore_target(tiny, ROOT, 2023, "T06")
    with pytest.raises(DataAccessError, match="项目 P4 已停用"):
        edits.create_target(tiny, ROOT, 2023, "T12", "P4", name_zh="x", name_en="x", unit_zh="家",
                            unit_en="u", value=1)
    rows = retire.plan_rows(tiny, 2023)
    assert rows[rows["retired"]][["kind", "code"]].values.tolist() == [
        ["project", "P4"], ["target", "T06"], ["target", "T07"]]
    retire.restore_project(tiny, ROOT, 2023, "P4")
    retire.restore_target(tiny, ROOT, 2023, "T06")
    assert list(queries.targets(tiny, 2023)["target_code"]) == ["T01", "T06", "T09", "T11"]


def test_a_part_target_must_be_retired_before_its_whole(tiny):
    edits.create_target(tiny, ROOT, 2023, "T12", "P5", name_zh="其中", name_en="of which", unit_zh="人",
                        unit_en="people", value=10, parent_code="T11")
    with pytest.raises(DataAccessError, match="目标 T11 下还有 T12，请先停用"):
        retire.retire_target(tiny, ROOT, 2023, "T11")
    retire.retire_target(tiny, ROOT, 2023, "T12")
    retire.retire_target(tiny, ROOT, 2023, "T11")
    assert list(queries.targets(tiny, 2023)["target_code"]) == ["T01", "T06", "T07", "T09"]


# ---------------------------------------------------------------------------------------------
# who may


@pytest.mark.parametrize("user, message", [
    (CLERK, "账号“lu”（区县填报员）无权进行此操作，需要：管理员"),
    (identity.AuthUser("boss", "领导", roles.ROLE_LEADER), "账号“boss”（领导）无权进行此操作，需要：管理员"),
    (None, "未登录，无权操作")], ids=["county_clerk", "leader", "signed_out"])
def test_a_county_clerk_is_refused_in_the_data_layer(tiny, user, message):
    before = snapshot(tiny)
    edited = curves.curves_for_edit(tiny, 2023)
    edited.loc[0, list(curves.MONTH_COLUMNS)] = TEN_THEN_FIVE
    calls = [lambda: curves.set_curve(tiny, user, 2023, "T01", TEN_THEN_FIVE),
             lambda: curves.save_curves(tiny, user, 2023, edited),
             lambda: edits.create_project(tiny, user, 2023, "P6", name_zh="x"),
             lambda: edits.create_target(tiny, user, 2023, "T12", "P5", name_zh="x", name_en="x", unit_zh="家",
                                         unit_en="u", value=1),
             lambda: retire.retire_target(tiny, user, 2023, "T07"),
             lambda: retire.restore_target(tiny, user, 2023, "T07"),
             lambda: retire.retire_project(tiny, user, 2023, "P1"),
             lambda: retire.restore_project(tiny, user, 2023, "P1")]
    for call in calls:
        with pytest.raises(PermissionDenied, match=message):
            call()
    assert snapshot(tiny) == before


# ---------------------------------------------------------------------------------------------
# as the admin page shows them (dashboard/views/admin.py, pure)


def test_the_gap_table_and_a_curve_change_as_shown():
    from dashboard.views import admin as av

    targets = pd.DataFrame({"code": ["T01", "T10"], "name_zh": ["群众性文化活动", "新发展会员"],
                            "name_en": ["Cultural events", "New members"], "unit_zh": ["场次", "人"],
                            "value": [1200, 150000]})
    gaps = pd.DataFrame([
        {"target_code": "T01", "target": 1200.0, "allocated": 1000.0, "difference": -200.0, "missing_units": ()},
        {"target_code": "T10", "target": 150000.0, "allocated": 160000.0, "difference": 10000.0,
         "missing_units": (A, B)}])
    names = {A: "新华区", B: "鲁山县"}
    assert av.gap_table(gaps, targets, names, "zh").values.tolist() == [
        ["T01", "群众性文化活动", "1,200场次", "1,000场次", "−200场次", "—"],
        ["T10", "新发展会员", "15万人", "16万人", "+1万人", "新华区、鲁山县"]]
    en = av.gap_table(gaps, targets, {A: "Xinhua", B: "Lushan"}, "en")
    assert list(en.columns) == ["Target", "Name", "Target value", "Allocated", "Difference (allocated − target)",
                                "Units without a share"]
    assert en.values.tolist()[1] == ["T10", "New members", "150,000 people", "160,000 people", "+10,000 people",
                                     "Xinhua, Lushan"]
    before, after = json.dumps({"pace_curve": None}), json.dumps({"pace_curve": TEN_THEN_FIVE_CUM})
    assert av.change_list(before, after, "zh") == \
        "计划曲线：按天均匀 → 10%、10%、10%、10%、10%、10%、10%、10%、5%、5%、5%、5%"
    assert av.change_list(after, before, "en") == \
        "Plan curve: 10%, 10%, 10%, 10%, 10%, 10%, 10%, 10%, 5%, 5%, 5%, 5% → even over the year"
    assert (av.action_word("retire", "zh"), av.entity_word("projects", "en")) == ("移出计划", "Projects")
