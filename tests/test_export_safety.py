"""Issue #17: the briefing's workbook and PDF for any string already stored. A decision whose note
and owner hold control characters and direction overrides still gives a workbook openpyxl re-opens
and a PDF that renders, the characters shown as 〓; names with CJK Extension B characters (𠀀 U+20000,
𪚥 U+2A6A5) are drawn from the fallback font (Debian fonts-hanazono), never dropped silently."""
from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
import pytest
from pypdf import PdfReader
from sqlalchemy import update

from data_access.accounts.identity import AuthUser
from data_access.db import make_engine
from data_access.errors import DataAccessError
from data_access.meeting import briefing, charts, decisions, excel, pdf
from data_access.present import exports
from data_access.present.safe_text import MARK, file_text, unsafe_count
from data_access.schema.decisions import Decision
from tests.tiny_data import B

D = dt.date
MEETING = D(2023, 1, 13)
SECRETARY = AuthUser("mishu", "秘书", "reviewer")
# What a decision may hold after years of copy and paste: NUL, a bell, a vertical tab, a form feed,
# ESC, DEL, a C1 control, a right-to-left override and isolate, a formula start.
NOTE = "=督办\x00补报\x07台账\x0b核对\x0c\x1b[31m完成\x7f\x85\u202e名单反转\u2066隔离\u2069，限期"
OWNER = "\u202e会工总县山鲁\x01"
EXT_B = "𠀀𪚥"  # U+20000, U+2A6A5
NAMED = f"请张{EXT_B}同志牵头"


def test_file_text_marks_what_must_not_reach_a_file():
    assert file_text("a\x00b\x1fc\x7fd\x9fe") == f"a{MARK}b{MARK}c{MARK}d{MARK}e"
    assert file_text("\u202eabc\u202c\u2067x\u2069\u200f") == f"{MARK}abc{MARK}{MARK}x{MARK}{MARK}"
    assert file_text("行一\n行二\t列\r") == "行一\n行二\t列\r"  # legal in both files
    assert file_text(f"张{EXT_B}、鲁山县") == f"张{EXT_B}、鲁山县"
    assert file_text("\ud800x\uffff") == f"{MARK}x{MARK}"
    assert unsafe_count(NOTE) == 10
    # the spreadsheet rule is applied after: a formula start stays neutralised
    assert exports.neutralise("\x01=1+1") == f"{MARK}=1+1" and exports.neutralise("=1+1") == "'=1+1"


@pytest.fixture
def stored(tiny_url):
    """The tiny database with two decisions whose stored text is as hostile as above."""
    eng = make_engine(tiny_url)
    bad = decisions.create_decision(eng, SECRETARY, year=2023, meeting_date=D(2023, 1, 6), note="占位",
                                    owner="占位", due_date=D(2023, 1, 20), created_by="秘书", unit_code=B,
                                    now=dt.datetime(2023, 1, 6, 16))
    named = decisions.create_decision(eng, SECRETARY, year=2023, meeting_date=D(2023, 1, 6), note=NAMED,
                                      owner=f"张{EXT_B}", due_date=D(2023, 1, 20), created_by="秘书",
                                      target_code="T01", now=dt.datetime(2023, 1, 6, 16))
    with eng.begin() as conn:  # as if stored by an older version, or straight into the database
        conn.execute(update(Decision).where(Decision.id == bad).values(note=NOTE, owner=OWNER))
    yield eng, bad, named
    eng.dispose()


