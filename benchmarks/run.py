"""Benchmark the KPI queries and the pages at 1x (the sample) and 100x (benchmarks/build_large.py).

    python -m benchmarks.run [--backends sqlite,postgresql] [--repeat N] [--skip-build]
                             [--skip-pages] [--skip-browser] [--page-runs N]

Prints the tables and writes them to benchmarks/results/latest.md. See benchmarks/README.md.
Not a test: nothing here asserts a time; it does assert that each floor gives the same figures as
its query function.
"""
from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from sqlalchemy import Engine

from benchmarks import build_large, floors
from data_access.kpis import tables, metrics, queries
from data_access.schema import migrate
from data_access.settings import ROOT
from data_access.db import make_engine

try:  # the new-economy queries arrived later; without them their cases are left out
    from data_access.kpis import new_economy
except ImportError:  # pragma: no cover
    new_economy = None

BENCH_DIR = ROOT / "data" / "bench"  # git-ignored
RESULTS = Path(__file__).resolve().parent / "results" / "latest.md"
PG_URL = os.environ.get("KPI_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SCALES = (1, 100)
YEAR, AS_OF = 2023, dt.date(2023, 12, 31)  # the sample's latest report: the 1x dashboard's default view
TWO = ("410423", "410481")  # 鲁山县 (behind) and 舞钢市 (ahead), the county filter of the examples
PAGE_PARAMS = {"year": str(YEAR), "as_of": AS_OF.isoformat()}
SLOW_PAGE_MS = 300


def db_url(backend: str, scale: int) -> str:
    if backend == "sqlite":
        return f"sqlite:///{BENCH_DIR / f'kpi_{scale}x.sqlite3'}"
    return f"{PG_URL}?options=-csearch_path%3Dbench_{scale}x"


# --- cases: a query function, its floor, and the check that both give the same figures -----------


@dataclass
class Case:
    name: str
    query: Callable[[Engine], object]
    floor: Callable[[Engine], list]
    check: Callable[[Engine, object, list], None]


def close(a, b) -> bool:
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-6)


def same(expected: dict, got: dict, what: str) -> None:
    assert expected.keys() == got.keys(), f"{what}: keys differ ({len(expected)} vs {len(got)})"
    for key, value in expected.items():
        other = got[key]
        pairs = zip(value, other) if isinstance(value, tuple) else [(value, other)]
        assert all(close(x, y) for x, y in pairs), f"{what}: {key}: {value} vs {other}"


def _check_by_unit(e, df, rows):
    same({(r.target_code, r.unit_code): r.actual for r in df.itertuples()},
         {(c, u): v for c, u, v in rows}, "progress_by_unit")


def _check_by_day(e, df, rows):
    got: dict = {}
    for code, _day, value in rows:
        got[code] = got.get(code, 0.0) + value
    same(df.groupby("target_code")["value"].sum().to_dict(), got, "progress_by_day totals")
    assert len(df) == len(rows), f"progress_by_day: {len(df)} rows vs {len(rows)}"


def overview_checkpoints(e, as_of=AS_OF) -> list[dt.date]:
    start, end = queries.plan_year_bounds(e, YEAR)
    return tables.weekly_checkpoints(min(as_of, end), start, metrics.FORECAST_WINDOW_WEEKS)


def _check_overview(units):
    def check(e, df, rows):
        same({r.target_code: (r.target, r.actual, r.actual_week_ago) for r in df.itertuples()},
             {r[0]: (r[1] or 0.0, r[2], r[3]) for r in rows}, "target_overview")
        cps = overview_checkpoints(e)  # the forecast's weekly points, as target_overview sums them
        daily = queries.progress_by_day(e, YEAR, AS_OF, units)
        same({c: tuple(tables.cumulative_at(daily[daily["target_code"] == c], cps)) for c in df["target_code"]},
             {r[0]: tuple(r[4:]) for r in rows}, "target_overview checkpoints")
    return check


def _check_breakdown(e, df, rows):
    same({(r.target_code, r.unit_code): (r.allocation, r.actual) for r in df.itertuples()},
         {(c, u): (a, v) for c, u, a, v in rows}, "unit_breakdown")


