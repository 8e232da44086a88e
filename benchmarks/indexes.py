"""Index experiments at 100x: would another index make a slow query faster?

Each candidate is tried on a copy of the 100x database (SQLite: a copy of the file; PostgreSQL:
schema bench_100x_idx, built again from the same seed), where it replaces the index named in
`replaces`. The affected query functions then run alternately on the original and on the copy
(the order flipping every round), so the machine's changing load hits both alike; the figure
that counts is the median of the paired ratios copy/original. The copy is put back afterwards.
"""
from __future__ import annotations

import shutil
import statistics
import time
from dataclasses import dataclass

from sqlalchemy import Engine, make_url

from benchmarks import build_large
from data_access.db import make_engine
from data_access.schema.models import Base


@dataclass
class Candidate:
    name: str
    table: str
    replaces: str | None  # an index of models.py the candidate would take the place of
    create: str
    cases: tuple[str, ...]


CANDIDATES = [
    Candidate("A: progress_reports (target_id, unit_code, period_start, period_end, recorded_at DESC, id DESC), "
              "the order of the window in queries._reported_facts, in place of ix_progress_lookup",
              "progress_reports", "ix_progress_lookup",
              "CREATE INDEX ix_bench_candidate ON progress_reports "
              "(target_id, unit_code, period_start, period_end, recorded_at DESC, id DESC)",
              ("queries.progress_by_unit", "queries.progress_by_unit [2 counties]", "queries.progress_by_day")),
    Candidate("B: ne_membership (month, unit_code, industry, platform, recorded_at DESC, id DESC), "
              "the order of the window in queries.ne_membership_latest, in place of ix_ne_lookup",
              "ne_membership", "ix_ne_lookup",
              "CREATE INDEX ix_bench_candidate ON ne_membership "
              "(month, unit_code, industry, platform, recorded_at DESC, id DESC)",
              ("new_economy.members_total", "new_economy.members [unit,industry; year]",
               "kpis.cumulative_series T11")),
]


def copy_url(backend: str, url: str) -> str:
    """Make the copy of the 100x database at `url`; return its URL."""
    if backend == "sqlite":
        src = make_url(url).database
        dst = src.replace("kpi_100x", "kpi_100x_idx")
        shutil.copyfile(src, dst)
        return f"sqlite:///{dst}"
    dst = url.replace("bench_100x", "bench_100x_idx")
    build_large.build(dst, 100)
    return dst


def _ddl(engine: Engine, table: str, statements: list[str]) -> None:
    with engine.begin() as conn:
        for sql in statements:
            conn.exec_driver_sql(sql)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f"ANALYZE {table}" if engine.dialect.name == "sqlite" else f"VACUUM ANALYZE {table}")


def _model_index(table: str, name: str):
    return next(ix for ix in Base.metadata.tables[table].indexes if ix.name == name)


def paired(case, base: Engine, copy: Engine, rounds: int) -> dict:
    case.query(base), case.query(copy)  # warm both
    wall = {"base": [], "copy": []}
    cpu = {"base": [], "copy": []}
    for i in range(rounds):
        order = (("base", base), ("copy", copy)) if i % 2 == 0 else (("copy", copy), ("base", base))
        for label, engine in order:
            started, c0 = time.perf_counter(), time.process_time()
            case.query(engine)
            wall[label].append((time.perf_counter() - started) * 1000)
            cpu[label].append((time.process_time() - c0) * 1000)
    ratios = [c / b for c, b in zip(wall["copy"], wall["base"])]
    return {"before": statistics.median(wall["base"]), "after": statistics.median(wall["copy"]),
            "ratio": statistics.median(ratios), "cpu_before": statistics.median(cpu["base"]),
            "cpu_after": statistics.median(cpu["copy"])}


def experiment(backend: str, url: str, cases: dict, rounds: int) -> list[tuple]:
    """Rows (candidate, case, result) for every candidate on one backend's 100x database."""
    base, copy = make_engine(url), make_engine(copy_url(backend, url))
    rows = []
    try:
        for cand in CANDIDATES:
            drop = [f"DROP INDEX {cand.replaces}"] if cand.replaces else []
            _ddl(copy, cand.table, drop + [cand.create])
            for name in cand.cases:
                result = paired(cases[name], base, copy, rounds)
                rows.append((cand, name, result))
                print(f"  index {backend:10s} {name:42s} before {result['before']:8.0f} ms  after "
                      f"{result['after']:8.0f} ms  paired ratio {result['ratio']:.2f}", flush=True)
            _ddl(copy, cand.table, ["DROP INDEX ix_bench_candidate"])
            if cand.replaces:
                _model_index(cand.table, cand.replaces).create(copy)
    finally:
        base.dispose()
        copy.dispose()
    return rows


def section(backends: list[str], db_url, cases: dict, rounds: int) -> list[str]:
    lines = ["## Index candidates at 100x", "",
             "Each candidate replaces the named index on a copy of the 100x database; the query runs "
             f"alternately on the original and the copy, {rounds} rounds each. Ratio: median of the "
             "paired after/before ratios (below 1 is faster). CPU: this process's CPU time, which on "
             "SQLite is the query's whole work.", ""]
    lines += [f"- {cand.name}" for cand in CANDIDATES] + [""]
    for backend in backends:
        rows = experiment(backend, db_url(backend, 100), cases, rounds)
        lines += [f"### {backend}", "", "| candidate | query | before ms | after ms | paired ratio | "
                  "CPU before → after ms |", "|---|---|---:|---:|---:|---:|"]
        for cand, name, r in rows:
            lines.append(f"| {cand.name[0]} | {name} | {r['before']:,.0f} | {r['after']:,.0f} | {r['ratio']:.2f} | "
                         f"{r['cpu_before']:,.0f} → {r['cpu_after']:,.0f} |")
        lines.append("")
    return lines
