"""Build the benchmark databases: 1x is the committed 2023 sample, 100x a seeded synthetic database
about a hundred times its size.

    python -m benchmarks.build_large URL [--scale 100|1]

URL is a SQLAlchemy URL. A SQLite file is deleted and recreated. For PostgreSQL the URL names its
schema through libpq's search_path option, e.g.
    postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dbench_100x
and that schema is dropped and recreated (nothing else in the database is touched).

The 100x database copies the sample's plan (units, projects, targets, allocations, milestones)
into each plan year 2019-2025 and adds 12 synthetic units; progress is reported DAILY (from 2021
uploaded in weekly import batches, 3% of figures corrected later), and the registries and the
new-economy membership table (about 1.06 million rows: 240 industry/platform pairs, a preliminary
and a final figure per month, 10% corrected again) are filled in proportion. Rows go in through one
raw DBAPI connection in one transaction: executemany on SQLite (synchronous=OFF, in-memory
journal), COPY on PostgreSQL. Deterministic: numpy's generator seeded with SEED, no clock.
"""
from __future__ import annotations

import argparse
import calendar
import datetime as dt
import json
import re
import sys
import time
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, create_engine, make_url, select, text

from data_access.schema import migrate
from data_access.db import make_engine
from data_access.schema.models import BATCH_APPROVED, BATCH_PENDING, FACILITY_CARE_STATION, FACILITY_CHILDCARE, MEASURE_REPORTED, UNIT_CITY, UNIT_ZONE, Allocation, Base, Milestone, PlanYear, Project, Target, Unit
from data_access.sample_loader import load_sample
from data_access.kpis import summary_writer

