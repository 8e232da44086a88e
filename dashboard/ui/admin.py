"""The administration page's sections (pages/admin.py stays a thin list of tabs).

Everything is read and written through data_access.accounts and data_access.plan, which check the
administrator role again and write the audit log; this module only lays out forms and editors (and
shows, before saving, what `plan.curves.curve_problems` and `plan.allocation_check` find).
User-entered text is shown in tables and text widgets, never as HTML or markdown.
"""
from __future__ import annotations

from typing import Any


import pandas as pd
import streamlit as st

from data_access import audit as audit_log
from data_access.plan import allocation_check, allocations as plan_allocations, curves as plan_curves, edits, \
    retire as plan_retire, years as plan_years
from data_access.schema.models import MEASURES
from data_access.accounts import auth
from data_access.accounts.auth import AuthUser
from data_access.schema.accounts import ROLE_NAMES_EN, ROLE_NAMES_ZH, ROLES, VIEW_SCOPES
from data_access.errors import DataAccessError
from data_access.kpis import calendar

from dashboard import data
from dashboard.ui import widgets
from dashboard.views import admin as av
from dashboard.auth.gate import plain
from dashboard.i18n import register, t, tr

register({
    "admin_title": ("系统管理", "Administration"),
    "admin_tab_accounts": ("账号", "Accounts"),
    "admin_tab_targets": ("目标", "Targets"),
    "admin_tab_curves": ("计划曲线", "Plan curves"),
    "admin_tab_alloc": ("区县分配", "Allocations"),
    "admin_tab_milestones": ("里程碑", "Milestones"),
    "admin_tab_year": ("新计划年度", "New plan year"),
    "admin_tab_audit": ("审计日志", "Audit log"),
    "admin_saved": ("已保存 {n} 处修改。", "Saved {n} change(s)."),
    "admin_nothing": ("没有修改。", "Nothing changed."),
    "admin_save": ("保存修改", "Save changes"),
    "admin_year_caption": ("正在编辑 {year} 年计划（在侧栏切换计划年度）。", "Editing the {year} plan (switch the plan year in the sidebar)."),
    "admin_new_account": ("新建账号", "New account"),
    "admin_username": ("用户名", "User name"),
    "admin_display_name": ("姓名", "Name"),
    "admin_role": ("角色", "Role"),
    "admin_unit": ("所属单位", "Unit"),
    "admin_view": ("可查看范围（区县填报员）", "May view (county reporters)"),
    "admin_view_default": ("按系统默认", "System default"),
    "admin_view_city": ("全市", "Whole city"),
    "admin_view_unit": ("仅本单位", "Own unit only"),
    "admin_create": ("创建", "Create"),
    "admin_created": ("已创建账号 {name}。初始密码（只显示这一次，首次登录须修改）：", "Created {name}. Initial password (shown once; must be changed at first sign-in):"),
    "admin_reset_done": ("已重置 {name} 的密码。新的初始密码（只显示这一次）：", "Reset the password of {name}. New initial password (shown once):"),
    "admin_manage": ("管理账号", "Manage an account"),
    "admin_pick_user": ("选择账号", "Account"),
    "admin_disable": ("停用", "Disable"),
    "admin_enable": ("启用", "Enable"),
    "admin_reset": ("重置密码", "Reset password"),
    "admin_update": ("保存角色与单位", "Save role and unit"),
    "admin_copy_from": ("复制自年度", "Copy from year"),
    "admin_copy_to": ("新年度", "New year"),
    "admin_copy_title": ("标题", "Title"),
    "admin_copy": ("创建新年度（复制项目、目标、分配、里程碑）", "Create the year (copy projects, targets, allocations, milestones)"),
    "admin_copied": ("已创建 {year} 年计划：{counts}", "Created the {year} plan: {counts}"),
    "admin_audit_entity": ("对象", "Entity"),
    "admin_all": ("全部", "All"),
    "admin_active": ("启用", "Active"),
    "admin_must_change": ("待改密码", "Must change password"),
    "admin_last_login": ("最近登录", "Last sign-in"),
    "admin_gaps_title": ("以下目标的区县分配与目标值不一致（保存前请核对）：",
                         "The allocations of these targets do not add up to the target (check before saving):"),
    "admin_gaps_none": ("各目标的区县分配合计与目标值一致，每个区县和功能区都有分配。",
                        "Every target's allocations add up to it, and every county and zone has a share."),
    "admin_gaps_confirm": ("我已核对，分配与目标值不一致也保存", "I have checked: save although the allocations do not add up"),
    "admin_gaps_help": ("请先勾选上面的确认框", "Tick the confirmation above first"),
    "admin_curves_caption": ("每个目标每月应完成全年目标的百分比（按自然月），12个月合计须为 100%；12个月全部留空表示按天均匀推进。正在编辑 {year} 年计划。",
                             "The share of each target's year expected in each calendar month, in per cent; the twelve must sum to 100%. Leave all twelve blank for an even pace over the year. Editing the {year} plan."),
    "admin_curves_wrong": ("以下计划曲线不能保存：", "These plan curves cannot be saved:"),
    "admin_new_project": ("新增项目", "New project"),
    "admin_new_target": ("新增目标", "New target"),
    "admin_code": ("代码", "Code"),
    "admin_name_zh": ("名称（中文）", "Name (Chinese)"),
    "admin_name_en": ("名称（英文）", "Name (English)"),
    "admin_unit_zh": ("计量单位（中文，如 家、人、场）", "Unit (Chinese, e.g. 家, 人, 场)"),
    "admin_unit_en": ("计量单位（英文）", "Unit (English)"),
    "admin_value": ("目标值", "Target value"),
    "admin_project": ("所属项目", "Project"),
    "admin_measure": ("统计口径", "Measure"),
    "admin_parent": ("上级目标（其中项）", "Part of target"),
    "admin_none": ("无", "None"),
    "admin_note": ("备注", "Note"),
    "admin_add": ("添加", "Add"),
    "admin_added": ("已添加 {code}。", "Added {code}."),
    "admin_retire_title": ("移出计划 / 恢复", "Retire / restore"),
    "admin_retire_caption": ("移出计划的项目或目标不再出现在本年度的页面、导出和填报模板中，已填报的数据和以往年度不受影响，可随时恢复。",
                             "A retired project or target leaves this year's pages, exports and report templates; its figures and earlier years stay, and it can be restored."),
    "admin_retire_target": ("移出计划的目标", "Target to retire"),
    "admin_restore_target": ("恢复的目标", "Target to restore"),
    "admin_retire_project": ("移出计划的项目", "Project to retire"),
    "admin_restore_project": ("恢复的项目", "Project to restore"),
    "admin_retire": ("移出计划", "Retire"),
    "admin_restore": ("恢复", "Restore"),
    "admin_retired_done": ("已将 {code} 移出 {year} 年计划。", "Retired {code} from the {year} plan."),
    "admin_restored_done": ("已将 {code} 恢复到 {year} 年计划。", "Put {code} back into the {year} plan."),
})