def _cells(data: bytes) -> dict[str, list[str]]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return {ws.title: [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
            for ws in wb.worksheets}


def test_the_briefing_workbook_opens_with_the_characters_marked(stored):
    eng, _, _ = stored
    b = briefing.build_briefing(eng, 2023, MEETING)
    assert NOTE in b.decisions["note"].tolist()  # the raw text really reaches the export
    sheets = _cells(excel.xlsx_bytes(b, "zh"))
    cells = [v for values in sheets.values() for v in values]
    note = "'" + file_text(NOTE)  # marked, then kept from running as a formula
    assert note in cells and note.count(MARK) == 10
    assert file_text(OWNER) in cells
    assert NAMED in cells and f"张{EXT_B}" in cells  # rare but legal characters unchanged
    assert not any(re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\u202a-\u202e\u2066-\u2069]", v) for v in cells)
    assert not any(v.startswith("=") for v in cells)


def test_the_plain_exports_and_templates_too(stored):
    import pandas as pd

    df = pd.DataFrame({"督办内容": [NOTE, OWNER], "n": [1, 2]})
    cells = _cells(exports.xlsx_bytes({"表": df}))["表"]
    assert "'" + file_text(NOTE) in cells and file_text(OWNER) in cells
    csv = exports.csv_bytes(df).decode("utf-8-sig")
    assert "\x00" not in csv and "\u202e" not in csv and file_text(NOTE) in csv


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return re.sub(r"[\s\x00]+", "", "".join(page.extract_text() for page in reader.pages))


@pytest.fixture
def fonts():
    try:
        charts.cjk_font()
    except DataAccessError as exc:
        from tests.conftest import skip_or_fail

        skip_or_fail(f"no CJK font for the PDF (Debian fonts-noto-cjk): {exc.message_en}")
    if not charts.cjk_fallback_fonts():
        from tests.conftest import skip_or_fail

        skip_or_fail("no font with CJK Extension B for the PDF (Debian fonts-hanazono)")


def test_the_briefing_pdf_renders_marked_controls_and_extension_b(stored, fonts):
    eng, _, _ = stored
    b = briefing.build_briefing(eng, 2023, MEETING)
    out = pdf.pdf_export(b, "zh")
    text = _pdf_text(out.data)
    assert out.missing == 0, out.missing_chars  # every glyph found: Noto, else Hanazono
    assert "𠀀" in text and "𪚥" in text and re.sub(r"\s", "", NAMED) in text
    assert "补报〓台账" in text and "〓名单反转〓隔离〓" in text
    assert not re.search("[\x01-\x08\x0b\x0c\x0e-\x1f\u202a-\u202e\u2066-\u2069]", text)
    reader = PdfReader(io.BytesIO(out.data))
    fonts_used = {str(f["/BaseFont"]) for page in reader.pages
                  for f in (page["/Resources"].get("/Font") or {}).values() for f in [f.get_object()]}
    assert any("NotoSansCJK" in n for n in fonts_used) and any("HanaMin" in n for n in fonts_used)


def test_a_glyph_no_font_has_is_marked_and_counted(stored, fonts, monkeypatch, caplog):
    eng, bad, _ = stored
    with eng.begin() as conn:  # a Linear B syllable and an emoji: neither Noto CJK nor Hanazono has them
        conn.execute(update(Decision).where(Decision.id == bad).values(
            note="核对\U00013000台账\U0001F9A0"))
    b = briefing.build_briefing(eng, 2023, MEETING)
    out = pdf.pdf_export(b, "zh")
    assert out.missing == 2 and out.missing_chars == "\U00013000\U0001F9A0"
    assert "核对〓台账〓" in _pdf_text(out.data)
    assert any("U+13000 U+1F9A0" in r.getMessage() for r in caplog.records)
    # Without any fallback font Extension B is marked too, still counted, still not dropped.
    monkeypatch.setattr(pdf, "cjk_fallback_fonts", lambda: ())
    out = pdf.pdf_export(b, "zh")
    assert out.missing == 2 + 2 * 2 and set(out.missing_chars) == set("\U00013000\U0001F9A0𠀀𪚥")
    assert "请张〓〓同志牵头" in _pdf_text(out.data)


def test_the_charts_draw_extension_b_from_the_fallback_font(stored, fonts):
    import warnings

    from data_access.schema.models import Target

    eng, _, _ = stored
    with eng.begin() as conn:
        conn.execute(update(Target).where(Target.code == "T01").values(name_zh=f"张{EXT_B}劳模工作室"))
    b = briefing.build_briefing(eng, 2023, MEETING)
    assert any(EXT_B in n for n in b.overview["name_zh"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = charts.progress_png(b, "zh")
    assert png.startswith(b"\x89PNG")
    assert not [w for w in caught if "missing from font" in str(w.message)], [str(w.message) for w in caught]


def test_a_report_template_opens_with_hostile_stored_names(tiny_url):
    from data_access.present.safe_text import file_name
    from data_access.reporting import templates
    from data_access.schema.models import Target, Unit
    from tests.tiny_data import A

    eng = make_engine(tiny_url)
    try:
        with eng.begin() as conn:
            conn.execute(update(Unit).where(Unit.code == A).values(name_zh="新华\x1b区/\u202e"))
            conn.execute(update(Target).where(Target.code == "T01").values(name_zh="=群众\x00文化活动"))
        tpl = templates.build_template(eng, "progress", A, "2023-06-28", today=dt.date(2023, 6, 30))
    finally:
        eng.dispose()
    wb = openpyxl.load_workbook(io.BytesIO(tpl.data))
    cells = [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert "新华〓区/〓" in cells and "'=群众〓文化活动" in cells
    assert tpl.file_name == "周进度填报_新华_区___20230630.xlsx"
    assert file_name("a\\b:c*?\"<>|.") == "a_b_c______" and file_name("\x00") == "_"


def test_new_decisions_refuse_control_characters(tiny_url):
    eng = make_engine(tiny_url)
    try:
        with pytest.raises(decisions.DecisionError, match="控制字符"):
            decisions.create_decision(eng, SECRETARY, year=2023, meeting_date=D(2023, 1, 6), note="督办\u202e反转",
                                      owner="宣教部", due_date=D(2023, 1, 20), unit_code=B)
        ok = decisions.create_decision(eng, SECRETARY, year=2023, meeting_date=D(2023, 1, 6),
                                       note="第一行\n第二行\t附注", owner=f"张{EXT_B}", due_date=D(2023, 1, 20),
                                       unit_code=B)
        assert decisions.get_decision(eng, ok)["owner"] == f"张{EXT_B}"
    finally:
        eng.dispose()
