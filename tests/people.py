"""Signed-in users for the reporting tests: the data layer's review and withdrawal take one."""
from __future__ import annotations

from data_access.accounts.auth import AuthUser
from data_access.schema.accounts import ROLE_ADMIN, ROLE_LEADER, ROLE_REPORTER, ROLE_REVIEWER


def reviewer(name: str = "审核员") -> AuthUser:
    return AuthUser(username=name, display_name=name, role=ROLE_REVIEWER)


def admin(name: str = "管理员") -> AuthUser:
    return AuthUser(username=name, display_name=name, role=ROLE_ADMIN)


def reporter(name: str, unit: str) -> AuthUser:
    return AuthUser(username=name, display_name=name, role=ROLE_REPORTER, unit_code=unit)


def leader(name: str = "领导") -> AuthUser:
    return AuthUser(username=name, display_name=name, role=ROLE_LEADER)
