"""Write the sample data set of the 鹰城工会看板 (plan year 2023) as CSV files.

Usage: python -m sample_data.generate [OUTPUT_DIR]     (default: sample_data/output)

Deterministic: one random.Random(2023), no clock, a fixed order of draws, so two runs give
byte-identical files. The fixed points (targets, 54 stations of 2022, 372 new-economy unions and
45万 members by 26 March 2023) come from the seed; everything else is invented around them.
See sample_data/README.md.
"""
from __future__ import annotations

import calendar
import csv
import datetime as dt
import json
import random
import sys
from functools import cache
from pathlib import Path
from typing import NamedTuple

from shapely import contains_xy
from shapely.geometry import shape

from data_access.schema.models import FACILITY_CARE_STATION, FACILITY_CHILDCARE, MEASURE_CARE_STATIONS, MEASURE_CHILDCARE, MEASURE_NE_MEMBERS, MEASURE_REPORTED, MEASURE_UNION_ORGS, UNIT_CITY, UNIT_COUNTY, UNIT_ZONE

from sample_data import places

SEED = 2023
YEAR = 2023
HERE = Path(__file__).resolve().parent
GEO_DIR = HERE / "geo"
DEFAULT_OUTPUT = HERE / "output"
DAY = dt.timedelta(days=1)

# --- Units -------------------------------------------------------------------------------------

CITY = "410400"
COUNTIES = ["410402", "410403", "410404", "410411", "410421",
            "410422", "410423", "410425", "410481", "410482"]
# Zones have no polygon: their points lie in the county they administer (seat chosen inside it).
ZONES = {
    "410471": {"name_zh": "高新区", "name_en": "High-tech Zone", "host": "410403", "seat": (33.7452, 113.3803)},
    "410472": {"name_zh": "城乡一体化示范区", "name_en": "Urban-Rural Integration Demonstration Zone",
               "host": "410402", "seat": (33.7640, 113.1905)},
}
FIELD_UNITS = COUNTIES + list(ZONES)  # the 12 units that report like counties
URBAN = {"410402", "410403", "410411", "410471", "410472"}

# Relative size (workforce) drives allocations; performance makes some units ahead, some behind.
SIZE = {"410402": 9, "410403": 7, "410404": 2, "410411": 7, "410421": 8, "410422": 10,
        "410423": 10, "410425": 8, "410481": 7, "410482": 12, "410471": 4, "410472": 4}
PERF = {"410402": 1.14, "410403": 1.03, "410404": 0.84, "410411": 1.02, "410421": 1.00,
        "410422": 0.88, "410423": 0.85, "410425": 0.99, "410481": 1.12, "410482": 1.13,
        "410471": 1.00, "410472": 1.02, CITY: 1.05}

# --- The plan (FACTS.md) -----------------------------------------------------------------------

PROJECTS = [
    ("P1", "思想政治引航工程", "Ideological guidance"),
    ("P2", "创新建功聚力工程", "Innovation and contribution"),
    ("P3", "和谐稳定保障工程", "Harmony and stability (rights protection)"),
    ("P4", "职工服务暖心工程", "Warm services for workers"),
    ("P5", "改革建设提质工程", "Reform and grassroots building"),
]



class TargetDef(NamedTuple):
    code: str
    project: str
    name_zh: str
    name_en: str
    value: int  # in the base unit
    unit_zh: str
    unit_en: str
    measure: str
    parent: str | None
    note_zh: str | None


TARGETS = [TargetDef(*t) for t in [
    ("T01", "P1", "群众性文化活动（千场文化活动进基层）", "Grassroots cultural events (1,000 events to the grassroots)",
     1000, "场次", "events", MEASURE_REPORTED, None,
     "送讲座、送培训、送书画、送电影、送文艺；市总本级示范性送文艺演出10场、名师大讲堂10场"),
    ("T02", "P1", "心理健康讲座进基层", "Mental-health lectures at the grassroots",
     100, "场", "lectures", MEASURE_REPORTED, None, "百场心理健康讲座进基层"),
    ("T03", "P2", "职业技能培训", "Vocational skills training",
     6000, "人", "people", MEASURE_REPORTED, None, "6000人以上"),
    ("T04", "P2", "乡村振兴劳模出彩行动：劳模、五一劳动奖章获得者等先进个人参与",
     "Rural revitalisation: model workers and May Day medallists taking part",
     700, "名", "people", MEASURE_REPORTED, None, "700名以上"),
    ("T05", "P2", "乡村振兴劳模出彩行动：先进集体参与", "Rural revitalisation: advanced collectives taking part",
     65, "个", "collectives", MEASURE_REPORTED, None, "原文作“65岁以上先进集体”，按65个理解"),
    ("T06", "P4", "职工子女爱心托管班", "Childcare classes for workers' children",
     50, "家", "classes", MEASURE_CHILDCARE, None, "假期托管服务"),
    ("T07", "P4", "新建户外劳动者爱心驿站", "New care stations for outdoor workers",
     50, "家", "stations", MEASURE_CARE_STATIONS, None, None),
    ("T08", "P4", "环卫工人免费早餐投入", "Free breakfasts for sanitation workers (funding)",
     600000, "元", "yuan", MEASURE_REPORTED, None, "原文60万元"),
    ("T09", "P5", "新建基层工会", "New grassroots unions",
     300, "家", "unions", MEASURE_UNION_ORGS, None, "力争"),
    ("T10", "P5", "新发展会员", "New union members",
     150000, "人", "people", MEASURE_REPORTED, None, "原文15万人"),
    ("T11", "P5", "其中新业态劳动者会员", "of which new-economy workers",
     15000, "人", "people", MEASURE_NE_MEMBERS, "T10", "原文1.5万人；含于T10"),
]]
REPORTED = [t.code for t in TARGETS if t.measure == MEASURE_REPORTED]