def _lang() -> str:
    return str(st.session_state.get("lang", "zh"))


def _role_name(role: str) -> str:
    return (ROLE_NAMES_EN if _lang() == "en" else ROLE_NAMES_ZH).get(role, role)


def _run(fn: Any, *args: Any, **kwargs: Any) -> tuple[bool, Any]:
    """Call a data-layer action: (True, result), or (False, None) after showing its refusal."""
    try:
        return True, fn(*args, **kwargs)
    except DataAccessError as exc:
        st.error(plain(exc.message_en if _lang() == "en" else exc.message_zh), icon=":material/error:")
        return False, None


def _flash(text: str, secret: str | None = None) -> None:
    """A message for the next run (after the rerun that reloads the tables); user text in it must
    already be escaped with `plain`."""
    st.session_state["admin_flash"] = (text, secret)
    st.session_state["admin_ver"] = st.session_state.get("admin_ver", 0) + 1  # fresh editors
    st.rerun()


def show_flash() -> None:
    text, secret = st.session_state.pop("admin_flash", (None, None))
    if text:
        st.success(text, icon=":material/check_circle:")
        if secret:
            st.code(secret, language=None)


def _ver() -> int:
    return int(st.session_state.get("admin_ver", 0))


def _unit_names() -> dict[str, str]:
    units = data.units()
    return dict(zip(units["code"], units["name_en" if _lang() == "en" else "name_zh"]))


