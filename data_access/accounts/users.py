"""Accounts (table `users`): create, change, disable, reset and change passwords, list, load.
Only 管理员 manage accounts (`permissions.require_account_admin`); each change is one audit entry
(`audit.record`, entity users, id the user name) whose before/after never hold a password or hash.
Pure of streamlit.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import replace
from typing import Any

import pandas as pd
from sqlalchemy.exc import IntegrityError
from sqlalchemy import ColumnElement, Connection, SQLColumnExpression, Engine, and_, delete, func, insert, select, update

from data_access import audit, clock
from data_access.accounts.config import AuthSettings, settings_from_env
from data_access.accounts.identity import AuthUser
from data_access.accounts.passwords import check_password_policy, generate_password, hash_password, verify_password
from data_access.accounts.permissions import require_account_admin
from data_access.errors import DataAccessError
from data_access.schema.accounts import (ROLE_ADMIN, ROLE_NAMES_ZH, ROLE_REPORTER, ROLES, VIEW_SCOPES, LoginSession,
                                         LoginThrottle, User)
from data_access.schema.models import Unit

log = logging.getLogger(__name__)

ROLE_ALIASES = {**{v: k for k, v in ROLE_NAMES_ZH.items()}, **{r: r for r in ROLES}}

_USERNAME = re.compile(r"[\w.@-]{1,64}")  # \w includes Chinese characters (SSO names)


def normalise_username(username: str) -> str:
    """A user name as stored: stripped, lower-case, 1-64 of letters (Chinese too), digits, . _ @ -."""
    name = (username or "").strip().lower()
    if not _USERNAME.fullmatch(name):
        raise DataAccessError("用户名须为1–64个字母、数字或 . _ @ -，不能含空格",
                              "A user name is 1-64 letters, digits or . _ @ -, without spaces")
    return name


def same_name(conn: Connection, column: SQLColumnExpression[str], name: str) -> ColumnElement[bool]:
    """`column = name`, compared exactly: on MariaDB/MySQL, whose default collations are case- and
    accent-insensitive ('zhāngsan' = 'zhangsan'), the index-using equality is re-checked on the bytes
    (BINARY), chosen by the connection's dialect; elsewhere a plain equality (already exact)."""
    if conn.dialect.name in ("mysql", "mariadb"):
        return and_(column == name, func.binary(column) == name)
    return column == name


def parse_role(role: str) -> str:
    """A role as stored (leader, reporter, reviewer, admin) from its English or Chinese name."""
    key = ROLE_ALIASES.get((role or "").strip()) or ROLE_ALIASES.get((role or "").strip().lower())
    if key is None:
        raise DataAccessError(f"角色“{role}”无效，应为：领导、区县填报员、审核员、管理员",
                              f"Invalid role “{role}”: leader, reporter, reviewer or admin")
    return key


def to_auth_user(row: Any, settings: AuthSettings) -> AuthUser:
    """The AuthUser of a `users` row; a reporter without its own view scope gets the default."""
    view = row.view_scope or settings.reporter_view
    return AuthUser(username=row.username, display_name=row.display_name, role=row.role,
                    unit_code=row.unit_code, view_scope=view, id=row.id,
                    must_change_password=bool(row.must_change_password))


def _public(row: Any) -> dict[str, Any]:
    """An account as recorded in the audit log: never the password hash."""
    return {"username": row.username, "display_name": row.display_name, "role": row.role,
            "unit_code": row.unit_code, "view_scope": row.view_scope, "active": bool(row.active)}


def _check_account(conn: Connection, role: str, unit_code: str | None, view_scope: str | None) -> None:
    if role == ROLE_REPORTER and not unit_code:
        raise DataAccessError("区县填报员必须指定所属单位（--unit 单位代码）",
                              "A county reporter needs its unit (--unit CODE)")
    if unit_code is not None and conn.execute(select(Unit.code).where(Unit.code == unit_code)).first() is None:
        raise DataAccessError(f"单位代码 {unit_code} 不存在", f"Unknown unit code {unit_code}")
    if view_scope is not None and view_scope not in VIEW_SCOPES:
        raise DataAccessError("查看范围应为 city（全市）或 unit（本单位）", "View scope must be city or unit")


