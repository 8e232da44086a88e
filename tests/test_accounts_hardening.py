"""Issue #17 on accounts: the lockout holds under concurrency (30 parallel wrong passwords, at most
max_failures of them checked) on SQLite, PostgreSQL and MariaDB; common passwords are refused;
MariaDB compares user names exactly (no accent folding)."""
from __future__ import annotations

import datetime as dt
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select, update

from data_access.accounts import config, identity, passwords, sessions, users
from data_access.errors import DataAccessError
from data_access.schema import accounts as roles
from data_access.schema.accounts import LoginThrottle, User
from tests.tiny_data import B

ROOT = identity.AuthUser("root", "Root", roles.ROLE_ADMIN)
T0 = dt.datetime(2023, 6, 1, 9, 0, 0)
PW = "Xk9-pass-word"
S5 = config.AuthSettings(max_failures=5, lock_minutes=15)


def _user(engine, name="lu", password=PW):
    users.create_user(engine, ROOT, name, roles.ROLE_REPORTER, unit_code=B, password=password, now=T0)
    with engine.begin() as conn:
        conn.execute(update(User).where(User.username == name).values(must_change_password=False))


def _counting_verify(monkeypatch, delay: float = 0.05):
    """Replace the password check by one that counts its calls (and takes a while, so that the
    parallel attempts really overlap)."""
    real = passwords.verify_password
    calls = []
    lock = threading.Lock()

    def verify(stored, password):
        with lock:
            calls.append(password)
        time.sleep(delay)
        return real(stored, password)

    monkeypatch.setattr(passwords, "verify_password", verify)
    return calls


def _parallel_wrong(engine, name, n=30):
    barrier = threading.Barrier(n)

    def attempt(i):
        barrier.wait()
        try:
            sessions.login(engine, name, f"wrong-{i}", settings=S5, now=T0)
        except DataAccessError as exc:
            return exc.message_zh
        return "signed in"

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(attempt, range(n)))


@pytest.fixture
def wide(tiny):
    """The tiny database through an engine whose pool gives each of 30 threads its own connection."""
    from data_access.db import make_engine

    url = tiny.url.render_as_string(hide_password=False)
    kwargs: dict = {"pool_size": 32, "max_overflow": 0}
    if tiny.dialect.name == "postgresql":  # the fixture's schema is chosen by search_path
        with tiny.connect() as conn:
            path = conn.exec_driver_sql("SHOW search_path").scalar()
        kwargs["connect_args"] = {"options": f"-csearch_path={path}"}
    elif tiny.dialect.name == "sqlite":
        kwargs["connect_args"] = {"timeout": 60}
    eng = make_engine(url, **kwargs)
    yield eng
    eng.dispose()


def test_thirty_parallel_wrong_passwords_check_at_most_five(wide, monkeypatch):
    _user(wide)
    calls = _counting_verify(monkeypatch)
    messages = _parallel_wrong(wide, "lu")
    print(f"{wide.dialect.name}: {len(calls)} of 30 parallel wrong passwords verified")
    assert len(calls) == S5.max_failures  # each of the first five checked once, no more
    assert "signed in" not in messages
    assert sum("锁定" in m for m in messages) == 30 - S5.max_failures + 1
    with wide.connect() as conn:
        row = conn.execute(select(LoginThrottle).where(LoginThrottle.username == "lu")).one()
    assert row.failures == S5.max_failures and row.locked_until == T0 + dt.timedelta(minutes=15)
    # Locked: the right password is not even checked.
    with pytest.raises(DataAccessError, match="锁定"):
        sessions.login(wide, "lu", PW, settings=S5, now=T0 + dt.timedelta(minutes=1))
    assert len(calls) == S5.max_failures
    # After the lock a fresh count starts, and the right password works and clears it.
    assert sessions.login(wide, "lu", PW, settings=S5, now=T0 + dt.timedelta(minutes=16)).user.username == "lu"
    with wide.connect() as conn:
        assert conn.execute(select(LoginThrottle)).all() == []


def test_parallel_attempts_on_an_unknown_name_are_throttled_too(wide, monkeypatch):
    calls = _counting_verify(monkeypatch)
    messages = _parallel_wrong(wide, "nobody")
    assert len(calls) == S5.max_failures
    assert sum("锁定" in m for m in messages) == 30 - S5.max_failures + 1


