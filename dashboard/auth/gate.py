"""The login gate and the signed-in user.

app.py calls `gate()` before st.navigation: without a login no page script runs at all, so no
page, download or export is reachable. Pages and other modules read `viewer.current_user()`.
The signed-in user and the county scope live in dashboard/viewer.py.

Modes (dashboard/auth/settings.py): builtin, proxy (server.trustedUserHeaders -> st.user),
oidc (st.login), none (explicitly off; every page then says so).
"""
from __future__ import annotations

from typing import Any

import json
import re
from typing import NoReturn
import streamlit as st

from data_access.accounts import auth
from data_access.accounts.auth import AuthUser
from data_access.schema.accounts import ROLE_NAMES_EN
from data_access.errors import DataAccessError

from dashboard.auth import routes, settings
from dashboard.filters import url as url_filters
from dashboard import data, viewer
from dashboard.i18n import register, tr
from dashboard.navigation import build_pages
from dashboard.ui.safe_text import md

register({
    "auth_login_title": ("登录", "Sign in"),
    "auth_username": ("用户名", "User name"),
    "auth_password": ("密码", "Password"),
    "auth_sign_in": ("登录", "Sign in"),
    "auth_remember": ("保持登录", "Stay signed in"),
    "auth_remember_help": ("仅在自己的电脑上勾选：登录在关闭浏览器后仍保留（最长一次登录的有效期）。不勾选时关闭浏览器即退出。",
                           "Tick only on your own computer: you stay signed in after closing the browser (up to the "
                           "login's lifetime). Unticked, closing the browser signs you out."),
    "auth_sign_out": ("退出登录", "Sign out"),
    "auth_signed_in_as": ("当前用户", "Signed in as"),
    "auth_no_users": ("系统中还没有任何账号。请管理员在服务器上运行：python -m data_access user create 用户名 --role 管理员",
                      "There are no accounts yet. An administrator runs on the server: "
                      "python -m data_access user create NAME --role admin"),
    "auth_no_cookie_route": ("提示：本服务直接以 dashboard/app.py 启动，刷新页面后需要重新登录；以 dashboard/auth_server.py 启动可保持登录。",
                             "Note: this server was started from dashboard/app.py, so a page refresh signs you out; "
                             "start it from dashboard/auth_server.py to stay signed in."),
    "auth_session_ended": ("登录已过期或已退出，请重新登录。", "Your session has ended; please sign in again."),
    "auth_change_title": ("修改密码", "Change password"),
    "auth_change_forced": ("首次登录或密码被重置后，须先设置自己的新密码。", "Please set your own password before continuing."),
    "auth_old_password": ("原密码", "Current password"),
    "auth_new_password": ("新密码（至少8位，含字母、数字、符号中的两类）", "New password (8+ characters, two of letters, digits, symbols)"),
    "auth_new_password2": ("再次输入新密码", "Repeat the new password"),
    "auth_change_submit": ("保存新密码", "Save new password"),
    "auth_mismatch": ("两次输入的新密码不一致。", "The two new passwords differ."),
    "auth_changed": ("密码已修改。", "Password changed."),
    "auth_off": ("身份认证已由运维人员关闭（KPI_AUTH_MODE=none）：任何能打开本页的人都可以查看和修改数据。",
                 "Authentication is turned off by the operator (KPI_AUTH_MODE=none): anyone who can open this page can view and change data."),
    "auth_off_sample": ("身份认证已关闭：这是示例数据的快速体验模式，任何人都可以查看和修改。正式使用请设置 KPI_AUTH_MODE=builtin（或 proxy、oidc）。",
                        "Authentication is off: this is the sample-data quick start; anyone can view and change it. "
                        "For real use set KPI_AUTH_MODE=builtin (or proxy, oidc)."),
    "auth_config_error": ("登录配置有误：{reason}", "Login configuration error: {reason}"),
    "auth_proxy_not_configured": ("单点登录未配置：未设置 server.trustedUserHeaders，已忽略请求中的用户头，拒绝访问。",
                                  "Single sign-on is not configured (server.trustedUserHeaders is not set): "
                                  "user headers are ignored and access is refused."),
    "auth_proxy_no_user": ("未从单点登录代理收到用户名，拒绝访问。请通过单位门户打开本看板。",
                           "No user name came from the sign-on proxy; access refused. Open the dashboard through the portal."),
    "auth_oidc_not_configured": ("统一身份认证未配置：secrets.toml 中缺少 [auth] 段。", "OIDC is not configured: secrets.toml has no [auth] section."),
    "auth_oidc_sign_in": ("使用统一身份认证登录", "Sign in with the organisation's account"),
    "auth_oidc_no_claim": ("身份提供方未提供用户名（{claim}），拒绝访问。", "The identity provider sent no user name ({claim}); access refused."),
    "auth_oidc_error": ("无法启动统一身份认证登录：{reason}", "Cannot start the OIDC sign-in: {reason}"),
})

