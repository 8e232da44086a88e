"""The weekly meeting page's pieces: cached briefing, presentation mode, charts, sections, forms.

Presentation mode lives in the URL (`?present=1`, and `&slide=N` for the section on screen), so a
shared screen can be reopened where it was. It hides the sidebar and enlarges the type with a
constant style sheet (layout only, never user text) and shows one section per screen with
previous/next buttons (also the ← → keys).
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from data_access.meeting import tables as bx
from data_access.present import fmt
from data_access.kpis import calendar, metrics, tables as kpis
from data_access.meeting import briefing as meeting
from data_access.meeting import decisions as mdec, excel as mxl, pdf as mpdf, summary as msum, texts as mtext
from data_access.schema.decisions import CLOSED_STATES, DECISION_STATES
from data_access.errors import DataAccessError
from data_access.accounts.identity import ANONYMOUS
from data_access.accounts.permissions import may_record_decision

from dashboard import data
from dashboard.i18n import register, t, tr
from dashboard.ui.safe_text import md

register({f"mt_{k}": v for k, v in mtext.TEXT.items()})
register({f"mtx_{k}": v for k, v in bx.LABELS.items()})
register({
    "mtp_title": ("周例会简报", "Weekly meeting briefing"),
    "mtp_present": ("演示模式", "Presentation mode"),
    "mtp_exit": ("退出演示", "Leave presentation"),
    "mtp_prev": ("上一页", "Previous"),
    "mtp_next": ("下一页", "Next"),
    "mtp_slide_of": ("第 {i} / {n} 页", "{i} of {n}"),
    "mtp_sample": ("示例数据", "Sample data"),
    "mtp_download_pdf": ("下载PDF简报", "Download PDF"),
    "mtp_download_xlsx": ("下载Excel（全部表格）", "Download Excel (all tables)"),
    "mtp_snapshot": ("本简报按{date}当天已知的数据生成：之后补报或更正的数字不会改变它。",
                     "This briefing shows what was known at the end of {date}; later reports do not change it."),
    "mtp_k_ahead": ("超序时", "Ahead"), "mtp_k_on": ("达序时", "On pace"), "mtp_k_behind": ("滞后序时", "Behind"),
    "mtp_k_not_reported": ("本周未报送单位", "Units not reported"),
    "mtp_k_open": ("在办督办事项", "Open decisions"),
    "mtp_k_overdue": ("其中逾期 {n} 项", "{n} overdue"),
    "mtp_count": ("项数", "Targets"),
    "mtp_units_behind": ("滞后单位（滞后目标数）", "Units behind (number of targets)"),
    "mtp_detail": ("逐项明细（每个单位每个目标）", "Detail (each unit and target)"),
    "mtp_matrix": ("各单位本周新增（按目标编号）", "This week by unit (by target code)"),
    "mtp_all_reported": ("各单位本周均已报送。", "Every unit reported this week."),
    "mtp_no_decisions": ("暂无督办事项。", "No decisions on record."),
    "mtp_add": ("记录督办事项", "Record a decision"),
    "mtp_target": ("关联目标", "Target"), "mtp_target_none": ("（不关联目标）", "(no target)"),
    "mtp_unit": ("关联单位", "Unit"), "mtp_unit_none": ("（全市）", "(city-wide)"),
    "mtp_note": ("督办内容", "What is to be done"), "mtp_owner": ("责任人或责任单位", "Owner"),
    "mtp_due": ("办结期限", "Due date"), "mtp_by": ("记录人", "Recorded by"),
    "mtp_save": ("保存", "Save"), "mtp_saved": ("已保存督办事项 {id}。", "Decision {id} saved."),
    "mtp_update": ("更新办理状态", "Update a decision"),
    "mtp_which": ("督办事项", "Decision"), "mtp_state": ("新状态", "New state"),
    "mtp_comment": ("说明（可选）", "Comment (optional)"),
    "mtp_updated": ("已更新督办事项 {id}。", "Decision {id} updated."),
    "mtp_read_only": ("您的账号不能记录督办事项。", "Your account cannot record decisions."),
})

SLIDES = ("summary", "progress", "changes", "behind", "reporting", "decisions")
SLIDE_TITLES = {"summary": "mtx_sec_summary", "progress": "mtx_sec_progress", "changes": "mtx_sec_changes",
                "behind": "mtx_sec_behind", "reporting": "mtx_sec_reporting", "decisions": "mtx_sec_decisions"}

# Layout only: hide the sidebar and its toggle, use the whole width, enlarge the type.
PRESENT_CSS = """<style>
section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"] {display: none !important;}
[data-testid="stMainBlockContainer"] {max-width: 100% !important; padding: 1.5rem 3rem 2rem 3rem !important;}
[data-testid="stMain"] [data-testid="stMarkdownContainer"] p,
[data-testid="stMain"] [data-testid="stMarkdownContainer"] li {font-size: 1.65rem; line-height: 1.55;}
[data-testid="stMain"] [data-testid="stTable"] table {font-size: 1.2rem;}
[data-testid="stMain"] [data-testid="stMetricValue"] [data-testid="stMarkdownContainer"] p {font-size: 3.4rem; line-height: 1.2;}
[data-testid="stMain"] [data-testid="stMetricLabel"] [data-testid="stMarkdownContainer"] p {font-size: 1.4rem;}
[data-testid="stMain"] [data-testid="stCaptionContainer"] p {font-size: 1.15rem;}
[data-testid="stMain"] h1 {font-size: 2.6rem;}
[data-testid="stMain"] h2 {font-size: 2.2rem;}
</style>"""


# ---------------------------------------------------------------------------------------------
# data


@data.scoped
@st.cache_data(ttl=data.TTL, show_spinner=False, max_entries=64)
def _figures(year: int, as_of: dt.date, units: tuple[str, ...] | None) -> meeting.Briefing:
    return meeting.build_briefing(data.engine(), year, as_of, units, with_decisions=False)


def briefing(year: int, as_of: dt.date, units: tuple[str, ...] | None) -> meeting.Briefing:
    """The cached figures of the briefing, with its decisions read afresh (they change in the meeting)."""
    return meeting.with_decisions(_figures(year, as_of, units), data.engine())


@data.scoped
@st.cache_data(ttl=data.TTL, show_spinner=False, max_entries=64)
def _figure_tables(year: int, as_of: dt.date, units: tuple[str, ...] | None, lang: str) -> dict:
    """The briefing's formatted tables, made once per filter and language (each making took ~60 ms)."""
    return bx.tables(_figures(year, as_of, units), lang)