def _check_series(monthly: bool):
    def check(e, df, rows):
        _series_equal(df, rows, monthly)
    return check


def _series_equal(df, rows, monthly):
    known = df.dropna(subset=["actual_cum"]).set_index("day")["actual_cum"]
    for day, cum in rows:
        day = queries._as_date(day)
        if monthly:  # membership: the floor keys a month by its first day, the function by its end
            day = queries.month_end(day)
        assert close(known[day], cum), f"cumulative_series at {day}: {known[day]} vs {cum}"
    last = rows[-1][1] if rows else 0.0
    assert close(known.iloc[-1], last), f"cumulative_series end: {known.iloc[-1]} vs {last}"


def _check_points(e, df, rows):
    assert list(df["id"]) == [r[0] for r in rows], "facility_points: other facilities"
    assert int(df["is_new"].sum()) == sum(int(r[-1]) for r in rows), "facility_points: is_new"


def _check_counts(e, df, rows):
    same({(r.unit_code, r.kind): (r.total, r.new_this_year) for r in df.itertuples()},
         {(u, k): (n, new) for u, k, n, new in rows}, "facility_counts")


def _check_grouped(what, value_cols, by):
    def check(e, df, rows):
        n = len(by)
        expected = {tuple(str(queries._as_date(x)) if b == "month" else x for b, x in
                          zip(by, (getattr(r, b) for b in by))): tuple(getattr(r, c) for c in value_cols)
                    for r in df.itertuples()}
        got = {tuple(str(queries._as_date(x)) if b == "month" else x for b, x in zip(by, r[:n])): tuple(r[n:])
               for r in rows}
        same(expected, got, what)
    return check


def _check_scalar(what):
    def check(e, value, rows):
        assert close(value, rows[0][0]), f"{what}: {value} vs {rows[0][0]}"
    return check


def _check_latest(e, day, rows):
    assert day == queries._as_date(rows[0][0]), f"latest_report_date: {day} vs {rows[0][0]}"


def cases() -> list[Case]:
    q, k, fl = queries, tables, floors
    out = [
        Case("queries.latest_report_date", lambda e: q.latest_report_date(e, YEAR),
             lambda e: fl.latest_report_date(e, YEAR), _check_latest),
        Case("queries.progress_by_unit", lambda e: q.progress_by_unit(e, YEAR, AS_OF),
             lambda e: fl.progress_by_unit(e, YEAR, AS_OF), _check_by_unit),
        Case("queries.progress_by_unit [2 counties]", lambda e: q.progress_by_unit(e, YEAR, AS_OF, TWO),
             lambda e: fl.progress_by_unit(e, YEAR, AS_OF, TWO), _check_by_unit),
        Case("queries.progress_by_day", lambda e: q.progress_by_day(e, YEAR, AS_OF),
             lambda e: fl.progress_by_day(e, YEAR, AS_OF), _check_by_day),
        Case("queries.facility_points", lambda e: q.facility_points(e, YEAR, AS_OF),
             lambda e: fl.facility_points(e, YEAR, AS_OF), _check_points),
        Case("queries.facility_counts", lambda e: q.facility_counts(e, YEAR, AS_OF),
             lambda e: fl.facility_counts(e, YEAR, AS_OF), _check_counts),
        Case("kpis.target_overview", lambda e: k.target_overview(e, YEAR, AS_OF),
             lambda e: fl.target_overview(e, YEAR, AS_OF, None, overview_checkpoints(e)),
             _check_overview(None)),
        Case("kpis.target_overview [2 counties]", lambda e: k.target_overview(e, YEAR, AS_OF, TWO),
             lambda e: fl.target_overview(e, YEAR, AS_OF, TWO, overview_checkpoints(e)),
             _check_overview(TWO)),
        Case("kpis.unit_breakdown", lambda e: k.unit_breakdown(e, YEAR, AS_OF),
             lambda e: fl.unit_breakdown(e, YEAR, AS_OF), _check_breakdown),
        Case("kpis.cumulative_series T01", lambda e: k.cumulative_series(e, YEAR, AS_OF, "T01"),
             lambda e: fl.cumulative_series(e, YEAR, AS_OF, "T01"), _check_series(False)),
        Case("kpis.cumulative_series T11", lambda e: k.cumulative_series(e, YEAR, AS_OF, "T11"),
             lambda e: fl.cumulative_series(e, YEAR, AS_OF, "T11"), _check_series(True)),
    ]
    if new_economy is not None:
        ne, start = new_economy, dt.date(YEAR, 1, 1)
        out += [
            Case("new_economy.members [month]", lambda e: ne.members(e, AS_OF, by=("month",)),
                 lambda e: fl.members(e, AS_OF, ("month",)),
                 _check_grouped("members by month", ["new_members"], ("month",))),
            Case("new_economy.members [unit,industry; year]",
                 lambda e: ne.members(e, AS_OF, by=("unit_code", "industry"), since=start),
                 lambda e: fl.members(e, AS_OF, ("unit_code", "industry"), start),
                 _check_grouped("members by unit, industry", ["new_members"], ("unit_code", "industry"))),
            Case("new_economy.members_total", lambda e: ne.members_total(e, AS_OF),
                 lambda e: fl.members(e, AS_OF), _check_scalar("members_total")),
            Case("new_economy.orgs [unit]", lambda e: ne.orgs(e, AS_OF, by=("unit_code",)),
                 lambda e: fl.orgs(e, AS_OF, ("unit_code",)),
                 _check_grouped("orgs by unit", ["orgs", "members_at_founding"], ("unit_code",))),
            Case("new_economy.orgs_total", lambda e: ne.orgs_total(e, AS_OF),
                 lambda e: fl.orgs(e, AS_OF), _check_scalar("orgs_total")),
        ]
    return out


