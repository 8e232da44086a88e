"""The phone layout's Streamlit side: the shell (the width probe, the phone's style, a one-line
notice, the filters at the top instead of in the sidebar) and one function per page a leader reads
(overview, targets, map, new economy, meeting), drawn from the same cached readers and the same
shaping as the desktop pages (dashboard/views/phone.py turns their rows into cards).

What a phone does not get, because it cannot show it on 390 pixels: the bullet charts (the
overview's and the target page's unit chart; their rows are cards), the wide tables (stacked
cards instead), the downloads, the new-economy share charts and county x industry matrix, the
briefing's bar charts. `benchmarks/phone_load.py` measures what that saves.
"""
from __future__ import annotations

import html
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from data_access.kpis import tables as kpis
from data_access.meeting import briefing as meeting, summary as msum
from data_access.present import fmt
from data_access.present.status import shown_statuses
from data_access.schema.decisions import CLOSED_STATES

from dashboard import data
from dashboard.charts import map_layers, new_economy as ne_charts, progress
from dashboard.filters import layout, state
from dashboard.filters.state import current, scope_label
from dashboard.filters.url import Defaults
from dashboard.i18n import t, tr
from dashboard.ui import map as map_ui, meeting as mu, targets as tu, widgets
from dashboard.ui.safe_text import md
from dashboard.ui.status_style import ALL_STATUSES, STATUS_COLOURS, status_word
from dashboard.views import map as map_view, meeting as mv, new_economy as ne_view, overview as ov_view
from dashboard.views import phone as pv, targets as tv

CSS = (Path(__file__).with_name("phone.css")).read_text(encoding="utf-8")
PLOT_CONFIG = {"displayModeBar": False, "staticPlot": True}
MAP_HEIGHT = 420  # px: leaves a third of an 844-pixel screen to scroll the page past the map
MAP_WIDTH = 366  # px: the map's width on a 390-pixel screen (the page's side padding off)
CHART_HEIGHT = 360
# a chart at the phone's width: the legend under the month axis, in rows, narrow margins
PHONE_CHART: dict[str, Any] = dict(height=CHART_HEIGHT, legend=dict(orientation="h", yanchor="top", y=-0.16, x=0),
                                   margin=dict(l=8, r=8, t=24, b=96))
POINTS_SHOWN = 20

# The width probe: runs in the page (st.html, not iframed) on every load; see filters/layout.py.
DETECT_JS = """<script>
(function () {
  var want = window.innerWidth <= %(max)d ? "phone" : "desktop";
  var served = "%(served)s", explicit = %(explicit)s;
  var has = function () { var m = document.cookie.match(/(?:^|; )%(cookie)s=([^;]*)/); return m && m[1]; };
  if (has() !== want) document.cookie = "%(cookie)s=" + want + "; path=/; max-age=31536000; SameSite=Lax";
  document.documentElement.dataset.kpiView = served;
  if (explicit || want === served) return;
  var last = Number(sessionStorage.getItem("kpi_view_reload") || 0);
  if (Date.now() - last < 15000) return;  /* one reload, never a loop */
  sessionStorage.setItem("kpi_view_reload", String(Date.now()));
  if (has() === want) { window.location.reload(); return; }
  var u = new URL(window.location.href);  /* no cookies kept: say it in the link */
  u.searchParams.set("%(param)s", want);
  window.location.replace(u.toString());
})();
</script>"""


HIDE_PROBE = '<style>[data-testid="stLayoutWrapper"]:has(> .st-key-ph-detect) { display: none; }</style>'


def detect_script(choice: layout.Layout) -> str:
    return DETECT_JS % {"max": layout.PHONE_MAX_WIDTH, "served": choice.view, "cookie": layout.COOKIE,
                        "explicit": "true" if choice.explicit else "false", "param": layout.VIEW_PARAM}


def _switch_link(lang: str, to: str) -> str:
    """A link to the same page and filters in the other layout (the rest of the query kept)."""
    params = {k: v for k, v in st.query_params.to_dict().items() if k != layout.VIEW_PARAM}
    params[layout.VIEW_PARAM] = to
    query = urlencode(params, safe=",")
    label = tr("ph_desktop_link" if to == layout.DESKTOP else "ph_phone_link", lang)
    return f"<a href='?{html.escape(query, quote=True)}' target='_self'>{html.escape(label)}</a>"


