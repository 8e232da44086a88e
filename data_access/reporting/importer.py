"""County reports into the database: preview, commit, review, withdraw, history. No streamlit.

One code path for the page and the command line:
- `preview()` reads and checks a file and says what it would change against what is stored;
- `commit()` does all of that again inside ONE transaction, after locking the units the file is
  about, then writes an ImportBatch (who, when, file name, sha256, row counts, the original bytes)
  and the rows. Any problem rejects the whole file and writes nothing.
- `review()` moves a pending batch to approved or returned (with a reason); `withdraw()` takes a
  batch back as a whole. Dashboards only count approved batches (queries.visible).

Versioned figures (weekly progress, monthly membership) never change in place: a correction is a
new row, so every version stays and `figure_history()` can show them. Registries (facilities,
union organisations) get new entries as rows of the batch; a change to an existing entry is stored
as a planned update in the audit log and applied when the batch is approved (reverted on withdrawal).

Concurrency: `commit()` locks the rows of the units in the file (SELECT … FOR UPDATE on PostgreSQL;
on SQLite, a no-op UPDATE that takes the database's write lock) before it looks at what is stored.
Two uploads for the same county therefore run one after the other: the second sees the first's
rows, so it is refused if it is the same file, or if the caller passes the fingerprint of the
preview the user confirmed and that preview is out of date; otherwise it is stored as a later
version that sorts after the first (never before it), so the later upload wins and both are kept.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import pandas as pd
from sqlalchemy import Connection, Engine, and_, func, insert, or_, select, update

from data_access import clock
from data_access.kpis import calendar
from data_access.reporting import validation as v
from data_access.errors import DataAccessError
from data_access.schema.models import BATCH_APPROVED, BATCH_PENDING, BATCH_RETURNED, BATCH_WITHDRAWN, AuditLog, Facility, ImportBatch, NeMembership, PlanYear, ProgressReport, Target, UnionOrg, Unit

STATUS_ZH = {BATCH_PENDING: "待审核", BATCH_APPROVED: "已通过", BATCH_RETURNED: "已退回",
             BATCH_WITHDRAWN: "已撤回", None: "直接导入"}
ACTION_ZH = {"new": "新增", "changed": "修改", "unchanged": "无变化"}
INSERT_CHUNK = 500
GRACE_DAYS = 3  # a week (Saturday–Friday) is due by the Monday after it

# Registry tables: the columns a file may change on an existing entry, and how entries are matched.
REGISTRY = {
    "facilities": (Facility, ("address", "host_org", "lat", "lon", "opened_on", "closed_on", "status",
                              "services", "capacity"), ("opened_on", "closed_on")),
    "union_orgs": (UnionOrg, ("founded_on", "sector", "is_new_economy", "industry", "platform",
                              "members_at_founding"), ("founded_on",)),
}


def _now() -> dt.datetime:
    return clock.now()


def _date(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    return dt.date.fromisoformat(str(value)[:10])


def _jsonable(value):
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value


def _same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and abs(float(a) - float(b)) < 1e-7
    if isinstance(a, dt.date) or isinstance(b, dt.date):
        return _date(a) == _date(b)
    return a == b


# ---------------------------------------------------------------------------------------------
# what a file would change


@dataclass
class Change:
    line: int
    action: str  # new | changed | unchanged
    values: dict[str, Any]  # the row as parsed
    old: dict[str, Any] | None = None  # versioned: the version in force; registry: the entry's fields
    entity_id: int | None = None  # registry: the entry a change applies to
    pending_elsewhere: list[int] = field(default_factory=list)  # other pending batches with this figure


@dataclass
class Preview:
    file_name: str
    sha256: str
    size: int
    kind: str
    sheet: str | None
    unit_codes: tuple[str, ...]
    changes: list[Change]
    fingerprint: str  # of the stored rows the changes were computed against
    year: int

    @property
    def counts(self) -> dict[str, int]:
        out = {"total": len(self.changes), "new": 0, "changed": 0, "unchanged": 0}
        for c in self.changes:
            out[c.action] += 1
        return out

    @property
    def title(self) -> str:
        return v.KINDS[self.kind].title


@dataclass(frozen=True)
class Committed:
    batch_id: int
    status: str
    counts: dict[str, int]


def _context(conn: Connection, now: dt.datetime, year: int | None,
             allowed_units: Iterable[str] | None) -> v.Context:
    years = conn.execute(select(PlanYear.year, PlanYear.start_date, PlanYear.end_date)
                         .order_by(PlanYear.year)).all()
    if not years:
        raise DataAccessError("数据库中没有计划年度，无法导入", "The database has no plan year")
    if year is None:  # the plan year of today, else the latest one that has begun
        year = calendar.plan_year_of(now.date(), {y: (s, e) for y, s, e in years})
    row = next((y for y in years if y[0] == year), None)
    if row is None:
        raise DataAccessError(f"没有{year}计划年度", f"No plan year {year}")
    units = {code: v.UnitInfo(name, kind) for code, name, kind in conn.execute(
        select(Unit.code, Unit.name_zh, Unit.kind).where(Unit.active.is_(True)))}
    targets = {code: v.TargetInfo(tid, name, unit, float(value), measure)
               for tid, code, name, unit, value, measure in conn.execute(
                   select(Target.id, Target.code, Target.name_zh, Target.unit_zh, Target.value,
                          Target.measure).where(Target.year == year))}
    return v.Context(year, _date(row[1]), _date(row[2]), now, units, targets,
                     None if allowed_units is None else frozenset(allowed_units))


def _lock_units(conn: Connection, codes: Sequence[str]) -> None:
    """Serialise imports touching the same units until this transaction ends (see module doc)."""
    codes = sorted(set(codes))
    if conn.dialect.name == "sqlite":
        conn.execute(update(Unit).where(Unit.code.in_(codes)).values(active=Unit.active))
    else:  # a fixed order, so two files with overlapping units cannot deadlock
        conn.execute(select(Unit.code).where(Unit.code.in_(codes)).order_by(Unit.code).with_for_update())


def _fingerprint(rows: Iterable) -> str:
    text = json.dumps(sorted([[_jsonable(x) for x in r] for r in rows], key=str), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _in_force(status) -> bool:
    return status is None or status == BATCH_APPROVED


# versioned kinds: the key columns in the table and the figure's column
VERSIONED = {
    "progress": (ProgressReport, ("target_id", "unit_code", "period_start", "period_end"), "value"),
    "membership": (NeMembership, ("month", "unit_code", "industry", "platform"), "new_members"),
}


def _row_key(kind: str, values: dict, ctx: v.Context) -> tuple:
    if kind == "progress":
        return (ctx.targets[values["target_code"]].id, values["unit_code"], values["period_start"],
                values["period_end"])
    return tuple(values[k] for k in VERSIONED[kind][1])


def _plan_versioned(conn, kind, rows, ctx) -> tuple[list[Change], str, dt.datetime | None]:
    table, key_cols, value_col = VERSIONED[kind]
    cols = [getattr(table, k) for k in key_cols]
    keys = {_row_key(kind, r.values, ctx) for r in rows}
    stmt = (select(table.id, *cols, getattr(table, value_col), table.recorded_at, table.batch_id,
                   ImportBatch.status)
            .outerjoin(ImportBatch, ImportBatch.id == table.batch_id)
            .where(*[c.in_(sorted({k[i] for k in keys})) for i, c in enumerate(cols)]))
    stored: dict[tuple, list] = {}
    for r in conn.execute(stmt):
        key = tuple(r[1:1 + len(cols)])
        if key in keys:
            stored.setdefault(key, []).append(r)
    changes = []
    latest_recorded = None
    for row in rows:
        versions = sorted(stored.get(_row_key(kind, row.values, ctx), []),
                          key=lambda r: (r.recorded_at, r.id))
        in_force = [r for r in versions if _in_force(r.status)]
        pending = sorted({r.batch_id for r in versions if r.status == BATCH_PENDING})
        new_value = row.values["value" if kind == "progress" else "new_members"]
        if not in_force:
            action, old = "new", None
        else:
            old = {"value": in_force[-1][1 + len(cols)], "recorded_at": in_force[-1].recorded_at,
                   "batch_id": in_force[-1].batch_id}
            action = "unchanged" if _same(float(old["value"]), float(new_value)) else "changed"
        changes.append(Change(row.line, action, row.values, old, pending_elsewhere=pending))
        if versions:
            newest = versions[-1].recorded_at
            latest_recorded = newest if latest_recorded is None else max(latest_recorded, newest)
    fp = _fingerprint((r.id, r.status) for rs in stored.values() for r in rs)
    return changes, fp, latest_recorded


def _registry_key(kind: str, values: dict) -> tuple:
    return (values["kind"], values["unit_code"], values["name"]) if kind == "facilities" else (
        values["unit_code"], values["name"])


def _planned_updates(conn, kind: str, entity_ids: Iterable[int]) -> dict[int, list[tuple[int, str]]]:
    """entity id -> [(batch id, batch status)] of planned (not yet applied) registry updates."""
    ids = [str(i) for i in entity_ids]
    if not ids:
        return {}
    out: dict[int, list] = {}
    rows = conn.execute(select(AuditLog.entity_id, AuditLog.action).where(
        AuditLog.entity == kind, AuditLog.entity_id.in_(ids), AuditLog.action.like("planned:%"))).all()
    batch_ids = {int(a.split(":")[1]) for _e, a in rows}
    status = dict(conn.execute(select(ImportBatch.id, ImportBatch.status)
                               .where(ImportBatch.id.in_(batch_ids))).all()) if batch_ids else {}
    for entity_id, action in rows:
        b = int(action.split(":")[1])
        out.setdefault(int(entity_id), []).append((b, status.get(b)))
    return out


def _plan_registry(conn, kind, rows, ctx, issue) -> tuple[list[Change], str]:
    table, fields, date_fields = REGISTRY[kind]
    names = sorted({r.values["name"] for r in rows})
    units = sorted({r.values["unit_code"] for r in rows})
    stmt = (select(*table.__table__.c, ImportBatch.status.label("batch_status"))
            .outerjoin(ImportBatch, ImportBatch.id == table.batch_id)
            .where(table.name.in_(names), table.unit_code.in_(units), table.superseded_at.is_(None)))
    stored: dict[tuple, list] = {}
    for entity in conn.execute(stmt):
        status = entity.batch_status
        key = _registry_key(kind, {"kind": getattr(entity, "kind", None), "unit_code": entity.unit_code,
                                   "name": entity.name})
        stored.setdefault(key, []).append((entity, status))
    planned = _planned_updates(conn, kind, [e.id for es in stored.values() for e, _s in es])
    changes, fp_rows = [], []
    for row in rows:
        entries = stored.get(_registry_key(kind, row.values), [])
        live = sorted((e for e, s in entries if _in_force(s)), key=lambda e: e.id)
        waiting = sorted({e.batch_id for e, s in entries if s == BATCH_PENDING} |
                         {b for e in live for b, s in planned.get(e.id, []) if s == BATCH_PENDING})
        if waiting:
            issue(row.line, "name", f"“{row.values['name']}”已在待审核的批次#{waiting[0]}中，"
                                    "请等待审核或撤回该批次后再报")
        for e in live:
            fp_rows.append((e.id, *[getattr(e, f) for f in fields], tuple(planned.get(e.id, []))))
        if not live:
            for f in date_fields:
                if row.values.get(f) is not None and row.values[f] < ctx.start:
                    issue(row.line, f, f"新登记的日期{row.values[f]}早于{ctx.year}计划年度（{ctx.start}起）")
            changes.append(Change(row.line, "new", row.values))
            continue
        entity = live[-1]
        old = {f: getattr(entity, f) for f in fields}
        diff = [f for f in fields if not _same(old[f], row.values.get(f))]
        for f in diff:
            if f in date_fields and row.values.get(f) is not None and not ctx.start <= row.values[f]:
                issue(row.line, f, f"修改后的日期{row.values[f]}早于{ctx.year}计划年度（{ctx.start}起）")
        changes.append(Change(row.line, "changed" if diff else "unchanged", row.values, old, entity.id))
    return changes, _fingerprint(fp_rows)


@dataclass
class _Prepared:
    preview: Preview
    ctx: v.Context
    latest_recorded: dt.datetime | None
    data: bytes


def _prepare(conn: Connection, data: bytes, file_name: str, *, now, year, kind, allowed_units,
             lock: bool) -> _Prepared:
    ctx = _context(conn, now, year, allowed_units)
    table = v.read_table(data, file_name)
    report = v.detect_kind(table, kind)
    rows, issues = v.check_rows(table, report, ctx)
    if issues:
        raise v.ImportRejected(issues)
    units = tuple(sorted({r.values["unit_code"] for r in rows}))
    if lock:
        _lock_units(conn, units)
    sha = hashlib.sha256(data).hexdigest()
    earlier = conn.execute(select(ImportBatch.id, ImportBatch.uploaded_at, ImportBatch.status).where(
        ImportBatch.file_sha256 == sha, ImportBatch.status != BATCH_WITHDRAWN)
        .order_by(ImportBatch.id)).first()
    if earlier is not None:
        raise v.ImportRejected([v.Issue(file_name, f"同一文件已于{earlier.uploaded_at:%Y-%m-%d %H:%M}导入"
                                                   f"（批次#{earlier.id}，{STATUS_ZH[earlier.status]}），"
                                                   "不能重复导入；如需更正请修改后重新上传")])

    def issue(line, key, message):
        issues.append(v.Issue(file_name, message, table.sheet, line, report.column(key).label,
                              table.col_pos(table.columns[key])))

    latest = None
    if report.code in VERSIONED:
        changes, fp, latest = _plan_versioned(conn, report.code, rows, ctx)
    else:
        changes, fp = _plan_registry(conn, report.code, rows, ctx, issue)
    if not issues and not any(c.action != "unchanged" for c in changes):
        issues.append(v.Issue(file_name, "文件中的数据与已入库数据完全相同，没有需要导入的内容", table.sheet))
    if issues:
        raise v.ImportRejected(issues)
    pv = Preview(file_name, sha, len(data), report.code, table.sheet, units, changes, fp, ctx.year)
    return _Prepared(pv, ctx, latest, data)


def preview(engine: Engine, data: bytes, file_name: str, *, allowed_units: Iterable[str] | None = None,
            now: dt.datetime | None = None, year: int | None = None, kind: str | None = None) -> Preview:
    """Read and check `data`; what it would change. Raises ImportRejected listing every problem."""
    with engine.connect() as conn:
        return _prepare(conn, data, file_name, now=now or _now(), year=year, kind=kind,
                        allowed_units=allowed_units, lock=False).preview


def _fields_text(kind: str, fields: dict) -> str:
    """Changed registry fields as 列名=值 text, choices by their label (状态=关闭, not closed)."""
    columns = {c.key: c for c in v.KINDS[kind].columns}
    parts = []
    for key, value in fields.items():
        col = columns[key]
        label = next((lab for lab, stored in (col.choices or {}).items() if stored == value), None)
        parts.append(f"{col.label}={label or ('' if value is None else _jsonable(value))}")
    return "；".join(parts)


CHANGE_COLUMNS = ["line", "action", "unit_code", "item", "period", "old", "new", "pending_elsewhere"]


def changes_frame(pv: Preview) -> pd.DataFrame:
    """The preview as a table (for the page and the command line). Columns: CHANGE_COLUMNS; item is
    the target code, industry/platform or entry name; old/new the figure, or for a registry entry
    the changed fields as 列名=值 text; pending_elsewhere: other pending batches with this figure."""
    out = []
    for c in pv.changes:
        x = c.values
        if pv.kind == "progress":
            item, period = x["target_code"], f"{x['period_start']}~{x['period_end']}"
            old, new = (c.old or {}).get("value"), x["value"]
        elif pv.kind == "membership":
            item, period = f"{x['industry']}/{x['platform']}", f"{x['month']:%Y-%m}"
            old, new = (c.old or {}).get("value"), x["new_members"]
        else:
            item, period = x["name"], str(x.get("opened_on") or x.get("founded_on"))
            diff = [f for f in REGISTRY[pv.kind][1] if c.old and not _same(c.old[f], x.get(f))]
            old = _fields_text(pv.kind, {f: c.old[f] for f in diff}) or None
            new = _fields_text(pv.kind, {f: x.get(f) for f in diff})
        out.append((c.line, c.action, x["unit_code"], item, period, old, new,
                    "、".join(f"#{b}" for b in c.pending_elsewhere)))
    return pd.DataFrame(out, columns=CHANGE_COLUMNS)


# ---------------------------------------------------------------------------------------------
# writing


def _insert_chunk(conn: Connection, table, rows: list[dict]) -> None:
    conn.execute(insert(table), rows)


def _insert_rows(conn: Connection, table, rows: list[dict]) -> None:
    for i in range(0, len(rows), INSERT_CHUNK):
        _insert_chunk(conn, table, rows[i:i + INSERT_CHUNK])


def _audit(conn, at, actor, action, entity, entity_id=None, before=None, after=None) -> None:
    dump = lambda d: None if d is None else json.dumps(  # noqa: E731
        {k: _jsonable(x) for k, x in d.items()}, ensure_ascii=False)
    conn.execute(insert(AuditLog).values(at=at, actor=actor, action=action, entity=entity,
                                         entity_id=None if entity_id is None else str(entity_id),
                                         before=dump(before), after=dump(after)))


def _write_rows(conn, prep: _Prepared, batch_id: int, recorded_at: dt.datetime, actor: str) -> None:
    pv, ctx = prep.preview, prep.ctx
    todo = [c for c in pv.changes if c.action != "unchanged"]
    if pv.kind == "progress":
        _insert_rows(conn, ProgressReport, [dict(
            target_id=ctx.targets[c.values["target_code"]].id, unit_code=c.values["unit_code"],
            period_start=c.values["period_start"], period_end=c.values["period_end"],
            value=float(c.values["value"]), reporter=actor, recorded_at=recorded_at, batch_id=batch_id,
            note=c.values.get("note")) for c in todo])
    elif pv.kind == "membership":
        _insert_rows(conn, NeMembership, [dict(
            month=c.values["month"], unit_code=c.values["unit_code"], industry=c.values["industry"],
            platform=c.values["platform"], new_members=c.values["new_members"], recorded_at=recorded_at,
            batch_id=batch_id) for c in todo])
    else:
        table, fields, _dates = REGISTRY[pv.kind]
        keys = ("kind", "unit_code", "name") if pv.kind == "facilities" else ("unit_code", "name")
        _insert_rows(conn, table, [
            {**{k: c.values.get(k) for k in keys + fields}, "recorded_at": recorded_at, "batch_id": batch_id}
            for c in todo if c.action == "new"])
        for c in todo:
            if c.action == "changed":  # applied when the batch is approved
                diff = [f for f in fields if not _same(c.old[f], c.values.get(f))]
                _audit(conn, recorded_at, actor, f"planned:{batch_id}", pv.kind, c.entity_id,
                       {f: c.old[f] for f in diff}, {f: c.values.get(f) for f in diff})


def commit(engine: Engine, data: bytes, file_name: str, *, actor: str,
           allowed_units: Iterable[str] | None = None, now: dt.datetime | None = None,
           year: int | None = None, kind: str | None = None, auto_approve: bool = False,
           expect: str | None = None) -> Committed:
    """Check `data` again and store it in one transaction as a new batch (pending, or approved when
    `auto_approve`). `expect`: the fingerprint of the preview the user confirmed; if what is stored
    has changed since, nothing is written and the user is asked to look again."""
    if not actor:
        raise DataAccessError("未指定上传人", "No uploader given")
    with engine.begin() as conn:
        prep = _prepare(conn, data, file_name, now=now or _now(), year=year, kind=kind,
                        allowed_units=allowed_units, lock=True)
        pv = prep.preview
        if expect is not None and expect != pv.fingerprint:
            raise v.ImportRejected([v.Issue(file_name, "预览之后，文件涉及的数据已被其他上报或审核更新；"
                                                       "请重新预览，核对后再确认导入")])
        # Taken after the lock; a new version never sorts before one already stored.
        recorded_at = now or _now()
        if prep.latest_recorded is not None and prep.latest_recorded > recorded_at:
            recorded_at = prep.latest_recorded
        counts = pv.counts
        result = conn.execute(insert(ImportBatch).values(
            kind=pv.kind, unit_code=pv.unit_codes[0] if len(pv.unit_codes) == 1 else None,
            file_name=file_name[:255], file_sha256=pv.sha256, file_bytes=data, uploaded_by=actor,
            uploaded_at=recorded_at, row_count=counts["total"], rows_new=counts["new"],
            rows_changed=counts["changed"], status=BATCH_PENDING))
        batch_id = int(result.inserted_primary_key[0])
        _write_rows(conn, prep, batch_id, recorded_at, actor)
        _audit(conn, recorded_at, actor, "import", "import_batches", batch_id,
               after={"file_name": file_name, "sha256": pv.sha256, **counts})
        status = BATCH_PENDING
        if auto_approve:
            _decide(conn, batch_id, "approve", actor, None, recorded_at)
            status = BATCH_APPROVED
    return Committed(batch_id, status, counts)


# ---------------------------------------------------------------------------------------------
# review and withdrawal


def _batch(conn, batch_id: int):
    row = conn.execute(select(ImportBatch.id, ImportBatch.status, ImportBatch.unit_code,
                              ImportBatch.kind, ImportBatch.uploaded_by)
                       .where(ImportBatch.id == batch_id)).first()
    if row is None:
        raise DataAccessError(f"没有批次#{batch_id}", f"No batch #{batch_id}")
    return row


def _set_status(conn, batch_id: int, old: str, **values) -> None:
    # Compare-and-set: of two reviewers acting on the same batch at once, the second one fails.
    done = conn.execute(update(ImportBatch).where(ImportBatch.id == batch_id, ImportBatch.status == old)
                        .values(**values)).rowcount
    if done != 1:
        raise DataAccessError(f"批次#{batch_id}的状态刚被他人修改，请刷新后再试",
                              f"Batch #{batch_id} was just changed by someone else")


def _copy(conn, table, entity, now: dt.datetime, batch_id, replaces_id: int, values: dict) -> int:
    """Insert a new version of a registry entry: `entity`'s columns with `values` over them."""
    row = {c.name: getattr(entity, c.name) for c in table.__table__.c if c.name != "id"}
    row.update(values, recorded_at=now, batch_id=batch_id, replaces_id=replaces_id, superseded_at=None)
    return int(conn.execute(insert(table).values(**row)).inserted_primary_key[0])