# Monthly shares of the year's work for seasonal targets; the stored pace curve is their running sum.
SEASONAL_SHARES = {
    # Spring Festival (Jan), May Day, National Day (Oct), New Year (Dec)
    "T01": [0.12, 0.06, 0.06, 0.09, 0.12, 0.07, 0.05, 0.05, 0.09, 0.11, 0.07, 0.11],
    # summer holiday classes open late June-July, a few for the winter holiday in January
    "T06": [0.10, 0.02, 0, 0, 0, 0.28, 0.52, 0.08, 0, 0, 0, 0],
    # sanitation workers' breakfasts are served mostly in the cold months
    "T08": [0.14, 0.12, 0.09, 0.06, 0.05, 0.04, 0.04, 0.04, 0.05, 0.08, 0.13, 0.16],
}

CITY_OWN = {"T01": 20, "T02": 10}  # 市总本级 stages 10 performances + 10 lectures; 10 psych lectures
ALLOC_STEP = {"T03": 10, "T08": 1000, "T10": 100, "T11": 10}  # round county targets
VALUE_STEP = {"T08": 100}  # breakfast money is reported in whole hundreds of yuan

# Year-end city totals of the reported targets (latest versions); T05 misses its 65.
YEAR_END = {"T01": 1040, "T02": 104, "T03": 6300, "T04": 720, "T05": 58, "T08": 610000, "T10": 152000}
STATIONS_2022, STATIONS_2023 = 54, 53  # T07: 50, exceeded
CLASSES_2022, CLASSES_2023 = 20, 46  # T06: 50, missed
UNIONS_2023 = 287  # T09: 300, missed
SEED_DATE = dt.date(2023, 3, 26)
NE_ORGS_BY_SEED_DATE = 372
MEMBERS_KNOWN_ON_SEED_DATE = 450000  # months complete and recorded by 26 March: 2019-01 .. 2023-02
MEMBERS_2022 = 12000
MEMBERS_2023_BASE = 13150  # plus the two anomalies ≈ 13800; T11: 15000, missed

MILESTONES = [
    # code, project, name_zh, name_en, due, status, done_on, note_zh
    ("M1", "P1", "职工经典诵读活动", "Workers' classic-reading contest", "2023-05-30", "done", "2023-05-30",
     "作品5月30日截止；长视频一等奖3名、二等奖5名、三等奖10名，短视频优秀奖20名"),
    ("M2", "P2", "全市产业工人队伍建设改革推进会", "City meeting on the reform of the industrial workforce",
     "2023-06-30", "done", "2023-06-16", None),
    ("M3", "P2", "第七届职工技术运动会", "7th Workers' Technical Games", "2023-11-30", "done", "2023-11-17",
     "技能竞赛分工种进行，决赛于11月中旬完成"),
    ("M4", "P2", "筹建河南省劳模学院", "Preparing the Henan Model Workers' Academy", "2023-12-31",
     "in_progress", None, "选址论证已完成，待省总工会批复"),
    ("M5", "P5", "河南省工人温泉疗养院改扩建", "Rebuilding and extending the Henan Workers' Hot-spring Sanatorium",
     "2023-10-31", "delayed", None, "二期主体工程受资金拨付影响推迟，预计2024年6月完工"),
    ("M6", "P1", "创建全国文明单位", "Becoming a National Civilised Unit", "2023-12-31", "in_progress", None,
     "已通过省级复核，待全国评选结果"),
]