def accounts(admin: AuthUser) -> None:
    eng = data.engine()
    names = _unit_names()
    df = auth.list_users(eng)
    views = [None, *VIEW_SCOPES]
    view_text = {None: t("admin_view_default"), "city": t("admin_view_city"), "unit": t("admin_view_unit")}
    shown = df.assign(role=df["role"].map(_role_name),
                      unit_code=df["unit_code"].map(lambda c: names.get(c, "—") if isinstance(c, str) else "—"),
                      view_scope=df["view_scope"].map(lambda v: view_text.get(v if isinstance(v, str) else None)))
    widgets.table(shown, hide_index=True, column_config={
        "username": t("admin_username"), "display_name": t("admin_display_name"), "role": t("admin_role"),
        "unit_code": t("admin_unit"), "view_scope": t("admin_view"), "active": t("admin_active"),
        "must_change_password": t("admin_must_change"), "last_login_at": t("admin_last_login"),
        "created_at": None})
    c1, c2 = st.columns(2)
    with c1.form(f"admin_new_user_{_ver()}"):
        st.markdown(f"**{t('admin_new_account')}**")
        name = st.text_input(t("admin_username"), key="admin_nu_name")
        display = st.text_input(t("admin_display_name"), key="admin_nu_display")
        role = st.selectbox(t("admin_role"), ROLES, format_func=_role_name, key="admin_nu_role")
        unit = st.selectbox(t("admin_unit"), [None, *names], format_func=lambda c: names.get(c, "—"),
                            key="admin_nu_unit")
        view = st.selectbox(t("admin_view"), views, format_func=lambda v: view_text[v], key="admin_nu_view")
        if st.form_submit_button(t("admin_create"), type="primary", key="admin_nu_submit"):
            ok, pw = _run(auth.create_user, eng, admin, name, role, display_name=display or None,
                          unit_code=unit, view_scope=view)
            if ok:
                _flash(t("admin_created", name=plain(auth.normalise_username(name))), pw)
    with c2.container(border=True):
        st.markdown(f"**{t('admin_manage')}**")
        if df.empty:
            return
        who = st.selectbox(t("admin_pick_user"), list(df["username"]), key="admin_mu_user")
        row = df.set_index("username").loc[who]
        b1, b2, b3 = st.columns(3)
        if b1.button(t("admin_disable"), key="admin_mu_disable", disabled=not bool(row["active"])):
            if _run(auth.update_user, eng, admin, who, active=False)[0]:
                _flash(f"{t('admin_disable')}：{plain(who)}")
        if b2.button(t("admin_enable"), key="admin_mu_enable", disabled=bool(row["active"])):
            if _run(auth.update_user, eng, admin, who, active=True)[0]:
                _flash(f"{t('admin_enable')}：{plain(who)}")
        if b3.button(t("admin_reset"), key="admin_mu_reset"):
            ok, pw = _run(auth.reset_password, eng, admin, who)
            if ok:
                _flash(t("admin_reset_done", name=plain(who)), pw)
        with st.form(f"admin_mu_form_{who}_{_ver()}", border=False):
            role = st.selectbox(t("admin_role"), ROLES, index=ROLES.index(row["role"]), format_func=_role_name)
            units = [None, *names]
            cur = row["unit_code"] if isinstance(row["unit_code"], str) else None
            unit = st.selectbox(t("admin_unit"), units, index=units.index(cur) if cur in units else 0,
                                format_func=lambda c: names.get(c, "—"))
            cur_view = row["view_scope"] if isinstance(row["view_scope"], str) else None
            view = st.selectbox(t("admin_view"), views, index=views.index(cur_view), format_func=lambda v: view_text[v])
            if st.form_submit_button(t("admin_update")):
                if _run(auth.update_user, eng, admin, who, role=role, unit_code=unit, view_scope=view)[0]:
                    _flash(f"{t('admin_update')}：{plain(who)}")


