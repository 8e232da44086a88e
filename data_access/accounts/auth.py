"""Accounts, passwords, throttling, login sessions, roles and county scope. Pure of streamlit.

Who may do what (issue 7):
- 领导 leader: views everything; writes nothing.
- 区县填报员 reporter: writes (uploads) for its own unit only; views the whole city or only its own
  unit (per account `view_scope`, else the global default KPI_REPORTER_VIEW, default "city").
- 审核员 reviewer: views everything, approves or returns submissions.
- 管理员 admin: accounts, targets, allocations, milestones, audit log; may write for any unit.

The checks below are the enforcement points; the dashboard and the importer both call them, so a
forged URL, upload or command line meets the same refusal as a hidden widget.

Secrets: passwords are kept as argon2id hashes (argon2-cffi); the login cookie token and the one-time
hand-over code only as SHA-256 digests. Nothing here logs a password, a token or a hash.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
import secrets
from dataclasses import dataclass, replace
from typing import Iterable, Mapping

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, Engine, delete, insert, select, update

from data_access.schema.accounts import ROLE_ADMIN, ROLE_LEADER, ROLE_NAMES_ZH, ROLE_REPORTER, ROLE_REVIEWER, ROLES, VIEW_CITY, VIEW_SCOPES, VIEW_UNIT, LoginSession, LoginThrottle, User
from data_access import clock
from data_access.errors import DataAccessError
from data_access.schema.models import Unit

log = logging.getLogger(__name__)

__all__ = [
    "ROLE_ADMIN", "ROLE_LEADER", "ROLE_REPORTER", "ROLE_REVIEWER", "ROLES", "VIEW_CITY", "VIEW_UNIT",
    "AuthUser", "AuthSettings", "require_write_scope", "writable_units", "readable_units",
]

MODES = ("builtin", "proxy", "oidc", "none")
ROLE_ALIASES = {**{v: k for k, v in ROLE_NAMES_ZH.items()}, **{r: r for r in ROLES}}


# ---------------------------------------------------------------------------------------------
# the user as the rest of the program sees it, and the settings


@dataclass(frozen=True)
class AuthUser:
    """A signed-in user (immutable, hashable; safe to keep in session state)."""

    username: str
    display_name: str
    role: str
    unit_code: str | None = None
    view_scope: str = VIEW_CITY  # effective scope (the global default already applied)
    id: int | None = None
    must_change_password: bool = False

    @property
    def role_zh(self) -> str:
        return ROLE_NAMES_ZH.get(self.role, self.role)


# With authentication turned off (KPI_AUTH_MODE=none or the sample quick start) everyone acts as this.
ANONYMOUS = AuthUser(username="anonymous", display_name="未登录（认证已关闭）", role=ROLE_ADMIN)


@dataclass(frozen=True)
class AuthSettings:
    max_failures: int = 5  # failed passwords in a row before the account name is locked
    lock_minutes: int = 15
    session_hours: float = 12  # absolute lifetime of a login
    idle_minutes: int = 120  # a login unused for this long ends
    handoff_seconds: int = 120  # the one-time code that turns a login into a cookie
    reporter_view: str = VIEW_CITY  # default view scope of county reporters
    min_password_length: int = 8


def settings_from_env(env: Mapping[str, str] | None = None) -> AuthSettings:
    env = os.environ if env is None else env
    d = AuthSettings()
    try:
        s = AuthSettings(
            max_failures=int(env.get("KPI_LOGIN_MAX_FAILURES", d.max_failures)),
            lock_minutes=int(env.get("KPI_LOGIN_LOCK_MINUTES", d.lock_minutes)),
            session_hours=float(env.get("KPI_SESSION_HOURS", d.session_hours)),
            idle_minutes=int(env.get("KPI_SESSION_IDLE_MINUTES", d.idle_minutes)),
            reporter_view=env.get("KPI_REPORTER_VIEW", d.reporter_view).strip().lower(),
        )
    except ValueError as exc:
        raise DataAccessError(f"认证设置无效：{exc}", f"Invalid authentication setting: {exc}") from exc
    if s.reporter_view not in VIEW_SCOPES:
        raise DataAccessError(f"KPI_REPORTER_VIEW 应为 city 或 unit，而不是“{s.reporter_view}”",
                              f"KPI_REPORTER_VIEW must be city or unit, not “{s.reporter_view}”")
    return s


def resolve_mode(configured: str | None, dataset: str | None) -> str:
    """The login mode: the configured one, else `none` for the sample data set, else `builtin`."""
    if configured is not None and str(configured).strip():
        mode = str(configured).strip().lower()
        if mode not in MODES:
            raise DataAccessError(f"认证方式“{mode}”无效，应为 builtin、proxy、oidc 或 none",
                                  f"Invalid authentication mode “{mode}”: use builtin, proxy, oidc or none")
        return mode
    return "none" if dataset == "sample" else "builtin"


def _now() -> dt.datetime:
    return clock.now()


# ---------------------------------------------------------------------------------------------
# scope: the enforcement points


def _deny(zh: str, en: str) -> DataAccessError:
    return DataAccessError(zh, en)


def require_login(user: AuthUser | None) -> AuthUser:
    if user is None:
        raise _deny("未登录，无权操作", "Not signed in")
    return user


def require_role(user: AuthUser | None, *roles: str) -> AuthUser:
    """Refuse unless `user` has one of `roles`."""
    user = require_login(user)
    if user.role not in roles:
        names = "、".join(ROLE_NAMES_ZH[r] for r in roles)
        raise _deny(f"账号“{user.username}”（{user.role_zh}）无权进行此操作，需要：{names}",
                    f"Account “{user.username}” ({user.role}) may not do this; needs: {', '.join(roles)}")
    return user


def writable_units(user: AuthUser | None) -> tuple[str, ...] | None:
    """Units `user` may write (upload, correct, withdraw) for: None means any unit (administrators).

    Pass it as the importer's `allowed_units`. Leaders and reviewers write for no unit: ().
    """
    user = require_login(user)
    if user.role == ROLE_ADMIN:
        return None
    if user.role == ROLE_REPORTER and user.unit_code:
        return (user.unit_code,)
    return ()


def require_write_scope(user: AuthUser | None, unit_code: str) -> AuthUser:
    """Raise DataAccessError unless `user` may write figures for `unit_code`.

    The importer calls this for every unit a file touches (a forged upload for another county is
    refused here, whatever the page showed)."""
    allowed = writable_units(user)
    if allowed is None or unit_code in allowed:
        return user
    if user.role == ROLE_REPORTER:
        raise _deny(f"账号“{user.username}”只能填报本单位（{user.unit_code}）的数据，不能填报 {unit_code}",
                    f"Account “{user.username}” may report only for its own unit ({user.unit_code}), "
                    f"not {unit_code}")
    raise _deny(f"账号“{user.username}”（{user.role_zh}）无权填报数据",
                f"Account “{user.username}” ({user.role}) may not report figures")


def require_review(user: AuthUser | None) -> AuthUser:
    """Approving or returning a submission: reviewers and administrators."""
    return require_role(user, ROLE_REVIEWER, ROLE_ADMIN)


def readable_units(user: AuthUser | None) -> tuple[str, ...] | None:
    """Units whose figures `user` may view: None means the whole city."""
    user = require_login(user)
    if user.role == ROLE_REPORTER and user.view_scope == VIEW_UNIT:
        return (user.unit_code,) if user.unit_code else ()
    return None


def clamp_units(user: AuthUser | None, requested: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(units to show, refused units) for a request; for a restricted viewer the request is cut to its
    own unit, and "whole city" (nothing requested) becomes its own unit."""
    requested = tuple(requested)
    allowed = readable_units(user)
    if allowed is None:
        return requested, ()
    kept = tuple(c for c in requested if c in allowed)
    refused = tuple(c for c in requested if c not in allowed)
    return (kept or allowed), refused


