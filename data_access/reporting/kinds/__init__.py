"""The registry of report kinds. Adding a kind: one module in this package defining `KIND`, and
one line below."""
from __future__ import annotations

from data_access.errors import DataAccessError
from data_access.reporting.kinds import facilities, membership, progress, union_orgs
from data_access.reporting.kinds.base import ReportKind

KINDS: dict[str, ReportKind] = {k.code: k for k in (
    progress.KIND,
    facilities.KIND,
    union_orgs.KIND,
    membership.KIND,
)}

# what may name a kind: its code, its title, its sheet's name
KIND_ALIASES: dict[str, str] = {**{k: k for k in KINDS}, **{k.title: k.code for k in KINDS.values()},
                                **{k.sheet: k.code for k in KINDS.values()}}


def get(name: str) -> ReportKind:
    """The kind named by its code, title or sheet name; DataAccessError for an unknown name."""
    if name not in KIND_ALIASES:
        raise DataAccessError(f"未知报表类型“{name}”（可选：{'、'.join(KINDS)}）", f"Unknown kind {name}")
    return KINDS[KIND_ALIASES[name]]
