"""The weekly meeting page on screen: presentation mode (?present=1&slide=N), the sections, the
downloads and the decision forms. The figures come from dashboard/data.py; the shaping, the charts
and the texts from dashboard/views/meeting.py.
"""
from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from data_access.errors import DataAccessError
from data_access.kpis import tables as kpis
from data_access.kpis import calendar
from data_access.meeting import briefing as meeting, decisions as mdec, excel as mxl, pdf as mpdf, summary as msum
from data_access.meeting import tables as bx
from data_access.present import fmt
from data_access.present.status import shown_statuses
from data_access.schema.decisions import CLOSED_STATES, DECISION_STATES

from dashboard import data, viewer
from dashboard.ui import widgets
from dashboard.filters import url
from dashboard.i18n import t, tr
from dashboard.ui.safe_text import md
from dashboard.ui.status_style import ALL_STATUSES, status_word
from dashboard.views.meeting import (PRESENT_CSS, SLIDE_TITLES, SLIDES, change_figure, compact, may_record,
                                     progress_figure, slide_number, units_behind_table)


# ---------------------------------------------------------------------------------------------
# presentation mode


def presenting() -> bool:
    return url.presenting(st.query_params)


def _set_present(on: bool) -> None:
    if on:
        st.query_params["present"] = "1"
        st.query_params["slide"] = "1"
    else:
        for key in ("present", "slide"):
            if key in st.query_params:
                del st.query_params[key]


def present_button() -> None:
    st.button(t("mtp_present"), on_click=_set_present, args=(True,), icon=":material/co_present:",
              key="mt_present_on")


def presentation_style() -> None:
    st.html(PRESENT_CSS)


def slide_index() -> int:
    """The section on screen, 0-based, from ?slide=N (1-based), kept within range."""
    return slide_number(st.query_params.get("slide"))


def _go(i: int) -> None:
    st.query_params["slide"] = str(min(max(i, 0), len(SLIDES) - 1) + 1)


def slide_nav(i: int) -> None:
    """Previous / position / next / leave, on one row."""
    c1, c2, c3, c4 = st.columns([1, 2, 1, 1], vertical_alignment="center")
    c1.button(t("mtp_prev"), on_click=_go, args=(i - 1,), disabled=i == 0, icon=":material/arrow_back:",
              shortcut="Left", key="mt_prev", width="stretch")
    c2.markdown(f"**{t('mtp_slide_of', i=i + 1, n=len(SLIDES))} · {t(SLIDE_TITLES[SLIDES[i]])}**")
    c3.button(t("mtp_next"), on_click=_go, args=(i + 1,), disabled=i == len(SLIDES) - 1,
              icon=":material/arrow_forward:", shortcut="Right", key="mt_next", width="stretch")
    c4.button(t("mtp_exit"), on_click=_set_present, args=(False,), icon=":material/close:",
              key="mt_present_off", width="stretch")


# ---------------------------------------------------------------------------------------------
# sections


def _table(df: pd.DataFrame, big: bool) -> None:
    if df.empty:
        st.caption(t("no_data"))
    elif big:  # st.table renders markdown in cells: escape what users typed
        shown = df.map(lambda v: md(v) if isinstance(v, str) else v)
        st.table(shown.set_index(shown.columns[0]))
    else:
        widgets.table(df, hide_index=True, width="stretch", height="content" if len(df) <= 20 else "auto")


