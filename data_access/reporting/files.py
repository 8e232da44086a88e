"""Reading an uploaded .xlsx or .csv into a header and rows of raw cell values (`read_table`), with
the caps that keep a careless or hostile file from costing the server: formulas are never
evaluated, and every bad file is refused (ImportRejected) naming the place, before the database
sees it.

A workbook is read once, by this module's own streaming reader (not openpyxl), in bounded time and
memory whatever it claims:

- the zip's directory first (`check_archive`): at most MAX_PARTS parts; each part's declared
  uncompressed size at most MAX_PART_BYTES, all together at most MAX_TOTAL_BYTES, and a part above
  RATIO_FLOOR_BYTES inflating at most MAX_RATIO times its compressed size (a 1.5 MB file that
  inflates to 1 GB of empty rows is refused here, in milliseconds); no macros (xl/vbaProject.bin,
  Excel 4 macro sheets, a macroEnabled content type, or an .xlsm/.xltm/.xlam/.xlsb name); no
  encrypted part;
- then each part it needs (workbook, relationships, styles, shared strings, the data sheet) is
  inflated in chunks and parsed as it streams, never more than MAX_PART_BYTES of it even when the
  zip's headers lie about the size; a part with a DOCTYPE (entity tricks) is refused;
- the data sheet is the visible one (`pick_sheet`); a hidden sheet is never read, and a file whose
  data sheet is hidden is refused saying so;
- at most MAX_SHEET_ROWS row records (blank ones included) and MAX_CELLS cell records are looked
  at; content right of column MAX_COLUMNS, text longer than MAX_CELL_CHARS (Excel's own limit) or
  more than MAX_SHARED_STRINGS shared strings refuse the file; so do merged cells (only the first
  cell of a merge holds the value), naming the range.

Every string cell of either format is then checked for control and direction characters
(`cells.unsafe_characters`); Excel's _xHHHH_ escapes are read as the character they stand for.
"""
from __future__ import annotations

import csv
import io
import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from xml.etree.ElementTree import Element, ParseError, XMLPullParser

from data_access.reporting.cells import FormulaWithoutValue, blank, unsafe_characters, visible
from data_access.reporting.issues import MAX_ISSUES, ImportRejected, Issue

MAX_FILE_BYTES = 5 * 1024 * 1024  # a week's report is a few kB; this stops accidents, not attackers
MAX_ROWS = 5000  # data rows per file
MAX_SHEET_ROWS = 20000  # rows looked at, blank ones included (rows of a CSV, row records of a sheet)
MAX_COLUMNS = 64  # a template has at most 13 columns; content beyond this column refuses the file
MAX_CELLS = 400_000  # cell records of a sheet looked at (5000 rows of 13 columns are 65,000)
MAX_CELL_CHARS = 32767  # characters of one cell: what Excel itself allows
MAX_SHARED_STRINGS = 200_000  # entries of the workbook's shared-string table
MAX_PARTS = 1000  # parts (zip members) of a workbook; a template has about a dozen
MAX_PART_BYTES = 32 * 1024 * 1024  # one part inflated (a 5000-row sheet is about 3 MB)
MAX_TOTAL_BYTES = 64 * 1024 * 1024  # every part inflated, together
MAX_RATIO = 100  # inflated / compressed, for a part above RATIO_FLOOR_BYTES (real sheets: 5-20)
RATIO_FLOOR_BYTES = 1024 * 1024
MAX_MERGES = 50  # merged ranges reported (each one refuses the file)
CHUNK = 64 * 1024  # inflated bytes parsed at a time (a cap is noticed within one chunk)
INSTRUCTION_SHEET = "填报说明"
CODE_SHEET = "代码表"
MACRO_SUFFIXES = (".xlsm", ".xltm", ".xlam", ".xlsb")
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # an old .xls, or an .xlsx with an opening password
MB = 1024 * 1024


@dataclass
class Table:
    file: str
    sheet: str | None  # None for CSV
    header: list[Any]
    header_row: int
    rows: list[tuple[int, list[Any]]]  # (row number in the file, cells)
    is_csv: bool = False
    columns: dict[str, int] = field(default_factory=dict)  # column key -> index, set by check_rows

    def col_pos(self, index: int) -> str:
        if self.is_csv:
            return f"第{index + 1}列"
        return f"{column_letter(index + 1)}列"


