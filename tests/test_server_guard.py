"""Nothing without login that costs the server (issue 17, dashboard/server_guard.py).

End to end against `streamlit run dashboard/auth_server.py` (one server for the module, built-in
login, the tiny data set): /_stcore/metrics is gone; an upload is refused before its body is read
unless a reporting role is signed in, and the server's memory does not grow by what an anonymous
client sends; maxUploadSize (10 MB) is in force; clear_cache from a connection without an
administrator is dropped (a cached figure stays cached) while an administrator's empties the
cache; the login page still works over the same guarded websocket, and after signing in there the
connection counts as signed in. Then the judging of back-messages in process, with a fake clock.
"""
from __future__ import annotations

import socket
import time
import uuid

import pytest
from sqlalchemy import update

from dashboard import server_guard as sg
from data_access.accounts import auth, passwords
from data_access.accounts.auth import AuthUser
from data_access.db import make_engine
from data_access.schema import migrate
from data_access.schema.models import Unit
from tests import guard_client as gc
from tests.helpers import run_async
from tests.tiny_data import B, load_tiny

MB = 1024 * 1024
REFUSAL = "未登录或账号无权上传文件".encode()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """(base URL, process, engine) of a guarded server with 管理员 root, 审核员 shen,
    区县填报员 wang (新华区) and 领导 boss."""
    from argon2 import PasswordHasher

    tmp = tmp_path_factory.mktemp("guard")
    url = f"sqlite:///{tmp / 'kpi.sqlite3'}"
    eng = make_engine(url)
    migrate.upgrade(eng)
    load_tiny(eng)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        gc.make_users(eng, [("root", "管理员", None), ("shen", "审核员", None),
                            ("wang", "区县填报员", "410402"), ("boss", "领导", None)])
    proc, base = gc.start(url, tmp / "server.log", extra_env={"KPI_CACHE_TTL": "3600"})
    try:
        yield base, proc, eng, tmp / "server.log"
    finally:
        gc.stop(proc)
        eng.dispose()


def _rename(eng, name: str) -> None:
    with eng.begin() as conn:
        conn.execute(update(Unit).where(Unit.code == B).values(name_zh=name))


# --- HTTP: metrics, uploads -------------------------------------------------------------------


def test_metrics_is_not_served(server):
    import urllib.error
    import urllib.request

    base = server[0]
    for method in ("GET", "OPTIONS"):
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(urllib.request.Request(f"{base}/_stcore/metrics", method=method), timeout=10)
        assert err.value.code == 404
        assert b"cache_memory_bytes" not in err.value.read()
    with urllib.request.urlopen(f"{base}/_stcore/health", timeout=10) as r:  # the health check stays
        assert r.read() == b"ok"


def test_upload_refused_before_its_body_without_a_reporting_login(server):
    base, _, eng, _ = server
    anon = gc.open_client(base)  # a real session: without the guard Streamlit would take the file
    try:
        for token in (None, "forged-token", gc.cookie_token(eng, "boss")):  # 领导 does not report
            status, body = gc.upload(base, anon.session_id, b"a,b\n1,2\n", token, expect_continue=True)
            assert status == 403 and REFUSAL in body, (token, status, body)  # no "100 Continue" came
        status, body = gc.upload(base, anon.session_id, b"", None, method="DELETE")
        assert status == 403 and REFUSAL in body
        # A login that has ended is no login.
        token = gc.cookie_token(eng, "wang")
        found = auth.resume(eng, token)
        auth.logout(eng, found[1])
        assert gc.upload(base, anon.session_id, b"a\n", token, expect_continue=True)[0] == 403
    finally:
        anon.close()


def test_reporting_roles_upload_and_the_size_limit_is_10_mb(server):
    base, _, eng, _ = server
    for name in ("wang", "shen", "root"):
        token = gc.cookie_token(eng, name)
        client = gc.open_client(base, token)
        try:
            assert gc.upload(base, client.session_id, b"a,b\n1,2\n", token) == (204, b""), name
            assert gc.upload(base, client.session_id, b"", token, method="DELETE")[0] == 204
        finally:
            client.close()
    token = gc.cookie_token(eng, "wang")
    client = gc.open_client(base, token)
    try:  # server.maxUploadSize = 10 (Streamlit's default, 200, would take both)
        assert gc.upload(base, client.session_id, b"x" * (9 * MB), token, expect_continue=True)[0] == 204
        status, body = gc.upload(base, client.session_id, b"x" * (11 * MB), token, expect_continue=True)
        assert status == 413 and b"File too large" in body
    finally:
        client.close()


