"""Who is signed in to this session, and what they may read (the county scope).

`auth/gate.py` signs the user in and stores it here (`sign_in`); `data.py` cuts every reader's
`units` argument with `scope()`; `filters/state.py` cuts the shared county filter with
`clamp_filters()` and the sidebar's options with `viewable()`. The rules themselves (who may read
which unit) are data_access.accounts.auth's; this module only applies them to the session's user.
It imports no other dashboard module, so anything may import it.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import streamlit as st

from data_access.accounts import auth
from data_access.accounts.auth import AuthUser

from dashboard.filters.url import Filters

_USER = "auth_user"
_MODE = "auth_mode"


def current_user() -> AuthUser | None:
    """The signed-in user of this session (the ANONYMOUS administrator when auth is off); None
    before the gate has run."""
    return st.session_state.get(_USER)


def current_mode() -> str | None:
    """builtin | proxy | oidc | none, as the gate resolved it for this session."""
    return st.session_state.get(_MODE)


def set_mode(mode: str) -> None:
    st.session_state[_MODE] = mode


def sign_in(user: AuthUser) -> None:
    st.session_state[_USER] = user


def sign_out() -> None:
    st.session_state.pop(_USER, None)


def scope(units: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """`units` (None: whole city) cut to what the signed-in user may view. Applied by
    dashboard/data.py's `scoped` to every reader, so a page asking for the whole city (a ranking,
    the map) still gets only a restricted viewer's own unit. Before the gate has run (no user yet)
    `units` passes unchanged."""
    user = current_user()
    allowed = auth.readable_units(user) if user is not None else None
    if allowed is None:
        return units
    return tuple(c for c in (units or ()) if c in allowed) or allowed


def viewable(codes: Iterable[str]) -> list[str]:
    """The unit codes of `codes` the user may view (for the sidebar's options)."""
    user = current_user()
    allowed = auth.readable_units(user) if user is not None else None
    return list(codes) if allowed is None else [c for c in codes if c in allowed]


def clamp_filters(f: Filters) -> tuple[Filters, list[tuple[str, dict[str, str]]]]:
    """(filters cut to the user's viewable units, warnings as (i18n key, args)): a county typed into
    the URL is refused with a warning, not only hidden in the sidebar."""
    user = current_user()
    if user is None:
        return f, []
    kept, refused = auth.clamp_units(user, f.counties)
    warnings = [("warn_scope_refused", {"value": "、".join(refused)})] if refused else []
    return (replace(f, counties=kept) if kept != f.counties else f), warnings