# New-economy membership: industries and the platforms reported under each, with base weights.
NE_COMBOS = {
    ("外卖配送", "美团"): 14, ("外卖配送", "饿了么"): 8, ("外卖配送", "其他"): 2,
    ("快递", "顺丰"): 6, ("快递", "中通"): 7, ("快递", "韵达"): 6, ("快递", "京东"): 4,
    ("快递", "苏宁易购"): 1.5, ("快递", "其他"): 4,
    ("网约车", "滴滴"): 8, ("网约车", "曹操出行"): 2, ("网约车", "其他"): 3,
    ("货车司机", "满帮"): 12, ("货车司机", "其他"): 8,
    ("家政服务", "其他"): 6,
}
# One county's month jumps to a multiple of its trailing 12-month average (bulk sign-ups).
NE_ANOMALIES = {
    (dt.date(2023, 9, 1), "410481"): (5.0, ("货车司机", "满帮")),
    (dt.date(2023, 6, 1), "410411"): (4.0, ("外卖配送", "美团")),
}
NE_ORG_INDUSTRIES = {
    "外卖配送": ["美团", "饿了么"], "快递": ["顺丰", "中通", "韵达", "京东", "其他"],
    "物流与电商": ["京东", "苏宁易购", "其他"], "网约车": ["其他"], "家政服务": ["其他"], "货车司机": ["其他"],
}

# --- Small helpers -----------------------------------------------------------------------------


def split_integer(total: int, weights: list[float]) -> list[int]:
    """Split `total` in proportion to `weights` by largest remainder, so the parts sum exactly."""
    scale = total / sum(weights)
    raw = [w * scale for w in weights]
    parts = [int(r) for r in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: (parts[i] - raw[i], i))
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts


def split_by(total: int, weights: dict[str, float]) -> dict[str, int]:
    return dict(zip(weights, split_integer(total, list(weights.values()))))


def realise(rng: random.Random, alloc: dict[str, int], total: int, spread: float = 0.06) -> dict[str, int]:
    """Year-end achievements per unit: the allocation bent by each unit's performance, summing to `total`."""
    return split_by(total, {u: a * PERF[u] * rng.uniform(1 - spread, 1 + spread) for u, a in alloc.items()})


def days_between(start: dt.date, end: dt.date):
    return (start + i * DAY for i in range((end - start).days + 1))


def random_day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    """A random working day (Monday-Friday) in [start, end]."""
    while True:
        day = start + rng.randrange((end - start).days + 1) * DAY
        if day.weekday() < 5:
            return day


def day_in_month(rng: random.Random, year: int, month_weights: list[float]) -> dt.date:
    month = rng.choices(range(1, 13), weights=month_weights)[0]
    last = calendar.monthrange(year, month)[1]
    return random_day(rng, dt.date(year, month, 1), dt.date(year, month, last))


def at(day: dt.date, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, second)


def random_time(rng: random.Random, day: dt.date, first_hour: int, last_hour: int) -> dt.datetime:
    return at(day, rng.randint(first_hour, last_hour), rng.randrange(60), rng.randrange(60))


def person(rng: random.Random) -> str:
    return rng.choice(places.SURNAMES) + rng.choice(places.GIVEN_NAMES)


def unit_name(code: str) -> str:
    return ZONES[code]["name_zh"] if code in ZONES else divisions()[code]["name_zh"]


def unique(rng: random.Random, taken: set[str], draw) -> dict:
    """Call `draw(rng)` until the dict it returns has a new `name`; number a rare leftover clash."""
    for _ in range(40):
        item = draw(rng)
        if item["name"] not in taken:
            break
    base, n = item["name"], 2
    while item["name"] in taken:
        item["name"], n = f"{base}（{n}）", n + 1
    taken.add(item["name"])
    return item


@cache
def divisions() -> dict[str, dict[str, str]]:
    """divisions.csv by adcode: names and seat points of the county-level units."""
    with open(GEO_DIR / "divisions.csv", encoding="utf-8", newline="") as fh:
        return {row["adcode"]: row for row in csv.DictReader(fh)}

# --- Units and the plan ------------------------------------------------------------------------


def build_units() -> list[dict]:
    rows = []
    for order, code in enumerate(COUNTIES + list(ZONES) + [CITY], start=1):
        if code in ZONES:
            zone = ZONES[code]
            name_zh, name_en, kind, boundary = zone["name_zh"], zone["name_en"], UNIT_ZONE, False
            lat, lon = zone["seat"]
        elif code == CITY:
            name_zh, name_en, kind, boundary = "市总本级", "City federation (own events)", UNIT_CITY, False
            lat = lon = None
        else:
            div = divisions()[code]
            name_zh, name_en, kind, boundary = div["name_zh"], div["name_en"], UNIT_COUNTY, True
            lat, lon = float(div["seat_lat"]), float(div["seat_lon"])
        rows.append({"code": code, "name_zh": name_zh, "name_en": name_en, "kind": kind, "sort_order": order,
                     "seat_lat": lat, "seat_lon": lon, "has_boundary": boundary, "active": True})
    return rows


