"""Phone load: the overview of 30 June 2023 in Chromium at 390x844 with the CPU throttled 4x
(DevTools protocol: Emulation.setCPUThrottlingRate) and the network throttled to a slow intranet
link (Network.emulateNetworkConditions: SLOW_LINK), against plain Streamlit pages of the same
content, all in the same run.

    python -m benchmarks.phone_load              # 3 loads per case; about 4-8 min on 2 shared cores
    python -m benchmarks.phone_load --runs 5 --output benchmarks/results/phone-load.md

Cases, each opened `--runs` times in a fresh browser context (empty HTTP cache: the first open of
the link on a phone) and once more in the same context (cache warm: the next morning):

- `app phone`: the dashboard's phone layout (`kpi_view=phone` cookie set, as after the first visit);
- `app phone, first visit`: no cookie; the page's width probe reloads it once into the phone layout;
- `app desktop`: the desktop layout on the same phone (`?view=desktop`): what the phone paid before;
- `floor phone`: benchmarks/phone_floor_page.py, a plain Streamlit page with the phone content;
- `floor desktop`: benchmarks/load_floor_page.py (tiles, the bullet chart, the attention lines).

"Drawn" is the wall-clock from the navigation's start until the app reports notRunning and its
content is there: eleven `.ph-card`s for the phone cases, a drawn plotly chart for the desktop
ones (polled on every animation frame). Printed per case: median and range of the loads, bytes
received over HTTP and over the websocket (CDP Network events), and the ratio to the floor of the
same content measured in this run. Nothing here asserts a time.
"""
from __future__ import annotations

import argparse
import base64
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CPU_RATE = 4
# A slow intranet link as a phone sees it (Wi-Fi through the organisation's VPN): 150 ms round trip,
# 1.6 Mbit/s down, 750 kbit/s up (Chromium's "Fast 3G" figures).
SLOW_LINK = {"offline": False, "latency": 150, "downloadThroughput": 1_600_000 / 8,
             "uploadThroughput": 750_000 / 8}
VIEWPORT = {"width": 390, "height": 844}
QS = "as_of=2023-06-30"

PHONE_DRAWN = """() => {
  const app = document.querySelector("[data-testid='stApp']");
  return !!app && app.dataset.testScriptState === 'notRunning' && document.querySelectorAll('.ph-card').length >= 11;
}"""
DESKTOP_DRAWN = """() => {
  const app = document.querySelector("[data-testid='stApp']");
  const charts = [...document.querySelectorAll("[data-testid='stPlotlyChart']")];
  return !!app && app.dataset.testScriptState === 'notRunning' && charts.length >= 1 &&
    charts.every(c => c.querySelector('svg.main-svg'));
}"""


def floor_content(db_url: str, path: Path) -> None:
    """The phone overview's content, made with the real data layer and the dashboard's pure views."""
    import datetime as dt

    from dashboard.views import overview as ov_view, phone as pv
    from data_access.db import make_engine
    from data_access.kpis import queries, tables

    eng = make_engine(db_url)
    day = dt.date(2023, 6, 30)
    ov = tables.target_overview(eng, 2023, day, None)
    ms = queries.milestones(eng, 2023)
    titles = ov_view.text_column_titles("zh")
    rows = ov_view.bullet_table(ov, "zh", queries.projects(eng, 2023))
    groups = pv.cards(rows, {k: titles[k] for k in ("pace", "week", "forecast")}, "zh")
    ub = tables.unit_breakdown(eng, 2023, day, None, None)
    behind = ov_view.behind_unit_rows(ub, ov)
    css = (ROOT / "dashboard" / "ui" / "phone.css").read_text(encoding="utf-8")  # what dashboard/ui/phone.py sends
    out = {"style": f"<style>{css}</style>",
           "html": [pv.chips_html(ov_view.tiles(ov, ms, day, "zh")), pv.groups_html(groups, titles["pace"])],
           "markdown": ["\n".join(f"- {x}" for x in ov_view.behind_targets(ov, "zh")),
                        "\n".join(f"- {x}" for x in ov_view.unit_lines(behind, "zh", 4, per_unit=1)),
                        "\n".join(f"- {x}" for _, x in ov_view.milestone_lines(ms, day, "zh"))]}
    eng.dispose()
    path.write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")


def _load(context, url: str, drawn_js: str) -> dict:
    """One throttled load in `context`: seconds until drawn, bytes over HTTP and the websocket."""
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    counted = {"http": 0, "ws": 0}

    def finished(e):
        counted["http"] += int(e.get("encodedDataLength", 0))

    def frame(e):
        data = e.get("response", {}).get("payloadData", "")
        counted["ws"] += len(base64.b64decode(data)) if e["response"].get("opcode") == 2 else len(data.encode())

    cdp.on("Network.loadingFinished", finished)
    cdp.on("Network.webSocketFrameReceived", frame)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW_LINK)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_RATE})
    started = time.perf_counter()
    page.goto(url, wait_until="commit", timeout=180_000)
    page.wait_for_function(drawn_js, timeout=180_000, polling="raf")
    seconds = time.perf_counter() - started
    plotly = page.evaluate("() => performance.getEntriesByType('resource').some(r => /plotly/i.test(r.name))")
    page.close()
    return {"s": seconds, "http": counted["http"], "ws": counted["ws"], "plotly_js": plotly}