def _supersede(conn, table, row_id: int, now: dt.datetime) -> None:
    conn.execute(update(table).where(table.id == row_id).values(superseded_at=now))


def _move_registry(conn, batch_id: int, kind: str, actor: str, now: dt.datetime, forward: bool) -> None:
    """Apply (forward) or revert the registry updates a batch planned, as new versions: the version
    in force gets superseded_at = now and a new row takes over from now on, so dates before `now`
    still show what was known then. Refuse if the entry has been changed by something else meanwhile."""
    table, fields, date_fields = REGISTRY[kind]
    if forward:
        plans = conn.execute(select(AuditLog.entity_id, AuditLog.before, AuditLog.after).where(
            AuditLog.entity == kind, AuditLog.action == f"planned:{batch_id}").order_by(AuditLog.id)).all()
        for entity_id, before, after in plans:
            src, dst = json.loads(before), json.loads(after)
            entity = conn.execute(select(*table.__table__.c).where(table.id == int(entity_id))).one()
            if entity.superseded_at is not None or not all(_same(getattr(entity, f), x) for f, x in src.items()):
                raise DataAccessError(f"“{entity.name}”在本批次提交后已被修改，无法通过；请退回后重新上报",
                                      f"“{entity.name}” changed since the batch was sent")
            values = {f: _date(x) if f in date_fields and x else x for f, x in dst.items()}
            new_id = _copy(conn, table, entity, now, batch_id, entity.id, values)
            _supersede(conn, table, entity.id, now)
            _audit(conn, now, actor, f"applied:{batch_id}", kind, new_id, src, dst)
        return
    c = table.__table__.c
    mine = conn.execute(select(*c).where(table.batch_id == batch_id).order_by(table.id)).all()
    for row in mine:
        if row.superseded_at is None:
            continue
        # Superseded: by a later batch's change (to this batch's change, or to an entry this batch
        # created). Taking this batch back would pull the ground from under that later version.
        later = conn.execute(select(table.batch_id).where(
            table.unit_code == row.unit_code, table.name == row.name, table.superseded_at.is_(None),
            *([table.kind == row.kind] if kind == "facilities" else []),
            or_(table.batch_id.is_(None), table.batch_id != batch_id))).first()
        if later is not None:
            raise DataAccessError(
                f"“{row.name}”在本批次之后已被批次#{later.batch_id}修改，无法撤回；请先撤回批次#{later.batch_id}",
                f"“{row.name}” was changed by batch #{later.batch_id} after this one; withdraw that first")
    applied = {int(i) for (i,) in conn.execute(select(AuditLog.entity_id).where(
        AuditLog.entity == kind, AuditLog.action == f"applied:{batch_id}"))}
    for version in (r for r in mine if r.id in applied):  # not the copies a withdrawal restored
        prior = conn.execute(select(*c).where(table.id == version.replaces_id)).one()
        restored = _copy(conn, table, prior, now, prior.batch_id, version.id, {})
        _supersede(conn, table, version.id, now)
        diff = [f for f in fields if not _same(getattr(version, f), getattr(prior, f))]
        _audit(conn, now, actor, f"reverted:{batch_id}", kind, restored,
               {f: getattr(version, f) for f in diff}, {f: getattr(prior, f) for f in diff})


