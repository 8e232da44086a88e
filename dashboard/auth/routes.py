"""HTTP routes that let a built-in login survive a page refresh.

Python code in a Streamlit script cannot set cookies (st.context.cookies is read-only), so the
st.App launcher (dashboard/auth_server.py) mounts two small routes next to Streamlit:

- POST {base}/_kpi/auth/session: the browser sends the one-time hand-over code the login produced
  (in the request body, never the URL); the answer sets an HttpOnly, SameSite=Strict cookie with a
  fresh random token, of which the database keeps only the SHA-256.
- POST {base}/_kpi/auth/logout: expires that cookie (the login itself is ended by the app).

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

COOKIE_NAME = "kpi_session"
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


@lru_cache(maxsize=1)
def _engine() -> Any:
    from data_access.db import make_engine

    from data_access import settings

    return make_engine(settings.database_url())


def exchange(engine: Any, body: str, now: dt.datetime | None = None) -> tuple[str, int] | None:
    """(cookie token, max-age seconds) for a valid hand-over code, else None. Pure of HTTP."""
    result = auth.redeem_handoff(engine, body.strip(), now=now)
    if result is None:
        return None
    token, expires_at = result
    max_age = int((expires_at - (now or clock.now())).total_seconds())
    return (token, max_age) if max_age > 0 else None


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
    resp = Response(status_code=204, headers={"Cache-Control": "no-store"})
    resp.set_cookie(COOKIE_NAME, token, max_age=max_age, path=base_path() or "/", httponly=True,
                    samesite="strict", secure=cookie_secure(request.url.scheme, request.headers))
    return resp


async def _logout(request: Any) -> Any:
    from starlette.responses import Response

    if not same_origin(request.headers):
        return Response(status_code=403)
    resp = Response(status_code=204, headers={"Cache-Control": "no-store"})
    resp.delete_cookie(COOKIE_NAME, path=base_path() or "/", httponly=True, samesite="strict",
                       secure=cookie_secure(request.url.scheme, request.headers))
    return resp


def routes() -> list[Any]:
    from starlette.routing import Route

    return [Route(session_path(), _session, methods=["POST"]),
            Route(logout_path(), _logout, methods=["POST"])]


def enabled() -> bool:
    """True when the cookie routes are served (the app was started through auth_server.py)."""
    return MOUNTED