def pace_curve(code: str) -> list[float] | None:
    shares = SEASONAL_SHARES.get(code)
    if shares is None:
        return None
    running, curve = 0.0, []
    for share in shares:
        running += share
        curve.append(round(running, 3))
    curve[-1] = 1.0
    return curve


def build_plan() -> tuple[list[dict], list[dict], list[dict]]:
    years = [{"year": YEAR, "title_zh": "2023年全市工会工作：五大行动·十件实事",
              "title_en": "2023 union work plan: five projects, ten practical deeds",
              "start_date": dt.date(YEAR, 1, 1), "end_date": dt.date(YEAR, 12, 31)}]
    projects = [{"year": YEAR, "code": c, "name_zh": zh, "name_en": en, "sort_order": i}
                for i, (c, zh, en) in enumerate(PROJECTS, start=1)]
    targets = []
    for i, t in enumerate(TARGETS, start=1):
        curve = pace_curve(t.code)
        targets.append({"year": YEAR, "code": t.code, "project_code": t.project, "name_zh": t.name_zh,
                        "name_en": t.name_en, "unit_zh": t.unit_zh, "unit_en": t.unit_en, "value": t.value,
                        "measure": t.measure, "pace_curve": json.dumps(curve) if curve else None,
                        "parent_code": t.parent, "note_zh": t.note_zh, "sort_order": i})
    return years, projects, targets


def build_allocations() -> dict[str, dict[str, int]]:
    """Each target's county targets, in proportion to size, rounded to a step, summing exactly."""
    alloc = {}
    for t in TARGETS:
        own, step = CITY_OWN.get(t.code, 0), ALLOC_STEP.get(t.code, 1)
        shares = split_by((t.value - own) // step, {u: SIZE[u] for u in FIELD_UNITS})
        alloc[t.code] = {u: n * step for u, n in shares.items()}
        if own:
            alloc[t.code][CITY] = own
    return alloc


def build_milestones() -> list[dict]:
    return [{"year": YEAR, "code": c, "project_code": p, "name_zh": zh, "name_en": en,
             "due_date": dt.date.fromisoformat(due), "status": status,
             "done_on": dt.date.fromisoformat(done) if done else None, "note_zh": note}
            for c, p, zh, en, due, status, done, note in MILESTONES]


# --- Weekly progress reports -------------------------------------------------------------------

LATE_P = {"410422": 0.2, "410423": 0.2, CITY: 0.0}  # 叶县, 鲁山县 report late often
SKIP_P = {"410422": 0.04, "410423": 0.05, "410404": 0.03, CITY: 0.0}
CORRECTION_P = 0.02


def weekly_periods() -> list[tuple[dt.date, dt.date]]:
    """1-6 Jan, then Saturday-Friday weeks, the last one cut at 31 Dec."""
    periods, start, year_end = [], dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31)
    while start <= year_end:
        end = min(start + ((4 - start.weekday()) % 7) * DAY, year_end)  # 4 = Friday
        periods.append((start, end))
        start = end + DAY
    return periods


def period_shares(code: str, periods) -> list[float]:
    """Expected share of the year's work in each period, from the monthly shares (linear if none)."""
    monthly = SEASONAL_SHARES.get(code)
    def daily(day: dt.date) -> float:
        if monthly is None:
            return 1 / 365
        return monthly[day.month - 1] / calendar.monthrange(day.year, day.month)[1]
    return [sum(daily(d) for d in days_between(s, e)) for s, e in periods]


# The year's figures are closed on 31 December: late reports and corrections arrive by then, so the
# sample's latest report date (the dashboards' default as-of) is the plan year's last day.
LAST_CALL = dt.datetime(2023, 12, 31, 20, 0)


def submission_schedule(rng: random.Random, unit: str, periods, reporters: list[str]) -> list[dict | None]:
    """When (and by whom) a unit submits each week's figures; None for a skipped week."""
    schedule = []
    for i, (_start, end) in enumerate(periods):
        if i < len(periods) - 1 and rng.random() < SKIP_P.get(unit, 0.01):
            schedule.append(None)
            continue
        if rng.random() < LATE_P.get(unit, 0.035):
            recorded = random_time(rng, end + rng.randint(1, 4) * DAY, 8, 17)
        else:
            recorded = random_time(rng, end, 15, 18)
        recorded = min(recorded, LAST_CALL)
        schedule.append({"at": recorded, "by": reporters[1] if rng.random() < 0.1 else reporters[0]})
    return schedule