def _save(fn: Any, admin: AuthUser, year: int, edited: pd.DataFrame) -> None:
    ok, n = _run(fn, data.engine(), admin, year, edited)
    if ok:
        _flash(t("admin_saved", n=n) if n else t("admin_nothing"))


def _allocations_add_up(targets_df: pd.DataFrame, matrix: pd.DataFrame, key: str) -> bool:
    """Show where the (possibly edited, unsaved) allocations do not add up to the (possibly
    edited) targets (`allocation_check`), as a table; True when saving may go ahead: nothing to
    show, or the administrator ticked the confirmation."""
    gaps = allocation_check.allocation_gaps(targets_df, matrix, allocation_check.share_units(data.engine()))
    if gaps.empty:
        st.caption(t("admin_gaps_none"))
        return True
    st.warning(t("admin_gaps_title"), icon=":material/warning:")
    widgets.table(av.gap_table(gaps, targets_df, _unit_names(), _lang()), hide_index=True)
    return bool(st.checkbox(t("admin_gaps_confirm"), key=key))


def targets(admin: AuthUser, year: int) -> None:
    st.caption(t("admin_year_caption", year=year))
    eng = data.engine()
    df = edits.targets_for_edit(eng, year)
    edited = st.data_editor(df, hide_index=True, key=f"admin_targets_{year}_{_ver()}",
                            disabled=["code", "project_code", "measure", "parent_code"],
                            column_config={**av.column_titles(df.columns, _lang()),
                                           "value": st.column_config.NumberColumn(
                                               av.column_title("value", _lang()), min_value=0, format="%.2f")})
    ok = _allocations_add_up(edited, plan_allocations.allocation_matrix(eng, year), f"admin_targets_gaps_{_ver()}")
    if st.button(t("admin_save"), key="admin_targets_save", type="primary", disabled=not ok,
                 help=None if ok else t("admin_gaps_help")):
        _save(edits.save_targets, admin, year, edited)
    st.divider()
    c1, c2 = st.columns(2)
    with c1:
        _new_target(admin, year, df)
    with c2:
        _new_project(admin, year)
    _retire(admin, year)


def _new_project(admin: AuthUser, year: int) -> None:
    with st.form(f"admin_np_{_ver()}"):
        st.markdown(f"**{t('admin_new_project')}**")
        code = st.text_input(t("admin_code"), key="admin_np_code", placeholder="P6")
        name_zh = st.text_input(t("admin_name_zh"), key="admin_np_name_zh")
        name_en = st.text_input(t("admin_name_en"), key="admin_np_name_en")
        if st.form_submit_button(t("admin_add"), key="admin_np_submit"):
            if _run(edits.create_project, data.engine(), admin, year, code, name_zh=name_zh, name_en=name_en)[0]:
                _flash(t("admin_added", code=plain(code.strip().upper())))


