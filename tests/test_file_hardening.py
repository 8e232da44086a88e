"""Uploads from careless clerks and hostile files (data_access/reporting/files.py, cells.py, checks.py):
decompression bombs, macros, hidden data sheets, merged cells, control and invisible characters,
decimal commas, a changed unit or code of the template. Each is refused naming the place, with the
database unchanged row for row (tests.helpers.dump before and after), by preview and commit alike.

The bombs are built here (tests/bomb_files.py) from a valid file: the sheet inflating to 1 GB of
empty rows (about 1.5 MB zipped, as in the issue), the same with a header that declares 1 MB, and
one shared or inline string of 128 MB (four times the part cap; the benchmark uses 1 GB). Their time
and memory are measured by benchmarks/bombs.py, not asserted here.
"""
from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import load_workbook

from data_access.db import make_engine
from data_access.reporting import commit as committing, files, preview as previewing, templates
from data_access.reporting.cells import Column, parse_cell, visible
from data_access.reporting.issues import ImportRejected
from tests import bomb_files as bombs
from tests.helpers import MEMBER_HEAD, NOW, PROGRESS_HEAD, csv_file, dump, prow, xlsx
from tests.tiny_data import A, B

MB = 1024 * 1024


def refused(engine, data: bytes, name: str = "a.xlsx", **kwargs) -> str:
    """The refusal's Chinese message, after checking that preview and commit both refuse with the
    same message and write nothing."""
    before = dump(engine)
    with pytest.raises(ImportRejected) as first:
        previewing.preview(engine, data, name, now=NOW, **kwargs)
    with pytest.raises(ImportRejected) as second:
        committing.commit(engine, data, name, actor="县填报员", now=NOW, **kwargs)
    assert first.value.message_zh == second.value.message_zh
    assert dump(engine) == before
    return second.value.message_zh