def _decide(conn, batch_id: int, decision: str, actor: str, reason: str | None, now: dt.datetime) -> str:
    batch = _batch(conn, batch_id)
    if batch.status != BATCH_PENDING:
        raise DataAccessError(f"批次#{batch_id}当前为“{STATUS_ZH[batch.status]}”，只有待审核的批次可以审核",
                              f"Batch #{batch_id} is not pending")
    if decision == "approve":
        if batch.kind in REGISTRY:
            _move_registry(conn, batch_id, batch.kind, actor, now, forward=True)
        status = BATCH_APPROVED
    elif decision == "return":
        if not (reason or "").strip():
            raise DataAccessError("退回时必须填写退回原因", "A reason is required to return a batch")
        status = BATCH_RETURNED
    else:
        raise DataAccessError(f"未知审核操作“{decision}”（应为 approve 或 return）", f"Unknown decision {decision}")
    _set_status(conn, batch_id, BATCH_PENDING, status=status, reviewed_by=actor, reviewed_at=now,
                review_note=(reason or "").strip() or None)
    _audit(conn, now, actor, decision, "import_batches", batch_id, {"status": BATCH_PENDING},
           {"status": status, "reason": reason})
    return status


def review(engine: Engine, batch_id: int, decision: str, *, actor: str, reason: str | None = None,
           now: dt.datetime | None = None) -> str:
    """Approve or return (with a reason) a pending batch; returns the new status."""
    with engine.begin() as conn:
        return _decide(conn, batch_id, decision, actor, reason, now or _now())


