"""Reading back what was reported: every version of a figure (`figure_history`, `versions_of`) and
who reported when (`submission_status`)."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import Engine, and_, func, or_, select

from data_access.kpis import calendar
from data_access import clock
from data_access.kpis import versions
from data_access.reporting.context import as_date, load_context
from data_access.reporting.kinds import get as get_kind
from data_access.schema.models import BATCH_APPROVED, BATCH_PENDING, BATCH_RETURNED, BATCH_WITHDRAWN, ImportBatch, PlanYear, ProgressReport, Target, Unit

GRACE_DAYS = calendar.GRACE_DAYS  # a week (Saturday–Friday) is due by the Monday after it (the one rule: calendar)

HISTORY_COLUMNS = ["period_start", "period_end", "value", "recorded_at", "reporter", "batch_id",
                   "file_name", "status", "in_force", "note"]


def figure_history(engine: Engine, target_code: str, unit_code: str, year: int | None = None,
                   day: dt.date | None = None, now: dt.datetime | None = None) -> pd.DataFrame:
    """Every version of a unit's weekly figure for a target (of the week containing `day` if given),
    oldest first per period. Columns: HISTORY_COLUMNS; status is the batch's (None: loaded
    directly); in_force marks the version kpis.versions.latest picks as known at `now` (default:
    now), the one the dashboards use."""
    pr = ProgressReport
    match = [pr.target_id.in_(select(Target.id).where(
        Target.code == target_code.upper(), *([Target.year == year] if year is not None else []))),
        pr.unit_code == unit_code]
    if day is not None:
        match += [pr.period_start <= day, pr.period_end >= day]
    latest = versions.latest(versions.PROGRESS, now or clock.now(), *match)
    stmt = (select(pr.period_start, pr.period_end, pr.value, pr.recorded_at, pr.reporter, pr.batch_id,
                   ImportBatch.file_name, ImportBatch.status, latest.c.id.is_not(None), pr.note)
            .outerjoin(ImportBatch, ImportBatch.id == pr.batch_id)
            .outerjoin(latest, latest.c.id == pr.id)
            .where(*match).order_by(pr.period_end, pr.period_start, pr.recorded_at, pr.id))
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    df = pd.DataFrame([tuple(r) for r in rows], columns=HISTORY_COLUMNS)
    for col in ("period_start", "period_end"):
        df[col] = df[col].map(as_date)
    df["in_force"] = df["in_force"].astype(bool)
    return df


def versions_of(engine: Engine, kind: str, values: dict[str, Any], now: dt.datetime | None = None,
                year: int | None = None) -> pd.DataFrame:
    """Every version of the figure or registry entry a row of a file (`values`, parsed) is about,
    for any kind. Columns: id, value, recorded_at, batch_id, status, in_force (at `now`)."""
    with engine.connect() as conn:
        ctx = load_context(conn, now or clock.now(), year, None)
        rows = get_kind(kind).history(conn, values, ctx)
    return pd.DataFrame(rows, columns=["id", "value", "recorded_at", "batch_id", "status", "in_force"])


STATUS_COLUMNS = ["unit_code", "name_zh", "name_en", "kind", "last_period_end", "last_upload_at",
                  "pending", "returned", "due_period_end", "late", "weeks_behind"]


def due_period_end(now: dt.datetime, start: dt.date, end: dt.date) -> dt.date | None:
    """The end of the latest reporting week whose deadline has come by `now`
    (`calendar.due_week_end`, judged inside the plan year)."""
    return calendar.due_week_end(now.date(), start, end)


def submission_status(engine: Engine, year: int, now: dt.datetime | None = None, *,
                      as_of: dt.date | None = None) -> pd.DataFrame:
    """Has each unit sent its weekly figures on time? The reporting page's question, about the
    county office's duty: a file waiting for review counts as sent. (The weekly briefing counts
    only figures the dashboards count, meeting.week_reporting, by the same deadline rule.)

    Judged at `now` (K, default the organisation's now) for a view through `as_of` (D, default
    now's date): at the earlier of K and the end of D, inside the plan year (`calendar.
    due_week_end`), so a correction sent in January neither makes every unit late nor moves the
    check past the year. Columns: STATUS_COLUMNS. last_period_end: the latest week the unit has
    sent (approved, pending or loaded) by then; last_upload_at: its latest upload of any kind
    (withdrawn ones aside); pending/returned: counts of its batches in those states;
    due_period_end: the latest week already due; late: the unit's report of that week was not
    recorded by its deadline (`calendar.report_deadline`: on the deadline day on time, the day
    after late); weeks_behind: weeks missing up to it (at least 1 when late)."""
    now = now or clock.now()
    day = as_of if as_of is not None else now.date()
    at = min(now, dt.datetime.combine(day, dt.time(23, 59, 59)))
    pr, b = ProgressReport, ImportBatch
    sent_clause = or_(pr.batch_id.is_(None), b.status.in_([BATCH_APPROVED, BATCH_PENDING]))
    with engine.connect() as conn:
        start_raw, end_raw = conn.execute(select(PlanYear.start_date, PlanYear.end_date)
                                          .where(PlanYear.year == year)).one()
        start, end = as_date(start_raw), as_date(end_raw)
        assert start is not None and end is not None
        due = calendar.due_week_end(at.date(), start, end)
        units = conn.execute(select(Unit.code, Unit.name_zh, Unit.name_en, Unit.kind)
                             .where(Unit.active.is_(True)).order_by(Unit.sort_order, Unit.code)).all()
        sent = dict(conn.execute(
            select(pr.unit_code, func.max(pr.period_end)).join(Target, Target.id == pr.target_id)
            .outerjoin(b, b.id == pr.batch_id)
            .where(Target.year == year, pr.recorded_at <= at, sent_clause)
            .group_by(pr.unit_code)).all())
        on_time: set[str] = set()
        if due is not None:
            on_time = set(conn.execute(
                select(pr.unit_code).distinct().join(Target, Target.id == pr.target_id)
                .outerjoin(b, b.id == pr.batch_id)
                .where(Target.year == year, pr.period_end == due, sent_clause, pr.recorded_at <= at,
                       pr.recorded_at < calendar.deadline_cutoff(due))).scalars())
        known = and_(b.uploaded_at <= at, b.status != BATCH_WITHDRAWN)
        uploads = dict(conn.execute(select(b.unit_code, func.max(b.uploaded_at)).where(known)
                                    .group_by(b.unit_code)).all())
        counts = conn.execute(select(b.unit_code, b.status, func.count())
                              .where(known, b.status.in_([BATCH_PENDING, BATCH_RETURNED]))
                              .group_by(b.unit_code, b.status)).all()
    by_status = {(u, s): n for u, s, n in counts}
    rows = []
    for code, name_zh, name_en, kind in units:
        last = as_date(sent.get(code))
        late = due is not None and code not in on_time
        behind = 0
        if late and due is not None:
            behind = max(1, ((due - (last or start - dt.timedelta(days=1))).days + 6) // 7)
        rows.append((code, name_zh, name_en, kind, last, uploads.get(code),
                     by_status.get((code, BATCH_PENDING), 0), by_status.get((code, BATCH_RETURNED), 0),
                     due, late, behind))
    return pd.DataFrame(rows, columns=STATUS_COLUMNS)