@pytest.fixture(scope="module")
def sqlite_tiny(tmp_path_factory):
    from data_access.schema import migrate
    from tests.tiny_data import load_tiny

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('hardening') / 'kpi.sqlite3'}")
    migrate.upgrade(engine)
    load_tiny(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def gb_bomb():
    return bombs.empty_rows_bomb(bombs.GB)


# ---------------------------------------------------------------------------------------------
# decompression bombs (SQLite, the database compared before and after)


def test_the_valid_floor_file_is_accepted(sqlite_tiny):
    pv = previewing.preview(sqlite_tiny, bombs.valid(), "a.xlsx", now=NOW)
    assert pv.counts == {"total": 1, "new": 1, "changed": 0, "unchanged": 0}
    assert [c.values["value"] for c in pv.changes] == [6.0]


def test_a_sheet_of_a_gigabyte_of_empty_rows_is_refused_from_the_zip_directory(sqlite_tiny, gb_bomb):
    assert len(gb_bomb) < 2 * MB  # what the size cap of 5 MB let through
    message = refused(sqlite_tiny, gb_bomb)
    assert "文件中的“xl/worksheets/sheet1.xml”解压后超过32 MB（至少1024 MB）" in message
    assert "压缩炸弹" in message


def test_a_header_lying_about_the_size_is_caught_while_streaming(sqlite_tiny, gb_bomb):
    liar = bombs.lying_header(gb_bomb, declared=MB)
    info = zipfile.ZipFile(io.BytesIO(liar)).getinfo(bombs.SHEET)
    assert info.file_size == MB  # the directory now passes the size and ratio checks
    message = refused(sqlite_tiny, liar)
    assert "工作表“周进度”：行数过多（含空行超过20000行）" in message


@pytest.mark.parametrize("build, part", [(bombs.shared_string_bomb, "xl/sharedStrings.xml"),
                                         (bombs.inline_string_bomb, "xl/worksheets/sheet1.xml")],
                         ids=["shared string", "inline string"])
def test_one_huge_string_is_refused_before_it_is_read(sqlite_tiny, build, part):
    data = build(128 * MB)
    assert len(data) < MB
    assert f"文件中的“{part}”解压后超过32 MB（至少128 MB）" in refused(sqlite_tiny, data)


def test_a_high_ratio_below_the_size_cap_is_refused(sqlite_tiny):
    data = bombs.empty_rows_bomb(20 * MB)  # under the part cap, but 1000 times its zipped size
    assert "压缩比异常" in refused(sqlite_tiny, data) and "上限100倍" in refused(sqlite_tiny, data)


def test_caps_inside_the_sheet(sqlite_tiny, monkeypatch):
    assert "第2行，XFD列：第64列之后还有内容" in refused(sqlite_tiny, bombs.wide_row())
    assert len(zipfile.ZipFile(io.BytesIO(bombs.valid())).namelist()) == 9
    assert "部件过多（1509个，上限1000个）" in refused(sqlite_tiny, bombs.many_parts(1500))
    monkeypatch.setattr(files, "MAX_CELLS", 5)  # the valid file has 9 + 7 cell records
    assert "单元格记录过多（超过5个，含空单元格）" in refused(sqlite_tiny, bombs.valid())
    monkeypatch.setattr(files, "MAX_CELLS", 400_000)
    monkeypatch.setattr(files, "MAX_SHEET_ROWS", 5)
    blank_rows = xlsx([prow(), [None] * 9, [None] * 9, prow(unit=B)])  # five row records, two blank
    assert previewing.preview(sqlite_tiny, blank_rows, "a.xlsx", now=NOW).counts["total"] == 2
    twelve = bombs.empty_rows_bomb(60)  # ten empty <row/> after the two real ones
    assert "行数过多（含空行超过5行）" in refused(sqlite_tiny, twelve)


def test_a_long_cell_is_refused_naming_it(sqlite_tiny):
    long_note = bombs.with_cell('<c r="I2" t="inlineStr"><is><t>' + "长" * 40000 + "</t></is></c>")
    assert "工作表“周进度”，第2行，I列：单元格文字过长（40000字，上限32767字）" in refused(sqlite_tiny, long_note)


def test_an_entity_declaration_is_refused(sqlite_tiny):
    assert "xl/sharedStrings.xml：含 DOCTYPE 声明" in refused(sqlite_tiny, bombs.billion_laughs())


# ---------------------------------------------------------------------------------------------
# macros, hidden sheets, merged cells


@pytest.mark.parametrize("name, build, where", [
    ("a.xlsm", bombs.valid, ".xlsm"),
    ("a.xlsx", bombs.macro_workbook, "xl/vbaProject.bin"),
    ("a.xlsx", bombs.macro_content_type, "/xl/workbook.xml"),
], ids=["xlsm name", "vbaProject.bin", "macroEnabled content type"])
def test_macro_workbooks_are_refused(sqlite_tiny, name, build, where):
    message = refused(sqlite_tiny, build(), name)
    assert f"文件“{name}”：文件含有宏（{where}），不能上传" in message


def test_a_hidden_data_sheet_is_never_imported(sqlite_tiny):
    message = refused(sqlite_tiny, bombs.hidden_data_sheet())
    assert "工作表“周进度”：数据工作表“周进度”是隐藏的（可见的工作表：“周进度 (2)”）：隐藏的工作表不会被导入" in message


def test_a_hidden_other_sheet_is_skipped_for_the_visible_one(sqlite_tiny):
    wb = load_workbook(io.BytesIO(xlsx([prow(value=9)], sheet="Sheet2")))
    old = wb.create_sheet("Sheet1", 0)  # first, hidden, with another figure
    for row in (PROGRESS_HEAD, prow(value=5)):
        old.append(row)
    old.sheet_state = "hidden"
    wb.active = 1
    buf = io.BytesIO()
    wb.save(buf)
    pv = previewing.preview(sqlite_tiny, buf.getvalue(), "a.xlsx", now=NOW)
    assert pv.sheet == "Sheet2" and [c.values["value"] for c in pv.changes] == [9.0]


def test_merged_cells_are_refused_naming_the_range(sqlite_tiny):
    message = refused(sqlite_tiny, bombs.merged("H2:H3"))
    assert "工作表“周进度”，第2行，“本期完成数”列（H列）：单元格合并（H2:H3）：合并后只有左上角的单元格有值" in message


# ---------------------------------------------------------------------------------------------
# characters (every database: a NUL must not reach PostgreSQL)


def test_control_characters_are_refused_before_the_database(tiny):
    nul = csv_file([prow(note="备\x00注")])
    assert "文件“a.csv”，第2行，“备注”列（第9列）：含有不允许的控制字符或方向控制字符⟨U+0000⟩（显示为“备⟨U+0000⟩注”）" \
        in refused(tiny, nul, "a.csv")
    rlo = xlsx([prow(note="正常\u202e常正")])
    assert "第2行，“备注”列（I列）：含有不允许的控制字符或方向控制字符⟨U+202E⟩" in refused(tiny, rlo)
    assert "第2行，“备注”列（I列）：含有不允许的控制字符或方向控制字符⟨U+0000⟩" in refused(tiny, bombs.escaped_control())
    esc = csv_file([prow(unit="41\x1b[2J0402")])
    assert "“单位代码”列（第1列）：含有不允许的控制字符或方向控制字符⟨U+001B⟩" in refused(tiny, esc, "a.csv")
    assert "文件名含有控制字符" in refused(tiny, xlsx([prow()]), "a\x00.xlsx")


def test_invisible_characters_in_codes_are_stripped_or_shown(tiny):
    zwsp = csv_file([prow(unit=A + "\u200b", target="\ufeffT01")])
    pv = previewing.preview(tiny, zwsp, "a.csv", now=NOW)
    assert pv.unit_codes == (A,) and [c.values["target_code"] for c in pv.changes] == ["T01"]
    soft = csv_file([prow(unit="4104\u00ad02")])
    assert "未知单位代码“4104⟨U+00AD⟩02”" in refused(tiny, soft, "a.csv")
    assert visible("410423\u200b\u00a0") == "410423⟨U+200B⟩⟨U+00A0⟩"


def test_tab_and_line_break_in_a_note_are_kept(tiny):
    pv = previewing.preview(tiny, xlsx([prow(note="第一行\n第二行\t完")]), "a.xlsx", now=NOW)
    assert pv.changes[0].values["note"] == "第一行\n第二行\t完"


# ---------------------------------------------------------------------------------------------
# decimal commas


def test_ambiguous_decimal_commas_are_refused_showing_both_readings(tiny):
    message = refused(tiny, csv_file([prow(value="2,5")]), "a.csv")
    assert "“本期完成数”列（第8列）：“2,5”中的逗号无法判断是小数点还是千位分隔符：小数请写成“2.5”，整数请写成“25”" in message
    message = refused(tiny, xlsx([prow(value="1，5")]))
    assert "“1，5”中的逗号无法判断是小数点还是千位分隔符：小数请写成“1.5”，整数请写成“15”" in message


def test_thousands_separators_keep_working(tiny):
    number = Column("v", "v", "number")
    assert parse_cell(number, "2,500", None) == 2500.0  # type: ignore[arg-type]
    assert parse_cell(number, "1,234.5", None) == 1234.5  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="整数请写成“25000”"):
        parse_cell(number, "2,5000", None)  # type: ignore[arg-type]
    members = csv_file([[A, "", "2023-05", "快递", "顺丰", "1,000"]], MEMBER_HEAD)
    pv = previewing.preview(tiny, members, "m.csv", now=NOW)
    assert [c.values["new_members"] for c in pv.changes] == [1000]


