"""Issue #17: the login cookie. Over TLS it is `__Host-kpi_session` (Secure, Path=/, no Domain), else
`kpi_session`; it ends with the browser (no Max-Age) unless 保持登录 / "Stay signed in" was ticked on
the login form, then Max-Age is the login's remaining lifetime. The routes are driven through ASGI
(as in tests/test_access_control.py), the form through AppTest."""
from __future__ import annotations

import re
import shutil

import pytest

from dashboard.auth import routes as auth_routes
from data_access.accounts import auth
from data_access.db import make_engine
from tests.apptest_support import open_page
from tests.test_access_control import PW, _asgi_post, _builtin, _clear_must_change

SAME = {"host": "dash.example:443", "sec-fetch-site": "same-origin", "content-type": "text/plain"}


@pytest.fixture
def db(sample_db_url, tmp_path):
    path = tmp_path / "kpi.sqlite3"
    shutil.copy(sample_db_url.removeprefix("sqlite:///"), path)
    url = f"sqlite:///{path}"
    eng = make_engine(url)
    auth.create_user(eng, auth.AuthUser("setup", "setup", auth.ROLE_ADMIN), "boss", "领导", password=PW)
    _clear_must_change(eng, "boss")
    yield url, eng
    eng.dispose()


@pytest.fixture
def app(db, monkeypatch):
    from starlette.applications import Starlette

    monkeypatch.setattr(auth_routes, "_engine", lambda: db[1])
    monkeypatch.delenv("KPI_COOKIE_SECURE", raising=False)
    return Starlette(routes=auth_routes.routes())


def _cookies(headers) -> list[str]:
    return [v for k, v in headers if k == "set-cookie"]


def _post(app, db, *, remember: bool, https: bool):
    code = auth.login(db[1], "boss", PW).handoff_code
    headers = {**SAME, **({"x-forwarded-proto": "https"} if https else {})}
    status, sent = _asgi_post(app, "/_kpi/auth/session", auth_routes.handoff_body(code, remember).encode(), headers)
    assert status == 204
    (cookie,) = _cookies(sent)
    return cookie


def _attrs(cookie: str) -> dict[str, str]:
    name_value, *attrs = [p.strip() for p in cookie.split(";")]
    name, _, value = name_value.partition("=")
    out = {"name": name, "value": value}
    for a in attrs:
        k, _, v = a.partition("=")
        out[k.lower()] = v or "yes"
    return out


def test_plain_http_no_tick_a_browser_session_cookie(app, db):
    c = _attrs(_post(app, db, remember=False, https=False))
    assert c["name"] == "kpi_session" and c["httponly"] == "yes" and c["samesite"] == "strict"
    assert "max-age" not in c and "expires" not in c and "secure" not in c
    assert auth.resume(db[1], c["value"])[0].username == "boss"


def test_stay_signed_in_sets_max_age_to_the_login_lifetime(app, db):
    c = _attrs(_post(app, db, remember=True, https=False))
    assert c["name"] == "kpi_session"
    assert 11.9 * 3600 < int(c["max-age"]) <= 12 * 3600  # KPI_SESSION_HOURS (12) of a fresh login


def test_over_tls_the_host_prefixed_cookie(app, db, monkeypatch):
    import streamlit as st

    # even with a base path: a __Host- cookie must have Path=/ (the browser refuses it otherwise)
    monkeypatch.setattr(st.config, "get_option", lambda key: "dash" if key == "server.baseUrlPath" else None)
    app_with_base = type(app)(routes=auth_routes.routes())
    code = auth.login(db[1], "boss", PW).handoff_code
    status, sent = _asgi_post(app_with_base, "/dash/_kpi/auth/session", code.encode(),
                              {**SAME, "x-forwarded-proto": "https"})
    assert status == 204
    c = _attrs(_cookies(sent)[0])
    assert c["name"] == "__Host-kpi_session" and c["secure"] == "yes" and c["path"] == "/"
    assert "domain" not in c and "max-age" not in c and c["httponly"] == "yes"
    remembered = _attrs(_post(app, db, remember=True, https=True))
    assert remembered["name"] == "__Host-kpi_session" and int(remembered["max-age"]) > 11.9 * 3600


def test_tls_configured_explicitly(app, db, monkeypatch):
    monkeypatch.setenv("KPI_COOKIE_SECURE", "true")
    assert _attrs(_post(app, db, remember=False, https=False))["name"] == "__Host-kpi_session"
    monkeypatch.setenv("KPI_COOKIE_SECURE", "false")
    assert _attrs(_post(app, db, remember=False, https=True))["name"] == "kpi_session"


def test_logout_expires_both_names_over_tls(app):
    status, sent = _asgi_post(app, "/_kpi/auth/logout", b"", {**SAME, "x-forwarded-proto": "https"})
    assert status == 204
    names = {_attrs(c)["name"]: _attrs(c) for c in _cookies(sent)}
    assert set(names) == {"kpi_session", "__Host-kpi_session"}
    assert names["__Host-kpi_session"]["max-age"] == "0" and names["__Host-kpi_session"]["path"] == "/"
    status, sent = _asgi_post(app, "/_kpi/auth/logout", b"", SAME)
    assert [_attrs(c)["name"] for c in _cookies(sent)] == ["kpi_session"]


def test_which_cookie_a_request_is_trusted_with():
    both = {"kpi_session": "plain", "__Host-kpi_session": "host"}
    assert auth_routes.request_token(both, secure=True) == "host"
    assert auth_routes.request_token(both, secure=False) == "host"
    # Over TLS a plain cookie (planted by another host or plain http) is not taken.
    assert auth_routes.request_token({"kpi_session": "plain"}, secure=True) is None
    assert auth_routes.request_token({"kpi_session": "plain"}, secure=False) == "plain"
    assert auth_routes.request_token({}, secure=False) is None


def test_a_used_code_with_the_flag_is_still_used_up(app, db):
    code = auth.login(db[1], "boss", PW).handoff_code
    body = auth_routes.handoff_body(code, True)
    assert body == f"{code} remember"
    assert auth_routes.exchange(db[1], body) is not None
    assert auth_routes.exchange(db[1], body) is None
    assert auth_routes.exchange(db[1], "") is None and auth_routes.exchange(db[1], " remember") is None


@pytest.mark.parametrize("tick", [False, True])
def test_the_login_form_passes_the_stay_signed_in_choice(db, monkeypatch, tick):
    _builtin(monkeypatch)
    monkeypatch.setattr(auth_routes, "MOUNTED", True)
    at = open_page(db[0], "overview.py")
    (box,) = at.checkbox
    assert box.key == "auth_remember" and box.label == "保持登录" and box.value is False
    at.text_input(key="auth_username").input("boss")
    at.text_input(key="auth_password").input(PW)
    if tick:
        at.checkbox(key="auth_remember").check()
    at.button(key="auth_submit").click().run()
    (script,) = [h.proto.body for h in at.get("html") if "/_kpi/auth/session" in h.proto.body]
    body = re.search(r'body: "([^"]+)"', script).group(1)
    code, _, flag = body.partition(" ")
    assert flag == ("remember" if tick else "")
    token, max_age = auth_routes.exchange(db[1], body)
    assert (max_age is not None and max_age > 11 * 3600) if tick else max_age is None
