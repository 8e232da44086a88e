"""The meeting page's exports in a real browser: clicking the PDF and Excel buttons saves files whose
names carry the meeting date and whose contents are the briefing (text read back from the PDF,
cells from the workbook)."""
from __future__ import annotations

import re

import openpyxl
import pytest
from pypdf import PdfReader

from tests.browser.support import wait_ready

pytestmark = pytest.mark.browser

LINK = "/meeting?county=410423&as_of=2023-06-30"


def _download(page, key: str, dest):
    with page.expect_download(timeout=60_000) as info:
        page.locator(f".st-key-{key} button").click()
    download = info.value
    path = dest / download.suggested_filename
    download.save_as(path)
    return path


def test_briefing_pdf_and_workbook_download(page, app_url, tmp_path):
    page.goto(app_url + LINK)
    wait_ready(page)
    page.locator(".st-key-mt_pdf button").wait_for()

    pdf = _download(page, "mt_pdf", tmp_path)
    assert pdf.suffix == ".pdf" and "2023-06-30" in pdf.name, pdf.name
    # pypdf puts gaps between the glyphs of a CID font: compare without whitespace
    text = re.sub(r"[\s\x00]+", "", "".join(p.extract_text() for p in PdfReader(pdf).pages))
    assert "范围：鲁山县" in text and "简报日期：2023年6月30日" in text, text[:400]
    assert "T07" in text or "爱心驿站" in text, text[:400]

    xlsx = _download(page, "mt_xlsx", tmp_path)
    assert xlsx.suffix == ".xlsx" and "2023-06-30" in xlsx.name, xlsx.name
    wb = openpyxl.load_workbook(xlsx, read_only=True)
    cells = {str(c) for ws in wb.worksheets for r in ws.iter_rows(values_only=True) for c in r if c is not None}
    wb.close()
    assert "T07" in cells and any("鲁山县" in c for c in cells)
