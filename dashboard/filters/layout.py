"""Which layout a session gets: the desktop one (1920x1080, screen-shared at the weekly meeting) or
the phone one (a leader's phone, 320-430 CSS pixels wide), and the `?view=phone` link parameter.

Streamlit draws on the server and `st.context` (1.67) carries no screen width, so the server learns
the width in this order (`choose`, pure):

1. `?view=phone` / `?view=desktop` in the link: explicit, kept in the session and written back into
   the URL on every run (Streamlit drops unbound query parameters on a page switch), so a copied
   link keeps it;
2. the cookie `kpi_view` (`phone` / `desktop`), written by the browser itself: a tiny inline script
   (`dashboard/ui/phone.py`, `DETECT_JS`, shipped with the page, nothing fetched) compares
   `window.innerWidth` with `PHONE_MAX_WIDTH`; when the layout drawn is not the one the width
   wants, it stores the wanted one in the cookie and reloads once (with `?view=` in the link when
   the browser keeps no cookies, so it cannot loop). Later visits read the cookie at the first
   run: no second load;
3. a phone's own announcement: the client hint `Sec-CH-UA-Mobile: ?1` or "Mobi" in the
   User-Agent (Mozilla's advice for "a mobile browser"), so a real phone gets its layout at the
   first run even before the cookie exists;
4. else the desktop layout.

The module has a pure part (`choose`, `parse_view`) and the streamlit part (`setup`, `current`,
`is_phone`), as dashboard/filters/url.py and state.py do for the shared filters.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

PHONE = "phone"
DESKTOP = "desktop"
VIEWS = (PHONE, DESKTOP)
VIEW_PARAM = "view"
COOKIE = "kpi_view"
PHONE_MAX_WIDTH = 640
"""CSS pixels: a viewport at most this wide gets the phone layout. Phones in portrait are 320-430
wide, small tablets in portrait 600-834; 640 is also where Streamlit itself stacks columns."""

_SESSION = "layout_choice"


@dataclass(frozen=True)
class Layout:
    view: str  # PHONE or DESKTOP
    explicit: bool  # from the link (?view=...): kept in the URL, never overridden by the width
    source: str  # "link", "session", "cookie", "client_hint", "default"

    @property
    def phone(self) -> bool:
        return self.view == PHONE


def parse_view(raw: object) -> str | None:
    """'phone' / 'desktop' from a link or cookie value (case and blanks ignored), else None."""
    if not isinstance(raw, str):
        return None
    value = raw.strip().lower()
    return value if value in VIEWS else None


def mobile_hint(headers: Mapping[str, str]) -> bool:
    """True when the browser says it is a phone: `Sec-CH-UA-Mobile: ?1`, or 'Mobi' in the
    User-Agent. Header names in any case."""
    lower = {k.lower(): v for k, v in headers.items()}
    if lower.get("sec-ch-ua-mobile", "").strip() == "?1":
        return True
    return "Mobi" in lower.get("user-agent", "")


def choose(param: object, remembered: Layout | None, cookie: object,
           headers: Mapping[str, str]) -> Layout:
    """The session's layout, by the order of the module docstring: the link's `?view=`, an explicit
    choice remembered in the session, the browser's cookie, the phone's client hint, desktop."""
    view = parse_view(param)
    if view:
        return Layout(view, True, "link")
    if remembered is not None and remembered.explicit:
        return Layout(remembered.view, True, "session")
    view = parse_view(cookie)
    if view:
        return Layout(view, False, "cookie")
    if mobile_hint(headers):
        return Layout(PHONE, False, "client_hint")
    return Layout(DESKTOP, False, "default")


# --- the streamlit side -----------------------------------------------------------------------


def setup() -> Layout:
    """Choose this run's layout (call once per run, before set_page_config's sidebar state is
    needed) and keep an explicit choice in the URL."""
    import streamlit as st

    try:
        headers: Mapping[str, str] = st.context.headers.to_dict()
        cookie = st.context.cookies.get(COOKIE)
    except Exception:  # noqa: BLE001 - no browser connection (AppTest, bare mode)
        headers, cookie = {}, None
    choice = choose(st.query_params.get(VIEW_PARAM), st.session_state.get(_SESSION), cookie, headers)
    st.session_state[_SESSION] = choice
    if choice.explicit and st.query_params.get(VIEW_PARAM) != choice.view:
        st.query_params[VIEW_PARAM] = choice.view
    return choice


def current() -> Layout:
    """This run's layout (desktop before `setup` has run)."""
    import streamlit as st

    choice = st.session_state.get(_SESSION)
    return choice if isinstance(choice, Layout) else Layout(DESKTOP, False, "default")


def is_phone() -> bool:
    return current().phone
