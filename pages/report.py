"""数据填报: templates, upload with preview and confirm, review, my submissions, history, who reported when."""
import streamlit as st

from dashboard import data, viewer
from dashboard.ui import report as ru, widgets
from dashboard.views import report as rv
from dashboard.i18n import t
from dashboard.ui.safe_text import md
from dashboard.filters.state import current
from data_access.present import fmt
from data_access.reporting import files as v_files
from data_access.reporting.issues import ImportRejected
from data_access.reporting.kinds import KINDS
from data_access.errors import DataAccessError

f = current()
lang = f.lang
units = data.units()
names = rv.unit_names(units, lang)
st.title(t("rep_title"))
widgets.banner()
ru.show_flash()

# Who is acting: the signed-in user's rights (data_access.auth). With authentication turned off
# (sample quick start) everyone is the anonymous administrator; there one may act as a county.
me = rv.identity_from(viewer.current_user())
if viewer.current_mode() == "none":
    with st.expander(t("rep_identity")):
        c1, c2 = st.columns(2)
        actor = c1.text_input(t("rep_actor"), value=rv.DEMO_ACTOR, key="rep_actor")
        scope_code = c2.selectbox(t("rep_scope"), [""] + list(units["code"]), key="rep_scope",
                                  format_func=lambda c: names.get(c, t("rep_scope_city")))
    me = rv.demo_identity(actor, scope_code or "")
scope = me.scope

tab_tpl, tab_up, tab_review, tab_mine, tab_hist, tab_status = st.tabs(
    [t("rep_tab_template"), t("rep_tab_upload"), t("rep_tab_review"), t("rep_tab_mine"),
     t("rep_tab_history"), t("rep_tab_status")], key="rep_tab", on_change="rerun")  # stays open across reruns

with tab_tpl:
    c1, c2, c3 = st.columns(3)
    kind = c1.selectbox(t("rep_kind"), list(KINDS), key="rep_t_kind", format_func=rv.kind_namer(lang))
    unit_codes: list[str] = list(scope or units["code"])
    unit = c2.selectbox(t("rep_unit"), unit_codes, format_func=lambda c: names.get(c, c), key="rep_t_unit")
    start, end = rv.year_bounds(data.plan_years(), f.year)
    period = c3.date_input(t("rep_period_month" if kind == "membership" else "rep_period_day"), value=f.as_of,
                           min_value=start, max_value=end, key="rep_t_period", format="YYYY-MM-DD")
    try:
        tpl = data.template(kind, unit, period, f.year)
        st.caption(t("rep_period_is", label=tpl.period_label))
        st.download_button(t("rep_download"), tpl.data, file_name=tpl.file_name, mime=rv.XLSX_MIME,
                           key="rep_t_dl", icon=":material/download:", on_click="ignore")
    except DataAccessError as exc:
        st.error(ru.said(exc))

