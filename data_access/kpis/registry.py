"""The registry rules: when an entry of a registry (a facility: 爱心驿站 / 爱心托管班; a grassroots
union organisation: 基层工会) stands on a date. One home for the clause every reader uses: the map's
points and counts, the facility targets T06/T07, the new-union target T09 and the new-economy page's
organisation counts, so none of them can count a different set.

An entry stands on `as_of` when, at the end of that day,
- it had begun: opened (facilities, ``opened_on``) or founded (unions, ``founded_on``) on or before
  `as_of`;
- it had not ended: a facility's ``closed_on`` is empty or **after** `as_of`. On its closing day a
  facility no longer stands (it closed that day: no worker can use it from then on), the day
  before it still does. Union organisations have no end date;
- it was known: recorded before the end of `as_of` and without a batch or from a batch approved by
  then (`known.visible`);
- it is the version in force then (`in_force`): an approved change to an entry is a new row that
  supersedes the old one from the change's day on, so a view of an earlier day shows the old one.

Two counts are made from a registry, each with its own definition and name on the page:

- **现有 (standing, `standing`)**: the entries standing on the date, as above. The map's points and
  its stock of care stations and classes, and the new-economy page's organisations "in the field".
- **新建 (built, `built`)**: the entries *opened* (founded) in the plan year by the date, known by
  then and in the version in force then, **whether or not they have closed since**: a care station
  built in March and closed in October was still built in 2023. The facility targets T06 / T07
  (新建爱心驿站, 爱心托管班) count these; T09 (新建基层工会) counts them too, and since a union has no
  end date its 新建 and 现有 sets of the year are the same.

Who is asked about (`units`) follows `scope`: None is the whole city, an empty list nothing.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, and_, or_

from data_access.kpis import known, scope
from data_access.schema.models import Facility, UnionOrg

Registry = type[Facility] | type[UnionOrg]


def in_force(table: Any, as_of: dt.date) -> ColumnElement[bool]:
    """Registry versions (facilities, union_orgs) in force at the end of `as_of`: not superseded
    by then. With `visible` and recorded_at, an approved change shows from its day on only."""
    return or_(table.superseded_at.is_(None), table.superseded_at >= known.cutoff(as_of))


def begun_on(registry: Registry) -> Any:
    """The column with the day an entry begins: opened_on for facilities, founded_on for unions."""
    return Facility.opened_on if registry is Facility else UnionOrg.founded_on


def standing(registry: Registry, as_of: dt.date) -> ColumnElement[bool]:
    """SQL: entries of `registry` standing on `as_of` (see the module's rule): begun by then, not
    closed by then (a facility closing on `as_of` does not stand), known by the end of the day and
    the version in force then. No scope and no kind: the readers add theirs."""
    clauses = [
        begun_on(registry) <= as_of,
        registry.recorded_at < known.cutoff(as_of),
        known.visible(registry.batch_id, as_of),
        in_force(registry, as_of),
    ]
    if registry is Facility:
        clauses.append(or_(Facility.closed_on.is_(None), Facility.closed_on > as_of))
    return and_(*clauses)


def built(registry: Registry, as_of: dt.date, since: dt.date, until: dt.date) -> ColumnElement[bool]:
    """SQL: entries of `registry` 新建 (built) within [`since`, `until`] (the plan year) as known on
    `as_of` (see the module's rule): begun within the range and by `as_of`, recorded before the end
    of `as_of` and visible then, the version in force then. Unlike `standing`, a facility closed
    since (``closed_on`` on or before `as_of`) still counts: the target counts what was built, and
    a closing later in the year does not unbuild it (a 2023 care station closing in 2024 stays in
    2023's T07). No scope and no kind: the readers add theirs."""
    begun = begun_on(registry)
    return and_(begun >= since, begun <= until, begun <= as_of,
                registry.recorded_at < known.cutoff(as_of),
                known.visible(registry.batch_id, as_of),
                in_force(registry, as_of))


def built_facility_filter(kind: str, as_of: dt.date, units: Iterable[str] | None,
                          since: dt.date, until: dt.date) -> ColumnElement[bool]:
    """WHERE clause of the facility targets' counts (T06 childcare classes, T07 care stations):
    facilities of `kind` 新建 (`built`) within [since, until] as known on `as_of`, in the scope
    `units`."""
    return and_(Facility.kind == kind, built(Facility, as_of, since, until),
                scope.clause(Facility.unit_code, units))


def _begun_within(registry: Registry, since: dt.date | None, until: dt.date | None) -> list[ColumnElement[bool]]:
    begun = begun_on(registry)
    return ([] if since is None else [begun >= since]) + ([] if until is None else [begun <= until])


def facility_filter(kind: str, as_of: dt.date, units: Iterable[str] | None,
                    opened_since: dt.date | None = None,
                    opened_until: dt.date | None = None) -> ColumnElement[bool]:
    """WHERE clause of the map's points and counts (现有): facilities of `kind` standing on
    `as_of` in the scope `units`, optionally opened within [opened_since, opened_until] (those
    of the plan year still standing). The facility targets count 新建 instead
    (`built_facility_filter`)."""
    return and_(Facility.kind == kind, standing(Facility, as_of), scope.clause(Facility.unit_code, units),
                *_begun_within(Facility, opened_since, opened_until))


def union_org_filter(as_of: dt.date, units: Iterable[str] | None,
                     founded_since: dt.date | None = None, founded_until: dt.date | None = None,
                     new_economy: bool | None = None) -> ColumnElement[bool]:
    """WHERE clause of T09's count and the new-economy page's organisations: union organisations
    standing on `as_of` in the scope `units`, optionally founded within [founded_since,
    founded_until] (the plan year, for T09) and only new-economy ones (`new_economy=True`)."""
    extra = [] if new_economy is None else [UnionOrg.is_new_economy.is_(new_economy)]
    return and_(standing(UnionOrg, as_of), scope.clause(UnionOrg.unit_code, units), *extra,
                *_begun_within(UnionOrg, founded_since, founded_until))