def require_read_scope(user: AuthUser | None, units: Iterable[str] | None) -> tuple[str, ...] | None:
    """`units` (None: whole city) if `user` may view them all, else DataAccessError."""
    allowed = readable_units(user)
    if allowed is None:
        return None if units is None else tuple(units)
    wanted = tuple(units) if units is not None else None
    if wanted is None or any(c not in allowed for c in wanted):
        raise _deny(f"账号“{user.username}”只能查看本单位（{user.unit_code}）的数据",
                    f"Account “{user.username}” may view only its own unit ({user.unit_code})")
    return wanted


# ---------------------------------------------------------------------------------------------
# secrets: hashing and tokens

_hasher = PasswordHasher()  # argon2id with the library's (RFC 9106) defaults
_dummy_hash: str | None = None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _verify(stored: str | None, password: str) -> bool:
    """Check a password; an account without a hash costs the same time (no user enumeration)."""
    global _dummy_hash
    if not stored:
        if _dummy_hash is None:
            _dummy_hash = _hasher.hash(secrets.token_hex(16))
        stored, password = _dummy_hash, password + "\0"
    try:
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def digest(token: str) -> str:
    """What we store for a cookie token or hand-over code: its SHA-256 (they are 256-bit random)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def generate_password() -> str:
    """An initial password for a new or reset account (shown once; must be changed at first login)."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    while True:
        pw = "".join(secrets.choice(alphabet) for _ in range(12))
        if any(c.isdigit() for c in pw) and any(c.isalpha() for c in pw):
            return pw