_SID = "auth_session_id"
_HANDOFF = "auth_handoff"
_REMEMBER = "auth_handoff_remember"
_EXPIRE_COOKIE = "auth_expire_cookie"
_ENDED = "auth_session_ended"
_SAFE_CODE = re.compile(r"[A-Za-z0-9_-]{20,100}")


def _lang() -> str:
    lang = st.session_state.get("lang") or st.query_params.get("lang")
    return lang if lang in ("zh", "en") else "zh"


def plain(text: str) -> str:
    """`text` with markdown syntax escaped: messages quoting user input (a user name from the proxy,
    a cell from an editor) go through st.error/st.success, which render markdown."""
    return md(text)


def _msg(exc: DataAccessError, lang: str) -> str:
    return plain(exc.message_en if lang == "en" else exc.message_zh)


def _stop(lang: str) -> NoReturn:
    """End the run before any page runs. The page table is still declared (hidden) so that the page
    asked for in the URL (e.g. /admin) is the one shown after the login."""
    st.navigation(build_pages(lang), position="hidden")
    st.stop()


def _refuse(text: str, lang: str) -> NoReturn:
    st.title(tr("app_title", lang))
    st.error(text, icon=":material/lock:")
    _stop(lang)


def gate() -> AuthUser:
    """Return the signed-in user, or show the login (or a refusal) and stop the run."""
    viewer.sign_out()
    lang = _lang()
    try:
        mode = settings.mode(data.dataset_info().get("dataset"))
    except DataAccessError as exc:
        _refuse(tr("auth_config_error", lang, reason=_msg(exc, lang)), lang)
    viewer.set_mode(mode)
    if mode == "none":
        user = auth.ANONYMOUS
        key = "auth_off" if settings.mode_was_chosen() else "auth_off_sample"
        if not url_filters.presenting(st.query_params):  # no banner on a meeting's slides
            st.warning(tr(key, lang), icon=":material/lock_open:")
    elif mode == "builtin":
        user = _builtin(lang)
    elif mode == "proxy":
        user = _proxy(lang)
    else:
        user = _oidc(lang)
    viewer.sign_in(user)
    return user


# --- built-in accounts ------------------------------------------------------------------------


def _cookie_token() -> str | None:
    """The login cookie sent with this session's connection (read-only in Python)."""
    try:
        return routes.context_token()
    except Exception:  # noqa: BLE001 - no browser context (bare mode)
        return None


def _builtin(lang: str) -> AuthUser:
    eng = data.engine()
    ss = st.session_state
    user = None
    if ss.get(_SID) is not None:
        user = auth.check_session(eng, ss[_SID])
        if user is None:
            ss.pop(_SID, None)
            ss[_ENDED] = True
    if user is None:
        token = _cookie_token()
        found = auth.resume(eng, token) if token else None
        if found is not None:
            user, ss[_SID] = found
    if user is None:
        _login_form(eng, lang)
        _stop(lang)
    _deliver_cookie()
    if user.must_change_password:
        st.title(tr("app_title", lang))
        st.info(tr("auth_change_forced", lang), icon=":material/key:")
        password_form(user, lang, key="auth_forced")
        _stop(lang)
    return user


def _script(path: str, body: str | None) -> str:
    # Values are JSON-encoded and '<' escaped, so nothing can close the script element.
    payload = "" if body is None else f", body: {json.dumps(body)}"
    js = (f"fetch({json.dumps(path)}, {{method: 'POST', credentials: 'same-origin', "
          f"headers: {{'Content-Type': 'text/plain'}}{payload}}});")
    js = js.replace("<", "\\u003c")
    return f"<script>{js}</script>"


def _deliver_cookie() -> None:
    """Right after a login: the browser trades the one-time code for the HttpOnly cookie."""
    code = st.session_state.pop(_HANDOFF, None)
    remember = bool(st.session_state.pop(_REMEMBER, False))
    if code and routes.enabled() and _SAFE_CODE.fullmatch(code):
        st.html(_script(routes.session_path(), routes.handoff_body(code, remember)), unsafe_allow_javascript=True,
                width="content")


def _login_form(eng: Any, lang: str) -> None:
    ss = st.session_state
    if ss.pop(_EXPIRE_COOKIE, False) and routes.enabled():
        st.html(_script(routes.logout_path(), None), unsafe_allow_javascript=True, width="content")
    st.title(tr("app_title", lang))
    st.subheader(tr("auth_login_title", lang))
    if ss.pop(_ENDED, False):
        st.info(tr("auth_session_ended", lang), icon=":material/schedule:")
    if auth.count_users(eng) == 0:
        st.info(tr("auth_no_users", lang), icon=":material/person_add:")
    with st.form("auth_login", clear_on_submit=True, width=420):
        name = st.text_input(tr("auth_username", lang), key="auth_username", autocomplete="username")
        password = st.text_input(tr("auth_password", lang), type="password", key="auth_password",
                                 autocomplete="current-password")
        remember = st.checkbox(tr("auth_remember", lang), key="auth_remember", help=tr("auth_remember_help", lang))
        submitted = st.form_submit_button(tr("auth_sign_in", lang), type="primary", key="auth_submit")
    if submitted:
        try:
            login = auth.login(eng, name, password)
        except DataAccessError as exc:
            st.error(_msg(exc, lang), icon=":material/error:")
        else:
            ss[_SID] = login.session_id
            ss[_HANDOFF] = login.handoff_code
            ss[_REMEMBER] = remember
            st.rerun()
    if not routes.enabled():
        st.caption(tr("auth_no_cookie_route", lang))


