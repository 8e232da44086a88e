"""Tables for accounts and logins (migration 0002). Kept apart from models.py, on the same Base.

Secrets are never stored: `password_hash` is an argon2 hash; a login session keeps only the
SHA-256 of its cookie token and of its one-time hand-over code.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from data_access.schema.models import Base

# Roles (stored in English, shown in Chinese)
ROLE_LEADER = "leader"  # 领导: views everything
ROLE_REPORTER = "reporter"  # 区县填报员: reports for its own unit
ROLE_REVIEWER = "reviewer"  # 审核员: approves submissions
ROLE_ADMIN = "admin"  # 管理员: accounts, targets, allocations, milestones, audit log
ROLES = (ROLE_LEADER, ROLE_REPORTER, ROLE_REVIEWER, ROLE_ADMIN)
ROLE_NAMES_ZH = {ROLE_LEADER: "领导", ROLE_REPORTER: "区县填报员", ROLE_REVIEWER: "审核员", ROLE_ADMIN: "管理员"}
ROLE_NAMES_EN = {ROLE_LEADER: "Leader", ROLE_REPORTER: "County reporter", ROLE_REVIEWER: "Reviewer",
                 ROLE_ADMIN: "Administrator"}

# What a county reporter may view: the whole city (rankings are shared in meetings) or its own unit.
VIEW_CITY = "city"
VIEW_UNIT = "unit"
VIEW_SCOPES = (VIEW_CITY, VIEW_UNIT)


class User(Base):
    """An account. SSO/OIDC accounts have no password; their username is the proxy's or IdP's name."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)  # stored lower-case
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))  # one of ROLES
    unit_code: Mapped[str | None] = mapped_column(ForeignKey("units.code"))  # required for reporters
    view_scope: Mapped[str | None] = mapped_column(String(8))  # reporters; NULL: the global default
    password_hash: Mapped[str | None] = mapped_column(String(255))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class LoginSession(Base):
    """A built-in login. The browser holds the token in an HttpOnly cookie; we keep its hash."""

    __tablename__ = "login_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    handoff_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    handoff_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class LoginThrottle(Base):
    """Failed password attempts per (lower-case) username, whether or not the account exists."""

    __tablename__ = "login_throttle"
    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