# ---------------------------------------------------------------------------------------------
# the template's unit and codes


def _template_with(engine, **cells) -> bytes:
    tpl = templates.build_template(engine, "progress", A, NOW.date(), 2023, today=NOW.date())
    wb = load_workbook(io.BytesIO(tpl.data))
    ws = wb["周进度"]
    ws["H2"] = 6
    for ref, value in cells.items():
        ws[ref] = value
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_a_changed_unit_of_measure_is_refused_naming_the_cell(tiny):
    assert previewing.preview(tiny, _template_with(tiny), "t.xlsx", now=NOW).counts["new"] == 1
    message = refused(tiny, _template_with(tiny, E2="万场次"), "t.xlsx")
    assert ("工作表“周进度”，第2行，“计量单位”列（E列）：计量单位被改成了“万场次”，模板中T01的计量单位是“场次”："
            "模板中的计量单位和代码不能修改") in message


def test_a_changed_code_is_refused_naming_the_cell(tiny):
    message = refused(tiny, _template_with(tiny, A2=B), "t.xlsx")
    assert "第2行，“单位代码”列（A列）：单位代码410423（鲁山县）与同一行的单位名称“新华区”不符" in message
    named = xlsx([[A, "新华区", "T01", "新建基层工会", "场次", *prow()[5:]]])
    assert "第2行，“指标代码”列（C列）：指标代码T01（群众性文化活动）与同一行的指标名称“新建基层工会”不符" in refused(tiny, named)


def test_the_template_locks_what_it_fills_in(tiny):
    tpl = templates.build_template(tiny, "progress", A, NOW.date(), 2023, today=NOW.date())
    ws = load_workbook(io.BytesIO(tpl.data))["周进度"]
    assert ws.protection.sheet is True
    assert [(c.column_letter, c.protection.locked) for c in ws[2]] == [
        ("A", True), ("B", True), ("C", True), ("D", True), ("E", True), ("F", False), ("G", False),
        ("H", False), ("I", False)]
    assert all(c.protection.locked for c in ws[1])  # the header


# ---------------------------------------------------------------------------------------------
# English


def test_refusals_read_in_english_too(sqlite_tiny):
    with pytest.raises(ImportRejected) as err:
        previewing.preview(sqlite_tiny, bombs.merged("H2:H3"), "a.xlsx", now=NOW)
    assert err.value.issues[0].line("en") == (
        "File “a.xlsx”, sheet “周进度”, row 2, column “本期完成数” (H): merged cells (H2:H3): only the "
        "top-left cell of a merge holds a value, the others read as empty; unmerge them and fill in every cell")
    assert err.value.message_en.startswith("Not imported: 1 problem(s):\nFile “a.xlsx”")
