"""Who gets in and what they see: every page behind the login, the county scope through the URL,
the upload and the command line, the proxy header, the cookie that survives a refresh, and the
notice when authentication is off. AppTest against a copy of the sample database; one browser test."""
from __future__ import annotations

import asyncio
import concurrent.futures
import os
import re
import shutil
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

import dashboard.auth.gate as gate
from dashboard import viewer
from dashboard.auth import routes as auth_routes
from dashboard.navigation import PAGE_TABLE, PAGES_DIR
from data_access.accounts import auth
from data_access.cli.main import main as cli_main
from data_access.db import make_engine
from data_access.errors import DataAccessError
from data_access.schema.models import ImportBatch
from tests.apptest_support import APP, open_page

LUSHAN, XINHUA = "410423", "410402"
PW = "Xk9-pass-word"
PAGES = [script for script, *_ in PAGE_TABLE if (PAGES_DIR / script).exists()]
# What the login screen consists of; any other element would be page content.
LOGIN_ELEMENTS = {"SpecialBlock", "Title", "Subheader", "Block", "TextInput", "Checkbox", "Button", "Caption",
                  "Info"}


@pytest.fixture
def db(sample_db_url, tmp_path):
    """(url, engine) of a private copy of the sample database with four accounts."""
    path = tmp_path / "kpi.sqlite3"
    shutil.copy(sample_db_url.removeprefix("sqlite:///"), path)
    url = f"sqlite:///{path}"
    eng = make_engine(url)
    root = auth.AuthUser("setup", "setup", auth.ROLE_ADMIN)
    for name, role, unit, view in (("root", "管理员", None, None), ("lu", "区县填报员", LUSHAN, "unit"),
                                   ("wang", "区县填报员", XINHUA, None), ("boss", "领导", None, None)):
        auth.create_user(eng, root, name, role, unit_code=unit, view_scope=view, password=PW)
        user = auth.load_user(eng, name)
        auth.change_password(eng, user, PW, PW + "1")  # past the forced first change
        auth.reset_password(eng, root, name, PW)
        _clear_must_change(eng, name)
    yield url, eng
    eng.dispose()


def _clear_must_change(eng, name):
    from sqlalchemy import update

    from data_access.schema.accounts import User

    with eng.begin() as conn:
        conn.execute(update(User).where(User.username == name).values(must_change_password=False))


def _sign_in_by_cookie(monkeypatch, eng, name):
    """What the browser does: sign in, trade the hand-over code for the cookie, send it next time."""
    login = auth.login(eng, name, PW)
    token, _ = auth.redeem_handoff(eng, login.handoff_code)
    monkeypatch.setattr(gate, "_cookie_token", lambda: token)
    return token


def _types(at) -> set[str]:
    return {type(e).__name__ for e in at.main} | {type(e).__name__ for e in at.sidebar}


def _builtin(monkeypatch):
    monkeypatch.setenv("KPI_AUTH_MODE", "builtin")


@pytest.mark.parametrize("script", PAGES)
def test_every_page_refuses_an_anonymous_session(db, monkeypatch, script):
    _builtin(monkeypatch)
    at = open_page(db[0], script, {"county": XINHUA})
    assert [e.key for e in at.text_input] == ["auth_username", "auth_password"]
    assert at.title[0].value == "鹰城工会看板" and at.subheader[0].value == "登录"
    assert _types(at) <= LOGIN_ELEMENTS, _types(at) - LOGIN_ELEMENTS
    assert not at.sidebar.children  # no filters, no navigation menu
    assert "filters" not in at.session_state and "auth_user" not in at.session_state