def mistaken(rng: random.Random, value: int, step: int) -> int:
    """A plausible wrong figure that a later correction replaces."""
    delta = max(1, round(value * rng.uniform(0.1, 0.5) / step)) * step
    return value - delta if value >= delta and rng.random() < 0.5 else value + delta


def correction_note(wrong: int, right: int) -> str:
    if wrong > right:
        return f"更正：原报{wrong}含重复统计，核减为{right}"
    return f"更正：补录漏报，原报{wrong}，更正为{right}"


def unit_series(rng, code, unit, steps, shares, periods, schedule) -> list[dict]:
    """One unit's weekly rows for one target (`steps` value steps in the year): noisy around the
    pace, a skipped week carried into the next report."""
    step = VALUE_STEP.get(code, 1)
    weekly = split_integer(steps, [s * rng.gammavariate(2.0, 0.5) for s in shares])
    rows, carried, missed = [], 0, None
    for (start, end), amount, sub in zip(periods, weekly, schedule):
        if sub is None:
            carried, missed = carried + amount, missed or (start, end)
            continue
        value = (amount + carried) * step
        note = f"含{missed[0]:%m-%d}至{missed[1]:%m-%d}未报数据" if missed else None
        carried, missed = 0, None
        row = {"target_code": code, "unit_code": unit, "period_start": start, "period_end": end,
               "value": value, "reporter": sub["by"], "recorded_at": sub["at"], "note": note}
        if rng.random() < CORRECTION_P:
            wrong = mistaken(rng, value, step)
            fixed_at = min(random_time(rng, sub["at"].date() + rng.randint(2, 7) * DAY, 9, 17),
                           LAST_CALL + dt.timedelta(hours=1))
            rows.append({**row, "value": wrong})
            row = {**row, "recorded_at": fixed_at, "note": correction_note(wrong, value)}
        rows.append(row)
    return rows


