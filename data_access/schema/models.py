"""The shared database's tables (SQLAlchemy 2.0 typed declarative).

Conventions:
- Figures are stored in base units (人, 元, 场, 家); 万 is a display concern.
- Every fact row carries `recorded_at` (when it became known) and `batch_id` (the import that
  brought it, NULL for rows loaded by the sample loader or the command line). A row is visible to
  the dashboards when it has no batch or its batch is approved (see `queries.visibility`).
- Reported figures are versioned: a correction is a new row for the same (target, unit, period)
  with a later `recorded_at`; queries keep the latest version known at the as-of date.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Kinds of unit
UNIT_COUNTY = "county"  # 县（市、区）
UNIT_ZONE = "zone"  # 功能区 (高新区, 示范区): report like counties, no polygon
UNIT_CITY = "city"  # 市总本级

# How a target's progress is measured: one source per figure.
MEASURE_REPORTED = "reported"  # summed from progress_reports
MEASURE_CARE_STATIONS = "facility:care_station"  # counted from facilities (the map's rows)
MEASURE_CHILDCARE = "facility:childcare_class"
MEASURE_UNION_ORGS = "registry:union_orgs"  # counted from union_orgs
MEASURE_NE_MEMBERS = "registry:ne_membership"  # summed from ne_membership
MEASURES = (
    MEASURE_REPORTED,
    MEASURE_CARE_STATIONS,
    MEASURE_CHILDCARE,
    MEASURE_UNION_ORGS,
    MEASURE_NE_MEMBERS,
)

FACILITY_CARE_STATION = "care_station"  # 爱心驿站
FACILITY_CHILDCARE = "childcare_class"  # 爱心托管班

# Review states of an import batch (issue: county reporting)
BATCH_PENDING = "pending"  # 待审核
BATCH_APPROVED = "approved"  # 已通过
BATCH_RETURNED = "returned"  # 已退回
BATCH_WITHDRAWN = "withdrawn"  # 已撤回

MILESTONE_STATES = ("not_started", "in_progress", "done", "delayed")


class Base(DeclarativeBase):
    pass


class Meta(Base):
    """Key/value facts about the database itself, e.g. `dataset=sample`."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Unit(Base):
    """A reporting unit: the 10 county-level units, the 2 functional zones, and 市总本级."""

    __tablename__ = "units"
    code: Mapped[str] = mapped_column(String(12), primary_key=True)  # adcode, e.g. 410423
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))  # county | zone | city
    sort_order: Mapped[int] = mapped_column(Integer)
    seat_lat: Mapped[float | None] = mapped_column(Double)
    seat_lon: Mapped[float | None] = mapped_column(Double)
    has_boundary: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class PlanYear(Base):
    __tablename__ = "plan_years"
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)


class Project(Base):
    """One of the five projects (五大工程) of a plan year."""

    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("year", "code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(ForeignKey("plan_years.year"))
    code: Mapped[str] = mapped_column(String(8))  # P1..P5
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(200))
    sort_order: Mapped[int] = mapped_column(Integer)
    # Taken out of its year's plan (plan/retire.py, migration 0012): hidden from the year's pages.
    retired: Mapped[bool] = mapped_column(Boolean, server_default=false())