def tables(year: int, as_of: dt.date, units: tuple[str, ...] | None, b: meeting.Briefing,
           lang: str) -> dict[str, pd.DataFrame]:
    """The tables the sections show: the figures' from the cache, the decisions' from `b`."""
    return {**_figure_tables(year, as_of, units, lang), "decisions": bx.decision_table(b, lang)}


def _user():
    """(display name, may record decisions, user) of the signed-in user; without accounts
    (None, True, ANONYMOUS)."""
    try:
        from dashboard.auth.gate import current_user
    except ImportError:
        return None, True, ANONYMOUS
    user = current_user()
    if user is None:
        return None, True, ANONYMOUS
    return user.display_name or user.username, may_record_decision(user), user


# ---------------------------------------------------------------------------------------------
# presentation mode


def presenting() -> bool:
    return st.query_params.get("present") in ("1", "true", "True")


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
    try:
        n = int(st.query_params.get("slide", "1"))
    except ValueError:
        n = 1
    return min(max(n, 1), len(SLIDES)) - 1


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
# charts (pure: rows in, figure out)


def _bar_layout(fig: go.Figure, rows: int, title: str, x_range, tickformat: str, big: bool) -> go.Figure:
    size = 20 if big else 13
    fig.update_layout(
        height=(46 if big else 32) * rows + 90, margin=dict(l=10, r=30, t=40, b=30),
        font=dict(size=size), bargap=0.35, plot_bgcolor="rgba(0,0,0,0)", hovermode=False,
        xaxis=dict(range=x_range, tickformat=tickformat, fixedrange=True, showgrid=False,
                   tickfont=dict(size=size - 2)),
        yaxis=dict(autorange="reversed", fixedrange=True, automargin=True, tickfont=dict(size=size)),
        title=dict(text=title, font=dict(size=size)),
    )
    return fig


