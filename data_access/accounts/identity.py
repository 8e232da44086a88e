"""The signed-in user as the rest of the program sees it: `AuthUser`, and `ANONYMOUS` for when
authentication is off. A plain frozen value (hashable, safe to keep in session state); who may do
what with it is `accounts.permissions`.
"""
from __future__ import annotations

from dataclasses import dataclass

from data_access.schema.accounts import ROLE_ADMIN, ROLE_NAMES_ZH, VIEW_CITY


@dataclass(frozen=True)
class AuthUser:
    """A signed-in user: `username` (lower-case, the name the audit log records), `display_name`
    (shown, never recorded as the actor), `role` (one of schema.accounts.ROLES), `unit_code` (a
    county reporter's own unit), `view_scope` (effective: the global default already applied)."""

    username: str
    display_name: str
    role: str
    unit_code: str | None = None
    view_scope: str = VIEW_CITY
    id: int | None = None
    must_change_password: bool = False

    @property
    def role_zh(self) -> str:
        return ROLE_NAMES_ZH.get(self.role, self.role)


# With authentication turned off (KPI_AUTH_MODE=none or the sample quick start) everyone acts as this.
ANONYMOUS = AuthUser(username="anonymous", display_name="未登录（认证已关闭）", role=ROLE_ADMIN)
