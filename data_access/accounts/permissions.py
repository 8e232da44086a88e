"""Who may do what: the one home of every access rule, as small functions over `AuthUser`.

| role (schema.accounts) | view | write figures | review batches | 督办 decisions | plan | accounts |
|---|---|---|---|---|---|---|
| 领导 leader | all | — | — | record, update | — | — |
| 区县填报员 reporter | city or own unit (`view_scope`) | own unit | — | — | — | — |
| 审核员 reviewer | all | — | approve / return | record, update | — | — |
| 管理员 admin | all | any unit | approve / return | record, update | edit | manage |

Two people for a change of figures (`require_second_person`): nobody approves a batch they uploaded
themselves, nor the withdrawal of an approved batch they asked for, unless the setting
KPI_ALLOW_SELF_APPROVAL (`settings.allow_self_approval`, default off) allows it (an office with a
single administrator). Withdrawing an approved batch is a request (reporting.review).

`may_*` answer yes/no (for hiding a widget); `require_*` raise `PermissionDenied` (a
DataAccessError with a Chinese and an English message) and are what the data layer calls before it
writes, so a forged URL, upload or command line meets the same refusal as a hidden widget.
"""
from __future__ import annotations

from collections.abc import Iterable

from data_access import settings
from data_access.accounts.identity import AuthUser
from data_access.errors import DataAccessError
from data_access.schema.accounts import ROLE_ADMIN, ROLE_LEADER, ROLE_NAMES_ZH, ROLE_REPORTER, ROLE_REVIEWER, VIEW_UNIT

REVIEW_ROLES = (ROLE_REVIEWER, ROLE_ADMIN)
DECISION_ROLES = (ROLE_LEADER, ROLE_REVIEWER, ROLE_ADMIN)  # not the county reporter
PLAN_ROLES = (ROLE_ADMIN,)
ACCOUNT_ROLES = (ROLE_ADMIN,)


class PermissionDenied(DataAccessError):
    """The signed-in user (or nobody) may not do this; the message says who and what is needed."""


def require_login(user: AuthUser | None) -> AuthUser:
    """`user`, or PermissionDenied when nobody is signed in."""
    if user is None:
        raise PermissionDenied("未登录，无权操作", "Not signed in")
    return user


def require_role(user: AuthUser | None, *roles: str) -> AuthUser:
    """`user` if its role is one of `roles`, else PermissionDenied naming the roles needed."""
    user = require_login(user)
    if user.role not in roles:
        names = "、".join(ROLE_NAMES_ZH[r] for r in roles)
        raise PermissionDenied(f"账号“{user.username}”（{user.role_zh}）无权进行此操作，需要：{names}",
                               f"Account “{user.username}” ({user.role}) may not do this; "
                               f"needs: {', '.join(roles)}")
    return user


def _has(user: AuthUser | None, roles: tuple[str, ...]) -> bool:
    return user is not None and user.role in roles


# ---------------------------------------------------------------------------------------------
# viewing


def readable_units(user: AuthUser | None) -> tuple[str, ...] | None:
    """Units whose figures `user` may view: None means the whole city. A county reporter whose
    `view_scope` is unit sees only its own unit (none if it has no unit)."""
    user = require_login(user)
    if user.role == ROLE_REPORTER and user.view_scope == VIEW_UNIT:
        return (user.unit_code,) if user.unit_code else ()
    return None


def may_view_unit(user: AuthUser | None, unit_code: str) -> bool:
    """Whether `user` may see the figures of `unit_code`."""
    if user is None:
        return False
    allowed = readable_units(user)
    return allowed is None or unit_code in allowed


