"""Review and withdrawal, with who may do them, and two people for every change of figures.

- `review` moves a pending batch to approved or returned (with a reason); on a batch whose
  withdrawal was asked for it approves the withdrawal (the figures stop counting) or refuses it
  (with a reason; the batch stays approved and counts on).
- `withdraw` takes back a batch that never counted (pending, returned) at once; for an APPROVED
  batch it only records a request (who, when, why) that a reviewer approves through `review`:
  until then the figures stay.
- Nobody approves what they asked for themselves (their own upload, their own withdrawal request)
  unless KPI_ALLOW_SELF_APPROVAL (`permissions.require_second_person`). The audit log has one
  entry for the request (actor: who asked) and one for the decision (actor: who decided).

Roles: `accounts.permissions.may_review` / `may_withdraw`, re-exported here. `batch_rows`: what a
batch brings, for its reviewer. Dashboards count only what kpis.versions says counts."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, select

from data_access import audit, clock, events
from data_access.accounts.identity import AuthUser
from data_access.accounts.permissions import may_review as may_review, may_withdraw as may_withdraw
from data_access.accounts.permissions import require_second_person
from data_access.errors import DataAccessError
from data_access.kpis import summary_writer
from data_access.reporting import batches
from data_access.reporting.kinds import KINDS
from data_access.schema.accounts import ROLE_NAMES_ZH
from data_access.schema.models import BATCH_APPROVED, BATCH_PENDING, BATCH_RETURNED, BATCH_WITHDRAWN, ProgressReport, Target


def refusal(user: AuthUser | None, zh: str, en: str) -> DataAccessError:
    who = "未登录" if user is None else f"账号“{user.username}”（{ROLE_NAMES_ZH.get(user.role, user.role)}）"
    return DataAccessError(f"{who}{zh}", f"{'Not signed in' if user is None else user.username}: {en}")


def decide(conn: Connection, batch_id: int, decision: str, actor: str, reason: str | None,
           now: dt.datetime) -> str:
    """Approve or return a pending batch in the caller's transaction (the role is checked by the
    caller: `review`, or commit's auto-approval; that the approver is not the uploader, here)."""
    batch = batches.get(conn, batch_id)
    if batch.status != BATCH_PENDING:
        raise DataAccessError(f"批次#{batch_id}当前为“{batches.STATUS_ZH[batch.status]}”，只有待审核的批次可以审核",
                              f"Batch #{batch_id} is not pending")
    if decision == "approve":
        require_second_person(actor, batch.uploaded_by, batch_id, "上传的批次", "an upload")
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
    summary_writer.follow_batch(conn, batch_id)
    return status


def decide_withdrawal(conn: Connection, batch_id: int, decision: str, actor: str, reason: str | None,
                      now: dt.datetime) -> str:
    """Approve (the batch is withdrawn: its figures stop counting from `now`, registry changes are
    reverted) or refuse (a reason needed; it stays approved) the withdrawal asked for an approved
    batch, in the caller's transaction. Not by the one who asked (`require_second_person`)."""
    batch = batches.get(conn, batch_id)
    if batch.status != BATCH_APPROVED or batch.withdraw_requested_at is None:
        raise DataAccessError(f"批次#{batch_id}没有待审核的撤回申请", f"Batch #{batch_id} has no withdrawal waiting")
    asked = {"status": batches.WITHDRAW_REQUESTED, "requested_by": batch.withdraw_requested_by,
             "requested_at": batch.withdraw_requested_at, "request_reason": batch.withdraw_reason}
    if decision == "approve":
        require_second_person(actor, batch.withdraw_requested_by, batch_id, "提出的撤回申请", "a withdrawal")
        KINDS[batch.kind].withdraw(conn, batch_id, actor, now)
        # withdrawn_at: from when the rows stop counting (kpis.versions.counted)
        batches.set_status(conn, batch_id, BATCH_APPROVED, requested=True, status=BATCH_WITHDRAWN,
                           withdrawn_at=now, withdrawn_by=actor)
        status, action = BATCH_WITHDRAWN, "withdraw"
    elif decision == "return":
        if not (reason or "").strip():
            raise DataAccessError("驳回撤回申请时必须填写原因", "A reason is required to refuse a withdrawal")
        batches.set_status(conn, batch_id, BATCH_APPROVED, requested=True, withdraw_requested_by=None,
                           withdraw_requested_at=None, withdraw_reason=None)
        status, action = BATCH_APPROVED, "withdraw_refused"
    else:
        raise DataAccessError(f"未知审核操作“{decision}”（应为 approve 或 return）", f"Unknown decision {decision}")
    audit.record(conn, actor=actor, action=action, entity="import_batches", entity_id=batch_id, before=asked,
                 after={"status": status, "approved_by" if status == BATCH_WITHDRAWN else "refused_by": actor,
                        "reason": (reason or "").strip() or None}, at=now)
    summary_writer.follow_batch(conn, batch_id)
    return status


