"""The committed sample data keeps the seed's facts, is reproducible, and loads safely."""
from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from shapely import contains_xy
from shapely.geometry import shape
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from data_access import sample_loader
from data_access.db import make_engine
from data_access.errors import DataAccessError
from data_access.schema.models import Base
from data_access.sample_loader import load_sample, sample_data_dir
from data_access.schema.migrate import upgrade
from sample_data import generate

OUTPUT = sample_data_dir()
GEO = OUTPUT.parent / "geo"
ZONE_HOST = {"410471": "410403", "410472": "410402"}  # 高新区 in 卫东区, 示范区 in 新华区 (on the map)

# FACTS.md, in base units: code -> (value, unit, measure, parent)
SEED_TARGETS = {
    "T01": (1000, "场次", "reported", None),
    "T02": (100, "场", "reported", None),
    "T03": (6000, "人", "reported", None),
    "T04": (700, "名", "reported", None),
    "T05": (65, "个", "reported", None),
    "T06": (50, "家", "facility:childcare_class", None),
    "T07": (50, "家", "facility:care_station", None),
    "T08": (600000, "元", "reported", None),
    "T09": (300, "家", "registry:union_orgs", None),
    "T10": (150000, "人", "reported", None),
    "T11": (15000, "人", "registry:ne_membership", "T10"),
}

# Each (target, unit, period) counts once, at its latest version.
LATEST_REPORTS = """
    SELECT t.code, SUM(p.value) FROM progress_reports p JOIN targets t ON t.id = p.target_id
    WHERE p.recorded_at = (SELECT MAX(q.recorded_at) FROM progress_reports q
                           WHERE q.target_id = p.target_id AND q.unit_code = p.unit_code
                             AND q.period_start = p.period_start)
    GROUP BY t.code
"""
YEAR_END_COUNTS = {
    "T06": "SELECT COUNT(*) FROM facilities WHERE kind = 'childcare_class' AND opened_on >= '2023-01-01'",
    "T07": "SELECT COUNT(*) FROM facilities WHERE kind = 'care_station' AND opened_on >= '2023-01-01'",
    "T09": "SELECT COUNT(*) FROM union_orgs WHERE founded_on BETWEEN '2023-01-01' AND '2023-12-31'",
    "T11": "SELECT SUM(new_members) FROM ne_membership WHERE month BETWEEN '2023-01-01' AND '2023-12-01'",
}


def fresh_engine(folder: Path):
    engine = make_engine(f"sqlite:///{folder / 'kpi.sqlite3'}")
    upgrade(engine)
    return engine