def test_sign_in_through_the_form_throttle_and_no_secret_in_the_url(db, monkeypatch):
    _builtin(monkeypatch)
    at = open_page(db[0], "overview.py")
    for _ in range(4):
        at.text_input(key="auth_username").input("boss")
        at.text_input(key="auth_password").input("wrong")
        at.button(key="auth_submit").click().run()
        assert [e.value for e in at.error] == ["用户名或密码不正确"]
    at.text_input(key="auth_username").input("boss")
    at.text_input(key="auth_password").input("wrong")
    at.button(key="auth_submit").click().run()
    assert at.error[0].value.startswith("登录失败次数过多，该账号已暂时锁定，请 15 分钟后再试")
    at.text_input(key="auth_username").input("boss")
    at.text_input(key="auth_password").input(PW)
    at.button(key="auth_submit").click().run()  # right password, still locked
    assert "锁定" in at.error[0].value and "auth_user" not in at.session_state

    at = open_page(db[0], "overview.py")
    at.text_input(key="auth_username").input("root")
    at.text_input(key="auth_password").input(PW)
    at.button(key="auth_submit").click().run()
    assert not at.exception and at.session_state["auth_user"].username == "root"
    assert {"auth_username", "auth_password"}.isdisjoint(e.key for e in at.text_input)  # form gone
    assert "auth_password" not in at.session_state
    assert [e.value for e in at.sidebar.text] == ["root（管理员）"]
    url_text = repr(dict(at.query_params))
    assert PW not in url_text and "token" not in url_text and "code" not in url_text


def test_first_login_forces_a_password_change_before_any_page(db, monkeypatch):
    _builtin(monkeypatch)
    initial = auth.create_user(db[1], auth.AuthUser("setup", "s", auth.ROLE_ADMIN), "zhao", "领导")
    at = open_page(db[0], "overview.py", {"lang": "en"})
    assert [e.label for e in at.text_input] == ["User name", "Password"]
    at.text_input(key="auth_username").input("zhao")
    at.text_input(key="auth_password").input(initial)
    at.button(key="auth_submit").click().run()
    assert [e.key for e in at.text_input] == ["auth_forced_old", "auth_forced_new", "auth_forced_new2"]
    assert _types(at) <= LOGIN_ELEMENTS | {"Markdown"} and not at.sidebar.children
    at.text_input(key="auth_forced_old").input(initial)
    at.text_input(key="auth_forced_new").input("Mine-2023-ok")
    at.text_input(key="auth_forced_new2").input("Mine-2023-ok")
    at.button(key="auth_forced_submit").click().run()
    assert at.session_state["auth_user"].username == "zhao" and at.get("plotly_chart")
    assert not auth.load_user(db[1], "zhao").must_change_password


def test_login_survives_a_refresh_through_the_cookie(db, monkeypatch):
    _builtin(monkeypatch)
    monkeypatch.setattr(auth_routes, "MOUNTED", True)
    at = open_page(db[0], "overview.py")
    at.text_input(key="auth_username").input("boss")
    at.text_input(key="auth_password").input(PW)
    at.button(key="auth_submit").click().run()
    # Right after the login the page carries a script that posts the one-time code (body, not URL).
    scripts = [h.proto.body for h in at.get("html")]
    (script,) = [s for s in scripts if "/_kpi/auth/session" in s]
    code = re.search(r'body: "([A-Za-z0-9_-]+)"', script).group(1)
    assert code not in repr(dict(at.query_params))
    at.run()
    assert not [h for h in at.get("html") if "/_kpi/auth/session" in h.proto.body]  # shown once only
    # The route trades it for the cookie token; a new session (a refresh) sends that cookie.
    token, max_age = auth_routes.exchange(db[1], code)
    assert max_age is None  # 保持登录 not ticked: a cookie that ends with the browser
    assert auth_routes.exchange(db[1], code) is None
    monkeypatch.setattr(gate, "_cookie_token", lambda: token)
    fresh = open_page(db[0], "overview.py")
    assert "auth_password" not in [e.key for e in fresh.text_input]
    assert fresh.session_state["auth_user"].username == "boss"
    assert fresh.get("plotly_chart")  # the page itself ran
    # Signing out ends the login: the same cookie no longer opens a session.
    fresh.button(key="auth_logout").click().run()
    assert [e.key for e in fresh.text_input] == ["auth_username", "auth_password"]
    assert any("/_kpi/auth/logout" in h.proto.body for h in fresh.get("html"))  # cookie expired too
    again = open_page(db[0], "overview.py")
    assert [e.key for e in again.text_input] == ["auth_username", "auth_password"]