def withdraw(engine: Engine, batch_id: int, *, actor: str, allowed_units: Iterable[str] | None = None,
             reason: str | None = None, now: dt.datetime | None = None) -> None:
    """Take a batch back as a whole: its rows stay stored but no longer count; registry updates it
    applied are reverted. The file may then be uploaded again."""
    now = now or _now()
    with engine.begin() as conn:
        batch = _batch(conn, batch_id)
        if allowed_units is not None and batch.unit_code not in set(allowed_units):
            raise DataAccessError(f"无权撤回批次#{batch_id}", f"Not allowed to withdraw batch #{batch_id}")
        if batch.status == BATCH_WITHDRAWN:
            raise DataAccessError(f"批次#{batch_id}已撤回", f"Batch #{batch_id} is already withdrawn")
        if batch.status == BATCH_APPROVED and batch.kind in REGISTRY:
            _move_registry(conn, batch_id, batch.kind, actor, now, forward=False)
        _set_status(conn, batch_id, batch.status, status=BATCH_WITHDRAWN, withdrawn_at=now)
        _audit(conn, now, actor, "withdraw", "import_batches", batch_id, {"status": batch.status},
               {"status": BATCH_WITHDRAWN, "reason": reason})


# ---------------------------------------------------------------------------------------------
# reading back: batches, their rows, the original file, a figure's history, who reported when

