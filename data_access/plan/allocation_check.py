"""Where a plan year's allocations (分解任务) do not add up to its targets, worked out before saving
so the admin page can show it and ask to confirm (after T01 was raised to 1,200 its allocations
still summed to 1,000 and nobody was told).

The rule (`allocation_gaps`, pure): for each target, the sum of the units' allocations (base unit
of the target, blanks not counted) against the target's value; a target is listed when the two
differ (by more than `TOLERANCE` of the target, float rounding only) or when a unit that should
have a share has none. Which units should have a share (`share_units`): every active county and
functional zone (kind county or zone); 市总本级 (kind city) only carries a share when it does part
of the work itself, so its blank is not a finding. An explicit 0 is an allocation (nothing for
that unit), a blank is not.

Saving with gaps is allowed (the plan may be settled step by step); the page asks first.
"""
from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd
from sqlalchemy import Engine, select

from data_access.schema.models import UNIT_COUNTY, UNIT_ZONE, Unit

TOLERANCE = 1e-9  # relative to the target's value (at least 1 base unit × 1e-9)
GAP_COLUMNS = ["target_code", "target", "allocated", "difference", "missing_units"]


def share_units(engine: Engine) -> list[str]:
    """Codes of the active units that should carry a share of every target: counties and
    functional zones, in the units' order."""
    with engine.connect() as conn:
        return [str(c) for c in conn.execute(
            select(Unit.code).where(Unit.active.is_(True), Unit.kind.in_([UNIT_COUNTY, UNIT_ZONE]))
            .order_by(Unit.sort_order, Unit.code)).scalars()]


def _number(value: object) -> float | None:
    """A cell as a float; None for a blank (None, NaN, empty text) or text that is not a number
    (the save refuses that; the check counts it as no allocation)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def allocation_gaps(targets: pd.DataFrame, matrix: pd.DataFrame, expected_units: Iterable[str]) -> pd.DataFrame:
    """The targets whose allocations do not add up, in the order of `targets`.

    `targets`: columns code, value (the annual target, base unit) — e.g. `edits.targets_for_edit`,
    possibly edited. `matrix`: `allocations.allocation_matrix` (column unit_code, one column per
    target code, blank = no allocation), possibly edited; a target without a column has no
    allocation. `expected_units`: the units that should have a share (`share_units`).

    Columns: target_code; target (value); allocated (sum of the units' allocations); difference
    (allocated - target: negative when less is allocated than the target); missing_units (tuple of
    expected unit codes with no allocation, in `expected_units` order).
    """
    expected = list(expected_units)
    by_unit = matrix.set_index("unit_code") if "unit_code" in matrix.columns else pd.DataFrame()
    rows = []
    for code, value in zip(targets["code"], targets["value"]):
        code = str(code)
        target = _number(value) or 0.0
        cells = {str(u): _number(v) for u, v in by_unit[code].items()} if code in by_unit.columns else {}
        allocated = math.fsum(v for v in cells.values() if v is not None)
        missing = tuple(u for u in expected if cells.get(u) is None)
        difference = allocated - target
        if abs(difference) > TOLERANCE * max(1.0, abs(target)) or missing:
            rows.append({"target_code": code, "target": target, "allocated": allocated,
                         "difference": 0.0 if abs(difference) <= TOLERANCE * max(1.0, abs(target)) else difference,
                         "missing_units": missing})
    return pd.DataFrame(rows, columns=GAP_COLUMNS)