def progress_figure(rows: pd.DataFrame, title: str, big: bool = False) -> go.Figure:
    """Completion per target (trace `completion`, coloured by status), the 序时进度 share (trace
    `pace`, a tick) and the % and status as text beyond both (trace `labels`).
    `rows`: briefing_export.progress_chart_rows."""
    size = 20 if big else 13
    top = max(1.0, float(rows["completion"].max()) if len(rows) else 1.0) * 1.3
    labels = list(rows["label"])
    fig = go.Figure()
    fig.add_bar(name="completion", y=labels, x=list(rows["completion"]), orientation="h",
                marker_color=list(rows["colour"]), hoverinfo="skip", showlegend=False)
    fig.add_scatter(name="pace", y=labels, x=list(rows["fraction"]), mode="markers",
                    marker=dict(symbol="line-ns", size=size * 2, line=dict(width=4, color="#24292f")),
                    hoverinfo="skip", showlegend=False)
    fig.add_scatter(name="labels", y=labels, x=[max(c, f) for c, f in zip(rows["completion"], rows["fraction"])],
                    text=list(rows["text"]), mode="text", textposition="middle right",
                    textfont=dict(size=size), cliponaxis=False, hoverinfo="skip", showlegend=False)
    fig.add_vline(x=1.0, line=dict(color="#57606a", width=1.5))
    return _bar_layout(fig, len(rows), title, [0, top], ".0%", big)


def change_figure(rows: pd.DataFrame, title: str, big: bool = False) -> go.Figure:
    """The week's change per target as a share of its annual target (trace `change`), with the
    amount as text. `rows`: briefing_export.change_chart_rows."""
    size = 20 if big else 13
    top = max(0.01, float(rows["share"].abs().max()) if len(rows) else 0.01) * 1.4
    low = min(0.0, float(rows["share"].min()) * 1.3) if len(rows) else 0.0
    fig = go.Figure()
    fig.add_bar(name="change", y=list(rows["label"]), x=list(rows["share"]), orientation="h",
                marker_color=["#1f6feb" if s >= 0 else "#cf222e" for s in rows["share"]],
                text=list(rows["text"]), textposition="outside", cliponaxis=False,
                textfont=dict(size=size), hoverinfo="skip", showlegend=False)
    return _bar_layout(fig, len(rows), title, [low, top], ".1%", big)


# ---------------------------------------------------------------------------------------------
# sections


def md_escape(text) -> str:
    """Text shown through markdown (st.markdown, st.table cells) as typed: no links, images, maths."""
    return md(text)


def _table(df: pd.DataFrame, big: bool) -> None:
    if df.empty:
        st.caption(t("no_data"))
    elif big:  # st.table renders markdown in cells: escape what users typed
        shown = df.map(lambda v: md_escape(v) if isinstance(v, str) else v)
        st.table(shown.set_index(shown.columns[0]))
    else:
        st.dataframe(df, hide_index=True, width="stretch", height="content" if len(df) <= 20 else "auto")


