"""HTTP routes that let a built-in login survive a page refresh.

Python code in a Streamlit script cannot set cookies (st.context.cookies is read-only), so the
st.App launcher (dashboard/auth_server.py) mounts two small routes next to Streamlit:

- POST {base}/_kpi/auth/session: the browser sends the one-time hand-over code the login produced
  (in the request body, never the URL; `handoff_body`); the answer sets an HttpOnly, SameSite=Strict
  cookie with a fresh random token, of which the database keeps only the SHA-256.
- POST {base}/_kpi/auth/logout: expires that cookie (the login itself is ended by the app).

The cookie (`cookie_name`): over TLS (`cookie_secure`) it is `__Host-kpi_session` (Secure, Path=/,
no Domain: no other host or plain-http page can set or overwrite it), else `kpi_session`. It ends
with the browser (no Max-Age: a shared office PC forgets it when closed) unless the user ticked
保持登录 / "Stay signed in" on the login form; then it lasts as long as the login (KPI_SESSION_HOURS).

On the next page load the new Streamlit session reads the cookie through st.context.cookies and
`data_access.auth.resume` finds the login. Both routes refuse cross-site requests.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any, Mapping
from urllib.parse import urlparse

from data_access import clock
from data_access.accounts import sessions as auth

COOKIE_NAME = "kpi_session"  # over plain http
HOST_COOKIE_NAME = "__Host-kpi_session"  # over TLS: Secure, Path=/, no Domain
REMEMBER = "remember"  # the word after the hand-over code in the body: keep the cookie (Max-Age)
MOUNTED = False  # set by dashboard/auth_server.py when the routes are really served


def base_path() -> str:
    """'' or '/prefix' from server.baseUrlPath (user routes are not prefixed by Streamlit)."""
    import streamlit as st

    base = (st.config.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}" if base else ""


def session_path() -> str:
    return f"{base_path()}/_kpi/auth/session"


def logout_path() -> str:
    return f"{base_path()}/_kpi/auth/logout"


def same_origin(headers: Mapping[str, str]) -> bool:
    """True only for a same-origin request (Fetch Metadata, else Origin against Host)."""
    site = headers.get("sec-fetch-site")
    if site is not None:
        return site == "same-origin"
    origin = headers.get("origin")
    if not origin:
        return False
    return urlparse(origin).netloc.lower() == (headers.get("host") or "").lower()


def cookie_secure(scheme: str, headers: Mapping[str, str]) -> bool:
    from data_access import settings

    configured = settings.get().cookie_secure
    if configured == "true":
        return True
    if configured == "false":
        return False
    return scheme == "https" or headers.get("x-forwarded-proto", "").lower() == "https"


def cookie_name(secure: bool) -> str:
    """`__Host-kpi_session` when served over TLS, else `kpi_session`."""
    return HOST_COOKIE_NAME if secure else COOKIE_NAME


def cookie_path(secure: bool) -> str:
    """A `__Host-` cookie must have Path=/; the plain one is kept to the app's base path."""
    return "/" if secure else (base_path() or "/")


def request_token(cookies: Mapping[str, str], secure: bool) -> str | None:
    """The login token a request carries: the `__Host-` cookie; the plain one only where the app is
    not served over TLS (there a plain cookie could have been planted by another host or by plain
    http, so it is not trusted)."""
    token = cookies.get(HOST_COOKIE_NAME)
    if not token and not secure:
        token = cookies.get(COOKIE_NAME)
    return token if isinstance(token, str) and token else None


def context_token() -> str | None:
    """The login token of this Streamlit session's connection (st.context, read-only)."""
    import streamlit as st

    try:
        url = str(st.context.url or "")
    except Exception:  # noqa: BLE001 - no browser context: decided by the headers alone
        url = ""
    scheme = "https" if url.lower().startswith("https:") else "http"
    return request_token(st.context.cookies, cookie_secure(scheme, st.context.headers))


def handoff_body(code: str, remember: bool) -> str:
    """What the page posts to the session route: the one-time code, and whether to stay signed in."""
    return f"{code} {REMEMBER}" if remember else code


@lru_cache(maxsize=1)
def _engine() -> Any:
    from data_access.db import make_engine

    from data_access import settings

    return make_engine(settings.database_url())


def exchange(engine: Any, body: str, now: dt.datetime | None = None) -> tuple[str, int | None] | None:
    """(cookie token, Max-Age seconds) for a valid hand-over code, else None. Max-Age is None (a
    cookie that ends with the browser) unless the body asks to stay signed in. Pure of HTTP."""
    code, *flags = body.split() or [""]
    result = auth.redeem_handoff(engine, code, now=now)
    if result is None:
        return None
    token, expires_at = result
    max_age = int((expires_at - (now or clock.now())).total_seconds())
    if max_age <= 0:
        return None
    return token, (max_age if REMEMBER in flags else None)


async def _session(request: Any) -> Any:
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import Response

    if not same_origin(request.headers):
        return Response(status_code=403)
    body = (await request.body())[:200].decode("ascii", "replace")
    result = await run_in_threadpool(exchange, _engine(), body)
    if result is None:
        return Response(status_code=403, headers={"Cache-Control": "no-store"})
    token, max_age = result
    secure = cookie_secure(request.url.scheme, request.headers)
    resp = Response(status_code=204, headers={"Cache-Control": "no-store"})
    resp.set_cookie(cookie_name(secure), token, max_age=max_age, path=cookie_path(secure), httponly=True,
                    samesite="strict", secure=secure)
    return resp


async def _logout(request: Any) -> Any:
    from starlette.responses import Response

    if not same_origin(request.headers):
        return Response(status_code=403)
    secure = cookie_secure(request.url.scheme, request.headers)
    resp = Response(status_code=204, headers={"Cache-Control": "no-store"})
    # The plain cookie always (also one left from before TLS); the __Host- one where it can exist.
    resp.delete_cookie(COOKIE_NAME, path=base_path() or "/", httponly=True, samesite="strict", secure=secure)
    if secure:
        resp.delete_cookie(HOST_COOKIE_NAME, path="/", httponly=True, samesite="strict", secure=True)
    return resp


def routes() -> list[Any]:
    from starlette.routing import Route

    return [Route(session_path(), _session, methods=["POST"]),
            Route(logout_path(), _logout, methods=["POST"])]


def enabled() -> bool:
    """True when the cookie routes are served (the app was started through auth_server.py)."""
    return MOUNTED
