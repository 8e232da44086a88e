"""The briefing as files: display tables (shared by the page), an Excel workbook and a PDF.

Offline by design: the PDF embeds a subset of the system's Noto Sans CJK (fonts-noto-cjk; its .ttc
has CFF outlines, which fpdf2 embeds as CIDFontType0C) and its charts are drawn by matplotlib
into PNGs. Set KPI_CJK_FONT to a font file to use another CJK font. No streamlit.
"""
from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from data_access import clock
from data_access.present import fmt
from data_access.meeting import briefing
from data_access.kpis import metrics
from data_access.errors import DataAccessError
from data_access.present.exports import neutralise
from data_access.meeting.briefing import Briefing, amount, short_name, tx
from data_access.present.texts import Texts

STATUS_COLOURS = {metrics.STATUS_AHEAD: "#1a7f37", metrics.STATUS_ON_PACE: "#1f6feb",
                  metrics.STATUS_BEHIND: "#cf222e"}

# (zh, en) headings, section titles and state words of the tables, the page and the files.
LABELS: dict[str, tuple[str, str]] = {
    "app": ("鹰城工会看板", "Yingcheng Union Dashboard"),
    "filters": ("范围：{scope}　计划年度：{year}　简报日期：{date}　统计周：{week}",
                "Scope: {scope} | Plan year: {year} | Briefing date: {date} | Week: {week}"),
    "generated": ("生成于 {at}；数字为截至简报日期当天已知的数据。",
                  "Generated {at}; figures as known at the end of the briefing date."),
    "page": ("第 {n} 页", "Page {n}"),
    "sec_summary": ("本周概要", "Summary"),
    "sec_progress": ("目标进度与序时进度", "Progress against expected pace"),
    "sec_changes": ("本周变化", "What moved this week"),
    "sec_county_changes": ("各单位本周变化", "This week by unit"),
    "sec_behind": ("滞后序时的目标和单位", "Behind pace: targets and units"),
    "sec_behind_targets": ("滞后序时的目标", "Targets behind pace"),
    "sec_behind_counties": ("滞后序时的单位", "Units behind pace"),
    "sec_reporting": ("本周报送情况", "Reporting this week"),
    "sec_decisions": ("督办事项", "Decisions to follow up"),
    "chart_progress": ("完成率与序时进度（竖线）", "Completion against expected pace (tick)"),
    "chart_changes": ("本周新增占年度目标的比例", "This week's progress as a share of the annual target"),
    "info": ("简报", "Briefing"),
    "info_item": ("项目", "Item"),
    "info_value": ("内容", "Value"),
    "info_title": ("标题", "Title"),
    "info_scope": ("范围", "Scope"),
    "info_year": ("计划年度", "Plan year"),
    "info_date": ("简报日期", "Briefing date"),
    "info_week": ("统计周", "Week"),
    "info_generated": ("生成时间", "Generated"),
    "info_summary": ("概要", "Summary"),
    "col_code": ("编号", "Code"),
    "col_target_name": ("目标", "Target"),
    "col_unit_of": ("计量单位", "Unit of measure"),
    "col_target": ("年度目标", "Annual target"),
    "col_actual": ("已完成", "Done"),
    "col_completion": ("完成率", "Completion"),
    "col_expected": ("序时进度", "Expected by now"),
    "col_fraction": ("序时进度比例", "Share of year expected"),
    "col_status": ("状态", "Status"),
    "col_change_week": ("本周新增", "This week"),
    "col_required_weekly": ("此后每周需完成", "Needed per week"),
    "col_forecast": ("年末预测", "Year-end forecast"),
    "col_week_ago": ("截至上周", "A week earlier"),
    "col_now": ("截至本周", "Now"),
    "col_gap": ("差距", "Gap"),
    "col_county": ("单位", "Unit"),
    "col_allocation": ("分解任务", "Allocation"),
    "col_expected_reports": ("应报目标数", "Targets owed"),
    "col_reported": ("本周已报", "Reported this week"),
    "col_missing": ("未报目标", "Not reported"),
    "col_last_period": ("最近报送期末", "Last period reported"),
    "col_report_state": ("报送情况", "Reporting"),
    "col_id": ("序号", "No."),
    "col_meeting": ("会议日期", "Meeting"),
    "col_note": ("督办内容", "Note"),
    "col_owner": ("责任人", "Owner"),
    "col_due": ("办结期限", "Due"),
    "col_state": ("办理状态", "State"),
    "col_overdue": ("逾期", "Overdue"),
    "col_comment": ("最新说明", "Latest comment"),
    "report_none": ("未报送", "Not reported"),
    "report_partial": ("部分报送", "In part"),
    "report_complete": ("已报送", "Reported"),
    "decision_open": ("待办", "Open"),
    "decision_in_progress": ("推进中", "In progress"),
    "decision_done": ("已办结", "Done"),
    "decision_cancelled": ("已撤销", "Cancelled"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "none": ("无", "none"),
    "file_stem": ("周例会简报", "weekly_briefing"),
}


lb = Texts(LABELS)


def status_word(status: str, lang: str) -> str:
    return metrics.STATUS_EN.get(status, status) if lang == "en" else status


def file_name(b: Briefing, kind: str, lang: str = "zh") -> str:
    """周例会简报_2023-06-30.pdf (with the units' codes when filtered)."""
    scope = f"_{'-'.join(b.units)}" if b.units else ""
    return f"{lb('file_stem', lang)}_{b.meeting_date.isoformat()}{scope}.{kind}"


# ---------------------------------------------------------------------------------------------
# tables


TABLE_ORDER = ("progress", "changes", "county_changes", "behind_targets", "behind_counties",
               "reporting", "decisions")
TABLE_TITLES = {"progress": "sec_progress", "changes": "sec_changes",
                "county_changes": "sec_county_changes", "behind_targets": "sec_behind_targets",
                "behind_counties": "sec_behind_counties", "reporting": "sec_reporting",
                "decisions": "sec_decisions"}


def _target_label(row, lang: str) -> str:
    return short_name(str(row["name_en"] if lang == "en" else row["name_zh"]))


def _days(series: pd.Series, lang: str, formatted: bool) -> pd.Series:
    """Dates as text in `lang` (formatted) or as they are; missing ones as —."""
    return series.map(lambda d: (fmt.date(d, lang) if formatted else d) if d is not None and pd.notna(d) else "—")


def tables(b: Briefing, lang: str = "zh", formatted: bool = True) -> dict[str, pd.DataFrame]:
    """Every table of the briefing with headings in `lang`. formatted=True: amounts as text via
    fmt (for the page and the PDF); False: plain numbers in base units (for Excel)."""
    col = lambda key: lb(f"col_{key}", lang)  # noqa: E731
    unit_col = "unit_en" if lang == "en" else "unit_zh"
    name_col = "unit_name_en" if lang == "en" else "unit_name_zh"

    def num(series: pd.Series, rows: pd.DataFrame) -> pd.Series:
        if not formatted:
            return pd.to_numeric(series, errors="coerce")
        return pd.Series([amount(v, r, lang) if pd.notna(v) else "—" for v, r in
                          zip(series, rows.to_dict("records"))], index=series.index, dtype=object)

    def pct(series: pd.Series) -> pd.Series:
        if not formatted:
            return pd.to_numeric(series, errors="coerce")
        return series.map(lambda v: fmt.percent(v, lang) if pd.notna(v) else "—")

    def signed(series: pd.Series, rows: pd.DataFrame) -> pd.Series:
        if not formatted:
            return pd.to_numeric(series, errors="coerce")
        out = []
        for v, r in zip(series, rows.to_dict("records")):
            text = amount(abs(v), r, lang) if pd.notna(v) and v != 0 else ""
            out.append("—" if pd.isna(v) else "±0" if v == 0 else ("+" if v > 0 else "−") + text)
        return pd.Series(out, index=series.index, dtype=object)

    def day(series: pd.Series) -> pd.Series:
        return _days(series, lang, formatted)

    ov = b.overview
    progress = pd.DataFrame({
        col("code"): ov["target_code"],
        col("target_name"): [_target_label(r, lang) for r in ov.to_dict("records")],
        col("unit_of"): ov[unit_col],
        col("target"): num(ov["target"], ov),
        col("actual"): num(ov["actual"], ov),
        col("completion"): pct(ov["completion"]),
        col("expected"): num(ov["expected"], ov),
        col("fraction"): pct(ov["fraction"]),
        col("status"): ov["status"].map(lambda s: status_word(s, lang)),
        col("change_week"): signed(b.changes["change"], ov),
        col("required_weekly"): num(ov["required_weekly"], ov),
    })

    ch = b.changes
    changes = pd.DataFrame({
        col("code"): ch["target_code"],
        col("target_name"): [_target_label(r, lang) for r in ch.to_dict("records")],
        col("week_ago"): num(ch["actual_week_ago"], ch),
        col("now"): num(ch["actual"], ch),
        col("change_week"): signed(ch["change"], ch),
    })

    matrix = briefing.county_change_matrix(b.county_changes, ov, lang)
    matrix = matrix.rename(columns={name_col: col("county")})
    if formatted:
        units_by_code = ov.set_index("target_code")
        for code in ov["target_code"]:
            if code in matrix:
                r = units_by_code.loc[code]
                matrix[code] = matrix[code].map(
                    lambda v, r=r: "" if v == 0 else ("+" if v > 0 else "−") + amount(abs(v), r, lang))

    bt = b.behind_targets
    behind_t = pd.DataFrame({
        col("code"): bt["target_code"],
        col("target_name"): [_target_label(r, lang) for r in bt.to_dict("records")],
        col("actual"): num(bt["actual"], bt),
        col("expected"): num(bt["expected"], bt),
        col("gap"): num(bt["gap"], bt),
        col("completion"): pct(bt["completion"]),
        col("change_week"): signed(bt["change_week"], bt),
        col("required_weekly"): num(bt["required_weekly"], bt),
    })

    bc = b.behind_counties
    behind_c = pd.DataFrame({
        col("county"): bc[name_col],
        col("code"): bc["target_code"],
        col("target_name"): [_target_label(r, lang) for r in bc.to_dict("records")],
        col("allocation"): num(bc["allocation"], bc),
        col("actual"): num(bc["actual"], bc),
        col("expected"): num(bc["expected"], bc),
        col("gap"): num(bc["gap"], bc),
        col("required_weekly"): num(bc["required_weekly"], bc),
    })

    rp = b.reporting
    reporting = pd.DataFrame({
        col("county"): rp[name_col],
        col("report_state"): rp["state"].map(lambda s: lb(f"report_{s}", lang)),
        col("expected_reports"): rp["expected"].astype(int),
        col("reported"): rp["reported"].astype(int),
        col("missing"): rp["missing"].map(lambda s: s.replace(",", "、" if lang == "zh" else ", ")),
        col("last_period"): day(rp["last_period_end"]),
    })

    return {"progress": progress, "changes": changes, "county_changes": matrix,
            "behind_targets": behind_t, "behind_counties": behind_c, "reporting": reporting,
            "decisions": decision_table(b, lang, formatted)}


def decision_table(b: Briefing, lang: str = "zh", formatted: bool = True) -> pd.DataFrame:
    """The briefing's decisions (督办事项) with headings in `lang` (see `tables`)."""
    col = lambda key: lb(f"col_{key}", lang)  # noqa: E731
    name_col = "unit_name_en" if lang == "en" else "unit_name_zh"

    dc = b.decisions
    target_names = dc["target_name_en" if lang == "en" else "target_name_zh"]
    return pd.DataFrame({
        col("id"): dc["id"].astype(int),
        col("meeting"): _days(dc["meeting_date"], lang, formatted),
        col("target_name"): [f"{c} {short_name(n)}" if isinstance(c, str) else "" for c, n in
                             zip(dc["target_code"], target_names)],
        col("county"): dc[name_col].fillna(""),
        col("note"): dc["note"],
        col("owner"): dc["owner"],
        col("due"): _days(dc["due_date"], lang, formatted),
        col("state"): dc["state"].map(lambda s: lb(f"decision_{s}", lang)),
        col("overdue"): dc["overdue"].map(lambda v: lb("yes" if v else "no", lang)),
        col("comment"): dc["comment"].fillna(""),
    })


def progress_chart_rows(b: Briefing, lang: str = "zh") -> pd.DataFrame:
    """What the progress charts draw, top to bottom: label, completion, fraction (序时进度 share of
    the year), status, colour, text (completion as a percentage)."""
    ov = b.overview
    return pd.DataFrame({
        "label": [f"{r['target_code']} {_target_label(r, lang)}" for r in ov.to_dict("records")],
        "completion": pd.to_numeric(ov["completion"], errors="coerce").fillna(0.0),
        "fraction": ov["fraction"].astype(float),
        "status": ov["status"],
        "colour": ov["status"].map(STATUS_COLOURS),
        "text": [f"{fmt.percent(c, lang)}（{status_word(s, lang)}）" if lang == "zh"
                 else f"{fmt.percent(c, lang)} ({status_word(s, lang)})"
                 for c, s in zip(ov["completion"], ov["status"])],
    })


def change_chart_rows(b: Briefing, lang: str = "zh") -> pd.DataFrame:
    """The week's change of each target as a share of its annual target, with the amount as text.
    Columns: label, share, text."""
    ch = b.changes.merge(b.overview[["target_code", "target"]], on="target_code")
    share = [c / t if t > 0 else 0.0 for c, t in zip(ch["change"], ch["target"])]
    return pd.DataFrame({
        "label": [f"{r['target_code']} {_target_label(r, lang)}" for r in ch.to_dict("records")],
        "share": share,
        "text": [("+" if c > 0 else "−" if c < 0 else "±") + (amount(abs(c), r, lang) if c else "0")
                 for c, r in zip(ch["change"], ch.to_dict("records"))],
    })


# ---------------------------------------------------------------------------------------------
# Excel


def xlsx_bytes(b: Briefing, lang: str = "zh", generated_at: dt.datetime | None = None) -> bytes:
    """A workbook: a first sheet with the filters, date and summary, then one sheet per table
    with plain numbers (base units; shares as fractions formatted as percentages)."""
    from openpyxl.utils import get_column_letter

    at = (generated_at or clock.now()).replace(microsecond=0)
    info = pd.DataFrame({
        lb("info_item", lang): [lb("info_title", lang), lb("info_scope", lang), lb("info_year", lang),
                                lb("info_date", lang), lb("info_week", lang), lb("info_generated", lang)]
        + [lb("info_summary", lang)] * len(briefing.summary(b, lang)),
        lb("info_value", lang): [f"{lb('app', lang)} · {tx('title', lang)}", b.scope(lang), b.year,
                                 b.meeting_date, briefing.week_label(b, lang), at]
        + briefing.summary(b, lang),
    })
    sheets = {lb("info", lang): info}
    plain = tables(b, lang, formatted=False)
    for key in TABLE_ORDER:
        sheets[lb(TABLE_TITLES[key], lang)] = plain[key]
    percent_headings = {lb("col_completion", lang), lb("col_fraction", lang)}
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        for name, df in sheets.items():
            safe = df.copy()
            for c in safe.columns:  # text typed by users must never run as a formula
                if safe[c].dtype == object or pd.api.types.is_string_dtype(safe[c]):
                    safe[c] = safe[c].map(neutralise)
            safe.to_excel(writer, sheet_name=name[:31], index=False)
            ws = writer.sheets[name[:31]]
            for i, heading in enumerate(safe.columns, start=1):
                letter = get_column_letter(i)
                width = max([len(str(heading))] + [len(str(v)) for v in safe[heading].head(50)])
                ws.column_dimensions[letter].width = min(max(10, width * 1.6), 80)
                if heading in percent_headings:
                    for cell in ws[letter][1:]:
                        cell.number_format = "0.0%"
                elif pd.api.types.is_float_dtype(safe[heading]):
                    for cell in ws[letter][1:]:
                        cell.number_format = "#,##0.##"
            ws.freeze_panes = "A2"
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# fonts and charts


@dataclass(frozen=True)
class CjkFont:
    path: str
    index: int  # face in a .ttc collection


# Where distributions put Noto Sans CJK, for machines without fontconfig's fc-match.
_KNOWN_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
)


