"""Login settings as the gate uses them. Every value comes from `data_access.settings.get()`
(environment first, then .streamlit/secrets.toml: auth_mode, proxy_user_key, proxy_logout_url,
oidc_user_claim, oidc_provider, cookie_secure); only Streamlit's own options are read here:
server.trustedUserHeaders (the proxy's header mapping) and the [auth] section st.login needs.
"""
from __future__ import annotations

import streamlit as st

from data_access import settings
from data_access.accounts import config as auth


def mode(dataset: str | None) -> str:
    """builtin | proxy | oidc | none. Raises DataAccessError for an unknown configured value."""
    return auth.resolve_mode(settings.get().auth_mode, dataset)


def mode_was_chosen() -> bool:
    """True when an operator set the mode (not the sample-data default)."""
    return settings.get().auth_mode is not None


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
    key = settings.get().proxy_user_key
    if key is None:
        return next(iter(mapping.values())) if len(mapping) == 1 else None
    return key if key in mapping.values() else None


def proxy_logout_url() -> str | None:
    return settings.get().proxy_logout_url


def oidc_provider() -> str | None:
    """The provider name passed to st.login (None: the [auth] section's default)."""
    return settings.get().oidc_provider


def oidc_user_claim() -> str:
    return settings.get().oidc_user_claim


def oidc_configured() -> bool:
    """Streamlit's own [auth] section (what st.login reads) is present."""
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001
        return False
