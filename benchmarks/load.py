"""Load: N sessions at once (N = 10, 25, 50) against the dashboard on one process and on two behind
nginx, next to a plain Streamlit page of the same content (the floor), measured in the same run.

    python -m benchmarks.load                       # sessions 10,25,50; about 2-4 min on 2 shared cores
    python -m benchmarks.load --sessions 10,25 --setups app1,floor1

Each session is a client of Streamlit's own websocket protocol (`websockets` + streamlit.proto
BackMsg/ForwardMsg: connect to /_stcore/stream with the "streamlit" subprotocol, send a
rerun_script, read ForwardMsgs until script_finished), so no browser competes for the two cores.
All N sessions open the overview link at once (`as_of=2023-06-30`, the city), then all change the
county at once (`county=410423`, the URL form the county widget writes). Printed per setup and N:
p50/p95 of the time from sending the rerun to its script_finished, for the open and the change;
the server's CPU (seconds, and cores used over the round) and its memory growth per session
(RSS, /proc). Every server gets one warm-up session first: figures are cached by the data's version
(dashboard/data.py), so warm is how a deployment runs between changes.

Two behind nginx: deploy/nginx-kpi-dashboard-two-processes.conf with ports and paths replaced, and
its `ip_hash;` replaced by the cookie hash the file documents (`hash $cookie_kpi_sticky consistent;`):
every client here is 127.0.0.1, which ip_hash would send to one process. Each session sends its own
kpi_sticky cookie. Only 127.0.0.1; bounded: every wait has a timeout.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "deploy" / "nginx-kpi-dashboard-two-processes.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
OPEN_QS = "as_of=2023-06-30"
CHANGE_QS = "as_of=2023-06-30&county=410423"
TIMEOUT = 120.0  # seconds for one round of N sessions
TICK = os.sysconf("SC_CLK_TCK")
# T01's "done / target" on the bullet chart (its JSON writes / as \u002f): the overview was drawn
DRAWN = re.compile(rb"\d (/|\\u002f) [\d,.]+\xe5\x9c\xba\xe6\xac\xa1")
drawn: list[str] = []  # the query strings of the reruns whose messages held it


# --- the websocket client ---------------------------------------------------------------------


async def _rerun(ws, query_string: str) -> float:
    """Send a rerun with `query_string`; seconds until the run's script_finished (successfully)."""
    msg = BackMsg()
    msg.rerun_script.query_string = query_string
    msg.rerun_script.page_script_hash = ""
    started = time.perf_counter()
    await ws.send(msg.SerializeToString())
    while True:
        raw = await ws.recv()
        if DRAWN.search(raw):
            drawn.append(query_string)
        fwd = ForwardMsg()
        fwd.ParseFromString(raw)
        if fwd.WhichOneof("type") == "script_finished":
            if fwd.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
                return time.perf_counter() - started
            if fwd.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                raise RuntimeError(f"script finished with status {fwd.script_finished}")


@dataclass
class Round:
    opened: list[float]
    changed: list[float]
    cpu_s: float
    wall_s: float
    rss_growth_mb: float


async def _session(url: str, i: int, gate_open: asyncio.Event, opened: list[float], changed: list[float],
                   all_open: asyncio.Barrier, all_changed: asyncio.Barrier, ctx: ssl.SSLContext | None,
                   open_qs: str, change_qs: str) -> None:
    headers = {"Cookie": f"kpi_sticky=s{i}"}
    async with websockets.connect(f"{url}/_stcore/stream", subprotocols=["streamlit"], ssl=ctx,
                                  additional_headers=headers, max_size=None, open_timeout=60) as ws:
        await gate_open.wait()
        opened.append(await _rerun(ws, open_qs))
        await all_open.wait()  # every session has its page before any changes the county
        changed.append(await _rerun(ws, change_qs))
        await all_changed.wait()  # keep the session (and its memory) until all are measured