def column_letter(number: int) -> str:
    """1 -> A, 27 -> AA."""
    out = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        out = chr(65 + rest) + out
    return out


def _refuse(file: str, zh: str, en: str, sheet: str | None = None, row: int | None = None,
            col_pos: str | None = None) -> ImportRejected:
    return ImportRejected([Issue(file, zh, sheet, row, None, col_pos, en)])


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM) first; GB18030 (what Excel and WPS in China write) otherwise."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")


class _Filler:
    """Builds a Table from numbered rows: the first non-blank row is the header; then rows, stopping
    one past MAX_ROWS; every string cell checked for unsafe characters (issues collected)."""

    def __init__(self, table: Table):
        self.table = table
        self.issues: list[Issue] = []

    def add(self, number: int, cells: list[Any]) -> bool:
        """Take one row; False once the table has more than MAX_ROWS rows (stop reading)."""
        table = self.table
        if all(blank(c) for c in cells):
            return True
        is_header = not table.header
        for i, value in enumerate(cells):
            if isinstance(value, str) and len(self.issues) < MAX_ISSUES:
                found = unsafe_characters(value)
                if found:
                    label = None if is_header or i >= len(table.header) else table.header[i]
                    self.issues.append(Issue(
                        table.file, f"含有不允许的控制字符或方向控制字符{found}（显示为“{visible(value)}”）；"
                                    "请删除后重新输入", table.sheet, number,
                        str(visible(label)) if isinstance(label, str) and label else None, table.col_pos(i),
                        f"contains a control or direction character {found} (shown as “{visible(value)}”); "
                        "delete it and type the text again"))
        if is_header:
            table.header, table.header_row = cells, number
            return True
        table.rows.append((number, cells))
        return len(table.rows) <= MAX_ROWS


def _too_many_lines(file: str, sheet: str | None) -> ImportRejected:
    return _refuse(file, f"行数过多（含空行超过{MAX_SHEET_ROWS}行）；请删除多余的空行，或把数据复制到新下载的模板后上传",
                   f"too many rows (more than {MAX_SHEET_ROWS}, blank ones included); delete the empty "
                   "rows or copy the data into a freshly downloaded template", sheet)


def _read_csv(data: bytes, file: str) -> tuple[Table, list[Issue]]:
    try:
        text = decode_csv(data)
    except UnicodeDecodeError:
        raise _refuse(file, "无法识别文件编码，请另存为 UTF-8 或 GB18030 编码的 CSV",
                      "unknown text encoding; save the CSV as UTF-8 or GB18030") from None
    first = text.split("\n", 1)[0]
    delimiter = max(",\t;", key=first.count)
    records = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    filler = _Filler(Table(file, None, [], 0, [], is_csv=True))
    number = 0
    try:
        for number, record in enumerate(records, start=1):
            if number > MAX_SHEET_ROWS:
                raise _too_many_lines(file, None)
            if len(record) > MAX_COLUMNS and any(not blank(c) for c in record[MAX_COLUMNS:]):
                raise _refuse(file, f"第{MAX_COLUMNS}列之后还有内容：模板最多{MAX_COLUMNS}列，请删除多余的列",
                              f"content beyond column {MAX_COLUMNS}; delete the extra columns", None, number)
            too_long = next((i for i, c in enumerate(record) if len(c) > MAX_CELL_CHARS), None)
            if too_long is not None:
                raise _refuse(file, f"单元格文字过长（{len(record[too_long])}字，上限{MAX_CELL_CHARS}字）",
                              f"text too long ({len(record[too_long])} characters, at most {MAX_CELL_CHARS})",
                              None, number, f"第{too_long + 1}列")
            if not filler.add(number, record[:MAX_COLUMNS]):
                break
    except csv.Error as exc:
        raise _refuse(file, f"CSV 格式有误（{visible(str(exc))}），请用 Excel/WPS 重新另存为 CSV",
                      f"malformed CSV ({visible(str(exc))}); save it again as CSV", None, number + 1) from None
    return filler.table, filler.issues


# ---------------------------------------------------------------------------------------------
# the workbook


