"""Built-in sign-in: password check with throttling (a name is locked after repeated failures,
whether or not the account exists; each attempt is reserved and counted in the database before its
password is checked, so parallel attempts cannot pass the limit: `_reserve_attempt`), login sessions, the one-time hand-over code the browser trades
for its HttpOnly cookie, resuming and ending a login. Pure of streamlit.

Thresholds: `config.AuthSettings` (from the settings in force unless a test passes its own).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, and_, case, delete, insert, or_, select, update

from data_access import clock, events
from data_access.accounts import passwords, users
from data_access.accounts.config import AuthSettings, settings_from_env
from data_access.accounts.identity import AuthUser
from data_access.accounts.passwords import digest, hash_password, new_token
from data_access.accounts.users import normalise_username, to_auth_user
from data_access.errors import DataAccessError
from data_access.schema.accounts import LoginSession, LoginThrottle, User



@dataclass(frozen=True)
class Login:
    user: AuthUser
    session_id: int
    handoff_code: str  # one-time, short-lived: the browser trades it for the HttpOnly cookie


def _insert_missing(conn: Connection, name: str) -> None:
    """A throttle row for `name` with no failures, unless one exists (one statement, no race)."""
    values = {"username": name, "failures": 0}
    dialect = conn.dialect.name
    stmt: Any
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(LoginThrottle).values(**values).on_conflict_do_nothing()
    elif dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt = pg_insert(LoginThrottle).values(**values).on_conflict_do_nothing()
    elif dialect in ("mysql", "mariadb"):
        from sqlalchemy.dialects.mysql import insert as mysql_insert

        ins = mysql_insert(LoginThrottle).values(**values)
        stmt = ins.on_duplicate_key_update(username=ins.inserted.username)
    else:  # pragma: no cover - the three supported databases are above
        if conn.execute(select(LoginThrottle.username).where(LoginThrottle.username == name)).first():
            return
        stmt = insert(LoginThrottle).values(**values)
    conn.execute(stmt)


def _reserve_attempt(engine: Engine, name: str, now: dt.datetime,
                     s: AuthSettings) -> tuple[bool, dt.datetime | None]:
    """Reserve one password check for `name` before it runs: (reserved, locked_until).

    The attempt is counted as a failure at once, in one UPDATE (failures = failures + 1) whose WHERE
    admits it only while the name is not locked; the attempt that reaches `max_failures` sets the
    lock in the same transaction, still holding the row.
    Concurrent attempts therefore queue on the row (PostgreSQL, MariaDB: row lock; SQLite: the write
    lock) and at most `max_failures` are ever checked before the lock. A success deletes the row
    (`login`), so only failures stay counted. Not reserved: `locked_until` is the lock in force.
    On MariaDB the name is compared with the column's collation (accent-insensitive there): names
    that differ only so share one counter, which only ever throttles more, never less.
    """
    t = LoginThrottle
    expired = and_(t.locked_until.is_not(None), t.locked_until <= now)
    count = case((expired, 1), else_=t.failures + 1)
    lock = now + dt.timedelta(minutes=s.lock_minutes)
    with engine.begin() as conn:
        _insert_missing(conn, name)
        done = conn.execute(update(LoginThrottle).where(
            t.username == name, or_(t.locked_until.is_(None), t.locked_until <= now)).values(
            failures=count, last_failure_at=now))
        if done.rowcount == 1:
            # A second statement, under the row lock the first one took: MariaDB evaluates the SET
            # list left to right with the new values, so the lock is not derived in the same SET.
            conn.execute(update(LoginThrottle).where(t.username == name).values(
                locked_until=case((t.failures >= s.max_failures, lock), else_=None)))
        row = conn.execute(select(t.locked_until).where(t.username == name)).first()
    until = row.locked_until if row is not None else None
    return done.rowcount == 1, until


def _lock_message(until: dt.datetime, now: dt.datetime) -> DataAccessError:
    minutes = max(1, int((until - now).total_seconds() + 59) // 60)
    return DataAccessError(f"登录失败次数过多，该账号已暂时锁定，请 {minutes} 分钟后再试",
                           f"Too many failed sign-ins: this account is locked; try again in {minutes} min")


def login(engine: Engine, username: str, password: str, *, settings: AuthSettings | None = None,
          now: dt.datetime | None = None) -> Login:
    """Check a password and open a login session. Refuses (DataAccessError) a wrong password, a
    disabled account, and any attempt while the name is locked after repeated failures (then the
    password is not even checked). The user name is compared exactly (`users.same_name`)."""
    s = settings or settings_from_env()
    now = now or clock.now()
    try:
        name = normalise_username(username)
    except DataAccessError:
        events.log("login_failure", reason="invalid_name")
        raise DataAccessError("用户名或密码不正确", "Wrong user name or password") from None
    reserved, until = _reserve_attempt(engine, name, now, s)
    if not reserved:
        events.log("login_failure", user=name, reason="locked")
        raise _lock_message(until if until is not None else now, now)
    with engine.connect() as conn:
        row = conn.execute(select(User).where(users.same_name(conn, User.username, name))).first()
    # Always run argon2 (a dummy hash for unknown names) so timing does not reveal accounts.
    ok = passwords.verify_password(row.password_hash if row is not None else None, password) \
        and row is not None and bool(row.active)
    if not ok:  # the failure was counted by the reservation
        # the name only of an existing account: people type their password into the name field
        events.log("login_failure", user=name if row is not None else None,
                   reason="bad_password" if row is not None else "unknown_user")
        if until is not None:
            raise _lock_message(until, now)
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
    events.log("login", user=name)
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
    events.log("logout")