def _push(base: str, path: str, size: int, xsrf: str) -> socket.socket:
    """Send a complete, valid upload of a `size`-byte file (XSRF header and cookie, no login), as much
    of it as the server takes, and keep the connection open (as the issue's attacker did)."""
    host, port = base.removeprefix("http://").split(":")
    body, ctype = gc.multipart("f.csv", b"x" * size)
    head = (f"PUT {path} HTTP/1.1\r\nHost: {host}:{port}\r\nCookie: _streamlit_xsrf={xsrf}\r\n"
            f"X-Xsrftoken: {xsrf}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n\r\n")
    sock = socket.create_connection((host, int(port)), timeout=10)
    try:
        sock.sendall(head.encode() + body)
    except OSError:  # refused and closed by the server
        pass
    return sock


def _path(session_id: str) -> str:
    return f"/_stcore/upload_file/{session_id}/{uuid.uuid4()}"


def test_anonymous_uploads_do_not_fill_memory_a_reporters_do(server):
    """Six 8 MB uploads held open: anonymous, the server's RSS stays within one file's size; the same
    six from a signed-in reporter are taken and held (the measurement does see them)."""
    base, proc, eng, _ = server
    xsrf = gc.xsrf_cookie(base)
    anon = gc.open_client(base)
    gc.upload(base, anon.session_id, b"warm", None, expect_continue=True)  # the guard's first imports
    time.sleep(0.5)
    before = gc.rss_kb(proc.pid)
    socks = [_push(base, _path(anon.session_id), 8 * MB, xsrf) for _ in range(6)]
    time.sleep(1.0)
    grown = gc.rss_kb(proc.pid) - before
    for s in socks:
        s.close()
    assert grown < 8 * 1024, f"RSS grew by {grown} kB for anonymous uploads"

    token = gc.cookie_token(eng, "wang")
    wang = gc.open_client(base, token)
    before = gc.rss_kb(proc.pid)
    for _ in range(6):
        assert gc.upload(base, wang.session_id, b"x" * (8 * MB), token)[0] == 204
    time.sleep(0.5)
    grown = gc.rss_kb(proc.pid) - before
    assert grown > 30 * 1024, f"RSS grew by only {grown} kB for six accepted 8 MB files"
    anon.close()
    wang.close()


# --- the websocket: clear_cache, the login page -------------------------------------------------


def test_clear_cache_is_dropped_unless_an_administrator_sends_it(server):
    base, _, eng, log = server
    boss = gc.open_client(base, gc.cookie_token(eng, "boss"))
    anon = gc.open_client(base)
    wang = gc.open_client(base, gc.cookie_token(eng, "wang"))
    root = gc.open_client(base, gc.cookie_token(eng, "root"))
    try:
        assert "鲁山县".encode() in boss.text()  # the county names come from a cached reader
        _rename(eng, "鲁山县甲")
        assert "鲁山县甲".encode() not in boss.run()  # still cached
        for client in (anon, wang):  # anonymous and 区县填报员: several clears each, then a run
            for _ in range(3):
                client.ws.send(gc.simple_msg("clear_cache"))
            client.run()  # messages are handled in order: the clears were dealt with before this run
        assert "鲁山县甲".encode() not in boss.run()  # the cache survived them
        root.ws.send(gc.simple_msg("clear_cache"))  # 管理员
        root.run()
        assert "鲁山县甲".encode() in boss.run()  # emptied for everyone
        assert "server_guard: clear_cache dropped" in log.read_text()
    finally:
        for client in (boss, anon, wang, root):
            client.close()
        _rename(eng, "鲁山县")