def snapshot(engine) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order."""
    with engine.connect() as conn:
        return {t.name: conn.execute(select(t).order_by(*t.primary_key.columns)).all()
                for t in Base.metadata.sorted_tables}


@pytest.fixture(scope="module")
def conn(tmp_path_factory):
    engine = fresh_engine(tmp_path_factory.mktemp("sample"))
    assert load_sample(engine) == "loaded"
    with engine.connect() as connection:
        yield connection
    engine.dispose()


def scalar(conn, sql: str):
    return conn.execute(text(sql)).scalar()


# --- The seed's facts ---------------------------------------------------------------------------


def test_targets_are_the_seeds(conn):
    rows = conn.execute(text("SELECT code, value, unit_zh, measure, parent_code FROM targets "
                             "WHERE year = 2023 ORDER BY sort_order")).all()
    assert {code: tuple(rest) for code, *rest in rows} == SEED_TARGETS


def test_allocations_add_up_to_each_target(conn):
    rows = conn.execute(text("SELECT t.code, t.value, SUM(a.value), COUNT(*) FROM targets t "
                             "JOIN allocations a ON a.target_id = t.id GROUP BY t.code, t.value")).all()
    assert {code: (total, n) for code, _v, total, n in rows} == {
        code: (value, 13 if code in ("T01", "T02") else 12) for code, (value, *_r) in SEED_TARGETS.items()}
    own = conn.execute(text("SELECT t.code, a.value FROM allocations a JOIN targets t ON t.id = a.target_id "
                            "WHERE a.unit_code = '410400'")).all()
    assert dict(own)["T01"] == 20


def test_fixed_points_from_the_seed(conn):
    assert scalar(conn, "SELECT COUNT(*) FROM facilities WHERE kind = 'care_station' "
                        "AND opened_on BETWEEN '2022-01-01' AND '2022-12-31' AND closed_on IS NULL") == 54
    assert scalar(conn, "SELECT COUNT(*) FROM union_orgs WHERE is_new_economy "
                        "AND founded_on <= '2023-03-26'") == 372
    assert scalar(conn, "SELECT SUM(new_members) FROM ne_membership WHERE month <= '2023-02-01'") == 450000
    assert scalar(conn, "SELECT SUM(new_members) FROM ne_membership WHERE month = '2023-03-01'") == 958


def test_year_end_outcomes(conn):
    actual = {code: total for code, total in conn.execute(text(LATEST_REPORTS)).all()}
    actual |= {code: scalar(conn, sql) for code, sql in YEAR_END_COUNTS.items()}
    missed = {code for code, (value, *_r) in SEED_TARGETS.items() if actual[code] < value}
    assert missed == {"T05", "T06", "T09", "T11"}
    assert actual["T07"] == 53
    expected = {"T01": 1040, "T02": 104, "T03": 6300, "T04": 720, "T05": 58, "T08": 610000,
                "T10": 152000, "T11": 13800}
    for code, value in expected.items():
        assert actual[code] == pytest.approx(value, rel=0.03), code


def test_reports_are_whole_and_some_corrected(conn):
    assert scalar(conn, "SELECT COUNT(*) FROM progress_reports WHERE value < 0 OR value <> ROUND(value)") == 0
    assert scalar(conn, "SELECT COUNT(*) FROM progress_reports p JOIN targets t ON t.id = p.target_id "
                        "WHERE t.code = 'T08' AND p.value % 100 <> 0") == 0
    corrections = scalar(conn, "SELECT COUNT(*) FROM progress_reports WHERE note LIKE '更正：%'")
    versions = scalar(conn, "SELECT COUNT(*) FROM (SELECT 1 FROM progress_reports GROUP BY target_id, "
                            "unit_code, period_start HAVING COUNT(*) > 1) AS v")
    assert corrections == versions > 50


def test_lushan_and_ye_report_late_most(conn):
    rows = conn.execute(text("SELECT unit_code, AVG(CASE WHEN DATE(recorded_at) > period_end THEN 1.0 "
                             "ELSE 0 END) FROM progress_reports WHERE note IS NULL OR note NOT LIKE '更正%' "
                             "GROUP BY unit_code ORDER BY 2 DESC")).all()
    assert {rows[0][0], rows[1][0]} == {"410422", "410423"}


def test_every_facility_lies_in_its_county(conn):
    with open(GEO / "pingdingshan_counties.geojson", encoding="utf-8") as fh:
        polygons = {str(f["properties"]["adcode"]): shape(f["geometry"]) for f in json.load(fh)["features"]}
    outside = [(name, unit) for name, unit, lat, lon in
               conn.execute(text("SELECT name, unit_code, lat, lon FROM facilities")).all()
               if not contains_xy(polygons[ZONE_HOST.get(unit, unit)], lon, lat)]
    assert outside == []


# --- Reproducible output ------------------------------------------------------------------------


def test_generator_is_deterministic_and_matches_the_committed_files(tmp_path):
    generate.generate(tmp_path / "a")
    generate.generate(tmp_path / "b")
    names = sorted(p.name for p in OUTPUT.glob("*.csv"))
    assert names == sorted(p.name for p in (tmp_path / "a").iterdir()) == sorted(sample_loader.FILES)
    for name in names:
        committed = (OUTPUT / name).read_bytes()
        assert (tmp_path / "a" / name).read_bytes() == committed, name
        assert (tmp_path / "b" / name).read_bytes() == committed, name


# --- Loading ------------------------------------------------------------------------------------


def test_second_load_changes_nothing(tmp_path):
    engine = fresh_engine(tmp_path)
    assert load_sample(engine) == "loaded"
    before = snapshot(engine)
    assert load_sample(engine) == "unchanged"
    assert snapshot(engine) == before
    assert dict(before["meta"])["dataset"] == "sample"


def test_refuses_a_database_with_other_plan_data(tmp_path):
    engine = fresh_engine(tmp_path)
    load_sample(engine)
    with engine.begin() as c:
        c.execute(text("DELETE FROM meta"))
    before = snapshot(engine)
    with pytest.raises(DataAccessError, match="已有非示例数据"):
        load_sample(engine)
    assert snapshot(engine) == before


def corrupt(folder: Path, name: str, line: int, column: str, value: str) -> None:
    path = folder / name
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    rows[line - 1][rows[0].index(column)] = value
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


@pytest.mark.parametrize("name, line, column, value, message", [
    ("facilities.csv", 7, "lat", "北纬33度", "facilities.csv 第 7 行：「lat」列"),
    ("ne_membership.csv", 9000, "unit_code", "410499", "ne_membership.csv 第 9000 行：「unit_code」列"),
    ("progress_reports.csv", 3, "period_end", "2023-02-30", "progress_reports.csv 第 3 行：「period_end」列"),
])
def test_a_broken_cell_is_named_and_nothing_changes(tmp_path, name, line, column, value, message):
    folder = tmp_path / "output"
    shutil.copytree(OUTPUT, folder)
    corrupt(folder, name, line, column, value)
    engine = fresh_engine(tmp_path)
    before = snapshot(engine)
    with pytest.raises(DataAccessError, match=message):
        load_sample(engine, folder)
    assert snapshot(engine) == before


def test_a_missing_column_is_named(tmp_path):
    folder = tmp_path / "output"
    shutil.copytree(OUTPUT, folder)
    content = (folder / "targets.csv").read_text(encoding="utf-8").replace(",measure,", ",measures,", 1)
    (folder / "targets.csv").write_text(content, encoding="utf-8")
    with pytest.raises(DataAccessError, match="targets.csv 第 1 行：缺少列「measure」"):
        load_sample(fresh_engine(tmp_path), folder)


def test_a_failure_while_writing_rolls_everything_back(tmp_path, monkeypatch):
    engine = fresh_engine(tmp_path)
    before = snapshot(engine)

    def fail(*_args):
        raise OperationalError("INSERT INTO meta", {}, Exception("disk I/O error"))

    monkeypatch.setattr(sample_loader, "_write_meta", fail)  # after every data row is in
    with pytest.raises(DataAccessError, match="数据库未改动：disk I/O error"):
        load_sample(engine)
    assert snapshot(engine) == before


def test_loads_on_every_backend(engine):
    """SQLite and PostgreSQL (conftest's `engine`): linear targets get SQL NULL, not JSON 'null'."""
    assert load_sample(engine) == "loaded"
    with engine.connect() as c:
        linear = c.execute(text("SELECT code FROM targets WHERE pace_curve IS NULL ORDER BY code")).scalars()
        linear = list(linear)
    assert linear == ["T02", "T03", "T04", "T05", "T07", "T09", "T10", "T11"]
    before = snapshot(engine)
    assert load_sample(engine) == "unchanged"
    assert snapshot(engine) == before
