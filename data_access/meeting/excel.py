"""The briefing as an Excel workbook: a first sheet with the filters, date and summary, then one
sheet per table. Numeric cells hold the figures as the PDF shows them (`present.figures`: rounded
as shown, in base units), formatted to display as such (`present.exports.format_cells`: integers
without a trailing point, shares as percentages, dates as 2023年6月30日 in Chinese); every sheet
prints on one A4 landscape page (fitted to the page) with its header row repeated and the title and
filters in the page header (`present.exports.print_setup`). Text typed by users is neutralised
(never a formula).
"""
from __future__ import annotations

import datetime as dt
import io

import pandas as pd

from data_access import clock
from data_access.meeting import summary
from data_access.meeting.briefing import Briefing
from data_access.meeting.tables import TABLE_ORDER, TABLE_TITLES, lb, tables
from data_access.meeting.texts import tx
from data_access.present import exports, fmt
from data_access.present.exports import neutralise

INFO_WIDTHS = (14, 120)
"""Widths of the first sheet's two columns (the summary's paragraphs wrap in the second)."""


def xlsx_bytes(b: Briefing, lang: str = "zh", generated_at: dt.datetime | None = None) -> bytes:
    """A workbook: a first sheet with the filters, date and summary, then one sheet per table
    with the figures as shown (see the module's docstring)."""
    from openpyxl.styles import Alignment

    at = (generated_at or clock.now()).replace(microsecond=0, tzinfo=None)
    paragraphs = summary.summary(b, lang)
    info = pd.DataFrame({
        lb("info_item", lang): [lb("info_title", lang), lb("info_scope", lang), lb("info_year", lang),
                                lb("info_date", lang), lb("info_week", lang), lb("info_generated", lang)]
        + [lb("info_summary", lang)] * len(paragraphs),
        lb("info_value", lang): [f"{lb('app', lang)} · {tx('title', lang)}", b.scope(lang), str(b.year),
                                 b.meeting_date, summary.week_label(b, lang), at] + paragraphs,
    })
    title = f"{lb('app', lang)} · {tx('title', lang)}"
    filters = lb("filters", lang, scope=b.scope(lang), year=b.year,
                 date=fmt.date(b.meeting_date, lang), week=summary.week_label(b, lang))
    sheets = {lb("info", lang): info}
    plain = tables(b, lang, formatted=False)
    for key in TABLE_ORDER:
        sheets[lb(TABLE_TITLES[key], lang)] = plain[key]
    percent_headings = {lb("col_completion", lang), lb("col_fraction", lang)}
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        for i, (name, df) in enumerate(sheets.items()):
            safe = df.copy()
            for c in safe.columns:  # text typed by users must never run as a formula
                if safe[c].dtype == object or pd.api.types.is_string_dtype(safe[c]):
                    safe[c] = safe[c].map(neutralise)
            safe.to_excel(writer, sheet_name=name[:31], index=False)
            ws = writer.sheets[name[:31]]
            exports.format_cells(ws, lang, [j for j, c in enumerate(safe.columns, start=1)
                                            if c in percent_headings])
            if i == 0:  # the first sheet: the summary's paragraphs wrap in a wide second column
                for letter, width in zip("AB", INFO_WIDTHS):
                    ws.column_dimensions[letter].width = width
                for (cell,) in ws.iter_rows(min_row=2, min_col=2, max_col=2):
                    cell.alignment = Alignment(wrap_text=True, vertical="top", horizontal="left")
                for (cell,) in ws.iter_rows(min_row=2, min_col=1, max_col=1):
                    cell.alignment = Alignment(vertical="top")
            else:
                exports.fit_columns(ws, safe)
            ws.freeze_panes = "A2"
            exports.print_setup(ws, title, filters, pages_tall=1)  # one page per section
    return buf.getvalue()