# --- timing ---------------------------------------------------------------------------------------


def sample_ms(fn: Callable[[], object], repeat: int) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds of `repeat` calls. CPU is this process's: on SQLite the whole work,
    on PostgreSQL only the client's (the server's work is in the wall time)."""
    wall, cpu = [], []
    for _ in range(repeat):
        started, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return wall, cpu


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def bench_queries(backend: str, scale: int, repeat: int) -> dict[str, dict]:
    """{case: {q_med, q_p95, q_cpu, f_med, f_p95}} on one database; each floor checked first."""
    engine = make_engine(db_url(backend, scale))
    out = {}
    try:
        for case in cases():
            result, rows = case.query(engine), case.floor(engine)  # warm-up, and the check
            try:
                case.check(engine, result, rows)
                same_figures = "same figures"
            except AssertionError as exc:  # report it in the table rather than lose the whole run
                same_figures = f"FLOOR DIFFERS: {str(exc)[:200]}"
            qt, qc = sample_ms(lambda: case.query(engine), repeat)
            ft, _ = sample_ms(lambda: case.floor(engine), repeat)
            r = out[case.name] = {"q_med": statistics.median(qt), "q_p95": p95(qt), "q_cpu": statistics.median(qc),
                                  "f_med": statistics.median(ft), "f_p95": p95(ft), "same": same_figures}
            print(f"  {backend:10s} {scale:>3d}x  {case.name:42s} query {r['q_med']:9.1f} ms"
                  f"  floor {r['f_med']:9.1f} ms  ({same_figures})", flush=True)
    finally:
        engine.dispose()
    return out


def load_average() -> str:
    try:
        return " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover
        return "?"


# --- report ---------------------------------------------------------------------------------------


def fmt_ms(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def ratio(a: float | None, b: float | None) -> str:
    return "–" if not a or not b else f"{a / b:.1f}×"


def query_table(backend: str, res: dict) -> list[str]:
    lines = [f"### {backend}", "",
             "| query | 1x ms median (p95) | 100x ms median (p95) | 100x/1x | floor 1x ms | "
             "floor 100x ms | query/floor at 100x | 100x CPU ms |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name in res[1]:
        a, b = res[1][name], res[100].get(name)
        lines.append(
            f"| {name} | {fmt_ms(a['q_med'])} ({fmt_ms(a['q_p95'])}) | "
            f"{fmt_ms(b['q_med'])} ({fmt_ms(b['q_p95'])}) | {ratio(b['q_med'], a['q_med'])} | "
            f"{fmt_ms(a['f_med'])} | {fmt_ms(b['f_med'])} | {ratio(b['q_med'], b['f_med'])} | "
            f"{fmt_ms(b['q_cpu'])} |")
    differs = [f"- {name} at {scale}x: {r['same']}" for scale in SCALES for name, r in res[scale].items()
               if r["same"] != "same figures"]
    return lines + [""] + (["Floors that did not match (their times are not comparable):", *differs, ""]
                           if differs else [])


def page_table(pages: dict) -> list[str]:
    lines = ["| page | 1x cold ms | 1x warm ms | 100x cold ms | 100x warm ms | 100x/1x cold | 100x/1x warm | "
             "CPU ms 1x warm / 100x warm |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for script, by_scale in pages.items():
        a, b = by_scale[1], by_scale[100]
        lines.append(f"| {script} | {fmt_ms(a['cold_ms'])} | {fmt_ms(a['warm_ms'])} | {fmt_ms(b['cold_ms'])} | "
                     f"{fmt_ms(b['warm_ms'])} | {ratio(b['cold_ms'], a['cold_ms'])} | "
                     f"{ratio(b['warm_ms'], a['warm_ms'])} | {fmt_ms(a['warm_cpu'])} / {fmt_ms(b['warm_cpu'])} |")
    return lines + [""]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="KPI query and page benchmark at 1x and 100x")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=10, help="timed calls per query and floor (warm)")
    parser.add_argument("--skip-build", action="store_true", help="reuse the databases of an earlier run")
    parser.add_argument("--skip-pages", action="store_true")
    parser.add_argument("--skip-browser", action="store_true")
    parser.add_argument("--skip-indexes", action="store_true")
    parser.add_argument("--page-runs", type=int, default=3, help="cold+warm pairs per page")
    parser.add_argument("--index-rounds", type=int, default=7, help="paired rounds per index candidate")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    load_start = load_average()
    report = [f"# Benchmark results ({dt.datetime.now():%Y-%m-%d %H:%M})", "",
              f"`python -m benchmarks.run {' '.join(argv if argv is not None else sys.argv[1:])}`".replace(" `", "`"),
              "", f"Machine: {platform.machine()}, {os.cpu_count()} cores (shared), Python {platform.python_version()}, "
              f"SQLite {__import__('sqlite3').sqlite_version}. View: plan year {YEAR}, as of {AS_OF}, whole city "
              f"unless marked; the county filter is {', '.join(TWO)}. Times in ms, warm, median of {args.repeat}.", ""]

    if not args.skip_build:
        report += ["## Build", "", "| database | build s | progress_reports | facilities | union_orgs | "
                   "ne_membership | import_batches |", "|---|---:|---:|---:|---:|---:|---:|"]
        pg_needed = "postgresql" in backends
        for backend in (["sqlite"] + (["postgresql"] if pg_needed else [])):
            for scale in SCALES:
                started = time.perf_counter()
                n = build_large.build(db_url(backend, scale), scale)
                secs = time.perf_counter() - started
                print(f"built {backend} {scale}x in {secs:.1f} s: {n}", flush=True)
                report.append(f"| {backend} {scale}x | {secs:.1f} | {n['progress_reports']:,} | {n['facilities']:,} | "
                              f"{n['union_orgs']:,} | {n['ne_membership']:,} | {n['import_batches']:,} |")
        report.append("")

    report += ["## KPI queries against the floor", "",
               "Query: the data_access function, DataFrame out. Floor: the same figures from one hand-written "
               "SQL statement (benchmarks/floors.py), checked equal to the query's before timing.", ""]
    for backend in backends:
        res = {scale: bench_queries(backend, scale, args.repeat) for scale in SCALES}
        report += query_table(backend, res)

    if not args.skip_indexes:
        from benchmarks import indexes

        report += indexes.section(backends, db_url, {c.name: c for c in cases()}, args.index_rounds)
    if not args.skip_pages:
        report += page_section(args.page_runs)
    if not args.skip_browser:
        report += browser_section(args.page_runs)

    report += [f"Load average (1/5/15 min) at the start: {load_start}; at the end: {load_average()}.", ""]
    text = "\n".join(report) + "\n"
    print("\n" + text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"written to {args.output}")
    return 0


def ensure_current(url: str, scale: int) -> None:
    """Rebuild the database at `url` unless its schema is at the newest migration."""
    engine = make_engine(url)
    try:
        state = migrate.check_schema(engine)
    finally:
        engine.dispose()
    if state != "current":
        print(f"  schema of {url} is {state}: rebuilding", flush=True)
        build_large.build(url, scale)


def page_section(runs: int) -> list[str]:
    from benchmarks import pages as pg

    for scale in SCALES:  # a migration may have landed since the build: pages refuse an old schema
        ensure_current(db_url("sqlite", scale), scale)
    found, slow, failed = {}, [], []
    for script, _url in pg.existing_pages():
        found[script] = {}
        for scale in SCALES:
            try:
                r = pg.time_page(db_url("sqlite", scale), script, PAGE_PARAMS, runs)
            except (AssertionError, RuntimeError) as exc:  # a page being rewritten: say so, go on
                failed.append(f"- {script} at {scale}x not timed: {str(exc).splitlines()[0][:300]}")
                print(f"  page {script:16s} {scale:>3d}x  FAILED: {exc}", flush=True)
                found.pop(script, None)
                break
            print(f"  page {script:16s} {scale:>3d}x  cold {r['cold_ms']:9.0f} ms  warm {r['warm_ms']:7.0f} ms",
                  flush=True)
            if r["warm_ms"] > SLOW_PAGE_MS:
                slow.append((script, scale, f"warm run over {SLOW_PAGE_MS} ms: a finding",
                             pg.attribution(r["at"], cold=False)))
                slow.append((script, scale, "warm run under cProfile (ranks only: the profiler about "
                             "doubles every time)", pg.profile(r["at"])))
            if scale == 100 and r["cold_ms"] > 1000:
                slow.append((script, scale, "cold run", pg.attribution(r["at"], cold=True)))
            found[script][scale] = r
    lines = ["## Pages (AppTest, SQLite)", "",
             f"One run = the entrypoint (filters, navigation) + the page script, `?year={YEAR}&as_of={AS_OF}`. "
             f"Cold: st.cache_data cleared first; warm: the same run again. Median of {runs}.", ""]
    lines += page_table(found) + failed + ([""] if failed else [])
    for script, scale, what, rows in slow:
        lines += [f"#### {script} at {scale}x — {what}; where the time goes (inclusive ms, one run)", "",
                  "| function | calls | ms |", "|---|---:|---:|"]
        lines += [f"| {name} | {calls} | {fmt_ms(ms)} |" for name, calls, ms in rows]
        lines.append("")
    return lines


def browser_section(runs: int) -> list[str]:
    try:
        from tests.browser.timing import measure_overview
    except ImportError as exc:  # pragma: no cover
        return ["## Browser", "", f"not measured: {exc}", ""]
    path = f"/?year={YEAR}&as_of={AS_OF}"
    res = {}
    for scale in SCALES:
        try:
            r = measure_overview(db_url("sqlite", scale), runs=runs + 1, path=path)
        except Exception as exc:  # noqa: BLE001 - a page being rewritten, no chromium: report, go on
            return ["## Browser", "", f"not measured ({scale}x): {str(exc).splitlines()[0][:300]}", ""]
        res[scale] = (r["first_ms"], statistics.median(r["warm_ms"]))
        print(f"  browser overview {scale:>3d}x  first {r['first_ms']:8.0f} ms  warm {res[scale][1]:8.0f} ms"
              f"  outside requests: {len(r['outside_requests'])}", flush=True)
    (c1, w1), (c100, w100) = res[1], res[100]
    return ["## Browser: overview until fully drawn (Chromium, SQLite)", "",
            "From navigation start until the script run is over and every plotly chart is drawn "
            "(tests/browser/timing.py). First: a fresh server (caches empty, pandas/plotly imported by the "
            f"first session). Warm: later loads in new browser contexts, median of {runs}.", "",
            "| | 1x ms | 100x ms | 100x/1x |", "|---|---:|---:|---:|",
            f"| first load | {fmt_ms(c1)} | {fmt_ms(c100)} | {ratio(c100, c1)} |",
            f"| warm load | {fmt_ms(w1)} | {fmt_ms(w100)} | {ratio(w100, w1)} |", ""]


if __name__ == "__main__":
    sys.exit(main())
