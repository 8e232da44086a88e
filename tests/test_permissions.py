"""accounts.permissions: each rule, for each of the four roles (and nobody signed in)."""
from __future__ import annotations

import pytest

from data_access.accounts import permissions as perm
from data_access.accounts.identity import AuthUser
from data_access.errors import DataAccessError
from data_access.schema.accounts import VIEW_UNIT

LEADER = AuthUser("wang", "王领导", "leader")
REPORTER = AuthUser("ye", "叶县填报员", "reporter", unit_code="410422")
REPORTER_OWN = AuthUser("lu", "鲁山填报员", "reporter", unit_code="410423", view_scope=VIEW_UNIT)
REVIEWER = AuthUser("shen", "审核员", "reviewer")
ADMIN = AuthUser("root", "管理员", "admin")
EVERYONE = {"leader": LEADER, "reporter": REPORTER, "reviewer": REVIEWER, "admin": ADMIN}


@pytest.mark.parametrize(("may", "require", "allowed"), [
    (perm.may_review, perm.require_review, {"reviewer", "admin"}),
    (perm.may_record_decision, perm.require_decision, {"leader", "reviewer", "admin"}),
    (perm.may_edit_plan, perm.require_plan_edit, {"admin"}),
    (perm.may_manage_accounts, perm.require_account_admin, {"admin"}),
])
def test_each_role_rule_allows_exactly_its_roles(may, require, allowed):
    for role, user in EVERYONE.items():
        assert may(user) is (role in allowed), role
        if role in allowed:
            assert require(user) is user
        else:
            with pytest.raises(perm.PermissionDenied) as exc:
                require(user)
            assert f"账号“{user.username}”（{user.role_zh}）无权进行此操作" in exc.value.message_zh
            assert "may not do this" in exc.value.message_en
    assert may(None) is False
    with pytest.raises(perm.PermissionDenied, match="未登录"):
        require(None)


def test_permission_denied_is_a_data_access_error():
    assert issubclass(perm.PermissionDenied, DataAccessError)


def test_write_scope_own_unit_only_for_reporters_any_for_admins():
    assert perm.writable_units(REPORTER) == ("410422",)
    assert perm.writable_units(ADMIN) is None
    assert perm.writable_units(LEADER) == () and perm.writable_units(REVIEWER) == ()
    assert perm.may_write_unit(REPORTER, "410422") and not perm.may_write_unit(REPORTER, "410423")
    assert perm.require_write_scope(REPORTER, "410422") is REPORTER
    with pytest.raises(perm.PermissionDenied, match="只能填报本单位（410422）的数据，不能填报 410423"):
        perm.require_write_scope(REPORTER, "410423")
    with pytest.raises(perm.PermissionDenied, match="（领导）无权填报数据"):
        perm.require_write_scope(LEADER, "410422")
    assert perm.require_write_scope(ADMIN, "410423") is ADMIN


def test_view_scope_city_or_own_unit():
    assert perm.readable_units(REPORTER) is None  # the default: the whole city
    assert perm.readable_units(REPORTER_OWN) == ("410423",)
    assert perm.may_view_unit(REPORTER_OWN, "410423") and not perm.may_view_unit(REPORTER_OWN, "410422")
    assert perm.may_view_unit(LEADER, "410422") and not perm.may_view_unit(None, "410422")
    assert perm.clamp_units(REPORTER_OWN, ["410422", "410423"]) == (("410423",), ("410422",))
    assert perm.clamp_units(REPORTER_OWN, []) == (("410423",), ())
    assert perm.require_read_scope(REPORTER_OWN, ["410423"]) == ("410423",)
    with pytest.raises(perm.PermissionDenied, match="只能查看本单位（410423）"):
        perm.require_read_scope(REPORTER_OWN, None)
    assert perm.require_read_scope(LEADER, None) is None
