"""The briefing as an Excel workbook: a first sheet with the filters, date and summary, then one
sheet per table (plain numbers in base units). Text typed by users is neutralised (never a formula).
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
from data_access.present.exports import neutralise


def xlsx_bytes(b: Briefing, lang: str = "zh", generated_at: dt.datetime | None = None) -> bytes:
    """A workbook: a first sheet with the filters, date and summary, then one sheet per table
    with plain numbers (base units; shares as fractions formatted as percentages)."""
    from openpyxl.utils import get_column_letter

    at = (generated_at or clock.now()).replace(microsecond=0)
    info = pd.DataFrame({
        lb("info_item", lang): [lb("info_title", lang), lb("info_scope", lang), lb("info_year", lang),
                                lb("info_date", lang), lb("info_week", lang), lb("info_generated", lang)]
        + [lb("info_summary", lang)] * len(summary.summary(b, lang)),
        lb("info_value", lang): [f"{lb('app', lang)} · {tx('title', lang)}", b.scope(lang), b.year,
                                 b.meeting_date, summary.week_label(b, lang), at]
        + summary.summary(b, lang),
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