BATCH_COLUMNS = ["id", "kind", "unit_code", "file_name", "uploaded_by", "uploaded_at", "row_count",
                 "rows_new", "rows_changed", "status", "reviewed_by", "reviewed_at", "review_note"]


def batches(engine: Engine, statuses: Sequence[str] | None = None, units: Sequence[str] | None = None,
            uploaded_by: str | None = None, limit: int = 500) -> pd.DataFrame:
    """Import batches, newest first. Columns: BATCH_COLUMNS (unit_code None: several units)."""
    b = ImportBatch
    stmt = select(*[getattr(b, c) for c in BATCH_COLUMNS]).order_by(b.id.desc()).limit(limit)
    if statuses:
        stmt = stmt.where(b.status.in_(list(statuses)))
    if units:
        stmt = stmt.where(b.unit_code.in_(list(units)))
    if uploaded_by:
        stmt = stmt.where(b.uploaded_by == uploaded_by)
    with engine.connect() as conn:
        return pd.DataFrame([tuple(r) for r in conn.execute(stmt)], columns=BATCH_COLUMNS)


def batch_file(engine: Engine, batch_id: int) -> tuple[str, bytes]:
    """The original file of a batch, as uploaded."""
    with engine.connect() as conn:
        row = conn.execute(select(ImportBatch.file_name, ImportBatch.file_bytes)
                           .where(ImportBatch.id == batch_id)).first()
    if row is None:
        raise DataAccessError(f"没有批次#{batch_id}", f"No batch #{batch_id}")
    return row[0], bytes(row[1] or b"")


