"""Load the committed sample data set (sample_data/output/*.csv) into the shared database.

All files are read and checked before the database is touched; the rows then go in with bulk
inserts in one transaction, so a bad file or a failed insert leaves the database as it was.
A second load of the same files is a no-op ('unchanged'): table `meta` records the files' hash.
A database that holds other plan data is refused. Sample rows carry no import batch.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import math
from itertools import groupby
from pathlib import Path
from typing import Any, Callable, NamedTuple

from sqlalchemy import Connection, Engine, delete, func, insert, select
from sqlalchemy.exc import SQLAlchemyError

from data_access.settings import ROOT
from data_access import clock
from data_access.errors import DataAccessError
from data_access.kpis import summary_writer
from data_access.schema.models import Base, FACILITY_CARE_STATION, FACILITY_CHILDCARE, MEASURES, MILESTONE_STATES, UNIT_CITY, UNIT_COUNTY, UNIT_ZONE, Allocation, Facility, Meta, Milestone, NeMembership, PlanYear, ProgressReport, Project, Target, UnionOrg, Unit
from data_access.schema.migrate import require_current

DATASET = "sample"


def sample_data_dir() -> Path:
    """The folder holding the committed sample CSV files."""
    return ROOT / "sample_data" / "output"


# --- Cell parsers: each returns the value or raises CellError with a Chinese reason -------------


class CellError(ValueError):
    pass


def text(value: str) -> str:
    if not value.strip():
        raise CellError("不能为空")
    return value


def optional(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    return lambda value: None if value == "" else parse(value)


def integer(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise CellError(f"“{value}”不是整数") from None
    if number < 0:
        raise CellError(f"“{value}”不能为负数")
    return number


def amount(value: str) -> float:
    """A non-negative figure in the target's base unit."""
    try:
        number = float(value)
    except ValueError:
        raise CellError(f"“{value}”不是数字") from None
    if not math.isfinite(number) or number < 0:
        raise CellError(f"“{value}”不是非负的有限数")
    return number


def coordinate(low: float, high: float) -> Callable[[str], float]:
    def parse(value: str) -> float:
        try:
            number = float(value)
        except ValueError:
            raise CellError(f"“{value}”不是坐标") from None
        if not low <= number <= high:
            raise CellError(f"坐标 {value} 超出范围 {low}–{high}")
        return number
    return parse


def date(value: str) -> dt.date:
    try:
        return dt.datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise CellError(f"“{value}”不是日期（应为 YYYY-MM-DD）") from None


def month(value: str) -> dt.date:
    day = date(value)
    if day.day != 1:
        raise CellError(f"“{value}”应为月初（每月1日）")
    return day


def timestamp(value: str) -> dt.datetime:
    try:
        return dt.datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise CellError(f"“{value}”不是时间（应为 YYYY-MM-DD HH:MM:SS）") from None


def boolean(value: str) -> bool:
    if value not in ("true", "false"):
        raise CellError(f"“{value}”应为 true 或 false")
    return value == "true"


