"""Text safe for a file: any string already stored (a decision's note, an owner, a unit's name) can
be written to a workbook or a PDF. Pure (no streamlit).

Replaced by the visible mark 〓 (U+3013, the typesetters' mark for a character that cannot be set;
in every CJK font), never dropped silently:

- control characters other than tab, line feed and carriage return: C0 (what openpyxl refuses with
  IllegalCharacterError, and NUL), DEL and C1;
- direction controls (U+061C, U+200E/U+200F, U+202A-U+202E, U+2066-U+2069), with which a stored
  text could show reversed or out of order (the Trojan-Source trick);
- lone surrogates and the non-characters U+FFFE/U+FFFF, which no XML file may hold.

`file_name` does the same for a file name (with _), also for path separators.
Whether the PDF's fonts have a glyph is another question: data_access.meeting.pdf marks those too.
"""
from __future__ import annotations

import re

MARK = "\u3013"  # 〓

_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
                     "\ud800-\udfff\ufffe\uffff]")


def file_text(text: str, mark: str = MARK) -> str:
    """`text` with every character that must not reach a file replaced by `mark` (see above)."""
    return _UNSAFE.sub(mark, text)


def file_value(value: object) -> object:
    """A cell value safe for a file: strings through `file_text`, anything else unchanged."""
    return file_text(value) if isinstance(value, str) else value


_NOT_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|]')


def file_name(name: str) -> str:
    """A file name offered for download built from stored text (a unit's name): no control or
    direction characters, no path separators or characters Windows refuses (each becomes _)."""
    return _NOT_IN_FILE_NAMES.sub("_", file_text(name, "_")).strip(" .") or "_"


def unsafe_count(text: str) -> int:
    """How many characters of `text` `file_text` would replace."""
    return len(_UNSAFE.findall(text))