def test_restricted_reporter_cannot_read_another_county_through_the_url(db, monkeypatch):
    _builtin(monkeypatch)
    _sign_in_by_cookie(monkeypatch, db[1], "lu")  # 鲁山县, may view its own unit only
    at = open_page(db[0], "overview.py", {"county": f"{XINHUA},{LUSHAN}"})
    assert [w.value for w in at.warning] == [
        f"您的账号只能查看本单位的数据，链接中的其他区县（{XINHUA}）已被拒绝。"]
    assert at.session_state["filters"].counties == (LUSHAN,)
    assert at.query_params["county"] == LUSHAN  # the URL was rewritten
    assert at.multiselect(key="w_county").options == ["鲁山县"]
    assert any("范围：鲁山县" in c.value for c in at.caption)
    # No county in the URL ("whole city") is its own unit too, without a warning.
    at = open_page(db[0], "overview.py")
    assert at.session_state["filters"].counties == (LUSHAN,) and not at.warning


def test_restricted_reporter_gets_only_its_unit_from_every_reader(db, monkeypatch):
    """The map asks the readers for the whole city; a unit-only viewer still gets its own unit."""
    from data_access.kpis import queries
    from tests.apptest_support import deck_specs

    _builtin(monkeypatch)
    _sign_in_by_cookie(monkeypatch, db[1], "lu")
    at = open_page(db[0], "map.py")
    own = queries.facility_points(db[1], 2023, at.session_state["filters"].as_of, [LUSHAN])
    points = [o for layer in deck_specs(at)[0]["layers"]
              if layer["id"] in ("care_station", "childcare_class") for o in layer["data"]]
    assert sorted(o["id"] for o in points) == sorted(own["id"]) and len(points) > 0
    assert {o["unit_code"] for o in points} == {LUSHAN}
    # The county shading is read for the whole city; other counties' figures must not reach it.
    tips = {f["properties"]["adcode"]: f["properties"]["tip_body"]
            for f in deck_specs(at)[0]["layers"][0]["data"]["features"]}
    assert "今年新建" in tips[LUSHAN]
    assert not any("今年新建" in tip for code, tip in tips.items() if code != LUSHAN)


def test_cached_readers_cut_whole_city_requests_to_the_viewer(db, monkeypatch):
    import datetime as dt

    import streamlit as st

    from dashboard import data
    from data_access.kpis import tables

    monkeypatch.setenv("KPI_DATABASE_URL", db[0])
    st.cache_data.clear()
    st.cache_resource.clear()
    own = auth.AuthUser("lu", "lu", auth.ROLE_REPORTER, unit_code=LUSHAN, view_scope=auth.VIEW_UNIT)
    monkeypatch.setattr(viewer, "current_user", lambda: own)
    day = dt.date(2023, 6, 30)
    assert set(data.facility_counts(2023, day, None)["unit_code"]) == {LUSHAN}
    assert set(data.unit_breakdown(2023, day, None, "T07")["unit_code"]) == {LUSHAN}
    got = data.target_overview(2023, day, None, known=day).set_index("target_code")["actual"]  # K = D
    want = tables.target_overview(db[1], 2023, day, (LUSHAN,)).set_index("target_code")["actual"]
    assert got.to_dict() == want.to_dict()
    # the readers moved in from the views: new-economy members, the briefing, the reporting tables
    from data_access.kpis import new_economy as ne
    from data_access.reporting import batches as batch_list, commit as importer

    assert int(data.ne_members(day, None, known=day)["new_members"].iloc[0]) == int(
        ne.members(db[1], day, (LUSHAN,))["new_members"].iloc[0])
    assert data.briefing_figures(2023, day, None).units == (LUSHAN,)
    assert list(data.submission_status(2023, day)["unit_code"]) == [LUSHAN]
    head = "单位代码,单位名称,指标代码,指标名称,计量单位,周期开始,周期结束,本期完成数,备注"
    for unit in (XINHUA, LUSHAN):
        importer.commit(db[1], f"{head}\n{unit},,T01,,,2023-06-24,2023-06-30,3,\n".encode("utf-8-sig"),
                        f"{unit}.csv", actor="root", allowed_units=None)
    assert sorted(batch_list.batches(db[1], None, None, None)["unit_code"]) == sorted([XINHUA, LUSHAN])
    assert list(data.batches(None, None)["unit_code"]) == [LUSHAN]
    assert data.visible_units() == (LUSHAN,)
    st.cache_data.clear()
    st.cache_resource.clear()