def shell(d: Defaults) -> None:
    """In place of the sidebar's filters: on the desktop layout the sidebar as before; on the phone
    the style, one notice line, and the filters in an expander at the top of every page. The width
    probe goes with both."""
    choice = layout.current()
    st.html(HIDE_PROBE)  # style only: Streamlit puts it where it takes no room
    with st.container(key="ph-detect"):
        st.html(detect_script(choice), unsafe_allow_javascript=True)
    if not choice.phone:
        state.sidebar(d)
        return
    f = current()
    st.html(f"<style>{CSS}</style>")
    with st.container(key="ph-top"):
        sample = data.dataset_info().get("dataset") == "sample"
        notice = f"<span class='ph-sample'>{html.escape(tr('ph_sample', f.lang))}</span> " if sample else ""
        st.html(f"<div class='ph-line'>{notice}{_switch_link(f.lang, layout.DESKTOP)}</div>")
        label = pv.filter_label(scope_label(f), fmt.date(f.as_of, f.lang), f.lang)
        # lazy: the filter widgets are drawn (and their code sent to the phone) once it is opened
        area = st.expander(label, icon=":material/tune:", key="ph_filters", on_change="rerun")
        if area.open:
            state.sidebar(d, area)
            area.caption(tr("ph_latest", f.lang, latest=fmt.date(data.latest_report_date(), f.lang)))


def _cards(groups: list[pv.Group], pace_title: str) -> None:
    st.html(pv.groups_html(groups, pace_title))


def _records(df: pd.DataFrame, title_columns: int = 1, limit: int | None = None) -> None:
    if df.empty:
        st.caption(t("no_data"))
        return
    st.html(pv.records_html(pv.record_rows(df, title_columns, limit)))


# --- the pages ----------------------------------------------------------------------------------


def overview() -> None:
    """Tiles as one row of chips, every target as a card grouped by project (tap for 序时进度,
    较上周, the forecast), then what needs attention and the milestones."""
    f = current()
    ov = data.target_overview(f.year, f.as_of, f.units)
    if ov.empty:
        st.info(t("no_data"))
        return
    ms = data.milestones(f.year)
    st.html(pv.chips_html(ov_view.tiles(ov, ms, f.as_of, f.lang)))
    titles = ov_view.text_column_titles(f.lang)
    rows = ov_view.bullet_table(ov, f.lang, data.projects(f.year))
    st.caption(f"{t('ov_chart_title')} · {t('ph_tap_hint')}")
    _cards(pv.cards(rows, {k: titles[k] for k in ("pace", "week", "forecast")}, f.lang), titles["pace"])

    st.markdown(f"**{t('ov_attention')}**")
    st.caption(t("ov_att_targets"))
    lines = ov_view.behind_targets(ov, f.lang)
    st.markdown("\n".join(f"- {line}" for line in lines) or t("ov_att_none_targets"))
    ub = data.unit_breakdown(f.year, f.as_of, f.units)
    behind = ov_view.behind_unit_rows(ub, ov)
    st.caption(t("ov_att_units"))
    lines = ov_view.unit_lines(behind, f.lang, 4, per_unit=1)
    st.markdown("\n".join(f"- {line}" for line in lines) or t("ov_att_none_units"))
    if len(behind):
        with st.expander(t("ov_att_more", n=len(behind))):
            _records(ov_view.behind_units_table(behind, f.lang), title_columns=2)
    st.markdown(f"**{t('ov_milestones')}**")
    ms_lines = ov_view.milestone_lines(ms, f.as_of, f.lang)
    st.markdown("\n".join(f"- {line}" for _, line in ms_lines) or t("ov_ms_none"))


