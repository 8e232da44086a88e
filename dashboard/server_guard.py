"""Nothing without login that costs the server (issue 17): ASGI middleware around Streamlit's app.

dashboard/auth_server.py passes `middleware()` to st.App, so the guard sees every request before
Streamlit does:

- ``{base}/_stcore/metrics``: 404 for everyone (the server's internals are nobody's business).
- ``{base}/_stcore/upload_file/...`` (PUT, POST, DELETE, anything but the CORS preflight): 403 with a
  Chinese JSON body, answered before a byte of the file is read, unless the request comes from a
  live login whose role may report: 区县填报员, 审核员 or 管理员 (`REPORT_ROLES`). The login is the
  ``kpi_session`` cookie (built-in mode, `auth.resume`), the proxy's user header (proxy mode) or
  Streamlit's signed OIDC cookie (oidc mode). With authentication off (mode ``none``: the sample
  quick start, where everyone acts as the anonymous administrator) uploads pass.
- ``{base}/_stcore/stream`` (the websocket): every back-message is parsed (`BackMsg`) before
  Streamlit sees it, and judged by who is signed in on that connection *now*: the user the login
  gate put in the Streamlit session's state (``auth_user``), so a connection opened on the login
  page counts as signed in right after the login, and as anonymous again after "sign out".

  - ``clear_cache`` empties the caches of every user of the process: only 管理员 may
    (`CLEAR_CACHE_ROLES`); from anyone else it is dropped.
  - A connection without a login (the login page) gets what the login page needs (`Limits`):
    ``rerun_script`` and ``stop_script`` through a token bucket per connection plus one shared by
    all anonymous connections; a run over the budget waits for its token (delayed, not lost, so
    the last form state still arrives), and ``app_heartbeat`` beyond its own budget is dropped.
    Every other type (``file_urls_request``, ``load_git_info``, ``set_run_on_save``,
    ``backend_operation_request``, the debug ones) is dropped. Every back-message, dropped or
    not, also takes a token of a frame budget (again per connection and shared); over it the
    guard stops reading the connection until a token is back, so a client looping messages is
    held by TCP back-pressure and costs the event loop nothing (measured: dropping alone, without
    this, let four looping clients slow a signed-in user 3.5x through the parsing).
  - Signed-in users and mode ``none`` are not limited. Before a connection's first run is known,
    the login its handshake carried (cookie, proxy header, OIDC cookie; one database look-up per
    connection that carries a cookie) counts, so signed-in page loads do not draw on the
    anonymous budget.

The role a connection has is read from Streamlit's own session state, set by the gate on every run
(dashboard/auth/gate.py), so this module needs no database on the websocket path; it learns the
connection's session id from the ``new_session`` forward-message Streamlit sends at each run start.

Counters of what was refused are kept in `STATS` (for logs and tests); the first refusal of each
kind per connection is logged at WARNING.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, MutableMapping

from data_access.accounts import auth
from data_access.accounts.auth import AuthUser
from data_access.schema.accounts import ROLE_ADMIN, ROLE_REPORTER, ROLE_REVIEWER

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger(__name__)

REPORT_ROLES = (ROLE_REPORTER, ROLE_REVIEWER, ROLE_ADMIN)  # may upload a report file
CLEAR_CACHE_ROLES = (ROLE_ADMIN,)  # may empty everybody's caches
ANONYMOUS_ALLOWED = ("rerun_script", "stop_script", "app_heartbeat")  # what a login page sends

MODE_TTL = 15.0  # seconds the login mode (settings + dataset) is reused
USER_KEY = "auth_user"  # dashboard.auth.gate._USER
COOKIE_NAME = "kpi_session"  # dashboard.auth.routes.COOKIE_NAME

REFUSED_UPLOAD = {
    "error": "未登录或账号无权上传文件：上传仅限已登录的区县填报员、审核员或管理员。",
    "error_en": "Not signed in, or this account may not upload: uploads are for signed-in "
                "county reporters, reviewers and administrators.",
}

STATS: Counter[str] = Counter()


@dataclass(frozen=True)
class Limits:
    """Budgets of a connection without a login (token buckets: burst, then tokens per second).

    `frames` counts every back-message, dropped or not: over it the guard stops reading the
    connection for a while, so a looping client is slowed by TCP back-pressure instead of costing
    the event loop a parse per message. `runs` counts script runs (rerun_script, stop_script)."""

    frame_burst: float = 30
    frame_rate: float = 10.0
    shared_frame_burst: float = 100  # all anonymous connections together
    shared_frame_rate: float = 40.0
    run_burst: float = 8  # a page load and a few sign-in attempts at once
    run_rate: float = 0.5  # then one run every 2 s per connection
    shared_run_burst: float = 16
    shared_run_rate: float = 2.0
    heartbeat_burst: float = 10
    heartbeat_rate: float = 1.0
    max_delay: float = 30.0  # a run held back longer than this is dropped


class Bucket:
    """A token bucket on the monotonic clock (`clock` is replaceable for tests)."""

    def __init__(self, burst: float, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.burst, self.rate, self.clock = burst, rate, clock
        self.tokens, self.stamp = burst, clock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait_time(self) -> float:
        """Seconds until a token is there (0: now)."""
        self._refill()
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> bool:
        self._refill()
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class SharedBudget:
    """The buckets all connections without a login draw from."""

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self.frames = Bucket(limits.shared_frame_burst, limits.shared_frame_rate, clock)
        self.runs = Bucket(limits.shared_run_burst, limits.shared_run_rate, clock)


# --- settings, the login mode and who sent an HTTP request --------------------------------------


def base_path() -> str:
    from dashboard.auth import routes

    return routes.base_path()


_mode_cache: tuple[float, str] | None = None


def _compute_mode() -> tuple[str, bool]:
    """(mode, reliable). An unreadable database or setting gives the strict answer, not cached."""
    from dashboard.auth import routes, settings as auth_settings
    from data_access.errors import DataAccessError
    from data_access.kpis import queries

    try:
        dataset = queries.dataset_info(routes._engine()).get("dataset")
    except Exception:  # noqa: BLE001 - no schema yet (quick start before the first page load)
        return "builtin", False
    try:
        return auth_settings.mode(dataset), True
    except DataAccessError:  # a bad KPI_AUTH_MODE: the gate refuses everyone; so do we
        return "invalid", False


def current_mode() -> str:
    """builtin | proxy | oidc | none (| invalid), as the login gate decides it; cached MODE_TTL s."""
    global _mode_cache
    now = time.monotonic()
    if _mode_cache is not None and now - _mode_cache[0] < MODE_TTL:
        return _mode_cache[1]
    mode, reliable = _compute_mode()
    # An unsure answer (no schema yet, a bad setting) is the strict one, and asked again soon.
    _mode_cache = (now if reliable else now - MODE_TTL + 2.0, mode)
    return mode


def _proxy_user(headers: Any) -> AuthUser | None:
    from dashboard.auth import routes, settings as auth_settings

    key = auth_settings.proxy_user_key()
    if key is None:
        return None
    for header, user_key in auth_settings.trusted_user_headers().items():
        if user_key == key and headers.get(header):
            return auth.load_user(routes._engine(), str(headers.get(header)))
    return None


def _oidc_user(headers: Any, cookies: dict[str, str]) -> AuthUser | None:
    from dashboard.auth import routes, settings as auth_settings
    from streamlit.web.server.starlette.starlette_server_config import USER_COOKIE_NAME
    from streamlit.web.server.starlette.starlette_websocket import (
        _get_signed_cookie_with_chunks,
        _parse_decoded_user_cookie,
    )

    origin = headers.get("origin") or f"http://{headers.get('host', '')}"
    raw = _get_signed_cookie_with_chunks(cookies, USER_COOKIE_NAME)
    info = _parse_decoded_user_cookie(raw, origin) if raw else {}
    claim = auth_settings.oidc_user_claim() or "email"
    name = info.get(claim) if info.get("is_logged_in") else None
    return auth.load_user(routes._engine(), str(name)) if name else None


def request_user(mode: str, headers: Any, cookies: dict[str, str]) -> AuthUser | None:
    """The live login behind an HTTP request (blocking: database), or None."""
    from dashboard.auth import routes
    from data_access.errors import DataAccessError

    try:
        if mode == "none":
            return auth.ANONYMOUS
        if mode == "builtin":
            token = cookies.get(routes.COOKIE_NAME)
            found = auth.resume(routes._engine(), token) if token else None
            return found[0] if found else None
        if mode == "proxy":
            return _proxy_user(headers)
        if mode == "oidc":
            return _oidc_user(headers, cookies)
    except DataAccessError:  # unknown or disabled account
        return None
    return None


def may_report(user: AuthUser | None) -> bool:
    return user is not None and user.role in REPORT_ROLES and not user.must_change_password


# --- the websocket: who is on a connection, and what it may send --------------------------------


def _session_user(session_id: str | None) -> tuple[AuthUser | None, bool]:
    """(the gate's user in the Streamlit session, a script run is in progress)."""
    if not session_id:
        return None, False
    try:
        from streamlit.runtime import Runtime

        session = Runtime.instance().get_app_session(session_id) if Runtime.exists() else None
        if session is None:
            return None, False
        try:
            user = session.session_state[USER_KEY]
        except KeyError:
            user = None
        state = getattr(session, "_state", None)  # AppSessionState; no public accessor in 1.67
        running = getattr(state, "value", None) == "APP_IS_RUNNING"
    except Exception:  # noqa: BLE001 - a session being torn down: no login
        return None, False
    return (user if isinstance(user, AuthUser) else None), running


@dataclass
class Connection:
    """One websocket connection's view: its Streamlit session and its budgets."""

    limits: Limits
    shared: SharedBudget
    clock: Callable[[], float] = time.monotonic
    session_id: str | None = None
    role: str | None = None  # last role seen in the session (kept while a run pops it)
    logged: set[str] = field(default_factory=set)
    gone: bool = False  # a send to the client failed: it has disconnected
    frames: Bucket = field(init=False)
    runs: Bucket = field(init=False)
    heartbeats: Bucket = field(init=False)

    def __post_init__(self) -> None:
        lim = self.limits
        self.frames = Bucket(lim.frame_burst, lim.frame_rate, self.clock)
        self.runs = Bucket(lim.run_burst, lim.run_rate, self.clock)
        self.heartbeats = Bucket(lim.heartbeat_burst, lim.heartbeat_rate, self.clock)

    def current_role(self, mode: str) -> str | None:
        """The role signed in on this connection now; None for the login page."""
        if mode == "none":
            return ROLE_ADMIN  # everyone is the anonymous administrator
        if self.session_id is None:
            return self.role  # before the first run: the login the handshake carried, if any
        user, running = _session_user(self.session_id)
        if user is not None:
            self.role = None if user.must_change_password else user.role
        elif not running:
            self.role = None  # signed out, refused, or never signed in
        # else: the gate pops the user while a run checks it again; keep the last role meanwhile.
        return self.role

    def note(self, kind: str, text: str) -> None:
        STATS[kind] += 1
        if kind not in self.logged:
            self.logged.add(kind)
            log.warning("server_guard: %s", text)


def back_msg_type(data: bytes) -> str | None:
    """The type of a back-message, parsed as Streamlit parses it; None if it does not parse."""
    from streamlit.proto.BackMsg_pb2 import BackMsg

    msg = BackMsg()
    try:
        msg.ParseFromString(data)
    except Exception:  # noqa: BLE001 - Streamlit closes the connection on it
        return None
    return msg.WhichOneof("type")


def judge(conn: Connection, msg_type: str | None, mode: str) -> tuple[str, float]:
    """("pass" | "drop", 0) or ("wait", seconds) for one back-message on `conn`. After a wait the
    caller asks again about the same message (tokens are taken only when it passes or drops)."""
    if msg_type is None:
        return "pass", 0.0  # not a BackMsg: Streamlit closes the connection itself
    role = conn.current_role(mode)
    if role is None:
        wait = max(conn.frames.wait_time(), conn.shared.frames.wait_time())
        if wait > 0:
            conn.note("frames_slowed", "back-messages over budget: reading paused (no login)")
            return "wait", wait
    if msg_type == "clear_cache" and role not in CLEAR_CACHE_ROLES:
        verdict = "drop"
        conn.note("clear_cache_dropped", f"clear_cache dropped (role {role or 'anonymous'}; 管理员 only)")
    elif role is not None:
        return "pass", 0.0
    elif msg_type not in ANONYMOUS_ALLOWED:
        verdict = "drop"
        conn.note(f"{msg_type}_dropped", f"{msg_type} dropped from a connection without login")
    elif msg_type == "app_heartbeat":
        verdict = "pass" if conn.heartbeats.take() else "drop"
    else:
        wait = max(conn.runs.wait_time(), conn.shared.runs.wait_time())
        if wait > 0:
            conn.note("run_delayed", f"{msg_type} over budget delayed (no login)")
            return "wait", wait
        conn.runs.take()
        conn.shared.runs.take()
        verdict = "pass"
    if role is None:
        conn.frames.take()
        conn.shared.frames.take()
    return verdict, 0.0


def _session_id_of(data: bytes) -> str | None:
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    msg = ForwardMsg()
    try:
        msg.ParseFromString(data)
    except Exception:  # noqa: BLE001
        return None
    if msg.WhichOneof("type") == "new_session":
        return msg.new_session.initialize.session_id or None
    return None


# --- the middleware -----------------------------------------------------------------------------


def _normalise(path: str) -> str:
    while "//" in path:
        path = path.replace("//", "/")
    return path


class ServerGuard:
    """Pure ASGI middleware (works for http and websocket scopes; never buffers a body)."""

    def __init__(self, app: ASGIApp, limits: Limits | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.limits = limits or Limits()
        self.clock = clock
        self.shared = SharedBudget(self.limits, clock)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope.get("type")
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        base = base_path()
        path = _normalise(scope.get("path") or "/")
        core = f"{base}/_stcore/"
        if kind == "http" and path.rstrip("/") == f"{core}metrics":
            STATS["metrics_refused"] += 1
            await _respond(send, 404, b"Not Found", "text/plain; charset=utf-8")
            return
        if kind == "http" and path.startswith(f"{core}upload_file") and scope.get("method") != "OPTIONS":
            if not await self._may_upload(scope):
                STATS["upload_refused"] += 1
                body = json.dumps(REFUSED_UPLOAD, ensure_ascii=False).encode("utf-8")
                await _respond(send, 403, body, "application/json; charset=utf-8")
                return
        if kind == "websocket" and path == f"{core}stream":
            await self._websocket(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _may_upload(self, scope: Scope) -> bool:
        from starlette.concurrency import run_in_threadpool
        from starlette.requests import HTTPConnection

        conn = HTTPConnection(scope)
        mode = await run_in_threadpool(current_mode)
        if mode == "none":
            return True
        user = await run_in_threadpool(request_user, mode, conn.headers, dict(conn.cookies))
        return may_report(user)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        from starlette.concurrency import run_in_threadpool

        from starlette.requests import HTTPConnection

        conn = Connection(self.limits, self.shared, self.clock)
        # A page load of a signed-in user: the cookie (or proxy header) of the handshake already
        # says who it is, so its first runs do not draw on the anonymous budget. (One database
        # look-up per connection that carries a login cookie; none for one without.)
        handshake = HTTPConnection(scope)
        mode = await run_in_threadpool(current_mode)
        if mode == "none" or (mode == "builtin" and not handshake.cookies.get(COOKIE_NAME)):
            pass
        else:
            user = await run_in_threadpool(request_user, mode, handshake.headers, dict(handshake.cookies))
            conn.role = None if user is None or user.must_change_password else user.role

        async def guarded_send(message: Message) -> None:
            if message.get("type") != "websocket.send":
                await send(message)
                return
            if conn.session_id is None and message.get("bytes"):
                conn.session_id = _session_id_of(message["bytes"])
            try:
                await send(message)
            except OSError:
                # The client is gone. Told so here, Starlette marks the socket closed and the
                # receive loop (which a budget may hold back) then takes the next receive for a
                # text frame and logs a traceback; answered with a disconnect instead, it ends cleanly.
                conn.gone = True

        async def guarded_receive() -> Message:
            while True:
                if conn.gone:
                    return {"type": "websocket.disconnect", "code": 1006}
                message = await receive()
                data = message.get("bytes") if message.get("type") == "websocket.receive" else None
                if data is None:
                    return message
                msg_type = back_msg_type(data)
                waited = 0.0
                while True:
                    fresh = _mode_cache is not None and time.monotonic() - _mode_cache[0] < MODE_TTL
                    mode = current_mode() if fresh else await run_in_threadpool(current_mode)
                    verdict, wait = judge(conn, msg_type, mode)
                    if verdict != "wait":
                        break
                    if waited > self.limits.max_delay:
                        verdict = "drop"
                        conn.note("run_dropped", "run dropped: over budget for too long (no login)")
                        break
                    await asyncio.sleep(wait)
                    waited += wait
                    if conn.gone:
                        return {"type": "websocket.disconnect", "code": 1006}
                if verdict == "pass":
                    return message
                # "drop": read the next message

        await self.app(scope, guarded_receive, guarded_send)


async def _respond(send: Send, status: int, body: bytes, content_type: str) -> None:
    """A complete response that closes the connection (an unread upload body is not drained)."""
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode()),
                            (b"cache-control", b"no-store"), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def middleware() -> list[Any]:
    """For st.App(middleware=...): the guard, outermost (it runs before Streamlit's own)."""
    from starlette.middleware import Middleware

    return [Middleware(ServerGuard)]