def _sc_index(path: str) -> int:
    """The Simplified Chinese face of a collection (glyph shapes differ from the JP default)."""
    if not path.lower().endswith((".ttc", ".otc")):
        return 0
    from fontTools.ttLib import TTCollection

    with TTCollection(path, lazy=True) as coll:
        for i, font in enumerate(coll.fonts):
            name = str(font["name"].getDebugName(4) or "")
            if " SC" in name and "Mono" not in name:
                return i
    return 0


def _fc_match(pattern: str) -> str | None:
    if shutil.which("fc-match") is None:
        return None
    out = subprocess.run(["fc-match", "-f", "%{file}", pattern], capture_output=True, text=True,
                         timeout=10).stdout.strip()
    return out if "CJK" in out and Path(out).exists() else None


@lru_cache(maxsize=1)
def cjk_font() -> CjkFont:
    """The CJK font for PDFs: $KPI_CJK_FONT, else Noto Sans CJK SC found by fontconfig or in the
    usual Linux folders. Raises DataAccessError (with the fix) when there is none."""
    env = os.environ.get("KPI_CJK_FONT")
    if env:
        if not Path(env).exists():
            raise DataAccessError(f"KPI_CJK_FONT 指定的字体文件不存在：{env}",
                                  f"The font file in KPI_CJK_FONT does not exist: {env}")
        return CjkFont(env, _sc_index(env))
    regular = _fc_match("Noto Sans CJK SC:style=Regular")
    if regular is None:
        regular = next((p for p in _KNOWN_FONTS if Path(p).exists()), None)
    if regular is None:
        raise DataAccessError(
            "未找到中文字体 Noto Sans CJK，无法生成PDF。请安装 fonts-noto-cjk，或用环境变量 KPI_CJK_FONT 指定字体文件。",
            "No CJK font (Noto Sans CJK) found for the PDF: install fonts-noto-cjk or set KPI_CJK_FONT.")
    return CjkFont(regular, _sc_index(regular))