def create_user(engine: Engine, actor: AuthUser, username: str, role: str, *,
                display_name: str | None = None, unit_code: str | None = None,
                view_scope: str | None = None, password: str | None = None,
                now: dt.datetime | None = None) -> str | None:
    """Create an account; returns the generated initial password when none was given (else None).

    Every account starts with a password that must be changed at first built-in login; accounts
    used only through SSO/OIDC never need it."""
    require_account_admin(actor)
    name = normalise_username(username)
    role = parse_role(role)
    generated = None
    if password is None:
        password = generated = generate_password()
    else:
        check_password_policy(password, name)
    now = now or clock.now()
    with engine.begin() as conn:
        _check_account(conn, role, unit_code, view_scope)
        if conn.execute(select(User.id).where(same_name(conn, User.username, name))).first() is not None:
            raise DataAccessError(f"用户名“{name}”已存在", f"The user name “{name}” exists")
        values = dict(username=name, display_name=(display_name or name).strip()[:100], role=role,
                      unit_code=unit_code, view_scope=view_scope, password_hash=hash_password(password),
                      must_change_password=True, active=True, created_at=now, updated_at=now)
        try:
            with conn.begin_nested():
                conn.execute(insert(User).values(**values))
        except IntegrityError:
            # MariaDB's unique index still uses the column's collation: a name that differs from an
            # existing one only by accents (or case) cannot be added there.
            raise DataAccessError(f"用户名“{name}”与已有用户名冲突（仅重音或大小写不同）",
                                  f"The user name “{name}” clashes with an existing one (accents or case only)") \
                from None
        row = conn.execute(select(User).where(same_name(conn, User.username, name))).one()
        audit.record(conn, actor=actor, action="create", entity="users", entity_id=name, after=_public(row), at=now)
    log.info("account created: %s (%s)", name, role)
    return generated


def _get_user_row(conn: Connection, username: str) -> Any:
    row = conn.execute(select(User).where(same_name(conn, User.username, normalise_username(username)))).first()
    if row is None:
        raise DataAccessError(f"用户“{username}”不存在", f"No user “{username}”")
    return row


def update_user(engine: Engine, actor: AuthUser, username: str, *, now: dt.datetime | None = None,
                **changes: Any) -> None:
    """Change role, unit_code, view_scope, display_name or active; recorded in the audit log.

    Disabling an account also ends its logins."""
    require_account_admin(actor)
    allowed = {"role", "unit_code", "view_scope", "display_name", "active"}
    bad = set(changes) - allowed
    if bad:
        raise DataAccessError(f"不能修改字段：{'、'.join(sorted(bad))}", f"Cannot change: {sorted(bad)}")
    if "role" in changes:
        changes["role"] = parse_role(changes["role"])
    now = now or clock.now()
    with engine.begin() as conn:
        row = _get_user_row(conn, username)
        before = _public(row)
        merged = {**before, **changes}
        _check_account(conn, merged["role"], merged["unit_code"], merged["view_scope"])
        if actor.username == row.username and (
                changes.get("active") is False or merged["role"] != ROLE_ADMIN):
            raise DataAccessError("不能停用自己的账号或取消自己的管理员角色",
                                  "You cannot disable yourself or drop your own administrator role")
        conn.execute(update(User).where(User.id == row.id).values(**changes, updated_at=now))
        if changes.get("active") is False:
            revoke_all(conn, row.id, now)
        after = _public(conn.execute(select(User).where(User.id == row.id)).one())
        if after != before:
            action = ("enable" if changes["active"] else "disable") if set(changes) == {"active"} else "update"
            audit.record(conn, actor=actor, action=action, entity="users", entity_id=row.username, before=before,
                         after=after, at=now)