def test_reporter_with_the_default_city_view_sees_other_counties(db, monkeypatch):
    _builtin(monkeypatch)
    _sign_in_by_cookie(monkeypatch, db[1], "wang")
    at = open_page(db[0], "overview.py", {"county": LUSHAN})
    assert at.session_state["filters"].counties == (LUSHAN,) and not at.warning
    assert len(at.multiselect(key="w_county").options) == 13


def test_every_reader_with_units_goes_through_the_one_scope():
    import inspect

    from dashboard import data

    readers = {name: fn for name, fn in vars(data).items()
               if callable(fn) and not inspect.isclass(fn) and not name.startswith("_")
               and getattr(fn, "__module__", None) == "dashboard.data"  # plain and st.cache_data-wrapped
               and "units" in inspect.signature(fn).parameters}
    assert len(readers) >= 14, sorted(readers)
    assert [name for name, fn in readers.items() if not getattr(fn, "scoped", False)] == []


def test_scoped_units_for_the_data_readers(monkeypatch):
    own = auth.AuthUser("lu", "lu", auth.ROLE_REPORTER, unit_code=LUSHAN, view_scope=auth.VIEW_UNIT)
    city = auth.AuthUser("wang", "wang", auth.ROLE_REPORTER, unit_code=XINHUA)
    monkeypatch.setattr(viewer, "current_user", lambda: own)
    assert viewer.scope(None) == (LUSHAN,)  # "whole city" asked by a ranking or the map
    assert viewer.scope((XINHUA, LUSHAN)) == (LUSHAN,)
    assert viewer.scope((XINHUA,)) == (LUSHAN,)
    monkeypatch.setattr(viewer, "current_user", lambda: city)
    assert viewer.scope(None) is None and viewer.scope((LUSHAN,)) == (LUSHAN,)


def test_upload_for_another_county_is_refused(db):
    lu = auth.load_user(db[1], "lu")
    with pytest.raises(DataAccessError, match=f"只能填报本单位（{LUSHAN}）的数据，不能填报 {XINHUA}"):
        auth.require_write_scope(lu, XINHUA)
    assert auth.require_write_scope(lu, LUSHAN) is lu
    # The importer takes the account's writable units: a forged row for 新华区 refuses the whole file.
    from data_access.reporting import commit as importer
    head = "单位代码,单位名称,指标代码,指标名称,计量单位,周期开始,周期结束,本期完成数,备注"

    def csv(unit: str) -> bytes:
        return f"{head}\n{unit},,T01,,,2023-06-24,2023-06-30,3,\n".encode("utf-8-sig")

    with db[1].connect() as conn:
        before = conn.execute(select(func.count()).select_from(ImportBatch)).scalar()
    with pytest.raises(DataAccessError, match=f"无权上报新华区（{XINHUA}）的数据"):
        importer.commit(db[1], csv(XINHUA), "forged.csv", actor=lu.username, allowed_units=auth.writable_units(lu))
    with db[1].connect() as conn:
        assert conn.execute(select(func.count()).select_from(ImportBatch)).scalar() == before
    done = importer.commit(db[1], csv(LUSHAN), "own.csv", actor=lu.username, allowed_units=auth.writable_units(lu))
    assert done.batch_id