def build_progress(rng: random.Random, alloc: dict[str, dict[str, int]]) -> list[dict]:
    periods = weekly_periods()
    shares = {code: period_shares(code, periods) for code in REPORTED}
    steps = {code: realise(rng, alloc[code], YEAR_END[code] // VALUE_STEP.get(code, 1)) for code in REPORTED}
    rows = []
    for unit in FIELD_UNITS + [CITY]:
        reporters = [person(rng), person(rng)]
        schedule = submission_schedule(rng, unit, periods, reporters)
        for code in REPORTED:
            if unit in steps[code]:
                rows += unit_series(rng, code, unit, steps[code][unit], shares[code], periods, schedule)
    order = {u: i for i, u in enumerate(FIELD_UNITS + [CITY])}
    rows.sort(key=lambda r: (r["period_end"], order[r["unit_code"]], r["target_code"], r["recorded_at"]))
    return rows


# --- Facilities (care stations and childcare classes) ------------------------------------------


def load_polygons() -> dict[str, object]:
    with open(GEO_DIR / "pingdingshan_counties.geojson", encoding="utf-8") as fh:
        features = json.load(fh)["features"]
    return {str(f["properties"]["adcode"]): shape(f["geometry"]) for f in features}


class Locator:
    """Random points near a unit's seat that stay inside the county polygon that holds the unit."""

    def __init__(self, units: list[dict]):
        self.polygons = load_polygons()
        self.seats = {u["code"]: (u["seat_lat"], u["seat_lon"]) for u in units}

    def point(self, rng: random.Random, unit: str, sigma: float) -> tuple[float, float]:
        polygon = self.polygons[ZONES[unit]["host"] if unit in ZONES else unit]
        lat0, lon0 = self.seats[unit]
        while True:
            lat, lon = round(rng.gauss(lat0, sigma), 6), round(rng.gauss(lon0, sigma * 1.2), 6)
            if contains_xy(polygon, lon, lat):
                return lat, lon


def place_for(rng: random.Random, unit: str, near: bool) -> tuple[str, str]:
    """(place name, address): a street near the seat, or a village in a township further out."""
    vocab, prefix = places.UNIT_PLACES[unit], "平顶山市" + unit_name(unit)
    if near:
        street = rng.choice(vocab["streets"])
        return street, f"{prefix}{street}{rng.randint(1, 399)}号"
    town = rng.choice(vocab["towns"])
    return town, f"{prefix}{town}{rng.choice(places.VILLAGES)}村"


def draw_station(rng: random.Random, unit: str) -> dict:
    near = rng.random() < 0.8
    place, address = place_for(rng, unit, near)
    hosts = [h for h in places.STATION_HOSTS if near or "街道" not in h[0]]  # no "…镇街道总工会"
    template, host = rng.choice(hosts)
    county = unit_name(unit)
    return {"name": template.format(place=place, county=county), "address": address,
            "host_org": host.format(county=county, place=place), "near": near,
            "services": rng.choice(places.STATION_SERVICES), "capacity": None}


def draw_childcare(rng: random.Random, unit: str) -> dict:
    near = rng.random() < 0.5
    place, address = place_for(rng, unit, near)
    county = unit_name(unit)
    if near:  # run by a workplace, the county federation or a community
        runner = rng.choice(places.UNIT_PLACES[unit]["employers"] + [f"{county}总工会", f"{county}{place}社区"])
        name, host = f"{runner}职工子女爱心托管班", runner if runner.endswith("总工会") else f"{runner}工会"
    elif place.endswith("街道"):  # run by the sub-district's union
        name, host = f"{county}{place}职工子女爱心托管班", f"{county}{place}总工会"
    else:  # a township school lends its rooms
        name, host = f"{county}{place}中心校职工子女爱心托管班", f"{county}{place}中心学校"
    return {"name": name, "address": address, "host_org": host, "near": near,
            "services": None, "capacity": rng.randrange(30, 121, 5)}


DRAW = {FACILITY_CARE_STATION: draw_station, FACILITY_CHILDCARE: draw_childcare}
# Spread (degrees) of points around the seat: (near, urban) -> sigma
SPREAD = {(True, True): 0.012, (True, False): 0.02, (False, True): 0.03, (False, False): 0.075}


def facility_row(rng, kind, unit, opened, taken, locator, paused_p) -> dict:
    item = unique(rng, taken, lambda r: DRAW[kind](r, unit))
    lat, lon = locator.point(rng, unit, SPREAD[item["near"], unit in URBAN])
    lag = rng.randint(1, 10) if rng.random() < 0.15 else 0  # some are entered days later
    recorded = random_time(rng, opened + lag * DAY, 9, 17) if lag else at(opened, 10)
    recorded = min(recorded, LAST_CALL) if opened.year == YEAR else recorded
    return {"kind": kind, "name": item["name"], "address": item["address"], "host_org": item["host_org"],
            "unit_code": unit, "lat": lat, "lon": lon, "opened_on": opened, "closed_on": None,
            "status": "paused" if rng.random() < paused_p else "open",
            "services": item["services"], "capacity": item["capacity"], "recorded_at": recorded}


def childcare_day_2023(rng: random.Random) -> dt.date:
    """Mostly the summer holiday (late June-July), a few for the winter holiday, a few in August."""
    r = rng.random()
    if r < 0.11:
        return random_day(rng, dt.date(YEAR, 1, 9), dt.date(YEAR, 1, 20))
    if r < 0.95:
        return random_day(rng, dt.date(YEAR, 6, 19), dt.date(YEAR, 7, 28))
    return random_day(rng, dt.date(YEAR, 8, 1), dt.date(YEAR, 8, 11))


def build_facilities(rng: random.Random, alloc, locator: Locator) -> list[dict]:
    # outdoor workers gather in town, so the urban districts got more of 2022's stations
    station_weight = {u: SIZE[u] * (2.0 if u in URBAN else 1.0) for u in FIELD_UNITS}
    batches = [  # kind, count per unit, opening day, share paused
        (FACILITY_CARE_STATION, split_by(STATIONS_2022, station_weight),
         lambda r: random_day(r, dt.date(2022, 3, 1), dt.date(2022, 12, 20)), 0.06),
        (FACILITY_CARE_STATION, realise(rng, alloc["T07"], STATIONS_2023),
         lambda r: day_in_month(r, YEAR, [1, 2, 4, 6, 7, 7, 6, 4, 4, 3, 3, 2]), 0.02),
        (FACILITY_CHILDCARE, split_by(CLASSES_2022, {u: SIZE[u] for u in FIELD_UNITS}),
         lambda r: random_day(r, dt.date(2022, 6, 27), dt.date(2022, 7, 15)), 0.05),
        (FACILITY_CHILDCARE, realise(rng, alloc["T06"], CLASSES_2023), childcare_day_2023, 0.02),
    ]
    taken: set[str] = set()
    rows = []
    for kind, counts, opening_day, paused_p in batches:
        for unit, n in counts.items():
            rows += [facility_row(rng, kind, unit, opening_day(rng), taken, locator, paused_p)
                     for _ in range(n)]
    order = {u: i for i, u in enumerate(FIELD_UNITS)}
    rows.sort(key=lambda r: (r["kind"], r["opened_on"], order[r["unit_code"]], r["name"]))
    return rows


# --- Grassroots unions -------------------------------------------------------------------------

SECTOR_WEIGHTS = {"企业": 50, "村社区": 20, "社会组织": 12, "机关事业": 8, "行业联合会": 10}
NE_SITE = {"外卖配送": "外卖站点", "快递": "快递网点", "物流与电商": "物流营业部",
           "网约车": "网约车司机之家", "家政服务": "家政服务站", "货车司机": "货车司机之家"}
NE_SHARE_2023 = 0.18  # of the year's new unions, those among new-economy workers


def draw_union(rng: random.Random, unit: str) -> dict:
    county = unit_name(unit)
    vocab = places.UNIT_PLACES[unit]
    sector = rng.choices(list(SECTOR_WEIGHTS), weights=list(SECTOR_WEIGHTS.values()))[0]
    if sector == "企业":
        prefix = "平顶山" if unit in URBAN else county
        company = f"{prefix}{rng.choice(places.COMPANY_WORDS)}{rng.choice(places.COMPANY_TRADES)}有限公司"
        name, members = f"{company}工会委员会", rng.randint(8, 260)
    elif sector == "村社区":
        name = f"{county}{rng.choice(vocab['towns'])}{rng.choice(places.VILLAGES)}村工会联合会"
        members = rng.randint(20, 150)
    elif sector == "社会组织":
        name, members = f"{county}{rng.choice(places.ASSOCIATIONS)}工会", rng.randint(10, 120)
    elif sector == "机关事业":
        name, members = f"{county}{rng.choice(places.PUBLIC_BODIES)}工会委员会", rng.randint(15, 200)
    else:
        name, members = f"{county}{rng.choice(places.COMPANY_TRADES)}行业工会联合会", rng.randint(60, 600)
    return {"name": name, "sector": sector, "members": members, "industry": None, "platform": None}


def draw_new_economy_union(rng: random.Random, unit: str) -> dict:
    county = unit_name(unit)
    industry = rng.choice(list(NE_ORG_INDUSTRIES))
    platform = rng.choice(NE_ORG_INDUSTRIES[industry])
    if rng.random() < 0.15:  # an industry federation rather than one site's union
        return {"name": f"{county}{industry}行业工会联合会", "sector": "行业联合会",
                "members": rng.randint(80, 900), "industry": industry, "platform": platform}
    vocab = places.UNIT_PLACES[unit]
    place = rng.choice(vocab["streets"] + vocab["towns"])
    brand = "" if platform == "其他" else platform
    return {"name": f"{brand}{county}{place}{NE_SITE[industry]}工会", "sector": "企业",
            "members": rng.randint(12, 160), "industry": industry, "platform": platform}


def union_row(rng, unit, founded, taken, new_economy: bool) -> dict:
    draw = draw_new_economy_union if new_economy else draw_union
    item = unique(rng, taken, lambda r: draw(r, unit))
    return {"name": item["name"], "unit_code": unit, "founded_on": founded, "sector": item["sector"],
            "is_new_economy": new_economy, "industry": item["industry"], "platform": item["platform"],
            "members_at_founding": item["members"],
            "recorded_at": min(random_time(rng, founded + rng.randint(0, 7) * DAY, 9, 17),
                               LAST_CALL if founded.year == YEAR else dt.datetime.max)}


def build_union_orgs(rng: random.Random, alloc) -> list[dict]:
    """2023's new unions, then enough older new-economy unions for the seed's 372 by 26 March 2023."""
    taken: set[str] = set()
    rows = []
    for unit, n in realise(rng, alloc["T09"], UNIONS_2023).items():
        for _ in range(n):
            founded = day_in_month(rng, YEAR, [6, 7, 10, 10, 10, 10, 9, 9, 10, 9, 10, 11])
            rows.append(union_row(rng, unit, founded, taken, rng.random() < NE_SHARE_2023))
    early_2023 = sum(r["is_new_economy"] and r["founded_on"] <= SEED_DATE for r in rows)
    weights = {u: SIZE[u] * (1.5 if u in URBAN else 1.0) for u in FIELD_UNITS}
    years = {2016: 3, 2017: 6, 2018: 14, 2019: 20, 2020: 18, 2021: 20, 2022: 19}
    for unit, n in split_by(NE_ORGS_BY_SEED_DATE - early_2023, weights).items():
        for _ in range(n):
            year = rng.choices(list(years), weights=list(years.values()))[0]
            founded = random_day(rng, dt.date(year, 1, 1), dt.date(year, 12, 31))
            rows.append(union_row(rng, unit, founded, taken, True))
    # The seed counts 372 as known on 26 March: none of them may be recorded after that day.
    latest = at(SEED_DATE, 17)
    for r in rows:
        if r["is_new_economy"] and r["founded_on"] <= SEED_DATE and r["recorded_at"] > latest:
            r["recorded_at"] = latest
    order = {u: i for i, u in enumerate(FIELD_UNITS)}
    rows.sort(key=lambda r: (r["founded_on"], order[r["unit_code"]], r["name"]))
    return rows


# --- New-economy membership --------------------------------------------------------------------

MONTH_WEIGHTS = [0.8, 0.6, 1.0, 1.1, 1.2, 1.1, 1.0, 1.0, 1.1, 1.1, 1.0, 1.0]  # Spring Festival dip
EARLY_YEARS = {2019: 0.40, 2020: 0.33, 2021: 0.27}  # the big sign-up drives, tapering off


def monthly(rng: random.Random, total: int) -> list[int]:
    return split_integer(total, [w * rng.uniform(0.85, 1.15) for w in MONTH_WEIGHTS])


def city_months(rng: random.Random) -> dict[dt.date, int]:
    """City intake per month, with 2019-2021 sized so that the total known on the seed's date (26 March
    2023) is its 45万: every month through February 2023 (March's figures are recorded on 31 March)."""
    by_year = {2023: monthly(rng, MEMBERS_2023_BASE), 2022: monthly(rng, MEMBERS_2022)}
    early = MEMBERS_KNOWN_ON_SEED_DATE - sum(by_year[2022]) - sum(by_year[2023][:2])
    for year, total in zip(EARLY_YEARS, split_integer(early, list(EARLY_YEARS.values()))):
        by_year[year] = monthly(rng, total)
    return {dt.date(y, m, 1): by_year[y][m - 1] for y in sorted(by_year) for m in range(1, 13)}


def combo_weights(unit: str) -> dict[tuple[str, str], float]:
    """Delivery and ride-hailing sign up in town; truck drivers in the counties."""
    bias = {"外卖配送": 1.4, "网约车": 1.4, "货车司机": 0.5} if unit in URBAN else \
           {"外卖配送": 0.7, "网约车": 0.5, "货车司机": 1.6}
    return {combo: w * bias.get(combo[0], 1.0) for combo, w in NE_COMBOS.items()}


def build_membership(rng: random.Random, alloc) -> list[dict]:
    history: dict[str, list[int]] = {u: [] for u in FIELD_UNITS}
    rows = []
    for month, city_total in city_months(rng).items():
        base = {u: (alloc["T11"][u] * PERF[u] if month.year >= 2022 else SIZE[u]) for u in FIELD_UNITS}
        by_unit = split_by(city_total, {u: w * rng.uniform(0.85, 1.15) for u, w in base.items()})
        last_day = month.replace(day=calendar.monthrange(month.year, month.month)[1])
        for unit, total in by_unit.items():
            weights = {c: w * rng.uniform(0.7, 1.3) for c, w in combo_weights(unit).items()}
            by_combo = dict(zip(weights, split_integer(total, list(weights.values()))))
            if (month, unit) in NE_ANOMALIES:
                factor, combo = NE_ANOMALIES[month, unit]
                jump = round(factor * sum(history[unit][-12:]) / 12) - total
                by_combo[combo] += jump
                total += jump
            history[unit].append(total)
            rows += [{"month": month, "unit_code": unit, "industry": industry, "platform": platform,
                      "new_members": n, "recorded_at": at(last_day, 17)}
                     for (industry, platform), n in by_combo.items()]
    return rows


# --- Output ------------------------------------------------------------------------------------


def cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def write_csv(path: Path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(rows[0].keys())
        writer.writerows([cell(v) for v in row.values()] for row in rows)


def build_tables() -> dict[str, list[dict]]:
    rng = random.Random(SEED)
    units = build_units()
    years, projects, targets = build_plan()
    alloc = build_allocations()
    return {
        "units.csv": units,
        "plan_years.csv": years,
        "projects.csv": projects,
        "targets.csv": targets,
        "allocations.csv": [{"target_code": t, "unit_code": u, "value": v}
                            for t, shares in alloc.items() for u, v in shares.items()],
        "milestones.csv": build_milestones(),
        "progress_reports.csv": build_progress(rng, alloc),
        "facilities.csv": build_facilities(rng, alloc, Locator(units)),
        "union_orgs.csv": build_union_orgs(rng, alloc),
        "ne_membership.csv": build_membership(rng, alloc),
    }


def generate(out_dir: Path = DEFAULT_OUTPUT) -> dict[str, int]:
    """Write every sample CSV into `out_dir`; return the row count per file."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name, rows in build_tables().items():
        write_csv(out_dir / name, rows)
        counts[name] = len(rows)
    return counts


def main(argv: list[str]) -> None:
    out_dir = Path(argv[0]) if argv else DEFAULT_OUTPUT
    for name, n in generate(out_dir).items():
        print(f"{name:22} {n:6d} rows")
    print(f"written to {out_dir}")


if __name__ == "__main__":
    main(sys.argv[1:])