class _Part:
    """Streams one part of the archive through an XML pull parser, inflating at most
    MAX_PART_BYTES of it (whatever its header declares)."""

    def __init__(self, zf: zipfile.ZipFile, name: str, file: str):
        self.zf, self.name, self.file = zf, name, file

    def damaged(self, why: str) -> ImportRejected:
        return _refuse(self.file, f"无法读取 Excel 文件（文件已损坏或不是 .xlsx 格式）：{self.name}：{visible(why)}",
                       f"cannot read the Excel file (damaged or not .xlsx): {self.name}: {visible(why)}")

    def events(self) -> Iterator[tuple[str, Element]]:
        parser: XMLPullParser[Element] = XMLPullParser(events=("start", "end"))
        seen = 0
        prolog = b""
        started = False
        try:
            with self.zf.open(self.name) as stream:
                while True:
                    chunk = stream.read(CHUNK)
                    if not chunk:
                        break
                    seen += len(chunk)
                    if seen > MAX_PART_BYTES:
                        raise _part_too_big(self.file, self.name, seen)
                    if not started and b"<!DOCTYPE" in prolog[-16:] + chunk:
                        raise self.damaged("含 DOCTYPE 声明")  # checked before expat sees it
                    prolog = chunk
                    parser.feed(chunk)
                    for item in parser.read_events():
                        started = True
                        yield cast(tuple[str, Element], item)
            parser.close()
            for item in parser.read_events():
                yield cast(tuple[str, Element], item)
        except (zipfile.BadZipFile, zlib.error, EOFError, ParseError, ValueError, NotImplementedError) as exc:
            raise self.damaged(str(exc)) from None
        except RuntimeError as exc:  # an encrypted part (zipfile asks for a password)
            raise self.damaged(str(exc)) from None


def _part_too_big(file: str, name: str, size: int) -> ImportRejected:
    return _refuse(file, f"文件中的“{name}”解压后超过{MAX_PART_BYTES // MB} MB（至少{size / MB:.0f} MB）："
                         "可能是“压缩炸弹”，或表中有大量空行、空格式；请把数据复制到新下载的模板后上传",
                   f"part “{name}” inflates to more than {MAX_PART_BYTES // MB} MB (at least {size / MB:.0f} MB): "
                   "a decompression bomb, or masses of empty rows or formats; copy the data into a freshly "
                   "downloaded template")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


_ESCAPE = re.compile("_x([0-9A-Fa-f]{4})_")


def _unescape(text: str) -> str:
    """Excel's _xHHHH_ escapes (a character XML cannot hold) as that character; _x005F_ is "_"."""
    return _ESCAPE.sub(lambda m: chr(int(m[1], 16)), text) if "_x" in text else text


def _text_of(elem: Element) -> str:
    """The text of a string item (<si> or <is>): its <t>, or its runs' <t>, without the phonetic
    guide (<rPh>)."""
    parts = []
    for child in elem:
        tag = _local(child.tag)
        if tag == "t":
            parts.append(child.text or "")
        elif tag == "r":
            parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
    return _unescape("".join(parts))


class TooLong:
    """A string longer than MAX_CELL_CHARS, kept as its length only."""

    def __init__(self, length: int):
        self.length = length


