"""Chinese-first labels with an English switch.

Shared strings live in `_STRINGS`; a page registers its own with `register({...})` so that
pages don't edit one shared table. `tr` is pure; `t` reads the session's language.
"""
from __future__ import annotations

from typing import Any

from data_access.present.texts import Texts

from dashboard.ui.status_style import STATUS_WORDS

_STRINGS: dict[str, tuple[str, str]] = {
    "app_title": ("鹰城工会看板", "Yingcheng Union Dashboard"),
    "app_subtitle": ("平顶山市总工会年度工作目标进度", "Pingdingshan Federation of Trade Unions: work-plan progress"),
    "nav_overview": ("总览", "Overview"),
    "nav_targets": ("目标详情", "Target detail"),
    "nav_map": ("驿站与托管班地图", "Stations map"),
    "nav_new_economy": ("新业态入会", "New-economy members"),
    "nav_report": ("数据填报", "Reporting"),
    "nav_meeting": ("周例会", "Weekly meeting"),
    "nav_admin": ("系统管理", "Administration"),
    "nav_section_main": ("看板", "Dashboard"),
    "nav_section_work": ("工作", "Work"),
    "filter_header": ("筛选", "Filters"),
    "filter_county": ("区县", "County"),
    "filter_county_placeholder": ("全市（不选即全市）", "Whole city (none selected)"),
    "filter_year": ("计划年度", "Plan year"),
    "filter_as_of": ("截至日期", "As of"),
    "filter_lang": ("语言 / Language", "语言 / Language"),
    "filter_reset": ("恢复默认", "Reset"),
    "whole_city": ("全市", "Whole city"),
    "warn_unknown_county": ("链接中的区县代码无法识别：{value}，已忽略。", "Unknown county code in the link: {value}; ignored."),
    "warn_bad_year": ("链接中的年度“{value}”无效，已改为默认年度。", "Invalid year “{value}” in the link; using the default."),
    "warn_bad_date": ("链接中的日期“{value}”格式不对（应为 YYYY-MM-DD），已改为默认日期。", "Invalid date “{value}” in the link (expected YYYY-MM-DD); using the default date."),
    "warn_date_out_of_range": ("链接中的日期“{value}”不在所选计划年度内（{start} 至 {end}），已改为默认日期。", "The date “{value}” in the link is outside the plan year ({start} to {end}); using the default date."),
    "warn_scope_refused": ("您的账号只能查看本单位的数据，链接中的其他区县（{value}）已被拒绝。",
                           "Your account may view only its own unit; the other counties in the link ({value}) were refused."),
    "warn_bad_lang": ("链接中的语言“{value}”无效，已改为中文。", "Invalid language “{value}” in the link; using Chinese."),
    "banner_sample": ("示例数据：本看板当前显示的是根据2023年工作要点生成的示例数据，并非真实填报。", "Sample data: this dashboard shows generated sample data based on the 2023 plan, not real reports."),
    "banner_last_report": ("数据截至 {as_of}；最新填报日期 {latest}。", "Data as of {as_of}; latest report {latest}."),
    "banner_scope": ("范围：{scope}", "Scope: {scope}"),
    "no_data": ("暂无数据。", "No data."),
    "no_plan_year": ("数据库中还没有任何计划年度。请先导入数据：python -m data_access load-sample", "The database has no plan year yet. Load data first: python -m data_access load-sample"),
    "db_error": ("无法读取数据库：{reason}", "Cannot read the database: {reason}"),
    "download_csv": ("下载 CSV", "Download CSV"),
    "download_xlsx": ("下载 Excel", "Download Excel"),
    **{f"status_{s}": words for s, words in STATUS_WORDS.items()},  # ui/status_style.py
}


_TEXTS = Texts(_STRINGS)
# register({key: (zh, en)}): a page's own strings; a key may not come twice with different text.
register = _TEXTS.register
# tr(key, lang="zh", **fmt): the text for `key` in `lang`, formatted (pure).
tr = _TEXTS


def current_lang() -> str:
    import streamlit as st

    return str(st.session_state.get("lang", "zh"))


def t(key: str, **fmt: Any) -> str:
    """The text for `key` in the session's language."""
    return tr(key, current_lang(), **fmt)