BATCH_ROW_COLUMNS = ["item", "unit_code", "period", "old", "new", "action"]


def batch_rows(engine: Engine, batch_id: int) -> pd.DataFrame:
    """What a batch brings, for its reviewer. Columns: item (target code, industry/platform or
    entry name), unit_code, period (text), old (the value in force before it, or the changed
    fields' old values), new, action (new|changed)."""
    with engine.connect() as conn:
        batch = _batch(conn, batch_id)
        out = []
        if batch.kind == "progress":
            pr = ProgressReport
            mine = conn.execute(
                select(pr.target_id, Target.code, pr.unit_code, pr.period_start, pr.period_end, pr.value,
                       pr.recorded_at, pr.id)
                .join(Target, Target.id == pr.target_id).where(pr.batch_id == batch_id).order_by(pr.id)).all()
            for r in mine:
                prior = conn.execute(
                    select(pr.value).outerjoin(ImportBatch, ImportBatch.id == pr.batch_id).where(
                        pr.target_id == r.target_id, pr.unit_code == r.unit_code,
                        pr.period_start == r.period_start, pr.period_end == r.period_end,
                        or_(pr.batch_id.is_(None), ImportBatch.status == BATCH_APPROVED),
                        or_(pr.recorded_at < r.recorded_at,
                            and_(pr.recorded_at == r.recorded_at, pr.id < r.id)))
                    .order_by(pr.recorded_at.desc(), pr.id.desc()).limit(1)).scalar()
                out.append((r.code, r.unit_code, f"{r.period_start}~{r.period_end}", prior, r.value,
                            "new" if prior is None else "changed"))
        elif batch.kind == "membership":
            m = NeMembership
            for r in conn.execute(select(*m.__table__.c).where(m.batch_id == batch_id).order_by(m.id)):
                prior = conn.execute(
                    select(m.new_members).outerjoin(ImportBatch, ImportBatch.id == m.batch_id).where(
                        m.month == r.month, m.unit_code == r.unit_code, m.industry == r.industry,
                        m.platform == r.platform, m.id != r.id, m.recorded_at <= r.recorded_at,
                        or_(m.batch_id.is_(None), ImportBatch.status == BATCH_APPROVED))
                    .order_by(m.recorded_at.desc(), m.id.desc()).limit(1)).scalar()
                out.append((f"{r.industry}/{r.platform}", r.unit_code, f"{_date(r.month):%Y-%m}", prior,
                            r.new_members, "new" if prior is None else "changed"))
        else:
            table, _fields, _dates = REGISTRY[batch.kind]
            day = "opened_on" if batch.kind == "facilities" else "founded_on"
            stmt = (select(*table.__table__.c).where(table.batch_id == batch_id, table.replaces_id.is_(None))
                    .order_by(table.id))
            for e in conn.execute(stmt):
                out.append((e.name, e.unit_code, str(getattr(e, day)), None, "", "new"))
            for entity_id, before, after in conn.execute(select(
                    AuditLog.entity_id, AuditLog.before, AuditLog.after).where(
                    AuditLog.entity == batch.kind, AuditLog.action == f"planned:{batch_id}")):
                e = conn.execute(select(table.name, table.unit_code)
                                 .where(table.id == int(entity_id))).first()
                out.append((e.name, e.unit_code, "", _fields_text(batch.kind, json.loads(before)),
                            _fields_text(batch.kind, json.loads(after)), "changed"))
    return pd.DataFrame(out, columns=BATCH_ROW_COLUMNS)