def password_form(user: AuthUser, lang: str, key: str) -> None:
    """Change one's own password (forced at first use; also offered in the sidebar)."""
    with st.form(key, clear_on_submit=True, width=420):
        st.markdown(f"**{tr('auth_change_title', lang)}**")
        old = st.text_input(tr("auth_old_password", lang), type="password", key=f"{key}_old",
                            autocomplete="current-password")
        new = st.text_input(tr("auth_new_password", lang), type="password", key=f"{key}_new",
                            autocomplete="new-password")
        new2 = st.text_input(tr("auth_new_password2", lang), type="password", key=f"{key}_new2",
                             autocomplete="new-password")
        submitted = st.form_submit_button(tr("auth_change_submit", lang), key=f"{key}_submit")
    if not submitted:
        return
    if new != new2:
        st.error(tr("auth_mismatch", lang))
        return
    try:
        auth.change_password(data.engine(), user, old, new, keep_session=st.session_state.get(_SID))
    except DataAccessError as exc:
        st.error(_msg(exc, lang), icon=":material/error:")
        return
    st.toast(tr("auth_changed", lang), icon=":material/check:")
    st.rerun()


def _sign_out() -> None:
    ss = st.session_state
    if ss.get(_SID) is not None:
        auth.logout(data.engine(), ss[_SID])
    for k in (_SID, _HANDOFF, _REMEMBER):
        ss.pop(k, None)
    viewer.sign_out()
    ss[_EXPIRE_COOKIE] = True


# --- single sign-on ---------------------------------------------------------------------------


def _proxy(lang: str) -> AuthUser:
    key = settings.proxy_user_key()
    if key is None:  # no trusted header configured: whatever header arrived is ignored
        _refuse(tr("auth_proxy_not_configured", lang), lang)
    name = st.user.to_dict().get(key)
    if not name:
        _refuse(tr("auth_proxy_no_user", lang), lang)
    try:
        return auth.load_user(data.engine(), str(name))
    except DataAccessError as exc:
        _refuse(_msg(exc, lang), lang)


def _oidc_login() -> None:
    provider = settings.oidc_provider()
    try:
        st.login(provider) if provider else st.login()
    except Exception as exc:  # noqa: BLE001 - e.g. Authlib not installed: shown, not a traceback
        st.session_state["auth_oidc_error"] = str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _oidc(lang: str) -> AuthUser:
    if not settings.oidc_configured():
        _refuse(tr("auth_oidc_not_configured", lang), lang)
    info = st.user.to_dict()
    if not info.get("is_logged_in"):
        st.title(tr("app_title", lang))
        err = st.session_state.pop("auth_oidc_error", None)
        if err:
            st.error(tr("auth_oidc_error", lang, reason=plain(err)))
        st.button(tr("auth_oidc_sign_in", lang), on_click=_oidc_login, type="primary", key="auth_oidc")
        _stop(lang)
    claim = settings.oidc_user_claim()
    name = info.get(claim)
    if not name:
        _refuse(tr("auth_oidc_no_claim", lang, claim=claim), lang)
    try:
        return auth.load_user(data.engine(), str(name))
    except DataAccessError as exc:
        _refuse(_msg(exc, lang), lang)


# --- for app.py, state.py and the pages ---------------------------------------------------------


def sidebar_account() -> None:
    """Who is signed in, sign out, change password (built-in)."""
    user, mode, lang = viewer.current_user(), viewer.current_mode(), _lang()
    if user is None or mode == "none":
        return
    with st.sidebar:
        st.divider()
        st.caption(tr("auth_signed_in_as", lang))
        st.text(f"{user.display_name}（{user.role_zh}）" if lang == "zh" else
                f"{user.display_name} ({ROLE_NAMES_EN.get(user.role, user.role)})")
        if mode == "builtin":
            with st.popover(tr("auth_change_title", lang), icon=":material/key:"):
                password_form(user, lang, key="auth_change")
            st.button(tr("auth_sign_out", lang), on_click=_sign_out, icon=":material/logout:", key="auth_logout")
        elif mode == "oidc":
            st.button(tr("auth_sign_out", lang), on_click=st.logout, icon=":material/logout:", key="auth_logout")
        else:
            url = settings.proxy_logout_url()
            if url:
                st.link_button(tr("auth_sign_out", lang), url, icon=":material/logout:")


def require_page_role(*roles: str) -> AuthUser:
    """For a page: the user if it has one of `roles`, else an error and the run stops."""
    user = viewer.current_user()
    try:
        return auth.require_role(user, *roles)
    except DataAccessError as exc:
        st.error(_msg(exc, _lang()), icon=":material/block:")
        st.stop()
