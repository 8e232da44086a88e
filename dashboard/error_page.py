"""The project's own error page, in Chinese (English with ?lang=en), instead of Streamlit's English
exception box with its "Ask Google / Ask ChatGPT" buttons (outside links on an intranet).

dashboard/app.py runs every page inside `guard`: an unhandled exception, or the database going
away in the middle of a run, ends in `show`, which says what happened, that the stored figures are
safe (every change is written in one transaction, whole or not at all), and that it tries again:
a database outage every RETRY_SECONDS by itself (a fragment that reruns the app), any error at
the click of 重试. Nothing of the exception reaches the page (its class name goes to the event log,
data_access.events); there is no link. Streamlit's own box is also told never to show its links
(`client.showErrorLinks = "false"` in dashboard/.streamlit/config.toml) for what escapes this.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn

import streamlit as st
from sqlalchemy import exc as sa_exc

from data_access import events

from dashboard.i18n import register, tr

RETRY_SECONDS = 10
_ARMED = "err_retry_armed"

register({
    "err_outage_title": ("数据库暂时无法连接", "The database cannot be reached at the moment"),
    "err_outage_body": ("看板此刻读不到数据库，可能是网络或数据库服务器正在维护。",
                        "The dashboard cannot read its database right now; the network or the database server may be under maintenance."),
    "err_bug_title": ("页面出现意外错误", "This page ran into an unexpected error"),
    "err_bug_body": ("页面在显示时出现了一个程序错误，已记录在系统日志中。",
                     "The page hit a program error while it was being drawn; it has been written to the system log."),
    "err_safe": ("已录入的数据是安全的：每次上报、审核和修改都是整体写入或完全不写入，不会留下半截数据。",
                 "The figures already stored are safe: every upload, review and edit is written whole or not at all."),
    "err_retrying": ("系统每{n}秒自动重试一次，连接恢复后页面会自动显示数据；也可点击“重试”。",
                     "The dashboard tries again every {n} seconds and shows the figures once the connection is back; or click “Try again”."),
    "err_retry_hint": ("请点击“重试”；如果问题仍然存在，请联系系统管理员。",
                       "Click “Try again”; if the problem stays, tell the system administrator."),
    "err_retry": ("重试", "Try again"),
})


def is_outage(exc: BaseException) -> bool:
    """Whether `exc` means the database cannot be reached (not a program error): SQLAlchemy's
    OperationalError / InterfaceError (connection refused, reset, server gone), a connection the
    driver reported invalidated, a pool that timed out, or a socket error."""
    if isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError,
                        ConnectionError, TimeoutError)):
        return True
    return isinstance(exc, sa_exc.DBAPIError) and bool(exc.connection_invalidated)


def _lang() -> str:
    lang = st.session_state.get("lang") or st.query_params.get("lang")
    return "en" if lang == "en" else "zh"


@st.fragment(run_every=RETRY_SECONDS)
def _auto_retry() -> None:
    """Drawn inline once (arms itself), then every RETRY_SECONDS: rerun the whole app."""
    if st.session_state.get(_ARMED):
        st.session_state[_ARMED] = False
        st.rerun(scope="app")
    st.session_state[_ARMED] = True


def show(exc: BaseException, where: str = "page") -> NoReturn:
    """Log `exc` (its class name) and draw the error page in place of what failed; stops the run."""
    events.error(exc, where=where)
    lang = _lang()
    outage = is_outage(exc)
    st.error(tr("err_outage_title" if outage else "err_bug_title", lang), icon=":material/cloud_off:"
             if outage else ":material/error:")
    st.text(tr("err_outage_body" if outage else "err_bug_body", lang))  # plain text: no markdown, no link
    st.text(tr("err_safe", lang))
    st.text(tr("err_retrying", lang, n=RETRY_SECONDS) if outage else tr("err_retry_hint", lang))
    st.button(tr("err_retry", lang), key="err_retry", type="primary", icon=":material/refresh:")  # a click reruns
    if outage:
        _auto_retry()
    st.stop()


@contextmanager
def guard(where: str = "page") -> Iterator[None]:
    """Run a block of the app; any exception (not Streamlit's own stop and rerun, which are not
    Exceptions) ends in `show`, a DataAccessError the block did not handle too."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - the one place every unhandled error ends
        show(exc, where)


def run(fn: Callable[[], object], where: str = "page") -> None:
    """`fn()` inside `guard`."""
    with guard(where):
        fn()