def _cpu(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICK


def _rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


async def _round(url: str, n: int, pids: list[int], ctx: ssl.SSLContext | None,
                 open_qs: str = OPEN_QS, change_qs: str = CHANGE_QS) -> Round:
    opened: list[float] = []
    changed: list[float] = []
    gate = asyncio.Event()
    all_open, all_changed = asyncio.Barrier(n), asyncio.Barrier(n + 1)
    tasks = [asyncio.create_task(_session(url, i, gate, opened, changed, all_open, all_changed, ctx,
                                          open_qs, change_qs)) for i in range(n)]
    await asyncio.sleep(1.0)  # the connections are made before the clock starts
    rss0, cpu0, t0 = _rss_mb(pids), _cpu(pids), time.perf_counter()
    gate.set()
    try:
        await asyncio.wait_for(_until(lambda: len(changed) == n, tasks), TIMEOUT)
        cpu1, t1, rss1 = _cpu(pids), time.perf_counter(), _rss_mb(pids)
        await all_changed.wait()
        await asyncio.wait_for(asyncio.gather(*tasks), 30)
    finally:
        for t in tasks:
            t.cancel()
    return Round(opened, changed, cpu1 - cpu0, t1 - t0, (rss1 - rss0) / n)


async def _until(done, tasks) -> None:
    while not done():
        failed = [t for t in tasks if t.done() and t.exception()]
        if failed:
            raise failed[0].exception()  # type: ignore[misc]
        await asyncio.sleep(0.05)


# --- servers ----------------------------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(script: str, env: dict[str, str], log: Path) -> tuple[subprocess.Popen, str]:
    from tests.browser.support import _wait_healthy

    port = _free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none"]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env, "PYTHONUNBUFFERED": "1"}, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    _wait_healthy(url, proc, log, 90)
    return proc, url


def _stop(proc: subprocess.Popen) -> None:
    from tests.browser.support import stop_server

    stop_server(proc)


def _nginx(tmp: Path, upstreams: list[str]) -> tuple[subprocess.Popen, int]:
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-keyout",
                    str(tmp / "kpi.key"), "-out", str(tmp / "kpi.crt"), "-subj", "/CN=kpi.intranet.example"],
                   check=True, capture_output=True, timeout=60)
    https, http = _free_port(), _free_port()
    site = SITE.read_text(encoding="utf-8")
    for old, new in (("/etc/kpi-dashboard/tls/", f"{tmp}/"), ("/var/log/nginx/", f"{tmp}/"),
                     ("listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl;"),
                     ("listen 80;", f"listen 127.0.0.1:{http};"),
                     ("server 127.0.0.1:8501;", f"server {upstreams[0]};"),
                     ("server 127.0.0.1:8502;", f"server {upstreams[1]};"),
                     ("ip_hash;", "hash $cookie_kpi_sticky consistent;")):
        assert old in site, old
        site = site.replace(old, new)
    (tmp / "site.conf").write_text(site, encoding="utf-8")
    temp = " ".join(f"{k}_temp_path {tmp}/{k};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    conf = tmp / "nginx.conf"
    conf.write_text(f"pid {tmp}/nginx.pid;\nerror_log {tmp}/error.log;\ndaemon off;\nworker_processes 1;\n"
                    f"events {{ worker_connections 1024; }}\nhttp {{\n access_log off;\n {temp}\n"
                    f" include {tmp}/site.conf;\n}}\n", encoding="utf-8")
    proc = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(tmp)], stderr=subprocess.DEVNULL,
                            start_new_session=True)
    time.sleep(1.0)
    return proc, https


# --- content of the floor ---------------------------------------------------------------------


def _floor_content(db_url: str, path: Path) -> None:
    """The overview's tiles, chart JSON and attention lines for the two views, made with the real
    data layer and the dashboard's pure views and chart builder."""
    import datetime as dt

    from dashboard.charts import progress
    from dashboard.views import overview as ov_view
    from data_access.db import make_engine
    from data_access.kpis import queries, tables

    eng = make_engine(db_url)
    day = dt.date(2023, 6, 30)
    out = {}
    for key, units in (("city", None), ("410423", ("410423",))):
        ov = tables.target_overview(eng, 2023, day, units)
        ms = queries.milestones(eng, 2023)
        rows = ov_view.bullet_table(ov, "zh", queries.projects(eng, 2023))
        fig = progress.bullet_rows(rows, ov_view.text_column_titles("zh"), target_label="目标",
                                   **ov_view.BULLET_LAYOUT["zh"])
        out[key] = {"tiles": [ov_view.tile_html(label, value, colour)
                              for label, value, colour in ov_view.tiles(ov, ms, day, "zh")],
                    "figure": fig.to_json(), "lines": ov_view.behind_targets(ov, "zh")}
    eng.dispose()
    path.write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")


# --- the run ----------------------------------------------------------------------------------


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def _measure(setup: str, url: str, pids: list[int], ns: list[int], ctx, results: dict) -> None:
    change = "county=410423" if setup.startswith("floor") else CHANGE_QS
    drawn.clear()
    await _round(url, 1, pids, ctx, OPEN_QS, change)  # warm-up
    if drawn != [OPEN_QS, change]:  # both views drew the chart (not a login form or an error)
        raise RuntimeError(f"{setup}: the overview was not drawn ({drawn})")
    for n in ns:
        results[(setup, n)] = await _round(url, n, pids, ctx, OPEN_QS, change)
        r = results[(setup, n)]
        print(f"  {setup:7} N={n:3}: open p50 {statistics.median(r.opened):.2f} s p95 {_pct(r.opened, .95):.2f} s;"
              f" change p50 {statistics.median(r.changed):.2f} s p95 {_pct(r.changed, .95):.2f} s;"
              f" CPU {r.cpu_s:.1f} s ({r.cpu_s / r.wall_s:.2f} cores); {r.rss_growth_mb:.2f} MB/session",
              flush=True)


