"""The weekly meeting page's pure parts: its texts, the sections and slides, the presentation
style sheet, the charts and the tables shaped from a briefing. The briefing itself is read by
dashboard/data.py (`briefing`, `briefing_tables`); dashboard/ui/meeting.py draws the page.

Presentation mode lives in the URL (`?present=1`, and `&slide=N` for the section on screen), so a
shared screen can be reopened where it was. It hides the sidebar and enlarges the type with a
constant style sheet (layout only, never user text) and shows one section per screen with
previous/next buttons (also the ← → keys).
"""
from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from data_access.meeting import tables as bx, texts as mtext
from data_access.meeting import briefing as meeting
from data_access.accounts.identity import ANONYMOUS, AuthUser
from data_access.accounts.permissions import may_record_decision

from dashboard.i18n import register, tr

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
[data-testid="stHeader"] {display: none !important;}
[data-testid="stMainBlockContainer"] {max-width: 100% !important; padding: 1.25rem 3rem 1rem 3rem !important;}
[data-testid="stMain"] [data-testid="stMarkdownContainer"] p,
[data-testid="stMain"] [data-testid="stMarkdownContainer"] li {font-size: 1.65rem; line-height: 1.55;}
[data-testid="stMain"] [data-testid="stTable"] table {font-size: 1.2rem;}
[data-testid="stMain"] [data-testid="stMetricValue"] [data-testid="stMarkdownContainer"] p {font-size: 3.4rem; line-height: 1.2;}
[data-testid="stMain"] [data-testid="stMetricLabel"] [data-testid="stMarkdownContainer"] p {font-size: 1.4rem;}
[data-testid="stMain"] [data-testid="stCaptionContainer"] p {font-size: 1.15rem;}
[data-testid="stMain"] h1 {font-size: 2.6rem;}
[data-testid="stMain"] h2 {font-size: 2.2rem;}
.st-key-mt_compact [data-testid="stTable"] table,
.st-key-mt_compact [data-testid="stTable"] th, .st-key-mt_compact [data-testid="stTable"] td,
.st-key-mt_compact [data-testid="stTable"] [data-testid="stMarkdownContainer"] p
  {font-size: 1.35rem !important; line-height: 1.3 !important;}
.st-key-mt_compact [data-testid="stTable"] th, .st-key-mt_compact [data-testid="stTable"] td
  {padding: 0.2rem 0.5rem !important;}
.st-key-mt_compact h3 {font-size: 1.5rem; padding: 0.25rem 0;}
</style>"""

# A slide's tables are condensed (smaller type, tighter rows) when one has more rows than this, so
# that 12 or 13 lagging units still fit on a 1920x1080 screen.
COMPACT_ROWS = 6


def compact(*frames: pd.DataFrame) -> bool:
    """Whether a slide showing `frames` uses the condensed table style."""
    return any(len(f) > COMPACT_ROWS for f in frames)


# ---------------------------------------------------------------------------------------------
# charts (pure: rows in, figure out)


def _bar_layout(fig: go.Figure, rows: int, title: str, x_range: Any, tickformat: str, big: bool) -> go.Figure:
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


def slide_number(raw: str | None) -> int:
    """The section on screen, 0-based, from ?slide=N (1-based), kept within range."""
    try:
        n = int(raw or "1")
    except ValueError:
        n = 1
    return min(max(n, 1), len(SLIDES)) - 1


def units_behind_table(b: meeting.Briefing, lang: str) -> pd.DataFrame:
    """Per county: how many targets it is behind on, and their codes (the 'behind' section)."""
    per_unit = meeting.behind_by_unit(b.behind_counties)
    name_col = "unit_name_en" if lang == "en" else "unit_name_zh"
    return pd.DataFrame({tr("mtx_col_county", lang): per_unit[name_col],
                         tr("mtp_count", lang): per_unit["count"].astype(int),
                         tr("mtx_col_code", lang): per_unit["targets"].str.replace(",", " ")})


def may_record(user: Any) -> tuple[str | None, bool, AuthUser]:
    """(display name, may record decisions, acting user) of `user` (an AuthUser); without accounts
    (None, True, ANONYMOUS). Who may record is `accounts.permissions.may_record_decision`: reporters
    read the briefing, they do not record decisions (the data layer refuses them too)."""
    if user is None:
        return None, True, ANONYMOUS
    return user.display_name or user.username, may_record_decision(user), user


def shown_tables(figure_tables: dict[str, pd.DataFrame], b: meeting.Briefing, lang: str) -> dict[str, pd.DataFrame]:
    """The tables the sections show: the figures' (cached, data.briefing_tables), the decisions'
    from `b` (read afresh)."""
    return {**figure_tables, "decisions": bx.decision_table(b, lang)}