def _sign_in(client: gc.Client, name: str) -> None:
    """Fill in and submit the login form as the browser does (widget states of the form)."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    inputs = [e.text_input.id for e in client.elements() if e.WhichOneof("type") == "text_input"]
    (button,) = [e.button.id for e in client.elements() if e.WhichOneof("type") == "button"]
    assert len(inputs) == 2 and all("auth_" in i for i in inputs)
    states = [WidgetState(id=inputs[0], string_value=name), WidgetState(id=inputs[1], string_value=gc.PW),
              WidgetState(id=button, trigger_value=True)]
    client.run(gc.rerun_msg(states))
    for _ in range(5):  # the login ends its run with st.rerun; read until the signed-in page is drawn
        if "退出登录".encode() in client.text():
            return
        client.read_run()
    raise AssertionError("not signed in")


def test_login_page_works_and_the_connection_then_counts_as_signed_in(server):
    """Anonymous: the login form is drawn; anonymous clear_cache is dropped. Signed in through that
    form on the same connection as 管理员: its clear_cache now empties the cache."""
    base, _, eng, _ = server
    boss = gc.open_client(base, gc.cookie_token(eng, "boss"))
    client = gc.open_client(base)
    try:
        assert "用户名".encode() in client.text() and "退出登录".encode() not in client.text()
        _rename(eng, "鲁山县乙")
        client.ws.send(gc.simple_msg("clear_cache"))
        client.run()
        assert "鲁山县乙".encode() not in boss.run()
        _sign_in(client, "root")
        client.ws.send(gc.simple_msg("clear_cache"))
        client.run()
        assert "鲁山县乙".encode() in boss.run()
    finally:
        client.close()
        boss.close()
        _rename(eng, "鲁山县")


# --- in process: what a connection may send -----------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _conn(clock):
    limits = sg.Limits()
    conn = sg.Connection(limits, sg.SharedBudget(limits, clock), clock)
    conn.session_id = "s1"
    return conn


def test_anonymous_budget_and_dropped_types(monkeypatch):
    monkeypatch.setattr(sg, "_session_user", lambda sid: (None, False))
    clock = FakeClock()
    conn = _conn(clock)
    for kind in ("clear_cache", "load_git_info", "file_urls_request", "set_run_on_save",
                 "backend_operation_request", "debug_shutdown_runtime"):
        assert sg.judge(conn, kind, "builtin") == ("drop", 0.0), kind
    verdicts = [sg.judge(conn, "rerun_script", "builtin") for _ in range(10)]
    assert [v for v, _ in verdicts] == ["pass"] * 8 + ["wait"] * 2  # the burst, then 0.5 per second
    assert verdicts[-1][1] == pytest.approx(2.0)
    clock.now += 2.0
    assert sg.judge(conn, "rerun_script", "builtin") == ("pass", 0.0)
    beats = [sg.judge(conn, "app_heartbeat", "builtin")[0] for _ in range(12)]
    assert beats == ["pass"] * 10 + ["drop"] * 2
    assert sg.judge(conn, None, "builtin") == ("pass", 0.0)  # not a BackMsg: Streamlit closes it
    # Every message passed or dropped takes a frame token: a full bucket of 30 after the 2 s above,
    # less the run and the 12 heartbeats since, leaves 17; then reading waits (10 a second).
    verdicts = [sg.judge(conn, "clear_cache", "builtin") for _ in range(40)]
    assert [v for v, _ in verdicts] == ["drop"] * 17 + ["wait"] * 23
    assert verdicts[-1][1] == pytest.approx(0.1)


def test_shared_budget_of_all_anonymous_connections(monkeypatch):
    monkeypatch.setattr(sg, "_session_user", lambda sid: (None, False))
    clock = FakeClock()
    limits = sg.Limits()
    shared = sg.SharedBudget(limits, clock)
    conns = [sg.Connection(limits, shared, clock) for _ in range(5)]
    passed = sum(sg.judge(c, "rerun_script", "builtin")[0] == "pass" for c in conns for _ in range(8))
    assert passed == 16  # 40 asked for, the shared burst let 16 through
    conns = [sg.Connection(limits, shared, clock) for _ in range(5)]
    judged = sum(sg.judge(c, "load_git_info", "builtin")[0] == "drop" for c in conns for _ in range(30))
    assert judged == 100 - 16  # the shared frame budget: 100 for all, 16 taken by the runs above


def test_signed_in_roles(monkeypatch):
    clock = FakeClock()
    users = {"admin": AuthUser("root", "root", auth.ROLE_ADMIN), "reporter": AuthUser("w", "w", auth.ROLE_REPORTER),
             "leader": AuthUser("b", "b", auth.ROLE_LEADER)}
    for role, user in users.items():
        monkeypatch.setattr(sg, "_session_user", lambda sid, u=user: (u, False))
        conn = _conn(clock)
        assert all(sg.judge(conn, "rerun_script", "builtin")[0] == "pass" for _ in range(50)), role
        assert sg.judge(conn, "file_urls_request", "builtin")[0] == "pass"
        assert sg.judge(conn, "clear_cache", "builtin")[0] == ("pass" if role == "admin" else "drop")
    # A run in progress (the gate pops the user meanwhile) keeps the last role; after it, none.
    conn = _conn(clock)
    monkeypatch.setattr(sg, "_session_user", lambda sid: (users["admin"], False))
    assert sg.judge(conn, "clear_cache", "builtin")[0] == "pass"
    monkeypatch.setattr(sg, "_session_user", lambda sid: (None, True))
    assert sg.judge(conn, "clear_cache", "builtin")[0] == "pass"
    monkeypatch.setattr(sg, "_session_user", lambda sid: (None, False))  # signed out
    assert sg.judge(conn, "clear_cache", "builtin")[0] == "drop"
    # Authentication off: everyone is the anonymous administrator.
    assert sg.judge(conn, "clear_cache", "none")[0] == "pass"
    # Must change the password first: no login yet.
    monkeypatch.setattr(sg, "_session_user", lambda sid: (AuthUser("n", "n", auth.ROLE_ADMIN, must_change_password=True), False))
    assert sg.judge(conn, "clear_cache", "builtin")[0] == "drop"


def _asgi(guard, scope, incoming: list[dict]) -> tuple[list[dict], list[dict]]:
    """Run `guard` around a recording app; (messages the app received, messages sent out)."""
    got: list[dict] = []
    sent: list[dict] = []

    async def inner(scope, receive, send):
        if scope["type"] == "websocket":
            while (m := await receive())["type"] != "websocket.disconnect":
                got.append(m)
        else:
            got.append({"type": "reached"})
            await send({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body", "body": b""})

    async def receive():
        return incoming.pop(0) if incoming else {"type": "websocket.disconnect"}

    async def send(m):
        sent.append(m)

    run_async(sg.ServerGuard(inner, **guard)(scope, receive, send))
    return got, sent


def test_middleware_over_asgi(monkeypatch):
    monkeypatch.setattr(sg, "current_mode", lambda: "builtin")
    monkeypatch.setattr(sg, "_mode_cache", (time.monotonic() + 3600, "builtin"))
    monkeypatch.setattr(sg, "_session_user", lambda sid: (None, False))
    monkeypatch.setattr(sg, "request_user", lambda mode, headers, cookies: None)
    http = {"type": "http", "method": "GET", "path": "/_stcore/metrics", "headers": [], "query_string": b""}
    got, sent = _asgi({}, http, [])
    assert not got and sent[0]["status"] == 404
    got, sent = _asgi({}, {**http, "method": "PUT", "path": "//_stcore/upload_file/s/f"}, [])
    assert not got and sent[0]["status"] == 403 and (b"connection", b"close") in sent[0]["headers"]
    got, sent = _asgi({}, {**http, "method": "OPTIONS", "path": "/_stcore/upload_file/s/f"}, [])
    assert got  # the CORS preflight is Streamlit's
    monkeypatch.setattr(sg, "request_user", lambda mode, headers, cookies: AuthUser("w", "w", auth.ROLE_REPORTER))
    got, sent = _asgi({}, {**http, "method": "PUT", "path": "/_stcore/upload_file/s/f"}, [])
    assert got and sent[0]["status"] == 204
    # The websocket of a connection without login: clears dropped, runs delayed past the budget.
    ws = {"type": "websocket", "path": "/_stcore/stream", "headers": [], "query_string": b""}
    frames = [gc.simple_msg("clear_cache")] * 3 + [gc.simple_msg("load_git_info")] + [gc.rerun_msg()] * 4
    incoming = [{"type": "websocket.receive", "bytes": f} for f in frames]
    limits = sg.Limits(run_burst=2, run_rate=10)  # then one run per 0.1 s
    t0 = time.monotonic()
    got, _ = _asgi({"limits": limits}, ws, incoming)
    assert [sg.back_msg_type(m["bytes"]) for m in got] == ["rerun_script"] * 4  # none lost
    assert time.monotonic() - t0 >= 0.15  # the two over the burst waited for their tokens
    # A handshake with a login cookie: that login counts before the session's first run is known.
    monkeypatch.setattr(sg, "request_user", lambda mode, headers, cookies: (
        AuthUser("w", "w", auth.ROLE_REPORTER) if cookies.get("kpi_session") == "good" else None))
    frames = [gc.simple_msg("clear_cache")] + [gc.rerun_msg()] * 40
    signed = {**ws, "headers": [(b"cookie", b"kpi_session=good")]}
    got, _ = _asgi({}, signed, [{"type": "websocket.receive", "bytes": f} for f in frames])
    assert len(got) == 40 and all(sg.back_msg_type(m["bytes"]) == "rerun_script" for m in got)
    forged = {**ws, "headers": [(b"cookie", b"kpi_session=forged")]}
    t0 = time.monotonic()
    got, _ = _asgi({"limits": sg.Limits(run_burst=2, run_rate=20, shared_run_burst=2, shared_run_rate=20)},
                   forged, [{"type": "websocket.receive", "bytes": f} for f in frames[:6]])
    assert len(got) == 5 and time.monotonic() - t0 >= 0.1  # anonymous: 3 of them waited
    # Authentication off (the sample quick start): uploads and clears pass, no budget.
    monkeypatch.setattr(sg, "_mode_cache", (time.monotonic() + 3600, "none"))
    monkeypatch.setattr(sg, "current_mode", lambda: "none")
    got, sent = _asgi({}, {**http, "method": "PUT", "path": "/_stcore/upload_file/s/f"}, [])
    assert got and sent[0]["status"] == 204
    frames = [gc.simple_msg("clear_cache")] * 3 + [gc.rerun_msg()] * 40
    got, _ = _asgi({}, ws, [{"type": "websocket.receive", "bytes": f} for f in frames])
    assert len(got) == 43


# --- a real browser: sign in on the login page, then upload through the file uploader -----------


@pytest.mark.browser
def test_browser_reporter_signs_in_and_uploads_through_the_guard(server, browser):
    """The login form works over the guarded websocket, and the browser's own upload request
    carries the login cookie: the importer's verdict on the file is shown (it reached the page)."""
    from tests.browser import support

    base = server[0]
    outside: list[str] = []
    context = support.new_context(browser, outside)
    try:
        page = context.new_page()
        refused: list[int] = []
        page.on("response", lambda r: refused.append(r.status) if "/_stcore/upload_file/" in r.url
                and r.status >= 400 else None)
        page.goto(f"{base}/report")
        support.wait_ready(page)
        page.get_by_label("用户名").fill("wang")
        page.get_by_label("密码").fill(gc.PW)
        page.get_by_role("button", name="登录", exact=True).click()
        page.get_by_role("heading", name="数据填报与审核").wait_for()
        for _ in range(100):  # the hand-over request that sets the cookie runs in the background
            if any(c["name"] == "kpi_session" for c in context.cookies()):
                break
            page.wait_for_timeout(100)
        else:
            raise AssertionError("no kpi_session cookie after the login")
        support.wait_ready(page)
        page.get_by_role("tab", name="上传").click()
        support.wait_ready(page)
        page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
            files=[{"name": "周报.csv", "mimeType": "text/csv", "buffer": "不是模板,x\n1,2\n".encode("utf-8")}])
        verdict = page.get_by_text("文件未导入：共1处问题")  # the importer read the file
        for _ in range(600):
            if refused or verdict.count():
                break
            page.wait_for_timeout(100)
        assert refused == [] and verdict.count() == 1, (refused, page.locator("[data-testid='stAlert']").all_inner_texts())
        assert outside == []
        # Without the cookie the same page's next upload is refused by the guard.
        context.clear_cookies(name="kpi_session")
        page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
            files=[{"name": "周报2.csv", "mimeType": "text/csv", "buffer": b"a,b\n"}])
        for _ in range(100):
            if refused:
                break
            page.wait_for_timeout(100)
        assert refused and set(refused) == {403}  # the new file, and the old one's DELETE
    finally:
        context.close()
