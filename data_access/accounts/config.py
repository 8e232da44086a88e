"""How sign-in behaves: the login mode and the thresholds of throttling and sessions.

The values come from the one settings object (`data_access.settings.get()`: KPI_LOGIN_MAX_FAILURES,
KPI_LOGIN_LOCK_MINUTES, KPI_SESSION_HOURS, KPI_SESSION_IDLE_MINUTES, KPI_REPORTER_VIEW); tests pass
their own `AuthSettings(...)` to the functions that take `settings=`.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from data_access import settings as app_settings
from data_access.errors import DataAccessError
from data_access.schema.accounts import VIEW_CITY

MODES = ("builtin", "proxy", "oidc", "none")


@dataclass(frozen=True)
class AuthSettings:
    """Thresholds of sign-in; the defaults are the settings' defaults."""

    max_failures: int = 5  # failed passwords in a row before the account name is locked
    lock_minutes: int = 15
    session_hours: float = 12  # absolute lifetime of a login
    idle_minutes: int = 120  # a login unused for this long ends
    handoff_seconds: int = 120  # the one-time code that turns a login into a cookie
    reporter_view: str = VIEW_CITY  # default view scope of county reporters
    min_password_length: int = 8


def from_settings(s: app_settings.Settings | None = None) -> AuthSettings:
    """The sign-in thresholds of a settings object (default: the settings in force)."""
    s = s or app_settings.get()
    return AuthSettings(max_failures=s.login_max_failures, lock_minutes=s.login_lock_minutes,
                        session_hours=s.session_hours, idle_minutes=s.session_idle_minutes,
                        reporter_view=s.reporter_view)


def settings_from_env(env: Mapping[str, str] | None = None) -> AuthSettings:
    """The thresholds in force, or those a mapping of KPI_* variables gives (unset ones: as in
    force). A bad value raises a DataAccessError (settings.SettingsError) naming the variable."""
    if env is None:
        return from_settings()
    overrides = {k.removeprefix("KPI_").lower(): v for k, v in env.items() if k.startswith("KPI_")}
    return from_settings(app_settings.load(**overrides))


def resolve_mode(configured: str | None, dataset: str | None) -> str:
    """The login mode: the configured one, else `none` for the sample data set, else `builtin`."""
    if configured is not None and str(configured).strip():
        mode = str(configured).strip().lower()
        if mode not in MODES:
            raise DataAccessError(f"认证方式“{mode}”无效，应为 builtin、proxy、oidc 或 none",
                                  f"Invalid authentication mode “{mode}”: use builtin, proxy, oidc or none")
        return mode
    return "none" if dataset == "sample" else "builtin"