async def _after_approval(url: str, db_url: str) -> tuple[float, float, float]:
    """One session: a warm rerun (median of 3), then the first rerun after an approval made through
    the data layer (every cached figure's key moved on), then warm again: seconds each."""
    from data_access.db import make_engine
    from data_access.reporting import commit as committing, review as reviewing
    from tests.helpers import NOW, prow, xlsx
    from tests.people import reviewer

    async with websockets.connect(f"{url}/_stcore/stream", subprotocols=["streamlit"], max_size=None) as ws:
        await _rerun(ws, OPEN_QS)
        warm = statistics.median([await _rerun(ws, OPEN_QS) for _ in range(3)])
        eng = make_engine(db_url)
        done = committing.commit(eng, xlsx([prow(unit="410402", value=7)]), "x.xlsx", actor="新华填报员",
                                 allowed_units=("410402",), now=NOW)
        reviewing.review(eng, done.batch_id, "approve", reviewer=reviewer(), now=NOW)
        eng.dispose()
        drawn.clear()
        first = await _rerun(ws, OPEN_QS)
        again = statistics.median([await _rerun(ws, OPEN_QS) for _ in range(3)])
    return warm, first, again


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", default="10,25,50")
    parser.add_argument("--setups", default="app1,app2,floor1,floor2")
    parser.add_argument("--no-after-approval", dest="after_approval", action="store_false",
                        help="skip the first view after an approval (app1 only; it changes the copy's data)")
    args = parser.parse_args(argv)
    ns = [int(n) for n in args.sessions.split(",")]
    setups = args.setups.split(",")
    sys.path.insert(0, str(ROOT))
    from data_access.db import make_engine
    from data_access.sample_loader import load_sample
    from data_access.schema import migrate

    tmp = Path(tempfile.mkdtemp(prefix="kpi_load_"))
    db_url = f"sqlite:///{tmp / 'kpi.sqlite3'}"
    eng = make_engine(db_url)
    migrate.upgrade(eng)
    load_sample(eng)
    eng.dispose()
    content = tmp / "floor.json"
    _floor_content(db_url, content)
    env = {"KPI_DATABASE_URL": db_url, "KPI_AUTH_MODE": "none", "KPI_FLOOR_CONTENT": str(content)}
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    results: dict[tuple[str, int], Round] = {}
    print(f"load: sessions {ns}, setups {setups}, SQLite sample, {os.cpu_count()} cores", flush=True)
    for setup in setups:
        script = "benchmarks/load_floor_page.py" if setup.startswith("floor") else "dashboard/auth_server.py"
        count = 2 if setup.endswith("2") else 1
        procs, nginx = [], None
        try:
            for i in range(count):
                procs.append(_start(script, env, tmp / f"{setup}-{i}.log"))
            pids = [p.pid for p, _u in procs]
            if count == 2:
                sub = tmp / setup
                sub.mkdir()
                nginx, https = _nginx(sub, [u.removeprefix("http://") for _p, u in procs])
                url, use_ctx = f"wss://127.0.0.1:{https}", ctx
            else:
                url, use_ctx = procs[0][1].replace("http://", "ws://"), None
            asyncio.run(_measure(setup, url, pids, ns, use_ctx, results))
            if setup == "app1" and args.after_approval:
                warm, first, again = asyncio.run(_after_approval(url, db_url))
                print(f"  app1 one session: warm rerun {warm:.2f} s; first rerun after an approval {first:.2f} s"
                      f" ({first / warm:.1f}x warm); warm again {again:.2f} s", flush=True)
        finally:
            if nginx is not None:
                nginx.send_signal(signal.SIGQUIT)
                nginx.wait(timeout=10)
            for p, _u in procs:
                _stop(p)
    print("\n| setup | N | open p50 | open p95 | change p50 | change p95 | CPU s (cores) | MB/session |"
          " change p95 / floor |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for (setup, n), r in results.items():
        floor = results.get(("floor" + setup[-1], n))
        ratio = f"{_pct(r.changed, .95) / _pct(floor.changed, .95):.1f}x" if floor and not setup.startswith("floor") else ""
        print(f"| {setup} | {n} | {statistics.median(r.opened):.2f} s | {_pct(r.opened, .95):.2f} s |"
              f" {statistics.median(r.changed):.2f} s | {_pct(r.changed, .95):.2f} s |"
              f" {r.cpu_s:.1f} ({r.cpu_s / r.wall_s:.2f}) | {r.rss_growth_mb:.2f} | {ratio} |")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