@lru_cache(maxsize=1)
def _matplotlib_font() -> None:
    """Make matplotlib draw text in the CJK font (once per process; this program is its only user)."""
    import matplotlib
    from matplotlib import font_manager

    font = cjk_font()
    font_manager.fontManager.addfont(font.path)  # no-op when fontconfig already listed it
    family = font_manager.FontProperties(fname=font.path).get_name()
    matplotlib.rcParams["font.family"] = ["Noto Sans CJK SC", family, "DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = False


def _figure_png(draw, height_in: float) -> bytes:
    """Run `draw(ax)` on a new matplotlib figure and return PNG bytes. No pyplot: the page makes
    PDFs on download threads, and a bare Figure with the Agg canvas shares no global state."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    _matplotlib_font()
    fig = Figure(figsize=(10.5, height_in), dpi=160)
    FigureCanvasAgg(fig)
    draw(fig.subplots())
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def progress_png(b: Briefing, lang: str = "zh") -> bytes:
    """Horizontal bars of completion per target, coloured by status, with a tick at 序时进度."""
    rows = progress_chart_rows(b, lang).iloc[::-1]

    def draw(ax):
        y = range(len(rows))
        top = max(1.0, float(rows["completion"].max()) if len(rows) else 1.0) * 1.25
        ax.barh(list(y), rows["completion"].clip(upper=top), color=list(rows["colour"]), height=0.55)
        ax.scatter(rows["fraction"], list(y), marker="|", s=420, color="#24292f", linewidths=2.5, zorder=3)
        for yi, c, f, text in zip(y, rows["completion"], rows["fraction"], rows["text"]):
            ax.text(min(max(c, f), top) + top * 0.015, yi, text, va="center", fontsize=9)
        ax.axvline(1.0, color="#57606a", linewidth=1)
        ax.set_yticks(list(y), list(rows["label"]), fontsize=9)
        ax.set_xlim(0, top)
        ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:.0%}")
        ax.set_title(lb("chart_progress", lang), fontsize=11, loc="left")
        ax.spines[["top", "right"]].set_visible(False)

    return _figure_png(draw, 0.3 * len(rows) + 0.8)


def changes_png(b: Briefing, lang: str = "zh") -> bytes:
    """Horizontal bars of the week's change as a share of each target, labelled with the amount."""
    rows = change_chart_rows(b, lang).iloc[::-1]

    def draw(ax):
        y = range(len(rows))
        top = max(0.01, float(rows["share"].abs().max()) if len(rows) else 0.01) * 1.35
        colours = ["#1f6feb" if s >= 0 else "#cf222e" for s in rows["share"]]
        ax.barh(list(y), rows["share"], color=colours, height=0.55)
        for yi, (s, text) in zip(y, zip(rows["share"], rows["text"])):
            ax.text(max(s, 0) + top * 0.01, yi, text, va="center", fontsize=9)
        ax.set_yticks(list(y), list(rows["label"]), fontsize=9)
        ax.set_xlim(min(0.0, float(rows["share"].min()) * 1.2) if len(rows) else 0.0, top)
        ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:.1%}")
        ax.set_title(lb("chart_changes", lang), fontsize=11, loc="left")
        ax.spines[["top", "right"]].set_visible(False)

    return _figure_png(draw, 0.3 * len(rows) + 0.8)


