"""The geography (one boundary file, named by settings.boundary_file, read by data_access/geo.py for
the map and the importer; the zones from the units table) and the status styles (one table of
words, colours and icons for badges, charts and the map)."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from data_access import geo, settings
from data_access.errors import DataAccessError
from data_access.kpis.metrics import (ALL_STATUSES, FINAL_STATUSES, STATUS_AHEAD, STATUS_BEHIND, STATUS_MET,
                                      STATUS_MISSED, STATUS_NOT_STARTED, STATUS_ON_PACE)
from data_access.reporting import geo as validation
from dashboard.charts import map_layers
from dashboard.i18n import tr
from dashboard.ui import status_style as ss
from dashboard.views import map as map_view

LUSHAN = "410423"
LUSHAN_SEAT = (33.73998, 112.90231)  # lat, lon of 鲁阳街道, inside 鲁山县 (sample_data/geo/divisions.csv)
DEFAULT_FILE = settings.ROOT / "sample_data" / "geo" / "pingdingshan_counties.geojson"


@pytest.fixture
def fresh_polygons():
    validation._polygons.cache_clear()
    yield
    validation._polygons.cache_clear()


def test_the_boundary_file_defaults_to_the_county_geojson(monkeypatch):
    monkeypatch.delenv("KPI_BOUNDARY_FILE", raising=False)
    assert geo.boundary_file() == DEFAULT_FILE
    feats = geo.county_features()
    assert len(feats) == 10 and {f["properties"]["adcode"] for f in feats} >= {LUSHAN, "410482"}
    assert all(isinstance(f["properties"]["adcode"], str) for f in feats)


def test_one_setting_moves_the_map_and_the_importer_to_another_file(tmp_path, monkeypatch, fresh_polygons):
    raw = json.loads(DEFAULT_FILE.read_text(encoding="utf-8"))
    raw["features"] = [f for f in raw["features"] if str(f["properties"]["adcode"]) != LUSHAN]
    other = tmp_path / "nine.geojson"
    other.write_text(json.dumps(raw), encoding="utf-8")
    assert validation.point_in_unit(LUSHAN, *LUSHAN_SEAT) is True  # the default file knows 鲁山县

    monkeypatch.setenv("KPI_BOUNDARY_FILE", str(other))
    validation._polygons.cache_clear()
    assert geo.boundary_file() == other
    assert len(map_view.load_geo()) == 9  # the map's polygons
    assert validation.point_in_unit(LUSHAN, *LUSHAN_SEAT) is None  # the importer: no area known now


def test_an_unreadable_boundary_file_is_a_chinese_message(tmp_path):
    with pytest.raises(DataAccessError, match="无法读取区县边界文件"):
        geo.county_features(tmp_path / "missing.geojson")


def test_the_zones_note_names_the_units_tables_zones_without_a_polygon():
    feats = map_view.load_geo()
    units = pd.DataFrame({
        "code": [LUSHAN, "410471", "410472", "410400"], "kind": ["county", "zone", "zone", "city"],
        "name_zh": ["鲁山县", "高新区", "城乡一体化示范区", "市总本级"],
        "name_en": ["Lushan", "High-tech Zone", "Demonstration Zone", "City"]})
    assert map_view.zones_without_boundary(feats, units, "zh") == "高新区、城乡一体化示范区"
    assert map_view.zones_without_boundary(feats, units, "en") == "High-tech Zone, Demonstration Zone"
    # a zone that has a polygon in the file is drawn, so the note leaves it out
    units.loc[1, "code"] = LUSHAN
    assert map_view.zones_without_boundary(feats, units, "zh") == "城乡一体化示范区"
    assert map_view.zones_without_boundary(feats, units[units["kind"] != "zone"], "zh") == ""


def test_status_words_icons_and_colours_in_both_languages():
    assert [ss.status_text(s, "zh") for s in ss.STATUSES] == ["▲ 超序时", "● 达序时", "▼ 滞后序时"]
    assert [ss.status_text(s, "en") for s in ss.STATUSES] == ["▲ Ahead of pace", "● On pace", "▼ Behind pace"]
    assert ss.status_text(None, "zh") == "—" and ss.status_text(float("nan"), "en") == "—"
    assert ss.status_badge(STATUS_BEHIND, "en") == ":red-badge[▼ Behind pace]"
    # every status has a look: the three of a running year, 尚无数据 before a first period has
    # closed, 达成 / 未达成 at and after the year's last day (#13)
    assert ss.STATUS_RGB == {STATUS_AHEAD: (26, 127, 55), STATUS_ON_PACE: (31, 111, 235),
                             STATUS_BEHIND: (207, 34, 46), STATUS_NOT_STARTED: (110, 119, 129),
                             STATUS_MET: (17, 99, 41), STATUS_MISSED: (164, 14, 38)}
    for table in (ss.STATUS_WORDS, ss.STATUS_COLOURS, ss.STATUS_ICONS, ss.STATUS_BADGES):
        assert set(table) == set(ALL_STATUSES)
    assert [ss.status_text(s, "zh") for s in (STATUS_NOT_STARTED, *FINAL_STATUSES)] == ["○ 尚无数据", "✔ 达成", "✖ 未达成"]
    assert [ss.status_text(s, "en") for s in (STATUS_NOT_STARTED, *FINAL_STATUSES)] == [
        "○ No data yet", "✔ Achieved", "✖ Not achieved"]
    assert ss.status_badge(STATUS_MET, "zh") == ":green-badge[✔ 达成]"
    assert ss.status_badge(STATUS_NOT_STARTED, "en") == ":gray-badge[○ No data yet]"
    # the i18n keys status_<word> are the same table
    assert tr(f"status_{STATUS_ON_PACE}", "en") == "On pace" and tr(f"status_{STATUS_AHEAD}", "zh") == "超序时"
    assert tr(f"status_{STATUS_MET}", "zh") == "达成" and tr(f"status_{STATUS_MISSED}", "en") == "Not achieved"
    assert tr(f"status_{STATUS_NOT_STARTED}", "en") == "No data yet"


def test_the_map_legend_and_tables_use_the_same_status_style():
    items = map_layers.legend_items("care_station", "status", ["care_station"], "en")
    status_items = [(i["label"], tuple(i["fill"])[:3]) for i in items if i["shape"] == "area"][:3]
    assert status_items == [("Ahead of pace", (26, 127, 55)), ("On pace", (31, 111, 235)),
                            ("Behind pace", (207, 34, 46))]
    rows = pd.DataFrame({"name_zh": ["鲁山县"], "name_en": ["Lushan"], "existing": [3], "new": [1],
                         "allocation": [2.0], "completion": [0.5], "status": [STATUS_BEHIND]})
    table = map_view.county_display(rows, None, "zh", whole_city=True)
    assert table["序时状态"].tolist() == ["▼ 滞后序时"]


def test_the_briefing_files_and_the_dashboard_read_one_colour_table():
    # one home for status colours, in data_access (the briefing's files cannot import the
    # dashboard): data_access/present/status.py, for every status
    from data_access.meeting import tables as meeting_tables
    from data_access.present import status as present_status

    assert set(present_status.STATUS_COLOURS) == set(ALL_STATUSES)
    assert meeting_tables.STATUS_COLOURS is present_status.STATUS_COLOURS
    assert ss.STATUS_COLOURS == present_status.STATUS_COLOURS
    assert ss.STATUS_RGB == {s: present_status.rgb(c) for s, c in present_status.STATUS_COLOURS.items()}
    # the briefing's progress chart colours a closed year's statuses too
    ov = pd.DataFrame({"target_code": ["T01", "T02"], "name_zh": ["甲", "乙"], "name_en": ["A", "B"],
                       "unit_zh": ["场", "场"], "unit_en": ["events", "events"], "completion": [1.0, 0.5],
                       "fraction": [1.0, 1.0], "status": [STATUS_MET, STATUS_MISSED]})
    rows = meeting_tables.progress_chart_rows(_Briefing(ov), "zh")
    assert rows["colour"].tolist() == [ss.STATUS_COLOURS[STATUS_MET], ss.STATUS_COLOURS[STATUS_MISSED]]


class _Briefing:
    def __init__(self, overview: pd.DataFrame) -> None:
        self.overview = overview


def test_summary_counts_add_up_in_every_phase_of_the_year():
    from data_access.present.status import shown_statuses

    def shown(*statuses):
        counts = {s: statuses.count(s) for s in ALL_STATUSES}
        counts["total"] = len(statuses)
        chosen = shown_statuses(counts)
        assert sum(counts[s] for s in chosen) == counts["total"]
        return chosen

    assert shown(STATUS_AHEAD, STATUS_BEHIND) == (STATUS_AHEAD, STATUS_ON_PACE, STATUS_BEHIND)
    assert shown(STATUS_AHEAD, STATUS_NOT_STARTED) == (STATUS_AHEAD, STATUS_ON_PACE, STATUS_BEHIND,
                                                       STATUS_NOT_STARTED)
    assert shown(STATUS_MET, STATUS_MET, STATUS_MISSED) == FINAL_STATUSES
    assert shown(STATUS_MET) == FINAL_STATUSES  # 未达成 0 is still shown: the year's result
