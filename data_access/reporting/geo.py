"""Whether a point lies in a reporting unit's area (the facility registry's coordinate check)."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from data_access import geo

CITY_CODE = "410400"
# Functional zones have no polygon of their own: they manage parts of these counties.
ZONE_HOSTS = {"410471": ("410403", "410422"), "410472": ("410402",)}


@lru_cache(maxsize=1)
def _polygons() -> dict[str, Any]:
    from shapely import prepare
    from shapely.geometry import shape
    from shapely.ops import unary_union

    out: dict[str, Any] = {}
    for feature in geo.county_features():  # the one boundary file (settings.boundary_file)
        out[str(feature["properties"]["adcode"])] = shape(feature["geometry"])
    for zone, hosts in ZONE_HOSTS.items():
        out[zone] = unary_union([out[h] for h in hosts])
    out[CITY_CODE] = unary_union([g for code, g in out.items() if code not in ZONE_HOSTS])
    for geometry in out.values():
        prepare(geometry)
    return out


def point_in_unit(unit_code: str, lat: float, lon: float) -> bool | None:
    """Whether the point (WGS84 degrees) lies in the unit's area (zones: their host counties; the
    city federation: the whole city); None when no area is known for the unit."""
    from shapely.geometry import Point

    area = _polygons().get(unit_code)
    return None if area is None else bool(area.covers(Point(lon, lat)))