def test_command_line_refuses_another_county(db, capsys):
    assert cli_main(["--url", db[0], "user", "scope", "lu", "--write", XINHUA]) == 2
    assert capsys.readouterr().err.strip() == f"错误：账号“lu”只能填报本单位（{LUSHAN}）的数据，不能填报 {XINHUA}"


def test_command_line_import_acts_with_the_named_accounts_rights(db, tmp_path, capsys):
    head = "单位代码,单位名称,指标代码,指标名称,计量单位,周期开始,周期结束,本期完成数,备注"
    forged = tmp_path / "forged.csv"
    forged.write_bytes(f"{head}\n{XINHUA},,T01,,,2023-06-24,2023-06-30,3,\n".encode("utf-8-sig"))
    with db[1].connect() as conn:
        before = conn.execute(select(func.count()).select_from(ImportBatch)).scalar()
    # lu (鲁山县) may not import 新华区's figures, nor name 新华区 as its unit, nor self-approve.
    cases = {(): "410402", ("--unit", XINHUA): f"只能填报本单位（{LUSHAN}）的数据，不能填报 {XINHUA}",
             ("--approve",): "无权进行此操作，需要：审核员、管理员"}
    for extra, expected in cases.items():
        code = cli_main(["--url", db[0], "import", str(forged), "--user", "lu", "--yes", *extra])
        err = capsys.readouterr().err.strip()
        assert code == 2 and err.startswith("错误：") and expected in err, (extra, err)
    # A leader (boss) views everything but writes for no unit.
    assert cli_main(["--url", db[0], "import", str(forged), "--user", "boss", "--yes"]) == 2
    capsys.readouterr()
    with db[1].connect() as conn:
        assert conn.execute(select(func.count()).select_from(ImportBatch)).scalar() == before
    # A county reporter cannot approve a batch from the command line either.
    assert cli_main(["--url", db[0], "review", "1", "approve", "--user", "lu"]) == 2
    assert "无权进行此操作" in capsys.readouterr().err


def _run(db_url, script="overview.py", user: dict | None = None, secrets: dict | None = None) -> AppTest:
    """Like open_page, but leaves KPI_AUTH_MODE alone (unset means the app's own default) and can
    preset st.user (what Streamlit fills from the trusted header or OIDC)."""
    os.environ["KPI_DATABASE_URL"] = db_url
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    if user is not None:
        at.user = user
    for key, value in (secrets or {}).items():
        at.secrets[key] = value
    at.run()
    at.switch_page(str(Path(APP).parent.parent / "pages" / script))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_proxy_header_is_ignored_unless_configured(db, monkeypatch):
    from streamlit.testing.v1.util import patch_config_options

    monkeypatch.setenv("KPI_AUTH_MODE", "proxy")
    at = _run(db[0], user={"username": "root"})
    assert [e.value for e in at.error] == [
        "单点登录未配置：未设置 server.trustedUserHeaders，已忽略请求中的用户头，拒绝访问。"]
    assert not at.get("plotly_chart") and not at.sidebar.children and "auth_user" not in at.session_state
    with patch_config_options({"server.trustedUserHeaders": {"X-Remote-User": "username"}}):
        at = _run(db[0], user={"username": "root"})
        assert at.session_state["auth_user"].username == "root" and at.get("plotly_chart")
        at = _run(db[0], user={"username": "stranger"})
        assert [e.value for e in at.error] == ["账号“stranger”未开通或已停用，请联系管理员"]
        at = _run(db[0], user={"email": "x@example.com"})
        assert at.error[0].value.startswith("未从单点登录代理收到用户名")
        assert not at.get("plotly_chart")