def downloads(b: meeting.Briefing, lang: str) -> None:
    """PDF and Excel of the briefing, made when clicked (the PDF takes a few seconds)."""
    c1, c2 = st.columns(2)
    c1.download_button(t("mtp_download_pdf"), lambda: mpdf.pdf_bytes(b, lang), file_name=bx.file_name(b, "pdf", lang),
                       mime="application/pdf", icon=":material/picture_as_pdf:", on_click="ignore", key="mt_pdf")
    c2.download_button(t("mtp_download_xlsx"), lambda: mxl.xlsx_bytes(b, lang),
                       file_name=bx.file_name(b, "xlsx", lang), on_click="ignore", key="mt_xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       icon=":material/table_view:")


def show_summary(b: meeting.Briefing, shown: dict, lang: str, big: bool) -> None:
    counts = kpis.status_counts(b.overview)
    rep = b.reporting
    open_ = b.decisions[~b.decisions["state"].isin(CLOSED_STATES)]
    cols = st.columns(5)
    cols[0].metric(t("mtp_k_ahead"), counts[metrics.STATUS_AHEAD], border=True)
    cols[1].metric(t("mtp_k_on"), counts[metrics.STATUS_ON_PACE], border=True)
    cols[2].metric(t("mtp_k_behind"), counts[metrics.STATUS_BEHIND], border=True)
    cols[3].metric(t("mtp_k_not_reported"), int((rep["state"] != meeting.REPORT_COMPLETE).sum()), border=True)
    cols[4].metric(t("mtp_k_open"), len(open_), border=True,
                   delta=t("mtp_k_overdue", n=int(open_["overdue"].sum())) if len(open_) else None,
                   delta_color="off", delta_arrow="off")
    for paragraph in msum.summary(b, lang):
        st.markdown(md_escape(paragraph))


def show_progress(b: meeting.Briefing, shown: dict, lang: str, big: bool) -> None:
    st.plotly_chart(progress_figure(bx.progress_chart_rows(b, lang), t("mtx_chart_progress"), big),
                    config={"displayModeBar": False}, key="mt_progress_chart")
    if not big:
        _table(shown["progress"], big)


def show_changes(b: meeting.Briefing, shown: dict, lang: str, big: bool) -> None:
    st.plotly_chart(change_figure(bx.change_chart_rows(b, lang), t("mtx_chart_changes"), big),
                    config={"displayModeBar": False}, key="mt_change_chart")
    if not big:
        _table(shown["changes"], big)
        with st.expander(t("mtp_matrix")):
            _table(shown["county_changes"], big)


def show_behind(b: meeting.Briefing, shown: dict, lang: str, big: bool) -> None:
    left, right = st.columns(2) if big else (st.container(), st.container())
    with left:
        st.subheader(t("mtx_sec_behind_targets"))
        _table(shown["behind_targets"], big)
    with right:
        st.subheader(t("mtp_units_behind"))
        per_unit = meeting.behind_by_unit(b.behind_counties)
        name_col = "unit_name_en" if lang == "en" else "unit_name_zh"
        per_unit = pd.DataFrame({t("mtx_col_county"): per_unit[name_col],
                                 t("mtp_count"): per_unit["count"].astype(int),
                                 t("mtx_col_code"): per_unit["targets"].str.replace(",", " ")})
        _table(per_unit, big)
    if not big:
        with st.expander(t("mtp_detail")):
            _table(shown["behind_counties"], big)


def show_reporting(b: meeting.Briefing, shown: dict, lang: str, big: bool) -> None:
    rep = shown["reporting"]
    missing = b.reporting["state"] != meeting.REPORT_COMPLETE
    if not missing.any():
        st.success(t("mtp_all_reported"), icon=":material/check_circle:")
    _table(rep[missing.to_numpy()] if big else rep, big)


def show_decisions(b: meeting.Briefing, shown: dict, lang: str, big: bool) -> None:
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
    st.error(exc.message_en if lang == "en" else exc.message_zh, icon=":material/error:")


def decision_forms(b: meeting.Briefing, lang: str) -> None:
    """Record a decision, or a decision's new state, in the briefing of b.meeting_date."""
    _flash()
    who, allowed, user = _user()
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
            which = st.selectbox(t("mtp_which"), list(labels), format_func=labels.get, key="mt_which")
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
