"""The names callers knew as `data_access.accounts.auth`, re-exported from where each now lives.
No logic here: accounts are `users`, sign-in and sessions `sessions`, secrets `passwords`, the
login mode and thresholds `config`, the signed-in user `identity`, who may do what `permissions`.
New code imports from those modules; this list lets the files of the parallel restructuring keep
their `auth.X` until each is moved.
"""
from __future__ import annotations

from argon2 import PasswordHasher

from data_access.accounts.config import MODES, AuthSettings, from_settings, resolve_mode, settings_from_env
from data_access.accounts.identity import ANONYMOUS, AuthUser
from data_access.accounts.passwords import (check_password_policy, digest, generate_password, hash_password,
                                            new_token, verify_password)
from data_access.accounts.permissions import (PermissionDenied, clamp_units, may_record_decision, may_review,
                                              may_view_unit, may_write_unit, readable_units, require_account_admin,
                                              require_decision, require_login, require_plan_edit, require_read_scope,
                                              require_review, require_role, require_write_scope, writable_units)
from data_access.accounts.sessions import Login, check_session, login, logout, redeem_handoff, resume
from data_access.accounts.users import (ROLE_ALIASES, change_password, count_users, create_user, list_users,
                                        load_user, normalise_username, parse_role, reset_password, to_auth_user,
                                        update_user)
from data_access.schema.accounts import (ROLE_ADMIN, ROLE_LEADER, ROLE_REPORTER, ROLE_REVIEWER, ROLES, VIEW_CITY,
                                         VIEW_SCOPES, VIEW_UNIT)

__all__ = [
    "ANONYMOUS", "MODES", "PasswordHasher", "ROLES", "ROLE_ADMIN", "ROLE_ALIASES", "ROLE_LEADER", "ROLE_REPORTER",
    "ROLE_REVIEWER", "VIEW_CITY", "VIEW_SCOPES", "VIEW_UNIT", "AuthSettings", "AuthUser", "Login",
    "PermissionDenied", "change_password", "check_password_policy", "check_session", "clamp_units", "count_users",
    "create_user", "digest", "from_settings", "generate_password", "hash_password", "list_users", "load_user",
    "login", "logout", "may_record_decision", "may_review", "may_view_unit", "may_write_unit", "new_token",
    "normalise_username", "parse_role", "readable_units", "redeem_handoff", "require_account_admin",
    "require_decision", "require_login", "require_plan_edit", "require_read_scope", "require_review",
    "require_role", "require_write_scope", "reset_password", "resolve_mode", "resume", "settings_from_env",
    "to_auth_user", "update_user", "verify_password", "writable_units",
]
