"""The administration page's sections (pages/admin.py stays a thin list of tabs).

Everything is read and written through data_access.auth / data_access.admin_ops, which check the
administrator role again and write the audit log; this module only lays out forms and editors.
User-entered text is shown in tables and text widgets, never as HTML or markdown.
"""
from __future__ import annotations

from typing import Any


import pandas as pd
import streamlit as st

from data_access import audit as audit_log
from data_access.plan import allocations as plan_allocations, edits, years as plan_years
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


def targets(admin: AuthUser, year: int) -> None:
    st.caption(t("admin_year_caption", year=year))
    df = edits.targets_for_edit(data.engine(), year)
    edited = st.data_editor(df, hide_index=True, key=f"admin_targets_{year}_{_ver()}",
                            disabled=["code", "project_code", "measure", "parent_code"],
                            column_config={**av.column_titles(df.columns, _lang()),
                                           "value": st.column_config.NumberColumn(
                                               av.column_title("value", _lang()), min_value=0, format="%.2f")})
    if st.button(t("admin_save"), key="admin_targets_save", type="primary"):
        _save(edits.save_targets, admin, year, edited)


def allocations(admin: AuthUser, year: int) -> None:
    st.caption(t("admin_year_caption", year=year))
    df = plan_allocations.allocation_matrix(data.engine(), year)
    edited = st.data_editor(df, hide_index=True, key=f"admin_alloc_{year}_{_ver()}",
                            disabled=["unit_code", "unit_name"], column_config=av.column_titles(
                                [c for c in df.columns if c in ("unit_code", "unit_name")], _lang()))
    if st.button(t("admin_save"), key="admin_alloc_save", type="primary"):
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
    entities = [None, "users", "targets", "allocations", "milestones", "plan_years", "import_batches"]
    lang = _lang()
    entity = st.selectbox(t("admin_audit_entity"), entities, key="admin_audit_entity",
                          format_func=lambda e: av.entity_word(e, lang) if e else t("admin_all"))
    df = av.audit_table(audit_log.entries(data.engine(), limit=1000, entity=entity), lang)
    widgets.table(df, hide_index=True)
    widgets.download_buttons(df, "audit_log", key="admin_audit_dl", sheet=t("admin_tab_audit"))


def title() -> str:
    return tr("admin_title", _lang())