def targets() -> None:
    """The picker, the headline tiles two by two, the cumulative chart, the units as ranked cards."""
    f = current()
    ov = data.target_overview(f.year, f.as_of, f.units)
    if ov.empty:
        st.info(t("no_data"))
        return
    code = tu.pick_target(list(ov["target_code"]), tv.target_titles(ov, f.lang))
    row = tv.target_row(ov, code)
    unit_zh = str(row["unit_zh"])
    st.html(pv.headline_html(tv.headline(row, f.lang)))
    series = data.cumulative_series(f.year, f.as_of, code, f.units)
    st.markdown(f"**{t('tg_cum_title')}**")
    names, texts = tv.chart_labels(row, f.as_of, f.lang)
    fig = progress.cumulative_chart(series, as_of=f.as_of, year_end=tv.year_end(data.plan_years(), f.year),
                                    target=float(row["target"]), forecast=tv.forecast_tuple(row),
                                    names=names, texts=texts, month_format="%-m月" if f.lang == "zh" else "%b",
                                    height=CHART_HEIGHT, y_format=lambda v: ov_view.amount(v, unit_zh, f.lang))
    fig.update_layout(**PHONE_CHART)
    st.plotly_chart(fig, config=PLOT_CONFIG, key="ph_tg_cumulative")
    ub = data.unit_breakdown(f.year, f.as_of, f.units, code)
    st.markdown(f"**{t('tg_units_title')} · {t('tg_ranking')}**")
    if ub.empty:
        st.info(t("no_data"))
        return
    titles = tv.unit_text_titles(f.lang)
    _cards(pv.cards(tv.unit_bullet_table(ub, unit_zh, f.lang), {"rank": titles["rank"], "weekly": titles["weekly"]},
                    f.lang), t("tg_allocation_line"))
    st.caption(t("ph_desktop_only"))


def map_page() -> None:
    """The controls, the map (touch: drag to pan, pinch to zoom, tap a point for its card), the
    tapped or searched points as cards, then the county table as cards."""
    f = current()
    st.subheader(t("map_title"))
    kind = st.segmented_control(t("map_kind_control"), options=list(map_layers.KINDS), key="map_kind",
                                default=map_layers.KINDS[0], required=True, format_func=lambda k: t(f"map_kind_{k}"))
    shade_by = st.segmented_control(t("map_shade_control"), options=["status", "completion"], key="map_shade",
                                    default="status", required=True, format_func=lambda s: t(f"map_shade_{s}"))
    shown = st.pills(t("map_layers_control"), options=list(map_layers.KINDS), selection_mode="multi",
                     key="map_layers_shown", default=list(map_layers.KINDS), format_func=lambda k: t(f"map_kind_{k}"))
    view = map_ui.build(f, kind, shade_by, shown or [])
    if view.bad_tile:
        st.warning(t("map_bad_tile_url"), icon=":material/warning:")
    deck = map_layers.SerializedDeck(pv.fit_map_view(view.deck.to_json(), map_view.MAP_WIDTH_GUESS, MAP_WIDTH))
    st.pydeck_chart(deck, on_select=map_ui.on_pick, selection_mode="single-object", key=map_ui.deck_key(),
                    height=MAP_HEIGHT)
    st.html(view.legend)
    st.caption(t("map_click_hint"))
    text = st.text_input(t("map_search"), key=map_ui.SEARCH_KEY)
    if text:
        table = map_view.points_display(map_view.search(view.points, text), f.lang)
        if len(table) > POINTS_SHOWN:
            st.caption(t("ph_more_rows", n=len(table), shown=POINTS_SHOWN))
        _records(table, title_columns=2, limit=POINTS_SHOWN)  # kind and name
    st.markdown(f"**{t('map_county_header', kind=t(f'map_kind_{kind}'))}**")
    _records(view.counties)
    notes = [t("map_note"), view.zones_note] + ([t("map_note_tiles")] if view.tile else [])
    st.caption(" ".join(notes))


