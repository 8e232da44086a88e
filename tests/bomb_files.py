"""Builders of hostile and careless upload files, each made here from a valid workbook (tests/helpers.xlsx)
by rewriting its zip: decompression bombs (1 GB of empty rows, one 1 GB shared or inline string, a
header that lies about a part's size), macros, a hidden data sheet, merged cells, XML tricks.
Shared by tests/test_file_hardening.py and benchmarks/bombs.py. Big parts are streamed into the zip
in chunks, so building a 1 GB bomb costs a few seconds and little memory."""
from __future__ import annotations

import io
import re
import struct
import zipfile
from collections.abc import Callable, Iterable

from tests.helpers import prow, xlsx

GB = 1024 ** 3
SHEET = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"
CHUNK = 8 * 1024 * 1024

Parts = dict[str, bytes | Callable[[], Iterable[bytes]]]


def rewrite(data: bytes, changes: Parts, level: int = 9) -> bytes:
    """`data` (an .xlsx) with parts replaced or added: bytes, or a function yielding the chunks of a
    big part."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as dst:
        names = [i.filename for i in src.infolist()]
        for name in names + [n for n in changes if n not in names]:
            body = changes.get(name, src.read(name) if name in names else b"")
            if callable(body):
                with dst.open(name, "w", force_zip64=False) as part:
                    for chunk in body():
                        part.write(chunk)
            else:
                dst.writestr(name, body)
    return out.getvalue()


def _repeat(head: bytes, unit: bytes, total: int, tail: bytes) -> Callable[[], Iterable[bytes]]:
    def chunks() -> Iterable[bytes]:
        yield head
        block = unit * (CHUNK // len(unit))
        left = total
        while left > 0:
            yield block[:left] if left < len(block) else block
            left -= len(block)
        yield tail
    return chunks


def _sheet(data: bytes) -> str:
    return zipfile.ZipFile(io.BytesIO(data)).read(SHEET).decode()


def valid() -> bytes:
    """A good progress file (新华区, T01, the week of 24-30 June 2023, 6 场次)."""
    return xlsx([prow()])


def empty_rows_bomb(size: int = GB) -> bytes:
    """The sheet inflates to `size` bytes of empty rows after the real ones (about 1.5 MB zipped
    for 1 GB)."""
    text = _sheet(valid())
    head, tail = text.split("</sheetData>")
    return rewrite(valid(), {SHEET: _repeat(head.encode(), b"<row/>", size, ("</sheetData>" + tail).encode())})


def shared_string_bomb(size: int = GB) -> bytes:
    """One shared string of `size` characters (sharedStrings.xml inflates to 1 GB); the file is
    about 1 MB."""
    head = b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>'
    return rewrite(valid(), {STRINGS: _repeat(head, b"a", size, b"</t></si></sst>")})


def inline_string_bomb(size: int = GB) -> bytes:
    """One inline-string cell (I2, the note) of `size` characters."""
    before, after = _row2(_sheet(valid()))
    start = (before + '<c r="I2" t="inlineStr"><is><t>').encode()
    return rewrite(valid(), {SHEET: _repeat(start, b"a", size, ("</t></is></c>" + after).encode())})


def _row2(text: str) -> tuple[str, str]:
    """The sheet's XML cut just before the end tag of row 2."""
    row = re.search(r'<row r="2".*?</row>', text, re.S)
    assert row is not None
    cut = row.end() - len("</row>")
    return text[:cut], text[cut:]


def with_cell(cell: str) -> bytes:
    """A valid progress file with `cell` (XML of one <c>) added to row 2."""
    before, after = _row2(_sheet(valid()))
    return rewrite(valid(), {SHEET: (before + cell + after).encode()})


def lying_header(data: bytes, part: str = SHEET, declared: int = 1024 * 1024) -> bytes:
    """`data` with the zip's local and central headers of `part` declaring `declared` bytes
    uncompressed, whatever the part really inflates to."""
    raw = bytearray(data)
    name = part.encode()
    for sig, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (at := raw.find(sig, start)) >= 0:
            start = at + 4
            name_len_at = 26 if sig == b"PK\x03\x04" else 28
            name_len = struct.unpack_from("<H", raw, at + name_len_at)[0]
            name_at = at + (30 if sig == b"PK\x03\x04" else 46)
            if bytes(raw[name_at:name_at + name_len]) == name:
                struct.pack_into("<I", raw, at + size_at, declared)
    return bytes(raw)


def macro_workbook() -> bytes:
    """A valid progress file carrying xl/vbaProject.bin (what an .xlsm saved as .xlsx holds)."""
    return rewrite(valid(), {"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 VBA project"})


def macro_content_type() -> bytes:
    """A valid progress file whose workbook part is declared macro-enabled."""
    types = zipfile.ZipFile(io.BytesIO(valid())).read("[Content_Types].xml").decode()
    types = types.replace("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                          "application/vnd.ms-excel.sheet.macroEnabled.main+xml")
    return rewrite(valid(), {"[Content_Types].xml": types.encode()})


def hidden_data_sheet(visible_value: int = 9) -> bytes:
    """A workbook whose hidden sheet is named 周进度 (value 6) and whose visible sheet 周进度 (2) holds
    what the clerk filled in (value `visible_value`)."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(valid()))
    hidden = wb["周进度"]
    copy = wb.copy_worksheet(hidden)
    copy.title = "周进度 (2)"
    copy["H2"] = visible_value
    hidden.sheet_state = "hidden"
    wb.active = 1
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def merged(cells: str = "H2:H3") -> bytes:
    """Two rows (新华区, 鲁山县) whose figures were merged into one cell."""
    from openpyxl import load_workbook

    from tests.tiny_data import B

    wb = load_workbook(io.BytesIO(xlsx([prow(), prow(unit=B)])))
    wb.active.merge_cells(cells)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def escaped_control(code: str = "_x0000_") -> bytes:
    """A valid progress file whose note (I2) holds Excel's escape of a control character."""
    return with_cell(f'<c r="I2" t="inlineStr"><is><t>备注{code}</t></is></c>')


def billion_laughs() -> bytes:
    """Shared strings with an entity expansion in a DOCTYPE."""
    doc = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
           + b"".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
                      for i in range(1, 10))
           + b']><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&lol9;</t></si></sst>')
    return rewrite(valid(), {STRINGS: doc})


def wide_row() -> bytes:
    """Content in column XFD (16384) of row 2."""
    return with_cell('<c r="XFD2" t="inlineStr"><is><t>x</t></is></c>')


def many_parts(n: int = 1500) -> bytes:
    return rewrite(valid(), {f"xl/media/p{i}.bin": b"x" for i in range(n)})