def test_oidc_mode_uses_st_user_and_known_accounts_only(db, monkeypatch):
    monkeypatch.setenv("KPI_AUTH_MODE", "oidc")
    at = _run(db[0], user={"is_logged_in": True, "email": "root"})
    assert at.error[0].value == "统一身份认证未配置：secrets.toml 中缺少 [auth] 段。"
    provider = {"auth": {"redirect_uri": "http://localhost/oauth2callback", "cookie_secret": "x" * 32,
                         "client_id": "kpi", "client_secret": "s", "server_metadata_url": "http://idp/.well-known"}}
    at = _run(db[0], user={"is_logged_in": False}, secrets=provider)
    assert [b.label for b in at.button] == ["使用统一身份认证登录"] and not at.get("plotly_chart")
    auth.create_user(db[1], auth.AuthUser("setup", "s", auth.ROLE_ADMIN), "li.si@union.example", "领导")
    at = _run(db[0], user={"is_logged_in": True, "email": "li.si@union.example"}, secrets=provider)
    assert at.session_state["auth_user"].role == "leader" and at.get("plotly_chart")
    at = _run(db[0], user={"is_logged_in": True, "email": "who@else.example"}, secrets=provider)
    assert at.error[0].value == "账号“who\u200b@else.example”未开通或已停用，请联系管理员"  # no mailto: link


@pytest.mark.parametrize("script", PAGES)
def test_sample_quick_start_says_authentication_is_off_on_every_page(db, monkeypatch, script):
    monkeypatch.delenv("KPI_AUTH_MODE", raising=False)
    at = _run(db[0], script)
    assert at.warning[0].value.startswith("身份认证已关闭：这是示例数据的快速体验模式")
    assert at.session_state["auth_user"] == auth.ANONYMOUS


def test_default_is_the_builtin_login_on_real_data(db, monkeypatch):
    from sqlalchemy import update

    from data_access.schema.models import Meta

    monkeypatch.delenv("KPI_AUTH_MODE", raising=False)
    with db[1].begin() as conn:
        conn.execute(update(Meta).where(Meta.key == "dataset").values(value="real"))
    at = _run(db[0])
    assert [e.key for e in at.text_input] == ["auth_username", "auth_password"] and not at.get("plotly_chart")


def test_operator_turned_off_authentication_explicitly(db, monkeypatch):
    monkeypatch.setenv("KPI_AUTH_MODE", "none")
    at = open_page(db[0], "overview.py")
    assert at.warning[0].value.startswith("身份认证已由运维人员关闭（KPI_AUTH_MODE=none）")


def test_unknown_mode_refuses_everything(db, monkeypatch):
    monkeypatch.setenv("KPI_AUTH_MODE", "ldap")
    at = open_page(db[0], "overview.py")
    assert at.error[0].value.startswith("登录配置有误：认证方式“ldap”无效")
    assert not at.get("plotly_chart")


def test_user_text_is_never_rendered_as_markup(db, monkeypatch):
    _builtin(monkeypatch)
    auth.update_user(db[1], auth.AuthUser("setup", "s", auth.ROLE_ADMIN), "boss",
                     display_name="<b>王</b> [点我](http://evil.example) :red[x]")
    _sign_in_by_cookie(monkeypatch, db[1], "boss")
    at = open_page(db[0], "overview.py")
    assert [e.value for e in at.sidebar.text] == ["<b>王</b> [点我](http://evil.example) :red[x]（领导）"]
    shown = [e.value for e in at.markdown] + [e.value for e in at.caption]
    assert not [v for v in shown if "evil.example" in v]
    assert gate.plain("账号“[x](http://e)”") == "账号“\\[x\\]\\(http\\:\u200b//e\\)”"  # no autolink either


# --- the cookie route itself (ASGI, without a server) -------------------------------------------


def _asgi_post(app, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, list[tuple[str, str]]]:
    scope = {"type": "http", "method": "POST", "path": path, "raw_path": path.encode(), "query_string": b"",
             "scheme": "http", "server": ("127.0.0.1", 8501), "client": ("127.0.0.1", 5000),
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
             "http_version": "1.1", "root_path": ""}
    sent: list[dict] = []
    chunks = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive():
        return chunks.pop(0) if chunks else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    # On a thread of its own: the session's Playwright loop may be running in this one.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, app(scope, receive, send)).result()
    start = sent[0]
    return start["status"], [(k.decode(), v.decode()) for k, v in start["headers"]]