HISTORY_COLUMNS = ["period_start", "period_end", "value", "recorded_at", "reporter", "batch_id",
                   "file_name", "status", "in_force", "note"]


def figure_history(engine: Engine, target_code: str, unit_code: str, year: int | None = None,
                   day: dt.date | None = None) -> pd.DataFrame:
    """Every version of a unit's weekly figure for a target (of the week containing `day` if given),
    oldest first per period.
    Columns: HISTORY_COLUMNS; status is the batch's (None: loaded directly); in_force marks the
    version the dashboards use now (the latest approved or directly loaded one per period)."""
    pr = ProgressReport
    stmt = (select(pr.period_start, pr.period_end, pr.value, pr.recorded_at, pr.reporter, pr.batch_id,
                   ImportBatch.file_name, ImportBatch.status, pr.id, pr.note)
            .join(Target, Target.id == pr.target_id)
            .outerjoin(ImportBatch, ImportBatch.id == pr.batch_id)
            .where(Target.code == target_code.upper(), pr.unit_code == unit_code)
            .order_by(pr.period_end, pr.period_start, pr.recorded_at, pr.id))
    if year is not None:
        stmt = stmt.where(Target.year == year)
    if day is not None:
        stmt = stmt.where(pr.period_start <= day, pr.period_end >= day)
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    df = pd.DataFrame([tuple(r) for r in rows],
                      columns=HISTORY_COLUMNS[:8] + ["id", "note"])
    for col in ("period_start", "period_end"):
        df[col] = df[col].map(_date)
    live = df[df["status"].isna() | (df["status"] == BATCH_APPROVED)]
    winners = set(live.groupby(["period_start", "period_end"])["id"].last()) if not live.empty else set()
    df["in_force"] = df["id"].isin(winners)
    return df.drop(columns="id")[HISTORY_COLUMNS]