def new_economy() -> None:
    """T11's headline figures, the cumulative chart against the pace, the monthly intake, flagged
    months and where the members come from, as cards."""
    f = current()
    lang = f.lang
    st.title(t("ne_title"))
    if "T11" not in set(data.targets(f.year)["target_code"]):
        st.info(t("ne_no_t11"))
        return
    m = data.new_economy(f.year, f.as_of, f.units, lang)
    t11 = m["t11"]
    heads = [("ne_head_year", m["head_t11"], "人"), ("ne_head_cum", m["head_cum"], "人"),
             ("ne_head_orgs", m["head_orgs"], "个")]
    tiles = []
    for label, h, unit in heads:
        tile = ne_view.headline_tile(h, unit, lang)
        tiles.append((t(label), str(tile["value"]), ov_view.TEXT_COLOUR, str(tile["caption"])))
    st.html(pv.headline_html(tiles))
    st.markdown(f"{ne_view.t11_line(t11, lang)}　{widgets.status_badge(t11['status'])}")
    st.caption(m["period_text"])
    month_fmt = "%b" if lang == "en" else "%-m月"
    st.markdown(f"**{t('ne_cumulative')}**")
    fc, names, texts = ne_view.t11_chart_labels(t11, lang)
    fig = ne_charts.cumulative_vs_pace(m["series"], as_of=f.as_of, year_end=m["periods"].end, target=t11["target"],
                                       forecast=fc, names=names, texts=texts, month_format=month_fmt)
    fig.update_layout(**PHONE_CHART)
    st.plotly_chart(fig, config=PLOT_CONFIG, key="ph_ne_cumulative")
    st.markdown(f"**{t('ne_monthly')}**")
    fig = ne_charts.monthly_stacked(m["monthly"], ne_view.flag_chart_rows(m["flags"], lang), total_name=t("ne_total"),
                                    flag_name=t("ne_flag"), month_format=month_fmt, colours=ne_view.colours(lang))
    fig.update_layout(**PHONE_CHART)
    st.plotly_chart(fig, config=PLOT_CONFIG, key="ph_ne_monthly")
    st.subheader(t("ne_sec_flags"))
    if m["flags"].empty:
        st.success(t("ne_no_flags"), icon=":material/check_circle:")
    else:
        _records(ne_view.localise(ne_view.flag_table(m["flags"], lang), lang), title_columns=2)
    st.subheader(t("ne_sec_sources"))
    for key, title, label in (("by_unit", "ne_by_unit", "unit"), ("by_industry", "ne_by_industry", "industry"),
                              ("by_platform", "ne_by_platform", "platform")):
        with st.expander(t(title)):
            _records(_percent_cells(ne_view.localise(m[key], lang, label), lang))
    st.caption(t("ph_desktop_only"))


def _percent_cells(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The share and growth columns as percentages ('12.5%'), as the desktop's column format shows them."""
    out = df.copy()
    for k in ("share", "growth"):
        col = tr(f"ne_col_{k}", lang)
        if col in out.columns:
            out[col] = [fmt.percent(v, lang) if pd.notna(v) else "—" for v in out[col]]
    return out


def meeting_page() -> None:
    """The briefing's sections one under the other, every table as cards, the decision forms."""
    f = current()
    b = data.briefing(f.year, f.as_of, f.units)
    shown = mv.shown_tables(data.briefing_tables(f.year, f.as_of, f.units, f.lang), b, f.lang)
    mu.header(b, f.lang, big=False)
    mu.downloads(b, f.lang)
    for key in mv.SLIDES:
        st.subheader(t(mv.SLIDE_TITLES[key]))
        SECTIONS[key](b, shown, f.lang)


def _summary(b: meeting.Briefing, shown: dict[str, Any], lang: str) -> None:
    counts = kpis.status_counts(b.overview, ALL_STATUSES)
    chips = [(status_word(s, lang), str(counts[s]), STATUS_COLOURS[s]) for s in shown_statuses(counts)]
    open_ = b.decisions[~b.decisions["state"].isin(CLOSED_STATES)]
    chips.append((t("mtp_k_not_reported"), str(int((b.reporting["state"] != meeting.REPORT_COMPLETE).sum())),
                  ov_view.TEXT_COLOUR))
    chips.append((t("mtp_k_open"), str(len(open_)), ov_view.TEXT_COLOUR))
    st.html(pv.chips_html(chips))
    for paragraph in msum.summary(b, lang):
        st.markdown(md(paragraph))


def _progress(b: meeting.Briefing, shown: dict[str, Any], lang: str) -> None:
    _records(shown["progress"], title_columns=1)


def _changes(b: meeting.Briefing, shown: dict[str, Any], lang: str) -> None:
    _records(shown["changes"], title_columns=1)


def _behind(b: meeting.Briefing, shown: dict[str, Any], lang: str) -> None:
    st.markdown(f"**{t('mtx_sec_behind_targets')}**")
    _records(shown["behind_targets"])
    st.markdown(f"**{t('mtp_units_behind')}**")
    _records(mv.units_behind_table(b, lang))


def _reporting(b: meeting.Briefing, shown: dict[str, Any], lang: str) -> None:
    if not (b.reporting["state"] != meeting.REPORT_COMPLETE).any():
        st.success(t("mtp_all_reported"), icon=":material/check_circle:")
    _records(shown["reporting"])


def _decisions(b: meeting.Briefing, shown: dict[str, Any], lang: str) -> None:
    if b.decisions.empty:
        st.caption(t("mtp_no_decisions"))
    else:
        _records(shown["decisions"])
    mu.decision_forms(b, lang)


SECTIONS = {"summary": _summary, "progress": _progress, "changes": _changes, "behind": _behind,
            "reporting": _reporting, "decisions": _decisions}