SEED = 100
YEARS = tuple(range(2019, 2026))
EXTRA_UNITS = 12  # synthetic zone-like units (no polygon) beside the sample's 13
N_FACILITIES = 17_300  # sample: 173
N_UNION_ORGS = 65_200  # sample: 652
BATCHED_FROM = 2021  # daily figures before were typed in; from then on uploaded weekly
CORRECTION_P = 0.03  # share of daily figures superseded by a later correction
NE_RECHECK_P = 0.10  # share of final monthly membership figures corrected once more
STEP = {"T08": 100}  # breakfast money is reported in whole hundreds of yuan
PLATFORMS = {  # industry -> real platforms of the sample, then synthetic local ones up to the count
    "外卖配送": (["美团", "饿了么", "其他"], 60),
    "快递": (["顺丰", "中通", "韵达", "京东", "苏宁易购", "其他"], 60),
    "网约车": (["滴滴", "曹操出行", "其他"], 40),
    "货车司机": (["满帮", "其他"], 40),
    "家政服务": (["其他"], 40),
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
DAY = dt.timedelta(days=1)


# --- Where to build -------------------------------------------------------------------------------


def pg_schema(url: str) -> str | None:
    """The schema named by a PostgreSQL URL's `options=-csearch_path=NAME`, else None."""
    found = re.search(r"search_path=([A-Za-z_][A-Za-z0-9_]*)", make_url(url).query.get("options", ""))
    return found.group(1) if found else None


def fresh_engine(url: str) -> Engine:
    """An engine on an empty database with the current schema (the old file or schema is removed)."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        path = Path(u.database)
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    elif u.get_backend_name() == "postgresql":
        name = pg_schema(url)
        if not name:
            raise SystemExit("a PostgreSQL URL needs ?options=-csearch_path%3D<schema> (it is recreated)")
        admin = create_engine(u.difference_update_query(["options"]))
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{name}"'))
        admin.dispose()
    else:
        raise SystemExit(f"unsupported backend: {u.get_backend_name()}")
    engine = make_engine(url)
    migrate.upgrade(engine)
    return engine


def analyze(engine: Engine) -> None:
    """Planner statistics after the build (and, on PostgreSQL, a vacuum so index-only scans work)."""
    if engine.dialect.name == "sqlite":
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in Base.metadata.sorted_tables:  # only this schema's tables, not the database
            conn.exec_driver_sql(f"VACUUM ANALYZE {table.name}")


# --- Bulk writing ---------------------------------------------------------------------------------


def d(day: dt.date) -> str:
    return day.isoformat()


def ts(moment: dt.datetime) -> str:
    """SQLAlchemy's SQLite DateTime text, so string comparisons match its bound parameters."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


class BulkWriter:
    """Inserts on one raw DBAPI connection, committed once by `finish`. Values are passed as
    the column's text (dates 'YYYY-MM-DD', timestamps as `ts`), which both backends accept."""

    def __init__(self, engine: Engine):
        self.sqlite = engine.dialect.name == "sqlite"
        self.raw = engine.raw_connection()
        self.counts: dict[str, int] = {}
        if self.sqlite:
            cur = self.raw.cursor()
            cur.execute("PRAGMA synchronous=OFF")
            cur.execute("PRAGMA journal_mode=MEMORY")
            cur.close()

    def write(self, table: str, columns: list[str], rows) -> None:
        cur = self.raw.cursor()
        n = 0
        if self.sqlite:
            marks = ", ".join("?" for _ in columns)
            rows = list(rows)
            cur.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
            n = len(rows)
        else:
            with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    n += 1
        cur.close()
        self.counts[table] = self.counts.get(table, 0) + n

    def finish(self) -> None:
        if not self.sqlite:  # explicit ids were given: move the sequences past them
            cur = self.raw.cursor()
            for table in self.counts:
                if table in ("units", "plan_years", "meta"):  # natural keys, no sequence
                    continue
                cur.execute(f"SELECT pg_get_serial_sequence('{table}', 'id')")
                seq = cur.fetchone()[0]
                if seq:
                    cur.execute(f"SELECT setval('{seq}', (SELECT max(id) FROM {table}))")
            cur.close()
        self.raw.commit()
        self.raw.close()


# --- The sample's plan, the reference for every year ----------------------------------------------


def read_reference(src: Engine) -> dict:
    """Units, the 2023 plan (projects, targets, allocations by code) and milestones of the sample."""
    with src.connect() as conn:
        units = [dict(r._mapping) for r in conn.execute(select(Unit.__table__).order_by(Unit.sort_order))]
        year = conn.execute(select(PlanYear.__table__).where(PlanYear.year == 2023)).mappings().one()
        projects = [dict(r._mapping) for r in conn.execute(
            select(Project.__table__).where(Project.year == 2023).order_by(Project.sort_order))]
        code_of = {p["id"]: p["code"] for p in projects}
        targets = [dict(r._mapping) for r in conn.execute(
            select(Target.__table__).where(Target.year == 2023).order_by(Target.sort_order))]
        for t in targets:
            t["project_code"] = code_of[t["project_id"]]
            if isinstance(t["pace_curve"], str):
                t["pace_curve"] = json.loads(t["pace_curve"])
        alloc = {}
        for code, unit, value in conn.execute(
                select(Target.code, Allocation.unit_code, Allocation.value)
                .join(Target, Target.id == Allocation.target_id).where(Target.year == 2023)):
            alloc.setdefault(code, {})[unit] = float(value)
        milestones = [dict(r._mapping) for r in conn.execute(
            select(Milestone.__table__).where(Milestone.year == 2023).order_by(Milestone.code))]
        for m in milestones:
            m["project_code"] = code_of.get(m["project_id"])
    return {"units": units, "year": dict(year), "projects": projects, "targets": targets,
            "alloc": alloc, "milestones": milestones}


def with_extra_units(ref: dict) -> tuple[list[dict], dict[str, dict[str, float]], list[str]]:
    """The sample's units plus EXTRA_UNITS synthetic ones, each copying a field unit's allocations."""
    units = [dict(u) for u in ref["units"]]
    field = [u for u in units if u["kind"] != UNIT_CITY]
    alloc = {code: dict(per_unit) for code, per_unit in ref["alloc"].items()}
    order = max(u["sort_order"] for u in units)
    for i in range(EXTRA_UNITS):
        like = field[i % len(field)]
        code = f"4104{50 + i:02d}"  # not a real adcode of Pingdingshan
        units.append({"code": code, "name_zh": f"基准测试单位{i + 1:02d}", "name_en": f"Benchmark unit {i + 1:02d}",
                      "kind": UNIT_ZONE, "sort_order": order + i + 1, "seat_lat": like["seat_lat"],
                      "seat_lon": like["seat_lon"], "has_boundary": False, "active": True})
        for per_unit in alloc.values():
            if like["code"] in per_unit:
                per_unit[code] = per_unit[like["code"]]
    fields = [u["code"] for u in units if u["kind"] != UNIT_CITY]
    return units, alloc, fields


# --- The build ------------------------------------------------------------------------------------


class Build:
    def __init__(self, engine: Engine, ref: dict, seed: int = SEED):
        self.w = BulkWriter(engine)
        self.rng = np.random.default_rng(seed)
        self.ref = ref
        self.units, self.alloc, self.fields = with_extra_units(ref)
        self.unit_name = {u["code"]: u["name_zh"] for u in self.units}
        self.seat = {u["code"]: (u["seat_lat"], u["seat_lon"]) for u in self.units}
        # a unit's size: its share of T01 (cultural events), the broadest allocation
        sizes = np.array([self.alloc["T01"].get(u, 1.0) for u in self.fields])
        self.size = sizes / sizes.sum()
        self.perf = dict(zip([u["code"] for u in self.units],
                             self.rng.uniform(0.8, 1.15, len(self.units))))
        self.target_ids: dict[tuple[int, str], int] = {}
        self.next_batch = 1
        self.batches: list[tuple] = []

    def run(self) -> dict[str, int]:
        self.plan()
        progress = self.progress_batches()
        membership = self.membership_batches()
        self.w.write("import_batches", BATCH_COLUMNS, self.batches)
        self.w.write("progress_reports", PROGRESS_COLUMNS, self.progress(progress))
        self.w.write("facilities", FACILITY_COLUMNS, self.facilities())
        self.w.write("union_orgs", ORG_COLUMNS, self.union_orgs())
        self.w.write("ne_membership", NE_COLUMNS, self.membership(membership))
        self.w.write("meta", ["key", "value"], [("dataset", "sample"), ("benchmark_scale", "100x"),
                                                ("benchmark_seed", str(SEED))])
        self.w.finish()
        return self.w.counts

    # plan: every year a copy of the sample's 2023 plan
    def plan(self) -> None:
        w, ref = self.w, self.ref
        w.write("units", ["code", "name_zh", "name_en", "kind", "sort_order", "seat_lat", "seat_lon",
                          "has_boundary", "active"],
                [(u["code"], u["name_zh"], u["name_en"], u["kind"], u["sort_order"], u["seat_lat"],
                  u["seat_lon"], bool(u["has_boundary"]), bool(u["active"])) for u in self.units])
        y0 = ref["year"]
        w.write("plan_years", ["year", "title_zh", "title_en", "start_date", "end_date"],
                [(y, y0["title_zh"].replace("2023", str(y)), y0["title_en"].replace("2023", str(y)),
                  d(dt.date(y, 1, 1)), d(dt.date(y, 12, 31))) for y in YEARS])
        projects, targets, allocs, miles = [], [], [], []
        project_ids = {}
        for k, y in enumerate(YEARS):
            for p in ref["projects"]:
                pid = len(projects) + 1
                project_ids[(y, p["code"])] = pid
                projects.append((pid, y, p["code"], p["name_zh"], p["name_en"], p["sort_order"]))
            for t in ref["targets"]:
                tid = len(targets) + 1
                self.target_ids[(y, t["code"])] = tid
                per_unit = self.alloc.get(t["code"], {})
                value = sum(per_unit.values()) or t["value"]  # the plan is the allocations' sum
                curve = json.dumps(t["pace_curve"]) if t["pace_curve"] else None
                targets.append((tid, y, t["code"], project_ids[(y, t["project_code"])], t["name_zh"],
                                t["name_en"], t["unit_zh"], t["unit_en"], value, t["measure"], curve,
                                t["parent_code"], t["note_zh"], t["sort_order"]))
                for unit, v in per_unit.items():
                    allocs.append((len(allocs) + 1, tid, unit, v))
            for m in ref["milestones"]:
                due = m["due_date"]
                done = m["done_on"]
                miles.append((len(miles) + 1, y, m["code"], project_ids.get((y, m["project_code"])),
                              m["name_zh"], m["name_en"], d(shift_year(due, y)), m["status"],
                              d(shift_year(done, y)) if done else None, m["note_zh"]))
        w.write("projects", ["id", "year", "code", "name_zh", "name_en", "sort_order"], projects)
        w.write("targets", ["id", "year", "code", "project_id", "name_zh", "name_en", "unit_zh", "unit_en", "value",
                            "measure", "pace_curve", "parent_code", "note_zh", "sort_order"], targets)
        w.write("allocations", ["id", "target_id", "unit_code", "value"], allocs)
        w.write("milestones", ["id", "year", "code", "project_id", "name_zh", "name_en", "due_date",
                               "status", "done_on", "note_zh"], miles)

    def batch(self, kind: str, unit: str, name: str, uploaded: dt.datetime, rows: int,
              status: str = BATCH_APPROVED) -> int:
        bid = self.next_batch
        self.next_batch += 1
        reviewed = uploaded + dt.timedelta(hours=16) if status == BATCH_APPROVED else None
        self.batches.append((bid, kind, unit, name, f"{bid:064x}", f"填报员{unit}", ts(uploaded), rows, rows, 0,
                             status, "审核员" if reviewed else None, ts(reviewed) if reviewed else None))
        return bid

    # progress: one figure per unit, reported target and day
    def progress_batches(self) -> dict[tuple[str, dt.date], tuple[int, dt.datetime]]:
        """Weekly upload batches from BATCHED_FROM: (unit, day) -> (batch id, upload time)."""
        reported = [t["code"] for t in self.ref["targets"] if t["measure"] == MEASURE_REPORTED]
        last_day = dt.date(YEARS[-1], 12, 31)
        out = {}
        for y in YEARS:
            if y < BATCHED_FROM:
                continue
            days = list(days_of(y))
            for unit in [u["code"] for u in self.units]:
                n_targets = sum(1 for c in reported if unit in self.alloc.get(c, {}))
                if not n_targets:
                    continue
                for week in range(0, len(days), 7):
                    span = days[week:week + 7]
                    uploaded = dt.datetime.combine(span[-1], dt.time(18, 30))
                    status = BATCH_PENDING if span[-1] == last_day else BATCH_APPROVED
                    bid = self.batch("progress", unit, f"{unit}_{span[0]:%Y%m%d}.xlsx", uploaded,
                                     n_targets * len(span), status)
                    for day in span:
                        out[(unit, day)] = (bid, uploaded)
        return out

    def progress(self, batches):
        rng = self.rng
        pid = 0
        reporters = {u["code"]: [pick_name(rng), pick_name(rng)] for u in self.units}
        for y in YEARS:
            days = list(days_of(y))
            day_str = [d(x) for x in days]
            months = np.array([x.month for x in days])
            mdays = np.array([calendar.monthrange(y, x.month)[1] for x in days])
            for t in self.ref["targets"]:
                if t["measure"] != MEASURE_REPORTED:
                    continue
                tid = self.target_ids[(y, t["code"])]
                step = STEP.get(t["code"], 1)
                if t["pace_curve"]:
                    monthly = np.diff([0.0, *t["pace_curve"]])
                    share = monthly[months - 1] / mdays
                else:
                    share = np.full(len(days), 1 / len(days))
                for unit, a in self.alloc.get(t["code"], {}).items():
                    lam = a * self.perf[unit] * rng.uniform(0.9, 1.1) * share / step
                    values = rng.poisson(lam) * step
                    minutes = rng.integers(0, 180, len(days))
                    late = rng.random(len(days)) < 0.05
                    late_days = rng.integers(1, 4, len(days))
                    wrong = rng.random(len(days)) < CORRECTION_P
                    fix_days = rng.integers(2, 7, len(days))
                    who = rng.random(len(days)) < 0.1
                    for i, day in enumerate(days):
                        value = float(values[i])
                        in_batch = batches.get((unit, day))
                        if in_batch:
                            bid, at = in_batch
                        else:
                            bid = None
                            at = dt.datetime.combine(day + int(late[i]) * int(late_days[i]) * DAY,
                                                     dt.time(17)) + dt.timedelta(minutes=int(minutes[i]))
                        reporter = reporters[unit][int(who[i])]
                        if wrong[i]:  # first a wrong figure, then its correction, typed in later
                            bad = value + step * (1 + int(minutes[i]) % 5)
                            pid += 1
                            yield (pid, tid, unit, day_str[i], day_str[i], bad, reporter, ts(at), bid, None)
                            pid += 1
                            yield (pid, tid, unit, day_str[i], day_str[i], value, reporter,
                                   ts(at + int(fix_days[i]) * DAY), None, f"更正：原报{bad:g}，更正为{value:g}")
                        else:
                            pid += 1
                            yield (pid, tid, unit, day_str[i], day_str[i], value, reporter, ts(at), bid, None)

    # registries
    def point(self, units: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray]:
        lat0 = np.array([self.seat[u][0] for u in units])
        lon0 = np.array([self.seat[u][1] for u in units])
        n = len(units)
        return (np.round(lat0 + self.rng.normal(0, sigma, n), 6),
                np.round(lon0 + self.rng.normal(0, sigma * 1.2, n), 6))

    def facilities(self):
        rng, n = self.rng, N_FACILITIES
        units = rng.choice(self.fields, n, p=self.size)
        childcare = rng.random(n) < 0.35
        first = dt.date(2015, 1, 1)
        span = (dt.date(YEARS[-1], 12, 31) - first).days
        opened = [first + int(x) * DAY for x in (span * rng.beta(2.2, 1.0, n))]
        # childcare classes open for the holidays: move most of them into late June-July or January
        summer = rng.random(n) < 0.8
        shift = rng.integers(0, 45, n)
        closes = rng.random(n) < 0.06
        life = rng.integers(60, 1500, n)
        lat, lon = self.point(units, 0.03)
        capacity = rng.integers(20, 81, n)
        lag = rng.integers(0, 8, n)
        end = dt.date(YEARS[-1], 12, 31)
        for i in range(n):
            unit, day = str(units[i]), opened[i]
            if childcare[i]:
                if summer[i]:
                    day = dt.date(day.year, 6, 20) + int(shift[i]) * DAY
                else:
                    day = dt.date(day.year, 1, 5) + int(shift[i] % 20) * DAY
                kind, noun, services, cap = FACILITY_CHILDCARE, "爱心托管班", None, int(capacity[i])
            else:
                kind, noun, services, cap = FACILITY_CARE_STATION, "爱心驿站", "饮水、热饭、充电、休息", None
            closed = day + int(life[i]) * DAY if closes[i] else None
            status = "closed" if closed and closed <= end else "open"
            name = f"{self.unit_name[unit]}{noun}{i + 1:05d}号"
            yield (i + 1, kind, name, f"平顶山市{self.unit_name[unit]}示范路{i % 900 + 1}号",
                   f"{self.unit_name[unit]}第{i % 97 + 1}承办单位", unit, float(lat[i]), float(lon[i]),
                   d(day), d(closed) if closed else None, status, services, cap,
                   ts(dt.datetime.combine(day + int(lag[i]) * DAY, dt.time(10))), None)

    def union_orgs(self):
        rng, n = self.rng, N_UNION_ORGS
        units = rng.choice(self.fields, n, p=self.size)
        first = dt.date(2010, 1, 1)
        span = (dt.date(YEARS[-1], 12, 31) - first).days
        founded = span * rng.beta(2.5, 1.0, n)
        new_economy = rng.random(n) < 0.3
        sectors = ["企业", "机关事业", "社会组织", "村社区", "行业联合会"]
        sector = rng.integers(0, len(sectors), n)
        industries = list(PLATFORMS)
        industry = rng.integers(0, len(industries), n)
        platform = rng.integers(0, 3, n)
        members = rng.integers(10, 300, n)
        lag = rng.integers(0, 6, n)
        for i in range(n):
            unit, day = str(units[i]), first + int(founded[i]) * DAY
            if new_economy[i]:
                ind = industries[industry[i]]
                names = PLATFORMS[ind][0]
                plat = names[int(platform[i]) % len(names)]
                sec = "企业"
            else:
                ind = plat = None
                sec = sectors[sector[i]]
            recorded = dt.datetime.combine(day + int(lag[i]) * DAY, dt.time(11))
            yield (i + 1, f"{self.unit_name[unit]}第{i + 1:05d}基层工会", unit, d(day), sec, bool(new_economy[i]),
                   ind, plat, int(members[i]), ts(recorded), None)

    # new-economy membership: month x unit x (industry, platform) x version
    def combos(self) -> list[tuple[str, str]]:
        out = []
        for industry, (names, count) in PLATFORMS.items():
            short = industry[:2]
            out += [(industry, p) for p in names]
            out += [(industry, f"{short}平台{k:02d}") for k in range(1, count - len(names) + 1)]
        return out

    def membership_batches(self) -> dict[tuple[str, int, int], int]:
        """(unit, month index, version 0|1) -> batch id: a preliminary and a final upload a month."""
        months = all_months()
        n = len(self.combos())
        out = {}
        for mi, month in enumerate(months):
            end = add_month(month) - DAY
            for unit in self.fields:
                for version, lag in ((0, 3), (1, 20)):
                    at = dt.datetime.combine(end + lag * DAY, dt.time(17))
                    name = f"{unit}_{month:%Y%m}_v{version + 1}.xlsx"
                    out[(unit, mi, version)] = self.batch("membership", unit, name, at, n)
        return out

    def membership(self, batches):
        rng = self.rng
        months, combos, units = all_months(), self.combos(), self.fields
        nm, nu, nc = len(months), len(units), len(combos)
        weight = rng.gamma(1.5, 1.0, nc)
        m_i = np.repeat(np.arange(nm), nu * nc)
        u_i = np.tile(np.repeat(np.arange(nu), nc), nm)
        c_i = np.tile(np.arange(nc), nm * nu)
        growth = 1 + 0.05 * (m_i / 12)
        lam = 3.0 * growth * (self.size * len(units))[u_i] * weight[c_i]
        prelim = rng.poisson(lam)
        final = prelim + rng.integers(0, 3, len(lam))
        recheck = rng.random(len(lam)) < NE_RECHECK_P
        fixed = np.maximum(final + rng.integers(-2, 3, len(lam)), 0)
        month_s = [d(m) for m in months]
        v3_at = [ts(dt.datetime.combine(add_month(m) - DAY + 35 * DAY, dt.time(9))) for m in months]
        batch_at = {key: self.batches[bid - 1][6] for key, bid in batches.items()}
        rid = 0
        for version, values in ((0, prelim), (1, final)):
            for k in range(len(lam)):
                mi, unit = int(m_i[k]), units[u_i[k]]
                industry, platform = combos[c_i[k]]
                key = (unit, mi, version)
                rid += 1
                yield (rid, month_s[mi], unit, industry, platform, int(values[k]), batch_at[key], batches[key])
        for k in np.flatnonzero(recheck):
            mi, unit = int(m_i[k]), units[u_i[k]]
            industry, platform = combos[c_i[k]]
            rid += 1
            yield (rid, month_s[mi], unit, industry, platform, int(fixed[k]), v3_at[mi], None)


BATCH_COLUMNS = ["id", "kind", "unit_code", "file_name", "file_sha256", "uploaded_by", "uploaded_at",
                 "row_count", "rows_new", "rows_changed", "status", "reviewed_by", "reviewed_at"]
PROGRESS_COLUMNS = ["id", "target_id", "unit_code", "period_start", "period_end", "value", "reporter",
                    "recorded_at", "batch_id", "note"]
FACILITY_COLUMNS = ["id", "kind", "name", "address", "host_org", "unit_code", "lat", "lon", "opened_on",
                    "closed_on", "status", "services", "capacity", "recorded_at", "batch_id"]
ORG_COLUMNS = ["id", "name", "unit_code", "founded_on", "sector", "is_new_economy", "industry", "platform",
               "members_at_founding", "recorded_at", "batch_id"]
NE_COLUMNS = ["id", "month", "unit_code", "industry", "platform", "new_members", "recorded_at", "batch_id"]


def days_of(year: int):
    day = dt.date(year, 1, 1)
    while day.year == year:
        yield day
        day += DAY


def add_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def all_months() -> list[dt.date]:
    return [dt.date(y, m, 1) for y in YEARS for m in range(1, 13)]


def shift_year(day: dt.date, year: int) -> dt.date:
    return day.replace(year=year, day=min(day.day, calendar.monthrange(year, day.month)[1]))


def pick_name(rng) -> str:
    return SURNAMES[rng.integers(len(SURNAMES))] + GIVEN[rng.integers(len(GIVEN))]


# --- Entry points ---------------------------------------------------------------------------------


def sample_reference() -> dict:
    """The sample's plan, read back from an in-memory SQLite database loaded by load_sample."""
    src = make_engine("sqlite://")
    migrate.upgrade(src)
    load_sample(src)
    ref = read_reference(src)
    src.dispose()
    return ref


def build(url: str, scale: int) -> dict[str, int]:
    """(Re)build the database at `url`: scale 1 = the sample via load_sample, 100 = synthetic.
    Returns row counts of the main tables."""
    engine = fresh_engine(url)
    try:
        if scale == 1:
            load_sample(engine)
        else:
            Build(engine, sample_reference()).run()
            started = time.perf_counter()
            with engine.begin() as conn:  # the maintained aggregates (the sample loader makes its own)
                written = summary_writer.rebuild_all(conn)
            print(f"  aggregates rebuilt in {time.perf_counter() - started:.1f} s: {written}", flush=True)
        analyze(engine)
        return row_counts(engine)
    finally:
        engine.dispose()


def row_counts(engine: Engine) -> dict[str, int]:
    tables = ("units", "targets", "import_batches", "progress_reports", "facilities", "union_orgs",
              "ne_membership")
    with engine.connect() as conn:
        return {t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar() for t in tables}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="SQLAlchemy URL (PostgreSQL: with ?options=-csearch_path%%3D<schema>)")
    parser.add_argument("--scale", type=int, choices=(1, 100), default=100)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    counts = build(args.url, args.scale)
    print(f"built {args.scale}x in {time.perf_counter() - started:.1f} s: "
          + ", ".join(f"{k}={v:,}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
