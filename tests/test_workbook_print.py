"""The downloads people open in Excel or WPS and print: the briefing workbook, a table download and
the county templates. Cells hold the values as shown with formats that display them (read back
with openpyxl); each workbook, converted to PDF by LibreOffice Calc (Debian's
libreoffice-calc-nogui) as a printer would, prints on the pages people expect (counted with pypdf).
"""
from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from pypdf import PdfReader

from data_access.db import make_engine
from data_access.meeting import briefing, excel
from data_access.present import exports
from data_access.reporting.templates import build_template

DAY = dt.date(2023, 6, 30)


@pytest.fixture(scope="module")
def sample_engine(sample_db_url):
    engine = make_engine(sample_db_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def city_briefing(sample_engine):
    return briefing.build_briefing(sample_engine, 2023, DAY, None)


def soffice() -> str:
    path = shutil.which("soffice") or shutil.which("libreoffice")
    if path is None:
        from tests.conftest import skip_or_fail

        skip_or_fail("no LibreOffice Calc to print the workbooks (Debian libreoffice-calc-nogui)")
    assert path is not None
    return path


def printed_pages(data: bytes, tmp_path: Path, name: str = "book") -> list[str]:
    """The text of every page LibreOffice prints `data` (an .xlsx) on."""
    src = tmp_path / f"{name}.xlsx"
    src.write_bytes(data)
    profile = tmp_path / "lo-profile"  # its own profile: parallel runs do not share a lock
    subprocess.run([soffice(), f"-env:UserInstallation=file://{profile}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(src)],
                   check=True, capture_output=True, timeout=180)
    return [page.extract_text() for page in PdfReader(tmp_path / f"{name}.pdf").pages]


def sheet_rows(wb: openpyxl.Workbook, name: str) -> tuple[list[str], list[list[openpyxl.cell.Cell]]]:
    ws = wb[name]
    rows = list(ws.iter_rows())
    return [c.value for c in rows[0]], [list(r) for r in rows[1:]]


# --- cells as shown ------------------------------------------------------------------------------


def test_briefing_cells_hold_the_figures_as_shown(city_briefing):
    wb = openpyxl.load_workbook(io.BytesIO(excel.xlsx_bytes(city_briefing, "zh")))
    head, body = sheet_rows(wb, "目标进度与序时进度")
    col = {h: i for i, h in enumerate(head)}
    t02 = next(r for r in body if r[col["编号"]].value == "T02")
    # T02: 100 场 linear; runs to Fri 30 Jun: 181 of 365 days = 49.59% -> 49.6场 expected, shown 50场
    assert t02[col["年度目标"]].value == 100 and t02[col["年度目标"]].number_format == "#,##0"
    assert t02[col["序时进度"]].value == 50 and t02[col["序时进度"]].number_format == "#,##0"
    assert t02[col["序时进度比例"]].value == pytest.approx(0.496)
    assert t02[col["序时进度比例"]].number_format == "0.0%"
    assert t02[col["已完成"]].value == 47 and t02[col["完成率"]].value == pytest.approx(0.47)
    # no raw float anywhere: every number is whole, or a share with one decimal of a percent
    for name in wb.sheetnames[1:]:
        head, body = sheet_rows(wb, name)
        for row in body:
            for cell in row:
                v = cell.value
                if isinstance(v, float) and not v.is_integer():
                    assert cell.number_format == "0.0%", (name, cell.coordinate, v)
                    assert round(v * 1000) == pytest.approx(v * 1000, abs=1e-9), (name, cell.coordinate, v)
                elif isinstance(v, (int, float)) and not isinstance(v, bool):
                    assert cell.number_format in ("#,##0", "0.0%"), (name, cell.coordinate, cell.number_format)
    # T02's gap on the behind sheet (if behind): 50 shown expected - 47 done = 3
    head, body = sheet_rows(wb, "滞后序时的目标")
    col = {h: i for i, h in enumerate(head)}
    for row in body:
        if row[col["编号"]].value == "T02":
            assert row[col["差距"]].value == 3


def test_briefing_dates_are_date_cells_in_words(city_briefing):
    for lang, fmt_ in (("zh", 'yyyy"年"m"月"d"日"'), ("en", "d mmm yyyy")):
        wb = openpyxl.load_workbook(io.BytesIO(excel.xlsx_bytes(city_briefing, lang)))
        info = wb.worksheets[0]
        day = next(r[1] for r in info.iter_rows(min_row=2) if r[0].value in ("简报日期", "Briefing date"))
        assert day.value.date() == DAY and day.number_format == fmt_
        year = next(r[1] for r in info.iter_rows(min_row=2) if r[0].value in ("计划年度", "Plan year"))
        assert year.value == "2023"  # not 2,023
        head, body = sheet_rows(wb, wb.sheetnames[7 - 1])  # 本周报送情况 / Reporting this week
        last = head.index("最近报送期末" if lang == "zh" else "Last period reported")
        dated = [r[last] for r in body if r[last].value is not None]
        assert dated and all(c.is_date and c.number_format == fmt_ for c in dated)


def test_table_download_formats_and_csv_stays_machine_readable():
    df = pd.DataFrame({"单位": ["鲁山县", "=cmd"], "日期": [dt.date(2023, 6, 30), dt.date(2023, 7, 7)],
                       "完成": [1000.0, 47.0], "每周": [2.5, 0.25], "完成率": [0.529, 1.0]})
    wb = openpyxl.load_workbook(io.BytesIO(exports.xlsx_bytes({"data": df}, "zh", percent_headings=["完成率"])))
    ws = wb["data"]
    assert ws["A3"].value == "'=cmd"
    assert ws["B2"].is_date and ws["B2"].number_format == 'yyyy"年"m"月"d"日"'
    assert (ws["C2"].value, ws["C2"].number_format) == (1000, "#,##0")  # 1,000 — not "1,000."
    assert (ws["D2"].value, ws["D2"].number_format) == (2.5, "#,##0.0#")
    assert ws["E2"].number_format == "0.0%"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.print_title_rows == "$1:$1"
    text = exports.csv_bytes(df).decode("utf-8-sig").splitlines()
    assert text[1] == "鲁山县,2023-06-30,1000.0,2.5,0.529"


# --- printing ------------------------------------------------------------------------------------


def test_briefing_workbook_prints_one_page_per_section(city_briefing, tmp_path):
    data = excel.xlsx_bytes(city_briefing, "zh")
    wb = openpyxl.load_workbook(io.BytesIO(data))
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9  # A4
        assert ws.print_title_rows == "$1:$1"
        assert "周例会简报" in ws.oddHeader.left.text and "简报日期：2023年6月30日" in ws.oddHeader.right.text
    pages = printed_pages(data, tmp_path)
    assert len(pages) == len(wb.sheetnames) == 8
    # the first sheet's values are on its page: the scope, the date, the summary's first sentence
    first = pages[0].replace("\n", "")
    assert "全市" in first and "2023年6月30日" in first
    assert "截至2023年6月30日，全市的11项年度目标中" in first
    # every page carries the title and the filters in its header
    assert all("鹰城工会看板 · 周例会简报" in p and "范围：全市" in p for p in pages)


def test_briefing_workbook_in_english_prints_one_page_per_section(city_briefing, tmp_path):
    pages = printed_pages(excel.xlsx_bytes(city_briefing, "en"), tmp_path)
    assert len(pages) == 8
    assert "Scope: the whole city" in pages[0]


@pytest.mark.parametrize("kind, period", [("progress", "2023-06-30"), ("facilities", None),
                                          ("union_orgs", None), ("membership", "2023-06")])
def test_templates_print_each_sheet_on_one_page(sample_engine, tmp_path, kind, period):
    t = build_template(sample_engine, kind, "410423", period, 2023, today=dt.date(2023, 7, 1))
    wb = openpyxl.load_workbook(io.BytesIO(t.data))
    pages = printed_pages(t.data, tmp_path, kind)
    assert len(pages) == len(wb.sheetnames) == 3
    assert all("鲁山县（410423）" in p for p in pages)