def reset_password(engine: Engine, actor: AuthUser, username: str, password: str | None = None,
                   now: dt.datetime | None = None) -> str | None:
    """Set a new initial password (generated unless given), force a change, end the account's logins,
    lift a lock. Returns the generated password (or None)."""
    require_account_admin(actor)
    generated = None
    now = now or clock.now()
    with engine.begin() as conn:
        row = _get_user_row(conn, username)
        if password is None:
            password = generated = generate_password()
        else:
            check_password_policy(password, row.username)
        conn.execute(update(User).where(User.id == row.id).values(
            password_hash=hash_password(password), must_change_password=True, updated_at=now))
        revoke_all(conn, row.id, now)
        conn.execute(delete(LoginThrottle).where(LoginThrottle.username == row.username))
        audit.record(conn, actor=actor, action="reset_password", entity="users", entity_id=row.username,
                     before={"must_change_password": bool(row.must_change_password)},
                     after={"must_change_password": True, "password": "（已重置）"}, at=now)
    log.info("password reset for %s", row.username)
    return generated


def change_password(engine: Engine, user: AuthUser, old_password: str, new_password: str,
                    keep_session: int | None = None, now: dt.datetime | None = None) -> AuthUser:
    """The user's own change (forced at first use): checks the old password; ends other logins."""
    now = now or clock.now()
    with engine.begin() as conn:
        row = conn.execute(select(User).where(User.id == user.id)).first()
        if row is None or not row.active:
            raise DataAccessError("账号不存在或已停用", "The account does not exist or is disabled")
        if not verify_password(row.password_hash, old_password):
            raise DataAccessError("原密码不正确", "The current password is wrong")
        if new_password == old_password:
            raise DataAccessError("新密码不能与原密码相同", "The new password must differ from the old one")
        check_password_policy(new_password, row.username)
        conn.execute(update(User).where(User.id == row.id).values(
            password_hash=hash_password(new_password), must_change_password=False, updated_at=now))
        stmt = update(LoginSession).where(LoginSession.user_id == row.id, LoginSession.revoked_at.is_(None))
        if keep_session is not None:
            stmt = stmt.where(LoginSession.id != keep_session)
        conn.execute(stmt.values(revoked_at=now))
        audit.record(conn, actor=row.username, action="change_password", entity="users", entity_id=row.username,
                     after={"must_change_password": False}, at=now)
    log.info("password changed by %s", row.username)
    return replace(user, must_change_password=False)


def list_users(engine: Engine) -> pd.DataFrame:
    """Accounts (no hashes). Columns: username, display_name, role, unit_code, view_scope, active,
    must_change_password, last_login_at, created_at."""
    cols = ["username", "display_name", "role", "unit_code", "view_scope", "active",
            "must_change_password", "last_login_at", "created_at"]
    with engine.connect() as conn:
        rows = conn.execute(select(*[getattr(User, c) for c in cols]).order_by(User.username)).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=cols)


def load_user(engine: Engine, username: str, settings: AuthSettings | None = None) -> AuthUser:
    """An active account by name (for SSO/OIDC sign-in and the command line's --user)."""
    settings = settings or settings_from_env()
    with engine.connect() as conn:
        row = conn.execute(select(User).where(same_name(conn, User.username, normalise_username(username)))).first()
    if row is None or not row.active:
        raise DataAccessError(f"账号“{username}”未开通或已停用，请联系管理员",
                              f"The account “{username}” does not exist or is disabled")
    return to_auth_user(row, settings)


def count_users(engine: Engine) -> int:
    """How many accounts exist (none yet: the first start asks for an administrator)."""
    with engine.connect() as conn:
        return len(conn.execute(select(User.id)).all())


def revoke_all(conn: Connection, user_id: int, now: dt.datetime) -> None:
    """End every open login of an account (disabled, password reset)."""
    conn.execute(update(LoginSession).where(LoginSession.user_id == user_id,
                                            LoginSession.revoked_at.is_(None)).values(revoked_at=now))
