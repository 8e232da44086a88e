"""data_access.accounts (users, sessions, passwords, permissions) on SQLite and PostgreSQL: hashing, throttling, sessions, forced change, scope,
account changes in the audit log, the command line."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging

import pytest
from sqlalchemy import select, update

from data_access.accounts import config, passwords, identity, permissions, sessions, users
from data_access.schema import accounts as roles
from data_access.schema.accounts import LoginSession, LoginThrottle, User
from data_access.cli.main import main as cli_main
from data_access.errors import DataAccessError
from data_access.schema.models import AuditLog
from tests.tiny_data import A, B, C

ROOT = identity.AuthUser("root", "Root", roles.ROLE_ADMIN)
T0 = dt.datetime(2023, 6, 1, 9, 0, 0)
PW = "Xk9-pass-word"
S = config.AuthSettings(max_failures=3, lock_minutes=15, session_hours=12, idle_minutes=120)


def test_production_hasher_is_argon2id_with_library_defaults():
    from argon2 import PasswordHasher, Type

    h = PasswordHasher()
    assert h.type is Type.ID and (h.time_cost, h.memory_cost) == (3, 65536)
    assert passwords.PasswordHasher is PasswordHasher  # the hasher module builds its argon2id with these defaults


def _user(engine, name="lu", role=roles.ROLE_REPORTER, unit=B, password=PW, view=None):
    """An account already past its forced first password change."""
    users.create_user(engine, ROOT, name, role, unit_code=unit, password=password, view_scope=view, now=T0)
    with engine.begin() as conn:
        conn.execute(update(User).where(User.username == name).values(must_change_password=False))
    return users.load_user(engine, name)


def _rows(engine, table):
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(table))]


def test_password_never_stored_or_logged_in_clear(tiny, caplog):
    caplog.set_level(logging.DEBUG)
    secret = "Kq7!unique-secret"
    users.create_user(tiny, ROOT, "Zhang", roles.ROLE_LEADER, password=secret, now=T0)
    login = sessions.login(tiny, "zhang", secret, settings=S, now=T0)
    token, _ = sessions.redeem_handoff(tiny, login.handoff_code, settings=S, now=T0)
    with pytest.raises(DataAccessError):
        sessions.login(tiny, "zhang", secret + "x", settings=S, now=T0)
    users.change_password(tiny, login.user, secret, "Kq7!another-one", now=T0)

    user_rows = _rows(tiny, User)
    assert len(user_rows) == 1 and user_rows[0]["username"] == "zhang"
    assert user_rows[0]["password_hash"].startswith("$argon2id$")
    session_rows = _rows(tiny, LoginSession)
    assert session_rows[0]["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    stored = json.dumps(user_rows + session_rows + _rows(tiny, AuditLog) + _rows(tiny, LoginThrottle), default=str)
    for clear in (secret, "Kq7!another-one", token, login.handoff_code):
        assert clear not in stored
        assert all(clear not in r.getMessage() for r in caplog.records)
    assert any("zhang" in r.getMessage() for r in caplog.records)  # the log did see the events


def test_throttle_locks_after_repeated_failures(tiny):
    _user(tiny)
    for i in range(S.max_failures - 1):
        with pytest.raises(DataAccessError, match="用户名或密码不正确"):
            sessions.login(tiny, "lu", "wrong", settings=S, now=T0 + dt.timedelta(seconds=i))
    with pytest.raises(DataAccessError, match="锁定.*15 分钟"):
        sessions.login(tiny, "lu", "wrong", settings=S, now=T0 + dt.timedelta(seconds=5))
    # While locked even the right password is refused, and nothing is opened.
    with pytest.raises(DataAccessError, match="锁定"):
        sessions.login(tiny, "lu", PW, settings=S, now=T0 + dt.timedelta(minutes=10))
    assert _rows(tiny, LoginSession) == []
    # After the lock time it works, and success clears the count.
    assert sessions.login(tiny, "lu", PW, settings=S, now=T0 + dt.timedelta(minutes=16)).user.username == "lu"
    assert _rows(tiny, LoginThrottle) == []


def test_unknown_names_are_throttled_with_the_same_message(tiny):
    for _ in range(S.max_failures - 1):
        with pytest.raises(DataAccessError, match="用户名或密码不正确"):
            sessions.login(tiny, "nobody", "x", settings=S, now=T0)
    with pytest.raises(DataAccessError, match="锁定"):
        sessions.login(tiny, "nobody", "x", settings=S, now=T0)


def test_disabled_account_cannot_sign_in_and_its_sessions_end(tiny):
    _user(tiny)
    login = sessions.login(tiny, "lu", PW, settings=S, now=T0)
    assert sessions.check_session(tiny, login.session_id, settings=S, now=T0) is not None
    users.update_user(tiny, ROOT, "lu", active=False, now=T0)
    assert sessions.check_session(tiny, login.session_id, settings=S, now=T0) is None
    with pytest.raises(DataAccessError, match="用户名或密码不正确"):
        sessions.login(tiny, "lu", PW, settings=S, now=T0)


def test_handoff_cookie_token_and_expiry(tiny):
    _user(tiny)
    login = sessions.login(tiny, "lu", PW, settings=S, now=T0)
    # The hand-over code is single-use and short-lived.
    assert sessions.redeem_handoff(tiny, login.handoff_code, settings=S, now=T0 + dt.timedelta(seconds=121)) is None
    login = sessions.login(tiny, "lu", PW, settings=S, now=T0)
    token, expires = sessions.redeem_handoff(tiny, login.handoff_code, settings=S, now=T0)
    assert expires == T0 + dt.timedelta(hours=12)
    assert sessions.redeem_handoff(tiny, login.handoff_code, settings=S, now=T0) is None
    # The cookie token resumes the login in a new browser session (a page refresh) ...
    user, sid = sessions.resume(tiny, token, settings=S, now=T0 + dt.timedelta(minutes=100))
    assert (user.username, user.unit_code, sid) == ("lu", B, login.session_id)
    # ... until it is idle too long (last seen at +100 min, idle limit 120 min) ...
    assert sessions.resume(tiny, token, settings=S, now=T0 + dt.timedelta(minutes=219)) is not None
    assert sessions.resume(tiny, token, settings=S, now=T0 + dt.timedelta(minutes=340)) is None
    # ... or past its absolute lifetime, or signed out.
    login = sessions.login(tiny, "lu", PW, settings=S, now=T0)
    token, _ = sessions.redeem_handoff(tiny, login.handoff_code, settings=S, now=T0)
    for minutes in range(100, 12 * 60, 100):  # kept busy, but still ends after 12 hours
        assert sessions.resume(tiny, token, settings=S, now=T0 + dt.timedelta(minutes=minutes)) is not None
    assert sessions.resume(tiny, token, settings=S, now=T0 + dt.timedelta(hours=12)) is None
    login = sessions.login(tiny, "lu", PW, settings=S, now=T0)
    token, _ = sessions.redeem_handoff(tiny, login.handoff_code, settings=S, now=T0)
    sessions.logout(tiny, login.session_id, now=T0)
    assert sessions.resume(tiny, token, settings=S, now=T0) is None
    assert sessions.resume(tiny, "forged-token", settings=S, now=T0) is None


def test_forced_password_change_on_first_use(tiny):
    pw = users.create_user(tiny, ROOT, "new", roles.ROLE_LEADER, now=T0)  # generated, shown once
    assert pw and len(pw) >= 12
    login = sessions.login(tiny, "new", pw, settings=S, now=T0)
    assert login.user.must_change_password
    other = sessions.login(tiny, "new", pw, settings=S, now=T0)
    with pytest.raises(DataAccessError, match="原密码不正确"):
        users.change_password(tiny, login.user, "wrong", "Good-pass-1", now=T0)
    with pytest.raises(DataAccessError, match="至少需要 8"):
        users.change_password(tiny, login.user, pw, "a1!", now=T0)
    with pytest.raises(DataAccessError, match="不能包含用户名"):
        users.change_password(tiny, login.user, pw, "new-12345678", now=T0)
    after = users.change_password(tiny, login.user, pw, "Good-pass-1", keep_session=login.session_id, now=T0)
    assert not after.must_change_password
    assert not users.load_user(tiny, "new").must_change_password
    assert sessions.check_session(tiny, login.session_id, settings=S, now=T0) is not None
    assert sessions.check_session(tiny, other.session_id, settings=S, now=T0) is None  # other logins end
    with pytest.raises(DataAccessError):
        sessions.login(tiny, "new", pw, settings=S, now=T0)
    assert sessions.login(tiny, "new", "Good-pass-1", settings=S, now=T0).user.username == "new"


def test_write_scope():
    rep = identity.AuthUser("lu", "lu", roles.ROLE_REPORTER, unit_code=B)
    assert permissions.require_write_scope(rep, B) is rep
    with pytest.raises(DataAccessError, match=f"只能填报本单位（{B}）.*不能填报 {A}"):
        permissions.require_write_scope(rep, A)
    assert permissions.writable_units(rep) == (B,)
    for role in (roles.ROLE_LEADER, roles.ROLE_REVIEWER):
        u = identity.AuthUser("x", "x", role)
        assert permissions.writable_units(u) == ()
        with pytest.raises(DataAccessError, match="无权填报"):
            permissions.require_write_scope(u, A)
    assert permissions.writable_units(ROOT) is None and permissions.require_write_scope(ROOT, C) is ROOT
    with pytest.raises(DataAccessError, match="未登录"):
        permissions.require_write_scope(None, A)
    assert permissions.require_review(identity.AuthUser("r", "r", roles.ROLE_REVIEWER)).role == "reviewer"
    with pytest.raises(DataAccessError, match="审核员、管理员"):
        permissions.require_review(rep)


def test_read_scope_and_clamp():
    city = identity.AuthUser("lu", "lu", roles.ROLE_REPORTER, unit_code=B, view_scope=roles.VIEW_CITY)
    own = identity.AuthUser("lu", "lu", roles.ROLE_REPORTER, unit_code=B, view_scope=roles.VIEW_UNIT)
    assert permissions.readable_units(city) is None and permissions.readable_units(own) == (B,)
    assert permissions.clamp_units(city, (A,)) == ((A,), ())
    assert permissions.clamp_units(own, (A,)) == ((B,), (A,))
    assert permissions.clamp_units(own, (A, B)) == ((B,), (A,))
    assert permissions.clamp_units(own, ()) == ((B,), ())  # "whole city" becomes its own unit
    assert permissions.require_read_scope(own, [B]) == (B,)
    with pytest.raises(DataAccessError, match="只能查看本单位"):
        permissions.require_read_scope(own, None)


def test_view_scope_default_is_a_setting(tiny):
    _user(tiny)
    assert users.load_user(tiny, "lu").view_scope == roles.VIEW_CITY
    unit_default = config.settings_from_env({"KPI_REPORTER_VIEW": "unit"})
    assert users.load_user(tiny, "lu", unit_default).view_scope == roles.VIEW_UNIT
    users.update_user(tiny, ROOT, "lu", view_scope=roles.VIEW_CITY)  # the account's own choice wins
    assert users.load_user(tiny, "lu", unit_default).view_scope == roles.VIEW_CITY


def test_resolve_mode():
    assert config.resolve_mode(None, "sample") == "none"
    assert config.resolve_mode("", "test") == "builtin"
    assert config.resolve_mode(None, None) == "builtin"
    assert config.resolve_mode("Proxy", "sample") == "proxy"
    with pytest.raises(DataAccessError, match="认证方式“ldap”无效"):
        config.resolve_mode("ldap", None)


def test_account_changes_are_audited_without_secrets(tiny):
    users.create_user(tiny, ROOT, "lu", "区县填报员", unit_code=B, password=PW, now=T0)
    users.update_user(tiny, ROOT, "lu", active=False, now=T0)
    users.update_user(tiny, ROOT, "lu", role="审核员", unit_code=None, now=T0)
    users.reset_password(tiny, ROOT, "lu", now=T0)
    with pytest.raises(DataAccessError, match="须为1–64"):
        users.create_user(tiny, ROOT, "bad name", "领导")
    with pytest.raises(DataAccessError, match="必须指定所属单位"):
        users.create_user(tiny, ROOT, "x", "区县填报员")
    with pytest.raises(DataAccessError, match="需要：管理员"):
        users.create_user(tiny, identity.AuthUser("boss", "b", roles.ROLE_LEADER), "y", "领导")
    log = sorted(_rows(tiny, AuditLog), key=lambda r: r["id"])
    assert [(r["actor"], r["action"], r["entity"], r["entity_id"]) for r in log] == [
        ("root", "create", "users", "lu"), ("root", "disable", "users", "lu"),
        ("root", "update", "users", "lu"), ("root", "reset_password", "users", "lu")]
    assert all(r["at"] == T0 for r in log)
    created = json.loads(log[0]["after"])
    assert created == {"username": "lu", "display_name": "lu", "role": "reporter", "unit_code": B,
                       "view_scope": None, "active": True}
    assert json.loads(log[1]["before"])["active"] is True and json.loads(log[1]["after"])["active"] is False
    before, after = json.loads(log[2]["before"]), json.loads(log[2]["after"])
    assert (before["role"], before["unit_code"], after["role"], after["unit_code"]) == ("reporter", B, "reviewer", None)
    assert "argon2" not in json.dumps(log, default=str)


def test_cli_user_commands(tiny, capsys, monkeypatch):
    url = tiny.url
    if url.get_backend_name() == "postgresql":  # the fixture's schema travels in the URL
        with tiny.connect() as conn:
            schema = conn.exec_driver_sql("SHOW search_path").scalar()
        url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    url = url.render_as_string(hide_password=False)
    run = lambda *a: cli_main(["--url", url, "user", *a])  # noqa: E731
    assert run("create", "Lu", "--role", "区县填报员", "--unit", B) == 0
    out = capsys.readouterr().out
    assert "已创建账号 lu（区县填报员，410423）" in out and "初始密码：" in out
    assert run("create", "lu", "--role", "领导") == 2
    assert capsys.readouterr().err.strip() == "错误：用户名“lu”已存在"
    # A county reporter cannot write another county's data: the check the importer runs.
    assert run("scope", "lu", "--write", A) == 2
    assert capsys.readouterr().err.strip() == f"错误：账号“lu”只能填报本单位（{B}）的数据，不能填报 {A}"
    assert run("scope", "lu", "--write", B) == 0
    assert "可填报：410423" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("Typed-pass-9\n"))
    assert run("reset", "lu", "--password-stdin") == 0
    assert "Typed-pass-9" not in capsys.readouterr().out
    assert sessions.login(tiny, "lu", "Typed-pass-9", settings=S).user.must_change_password
    assert run("disable", "lu") == 0 and run("list") == 0
    out = capsys.readouterr().out
    assert "lu\tlu\t区县填报员\t410423\t默认\t停用" in out
    assert run("set", "lu", "--view", "unit") == 0
    assert run("enable", "lu") == 0
    assert users.load_user(tiny, "lu").view_scope == "unit"
    actors = {r["actor"] for r in _rows(tiny, AuditLog)}
    assert len(actors) == 1 and actors.pop().startswith("cli:")
