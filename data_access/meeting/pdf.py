"""The briefing as an A4 landscape PDF (fpdf2): title and filters, the summary, both charts and
every table; every page after the first carries the running header "title　filters".
"""
from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence

import pandas as pd

from data_access import clock
from data_access.meeting import summary
from data_access.meeting.briefing import Briefing
from data_access.meeting.charts import changes_png, cjk_font, progress_png
from data_access.meeting.tables import lb, tables
from data_access.meeting.texts import tx
from data_access.present import fmt

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
                 date=fmt.date(b.meeting_date, lang), week=summary.week_label(b, lang))
    title = f"{lb('app', lang)} · {tx('title', lang)}"
    running_header = f"{title}　{filters}"  # fixed before any page is drawn

    class Doc(FPDF):
        def header(self) -> None:
            if self.page_no() == 1:
                return
            self.set_font("cjk", size=8)
            self.set_text_color(90, 90, 90)
            self.cell(0, 5, running_header, new_x="LMARGIN", new_y="NEXT")
            self.ln(2)
            self.set_text_color(0, 0, 0)

        def footer(self) -> None:
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
    for paragraph in summary.summary(b, lang):
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

    def table(df: pd.DataFrame, widths: Sequence[float] | None) -> None:
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
    # (not `title`: the running header reads that name on every later page)
    for section, png, name in ((lb("sec_progress", lang), progress_png(b, lang), "progress"),
                               (lb("sec_changes", lang), changes_png(b, lang), "changes")):
        heading(section, keep=chart_size(png)[1])  # the title stays with its chart
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
