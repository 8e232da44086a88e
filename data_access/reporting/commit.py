"""Storing a file: `commit` does all of preview's work again inside ONE transaction, after locking
the units the file is about, then writes an ImportBatch (who, when, file name, sha256, row counts,
the original bytes) and the rows through the kind. Any problem rejects the whole file.

Concurrency: two uploads for the same county run one after the other (`lock_units`): the second
sees the first's rows, so it is refused if it is the same file, or if the caller passes the
fingerprint of the preview the user confirmed and that preview is out of date; otherwise it is
stored as a later version that sorts after the first (never before it), so the later upload wins
and both are kept.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, insert, select, update

from data_access import audit, clock, events
from data_access.accounts.auth import AuthUser
from data_access.errors import DataAccessError
from data_access.kpis import summary_writer
from data_access.reporting.issues import ImportRejected, Issue
from data_access.reporting.kinds import KINDS
from data_access.reporting.preview import Prepared, prepare
from data_access.accounts.permissions import may_review, require_second_person
from data_access.reporting.review import decide, refusal
from data_access.schema.models import BATCH_APPROVED, BATCH_PENDING, ImportBatch, Unit


@dataclass(frozen=True)
class Committed:
    batch_id: int
    status: str
    counts: dict[str, int]


def lock_units(conn: Connection, codes: Sequence[str]) -> None:
    """Serialise imports touching the same units until this transaction ends: SELECT … FOR UPDATE
    in a fixed order (two files with overlapping units cannot deadlock); on SQLite a no-op UPDATE
    that takes the database's write lock."""
    ordered = sorted(set(codes))
    if conn.dialect.name == "sqlite":
        conn.execute(update(Unit).where(Unit.code.in_(ordered)).values(active=Unit.active))
    else:
        conn.execute(select(Unit.code).where(Unit.code.in_(ordered)).order_by(Unit.code).with_for_update())


def write_rows(conn: Connection, prep: Prepared, batch_id: int, recorded_at: dt.datetime, actor: str) -> None:
    """The batch's rows, through its kind."""
    KINDS[prep.preview.kind].write(conn, prep.preview.changes, prep.ctx, batch_id, recorded_at, actor)


def commit(engine: Engine, data: bytes, file_name: str, *, actor: str,
           allowed_units: Iterable[str] | None = None, now: dt.datetime | None = None,
           year: int | None = None, kind: str | None = None, approver: AuthUser | None = None,
           expect: str | None = None) -> Committed:
    """Check `data` again and store it in one transaction as a new batch: pending, or with an
    `approver` approved on upload by that user (refused unless review.may_review, and when the
    approver is the uploader `actor` unless KPI_ALLOW_SELF_APPROVAL). `expect`: the fingerprint of
    the preview the user confirmed; if what is stored has changed since, nothing is written and the
    user is asked to look again."""
    if not actor:
        raise DataAccessError("未指定上传人", "No uploader given")
    if approver is not None and not may_review(approver):
        raise refusal(approver, "无权进行此操作（导入即通过审核），需要：审核员、管理员",
                      "may not approve on upload; needs: reviewer, admin")
    if approver is not None:  # two people for a change of figures (checked again by review.decide)
        require_second_person(approver.username, actor, None, "上传的文件", "an upload")
    try:
        with engine.begin() as conn:
            prep = prepare(conn, data, file_name, now=now or clock.now(), year=year, kind=kind,
                           allowed_units=allowed_units, lock=lambda c, units: lock_units(c, units))
            pv = prep.preview
            if expect is not None and expect != pv.fingerprint:
                raise ImportRejected([Issue(file_name, "预览之后，文件涉及的数据已被其他上报或审核更新；"
                                                       "请重新预览，核对后再确认导入")])
            # Taken after the lock; a new version never sorts before one already stored.
            recorded_at = now or clock.now()
            if prep.latest_recorded is not None and prep.latest_recorded > recorded_at:
                recorded_at = prep.latest_recorded
            counts = pv.counts
            result = conn.execute(insert(ImportBatch).values(
                kind=pv.kind, unit_code=pv.unit_codes[0] if len(pv.unit_codes) == 1 else None,
                file_name=file_name[:255], file_sha256=pv.sha256, file_bytes=data, uploaded_by=actor,
                uploaded_at=recorded_at, row_count=counts["total"], rows_new=counts["new"],
                rows_changed=counts["changed"], status=BATCH_PENDING))
            assert result.inserted_primary_key is not None
            batch_id = int(result.inserted_primary_key[0])
            write_rows(conn, prep, batch_id, recorded_at, actor)
            audit.record(conn, actor=actor, action="import", entity="import_batches", entity_id=batch_id,
                         after={"file_name": file_name, "sha256": pv.sha256, **counts}, at=recorded_at)
            summary_writer.follow_batch(conn, batch_id)  # pending: nothing counts yet, the sums stay current
            status = BATCH_PENDING
            if approver is not None:
                decide(conn, batch_id, "approve", approver.username, None, recorded_at)
                status = BATCH_APPROVED
    except ImportRejected as exc:
        events.log("import_rejected", user=actor, issues=len(exc.issues))
        raise
    unit = pv.unit_codes[0] if len(pv.unit_codes) == 1 else None
    events.log("import", user=actor, unit=unit, batch=batch_id, rows=counts["total"], new=counts["new"],
               changed=counts["changed"])
    if status == BATCH_APPROVED:
        events.log("approval", user=approver.username if approver else None, unit=unit, batch=batch_id)
    return Committed(batch_id, status, counts)