def check_archive(zf: zipfile.ZipFile, file: str) -> None:
    """The zip's directory: number of parts, declared sizes and ratios, macros, encryption."""
    infos = zf.infolist()
    if len(infos) > MAX_PARTS:
        raise _refuse(file, f"Excel 文件内部的部件过多（{len(infos)}个，上限{MAX_PARTS}个），不是正常的填报文件",
                      f"too many parts inside the workbook ({len(infos)}, at most {MAX_PARTS})")
    total = 0
    for info in infos:
        name = info.filename
        lower = name.lower()
        if lower.endswith("vbaproject.bin") or lower.startswith(("xl/macrosheets/", "xl/dialogsheets/")):
            raise _macro(file, name)
        if info.flag_bits & 0x1:
            raise _refuse(file, "文件已加密（设有密码），请取消密码后另存为 .xlsx",
                          "the file is encrypted (has a password); remove it and save as .xlsx")
        if info.file_size > MAX_PART_BYTES:
            raise _part_too_big(file, name, info.file_size)
        if info.file_size > RATIO_FLOOR_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            ratio = info.file_size / max(info.compress_size, 1)
            raise _refuse(file, f"文件中的“{name}”压缩比异常（解压后为压缩时的{ratio:.0f}倍，上限{MAX_RATIO}倍）："
                                "可能是“压缩炸弹”，或表中有大量空行、空格式；请把数据复制到新下载的模板后上传",
                          f"part “{name}” inflates {ratio:.0f} times its compressed size (at most {MAX_RATIO}): "
                          "a decompression bomb, or masses of empty rows or formats; copy the data into a "
                          "freshly downloaded template")
        total += info.file_size
    if total > MAX_TOTAL_BYTES:
        raise _refuse(file, f"文件解压后共{total / MB:.0f} MB，超过上限{MAX_TOTAL_BYTES // MB} MB；"
                            "请把数据复制到新下载的模板后上传",
                      f"the workbook inflates to {total / MB:.0f} MB, above {MAX_TOTAL_BYTES // MB} MB; copy the "
                      "data into a freshly downloaded template")
    if "[Content_Types].xml" in zf.namelist():
        for _event, elem in _Part(zf, "[Content_Types].xml", file).events():
            kind = (elem.get("ContentType") or "").lower()
            if "macroenabled" in kind or "vbaproject" in kind or "macrosheet" in kind:
                raise _macro(file, elem.get("PartName") or elem.get("Extension") or "[Content_Types].xml")


def _macro(file: str, where: str) -> ImportRejected:
    return _refuse(file, f"文件含有宏（{where}），不能上传：请在 Excel/WPS 中另存为“Excel 工作簿(*.xlsx)”后上传",
                   f"the workbook contains macros ({where}) and is refused: save it as “Excel Workbook (*.xlsx)”")


def _rels(zf: zipfile.ZipFile, name: str, file: str, base: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type's last word, part name) of a .rels part."""
    if name not in zf.namelist():
        return {}
    out = {}
    for event, elem in _Part(zf, name, file).events():
        if event == "end" and _local(elem.tag) == "Relationship":
            target = elem.get("Target") or ""
            part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(base, target))
            out[elem.get("Id") or ""] = ((elem.get("Type") or "").rsplit("/", 1)[-1], part)
    return out


@dataclass(frozen=True)
class SheetEntry:
    name: str
    state: str  # visible | hidden | veryHidden
    part: str | None  # None: not a worksheet (a chart sheet)


def _workbook(zf: zipfile.ZipFile, file: str) -> tuple[list[SheetEntry], dict[str, str], bool]:
    """The sheets (in order), the parts of shared strings and styles, whether dates count from 1904."""
    top = _rels(zf, "_rels/.rels", file, "")
    book = next((p for t, p in top.values() if t == "officeDocument"), "xl/workbook.xml")
    if book not in zf.namelist():
        raise _Part(zf, book, file).damaged("缺少 workbook.xml")
    base = posixpath.dirname(book)
    rels = _rels(zf, posixpath.join(base, "_rels", posixpath.basename(book) + ".rels"), file, base)
    sheets, date1904 = [], False
    for event, elem in _Part(zf, book, file).events():
        if event != "end":
            continue
        tag = _local(elem.tag)
        if tag == "workbookPr":
            date1904 = (elem.get("date1904") or "").lower() in ("1", "true")
        elif tag == "sheet":
            rid = next((v for k, v in elem.attrib.items() if _local(k) == "id"), "")
            kind, part = rels.get(rid, ("", None))
            sheets.append(SheetEntry(_unescape(elem.get("name") or ""), elem.get("state") or "visible",
                                     part if kind == "worksheet" and part in zf.namelist() else None))
    parts = {t: p for t, p in rels.values() if t in ("sharedStrings", "styles") and p in zf.namelist()}
    for kind, default in (("sharedStrings", "xl/sharedStrings.xml"), ("styles", "xl/styles.xml")):
        if kind not in parts and default in zf.namelist():  # found by content type, as openpyxl does
            parts[kind] = default
    return sheets, parts, date1904


