"""The weekly meeting's briefing on the tiny dataset (tests/tiny_data.py), every figure by hand.

Meeting of Fri 13 Jan 2023: the week is 7–13 Jan; "a week ago" is what was known at the end of
6 Jan. Known at the end of 13 Jan (cut-off 14 Jan 00:00):
- T01 (reported): A 5 (1–6 Jan) + 7 (7–13 Jan; the correction to 9 comes on 16 Jan) = 12;
  B 3 (1–6 Jan, recorded late on 9 Jan); B's 2 for 7–13 Jan is in a batch approved on 14 Jan:
  not yet. City 15. Known on 6 Jan: only A's 5. Change +10 (A +7, B +3: B's late report counts
  in the week it became known).
- T06 childcare classes: B's class opened 8 Jan -> 0 -> 1.
- T07 care stations: A's opened 5 Jan (both), A's opened 10 Jan (closed 15 Jan: standing on
  13 Jan); B's opened 12 Jan but recorded 14 Jan (not yet) -> 1 -> 2.
- T09 unions: A's founded 3 Jan, B's founded 11 Jan -> 1 -> 2.
- T11 membership: January is not complete on 13 Jan -> 0 -> 0.
Pace on 13 Jan: 13/365 of the year (T06's curve: 0 in January).
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import func, insert, select, update

from data_access.reporting import commit as importer
from data_access.kpis import metrics, queries, tables
from data_access.meeting import briefing, decisions, summary
from data_access.schema import models as m
from data_access.schema.decisions import DECISION_DONE, DECISION_IN_PROGRESS, DECISION_OPEN
from data_access.meeting.decisions import DecisionError
from data_access.accounts.identity import AuthUser
from tests.people import admin
from tests.helpers import FACILITY_HEAD, XINHUA_SEAT, frow, xlsx
from tests.tiny_data import A, B, C

D = dt.date
MEETING = D(2023, 1, 13)
SECRETARY = AuthUser("mishu", "秘书", "reviewer")
FRACTION = 13 / 365


def changes_of(b) -> dict[str, tuple[float, float, float]]:
    return {r.target_code: (r.actual_week_ago, r.actual, r.change) for r in b.changes.itertuples()}


def test_week_changes_city(tiny):
    b = briefing.build_briefing(tiny, 2023, MEETING)
    assert changes_of(b) == {
        "T01": (5.0, 15.0, 10.0), "T06": (0.0, 1.0, 1.0), "T07": (1.0, 2.0, 1.0),
        "T09": (1.0, 2.0, 1.0), "T11": (0.0, 0.0, 0.0),
    }
    # the same numbers as the overview's own columns
    ov = tables.target_overview(tiny, 2023, MEETING)
    assert list(b.changes["actual"]) == list(ov["actual"])
    assert b.week_start == D(2023, 1, 7)


def test_week_changes_by_unit_add_up(tiny):
    b = briefing.build_briefing(tiny, 2023, MEETING)
    cc = b.county_changes.set_index(["unit_code", "target_code"])["change"].to_dict()
    assert cc[(A, "T01")] == 7.0 and cc[(B, "T01")] == 3.0
    assert cc[(A, "T07")] == 1.0 and cc[(B, "T06")] == 1.0 and cc[(B, "T09")] == 1.0
    assert cc[(A, "T09")] == 0.0  # founded 3 Jan: known both weeks
    sums = b.county_changes.groupby("target_code")["change"].sum()
    for code, (_ago, _now, change) in changes_of(b).items():
        assert sums.get(code, 0.0) == change
    matrix = briefing.county_change_matrix(b.county_changes, b.overview)
    assert list(matrix.columns) == ["unit_name_zh", "T01", "T06", "T07", "T09", "T11"]
    assert matrix.iloc[0].tolist() == ["新华区", 7.0, 0.0, 1.0, 0.0, 0.0]
    assert matrix.iloc[1].tolist() == ["鲁山县", 3.0, 1.0, 0.0, 1.0, 0.0]


def test_week_changes_for_one_county(tiny):
    b = briefing.build_briefing(tiny, 2023, MEETING, [B])
    assert changes_of(b) == {
        "T01": (0.0, 3.0, 3.0), "T06": (0.0, 1.0, 1.0), "T07": (0.0, 0.0, 0.0),
        "T09": (0.0, 1.0, 1.0), "T11": (0.0, 0.0, 0.0),
    }
    assert b.scope() == "鲁山县"


def test_first_week_of_the_year_counts_from_zero(tiny):
    b = briefing.build_briefing(tiny, 2023, D(2023, 1, 6))  # a week earlier is last year
    assert changes_of(b)["T01"] == (0.0, 5.0, 5.0)
    assert changes_of(b)["T07"] == (0.0, 1.0, 1.0)


def test_a_correction_downwards_is_a_negative_change(tiny):
    with tiny.begin() as conn:
        conn.execute(insert(m.ProgressReport).values(
            target_id=1, unit_code=A, period_start=D(2023, 1, 1), period_end=D(2023, 1, 6), value=1,
            reporter="x", recorded_at=dt.datetime(2023, 1, 12, 9), batch_id=None))
    b = briefing.build_briefing(tiny, 2023, MEETING)
    # A's 1–6 Jan figure was corrected from 5 to 1 during the week: 5 -> 1 + 7 + B's 3 = 11
    assert changes_of(b)["T01"] == (5.0, 11.0, 6.0)
    assert "群众性文化活动6场次" in summary.summary(b)[1]


def test_behind_targets_and_units_with_required_rates(tiny):
    b = briefing.build_briefing(tiny, 2023, MEETING)
    # No target is behind on 13 Jan: T01, T07 and T09 are ahead, T06's curve expects nothing in
    # January, and T11 is 尚无数据: its first month (January) has not closed (#13; it used to be
    # listed as behind: 0 done against 1000 × 13/365 expected).
    assert list(b.behind_targets["target_code"]) == []
    t11 = b.overview.set_index("target_code").loc["T11"]
    assert t11["status"] == metrics.STATUS_NOT_STARTED
    # T11 still needs 1000 over the 352 days left: 1000 / (352/7) = 19.9 a week, rounded up to whole people
    assert t11["required_weekly"] == 20
    # per unit against allocations: only B on T07 (4, none known yet: B's station of 12 Jan is
    # recorded on the 14th); T11's pairs are 尚无数据, no longer behind
    pairs = list(zip(b.behind_counties["unit_code"], b.behind_counties["target_code"]))
    assert pairs == [(B, "T07")]
    rates = b.behind_counties.set_index(["unit_code", "target_code"])["required_weekly"]
    # 4 / (352/7) = 0.08 stations a week, rounded up to whole stations: 1 (was 0.08)
    assert rates[(B, "T07")] == 1
    per_unit = briefing.behind_by_unit(b.behind_counties)
    assert per_unit[["unit_code", "count", "targets"]].values.tolist() == [[B, 1, "T07"]]


def test_a_closed_year_lists_the_missed_targets_and_units(tiny):
    b = briefing.build_briefing(tiny, 2023, D(2023, 12, 31))
    # at the plan year's last day every target has its result; none of tiny's is reached
    assert set(b.overview["status"]) == {metrics.STATUS_MISSED}
    assert list(b.behind_targets["target_code"]) == ["T11", "T01", "T06", "T07", "T09"]  # 5.5% first
    assert b.behind_targets["required_weekly"].isna().all()  # no weekly rate once the year is over
    assert len(b.behind_counties) == 10  # A and B, each short on all five allocations


def test_reporting_status(tiny):
    """The week due at the meeting (the shared deadline rule, `calendar.due_week_end`): on Friday 13
    Jan the week 1–6 Jan, due Monday 9 Jan. A's report came on 6 Jan, B's on the deadline day
    (9 Jan 10:00): both on time."""
    rep = briefing.build_briefing(tiny, 2023, MEETING).reporting.set_index("unit_code")
    # T01 is the only reported target; A and B have allocations, C (市总本级) none
    assert list(rep.index) == [A, B]
    assert rep.loc[A, ["expected", "reported", "missing", "state"]].tolist() == [1, 1, "", "complete"]
    assert rep.loc[B, ["expected", "reported", "missing", "state"]].tolist() == [1, 1, "", "complete"]
    # B's 7–13 Jan report is in a batch approved only on 14 Jan: not yet counted
    assert rep.loc[B, "last_period_end"] == D(2023, 1, 6)
    # Friday 20 Jan: the week 7–13 Jan (due 16 Jan) came on time from both (B's batch approved 14 Jan)
    later = briefing.week_reporting(tiny, 2023, D(2023, 1, 20)).set_index("unit_code")
    assert later["state"].to_dict() == {A: "complete", B: "complete"}
    assert later["last_period_end"].to_dict() == {A: D(2023, 1, 13), B: D(2023, 1, 13)}
    # Monday 23 Jan: the week 14–20 Jan is due; A's report waits for review, B sent nothing
    due = briefing.week_reporting(tiny, 2023, D(2023, 1, 23)).set_index("unit_code")
    assert due["state"].to_dict() == {A: "none", B: "none"}
    only_a = briefing.week_reporting(tiny, 2023, MEETING, [A])
    assert list(only_a["unit_code"]) == [A]


def test_summary_in_chinese_and_english(tiny):
    b = briefing.build_briefing(tiny, 2023, MEETING)
    zh = summary.summary(b, "zh")
    # T11 has no status yet (January not closed): the counts name it, so they add up to 5 (#13)
    assert zh[0] == ("截至2023年1月13日，全市的5项年度目标中，4项超序时、0项达序时、0项滞后序时、"
                     "1项尚无数据（首个填报期尚未结束）。")
    assert zh[1] == ("本周（1月7日–1月13日）新增：群众性文化活动10场次、职工子女爱心托管班1家、"
                     "新建户外劳动者爱心驿站1家、新建基层工会1家。本周无进展：其中新业态劳动者会员。")
    assert zh[2] == "所有目标均达到或超过序时进度。"  # T11 is 尚无数据, not behind
    assert zh[3] == "1个单位有目标滞后序时，较多的是鲁山县（1项）。"  # B's T07 (see above)
    # the week due on 13 Jan is 1–6 Jan (due 9 Jan): B's came on the deadline day, on time
    assert zh[4] == "各单位本周均已报送。"
    assert zh[5] == "暂无督办事项。"
    en = summary.summary(b, "en")
    assert en[0] == ("As of 13 Jan 2023, the whole city: of 5 targets, ahead of pace 4, on pace 0, behind 0, "
                     "no data yet 1 (first period not closed).")
    assert "Every unit reported this week." in en
    late = summary.summary(briefing.build_briefing(tiny, 2023, D(2023, 1, 23)), "zh")
    assert "本周未报送：新华区、鲁山县。" in late  # 14–20 Jan, due 23 Jan: A's waits for review


def test_a_closed_years_summary_reads_as_the_year_end(tiny):
    b = briefing.build_briefing(tiny, 2023, D(2023, 12, 31))
    zh = summary.summary(b, "zh")
    assert zh[0] == "2023年度全市5项目标中，0项达成、5项未达成。"
    # T01: A 5 + 9 (the 16 Jan correction) + B 3 + 2 = 19 (A's pending 4 never approved);
    # T06: B's class; T07: 设施2, 设施3 (closed 15 Jan, still 新建), 设施4 = 3;
    # T09: unions 2 and 3; T11: January 35 (corrected) + 20 = 55
    assert zh[2] == ("未达成的目标：群众性文化活动（完成19场次，年度目标100场次，完成率19.0%）；"
                     "职工子女爱心托管班（完成1家，年度目标4家，完成率25.0%）；"
                     "新建户外劳动者爱心驿站（完成3家，年度目标10家，完成率30.0%）；"
                     "新建基层工会（完成2家，年度目标5家，完成率40.0%）；"
                     "其中新业态劳动者会员（完成55人，年度目标1,000人，完成率5.5%）。")
    assert zh[3] == "2个单位有目标未达成，较多的是新华区（5项）、鲁山县（5项）。"
    en = summary.summary(b, "en")
    assert en[0] == "Plan year 2023, the whole city: of 5 targets, 0 achieved, 5 not achieved."
    assert en[3] == "2 units missed at least one target, most of all Xinhua District (5), Lushan County (5)."


def test_past_briefing_unchanged_by_later_reports(tiny):
    with tiny.begin() as conn:  # a point inside 新华区, so that a registry file may name 设施2
        conn.execute(update(m.Facility).where(m.Facility.id == 2).values(lat=XINHUA_SEAT[0], lon=XINHUA_SEAT[1]))
    before = briefing.build_briefing(tiny, 2023, MEETING, with_decisions=False)
    # After the meeting, 新华区 reports that 设施2 closed on 10 January, inside the meeting's week.
    closing = xlsx([frow(name="设施2", opened=D(2023, 1, 5), closed=D(2023, 1, 10), status="关闭",
                         address="地址", host="单位", services="饮水")], FACILITY_HEAD, "设施登记")
    importer.commit(tiny, closing, "close.xlsx", actor="x", now=dt.datetime(2023, 1, 20, 9), approver=admin())
    with tiny.begin() as conn:
        # reported after the meeting for a period inside its week, and a station recorded late
        # (explicit id: tiny_data sets its own, so PostgreSQL's sequence is behind)
        conn.execute(insert(m.ProgressReport).values(
            target_id=1, unit_code=B, period_start=D(2023, 1, 7), period_end=D(2023, 1, 13), value=50,
            reporter="late", recorded_at=dt.datetime(2023, 1, 20, 10), batch_id=None))
        conn.execute(insert(m.Facility).values(
            id=100, kind="care_station", name="补录驿站", address="地址", host_org="单位", unit_code=A, lat=33.7,
            lon=113.0, opened_on=D(2023, 1, 9), closed_on=None, status="open", services=None,
            capacity=None, recorded_at=dt.datetime(2023, 1, 25, 10), batch_id=None))
    after = briefing.build_briefing(tiny, 2023, MEETING, with_decisions=False)
    for field in ("overview", "changes", "county_changes", "behind_targets", "behind_counties", "reporting"):
        pd.testing.assert_frame_equal(getattr(before, field), getattr(after, field), check_dtype=False)
    assert summary.summary(before) == summary.summary(after)
    # the late rows are real: the briefing of the 27th sees them
    now = briefing.build_briefing(tiny, 2023, D(2023, 1, 27), with_decisions=False)
    # T07 counts the stations built (新建) in 2023 as known on 27 Jan, closed since or not (#13):
    # A's of 5 Jan (closed on 10 Jan, as reported on the 20th), A's of 10 Jan (closed on the 15th),
    # B's of 12 Jan and the late one of 9 Jan = 4 (was 2, when closing took a station out)
    assert now.overview.set_index("target_code").loc["T07", "actual"] == 4.0
    # standing (现有) on 27 Jan of those opened in 2023: B's of 12 Jan and the late one
    counts = queries.facility_counts(tiny, 2023, D(2023, 1, 27))
    stations = counts[counts["kind"] == "care_station"]
    assert int(stations["new_this_year"].sum()) == 2 and int(stations["built_this_year"].sum()) == 4


# ---------------------------------------------------------------------------------------------
# decisions


def _new(engine, **over):
    values = dict(year=2023, meeting_date=D(2023, 1, 6), note="督促鲁山县补报", owner="鲁山县总工会",
                  due_date=D(2023, 1, 20), created_by="秘书", unit_code=B,
                  now=dt.datetime(2023, 1, 6, 16))
    values.update(over)
    return decisions.create_decision(engine, SECRETARY, **values)


def test_decision_lifecycle_and_snapshots(tiny):
    first = _new(tiny, target_code="T11")
    city = _new(tiny, unit_code=None, target_code="T01", note="全市文化活动提速", owner="宣教部",
                due_date=D(2023, 1, 10))
    listed = decisions.list_decisions(tiny, 2023, D(2023, 1, 6))
    assert listed["id"].tolist() == [first, city]
    assert listed["state"].tolist() == [DECISION_OPEN, DECISION_OPEN]
    assert listed.iloc[0][["target_name_zh", "unit_name_zh"]].tolist() == ["其中新业态劳动者会员", "鲁山县"]
    assert listed["overdue"].tolist() == [False, False]
    # next week's meeting: the city one is past due; the first is updated, then closed
    decisions.set_decision_state(tiny, SECRETARY, first, DECISION_IN_PROGRESS, by="秘书", on_date=MEETING,
                               comment="已约谈", now=dt.datetime(2023, 1, 13, 15))
    decisions.set_decision_state(tiny, SECRETARY, first, DECISION_DONE, by="秘书", on_date=MEETING,
                               now=dt.datetime(2023, 1, 13, 16))
    week2 = decisions.list_decisions(tiny, 2023, MEETING).set_index("id")
    assert week2.loc[first, "state"] == DECISION_DONE and week2.loc[first, "state_on"] == MEETING
    assert bool(week2.loc[city, "overdue"]) is True
    b = briefing.build_briefing(tiny, 2023, MEETING)
    assert summary.summary(b)[-1] == "督办事项1项在办（其中逾期1项），本周办结1项。"
    # the briefing of 6 Jan still shows both open; a week after closing, the done one drops off
    assert decisions.list_decisions(tiny, 2023, D(2023, 1, 6))["state"].tolist() == [DECISION_OPEN] * 2
    assert decisions.list_decisions(tiny, 2023, D(2023, 1, 20))["id"].tolist() == [city]
    assert decisions.list_decisions(tiny, 2023, D(2023, 1, 20), include_closed=True)["id"].tolist() == [first, city]
    # not listed before the meeting that made it
    assert decisions.list_decisions(tiny, 2023, D(2023, 1, 5)).empty
    # county filter: that county's decisions and the city-wide ones
    assert decisions.list_decisions(tiny, 2023, MEETING, [A])["id"].tolist() == [city]
    assert decisions.get_decision(tiny, first)["state"] == DECISION_DONE
    with tiny.connect() as conn:
        actions = conn.execute(select(m.AuditLog.action).where(m.AuditLog.entity == "decision")
                               .order_by(m.AuditLog.id)).scalars().all()
    assert actions == ["create", "create", "state", "state"]


def test_decision_edit(tiny):
    did = _new(tiny)
    decisions.update_decision(tiny, SECRETARY, did, by="秘书", owner="  叶县总工会 ", due_date=D(2023, 1, 27))
    row = decisions.get_decision(tiny, did)
    assert (row["owner"], row["due_date"], row["note"]) == ("叶县总工会", D(2023, 1, 27), "督促鲁山县补报")


@pytest.mark.parametrize("over, message", [
    (dict(unit_code=None), "请选择督办事项对应的目标或区县。"),
    (dict(target_code="T99"), "2023年没有目标 T99。"),
    (dict(unit_code="999999"), "没有单位 999999。"),
    (dict(note="  "), "请填写督办内容。"),
    (dict(owner=""), "请填写责任人。"),
    (dict(owner="长" * 65), "责任人不能超过64个字。"),
    (dict(due_date=D(2023, 1, 5)), "办结期限不能早于会议日期。"),
])
def test_decision_validation(tiny, over, message):
    with pytest.raises(DecisionError) as err:
        _new(tiny, **over)
    assert err.value.message_zh == message
    with tiny.connect() as conn:
        assert conn.execute(select(func.count()).select_from(m.AuditLog)).scalar() == 0


def test_decision_history_is_not_rewritten(tiny):
    did = _new(tiny)
    decisions.set_decision_state(tiny, SECRETARY, did, DECISION_IN_PROGRESS, by="秘书", on_date=MEETING)
    with pytest.raises(DecisionError):  # a state dated before the last one
        decisions.set_decision_state(tiny, SECRETARY, did, DECISION_DONE, by="秘书", on_date=D(2023, 1, 10))
    with pytest.raises(DecisionError):
        decisions.set_decision_state(tiny, SECRETARY, did, "lost", by="秘书", on_date=MEETING)
    with pytest.raises(DecisionError):
        decisions.set_decision_state(tiny, SECRETARY, 999, DECISION_DONE, by="秘书", on_date=MEETING)
    assert decisions.get_decision(tiny, did)["state"] == DECISION_IN_PROGRESS


def test_unit_c_has_no_reporting_duty(tiny):
    rep = briefing.week_reporting(tiny, 2023, MEETING)
    assert C not in set(rep["unit_code"])


# ---------------------------------------------------------------------------------------------
# who may record decisions (accounts.permissions.require_decision, enforced in meeting.decisions)

CLERK = AuthUser("ye_clerk", "叶县填报员", "reporter", unit_code=A)


def test_county_clerk_may_not_record_or_change_a_decision(tiny):
    from data_access.accounts.permissions import PermissionDenied

    did = _new(tiny)
    with pytest.raises(PermissionDenied) as err:
        decisions.create_decision(tiny, CLERK, year=2023, meeting_date=MEETING, note="x", owner="y",
                                  due_date=MEETING, unit_code=A)
    assert err.value.message_zh == "账号“ye_clerk”（区县填报员）无权进行此操作，需要：领导、审核员、管理员"
    with pytest.raises(PermissionDenied):
        decisions.update_decision(tiny, CLERK, did, owner="叶县")
    with pytest.raises(PermissionDenied):
        decisions.set_decision_state(tiny, CLERK, did, DECISION_DONE, on_date=MEETING)
    row = decisions.get_decision(tiny, did)
    assert (row["owner"], row["state"]) == ("鲁山县总工会", DECISION_OPEN)
    with tiny.connect() as conn:  # only the creation above was recorded
        assert conn.execute(select(func.count()).select_from(m.AuditLog)).scalar() == 1


@pytest.mark.parametrize("role", ["leader", "reviewer", "admin"])
def test_leaders_reviewers_and_admins_record_decisions(tiny, role):
    user = AuthUser("zhang", "张主任", role)
    did = decisions.create_decision(tiny, user, year=2023, meeting_date=MEETING, note="督促", owner="叶县",
                                    due_date=MEETING, unit_code=A, now=dt.datetime(2023, 1, 13, 16))
    decisions.set_decision_state(tiny, user, did, DECISION_DONE, on_date=MEETING, now=dt.datetime(2023, 1, 13, 17))
    assert decisions.get_decision(tiny, did)["created_by"] == "张主任"  # shown: the display name
    with tiny.connect() as conn:
        rows = conn.execute(select(m.AuditLog.actor, m.AuditLog.action, m.AuditLog.entity_id, m.AuditLog.after)
                            .order_by(m.AuditLog.id)).all()
    # the audit log records the user name, never the display name, in audit.record's one format
    assert [tuple(r[:3]) for r in rows] == [("zhang", "create", str(did)), ("zhang", "state", str(did))]
    assert rows[1].after == '{"comment": null, "on_date": "2023-01-13", "state": "done"}'


def test_with_authentication_off_a_typed_recorder_is_kept_and_the_actor_is_anonymous(tiny):
    from data_access.accounts.identity import ANONYMOUS

    with pytest.raises(DecisionError, match="请填写记录人。"):
        decisions.create_decision(tiny, ANONYMOUS, year=2023, meeting_date=MEETING, note="督促", owner="叶县",
                                  due_date=MEETING, unit_code=A)
    did = decisions.create_decision(tiny, ANONYMOUS, year=2023, meeting_date=MEETING, note="督促", owner="叶县",
                                    due_date=MEETING, unit_code=A, created_by="办公室")
    assert decisions.get_decision(tiny, did)["created_by"] == "办公室"
    with tiny.connect() as conn:
        assert conn.execute(select(m.AuditLog.actor)).scalars().all() == ["anonymous"]