def test_a_right_password_among_failures_clears_the_count(tiny, monkeypatch):
    _user(tiny)
    for i in range(S5.max_failures - 1):
        with pytest.raises(DataAccessError, match="用户名或密码不正确"):
            sessions.login(tiny, "lu", "wrong", settings=S5, now=T0 + dt.timedelta(seconds=i))
    assert sessions.login(tiny, "lu", PW, settings=S5, now=T0 + dt.timedelta(seconds=9)).user.username == "lu"
    with tiny.connect() as conn:
        assert conn.execute(select(LoginThrottle)).all() == []


# --- common passwords ---------------------------------------------------------------------------


@pytest.mark.parametrize("pw", ["password1", "admin123", "12345678", "qwerty123", "woaini1314", "a12345678",
                                "Password1", "ADMIN123", "P@ssw0rd", "abc12345", "1qaz2wsx", "zxcvbnm123",
                                "Admin@2024", "2023woaini", "qwertyuiop[]", "aaaaaaaa1", "abcdefgh9"])
def test_common_passwords_are_refused(pw):
    with pytest.raises(DataAccessError) as err:
        passwords.check_password_policy(pw, "zhangsan")
    assert err.value.message_zh.startswith("密码过于常见")


@pytest.mark.parametrize("pw", ["zhangsan1", "zhangsan2023", "Zhangsan!", "1nasgnahz", "zhangsan@pds"])
def test_passwords_built_on_the_user_name_are_refused(pw):
    with pytest.raises(DataAccessError, match="用户名"):
        passwords.check_password_policy(pw, "zhangsan")


@pytest.mark.parametrize("pw", ["Xk9-pass-word", "鹰城-2023-lu", "tq8#Vb2m", "rain-harbor-17"])
def test_uncommon_passwords_pass(pw):
    passwords.check_password_policy(pw, "zhangsan")


def test_the_bundled_list_is_substantial():
    common = passwords.common_passwords()
    assert len(common) >= 300
    assert {"password1", "admin123", "12345678", "qwerty123", "woaini1314", "a123456"} <= common
    assert all(p == p.strip().lower() and p for p in common)


def test_account_creation_refuses_a_common_password(tiny):
    with pytest.raises(DataAccessError, match="密码过于常见"):
        users.create_user(tiny, ROOT, "lu", roles.ROLE_REPORTER, unit_code=B, password="admin123", now=T0)


# --- exact user names on MariaDB ------------------------------------------------------------------


def test_user_names_are_compared_exactly(tiny):
    _user(tiny, "zhangsan")
    # An accented variant is another name: no sign-in with zhangsan's password, no account loaded.
    with pytest.raises(DataAccessError, match="用户名或密码不正确"):
        sessions.login(tiny, "zhāngsan", PW, settings=S5, now=T0)
    with pytest.raises(DataAccessError, match="未开通"):
        users.load_user(tiny, "zhāngsan")
    with pytest.raises(DataAccessError, match="不存在"):
        users.reset_password(tiny, ROOT, "zhāngsan")
    # Names are stored lower-case, so typing capitals is the same name (by design) ...
    assert sessions.login(tiny, "ZhangSan", PW, settings=S5, now=T0).user.username == "zhangsan"
    # ... but the database comparison itself is exact: a mixed-case value does not match.
    with tiny.connect() as conn:
        for probe, expected in (("zhangsan", 1), ("ZhangSan", 0), ("zhāngsan", 0), ("ZHANGSAN", 0)):
            found = conn.execute(select(User.id).where(users.same_name(conn, User.username, probe))).all()
            assert len(found) == expected, (tiny.dialect.name, probe)


def test_an_accented_twin_is_refused_cleanly_or_kept_apart(tiny):
    _user(tiny, "zhangsan")
    if tiny.dialect.name in ("mysql", "mariadb"):
        # The unique index still folds accents there (until a migration gives the column utf8mb4_bin).
        with pytest.raises(DataAccessError, match="冲突"):
            users.create_user(tiny, ROOT, "zhāngsan", roles.ROLE_REPORTER, unit_code=B, password=PW, now=T0)
    else:
        _user(tiny, "zhāngsan", password="Other-pass-9")
        assert sessions.login(tiny, "zhāngsan", "Other-pass-9", settings=S5, now=T0).user.username == "zhāngsan"
        with pytest.raises(DataAccessError):
            sessions.login(tiny, "zhāngsan", PW, settings=S5, now=T0)
    # zhangsan is untouched either way.
    assert sessions.login(tiny, "zhangsan", PW, settings=S5, now=T0).user.username == "zhangsan"


def test_a_short_user_name_refuses_only_itself():
    passwords.check_password_policy("Uly-sses-2023", "lu")  # 'ul' backwards is not refused for a 2-letter name
    with pytest.raises(DataAccessError, match="用户名"):
        passwords.check_password_policy("Xk9-lu-pass", "lu")
