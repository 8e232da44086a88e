"""The briefing as an A4 landscape PDF (fpdf2): title and filters, the summary, both charts and
every table; every page after the first carries the running header "title　filters".

Every text goes through `_Glyphs.text`: made safe for a file (`present.safe_text`: control and
direction characters shown as 〓), then each character the CJK font lacks is drawn from a fallback
font that has it (`charts.cjk_fallback_fonts`: Hanazono for CJK Extension B, registered only when
needed); one no font has is printed as 〓 and counted (`PdfExport.missing`, logged), never dropped.
"""
from __future__ import annotations

import datetime as dt
import io
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from data_access import clock
from data_access.meeting import summary
from data_access.meeting.briefing import Briefing
from data_access.meeting.charts import (CjkFont, changes_png, cjk_fallback_fonts, cjk_font, font_chars,
                                        progress_png)
from data_access.meeting.tables import lb, tables
from data_access.meeting.texts import tx
from data_access.present import fmt
from data_access.present.safe_text import MARK, file_text

log = logging.getLogger(__name__)

# Invisible characters that need no glyph: variation selectors, zero-width space/joiners, word joiner,
# byte-order mark. Left out of the PDF rather than shown as 〓.
_IGNORABLE = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef\u200b-\u200d\u2060\ufeff]")

# Relative column widths of each table in the PDF (the target name gets the room).
_PDF_WIDTHS = {
    "progress": (6, 22, 7, 10, 10, 8, 10, 8, 8, 9, 10),
    "changes": (6, 30, 14, 14, 14),
    "behind_targets": (6, 26, 11, 11, 10, 8, 10, 11),
    "behind_counties": (12, 6, 26, 10, 10, 10, 9, 11),
    "reporting": (16, 10, 9, 9, 22, 14),
    "decisions": (5, 10, 16, 10, 30, 10, 10, 8, 6, 16),
}


@dataclass
class PdfExport:
    data: bytes
    missing: int = 0  # characters no font had, printed as 〓
    missing_chars: str = ""  # those characters, each once, in order of appearance


@dataclass
class _Glyphs:
    """Which font draws each character: the CJK font, else the first fallback font with the glyph
    (added to the document on first use), else the mark."""

    pdf: Any
    primary: frozenset[int]
    fallbacks: tuple[CjkFont, ...]
    used: list[str] = field(default_factory=list)
    missing: int = 0
    missing_chars: str = ""

    def _covered(self, ch: str) -> bool:
        code = ord(ch)
        if code in self.primary or ch in "\n ":
            return True
        for i, font in enumerate(self.fallbacks):
            if code in font_chars(font):
                family = f"fallback{i}"
                if family not in self.used:
                    self.pdf.add_font(family, "", font.path)
                    self.used.append(family)
                    self.pdf.set_fallback_fonts(self.used)
                return True
        return False

    def text(self, value: object) -> str:
        """`value` as text the document can draw (see the module's docstring)."""
        text = _IGNORABLE.sub("", file_text(str(value)).replace("\r\n", "\n").replace("\r", "\n"))
        text = text.replace("\t", " ")
        if all(ord(c) in self.primary or c in "\n " for c in text):
            return text
        out = []
        for ch in text:
            if self._covered(ch):
                out.append(ch)
            else:
                self.missing += 1
                if ch not in self.missing_chars:
                    self.missing_chars += ch
                out.append(MARK if ord(MARK) in self.primary else "?")
        return "".join(out)


def pdf_bytes(b: Briefing, lang: str = "zh", generated_at: dt.datetime | None = None) -> bytes:
    """An A4 landscape PDF: filters and date on every page, the summary, both charts and every table."""
    return pdf_export(b, lang, generated_at).data


def pdf_export(b: Briefing, lang: str = "zh", generated_at: dt.datetime | None = None) -> PdfExport:
    """`pdf_bytes` with the count of characters no font could draw (each printed as 〓)."""
    from fpdf import FPDF
    from fpdf.enums import WrapMode
    from fpdf.fonts import FontFace

    font = cjk_font()
    at = (generated_at or clock.now()).replace(microsecond=0)
    filters = lb("filters", lang, scope=b.scope(lang), year=b.year,
                 date=fmt.date(b.meeting_date, lang), week=summary.week_label(b, lang))
    title = f"{lb('app', lang)} · {tx('title', lang)}"

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
            self.cell(0, 5, g.text(lb("generated", lang, at=at.strftime("%Y-%m-%d %H:%M"))), align="L")
            self.set_x(self.l_margin)
            self.cell(0, 5, g.text(lb("page", lang, n=self.page_no())), align="R")
            self.set_text_color(0, 0, 0)

    pdf = Doc(orientation="L", unit="mm", format="A4")
    pdf.set_title(f"{title} {b.meeting_date.isoformat()}")
    pdf.set_creator(lb("app", lang))
    pdf.add_font("cjk", "", font.path, collection_font_number=font.index)
    g = _Glyphs(pdf, font_chars(font), cjk_fallback_fonts())
    title, filters = g.text(title), g.text(filters)
    running_header = f"{title}　{filters}"  # fixed before any page is drawn
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
        pdf.cell(0, 9, g.text(text), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("cjk", "", 9)

    heading(lb("sec_summary", lang))
    pdf.set_font("cjk", "", 10.5)
    for paragraph in summary.summary(b, lang):
        pdf.multi_cell(0, 6, g.text(paragraph), new_x="LMARGIN", new_y="NEXT", wrapmode=wrap)
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
            pdf.cell(0, 6, g.text(lb("none", lang)), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
            return
        pdf.set_font("cjk", "", 8.5)
        cols = list(df.columns)
        widths = widths if widths and len(widths) == len(cols) else None
        with pdf.table(col_widths=widths, width=pdf.epw, line_height=5, wrapmode=wrap,
                       text_align="LEFT", headings_style=FontFace(emphasis="", fill_color=(226, 231, 236)),
                       padding=1) as t:
            t.row([g.text(c) for c in cols])
            for values in df.astype(object).itertuples(index=False):
                t.row(["" if v is None or (isinstance(v, float) and pd.isna(v)) else g.text(v) for v in values])
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
    data = bytes(pdf.output())
    if g.missing:
        log.warning("briefing PDF: %d characters without a glyph in any font, shown as %s: %s",
                    g.missing, MARK, " ".join(f"U+{ord(c):04X}" for c in g.missing_chars))
    return PdfExport(data, g.missing, g.missing_chars)