def check_password_policy(password: str, username: str, settings: AuthSettings | None = None) -> None:
    s = settings or AuthSettings()
    if len(password) < s.min_password_length:
        raise DataAccessError(f"密码至少需要 {s.min_password_length} 个字符",
                              f"The password needs at least {s.min_password_length} characters")
    if password.lower() == username.lower() or username.lower() in password.lower():
        raise DataAccessError("密码不能包含用户名", "The password must not contain the user name")
    kinds = sum((any(c.isalpha() for c in password), any(c.isdigit() for c in password),
                 any(not c.isalnum() for c in password)))
    if kinds < 2:
        raise DataAccessError("密码需包含字母、数字、符号中的至少两类",
                              "The password needs at least two of: letters, digits, symbols")


# ---------------------------------------------------------------------------------------------
# accounts


_USERNAME = re.compile(r"[\w.@-]{1,64}")  # \w includes Chinese characters (SSO names)


def normalise_username(username: str) -> str:
    name = (username or "").strip().lower()
    if not _USERNAME.fullmatch(name):
        raise DataAccessError("用户名须为1–64个字母、数字或 . _ @ -，不能含空格",
                              "A user name is 1-64 letters, digits or . _ @ -, without spaces")
    return name


def parse_role(role: str) -> str:
    key = ROLE_ALIASES.get((role or "").strip()) or ROLE_ALIASES.get((role or "").strip().lower())
    if key is None:
        raise DataAccessError(f"角色“{role}”无效，应为：领导、区县填报员、审核员、管理员",
                              f"Invalid role “{role}”: leader, reporter, reviewer or admin")
    return key


def _to_auth_user(row, settings: AuthSettings) -> AuthUser:
    view = row.view_scope or settings.reporter_view
    return AuthUser(username=row.username, display_name=row.display_name, role=row.role,
                    unit_code=row.unit_code, view_scope=view, id=row.id,
                    must_change_password=bool(row.must_change_password))


def _audit(conn: Connection, actor: AuthUser | str, action: str, entity: str, entity_id, before, after,
           at: dt.datetime | None = None) -> None:
    from data_access.plan.edits import write_audit

    write_audit(conn, actor, action, entity, entity_id, before, after, at)


