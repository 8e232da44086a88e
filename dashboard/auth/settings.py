"""Login settings, read in one place: environment first, then .streamlit/secrets.toml.

| setting | env | secrets.toml | default |
|---|---|---|---|
| login mode | KPI_AUTH_MODE | auth_mode | builtin; none when the database holds the sample data set |
| proxy: st.user key holding the name | KPI_PROXY_USER_KEY | proxy_user_key | the one value of server.trustedUserHeaders |
| proxy: where "log out" goes | KPI_PROXY_LOGOUT_URL | proxy_logout_url | none |
| OIDC: claim holding the user name | KPI_OIDC_USER_CLAIM | oidc_user_claim | email |
| OIDC: provider name for st.login | KPI_OIDC_PROVIDER | oidc_provider | the [auth] section's default |
| cookie Secure flag | KPI_COOKIE_SECURE | cookie_secure | auto (https or X-Forwarded-Proto: https) |

Thresholds (failures, lock time, session lifetime, idle time, reporters' default view) are read by
`data_access.auth.settings_from_env` from KPI_LOGIN_MAX_FAILURES, KPI_LOGIN_LOCK_MINUTES,
KPI_SESSION_HOURS, KPI_SESSION_IDLE_MINUTES and KPI_REPORTER_VIEW.
"""
from __future__ import annotations

import os

import streamlit as st

from data_access.accounts import config as auth

MODE_ENV = "KPI_AUTH_MODE"


def setting(env_name: str, secrets_key: str, default: str | None = None) -> str | None:
    value = os.environ.get(env_name, "").strip()
    if value:
        return value
    try:
        value = st.secrets.get(secrets_key)
    except Exception:  # noqa: BLE001 - no secrets file is the normal case
        value = None
    return str(value).strip() if value not in (None, "") else default


def mode(dataset: str | None) -> str:
    """builtin | proxy | oidc | none. Raises DataAccessError for an unknown configured value."""
    return auth.resolve_mode(setting(MODE_ENV, "auth_mode"), dataset)


def mode_was_chosen() -> bool:
    """True when an operator set the mode (not the sample-data default)."""
    return setting(MODE_ENV, "auth_mode") is not None


def trusted_user_headers() -> dict[str, str]:
    """Streamlit's server.trustedUserHeaders: {header: st.user key}; {} when not configured."""
    try:
        value = st.config.get_option("server.trustedUserHeaders")
    except Exception:  # noqa: BLE001
        return {}
    return dict(value) if isinstance(value, dict) else {}


def proxy_user_key() -> str | None:
    """The st.user key the proxy's header fills, or None when the header mapping is not configured
    (then any such header is ignored)."""
    mapping = trusted_user_headers()
    if not mapping:
        return None
    key = setting("KPI_PROXY_USER_KEY", "proxy_user_key")
    if key is None:
        return next(iter(mapping.values())) if len(mapping) == 1 else None
    return key if key in mapping.values() else None


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001
        return False
