"""Two people for a change of figures, enforced in the data layer (reporting.review, reporting.commit,
accounts.permissions.require_second_person), on SQLite, PostgreSQL and MariaDB (`tiny`):

- withdrawing an APPROVED batch is a request: the figures stay until a second person approves it;
  the one who asked cannot approve it; a refused request leaves the batch counting;
- nobody approves their own upload (on upload or later) unless KPI_ALLOW_SELF_APPROVAL;
- the audit log names both: who asked, who approved.

T01 of tiny_data as known on 30 June 2023 (hand count): 新华区 5 (week 1) + 9 (week 2, the
correction of 7) = 14, 鲁山县 3 + 2 (batch 2, approved) = 5; batch 1 (4) is pending: 19 in all.
Our upload adds 6 for 新华区's week 24–30 June: 25.
"""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from data_access import audit
from data_access.errors import DataAccessError
from data_access.reporting import batches as batch_list
from data_access.reporting import commit as committing
from data_access.reporting import review as reviewing
from data_access.schema.models import ImportBatch
from tests.helpers import NOW, dump, prow, t01, xlsx
from tests.people import admin, reporter, reviewer
from tests.tiny_data import A

BASE = 19.0
LATER = NOW + dt.timedelta(hours=1)


@pytest.fixture
def approved(tiny):
    """新华区's 6 for the last week of June, uploaded by its reporter and approved by 李审."""
    done = committing.commit(tiny, xlsx([prow(value=6)]), "w26.xlsx", actor="新华填报员", allowed_units=(A,), now=NOW)
    reviewing.review(tiny, done.batch_id, "approve", reviewer=reviewer("李审"), now=NOW)
    assert t01(tiny) == BASE + 6
    return tiny, done.batch_id


def batch_state(engine, batch_id):
    with engine.connect() as conn:
        return tuple(conn.execute(select(ImportBatch.status, ImportBatch.withdraw_requested_by,
                                         ImportBatch.withdraw_reason, ImportBatch.withdrawn_by)
                                  .where(ImportBatch.id == batch_id)).one())


def test_a_withdrawal_waits_for_a_second_person(approved):
    engine, batch_id = approved
    clerk = reporter("新华填报员", A)
    status = reviewing.withdraw(engine, batch_id, user=clerk, reason="第26周重复上报", now=NOW)
    assert status == "withdraw_requested"
    assert t01(engine) == 25.0 and t01(engine, as_of=LATER.date()) == 25.0  # the figures stay
    assert batch_state(engine, batch_id) == ("approved", "新华填报员", "第26周重复上报", None)
    # it waits in the review queue, shown as 撤回待审核
    queue = batch_list.batches(engine, ["pending", "returned", "withdraw_requested"])
    assert queue[["id", "status"]].values.tolist() == [[batch_id, "withdraw_requested"], [1, "pending"]]
    assert batch_list.STATUS_ZH["withdraw_requested"] == "撤回待审核"
    with pytest.raises(DataAccessError, match="已有撤回申请（新华填报员提出），正等待审核"):
        reviewing.withdraw(engine, batch_id, user=admin(), now=NOW)

    assert reviewing.review(engine, batch_id, "approve", reviewer=reviewer("王审"), now=LATER) == "withdrawn"
    assert t01(engine, as_of=LATER.date()) == BASE  # gone from the day of the approval on
    assert batch_state(engine, batch_id) == ("withdrawn", "新华填报员", "第26周重复上报", "王审")
    log = audit.entries(engine)
    mine = log[(log["entity"] == "import_batches") & (log["entity_id"] == str(batch_id))].iloc[::-1]
    assert mine[["actor", "action"]].values.tolist() == [
        ["新华填报员", "import"], ["李审", "approve"], ["新华填报员", "withdraw_request"], ["王审", "withdraw"]]
    decision = mine.iloc[-1]
    assert json.loads(decision["before"])["requested_by"] == "新华填报员"
    assert json.loads(decision["after"]) == {"approved_by": "王审", "reason": None, "status": "withdrawn"}