def _public(row) -> dict:
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
    require_role(actor, ROLE_ADMIN)
    name = normalise_username(username)
    role = parse_role(role)
    generated = None
    if password is None:
        password = generated = generate_password()
    else:
        check_password_policy(password, name)
    now = now or _now()
    with engine.begin() as conn:
        _check_account(conn, role, unit_code, view_scope)
        if conn.execute(select(User.id).where(User.username == name)).first() is not None:
            raise DataAccessError(f"用户名“{name}”已存在", f"The user name “{name}” exists")
        values = dict(username=name, display_name=(display_name or name).strip()[:100], role=role,
                      unit_code=unit_code, view_scope=view_scope, password_hash=hash_password(password),
                      must_change_password=True, active=True, created_at=now, updated_at=now)
        uid = conn.execute(insert(User).values(**values)).inserted_primary_key[0]
        row = conn.execute(select(User).where(User.id == uid)).one()
        _audit(conn, actor, "create", "users", name, None, _public(row), now)
    log.info("account created: %s (%s)", name, role)
    return generated


def _get_user_row(conn: Connection, username: str):
    row = conn.execute(select(User).where(User.username == normalise_username(username))).first()
    if row is None:
        raise DataAccessError(f"用户“{username}”不存在", f"No user “{username}”")
    return row


def update_user(engine: Engine, actor: AuthUser, username: str, *, now: dt.datetime | None = None,
                **changes) -> None:
    """Change role, unit_code, view_scope, display_name or active; recorded in the audit log.

    Disabling an account also ends its logins."""
    require_role(actor, ROLE_ADMIN)
    allowed = {"role", "unit_code", "view_scope", "display_name", "active"}
    bad = set(changes) - allowed
    if bad:
        raise DataAccessError(f"不能修改字段：{'、'.join(sorted(bad))}", f"Cannot change: {sorted(bad)}")
    if "role" in changes:
        changes["role"] = parse_role(changes["role"])
    now = now or _now()
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
            _revoke_all(conn, row.id, now)
        after = _public(conn.execute(select(User).where(User.id == row.id)).one())
        if after != before:
            action = {True: "enable", False: "disable"}.get(changes.get("active"), "update") \
                if set(changes) == {"active"} else "update"
            _audit(conn, actor, action, "users", row.username, before, after, now)


def reset_password(engine: Engine, actor: AuthUser, username: str, password: str | None = None,
                   now: dt.datetime | None = None) -> str | None:
    """Set a new initial password (generated unless given), force a change, end the account's logins,
    lift a lock. Returns the generated password (or None)."""
    require_role(actor, ROLE_ADMIN)
    generated = None
    now = now or _now()
    with engine.begin() as conn:
        row = _get_user_row(conn, username)
        if password is None:
            password = generated = generate_password()
        else:
            check_password_policy(password, row.username)
        conn.execute(update(User).where(User.id == row.id).values(
            password_hash=hash_password(password), must_change_password=True, updated_at=now))
        _revoke_all(conn, row.id, now)
        conn.execute(delete(LoginThrottle).where(LoginThrottle.username == row.username))
        _audit(conn, actor, "reset_password", "users", row.username, {"must_change_password":
               bool(row.must_change_password)}, {"must_change_password": True, "password": "（已重置）"}, now)
    log.info("password reset for %s", row.username)
    return generated


def change_password(engine: Engine, user: AuthUser, old_password: str, new_password: str,
                    keep_session: int | None = None, now: dt.datetime | None = None) -> AuthUser:
    """The user's own change (forced at first use): checks the old password; ends other logins."""
    now = now or _now()
    with engine.begin() as conn:
        row = conn.execute(select(User).where(User.id == user.id)).first()
        if row is None or not row.active:
            raise DataAccessError("账号不存在或已停用", "The account does not exist or is disabled")
        if not _verify(row.password_hash, old_password):
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
        _audit(conn, row.username, "change_password", "users", row.username, None,
               {"must_change_password": False}, now)
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
        row = conn.execute(select(User).where(User.username == normalise_username(username))).first()
    if row is None or not row.active:
        raise DataAccessError(f"账号“{username}”未开通或已停用，请联系管理员",
                              f"The account “{username}” does not exist or is disabled")
    return _to_auth_user(row, settings)


