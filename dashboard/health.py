"""GET/HEAD {base}/healthz: 200 only when the process is up AND the database answers.

Mounted by the production entrypoint (dashboard/auth_server.py) next to Streamlit's own
/_stcore/health (which only says the process is alive). Here the database is asked too: ``SELECT 1``
and the schema check (`data_access.schema.migrate.check_schema`), within HEALTH_TIMEOUT seconds.
The answer is one line of JSON, for a monitor or the load balancer:

    200 {"status":"ok","database":"ok","schema":"current","ms":3}
    503 {"status":"fail","database":"unreachable","schema":"unknown","ms":5003}
    503 {"status":"fail","database":"ok","schema":"outdated","ms":4}

No URL, host name or error text is in the body (anyone who reaches the port may read it); a
failure is also logged as one `health_failure` event line.
"""
from __future__ import annotations

import asyncio
import json
import time
from functools import lru_cache
from typing import Any

HEALTH_TIMEOUT = 5.0


@lru_cache(maxsize=1)
def _engine() -> Any:
    from data_access.db import make_engine

    from data_access.settings import database_url as db_url

    return make_engine(db_url())


def check(engine: Any) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body) of one health check of `engine`; blocking, pure of HTTP."""
    from data_access.db import check_reachable
    from data_access.errors import SchemaTooNewError
    from data_access.schema import migrate

    try:
        check_reachable(engine)
    except Exception:  # noqa: BLE001 - any failure to answer SELECT 1 is "unreachable"
        return 503, {"status": "fail", "database": "unreachable", "schema": "unknown"}
    try:
        state = migrate.check_schema(engine)
    except SchemaTooNewError:
        state = "too_new"
    except Exception:  # noqa: BLE001 - a broken alembic_version table and the like
        return 503, {"status": "fail", "database": "error", "schema": "unknown"}
    if state != "current":
        return 503, {"status": "fail", "database": "ok", "schema": state}
    return 200, {"status": "ok", "database": "ok", "schema": "current"}


async def answer(engine: Any, timeout: float = HEALTH_TIMEOUT) -> tuple[int, str]:
    """(status, one-line JSON body), at most `timeout` seconds (a hung database is a failure)."""
    started = time.monotonic()
    try:
        status, body = await asyncio.wait_for(asyncio.to_thread(check, engine), timeout)
    except asyncio.TimeoutError:
        status, body = 503, {"status": "fail", "database": "timeout", "schema": "unknown"}
    body["ms"] = round((time.monotonic() - started) * 1000)
    if status != 200:
        from data_access import events

        events.log("health_failure", reason=f"{body['database']}_{body['schema']}")
    return status, json.dumps(body, separators=(",", ":"))


async def _healthz(request: Any) -> Any:
    from starlette.responses import Response

    status, body = await answer(_engine())
    return Response(body + "\n", status_code=status, media_type="application/json",
                    headers={"Cache-Control": "no-store"})


def path() -> str:
    from dashboard.auth.routes import base_path

    return f"{base_path()}/healthz"


def routes() -> list[Any]:
    from starlette.routing import Route

    return [Route(path(), _healthz, methods=["GET", "HEAD"])]