def _case(browser, url: str, drawn_js: str, runs: int, cookie: dict | None, outside: list[str]) -> dict:
    from tests.browser.support import is_local

    cold, warm = [], []
    for i in range(runs + 1):  # the first is a warm-up of the server's caches, not counted
        context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai",
                                      has_touch=True)
        # requests off the machine are recorded, not routed: Playwright's routing turns the HTTP cache off
        context.on("request", lambda r: None if is_local(r.url) else outside.append(r.url))
        if cookie:
            context.add_cookies([cookie])
        try:
            first = _load(context, url, drawn_js)
            second = _load(context, url, drawn_js)
        finally:
            context.close()
        if i:
            cold.append(first)
            warm.append(second)
    return {"cold": cold, "warm": warm}


def _fmt(loads: list[dict]) -> tuple[float, str]:
    s = [x["s"] for x in loads]
    med = statistics.median(s)
    kb_http = statistics.median([x["http"] for x in loads]) / 1024
    kb_ws = statistics.median([x["ws"] for x in loads]) / 1024
    plotly = "yes" if any(x["plotly_js"] for x in loads) else "no"
    return med, f"{med:.2f} s ({min(s):.2f}–{max(s):.2f}) | {kb_http:,.0f} KB | {kb_ws:,.0f} KB | {plotly}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--output", default=None, help="also write the table to this markdown file")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from playwright.sync_api import sync_playwright

    from benchmarks.load import _floor_content as desktop_floor_content, _start, _stop
    from data_access.db import make_engine
    from data_access.sample_loader import load_sample
    from data_access.schema import migrate
    from tests.browser.support import launch_chromium

    tmp = Path(tempfile.mkdtemp(prefix="kpi_phone_"))
    db_url = f"sqlite:///{tmp / 'kpi.sqlite3'}"
    eng = make_engine(db_url)
    migrate.upgrade(eng)
    load_sample(eng)
    eng.dispose()
    floor_content(db_url, tmp / "phone.json")
    desktop_floor_content(db_url, tmp / "desktop.json")
    env = {"KPI_DATABASE_URL": db_url, "KPI_AUTH_MODE": "none", "KPI_PHONE_FLOOR_CONTENT": str(tmp / "phone.json"),
           "KPI_FLOOR_CONTENT": str(tmp / "desktop.json")}
    procs = []
    try:
        app = _start("dashboard/app.py", env, tmp / "app.log")
        procs.append(app[0])
        floor_p = _start("benchmarks/phone_floor_page.py", env, tmp / "floor-phone.log")
        procs.append(floor_p[0])
        floor_d = _start("benchmarks/load_floor_page.py", env, tmp / "floor-desktop.log")
        procs.append(floor_d[0])
        host = app[1].split("//")[1].split(":")[0]
        cookie = {"name": "kpi_view", "value": "phone", "domain": host, "path": "/"}
        cases = [
            ("app phone", f"{app[1]}/overview?{QS}", PHONE_DRAWN, cookie, "floor phone"),
            ("app phone, first visit", f"{app[1]}/overview?{QS}", PHONE_DRAWN, None, "floor phone"),
            ("app desktop", f"{app[1]}/overview?{QS}&view=desktop", DESKTOP_DRAWN, None, "floor desktop"),
            ("floor phone", floor_p[1] + "/", PHONE_DRAWN, None, None),
            ("floor desktop", floor_d[1] + "/?county=city", DESKTOP_DRAWN, None, None),
        ]
        results: dict[str, dict] = {}
        outside: list[str] = []
        print(f"phone load: 390x844, CPU {CPU_RATE}x slower, link {SLOW_LINK['latency']} ms / "
              f"{SLOW_LINK['downloadThroughput'] * 8 / 1e6:.1f} Mbit/s down, {args.runs} loads per case", flush=True)
        with sync_playwright() as p:
            browser = launch_chromium(p)
            try:
                for name, url, drawn_js, ck, _floor in cases:
                    results[name] = _case(browser, url, drawn_js, args.runs, ck, outside)
                    print(f"  {name}: cold {_fmt(results[name]['cold'])[1]}; warm {_fmt(results[name]['warm'])[1]}",
                          flush=True)
            finally:
                browser.close()
    finally:
        for proc in procs:
            _stop(proc)
    lines = ["| case | cache | drawn: median (range) | HTTP received | websocket received | plotly.js loaded "
             "| / floor of the same content |", "|---|---|---:|---:|---:|---|---:|"]
    for name, _url, _js, _ck, floor in cases:
        for cache in ("cold", "warm"):
            med, text = _fmt(results[name][cache])
            ratio = f"{med / _fmt(results[floor][cache])[0]:.2f}x" if floor else ""
            lines.append(f"| {name} | {cache} | {text} | {ratio} |")
    lines.append(f"\nRequests off the machine: {len(outside)}.")
    table = "\n".join(lines)
    print(table)
    if args.output:
        Path(args.output).write_text(table + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