def one_of(*allowed: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if value not in allowed:
            raise CellError(f"“{value}”不是允许的取值（{'、'.join(allowed)}）")
        return value
    return parse


def pace_curve(value: str) -> list[float]:
    """12 cumulative month-end shares, non-decreasing, ending at 1."""
    try:
        curve = json.loads(value)
    except ValueError:
        raise CellError("不是 JSON 列表") from None
    if (not isinstance(curve, list) or len(curve) != 12
            or not all(isinstance(x, (int, float)) and 0 <= x <= 1 for x in curve)
            or any(b < a for a, b in zip(curve, curve[1:])) or curve[-1] != 1):
        raise CellError("应为12个递增的累计比例（0–1），最后一个为1")
    return [float(x) for x in curve]


# --- The files -----------------------------------------------------------------------------------


class FileSpec(NamedTuple):
    model: type[Base]
    columns: dict[str, Callable[[str], Any]]  # CSV column -> parser
    refs: dict[str, str] = {}  # column -> file whose key it must name
    key: str | None = None  # the column other files refer to


FILES: dict[str, FileSpec] = {
    "units.csv": FileSpec(Unit, {
        "code": text, "name_zh": text, "name_en": text, "kind": one_of(UNIT_COUNTY, UNIT_ZONE, UNIT_CITY),
        "sort_order": integer, "seat_lat": optional(coordinate(-90, 90)),
        "seat_lon": optional(coordinate(-180, 180)), "has_boundary": boolean, "active": boolean,
    }, key="code"),
    "plan_years.csv": FileSpec(PlanYear, {
        "year": integer, "title_zh": text, "title_en": text, "start_date": date, "end_date": date,
    }, key="year"),
    "projects.csv": FileSpec(Project, {
        "year": integer, "code": text, "name_zh": text, "name_en": text, "sort_order": integer,
    }, refs={"year": "plan_years.csv"}, key="code"),
    "targets.csv": FileSpec(Target, {
        "year": integer, "code": text, "project_code": text, "name_zh": text, "name_en": text,
        "unit_zh": text, "unit_en": text, "value": amount, "measure": one_of(*MEASURES),
        "pace_curve": optional(pace_curve), "parent_code": optional(text), "note_zh": optional(text),
        "sort_order": integer,
    }, refs={"year": "plan_years.csv", "project_code": "projects.csv", "parent_code": "targets.csv"},
        key="code"),
    "allocations.csv": FileSpec(Allocation, {
        "target_code": text, "unit_code": text, "value": amount,
    }, refs={"target_code": "targets.csv", "unit_code": "units.csv"}),
    "milestones.csv": FileSpec(Milestone, {
        "year": integer, "code": text, "project_code": optional(text), "name_zh": text, "name_en": text,
        "due_date": date, "status": one_of(*MILESTONE_STATES), "done_on": optional(date),
        "note_zh": optional(text),
    }, refs={"year": "plan_years.csv", "project_code": "projects.csv"}),
    "progress_reports.csv": FileSpec(ProgressReport, {
        "target_code": text, "unit_code": text, "period_start": date, "period_end": date,
        "value": amount, "reporter": text, "recorded_at": timestamp, "note": optional(text),
    }, refs={"target_code": "targets.csv", "unit_code": "units.csv"}),
    "facilities.csv": FileSpec(Facility, {
        "kind": one_of(FACILITY_CARE_STATION, FACILITY_CHILDCARE), "name": text, "address": text,
        "host_org": text, "unit_code": text, "lat": coordinate(-90, 90), "lon": coordinate(-180, 180),
        "opened_on": date, "closed_on": optional(date), "status": one_of("open", "paused", "closed"),
        "services": optional(text), "capacity": optional(integer), "recorded_at": timestamp,
    }, refs={"unit_code": "units.csv"}),
    "union_orgs.csv": FileSpec(UnionOrg, {
        "name": text, "unit_code": text, "founded_on": date, "sector": text, "is_new_economy": boolean,
        "industry": optional(text), "platform": optional(text), "members_at_founding": optional(integer),
        "recorded_at": timestamp,
    }, refs={"unit_code": "units.csv"}),
    "ne_membership.csv": FileSpec(NeMembership, {
        "month": month, "unit_code": text, "industry": text, "platform": text, "new_members": integer,
        "recorded_at": timestamp,
    }, refs={"unit_code": "units.csv"}),
}

Rows = list[tuple[int, dict[str, Any]]]  # (line in the file, parsed row)


def _fail(name: str, line: int | None, detail_zh: str, detail_en: str) -> DataAccessError:
    where_zh = f"示例数据文件 {name}" + (f" 第 {line} 行" if line else "")
    where_en = f"sample file {name}" + (f", line {line}" if line else "")
    return DataAccessError(f"{where_zh}：{detail_zh}", f"{where_en}: {detail_en}")


def parse_file(name: str, data: bytes, spec: FileSpec) -> Rows:
    """Parse one CSV file into rows; a bad file raises DataAccessError naming file, line and column."""
    try:
        content = data.decode("utf-8-sig")  # tolerate the BOM Excel writes
    except UnicodeDecodeError:
        raise _fail(name, None, "不是 UTF-8 编码", "not UTF-8") from None
    reader = csv.reader(io.StringIO(content, newline=""), strict=True)
    try:
        header = next(reader, None)
        if not header:
            raise _fail(name, None, "文件为空", "empty file")
        missing = [c for c in spec.columns if c not in header]
        if missing:
            raise _fail(name, 1, f"缺少列「{'」「'.join(missing)}」", f"missing column(s) {', '.join(missing)}")
        index = {c: header.index(c) for c in spec.columns}
        rows = []
        for record in reader:
            if not record:
                continue  # a blank line
            line = reader.line_num
            if len(record) != len(header):
                raise _fail(name, line, f"有 {len(record)} 个字段，表头有 {len(header)} 个",
                            f"{len(record)} fields, the header has {len(header)}")
            rows.append((line, _parse_record(name, line, record, index, spec)))
    except csv.Error as exc:
        raise _fail(name, reader.line_num, f"不是合法的 CSV（{exc}）", f"malformed CSV ({exc})") from None
    return rows


def _parse_record(name: str, line: int, record: list[str], index: dict[str, int], spec: FileSpec) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for column, parse in spec.columns.items():
        try:
            row[column] = parse(record[index[column]])
        except CellError as exc:
            raise _fail(name, line, f"「{column}」列：{exc}", f"column {column}: bad value "
                        f"{record[index[column]]!r}") from None
    return row


def check_references(tables: dict[str, Rows]) -> None:
    """Keys are unique within their file and every code names a row of the file it refers to."""
    keys: dict[str, set[Any]] = {}
    for name, spec in FILES.items():
        if spec.key:
            seen = keys.setdefault(name, set())
            for line, row in tables[name]:
                if row[spec.key] in seen:
                    raise _fail(name, line, f"「{spec.key}」列“{row[spec.key]}”重复",
                                f"duplicate {spec.key} {row[spec.key]!r}")
                seen.add(row[spec.key])
    for name, spec in FILES.items():
        for column, target in spec.refs.items():
            for line, row in tables[name]:
                if row[column] is not None and row[column] not in keys[target]:
                    raise _fail(name, line, f"「{column}」列的代码“{row[column]}”在 {target} 中不存在",
                                f"column {column}: unknown code {row[column]!r} (not in {target})")


def read_sample(directory: Path) -> tuple[dict[str, Rows], str]:
    """Parse and check every sample file; return the rows and a hash of all the files' bytes."""
    digest = hashlib.sha256()
    tables = {}
    for name, spec in FILES.items():
        path = directory / name
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise DataAccessError(f"缺少示例数据文件 {path}（{exc.strerror}）",
                                  f"Cannot read the sample file {path}: {exc.strerror}") from None
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
        tables[name] = parse_file(name, data, spec)
    check_references(tables)
    return tables, digest.hexdigest()


# --- Writing -------------------------------------------------------------------------------------


def _already_loaded(conn: Connection, digest: str, years: list[int]) -> bool:
    """True if this very sample is in; raise if the database holds anything else."""
    meta = dict(conn.execute(select(Meta.key, Meta.value)).all())
    dataset = meta.get("dataset")
    if dataset == DATASET and meta.get("sample_sha256") == digest:
        return True
    if dataset == DATASET:
        raise DataAccessError("数据库中已载入另一版本的示例数据；请删除该数据库并重新初始化后再载入。",
                              "The database holds another version of the sample data; recreate it first.")
    if dataset:
        raise DataAccessError(f"数据库已标记为“{dataset}”数据集，不能载入示例数据。",
                              f"The database is marked as dataset {dataset!r}; refusing to load the sample.")
    plan_rows = conn.execute(select(func.count()).select_from(Target).where(Target.year.in_(years))).scalar()
    other_rows = sum(conn.execute(select(func.count()).select_from(m)).scalar() or 0
                     for m in (ProgressReport, Facility, UnionOrg, NeMembership))
    if plan_rows or other_rows:
        raise DataAccessError(f"数据库中已有非示例数据（{'、'.join(map(str, years))}年计划指标或进度、台账），未载入示例数据。",
                              "The database already holds plan data that is not this sample; nothing loaded.")
    return False


def _insert(conn: Connection, model: type[Base], rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(model), rows)


def _insert_missing(conn: Connection, model: type[Base], key: str, rows: list[dict[str, Any]]) -> None:
    """Reference rows (units, plan years) that an earlier init may already have written."""
    present = set(conn.execute(select(getattr(model, key))).scalars())
    _insert(conn, model, [r for r in rows if r[key] not in present])


def _resolve(rows: list[dict[str, Any]], code_column: str, id_column: str,
             ids: dict[str, int]) -> list[dict[str, Any]]:
    """Swap a code column for the id it names."""
    resolved = []
    for row in rows:
        row = dict(row)
        code = row.pop(code_column)
        row[id_column] = None if code is None else ids[code]
        resolved.append(row)
    return resolved


def _insert_targets(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Leave `pace_curve` out where it is None: a None in a JSON column is stored as JSON 'null',
    not SQL NULL. Runs of rows alike go in together, so ids follow the file's order."""
    for has_curve, run in groupby(rows, key=lambda r: r["pace_curve"] is not None):
        batch = list(run) if has_curve else [{k: v for k, v in r.items() if k != "pace_curve"} for r in run]
        _insert(conn, Target, batch)


def _ids(conn: Connection, model: type[Project] | type[Target], years: list[int]) -> dict[str, int]:
    rows = conn.execute(select(model.code, model.id).where(model.year.in_(years))).all()
    return {str(code): int(id_) for code, id_ in rows}


def _insert_all(conn: Connection, tables: dict[str, Rows], years: list[int]) -> None:
    rows = {name: [row for _line, row in table] for name, table in tables.items()}
    _insert_missing(conn, Unit, "code", rows["units.csv"])
    _insert_missing(conn, PlanYear, "year", rows["plan_years.csv"])
    _insert(conn, Project, rows["projects.csv"])
    projects = _ids(conn, Project, years)
    _insert_targets(conn, _resolve(rows["targets.csv"], "project_code", "project_id", projects))
    targets = _ids(conn, Target, years)
    _insert(conn, Allocation, _resolve(rows["allocations.csv"], "target_code", "target_id", targets))
    _insert(conn, Milestone, _resolve(rows["milestones.csv"], "project_code", "project_id", projects))
    _insert(conn, ProgressReport, _resolve(rows["progress_reports.csv"], "target_code", "target_id", targets))
    for name in ("facilities.csv", "union_orgs.csv", "ne_membership.csv"):
        _insert(conn, FILES[name].model, rows[name])


def _write_meta(conn: Connection, digest: str) -> None:
    values = {"dataset": DATASET, "sample_sha256": digest,
              "sample_loaded_at": clock.now().strftime("%Y-%m-%d %H:%M:%S")}
    conn.execute(delete(Meta).where(Meta.key.in_(list(values))))
    _insert(conn, Meta, [{"key": k, "value": v} for k, v in values.items()])


def load_sample(engine: Engine, directory: Path | str | None = None) -> str:
    """Load the sample files (default: sample_data_dir()); return 'loaded' or 'unchanged'."""
    require_current(engine)
    tables, digest = read_sample(Path(directory) if directory else sample_data_dir())
    years = [row["year"] for _line, row in tables["plan_years.csv"]]
    try:
        with engine.begin() as conn:
            if _already_loaded(conn, digest, years):
                return "unchanged"
            _insert_all(conn, tables, years)
            _write_meta(conn, digest)
            summary_writer.rebuild_all(conn)  # the maintained aggregates and sums of the figures just loaded
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise DataAccessError(f"载入示例数据失败，数据库未改动：{reason}",
                              f"Loading the sample failed; the database is unchanged: {reason}") from exc
    return "loaded"