class Target(Base):
    """A quantified target of a plan year, e.g. T07 新建户外劳动者爱心驿站 50 家."""

    __tablename__ = "targets"
    __table_args__ = (UniqueConstraint("year", "code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(ForeignKey("plan_years.year"))
    code: Mapped[str] = mapped_column(String(8))  # T01..T11
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(300))
    unit_zh: Mapped[str] = mapped_column(String(16))  # base unit: 场, 人, 家, 元, 个, 名
    unit_en: Mapped[str] = mapped_column(String(32))
    value: Mapped[float] = mapped_column(Double)  # in base units (T10: 150000 人)
    measure: Mapped[str] = mapped_column(String(40))  # one of MEASURES
    # Cumulative share of the year's target expected by the end of each month (12 values, last 1.0);
    # NULL means linear over the year.
    pace_curve: Mapped[list[float] | None] = mapped_column(JSON(none_as_null=True))
    parent_code: Mapped[str | None] = mapped_column(String(8))  # T11 is part of T10
    note_zh: Mapped[str | None] = mapped_column(Text)
    sort_order: Mapped[int] = mapped_column(Integer)
    # Taken out of its year's plan (plan/retire.py, migration 0012): left out of the year's pages,
    # exports, report templates and uploads, and of a copy of the year; its rows and reported
    # figures stay (the audit log says who retired it when). Readers filter `retired.is_(False)`.
    retired: Mapped[bool] = mapped_column(Boolean, server_default=false())


class Allocation(Base):
    """A target's share allocated to one unit (the county's own target)."""

    __tablename__ = "allocations"
    __table_args__ = (UniqueConstraint("target_id", "unit_code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id"))
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"))
    value: Mapped[float] = mapped_column(Double)


class ImportBatch(Base):
    """One upload or load: who, when, which file, its hash, row counts and review state."""

    __tablename__ = "import_batches"
    # versions.counted ("which batches count") runs in every figure: by state, then review time (0009)
    __table_args__ = (Index("ix_batches_status_reviewed", "status", "reviewed_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # progress | facilities | union_orgs | membership
    unit_code: Mapped[str | None] = mapped_column(ForeignKey("units.code"))
    file_name: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    file_bytes: Mapped[bytes | None] = mapped_column(LargeBinary)  # the original file, kept
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime)
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    rows_new: Mapped[int] = mapped_column(Integer, default=0)
    rows_changed: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default=BATCH_APPROVED)
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    review_note: Mapped[str | None] = mapped_column(Text)
    # When an approved batch was withdrawn: its rows count for as-of dates before this moment only,
    # so a past meeting's figures do not change afterwards.
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # A withdrawal of an approved batch waits for a second person (reporting.review, 0011): who asked,
    # when and why while it waits (the batch still counts); who approved it once it is withdrawn.
    withdraw_requested_by: Mapped[str | None] = mapped_column(String(64))
    withdraw_requested_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    withdraw_reason: Mapped[str | None] = mapped_column(Text)
    withdrawn_by: Mapped[str | None] = mapped_column(String(64))


class ProgressReport(Base):
    """A unit's figure for one target and one period (a week), one row per version.

    `value` is the increment within [period_start, period_end], in the target's base unit.
    """

    __tablename__ = "progress_reports"
    __table_args__ = (
        Index("ix_progress_lookup", "target_id", "unit_code", "period_end", "recorded_at"),
        Index("ix_progress_period", "period_end"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id"))
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    value: Mapped[float] = mapped_column(Double)
    reporter: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"), index=True)
    note: Mapped[str | None] = mapped_column(Text)


class Facility(Base):
    """The registry of 爱心驿站 and 爱心托管班: the rows the map draws and the targets count.
    One row per version of an entry (see replaces_id / superseded_at)."""

    __tablename__ = "facilities"
    __table_args__ = (Index("ix_facility_kind_open", "kind", "opened_on"),
                      Index("ix_facility_unit_name", "unit_code", "name"))  # an upload matches entries (0009)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))  # care_station | childcare_class
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300))
    host_org: Mapped[str] = mapped_column(String(200))
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"), index=True)
    lat: Mapped[float] = mapped_column(Double)  # WGS84
    lon: Mapped[float] = mapped_column(Double)
    opened_on: Mapped[dt.date] = mapped_column(Date)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))  # open | paused | closed
    services: Mapped[str | None] = mapped_column(Text)  # care stations: 饮水、充电、休息…
    capacity: Mapped[int | None] = mapped_column(Integer)  # childcare classes: places
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"), index=True)
    # Versions: an approved change to an entry is a new row that `replaces_id` the one in force,
    # which gets `superseded_at`; a view as known on a date shows the version in force then.
    replaces_id: Mapped[int | None] = mapped_column(Integer)
    superseded_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class UnionOrg(Base):
    """A grassroots union organisation (基层工会) and when it was founded (建会); one row per version."""

    __tablename__ = "union_orgs"
    __table_args__ = (Index("ix_union_founded", "founded_on"),
                      Index("ix_union_unit_name", "unit_code", "name"))  # an upload matches entries (0009)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"), index=True)
    founded_on: Mapped[dt.date] = mapped_column(Date)
    sector: Mapped[str] = mapped_column(String(32))  # 企业, 机关事业, 社会组织, 村社区, 行业联合会
    is_new_economy: Mapped[bool] = mapped_column(Boolean, default=False)
    industry: Mapped[str | None] = mapped_column(String(32))  # 物流与电商, 家政服务, 网约车, 快递, 外卖
    platform: Mapped[str | None] = mapped_column(String(32))  # 美团, 京东 …
    members_at_founding: Mapped[int | None] = mapped_column(Integer)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"), index=True)
    # Versions: an approved change to an entry is a new row that `replaces_id` the one in force,
    # which gets `superseded_at`; a view as known on a date shows the version in force then.
    replaces_id: Mapped[int | None] = mapped_column(Integer)
    superseded_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class NeMembership(Base):
    """New members among new-economy workers, by month, unit, industry and platform (one row per version)."""

    __tablename__ = "ne_membership"
    __table_args__ = (
        Index("ix_ne_lookup", "month", "unit_code", "industry", "platform", "recorded_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date)  # first day of the month
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"))
    industry: Mapped[str] = mapped_column(String(32))  # 外卖配送, 快递, 网约车, 货车司机, 家政服务
    platform: Mapped[str] = mapped_column(String(32))  # 美团, 饿了么, 顺丰 … or 其他
    new_members: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"), index=True)


class Milestone(Base):
    """A milestone without a number (e.g. 第七届职工技术运动会), with due date and state."""

    __tablename__ = "milestones"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(ForeignKey("plan_years.year"))
    code: Mapped[str] = mapped_column(String(8))  # M1..
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(300))
    due_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))  # one of MILESTONE_STATES
    done_on: Mapped[dt.date | None] = mapped_column(Date)
    note_zh: Mapped[str | None] = mapped_column(Text)


class AuditLog(Base):
    """Who changed what, when, with the state before and after (JSON text)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)  # one entity's history (0009)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)


class DataVersion(Base):
    """One row (id 1): a counter bumped in the transaction of every audited change (data_access/
    data_version.py, called by audit.record), so a cached figure can be keyed by the data it was
    computed from instead of by time (migration 0008)."""

    __tablename__ = "data_version"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)


class RegistryChange(Base):
    """A change an upload brings to an existing registry entry (facility or union organisation),
    waiting for its batch's review (migration 0007; before, such changes were audit rows whose action
    was "planned:<batch>"). `entry_id` is the version in force when the change was planned; approval
    applies it as a new version (`applied_id`, `applied_at`), withdrawing the approved batch reverts it
    (`reverted_at`). before/after: JSON objects of the changed fields (dates ISO)."""

    __tablename__ = "registry_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # facilities | union_orgs (ImportBatch.kind)
    entry_id: Mapped[int] = mapped_column(Integer, index=True)
    before: Mapped[str] = mapped_column(Text)
    after: Mapped[str] = mapped_column(Text)
    planned_at: Mapped[dt.datetime] = mapped_column(DateTime)
    applied_id: Mapped[int | None] = mapped_column(Integer)
    applied_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    reverted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