def _date_styles(zf: zipfile.ZipFile, part: str | None, file: str) -> tuple[set[int], set[int]]:
    """Indexes of the cell formats (cellXfs) that show a number as a date, and as a duration."""
    from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format

    if part is None:
        return set(), set()
    custom: dict[int, str] = {}
    formats: list[int] = []
    inside = ""
    for event, elem in _Part(zf, part, file).events():
        tag = _local(elem.tag)
        if event == "start" and tag in ("cellXfs", "cellStyleXfs", "numFmts"):
            inside = tag
        elif event == "end":
            if tag == "numFmt" and inside == "numFmts":
                custom[int(elem.get("numFmtId") or 0)] = elem.get("formatCode") or ""
            elif tag == "xf" and inside == "cellXfs":
                formats.append(int(elem.get("numFmtId") or 0))
            elif tag in ("cellXfs", "cellStyleXfs", "numFmts"):
                inside = ""
    dates, durations = set(), set()
    for idx, fid in enumerate(formats):
        code = custom.get(fid, BUILTIN_FORMATS.get(fid))
        if is_date_format(code):
            dates.add(idx)
        if is_timedelta_format(code):
            durations.add(idx)
    return dates, durations


def _shared_strings(zf: zipfile.ZipFile, part: str | None, file: str) -> list[str | TooLong]:
    if part is None:
        return []
    out: list[str | TooLong] = []
    for event, elem in _Part(zf, part, file).events():
        if event == "end" and _local(elem.tag) == "si":
            text = _text_of(elem)
            out.append(TooLong(len(text)) if len(text) > MAX_CELL_CHARS else text)
            elem.clear()
            if len(out) > MAX_SHARED_STRINGS:
                raise _refuse(file, f"共享字符串过多（超过{MAX_SHARED_STRINGS}个），不是正常的填报文件；"
                                    "请把数据复制到新下载的模板后上传",
                              f"too many shared strings (more than {MAX_SHARED_STRINGS}); copy the data into a "
                              "freshly downloaded template")
    return out


def pick_sheet(sheets: list[SheetEntry], data_sheets: Iterable[str], file: str) -> SheetEntry:
    """The data sheet: the visible one named like a kind of report, else the first visible one that
    is not ours. A hidden sheet is never read: a file whose data sheet (named like a kind) is hidden
    is refused, saying so."""
    known = set(data_sheets)
    hidden = [s for s in sheets if s.state != "visible" and s.name in known]
    if hidden:
        name = hidden[0].name
        shown = "、".join(f"“{s.name}”" for s in sheets if s.state == "visible") or "无"
        raise _refuse(file, f"数据工作表“{name}”是隐藏的（可见的工作表：{shown}）：隐藏的工作表不会被导入；"
                            f"请取消隐藏并在“{name}”中填写，删除其他副本后上传",
                      f"the data sheet “{name}” is hidden (visible sheets: {shown}); hidden sheets are never "
                      f"imported: unhide “{name}”, fill it in, delete other copies and upload again", name)
    visible_sheets = [s for s in sheets if s.state == "visible" and s.part is not None]
    for entry in visible_sheets:
        if entry.name in known:
            return entry
    rest = [s for s in visible_sheets if s.name not in (INSTRUCTION_SHEET, CODE_SHEET)]
    if not rest:
        raise _refuse(file, "没有可导入的可见工作表", "no visible worksheet to import")
    return rest[0]


_REF = re.compile(r"^\$?([A-Z]{1,3})\$?(\d{1,7})$")


def _cell_ref(ref: str) -> tuple[int, int] | None:
    """'AB12' -> (12, 28)."""
    m = _REF.match(ref.upper())
    if not m:
        return None
    col = 0
    for ch in m[1]:
        col = col * 26 + ord(ch) - 64
    return int(m[2]), col


def _number(text: str) -> int | float:
    return float(text) if any(c in text for c in ".eE") else int(text)


