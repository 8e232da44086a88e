"""Two dashboard processes behind nginx on one PostgreSQL database (issue 14 item 5), as
docs/deploy.md "6a" runs them: `streamlit run dashboard/auth_server.py` twice, Debian's nginx with
exactly deploy/nginx-kpi-dashboard-two-processes.conf (only ports and paths replaced), sticky by
ip_hash. Both processes draw the overview (caches warm), a reviewer approves an upload through the
data layer, and the very next rerun of each session -- the one behind nginx and one on the other
process -- shows the new figure. No cache is cleared and no TTL is waited for."""
from __future__ import annotations

import re
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from data_access.kpis import tables
from data_access.reporting import commit as committing
from data_access.reporting import review as reviewing
from data_access.sample_loader import load_sample
from data_access.schema import migrate
from tests.browser.support import ROOT, guard_context, stop_server, wait_ready
from tests.conftest import PG_URL, _drop_pg, _fresh_pg_engine, skip_or_fail
from tests.deploy_support import free_port, nginx_main_conf, start_entrypoint
from tests.helpers import NOW, prow, xlsx
from tests.people import reviewer

pytestmark = pytest.mark.browser

SITE = ROOT / "deploy" / "nginx-kpi-dashboard-two-processes.conf"
NGINX = "/usr/sbin/nginx"
XINHUA = "410402"
LINK = "/?as_of=2023-06-30"
MAIN = "[data-testid='stMain']"


def _site(tmp_path: Path, https: int, http: int, a: str, b: str) -> Path:
    """The documented file, with its two upstream ports, listen ports, certificate and log paths
    pointed here; wrapped in a minimal nginx.conf."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-keyout", str(tmp_path / "kpi.key"), "-out", str(tmp_path / "kpi.crt"),
                    "-subj", "/CN=kpi.intranet.example"], check=True, capture_output=True, timeout=60)
    site = SITE.read_text(encoding="utf-8")
    for old, new in (("/etc/kpi-dashboard/tls/", f"{tmp_path}/"), ("/var/log/nginx/", f"{tmp_path}/"),
                     ("listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;"),
                     ("listen 80;", f"listen 127.0.0.1:{http};"),
                     ("server 127.0.0.1:8501;", f"server {a};"), ("server 127.0.0.1:8502;", f"server {b};")):
        assert old in site, old
        site = site.replace(old, new)
    return nginx_main_conf(tmp_path, site, connections=256)


def _t01(page) -> str | None:
    found = re.search(r"(\d[\d,]*) / 1,000场次", page.locator(MAIN).text_content() or "")
    return found.group(1) if found else None


def _wait_t01(page, want: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while _t01(page) != want and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    assert _t01(page) == want


def _rerun(page) -> None:
    """Rerun the session's script (Streamlit's keyboard shortcut R), as a widget change would."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press("r")
    page.wait_for_timeout(300)
    wait_ready(page)


def test_an_approval_shows_on_both_processes_on_the_next_rerun(browser, tmp_path):
    if not Path(NGINX).exists():
        skip_or_fail("nginx not available (apt-get install nginx)")
    eng, admin, schema = _fresh_pg_engine()
    procs: list[subprocess.Popen] = []
    nginx = None
    try:
        migrate.upgrade(eng)
        load_sample(eng)
        url = f"{PG_URL}?options={quote(f'-csearch_path={schema}')}"
        env = {"KPI_AUTH_MODE": "none"}
        for name in ("a", "b"):
            proc, base = start_entrypoint("python3", ROOT, url, tmp_path / f"{name}.log", env=env)
            procs.append(proc)
            procs[-1].base = base  # type: ignore[attr-defined]
        a, b = (p.base.removeprefix("http://") for p in procs)  # type: ignore[attr-defined]
        https, http = free_port(), free_port()
        conf = _site(tmp_path, https, http, a, b)
        nginx = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(tmp_path)], stderr=subprocess.PIPE,
                                 start_new_session=True)
        context = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="zh-CN",
                                      timezone_id="Asia/Shanghai", ignore_https_errors=True)
        outside: list[str] = []
        guard_context(context, outside)
        front = context.new_page()
        front.set_default_timeout(60_000)
        for _ in range(50):  # nginx takes a moment to listen
            try:
                front.goto(f"https://127.0.0.1:{https}{LINK}")
                break
            except Exception:  # noqa: BLE001 - connection refused while nginx starts
                time.sleep(0.2)
        wait_ready(front)
        _wait_t01(front, "529")
        # Which process nginx chose for this browser (sticky), from the access log's upstream= field.
        log = (tmp_path / "kpi-dashboard.access.log").read_text()
        chosen = set(re.findall(r"upstream=(\S+)", log))  # (the open WebSocket is logged when it ends)
        assert len(chosen) == 1 and chosen <= {a, b}, log[-2000:]
        (served,) = chosen
        other = b if served == a else a
        # A second tab through nginx lands on the same process (ip_hash).
        again = context.new_page()
        again.goto(f"https://127.0.0.1:{https}{LINK}")
        wait_ready(again)
        log = (tmp_path / "kpi-dashboard.access.log").read_text()
        assert set(re.findall(r"upstream=(\S+)", log)) == {served}
        again.close()
        # The other process, with its own warm cache.
        direct = context.new_page()
        direct.set_default_timeout(60_000)
        direct.goto(f"http://{other}{LINK}")
        wait_ready(direct)
        _wait_t01(direct, "529")

        done = committing.commit(eng, xlsx([prow(unit=XINHUA, value=7)]), "x.xlsx", actor="新华填报员",
                                 allowed_units=(XINHUA,), now=NOW)
        assert reviewing.review(eng, done.batch_id, "approve", reviewer=reviewer(), now=NOW) == "approved"
        actual = tables.target_overview(eng, 2023, NOW.date()).set_index("target_code").loc["T01", "actual"]
        assert actual == 536  # the sample's 新华区 week of 24-30 June held 0: 529 + 7
        for page in (front, direct):  # the very next rerun of each session: 529 + 7
            _rerun(page)
            _wait_t01(page, "536", timeout=15)
        assert outside == []
        context.close()
    finally:
        if nginx is not None:
            nginx.send_signal(signal.SIGQUIT)
            try:
                nginx.wait(timeout=10)
            except subprocess.TimeoutExpired:
                nginx.kill()
        for proc in procs:
            stop_server(proc)
        _drop_pg(eng, admin, schema)