def review(engine: Engine, batch_id: int, decision: str, *, reviewer: AuthUser, reason: str | None = None,
           now: dt.datetime | None = None) -> str:
    """Approve or return (with a reason) a pending batch as `reviewer`, or approve or refuse (with a
    reason) the withdrawal asked for an approved batch; returns the batch's new status. Refused
    unless `may_review(reviewer)`, and for the one who asked (see the module doc)."""
    if not may_review(reviewer):
        raise refusal(reviewer, "无权进行此操作（审核上报数据），需要：审核员、管理员",
                      "may not review submissions; needs: reviewer, admin")
    now = now or clock.now()
    with engine.begin() as conn:
        batch = batches.get(conn, batch_id)
        if batch.status == BATCH_APPROVED and batch.withdraw_requested_at is not None:
            status = decide_withdrawal(conn, batch_id, decision, reviewer.username, reason, now)
            withdrawal = True
        else:
            status = decide(conn, batch_id, decision, reviewer.username, reason, now)
            withdrawal = False
    if withdrawal:
        events.log("withdraw" if status == BATCH_WITHDRAWN else "return", user=reviewer.username,
                   unit=batch.unit_code, batch=batch_id, reason="approved" if status == BATCH_WITHDRAWN else "refused")
    else:
        events.log("approval" if status == BATCH_APPROVED else "return", user=reviewer.username, batch=batch_id)
    return status


def withdraw(engine: Engine, batch_id: int, *, user: AuthUser, reason: str | None = None,
             now: dt.datetime | None = None) -> str:
    """Take a batch back as a whole as `user`; returns its status afterwards. A batch that never
    counted (pending, returned) is withdrawn at once (its rows stay stored, the file may come
    again). An APPROVED batch is only asked to be withdrawn (batches.WITHDRAW_REQUESTED): a
    reviewer other than `user` approves it through `review`, and until then its figures count.
    Refused unless `may_withdraw(user, the batch's unit)`."""
    now = now or clock.now()
    with engine.begin() as conn:
        batch = batches.get(conn, batch_id)
        if not may_withdraw(user, batch.unit_code):
            raise refusal(user, f"无权撤回批次#{batch_id}", f"not allowed to withdraw batch #{batch_id}")
        if batch.status == BATCH_WITHDRAWN:
            raise DataAccessError(f"批次#{batch_id}已撤回", f"Batch #{batch_id} is already withdrawn")
        note = (reason or "").strip() or None
        if batch.status == BATCH_APPROVED:
            if batch.withdraw_requested_at is not None:
                raise DataAccessError(
                    f"批次#{batch_id}已有撤回申请（{batch.withdraw_requested_by}提出），正等待审核",
                    f"Batch #{batch_id} already has a withdrawal waiting for review")
            batches.set_status(conn, batch_id, BATCH_APPROVED, requested=False, withdraw_requested_by=user.username,
                               withdraw_requested_at=now, withdraw_reason=note)
            status, action = batches.WITHDRAW_REQUESTED, "withdraw_request"
        else:
            # A batch that never counted gets no withdrawn_at, so a returned-then-withdrawn file never
            # counts in any view (kpis.versions.counted).
            batches.set_status(conn, batch_id, batch.status, status=BATCH_WITHDRAWN, withdrawn_by=user.username)
            status, action = BATCH_WITHDRAWN, "withdraw"
        audit.record(conn, actor=user, action=action, entity="import_batches", entity_id=batch_id,
                     before={"status": batch.status}, after={"status": status, "reason": note}, at=now)
        summary_writer.follow_batch(conn, batch_id)
    events.log("withdraw", user=user.username, unit=batch.unit_code, batch=batch_id,
               reason="requested" if status == batches.WITHDRAW_REQUESTED else None)
    return status


BATCH_ROW_COLUMNS = ["item", "unit_code", "period", "old", "new", "action", "item_zh", "item_en", "measure_unit",
                     "note"]


def _progress_details(conn: Connection, batch_id: int) -> list[tuple[Any, ...]]:
    """(target code, name_zh, name_en, unit_zh, note) of a progress batch's rows, in row order (the
    order of VersionedKind.review_rows: by id)."""
    pr = ProgressReport
    return [tuple(r) for r in conn.execute(
        select(Target.code, Target.name_zh, Target.name_en, Target.unit_zh, pr.note)
        .join(Target, Target.id == pr.target_id).where(pr.batch_id == batch_id).order_by(pr.id))]


def batch_rows(engine: Engine, batch_id: int, now: dt.datetime | None = None) -> pd.DataFrame:
    """What a batch brings, for its reviewer (a few statements, whatever its size). Columns: item
    (target code, industry/platform or entry name), unit_code, period (text), old (the value in force
    at `now` before it, kpis.versions, None when there was none; or the changed fields' old values),
    new, action (new|changed); item_zh / item_en (a target's name, else empty), measure_unit (the
    figure's unit, 场次 / 人 …; empty for a registry's text), note (the clerk's 备注, or None)."""
    with engine.connect() as conn:
        batch = batches.get(conn, batch_id)
        rows = KINDS[batch.kind].review_rows(conn, batch_id, now or clock.now())
        details = _progress_details(conn, batch_id) if batch.kind == "progress" else []
    out = []
    for i, row in enumerate(rows):
        if details:
            code, name_zh, name_en, unit_zh, note = details[i]
            assert code == row[0], (code, row[0])
            out.append((*row, name_zh, name_en, unit_zh, note))
        else:
            out.append((*row, "", "", MEMBERSHIP_UNIT if batch.kind == "membership" else "", None))
    return pd.DataFrame(out, columns=BATCH_ROW_COLUMNS)


MEMBERSHIP_UNIT = "人"  # ne_membership.new_members counts persons