def test_cookie_route_sets_an_httponly_strict_cookie_for_same_origin_only(db, monkeypatch):
    from starlette.applications import Starlette

    monkeypatch.setattr(auth_routes, "_engine", lambda: db[1])
    app = Starlette(routes=auth_routes.routes())
    same = {"host": "127.0.0.1:8501", "sec-fetch-site": "same-origin", "content-type": "text/plain"}
    code = auth.login(db[1], "boss", PW).handoff_code
    status, headers = _asgi_post(app, "/_kpi/auth/session", code.encode(), {**same, "sec-fetch-site": "cross-site"})
    assert status == 403 and not [h for h in headers if h[0] == "set-cookie"]
    status, headers = _asgi_post(app, "/_kpi/auth/session", code.encode(),
                                 {"host": "127.0.0.1:8501", "origin": "http://evil.example"})
    assert status == 403
    status, headers = _asgi_post(app, "/_kpi/auth/session", code.encode(), same)
    assert status == 204
    (cookie,) = [v for k, v in headers if k == "set-cookie"]
    token = re.match(r"kpi_session=([A-Za-z0-9_-]+);", cookie).group(1)
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http here; https or X-Forwarded-Proto: https adds it
    assert "Max-Age" not in cookie and "expires" not in cookie.lower()  # ends with the browser
    assert auth.resume(db[1], token)[0].username == "boss"
    assert _asgi_post(app, "/_kpi/auth/session", code.encode(), same)[0] == 403  # used up
    status, headers = _asgi_post(app, "/_kpi/auth/session", auth.login(db[1], "boss", PW).handoff_code.encode(),
                                 {**same, "x-forwarded-proto": "https"})
    assert "Secure" in [v for k, v in headers if k == "set-cookie"][0]  # and named __Host-kpi_session
    status, headers = _asgi_post(app, "/_kpi/auth/logout", b"", same)
    assert status == 204 and 'kpi_session=""' in [v for k, v in headers if k == "set-cookie"][0]


# --- a real browser against `streamlit run dashboard/auth_server.py` -----------------------------


@pytest.mark.browser
def test_browser_login_survives_reload_and_logout_ends_it(db, tmp_path, browser):
    import subprocess
    import sys

    from tests.browser import support

    port = support._free_port()
    log = tmp_path / "server.log"
    env = {**os.environ, "KPI_DATABASE_URL": db[0], "KPI_AUTH_MODE": "builtin", "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "streamlit", "run", "dashboard/auth_server.py", "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none"]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=support.ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        support._wait_healthy(base, proc, log, 60)
        outside: list[str] = []
        context = support.new_context(browser, outside)
        page = context.new_page()
        page.goto(f"{base}/admin?county={XINHUA}")
        support.wait_ready(page)
        page.get_by_label("用户名").fill("root")
        page.get_by_label("密码").fill(PW)
        page.get_by_role("button", name="登录", exact=True).click()  # not "Help for 保持登录"
        page.get_by_role("heading", name="系统管理").wait_for()
        page.wait_for_function("() => document.cookie !== undefined")
        for _ in range(50):  # the hand-over request runs in the background
            cookies = {c["name"]: c for c in context.cookies()}
            if "kpi_session" in cookies:
                break
            page.wait_for_timeout(100)
        c = cookies["kpi_session"]
        assert c["httpOnly"] and c["sameSite"] == "Strict" and c["path"] == "/"
        assert "kpi_session" not in page.evaluate("document.cookie")  # not readable by scripts
        assert c["value"] not in page.url and PW not in page.url
        page.reload()
        support.wait_ready(page)
        page.get_by_role("heading", name="系统管理").wait_for()  # same page, still signed in
        assert page.get_by_label("密码").count() == 0
        page.get_by_role("button", name="退出登录").click()
        page.get_by_label("密码").wait_for()
        page.reload()
        support.wait_ready(page)
        page.get_by_label("密码").wait_for()  # signed out for good
        context.close()
    finally:
        support.stop_server(proc)
