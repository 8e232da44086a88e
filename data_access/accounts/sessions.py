"""Built-in sign-in: password check with throttling (a name is locked after repeated failures,
whether or not the account exists), login sessions, the one-time hand-over code the browser trades
for its HttpOnly cookie, resuming and ending a login. Pure of streamlit.

Thresholds: `config.AuthSettings` (from the settings in force unless a test passes its own).
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, delete, insert, select, update

from data_access import clock
from data_access.accounts import passwords
from data_access.accounts.config import AuthSettings, settings_from_env
from data_access.accounts.identity import AuthUser
from data_access.accounts.passwords import digest, hash_password, new_token, verify_password
from data_access.accounts.users import normalise_username, to_auth_user
from data_access.errors import DataAccessError
from data_access.schema.accounts import LoginSession, LoginThrottle, User

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Login:
    user: AuthUser
    session_id: int
    handoff_code: str  # one-time, short-lived: the browser trades it for the HttpOnly cookie


def _locked_until(conn: Connection, name: str, now: dt.datetime) -> dt.datetime | None:
    row = conn.execute(select(LoginThrottle).where(LoginThrottle.username == name)).first()
    if row is not None and row.locked_until is not None and row.locked_until > now:
        until: dt.datetime = row.locked_until
        return until
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
    now = now or clock.now()
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
            ok = verify_password(row.password_hash if row is not None else None, password) \
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
    assert row is not None  # ok implies an account
    code = new_token()
    with engine.begin() as conn:
        conn.execute(delete(LoginThrottle).where(LoginThrottle.username == name))
        # Housekeeping: logins that ended a month ago are of no further use.
        conn.execute(delete(LoginSession).where(LoginSession.expires_at < now - dt.timedelta(days=30)))
        if passwords.needs_rehash(row.password_hash):
            conn.execute(update(User).where(User.id == row.id).values(password_hash=hash_password(password)))
        conn.execute(update(User).where(User.id == row.id).values(last_login_at=now))
        pk = conn.execute(insert(LoginSession).values(
            user_id=row.id, token_hash=None, handoff_hash=digest(code),
            handoff_expires_at=now + dt.timedelta(seconds=s.handoff_seconds), created_at=now,
            last_seen_at=now, expires_at=now + dt.timedelta(hours=s.session_hours))).inserted_primary_key
        assert pk is not None
        sid = int(pk[0])
    log.info("signed in: %s", name)
    return Login(to_auth_user(row, s), sid, code)


def _live_session(conn: Connection, where: ColumnElement[bool], now: dt.datetime,
                  s: AuthSettings) -> tuple[Any, Any] | None:
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
    now = now or clock.now()
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
    now = now or clock.now()
    if not token or len(token) > 100:
        return None
    with engine.begin() as conn:
        live = _live_session(conn, LoginSession.token_hash == digest(token), now, s)
        if live is None:
            return None
        sess, user = live
        conn.execute(update(LoginSession).where(LoginSession.id == sess.id).values(last_seen_at=now))
    return to_auth_user(user, s), sess.id


def check_session(engine: Engine, session_id: int, *, settings: AuthSettings | None = None,
                  now: dt.datetime | None = None, touch: bool = True) -> AuthUser | None:
    """The user of an open session (checked on every run, so a disabled account or a logout elsewhere
    ends it at once), or None."""
    s = settings or settings_from_env()
    now = now or clock.now()
    with engine.begin() as conn:
        live = _live_session(conn, LoginSession.id == session_id, now, s)
        if live is None:
            return None
        sess, user = live
        # Write at most once a minute: every rerun calls this.
        if touch and (now - sess.last_seen_at).total_seconds() >= 60:
            conn.execute(update(LoginSession).where(LoginSession.id == sess.id).values(last_seen_at=now))
    return to_auth_user(user, s)


def logout(engine: Engine, session_id: int, now: dt.datetime | None = None) -> None:
    """End a login: the cookie the browser still holds is worthless afterwards."""
    with engine.begin() as conn:
        conn.execute(update(LoginSession).where(LoginSession.id == session_id,
                                                LoginSession.revoked_at.is_(None)).values(revoked_at=now or clock.now()))