class _SheetReader:
    """Streams the data sheet's rows into a _Filler, under the caps of the module doc."""

    def __init__(self, zf: zipfile.ZipFile, entry: SheetEntry, file: str, strings: list[str | TooLong],
                 dates: set[int], durations: set[int], date1904: bool):
        from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900

        self.zf, self.entry, self.file, self.strings = zf, entry, file, strings
        self.dates, self.durations = dates, durations
        self.epoch = CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900
        self.sheet = entry.name

    def refuse(self, zh: str, en: str, row: int | None = None, col: int | None = None) -> ImportRejected:
        return _refuse(self.file, zh, en, self.sheet, row, f"{column_letter(col)}列" if col else None)

    def value(self, cell: Element, row: int, col: int) -> Any:
        kind = cell.get("t") or "n"
        v = f = inline = None
        for child in cell:
            tag = _local(child.tag)
            if tag == "v":
                v = child.text or None
            elif tag == "f":
                f = child
            elif tag == "is":
                inline = child
        if kind == "inlineStr":
            text: Any = _text_of(inline) if inline is not None else None
        elif v is None:
            return FormulaWithoutValue() if f is not None else None
        elif kind == "s":
            try:
                text = self.strings[int(v)]
            except (ValueError, IndexError):
                raise self.refuse(f"共享字符串编号“{visible(v[:20])}”无效（文件已损坏）",
                                  f"invalid shared string index “{visible(v[:20])}” (damaged file)", row, col) from None
        elif kind in ("str", "e"):
            text = _unescape(v)
        elif kind == "b":
            return v.strip() in ("1", "true")
        elif kind == "d":
            from openpyxl.utils.datetime import from_ISO8601

            try:
                return from_ISO8601(v.strip())
            except ValueError:
                return v
        else:
            try:
                number = _number(v.strip())
            except ValueError:
                raise self.refuse(f"数值“{visible(v[:20])}”无效（文件已损坏）", f"invalid number “{visible(v[:20])}”",
                                  row, col) from None
            style = int(cell.get("s") or 0)
            if style in self.dates:
                from openpyxl.utils.datetime import from_excel

                try:
                    return from_excel(number, self.epoch, timedelta=style in self.durations)
                except (OverflowError, ValueError):
                    return "#VALUE!"
            return number
        if isinstance(text, TooLong) or (isinstance(text, str) and len(text) > MAX_CELL_CHARS):
            length = text.length if isinstance(text, TooLong) else len(text)
            raise self.refuse(f"单元格文字过长（{length}字，上限{MAX_CELL_CHARS}字）",
                              f"text too long ({length} characters, at most {MAX_CELL_CHARS})", row, col)
        return text

    def read(self, filler: _Filler) -> None:
        assert self.entry.part is not None
        rows = cells_seen = 0
        row_number = 0
        merges: list[str] = []
        data: Element | None = None
        for event, elem in _Part(self.zf, self.entry.part, self.file).events():
            tag = _local(elem.tag)
            if event == "start":
                if tag == "sheetData":
                    data = elem
                continue
            if tag == "c":
                cells_seen += 1
                if cells_seen > MAX_CELLS:
                    raise self.refuse(f"单元格记录过多（超过{MAX_CELLS}个，含空单元格）；请把数据复制到新下载的模板后上传",
                                      f"too many cell records (more than {MAX_CELLS}, empty ones included); copy "
                                      "the data into a freshly downloaded template")
            elif tag == "row":
                rows += 1
                if rows > MAX_SHEET_ROWS:
                    raise _too_many_lines(self.file, self.sheet)
                r = elem.get("r")
                row_number = int(r) if r and r.isdigit() else row_number + 1
                values: dict[int, Any] = {}
                col = 0
                for cell in elem:
                    if _local(cell.tag) != "c":
                        continue
                    ref = _cell_ref(cell.get("r") or "")
                    col = ref[1] if ref else col + 1
                    value = self.value(cell, row_number, col)
                    if blank(value):
                        continue
                    if col > MAX_COLUMNS:
                        raise self.refuse(f"第{MAX_COLUMNS}列之后还有内容：模板最多{MAX_COLUMNS}列，请删除多余的列",
                                          f"content beyond column {MAX_COLUMNS}; delete the extra columns",
                                          row_number, col)
                    values[col] = value
                if values:
                    cells = [values.get(c) for c in range(1, max(values) + 1)]
                    if not filler.add(row_number, cells):
                        return  # more than MAX_ROWS rows: read_table refuses the file
                elem.clear()
                if data is not None:
                    data.clear()
            elif tag == "mergeCell":
                if len(merges) < MAX_MERGES:
                    merges.append(elem.get("ref") or "")
                elem.clear()
            elif tag in ("col", "hyperlink", "dataValidation", "conditionalFormatting"):
                elem.clear()
        if merges:
            raise ImportRejected([self._merge_issue(ref, filler.table) for ref in merges])

    def _merge_issue(self, ref: str, table: Table) -> Issue:
        first = _cell_ref(ref.split(":")[0])
        row, col = first if first else (None, None)
        label = None
        if col and col <= len(table.header) and isinstance(table.header[col - 1], str) and row != table.header_row:
            label = visible(table.header[col - 1])
        return Issue(self.file, f"单元格合并（{ref}）：合并后只有左上角的单元格有值，其余单元格视为空；"
                                "请取消合并并逐格填写", self.sheet, row, label,
                     f"{column_letter(col)}列" if col else None,
                     f"merged cells ({ref}): only the top-left cell of a merge holds a value, the others read "
                     "as empty; unmerge them and fill in every cell")