def count_users(engine: Engine) -> int:
    with engine.connect() as conn:
        return len(conn.execute(select(User.id)).all())


# ---------------------------------------------------------------------------------------------
# built-in login: throttle, sessions, the cookie hand-over


@dataclass(frozen=True)
class Login:
    user: AuthUser
    session_id: int
    handoff_code: str  # one-time, short-lived: the browser trades it for the HttpOnly cookie


def _locked_until(conn: Connection, name: str, now: dt.datetime) -> dt.datetime | None:
    row = conn.execute(select(LoginThrottle).where(LoginThrottle.username == name)).first()
    if row is not None and row.locked_until is not None and row.locked_until > now:
        return row.locked_until
    return None


def _record_failure(conn: Connection, name: str, now: dt.datetime, s: AuthSettings) -> dt.datetime | None:
    row = conn.execute(select(LoginThrottle).where(LoginThrottle.username == name)).first()
    if row is None:
        conn.execute(insert(LoginThrottle).values(username=name, failures=0))
        failures = 0
    else:
        # A lock that has run out starts a fresh count.
        expired = row.locked_until is not None and row.locked_until <= now
        failures = 0 if expired else row.failures
    failures += 1
    locked = now + dt.timedelta(minutes=s.lock_minutes) if failures >= s.max_failures else None
    conn.execute(update(LoginThrottle).where(LoginThrottle.username == name).values(
        failures=failures, last_failure_at=now, locked_until=locked))
    return locked


