"""Helpers for driving the dashboard in Debian's headless Chromium; no pytest here, so
tests/browser/timing.py and benchmarks can use them too.

`start_server` runs `streamlit run dashboard/app.py` on a free local port in its own process
group; `launch_chromium` uses /usr/bin/chromium (never `playwright install`); `guard_context`
aborts and records every request that would leave the machine; `wait_ready` waits for a script
run to finish.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
READY = "[data-testid='stApp'][data-test-script-state='notRunning']"
VIEWPORT = {"width": 1920, "height": 1080}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.read().decode().strip() == "ok":
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"streamlit not healthy after {timeout}s:\n{log.read_text(errors='replace')}")


def start_server(db_url: str, log: Path, timeout: float = 60) -> tuple[subprocess.Popen, str]:
    """Start the dashboard against `db_url` on a free port; returns (process, base URL)."""
    port = _free_port()
    env = {**os.environ, "KPI_DATABASE_URL": db_url, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "streamlit", "run", "dashboard/app.py",
           "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)  # own process group: stop it whole
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc, log, timeout)
    except BaseException:
        stop_server(proc)
        raise
    return proc, url


def stop_server(proc: subprocess.Popen) -> None:
    """Terminate the server's process group (SIGTERM, then SIGKILL after 10 s)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    except ProcessLookupError:
        pass


def launch_chromium(playwright):
    """Debian's chromium, headless. Raises FileNotFoundError when it is not installed."""
    if not Path(CHROMIUM).exists():
        raise FileNotFoundError(f"{CHROMIUM} is missing (apt-get install chromium)")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or parts.hostname in LOCAL_HOSTS


def guard_context(context, record: list[str]) -> None:
    """Abort and record (in `record`) every request of `context` that is not for this machine."""
    def route(r):
        if is_local(r.request.url):
            r.continue_()
        else:
            record.append(r.request.url)
            r.abort()

    context.route("**/*", route)


def new_context(browser, record: list[str]):
    """A 1920x1080 zh-CN context (Beijing time) with downloads allowed and outside requests blocked."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  accept_downloads=True)
    guard_context(context, record)
    return context


# Once an element is in the main area, a script run has drawn the page. (Right after opening a
# link the app reports "not running" before its first run has even started; on a fresh, slow
# server the settle below was not always long enough to cover that.)
DRAWN = "[data-testid='stMainBlockContainer'] [data-testid='stElementContainer']"


def wait_ready(page, settle_ms: int = 300, timeout: float = 30_000) -> None:
    """Wait until a script run has drawn the page and finished, then let the frontend settle a
    moment. After the settle it waits once more, because a widget callback or a URL sync may have
    started another run in between.
    """
    page.wait_for_selector(DRAWN, state="attached", timeout=timeout)
    page.wait_for_selector(READY, timeout=timeout)
    page.wait_for_timeout(settle_ms)
    page.wait_for_selector(READY, timeout=timeout)