def test_the_one_who_asked_cannot_approve_it(approved):
    engine, batch_id = approved
    boss = admin("张管")
    reviewing.withdraw(engine, batch_id, user=boss, now=NOW)
    before = dump(engine)
    with pytest.raises(DataAccessError, match=f"批次#{batch_id}是账号“张管”本人提出的撤回申请，须由另一位审核员或管理员审核"):
        reviewing.review(engine, batch_id, "approve", reviewer=boss, now=LATER)
    assert dump(engine) == before and t01(engine, as_of=LATER.date()) == 25.0
    with pytest.raises(DataAccessError, match="无权进行此操作（审核上报数据）"):  # nor a county reporter
        reviewing.review(engine, batch_id, "approve", reviewer=reporter("新华填报员", A), now=LATER)
    assert dump(engine) == before


def test_a_refused_withdrawal_leaves_the_figures(approved):
    engine, batch_id = approved
    reviewing.withdraw(engine, batch_id, user=reporter("新华填报员", A), now=NOW)
    with pytest.raises(DataAccessError, match="驳回撤回申请时必须填写原因"):
        reviewing.review(engine, batch_id, "return", reviewer=reviewer("王审"), reason=" ", now=LATER)
    assert reviewing.review(engine, batch_id, "return", reviewer=reviewer("王审"), reason="数字无误",
                            now=LATER) == "approved"
    assert batch_state(engine, batch_id) == ("approved", None, None, None)
    assert t01(engine, as_of=LATER.date()) == 25.0
    assert batch_list.batches(engine, ["withdraw_requested"]).empty
    assert batch_list.batches(engine, ["approved"])["id"].tolist() == [batch_id, 2]
    log = audit.entries(engine)
    assert log.iloc[0][["actor", "action"]].tolist() == ["王审", "withdraw_refused"]
    # and it may be asked again
    assert reviewing.withdraw(engine, batch_id, user=reporter("新华填报员", A), now=LATER) == "withdraw_requested"


def test_a_batch_that_never_counted_is_withdrawn_at_once(tiny):
    done = committing.commit(tiny, xlsx([prow(value=6)]), "w26.xlsx", actor="新华填报员", allowed_units=(A,), now=NOW)
    assert reviewing.withdraw(tiny, done.batch_id, user=reporter("新华填报员", A), now=NOW) == "withdrawn"
    assert batch_state(tiny, done.batch_id) == ("withdrawn", None, None, "新华填报员")
    assert t01(tiny) == BASE


def test_an_administrators_own_upload_needs_a_second_person(tiny):
    boss = admin("张管")
    before = dump(tiny)
    with pytest.raises(DataAccessError, match="此文件是账号“张管”本人上传的文件，须由另一位审核员或管理员审核"):
        committing.commit(tiny, xlsx([prow(value=6)]), "w26.xlsx", actor="张管", now=NOW, approver=boss)
    assert dump(tiny) == before
    done = committing.commit(tiny, xlsx([prow(value=6)]), "w26.xlsx", actor="张管", now=NOW)
    with pytest.raises(DataAccessError, match=f"批次#{done.batch_id}是账号“张管”本人上传的批次"):
        reviewing.review(tiny, done.batch_id, "approve", reviewer=boss, now=NOW)
    assert t01(tiny) == BASE
    reviewing.review(tiny, done.batch_id, "approve", reviewer=admin("李管"), now=NOW)
    assert t01(tiny) == BASE + 6


def test_self_approval_when_the_setting_allows_it(tiny, monkeypatch):
    monkeypatch.setenv("KPI_ALLOW_SELF_APPROVAL", "true")
    boss = admin("张管")
    done = committing.commit(tiny, xlsx([prow(value=6)]), "w26.xlsx", actor="张管", now=NOW, approver=boss)
    assert done.status == "approved" and t01(tiny) == BASE + 6
    reviewing.withdraw(tiny, done.batch_id, user=boss, now=NOW)
    assert t01(tiny) == BASE + 6
    assert reviewing.review(tiny, done.batch_id, "approve", reviewer=boss, now=LATER) == "withdrawn"
    assert t01(tiny, as_of=LATER.date()) == BASE
