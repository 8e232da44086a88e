"""The shared filters in session state and in the URL, and the sidebar that edits them.

The URL is the source of truth when it carries filter keys (a pasted link). Streamlit clears
unbound query params on a page switch, so the filters also live in session state and are written
back into the URL on every run: switching pages keeps `?county=…&as_of=…`.
"""
from __future__ import annotations
from typing import Any

import streamlit as st

from data_access import clock
from data_access.kpis import calendar
from data_access.present import fmt

from dashboard import viewer
from dashboard import data
from dashboard.i18n import register, t, tr
from dashboard.ui.safe_text import md
from dashboard.filters.url import FILTER_KEYS, Defaults, Filters, as_of_range, parse_filters, to_params

register({
    "warn_known_future": ("链接中的知悉日期“{value}”晚于今天，已改为按当前所知。",
                          "The knowledge date “{value}” in the link is after today; showing what is known now."),
    "filter_known_is": ("按{day}所知（不含此后的填报与更正）",
                        "As known on {day} (later reports and corrections left out)"),
    "filter_known_now": ("显示当前所知", "Show what is known now"),
})

_FILTERS = "filters"
KNOWN_KEY = data.KNOWN_KEY  # the view's K (None: now), read by dashboard/data.py's readers
_WARNINGS = "filter_warnings"
_SEEN_PARAMS = "filter_seen_params"


def defaults() -> Defaults:
    """Default filters: the plan year with the latest report (`calendar.default_view`), through
    today held inside it (a past year: its last day), as known now."""
    years = data.plan_years()
    if years.empty:
        raise LookupError("no plan year")
    year_list = [int(y) for y in years["year"]]
    ranges = {int(r.year): (r.start_date, r.end_date) for r in years.itertuples()}
    latest = {y: day for y, day in data.latest_by_year().items() if y in ranges}
    today = clock.today()
    year, as_of = calendar.default_view(ranges, latest, today)
    return Defaults(year=year, as_of=as_of, unit_codes=list(data.units()["code"]),
                    years=year_list, year_ranges=ranges, latest_by_year=latest, today=today)


def _url_params() -> dict[str, list[str]]:
    return {k: st.query_params.get_all(k) for k in FILTER_KEYS if k in st.query_params}


def current() -> Filters:
    f: Filters = st.session_state[_FILTERS]
    return f


def setup(d: Defaults) -> Filters:
    """Resolve the filters for this run from the URL or the session, and show URL warnings."""
    params = _url_params()
    frozen = {k: tuple(v) for k, v in params.items()}
    if params and frozen != st.session_state.get(_SEEN_PARAMS):
        f, warnings = parse_filters(params, d)
        st.session_state[_FILTERS] = f
        st.session_state[_WARNINGS] = warnings
    elif _FILTERS not in st.session_state:
        st.session_state[_FILTERS], st.session_state[_WARNINGS] = parse_filters({}, d)
    # A restricted viewer's counties are cut to its own unit here, whatever the URL asked for.
    f, scope_warnings = viewer.clamp_filters(st.session_state[_FILTERS])
    st.session_state[_FILTERS] = f
    st.session_state[_WARNINGS] = list(st.session_state.get(_WARNINGS, [])) + scope_warnings
    st.session_state["lang"] = f.lang
    st.session_state[KNOWN_KEY] = f.known
    _sync_url(f, d)
    return f


def _sync_url(f: Filters, d: Defaults) -> None:
    desired = to_params(f, d)
    for key in FILTER_KEYS:
        if key in desired:
            if st.query_params.get(key) != desired[key]:
                st.query_params[key] = desired[key]
        elif key in st.query_params:
            del st.query_params[key]
    st.session_state[_SEEN_PARAMS] = {k: (v,) for k, v in desired.items()}


def show_warnings() -> None:
    lang = current().lang
    for key, args in st.session_state.get(_WARNINGS, []):
        # The values come from the URL: shown as typed, never as links or images.
        st.warning(tr(key, lang, **{k: md(v) for k, v in args.items()}), icon=":material/warning:")


def _on_change(d: Defaults) -> None:
    ss = st.session_state
    f = ss[_FILTERS]
    year = int(ss.get("w_year", f.year))
    as_of = ss.get("w_as_of", f.as_of)
    if year != f.year:  # a new year: its own default date
        from dashboard.filters.url import default_as_of

        as_of = default_as_of(year, d)
    known = None if ss.get("w_known_now") else f.known
    ss[_FILTERS], ss[_WARNINGS] = viewer.clamp_filters(
        Filters(tuple(ss.get("w_county", f.counties)), year, as_of, ss.get("w_lang") or f.lang, known))
    ss[KNOWN_KEY] = ss[_FILTERS].known
    ss["w_known_now"] = False
    _sync_url(ss[_FILTERS], d)


def sidebar(d: Defaults, area: Any = None) -> Filters:
    """The filter widgets, shown on every page; changes go to session state and the URL."""
    f = current()
    ss = st.session_state
    ss["w_county"] = list(f.counties)
    ss["w_year"] = f.year
    ss["w_as_of"] = f.as_of
    ss["w_lang"] = f.lang
    unit_df = data.units()
    names = dict(zip(unit_df["code"], unit_df["name_en" if f.lang == "en" else "name_zh"]))
    start, end = as_of_range(f.year, d)
    with area if area is not None else st.sidebar:
        st.markdown(f"**{t('filter_header')}**")
        st.multiselect(t("filter_county"), options=viewer.viewable(unit_df["code"]), key="w_county",
                       format_func=lambda c: names.get(c, c), placeholder=t("filter_county_placeholder"),
                       on_change=_on_change, args=(d,))
        st.selectbox(t("filter_year"), options=d.years, key="w_year", on_change=_on_change, args=(d,),
                     format_func=lambda y: f"{y}年" if f.lang == "zh" else str(y))
        st.date_input(t("filter_as_of"), key="w_as_of", min_value=start, max_value=end,
                      on_change=_on_change, args=(d,), format="YYYY-MM-DD")
        st.caption(fmt.date(f.as_of, f.lang))
        if f.known is not None:
            st.caption(t("filter_known_is", day=fmt.date(f.known, f.lang)))
            st.checkbox(t("filter_known_now"), key="w_known_now", on_change=_on_change, args=(d,))
        st.segmented_control(t("filter_lang"), options=["zh", "en"], key="w_lang",
                             format_func=lambda v: "中文" if v == "zh" else "English",
                             on_change=_on_change, args=(d,))
    return current()


def scope_label(f: Filters) -> str:
    """'全市' or the chosen units' names joined with 、."""
    if not f.counties:
        return tr("whole_city", f.lang)
    unit_df = data.units().set_index("code")
    col = "name_en" if f.lang == "en" else "name_zh"
    sep = ", " if f.lang == "en" else "、"
    return sep.join(str(unit_df[col].get(c, c)) for c in f.counties)


def knowledge_note(f: Filters) -> str:
    """'按2023年6月30日所知（…）' when the view's K is not now, else ''."""
    return "" if f.known is None else tr("filter_known_is", f.lang, day=fmt.date(f.known, f.lang))