def _new_target(admin: AuthUser, year: int, current: pd.DataFrame) -> None:
    lang = _lang()
    rows = plan_retire.plan_rows(data.engine(), year)
    projects = rows[(rows["kind"] == "project") & ~rows["retired"]]
    names = dict(zip(projects["code"], projects["name_en" if lang == "en" else "name_zh"]))
    with st.form(f"admin_nt_{_ver()}"):
        st.markdown(f"**{t('admin_new_target')}**")
        code = st.text_input(t("admin_code"), key="admin_nt_code", placeholder="T12")
        project = st.selectbox(t("admin_project"), list(names), key="admin_nt_project",
                               format_func=lambda c: f"{c} {names.get(c, '')}")
        name_zh = st.text_input(t("admin_name_zh"), key="admin_nt_name_zh")
        name_en = st.text_input(t("admin_name_en"), key="admin_nt_name_en")
        u1, u2 = st.columns(2)
        unit_zh = u1.text_input(t("admin_unit_zh"), key="admin_nt_unit_zh")
        unit_en = u2.text_input(t("admin_unit_en"), key="admin_nt_unit_en")
        value = st.number_input(t("admin_value"), min_value=0.0, value=0.0, step=1.0, key="admin_nt_value")
        measure = st.selectbox(t("admin_measure"), list(MEASURES), key="admin_nt_measure",
                               format_func=lambda m: av.measure_word(m, lang))
        parents: list[str | None] = [None, *[str(c) for c in current["code"]]]
        parent = st.selectbox(t("admin_parent"), parents, key="admin_nt_parent",
                              format_func=lambda c: t("admin_none") if c is None else str(c))
        note = st.text_input(t("admin_note"), key="admin_nt_note")
        if st.form_submit_button(t("admin_add"), key="admin_nt_submit"):
            ok, _ = _run(edits.create_target, data.engine(), admin, year, code, str(project or ""),
                         name_zh=name_zh, name_en=name_en, unit_zh=unit_zh, unit_en=unit_en, value=value,
                         measure=measure, parent_code=parent, note_zh=note or None)
            if ok:
                _flash(t("admin_added", code=plain(code.strip().upper())))


def _retire(admin: AuthUser, year: int) -> None:
    lang = _lang()
    rows = plan_retire.plan_rows(data.engine(), year)
    label = {(k, c): f"{c} {zh if lang != 'en' else en}"
             for k, c, zh, en in zip(rows["kind"], rows["code"], rows["name_zh"], rows["name_en"])}
    with st.container(border=True):
        st.markdown(f"**{t('admin_retire_title')}**")
        st.caption(t("admin_retire_caption"))
        cols = st.columns(4)
        for col, kind, retired, fn in ((cols[0], "target", False, plan_retire.retire_target),
                                       (cols[1], "target", True, plan_retire.restore_target),
                                       (cols[2], "project", False, plan_retire.retire_project),
                                       (cols[3], "project", True, plan_retire.restore_project)):
            which = rows[(rows["kind"] == kind) & (rows["retired"] == retired)]["code"].tolist()
            shown = {c: label.get((kind, c), c) for c in which}
            verb = "restore" if retired else "retire"
            with col:
                code = st.selectbox(t(f"admin_{verb}_{kind}"), which, index=None, key=f"admin_{verb}_{kind}",
                                    format_func=shown.__getitem__)
                if st.button(t(f"admin_{verb}"), key=f"admin_{verb}_{kind}_go", disabled=code is None):
                    if _run(fn, data.engine(), admin, year, code)[0]:
                        _flash(t("admin_restored_done" if retired else "admin_retired_done", code=code, year=year))


def curves(admin: AuthUser, year: int) -> None:
    st.caption(t("admin_curves_caption", year=year))
    lang = _lang()
    df = plan_curves.curves_for_edit(data.engine(), year)
    months = list(plan_curves.MONTH_COLUMNS)
    edited = st.data_editor(df, hide_index=True, key=f"admin_curves_{year}_{_ver()}", disabled=["code", "name_zh"],
                            column_config={**av.column_titles(["code", "name_zh"], lang),
                                           **{m: st.column_config.NumberColumn(av.column_title(m, lang), min_value=0,
                                                                               max_value=100, format="%.2f")
                                              for m in months}})
    wrong = plan_curves.curve_problems(edited)
    if wrong:
        st.error(t("admin_curves_wrong"), icon=":material/error:")
        for zh, en in wrong.values():
            st.text(en if lang == "en" else zh)
    if st.button(t("admin_save"), key="admin_curves_save", type="primary", disabled=bool(wrong)):
        _save(plan_curves.save_curves, admin, year, edited)