# ---------------------------------------------------------------------------------------------
# PDF

# Relative column widths of each table in the PDF (the target name gets the room).
_PDF_WIDTHS = {
    "progress": (6, 22, 7, 10, 10, 8, 10, 8, 8, 9, 10),
    "changes": (6, 30, 14, 14, 14),
    "behind_targets": (6, 26, 11, 11, 10, 8, 10, 11),
    "behind_counties": (12, 6, 26, 10, 10, 10, 9, 11),
    "reporting": (16, 10, 9, 9, 22, 14),
    "decisions": (5, 10, 16, 10, 30, 10, 10, 8, 6, 16),
}


def pdf_bytes(b: Briefing, lang: str = "zh", generated_at: dt.datetime | None = None) -> bytes:
    """An A4 landscape PDF: filters and date on every page, the summary, both charts and every table."""
    from fpdf import FPDF
    from fpdf.enums import WrapMode
    from fpdf.fonts import FontFace

    font = cjk_font()
    at = (generated_at or clock.now()).replace(microsecond=0)
    filters = lb("filters", lang, scope=b.scope(lang), year=b.year,
                 date=fmt.date(b.meeting_date, lang), week=briefing.week_label(b, lang))
    title = f"{lb('app', lang)} · {tx('title', lang)}"

    class Doc(FPDF):
        def header(self):
            if self.page_no() == 1:
                return
            self.set_font("cjk", size=8)
            self.set_text_color(90, 90, 90)
            self.cell(0, 5, f"{title}　{filters}", new_x="LMARGIN", new_y="NEXT")
            self.ln(2)
            self.set_text_color(0, 0, 0)

        def footer(self):
            self.set_y(-10)
            self.set_font("cjk", size=8)
            self.set_text_color(90, 90, 90)
            self.cell(0, 5, lb("generated", lang, at=at.strftime("%Y-%m-%d %H:%M")), align="L")
            self.set_x(self.l_margin)
            self.cell(0, 5, lb("page", lang, n=self.page_no()), align="R")
            self.set_text_color(0, 0, 0)

    pdf = Doc(orientation="L", unit="mm", format="A4")
    pdf.set_title(f"{title} {b.meeting_date.isoformat()}")
    pdf.set_creator(lb("app", lang))
    pdf.add_font("cjk", "", font.path, collection_font_number=font.index)
    pdf.set_auto_page_break(True, margin=14)
    wrap = WrapMode.WORD if lang == "en" else WrapMode.CHAR  # Chinese breaks between any characters
    pdf.add_page()

    pdf.set_font("cjk", "", 20)
    pdf.cell(0, 11, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", "", 11)
    pdf.multi_cell(0, 6, filters, new_x="LMARGIN", new_y="NEXT", wrapmode=wrap)
    pdf.ln(3)

    def heading(text: str, keep: float = 26) -> None:
        """A section title, moved to a new page with what follows it when `keep` mm don't fit."""
        if pdf.get_y() + 9 + keep > pdf.h - 14:
            pdf.add_page()
        pdf.set_font("cjk", "", 13.5)
        pdf.cell(0, 9, text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("cjk", "", 9)

    heading(lb("sec_summary", lang))
    pdf.set_font("cjk", "", 10.5)
    for paragraph in briefing.summary(b, lang):
        pdf.multi_cell(0, 6, paragraph, new_x="LMARGIN", new_y="NEXT", wrapmode=wrap)
        pdf.ln(1)

    def chart_size(png: bytes) -> tuple[float, float]:
        from PIL import Image

        width = pdf.epw * 0.8
        with Image.open(io.BytesIO(png)) as im:
            return width, width * im.height / im.width

    def chart(png: bytes) -> None:
        width, height = chart_size(png)
        if pdf.get_y() + height > pdf.h - 14:
            pdf.add_page()
        pdf.image(io.BytesIO(png), w=width, h=height)
        pdf.ln(2)

    def table(df: pd.DataFrame, widths) -> None:
        if df.empty:
            pdf.cell(0, 6, lb("none", lang), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
            return
        pdf.set_font("cjk", "", 8.5)
        cols = list(df.columns)
        widths = widths if widths and len(widths) == len(cols) else None
        with pdf.table(col_widths=widths, width=pdf.epw, line_height=5, wrapmode=wrap,
                       text_align="LEFT", headings_style=FontFace(emphasis="", fill_color=(226, 231, 236)),
                       padding=1) as t:
            t.row([str(c) for c in cols])
            for values in df.astype(object).itertuples(index=False):
                t.row(["" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v) for v in values])
        pdf.ln(3)

    shown = tables(b, lang, formatted=True)
    for title, png, name in ((lb("sec_progress", lang), progress_png(b, lang), "progress"),
                             (lb("sec_changes", lang), changes_png(b, lang), "changes")):
        heading(title, keep=chart_size(png)[1])  # the title stays with its chart
        chart(png)
        table(shown[name], _PDF_WIDTHS[name])
    matrix = shown["county_changes"]
    if not matrix.empty:
        heading(lb("sec_county_changes", lang))
        table(matrix, (16,) + (8,) * (len(matrix.columns) - 1))
    heading(lb("sec_behind_targets", lang))
    table(shown["behind_targets"], _PDF_WIDTHS["behind_targets"])
    heading(lb("sec_behind_counties", lang))
    table(shown["behind_counties"], _PDF_WIDTHS["behind_counties"])
    heading(lb("sec_reporting", lang))
    table(shown["reporting"], _PDF_WIDTHS["reporting"])
    heading(lb("sec_decisions", lang))
    table(shown["decisions"], _PDF_WIDTHS["decisions"])
    return bytes(pdf.output())