def downloads(b: meeting.Briefing, lang: str) -> None:
    """PDF and Excel of the briefing, made when clicked (the PDF takes a few seconds)."""
    c1, c2 = st.columns(2)
    c1.download_button(t("mtp_download_pdf"), lambda: mpdf.pdf_bytes(b, lang), file_name=bx.file_name(b, "pdf", lang),
                       mime="application/pdf", icon=":material/picture_as_pdf:", on_click="ignore", key="mt_pdf")
    c2.download_button(t("mtp_download_xlsx"), lambda: mxl.xlsx_bytes(b, lang),
                       file_name=bx.file_name(b, "xlsx", lang), on_click="ignore", key="mt_xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       icon=":material/table_view:")


def show_summary(b: meeting.Briefing, shown: dict[str, Any], lang: str, big: bool) -> None:
    counts = kpis.status_counts(b.overview, ALL_STATUSES)
    statuses = shown_statuses(counts)  # the pace statuses (and 尚无数据), or a closed year's result
    rep = b.reporting
    open_ = b.decisions[~b.decisions["state"].isin(CLOSED_STATES)]
    cols = st.columns(len(statuses) + 2)
    for col, status in zip(cols, statuses):
        col.metric(status_word(status, lang), counts[status], border=True)
    cols[-2].metric(t("mtp_k_not_reported"), int((rep["state"] != meeting.REPORT_COMPLETE).sum()), border=True)
    cols[-1].metric(t("mtp_k_open"), len(open_), border=True,
                   delta=t("mtp_k_overdue", n=int(open_["overdue"].sum())) if len(open_) else None,
                   delta_color="off", delta_arrow="off")
    for paragraph in msum.summary(b, lang):
        st.markdown(md(paragraph))


def show_progress(b: meeting.Briefing, shown: dict[str, Any], lang: str, big: bool) -> None:
    st.plotly_chart(progress_figure(bx.progress_chart_rows(b, lang), t("mtx_chart_progress"), big),
                    config={"displayModeBar": False}, key="mt_progress_chart")
    if not big:
        _table(shown["progress"], big)


def show_changes(b: meeting.Briefing, shown: dict[str, Any], lang: str, big: bool) -> None:
    st.plotly_chart(change_figure(bx.change_chart_rows(b, lang), t("mtx_chart_changes"), big),
                    config={"displayModeBar": False}, key="mt_change_chart")
    if not big:
        _table(shown["changes"], big)
        with st.expander(t("mtp_matrix")):
            _table(shown["county_changes"], big)


def show_behind(b: meeting.Briefing, shown: dict[str, Any], lang: str, big: bool) -> None:
    units = units_behind_table(b, lang)
    box = st.container(key="mt_compact") if big and compact(shown["behind_targets"], units) else st.container()
    with box:
        left, right = st.columns([3, 2]) if big else (st.container(), st.container())
    with left:
        st.subheader(t("mtx_sec_behind_targets"))
        _table(shown["behind_targets"], big)
    with right:
        st.subheader(t("mtp_units_behind"))
        _table(units, big)
    if not big:
        with st.expander(t("mtp_detail")):
            _table(shown["behind_counties"], big)


def show_reporting(b: meeting.Briefing, shown: dict[str, Any], lang: str, big: bool) -> None:
    rep = shown["reporting"]
    missing = b.reporting["state"] != meeting.REPORT_COMPLETE
    if not missing.any():
        st.success(t("mtp_all_reported"), icon=":material/check_circle:")
    _table(rep[missing.to_numpy()] if big else rep, big)


def show_decisions(b: meeting.Briefing, shown: dict[str, Any], lang: str, big: bool) -> None:
    if b.decisions.empty:
        st.caption(t("mtp_no_decisions"))
    else:
        _table(shown["decisions"], big)
    decision_forms(b, lang)


SHOW = {"summary": show_summary, "progress": show_progress, "changes": show_changes,
        "behind": show_behind, "reporting": show_reporting, "decisions": show_decisions}


# ---------------------------------------------------------------------------------------------
# decisions: record and update during the meeting


def _flash() -> None:
    msg = st.session_state.pop("mt_flash", None)
    if msg:
        st.success(msg, icon=":material/check:")


def _error(exc: DataAccessError, lang: str) -> None:
    st.error(md(exc.message_en if lang == "en" else exc.message_zh), icon=":material/error:")  # may quote a note


def decision_forms(b: meeting.Briefing, lang: str) -> None:
    """Record a decision, or a decision's new state, in the briefing of b.meeting_date."""
    _flash()
    who, allowed, user = may_record(viewer.current_user())
    if not allowed:
        st.caption(t("mtp_read_only"))
        return
    ov = b.overview.set_index("target_code")
    names = b.unit_names.set_index("code")["name_en" if lang == "en" else "name_zh"]
    unit_options = [""] + list(b.units or b.unit_names["code"])
    with st.expander(t("mtp_add"), icon=":material/add_task:"):
        with st.form("mt_new_decision", clear_on_submit=True):
            c1, c2 = st.columns(2)
            target = c1.selectbox(t("mtp_target"), [""] + list(ov.index), key="mt_target", format_func=lambda c: (
                f"{c} {msum.short_name(ov.at[c, 'name_en' if lang == 'en' else 'name_zh'])}" if c
                else t("mtp_target_none")))
            unit = c2.selectbox(t("mtp_unit"), unit_options, key="mt_unit",
                                format_func=lambda c: str(names.get(c, c)) if c else t("mtp_unit_none"))
            note = st.text_area(t("mtp_note"), max_chars=mdec.MAX_NOTE, key="mt_note")
            c3, c4, c5 = st.columns(3)
            owner = c3.text_input(t("mtp_owner"), max_chars=mdec.MAX_NAME, key="mt_owner")
            due = c4.date_input(t("mtp_due"), value=calendar.next_meeting(b.meeting_date),
                                min_value=b.meeting_date, format="YYYY-MM-DD", key="mt_due")
            by = who or c5.text_input(t("mtp_by"), max_chars=mdec.MAX_NAME, key="mt_by")
            if st.form_submit_button(t("mtp_save"), icon=":material/save:", key="mt_save_new"):
                try:
                    new_id = mdec.create_decision(
                        data.engine(), user, year=b.year, meeting_date=b.meeting_date, note=note, owner=owner,
                        due_date=due, created_by=by, target_code=target or None, unit_code=unit or None)
                except DataAccessError as exc:
                    _error(exc, lang)
                else:
                    st.session_state["mt_flash"] = t("mtp_saved", id=new_id)
                    st.rerun()
    open_ = b.decisions[~b.decisions["state"].isin(CLOSED_STATES)]
    if open_.empty:
        return
    with st.expander(t("mtp_update"), icon=":material/edit_note:"):
        with st.form("mt_update_decision"):
            labels = {int(r.id): f"{int(r.id)} · {r.owner} · {r.note[:30]}" for r in open_.itertuples()}
            ids: list[int] = list(labels)
            which = st.selectbox(t("mtp_which"), ids, format_func=lambda i: labels[i], key="mt_which")
            state = st.segmented_control(t("mtp_state"), DECISION_STATES, default=DECISION_STATES[1],
                                         format_func=lambda s: t(f"mtx_decision_{s}"), key="mt_state")
            comment = st.text_input(t("mtp_comment"), max_chars=mdec.MAX_NOTE, key="mt_comment")
            by = who or st.text_input(t("mtp_by"), max_chars=mdec.MAX_NAME, key="mt_by_update")
            if st.form_submit_button(t("mtp_save"), icon=":material/save:", key="mt_save_state"):
                try:
                    mdec.set_decision_state(data.engine(), user, int(which), state or DECISION_STATES[1], by=by,
                                               on_date=b.meeting_date, comment=comment)
                except DataAccessError as exc:
                    _error(exc, lang)
                else:
                    st.session_state["mt_flash"] = t("mtp_updated", id=which)
                    st.rerun()


def header(b: meeting.Briefing, lang: str, big: bool) -> None:
    """Title, date, scope and week; the snapshot note."""
    st.title(f"{t('mtp_title')} · {fmt.date(b.meeting_date, lang)}")
    sample = data.dataset_info().get("dataset") == "sample"
    st.caption(bx.lb("filters", lang, scope=b.scope(lang), year=b.year, date=fmt.date(b.meeting_date, lang),
                     week=msum.week_label(b, lang)) + (f"　·　{tr('mtp_sample', lang)}" if sample and big else ""))
    if not big:
        st.caption(t("mtp_snapshot", date=fmt.date(b.meeting_date, lang)))