def allocations(admin: AuthUser, year: int) -> None:
    st.caption(t("admin_year_caption", year=year))
    eng = data.engine()
    df = plan_allocations.allocation_matrix(eng, year)
    edited = st.data_editor(df, hide_index=True, key=f"admin_alloc_{year}_{_ver()}",
                            disabled=["unit_code", "unit_name"], column_config=av.column_titles(
                                [c for c in df.columns if c in ("unit_code", "unit_name")], _lang()))
    ok = _allocations_add_up(edits.targets_for_edit(eng, year), edited, f"admin_alloc_gaps_{_ver()}")
    if st.button(t("admin_save"), key="admin_alloc_save", type="primary", disabled=not ok,
                 help=None if ok else t("admin_gaps_help")):
        _save(plan_allocations.save_allocations, admin, year, edited)


def milestones(admin: AuthUser, year: int) -> None:
    st.caption(t("admin_year_caption", year=year))
    df = edits.milestones_for_edit(data.engine(), year)
    for col in ("due_date", "done_on"):
        df[col] = pd.to_datetime(df[col]).dt.date
    status = edits.MILESTONE_STATUS_ZH
    lang = _lang()
    edited = st.data_editor(df, hide_index=True, num_rows="dynamic", key=f"admin_ms_{year}_{_ver()}",
                            column_config={
                                **av.column_titles(df.columns, lang),
                                "status": st.column_config.SelectboxColumn(
                                    av.column_title("status", lang), options=list(status),
                                    format_func=lambda s: av.milestone_status_word(s, lang)),
                                "due_date": st.column_config.DateColumn(av.column_title("due_date", lang),
                                                                        format="YYYY-MM-DD"),
                                "done_on": st.column_config.DateColumn(av.column_title("done_on", lang),
                                                                       format="YYYY-MM-DD")})
    if st.button(t("admin_save"), key="admin_ms_save", type="primary"):
        _save(edits.save_milestones, admin, year, edited)


def new_year(admin: AuthUser) -> None:
    years = [int(y) for y in data.plan_years()["year"]]
    with st.form(f"admin_copy_{_ver()}"):
        src = st.selectbox(t("admin_copy_from"), sorted(years, reverse=True))
        dst = st.number_input(t("admin_copy_to"), min_value=2000, max_value=2100, step=1,
                              value=calendar.new_plan_year(years))
        title = st.text_input(t("admin_copy_title"), value=f"{int(dst)}年工作要点")
        if st.form_submit_button(t("admin_copy"), type="primary"):
            ok, counts = _run(plan_years.copy_plan_year, data.engine(), admin, int(src), int(dst),
                              title_zh=title)
            if ok:
                _flash(t("admin_copied", year=int(dst), counts=", ".join(f"{k} {v}" for k, v in counts.items())))


def audit(admin: AuthUser) -> None:
    auth.require_role(admin, auth.ROLE_ADMIN)
    entities = [None, "users", "projects", "targets", "allocations", "milestones", "plan_years", "import_batches"]
    lang = _lang()
    entity = st.selectbox(t("admin_audit_entity"), entities, key="admin_audit_entity",
                          format_func=lambda e: av.entity_word(e, lang) if e else t("admin_all"))
    df = av.audit_table(audit_log.entries(data.engine(), limit=1000, entity=entity), lang)
    widgets.table(df, hide_index=True)
    widgets.download_buttons(df, "audit_log", key="admin_audit_dl", sheet=t("admin_tab_audit"))


def title() -> str:
    return tr("admin_title", _lang())
