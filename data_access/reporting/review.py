"""Review and withdrawal, with who may do them: `review` moves a pending batch to approved or
returned (with a reason), `withdraw` takes a batch back as a whole; both take the signed-in user
and refuse a role that may not (`accounts.permissions.may_review` / `may_withdraw`, re-exported
here). `batch_rows`: what a batch brings,
for its reviewer. Dashboards count only what kpis.versions says counts."""
from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Connection, Engine

from data_access import audit, clock, events
from data_access.accounts.identity import AuthUser
from data_access.accounts.permissions import may_review as may_review, may_withdraw as may_withdraw
from data_access.errors import DataAccessError
from data_access.reporting import batches
from data_access.reporting.kinds import KINDS
from data_access.schema.accounts import ROLE_NAMES_ZH
from data_access.schema.models import BATCH_APPROVED, BATCH_PENDING, BATCH_RETURNED, BATCH_WITHDRAWN

def refusal(user: AuthUser | None, zh: str, en: str) -> DataAccessError:
    who = "未登录" if user is None else f"账号“{user.username}”（{ROLE_NAMES_ZH.get(user.role, user.role)}）"
    return DataAccessError(f"{who}{zh}", f"{'Not signed in' if user is None else user.username}: {en}")


def decide(conn: Connection, batch_id: int, decision: str, actor: str, reason: str | None,
           now: dt.datetime) -> str:
    """Approve or return a pending batch in the caller's transaction (the permission is checked by
    the caller: `review`, or commit's auto-approval)."""
    batch = batches.get(conn, batch_id)
    if batch.status != BATCH_PENDING:
        raise DataAccessError(f"批次#{batch_id}当前为“{batches.STATUS_ZH[batch.status]}”，只有待审核的批次可以审核",
                              f"Batch #{batch_id} is not pending")
    if decision == "approve":
        KINDS[batch.kind].approve(conn, batch_id, actor, now)
        status = BATCH_APPROVED
    elif decision == "return":
        if not (reason or "").strip():
            raise DataAccessError("退回时必须填写退回原因", "A reason is required to return a batch")
        status = BATCH_RETURNED
    else:
        raise DataAccessError(f"未知审核操作“{decision}”（应为 approve 或 return）", f"Unknown decision {decision}")
    batches.set_status(conn, batch_id, BATCH_PENDING, status=status, reviewed_by=actor, reviewed_at=now,
                       review_note=(reason or "").strip() or None)
    audit.record(conn, actor=actor, action=decision, entity="import_batches", entity_id=batch_id,
                 before={"status": BATCH_PENDING}, after={"status": status, "reason": reason}, at=now)
    return status


def review(engine: Engine, batch_id: int, decision: str, *, reviewer: AuthUser, reason: str | None = None,
           now: dt.datetime | None = None) -> str:
    """Approve or return (with a reason) a pending batch as `reviewer`; returns the new status.
    Refused unless `may_review(reviewer)`."""
    if not may_review(reviewer):
        raise refusal(reviewer, "无权进行此操作（审核上报数据），需要：审核员、管理员",
                      "may not review submissions; needs: reviewer, admin")
    with engine.begin() as conn:
        status = decide(conn, batch_id, decision, reviewer.username, reason, now or clock.now())
    events.log("approval" if status == BATCH_APPROVED else "return", user=reviewer.username, batch=batch_id)
    return status


def withdraw(engine: Engine, batch_id: int, *, user: AuthUser, reason: str | None = None,
             now: dt.datetime | None = None) -> None:
    """Take a batch back as a whole as `user`: its rows stay stored but no longer count from `now`
    on; registry changes it applied are reverted. The file may then be uploaded again. Refused
    unless `may_withdraw(user, the batch's unit)`."""
    now = now or clock.now()
    with engine.begin() as conn:
        batch = batches.get(conn, batch_id)
        if not may_withdraw(user, batch.unit_code):
            raise refusal(user, f"无权撤回批次#{batch_id}", f"not allowed to withdraw batch #{batch_id}")
        if batch.status == BATCH_WITHDRAWN:
            raise DataAccessError(f"批次#{batch_id}已撤回", f"Batch #{batch_id} is already withdrawn")
        if batch.status == BATCH_APPROVED:
            KINDS[batch.kind].withdraw(conn, batch_id, user.username, now)
        # withdrawn_at marks when an APPROVED batch stopped counting (kpis.versions.counted); a batch
        # that never counted gets none, so a returned-then-withdrawn file never counts in any view.
        batches.set_status(conn, batch_id, batch.status, status=BATCH_WITHDRAWN,
                           withdrawn_at=now if batch.status == BATCH_APPROVED else None)
        audit.record(conn, actor=user, action="withdraw", entity="import_batches", entity_id=batch_id,
                     before={"status": batch.status}, after={"status": BATCH_WITHDRAWN, "reason": reason}, at=now)
    events.log("withdraw", user=user.username, unit=batch.unit_code, batch=batch_id)


BATCH_ROW_COLUMNS = ["item", "unit_code", "period", "old", "new", "action"]


def batch_rows(engine: Engine, batch_id: int, now: dt.datetime | None = None) -> pd.DataFrame:
    """What a batch brings, for its reviewer (a few statements, whatever its size). Columns: item
    (target code, industry/platform or entry name), unit_code, period (text), old (the value in force
    at `now` before it, kpis.versions; or the changed fields' old values), new, action (new|changed)."""
    with engine.connect() as conn:
        batch = batches.get(conn, batch_id)
        rows = KINDS[batch.kind].review_rows(conn, batch_id, now or clock.now())
    return pd.DataFrame(rows, columns=BATCH_ROW_COLUMNS)
