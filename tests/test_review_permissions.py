"""Who may review and withdraw is decided in the data layer (reporting.review.may_review /
may_withdraw), whatever the page or the command line showed: each refusal writes nothing."""
from __future__ import annotations

import pytest

from data_access.errors import DataAccessError
from data_access.reporting import commit as committing
from data_access.reporting import review as reviewing
from tests.helpers import NOW, dump, prow, xlsx
from tests.people import admin, leader, reporter, reviewer
from tests.tiny_data import A, B


@pytest.fixture
def pending(tiny):
    done = committing.commit(tiny, xlsx([prow(value=6)]), "a.xlsx", actor="新华填报员", allowed_units=(A,), now=NOW)
    return tiny, done.batch_id


@pytest.mark.parametrize("who", [reporter("新华填报员", A), leader()], ids=["county reporter", "leader"])
def test_review_refused(pending, who):
    engine, batch_id = pending
    before = dump(engine)
    for decision in ("approve", "return"):
        with pytest.raises(DataAccessError, match=f"账号“{who.username}”（{who.role_zh}）无权进行此操作"):
            reviewing.review(engine, batch_id, decision, reviewer=who, reason="不符", now=NOW)
    assert dump(engine) == before


@pytest.mark.parametrize("who", [reviewer(), admin()], ids=["reviewer", "admin"])
def test_review_allowed(pending, who):
    engine, batch_id = pending
    assert reviewing.review(engine, batch_id, "approve", reviewer=who, now=NOW) == "approved"
    rows = reviewing.batch_rows(engine, batch_id, now=NOW)
    assert rows[["item", "new", "action"]].values.tolist() == [["T01", 6.0, "new"]]


@pytest.mark.parametrize("who", [reporter("鲁山填报员", B), reviewer(), leader()],
                         ids=["another county's reporter", "reviewer", "leader"])
def test_withdraw_refused(pending, who):
    engine, batch_id = pending
    before = dump(engine)
    with pytest.raises(DataAccessError, match=f"无权撤回批次#{batch_id}"):
        reviewing.withdraw(engine, batch_id, user=who, now=NOW)
    assert dump(engine) == before


def test_withdraw_of_a_several_unit_file_is_for_the_city(tiny):
    done = committing.commit(tiny, xlsx([prow(value=6), prow(unit=B, value=2)]), "ab.xlsx", actor="市总", now=NOW)
    with pytest.raises(DataAccessError, match="无权撤回"):
        reviewing.withdraw(tiny, done.batch_id, user=reporter("新华填报员", A), now=NOW)
    reviewing.withdraw(tiny, done.batch_id, user=admin(), now=NOW)


@pytest.mark.parametrize("who", [reporter("新华填报员", A), admin()], ids=["own county's reporter", "admin"])
def test_withdraw_allowed(pending, who):
    engine, batch_id = pending
    reviewing.withdraw(engine, batch_id, user=who, now=NOW)
    assert reviewing.batch_rows(engine, batch_id, now=NOW)["new"].tolist() == [6.0]  # rows kept


def test_the_rules():
    assert [reviewing.may_review(u) for u in (reporter("x", A), leader(), reviewer(), admin(), None)] == [
        False, False, True, True, False]
    assert [reviewing.may_withdraw(u, A) for u in (reporter("x", A), reporter("y", B), leader(), reviewer(),
                                                   admin(), None)] == [True, False, False, False, True, False]
    assert reviewing.may_withdraw(admin(), None) and not reviewing.may_withdraw(reporter("x", A), None)


@pytest.mark.parametrize("who", [reporter("新华填报员", A), leader()], ids=["county reporter", "leader"])
def test_approval_on_upload_refused(tiny, who):
    before = dump(tiny)
    with pytest.raises(DataAccessError, match="无权进行此操作（导入即通过审核）"):
        committing.commit(tiny, xlsx([prow(value=6)]), "a.xlsx", actor=who.username, allowed_units=(A,), now=NOW,
                          approver=who)
    assert dump(tiny) == before


def test_approval_on_upload_by_a_reviewer(tiny):
    done = committing.commit(tiny, xlsx([prow(value=6)]), "a.xlsx", actor="市总", now=NOW, approver=reviewer("李审"))
    assert done.status == "approved"
    assert reviewing.batch_rows(tiny, done.batch_id, now=NOW)["action"].tolist() == ["new"]