STATUS_COLUMNS = ["unit_code", "name_zh", "name_en", "kind", "last_period_end", "last_upload_at",
                  "pending", "returned", "due_period_end", "late", "weeks_behind"]


def due_period_end(now: dt.datetime, start: dt.date, end: dt.date) -> dt.date | None:
    """The end of the latest reporting week whose deadline (GRACE_DAYS after it) has passed."""
    return calendar.last_reporting_week_end(now.date() - dt.timedelta(days=GRACE_DAYS), start, end)


def submission_status(engine: Engine, year: int, now: dt.datetime | None = None) -> pd.DataFrame:
    """Has each unit sent its weekly figures on time? The reporting page's question, about the
    county office's duty: a file waiting for review counts as sent. (The weekly briefing asks another
    question, which figures of the week the dashboards count: meeting.week_reporting.)

    Columns: STATUS_COLUMNS, all as known at `now` (a past date shows the state of that day).
    last_period_end: the latest week the unit has sent (approved, pending or loaded); last_upload_at:
    its latest upload of any kind (withdrawn ones aside); pending/returned: counts of its batches in
    those states; due_period_end: the latest week already due; late: the unit has not sent that
    week; weeks_behind: how many weeks are missing up to it."""
    now = now or _now()
    pr, b = ProgressReport, ImportBatch
    with engine.connect() as conn:
        start, end = conn.execute(select(PlanYear.start_date, PlanYear.end_date)
                                  .where(PlanYear.year == year)).one()
        start, end = _date(start), _date(end)
        units = conn.execute(select(Unit.code, Unit.name_zh, Unit.name_en, Unit.kind)
                             .where(Unit.active.is_(True)).order_by(Unit.sort_order, Unit.code)).all()
        sent = dict(conn.execute(
            select(pr.unit_code, func.max(pr.period_end)).join(Target, Target.id == pr.target_id)
            .outerjoin(b, b.id == pr.batch_id)
            .where(Target.year == year, pr.recorded_at <= now,
                   or_(pr.batch_id.is_(None), b.status.in_([BATCH_APPROVED, BATCH_PENDING])))
            .group_by(pr.unit_code)).all())
        known = and_(b.uploaded_at <= now, b.status != BATCH_WITHDRAWN)
        uploads = dict(conn.execute(select(b.unit_code, func.max(b.uploaded_at)).where(known)
                                    .group_by(b.unit_code)).all())
        counts = conn.execute(select(b.unit_code, b.status, func.count())
                              .where(known, b.status.in_([BATCH_PENDING, BATCH_RETURNED]))
                              .group_by(b.unit_code, b.status)).all()
    by_status = {(u, s): n for u, s, n in counts}
    due = due_period_end(now, start, end)
    rows = []
    for code, name_zh, name_en, kind in units:
        last = _date(sent.get(code))
        late = due is not None and (last is None or last < due)
        behind = 0
        if late:
            behind = ((due - (last or start - dt.timedelta(days=1))).days + 6) // 7
        rows.append((code, name_zh, name_en, kind, last, uploads.get(code),
                     by_status.get((code, BATCH_PENDING), 0), by_status.get((code, BATCH_RETURNED), 0),
                     due, late, behind))
    return pd.DataFrame(rows, columns=STATUS_COLUMNS)