with tab_up:
    if not me.can_upload:
        st.info(t("rep_no_upload", role=me.role), icon=":material/lock:")
    upload = st.file_uploader(t("rep_file"), type=["xlsx", "csv"], key="rep_file", disabled=not me.can_upload,
                              max_upload_size=max(1, v_files.MAX_FILE_BYTES // 1024 // 1024))
    content = upload.getvalue() if upload is not None else None
    file_name = upload.name if upload is not None else ""
    if content is not None and rv.content_sha(content) != st.session_state.get("rep_done_sha"):
        try:
            pv = data.preview(content, file_name, scope)
        except ImportRejected as exc:
            st.error(t("rep_rejected", n=len(exc.issues)), icon=":material/block:")
            st.markdown("\n".join(f"- {md(i.line(lang))}" for i in exc.issues))  # every one (at most 200)
        except DataAccessError as exc:
            st.error(ru.said(exc))
        else:
            st.info(t("rep_counts", title=rv.kind_label(pv.kind, lang), **pv.counts))
            st.dataframe(rv.changes_table(pv, lang), hide_index=True)
            auto = me.can_auto_approve and st.checkbox(t("rep_auto_approve"), key="rep_auto")
            if st.button(t("rep_confirm"), type="primary", key="rep_confirm", icon=":material/upload:"):
                try:
                    done = data.commit(content, file_name, me, auto, pv.fingerprint)
                except DataAccessError as exc:
                    st.error(ru.said(exc))
                else:
                    st.session_state["rep_flash"] = t("rep_done", id=done.batch_id,
                                                      status=rv.status_label(done.status, lang))
                    st.session_state["rep_done_sha"] = rv.content_sha(content)
                    st.rerun()

with tab_review:
    pending, returned = rv.split_waiting(data.batches(rv.WAITING, scope or f.units))  # a county sees its own
    st.subheader(t("rep_pending_head", n=len(pending)))
    if len(pending):
        # One batch at a time: its rows, its file and the decision (drawing every pending batch's
        # rows on each rerun cost ~300 ms with 25 waiting).
        st.dataframe(rv.batch_table(pending, names, lang), hide_index=True, height=rv.fit(pending, 8))
        rows = {int(r.id): r for r in pending.itertuples()}
        pick = st.selectbox(t("rep_pick"), list(rows), key="rep_pick",
                            format_func=lambda i: rv.batch_label(rows[i], names, lang, markdown=False))
        with st.expander(rv.batch_label(rows[pick], names, lang), expanded=True):
            choice = rv.review_choice(rows[pick], lang)
            if choice.notice:
                st.warning(choice.notice, icon=":material/undo:")
            st.dataframe(rv.rows_table(data.batch_rows(pick), names, lang), hide_index=True)
            file_name, raw = data.batch_file(pick)
            st.download_button(t("rep_original"), raw, file_name=file_name, key=f"rep_raw_{pick}",
                               on_click="ignore", icon=":material/attach_file:")
            if me.can_review:
                c1, c2, c3 = st.columns([3, 1, 1], vertical_alignment="bottom")
                reason = c1.text_input(choice.reason_label, key=f"rep_reason_{pick}")
                if c2.button(choice.approve_label, key=f"rep_ok_{pick}", type="primary"):
                    ru.act(data.review, pick, "approve", me, message=choice.approved_message)
                if c3.button(choice.return_label, key=f"rep_back_{pick}"):
                    ru.act(data.review, pick, "return", me, reason, message=choice.returned_message)
    st.subheader(t("rep_returned_head", n=len(returned)))
    st.dataframe(rv.batch_table(returned, names, lang), hide_index=True)

with tab_mine:
    mine = data.batches(None, None, me.actor)
    st.dataframe(rv.batch_table(mine, names, lang), hide_index=True)
    live = rv.withdrawable(mine)
    if live:
        c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
        pick = c1.selectbox(t("rep_withdraw_pick"), live, format_func=lambda i: f"#{i}", key="rep_wd_pick")
        if c2.button(t("rep_withdraw"), key="rep_wd", icon=":material/undo:"):
            ru.act(data.withdraw, pick, me, message=rv.withdraw_message(mine, pick, lang))

with tab_hist:
    tg = rv.reported_targets(data.targets(f.year))
    c1, c2 = st.columns(2)
    code = c1.selectbox(t("rep_target"), list(tg.index), key="rep_h_target",
                        format_func=lambda c: f"{c} {tg.loc[c, 'name_en' if lang == 'en' else 'name_zh']}")
    choices, first = rv.history_units(scope, list(units["code"]), f.counties)
    hist_unit = c2.selectbox(t("rep_unit"), choices, index=first, format_func=lambda c: names.get(c, c),
                             key="rep_h_unit")
    st.dataframe(rv.history_table(data.figure_history(code, hist_unit, f.year), tg.loc[code, "unit_zh"], lang),
                 hide_index=True)
    st.caption(t("rep_history_note"))

with tab_status:
    status = data.submission_status(f.year, f.as_of)
    due = status["due_period_end"].iloc[0] if len(status) else None
    st.caption(t("rep_status_note", day=fmt.date(f.as_of, lang), due=fmt.date(due, lang)))
    table = rv.status_table(status, lang)
    shown = [c for c in table.columns if c != "late"]
    st.dataframe(rv.highlight_late(table), hide_index=True, column_order=shown, height=rv.fit(table))