def _lock_message(until: dt.datetime, now: dt.datetime) -> DataAccessError:
    minutes = max(1, int((until - now).total_seconds() + 59) // 60)
    return DataAccessError(f"登录失败次数过多，该账号已暂时锁定，请 {minutes} 分钟后再试",
                           f"Too many failed sign-ins: this account is locked; try again in {minutes} min")


def login(engine: Engine, username: str, password: str, *, settings: AuthSettings | None = None,
          now: dt.datetime | None = None) -> Login:
    """Check a password and open a login session. Refuses (DataAccessError) a wrong password, a
    disabled account, and any attempt while the name is locked after repeated failures."""
    s = settings or settings_from_env()
    now = now or _now()
    try:
        name = normalise_username(username)
    except DataAccessError:
        raise DataAccessError("用户名或密码不正确", "Wrong user name or password") from None
    ok, locked = False, None
    with engine.begin() as conn:
        until = _locked_until(conn, name, now)
        if until is None:
            row = conn.execute(select(User).where(User.username == name)).first()
            # Always run argon2 (a dummy hash for unknown names) so timing does not reveal accounts.
            ok = _verify(row.password_hash if row is not None else None, password) \
                and row is not None and bool(row.active)
            if not ok:
                locked = _record_failure(conn, name, now, s)
    # Refuse only after the transaction above has committed the failure.
    if until is not None:
        log.warning("sign-in refused for %s: locked", name)
        raise _lock_message(until, now)
    if not ok:
        log.warning("sign-in failed for %s", name)
        if locked is not None:
            raise _lock_message(locked, now)
        raise DataAccessError("用户名或密码不正确", "Wrong user name or password")
    code = new_token()
    with engine.begin() as conn:
        conn.execute(delete(LoginThrottle).where(LoginThrottle.username == name))
        # Housekeeping: logins that ended a month ago are of no further use.
        conn.execute(delete(LoginSession).where(LoginSession.expires_at < now - dt.timedelta(days=30)))
        if _hasher.check_needs_rehash(row.password_hash):
            conn.execute(update(User).where(User.id == row.id).values(password_hash=hash_password(password)))
        conn.execute(update(User).where(User.id == row.id).values(last_login_at=now))
        sid = conn.execute(insert(LoginSession).values(
            user_id=row.id, token_hash=None, handoff_hash=digest(code),
            handoff_expires_at=now + dt.timedelta(seconds=s.handoff_seconds), created_at=now,
            last_seen_at=now, expires_at=now + dt.timedelta(hours=s.session_hours))).inserted_primary_key[0]
    log.info("signed in: %s", name)
    return Login(_to_auth_user(row, s), sid, code)


def _live_session(conn: Connection, where, now: dt.datetime, s: AuthSettings):
    """(session row, user row) if the session is open, in time and its user active; else None."""
    sess = conn.execute(select(LoginSession).where(where)).first()
    if sess is None:
        return None
    user = conn.execute(select(User).where(User.id == sess.user_id)).first()
    idle_limit = sess.last_seen_at + dt.timedelta(minutes=s.idle_minutes)
    if sess.revoked_at is not None or sess.expires_at <= now or idle_limit <= now or user is None \
            or not user.active:
        return None
    return sess, user


def redeem_handoff(engine: Engine, code: str, *, settings: AuthSettings | None = None,
                   now: dt.datetime | None = None) -> tuple[str, dt.datetime] | None:
    """Trade a one-time hand-over code for a new cookie token (returned with the session's expiry).

    Called by the cookie route; the code works once and only within `handoff_seconds`."""
    s = settings or settings_from_env()
    now = now or _now()
    if not code or len(code) > 100:
        return None
    with engine.begin() as conn:
        live = _live_session(conn, LoginSession.handoff_hash == digest(code), now, s)
        if live is None:
            return None
        sess, _ = live
        if sess.handoff_expires_at is None or sess.handoff_expires_at <= now:
            return None
        token = new_token()
        # Consuming the code: the WHERE on handoff_hash makes a second, racing use update nothing.
        done = conn.execute(update(LoginSession).where(
            LoginSession.id == sess.id, LoginSession.handoff_hash == digest(code)).values(
            token_hash=digest(token), handoff_hash=None, handoff_expires_at=None, last_seen_at=now))
        if done.rowcount != 1:
            return None
    return token, sess.expires_at


def resume(engine: Engine, token: str, *, settings: AuthSettings | None = None,
           now: dt.datetime | None = None) -> tuple[AuthUser, int] | None:
    """The user and session id behind a cookie token, or None (unknown, ended, expired, idle)."""
    s = settings or settings_from_env()
    now = now or _now()
    if not token or len(token) > 100:
        return None
    with engine.begin() as conn:
        live = _live_session(conn, LoginSession.token_hash == digest(token), now, s)
        if live is None:
            return None
        sess, user = live
        conn.execute(update(LoginSession).where(LoginSession.id == sess.id).values(last_seen_at=now))
    return _to_auth_user(user, s), sess.id


def check_session(engine: Engine, session_id: int, *, settings: AuthSettings | None = None,
                  now: dt.datetime | None = None, touch: bool = True) -> AuthUser | None:
    """The user of an open session (checked on every run, so a disabled account or a logout elsewhere
    ends it at once), or None."""
    s = settings or settings_from_env()
    now = now or _now()
    with engine.begin() as conn:
        live = _live_session(conn, LoginSession.id == session_id, now, s)
        if live is None:
            return None
        sess, user = live
        # Write at most once a minute: every rerun calls this.
        if touch and (now - sess.last_seen_at).total_seconds() >= 60:
            conn.execute(update(LoginSession).where(LoginSession.id == sess.id).values(last_seen_at=now))
    return _to_auth_user(user, s)


def logout(engine: Engine, session_id: int, now: dt.datetime | None = None) -> None:
    """End a login: the cookie the browser still holds is worthless afterwards."""
    with engine.begin() as conn:
        conn.execute(update(LoginSession).where(LoginSession.id == session_id,
                                                LoginSession.revoked_at.is_(None)).values(revoked_at=now or _now()))


def _revoke_all(conn: Connection, user_id: int, now: dt.datetime) -> None:
    conn.execute(update(LoginSession).where(LoginSession.user_id == user_id,
                                            LoginSession.revoked_at.is_(None)).values(revoked_at=now))




def audit_actor(actor: AuthUser | str) -> str:
    return actor.username if isinstance(actor, AuthUser) else str(actor)