def _read_xlsx(data: bytes, file: str, data_sheets: Iterable[str]) -> tuple[Table, list[Issue]]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise _refuse(file, f"无法读取 Excel 文件（文件已损坏或不是 .xlsx 格式）：{visible(str(exc))}",
                      f"cannot read the Excel file (damaged or not .xlsx): {visible(str(exc))}") from None
    with zf:
        check_archive(zf, file)
        sheets, parts, date1904 = _workbook(zf, file)
        entry = pick_sheet(sheets, data_sheets, file)
        strings = _shared_strings(zf, parts.get("sharedStrings"), file)
        dates, durations = _date_styles(zf, parts.get("styles"), file)
        filler = _Filler(Table(file, entry.name, [], 0, []))
        _SheetReader(zf, entry, file, strings, dates, durations, date1904).read(filler)
    return filler.table, filler.issues


def _check_name(file: str) -> None:
    found = unsafe_characters(file)
    if found:
        raise _refuse(visible(file), f"文件名含有控制字符或方向控制字符{found}，请重命名后上传",
                      f"the file name contains a control or direction character {found}; rename it")


def read_table(data: bytes, file: str, data_sheets: Iterable[str] = ()) -> Table:
    """The header and rows of the data sheet of an .xlsx (`data_sheets`: the sheet names of the
    kinds of report), or of a .csv; every cap of the module doc applied. ImportRejected naming the
    place of every problem."""
    _check_name(file)
    if len(data) > MAX_FILE_BYTES:
        raise _refuse(file, f"文件过大（{len(data) / MB:.1f} MB），上限为 "
                            f"{MAX_FILE_BYTES / MB:.0f} MB；请拆分成多个文件上传",
                      f"file too large ({len(data) / MB:.1f} MB), at most {MAX_FILE_BYTES / MB:.0f} MB; split it")
    suffix = Path(file).suffix.lower()
    if suffix in MACRO_SUFFIXES:
        raise _macro(file, suffix)
    if suffix == ".xls" or (suffix == ".xlsx" and data[:4] == OLE_MAGIC):
        raise _refuse(file, "不支持旧版 .xls 格式或设有打开密码的文件，请在 Excel/WPS 中取消密码、另存为 .xlsx 后上传",
                      "old .xls files and password-protected workbooks are not accepted; save as .xlsx without "
                      "a password")
    try:
        if suffix == ".xlsx" or data[:2] == b"PK":
            table, issues = _read_xlsx(data, file, data_sheets)
        elif suffix in (".csv", ".txt"):
            table, issues = _read_csv(data, file)
        else:
            raise _refuse(file, "只接受 .xlsx 或 .csv 文件（请使用下载的模板）",
                          "only .xlsx or .csv files are accepted (use the downloaded template)")
    except RecursionError:
        raise _refuse(file, "文件结构异常（嵌套过深），无法读取", "the file is nested too deeply to read") from None
    if len(table.rows) > MAX_ROWS:
        raise _refuse(file, f"数据行过多（超过{MAX_ROWS}行），上限为{MAX_ROWS}行；请拆分成多个文件上传",
                      f"too many data rows (more than {MAX_ROWS}); split the file", table.sheet)
    if issues:
        raise ImportRejected(issues)
    if not table.header:
        raise _refuse(file, "文件是空的，没有表头和数据", "the file is empty: no header and no data", table.sheet)
    return table

