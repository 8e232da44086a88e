"""The county boundaries: one file, named by one setting, read here for the map and the importer.

`settings.boundary_file` (KPI_BOUNDARY_FILE; default the checkout's
sample_data/geo/pingdingshan_counties.geojson) is a GeoJSON FeatureCollection with one feature per
county-level unit: properties `adcode` (the unit code, read as text) and `name`, geometry a
Polygon or MultiPolygon in WGS84 degrees (lon, lat). Units without a polygon (the functional zones,
市总本级) are not in the file; which units those are is the units table's `kind`/`has_boundary`.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from data_access import settings
from data_access.errors import DataAccessError


def boundary_file() -> Path:
    """The boundary file in force (settings.boundary_file)."""
    return settings.get().boundary_file


def county_features(path: Path | None = None) -> list[dict[str, Any]]:
    """The file's features as GeoJSON dicts, `properties.adcode` as text. A missing or unreadable
    file raises DataAccessError naming it."""
    return [dict(f) for f in _features(Path(path) if path is not None else boundary_file())]


@lru_cache(maxsize=4)
def _features(path: Path) -> tuple[dict[str, Any], ...]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        features = raw["features"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DataAccessError(f"无法读取区县边界文件 {path}：{exc}",
                              f"Cannot read the county boundary file {path}: {exc}") from None
    out = []
    for feat in features:
        props = dict(feat["properties"])
        props["adcode"] = str(props["adcode"])
        out.append({"type": "Feature", "geometry": feat["geometry"], "properties": props})
    return tuple(out)