def clamp_units(user: AuthUser | None, requested: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(units to show, refused units) for a request; for a restricted viewer the request is cut to its
    own unit, and "whole city" (nothing requested) becomes its own unit."""
    wanted = tuple(requested)
    allowed = readable_units(user)
    if allowed is None:
        return wanted, ()
    kept = tuple(c for c in wanted if c in allowed)
    refused = tuple(c for c in wanted if c not in allowed)
    return (kept or allowed), refused


def require_read_scope(user: AuthUser | None, units: Iterable[str] | None) -> tuple[str, ...] | None:
    """`units` (None: whole city) if `user` may view them all, else PermissionDenied."""
    user = require_login(user)
    allowed = readable_units(user)
    if allowed is None:
        return None if units is None else tuple(units)
    wanted = tuple(units) if units is not None else None
    if wanted is None or any(c not in allowed for c in wanted):
        raise PermissionDenied(f"账号“{user.username}”只能查看本单位（{user.unit_code}）的数据",
                               f"Account “{user.username}” may view only its own unit ({user.unit_code})")
    return wanted


# ---------------------------------------------------------------------------------------------
# writing figures (upload, correct, withdraw) and reviewing them


def writable_units(user: AuthUser | None) -> tuple[str, ...] | None:
    """Units `user` may write figures for: None means any unit (administrators); a county reporter
    its own unit; leaders and reviewers none: (). Pass it as the importer's `allowed_units`."""
    user = require_login(user)
    if user.role == ROLE_ADMIN:
        return None
    if user.role == ROLE_REPORTER and user.unit_code:
        return (user.unit_code,)
    return ()


def may_write_unit(user: AuthUser | None, unit_code: str) -> bool:
    """Whether `user` may upload, correct or withdraw figures of `unit_code`."""
    if user is None:
        return False
    allowed = writable_units(user)
    return allowed is None or unit_code in allowed


def require_write_scope(user: AuthUser | None, unit_code: str) -> AuthUser:
    """`user` if it may write figures for `unit_code`, else PermissionDenied. The importer calls
    this for every unit a file touches (a forged upload for another county is refused here)."""
    user = require_login(user)
    if may_write_unit(user, unit_code):
        return user
    if user.role == ROLE_REPORTER:
        raise PermissionDenied(
            f"账号“{user.username}”只能填报本单位（{user.unit_code}）的数据，不能填报 {unit_code}",
            f"Account “{user.username}” may report only for its own unit ({user.unit_code}), not {unit_code}")
    raise PermissionDenied(f"账号“{user.username}”（{user.role_zh}）无权填报数据",
                           f"Account “{user.username}” ({user.role}) may not report figures")


def may_review(user: AuthUser | None) -> bool:
    """Whether `user` may approve or return a submitted batch: 审核员 and 管理员."""
    return _has(user, REVIEW_ROLES)


def require_review(user: AuthUser | None) -> AuthUser:
    """`user` if it may review a batch (see `may_review`), else PermissionDenied."""
    return require_role(user, *REVIEW_ROLES)


def may_approve_own() -> bool:
    """Whether one person may approve their own upload or withdrawal request (setting
    KPI_ALLOW_SELF_APPROVAL, default off: a change of figures needs a second person)."""
    return settings.get().allow_self_approval


def require_second_person(approver: str, asked_by: str | None, batch_id: int | None, what_zh: str,
                          what_en: str) -> None:
    """PermissionDenied when `approver` (a user name) is the one who asked (`asked_by`: who uploaded
    the batch, or who asked to withdraw it) and self-approval is not allowed (`may_approve_own`).
    `what_zh`/`what_en`: the request in words (上传的批次 / 提出的撤回申请); `batch_id` None: a file
    being uploaded."""
    if asked_by is not None and approver == asked_by and not may_approve_own():
        which = f"批次#{batch_id}" if batch_id is not None else "此文件"
        raise PermissionDenied(
            f"{which}是账号“{approver}”本人{what_zh}，须由另一位审核员或管理员审核（两人经手）",
            f"{'Batch #%d' % batch_id if batch_id is not None else 'This file'}: “{approver}” cannot approve "
            f"{what_en} of their own; a second reviewer must")


def may_withdraw(user: AuthUser | None, batch_unit: str | None) -> bool:
    """Whether `user` may ask to take back a whole batch of `batch_unit` (None: a file for several
    units): whoever may write for that unit (`writable_units`): an administrator for any batch, a
    county reporter for its own unit's single-unit batches; leaders and reviewers for none."""
    if user is None:
        return False
    allowed = writable_units(user)
    return allowed is None or (batch_unit is not None and batch_unit in allowed)


# ---------------------------------------------------------------------------------------------
# 督办 decisions, the plan, accounts


def may_record_decision(user: AuthUser | None) -> bool:
    """Whether `user` may record a 督办 decision or change one (note, owner, due date, state):
    领导, 审核员, 管理员; never a county reporter (区县填报员)."""
    return _has(user, DECISION_ROLES)


def require_decision(user: AuthUser | None) -> AuthUser:
    """`user` if it may record or update a decision (see `may_record_decision`), else PermissionDenied."""
    return require_role(user, *DECISION_ROLES)


def may_edit_plan(user: AuthUser | None) -> bool:
    """Whether `user` may change targets, allocations, milestones or copy a plan year: 管理员 only."""
    return _has(user, PLAN_ROLES)


def require_plan_edit(user: AuthUser | None) -> AuthUser:
    """`user` if it may edit the plan (see `may_edit_plan`), else PermissionDenied."""
    return require_role(user, *PLAN_ROLES)


def may_manage_accounts(user: AuthUser | None) -> bool:
    """Whether `user` may create, change, disable accounts or reset passwords: 管理员 only."""
    return _has(user, ACCOUNT_ROLES)


def require_account_admin(user: AuthUser | None) -> AuthUser:
    """`user` if it may manage accounts (see `may_manage_accounts`), else PermissionDenied."""
    return require_role(user, *ACCOUNT_ROLES)
