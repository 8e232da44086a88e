"""Helpers of the deployment tests (issue #16): start the production entrypoint from any Python
(the checkout's or a bundle's virtual environment), fetch a URL, find a free port."""
from __future__ import annotations

import os
import ssl
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

from tests.browser.support import ROOT, _free_port, _wait_healthy, stop_server

__all__ = ["ROOT", "free_port", "get", "start_entrypoint", "stop_server"]


def free_port() -> int:
    return _free_port()


def start_entrypoint(python: str, app_dir: Path, db_url: str, log: Path, entry: str = "dashboard/auth_server.py",
                     env: dict[str, str] | None = None, timeout: float = 90) -> tuple[subprocess.Popen, str]:
    """`python -m streamlit run ENTRY` in `app_dir` on a free port; (process, base URL) once
    /_stcore/health answers."""
    port = free_port()
    full = {**os.environ, **(env or {}), "KPI_DATABASE_URL": db_url, "PYTHONUNBUFFERED": "1"}
    cmd = [python, "-m", "streamlit", "run", entry, "--server.headless", "true", "--server.port", str(port),
           "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none"]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=app_dir, env=full, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc, log, timeout)
    except BaseException:
        stop_server(proc)
        raise
    return proc, url


def get(url: str, timeout: float = 15, context: ssl.SSLContext | None = None) -> tuple[int, str]:
    """(status, body) of a GET, also for 4xx/5xx answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def nginx_main_conf(tmp_path: Path, site: str, connections: int = 256) -> Path:
    """`site` (a server block of deploy/, already pointed at test ports) written beside a minimal
    nginx.conf that keeps every path under `tmp_path` (pid, logs, temp files) and runs in the
    foreground; returns the nginx.conf to pass to `nginx -c`."""
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    temp = " ".join(f"{k}_temp_path {tmp_path}/{k};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    conf = tmp_path / "nginx.conf"
    conf.write_text(f"""pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
daemon off;
worker_processes 1;
events {{ worker_connections {connections}; }}
http {{
  access_log {tmp_path}/access.log;
  {temp}
  include {tmp_path}/site.conf;
}}
""", encoding="utf-8")
    return conf
