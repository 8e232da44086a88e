"""What the command line prints: text from the database or a file (a clerk's note, a cell quoted in
a refusal) can hold escape sequences that would drive the operator's terminal (colours, a cleared
screen, a rewritten title, text shown reversed). `safe` shows every such character escaped; `one_line`
makes an error message the one line the error contract promises."""
from __future__ import annotations

import re

# C0 and C1 controls, DEL, the direction controls (U+061C, U+200E/F, U+202A-U+202E, U+2066-U+2069),
# the line and paragraph separators, lone surrogates
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escaped(ch: str) -> str:
    code = ord(ch)
    return {"\t": "\\t", "\n": "\\n", "\r": "\\r"}.get(ch) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def safe(text: str, keep_newlines: bool = True) -> str:
    """`text` with every control, direction or separator character shown as \\x1b, \\u202e, \\n …
    (line feeds and tabs kept as they are when `keep_newlines`: the command's own layout)."""
    def sub(m: re.Match[str]) -> str:
        ch = m[0]
        return ch if keep_newlines and ch in "\n\t" else _escaped(ch)
    return _CONTROL.sub(sub, text)


def cell(value: object) -> object:
    """A value of a printed table: text fully escaped (a line break inside a note would break the
    table), anything else unchanged."""
    return safe(value, keep_newlines=False) if isinstance(value, str) else value


def one_line(text: str) -> str:
    """A message on one line: its lines joined with "；" (after a colon, with nothing), escaped."""
    lines = [ln.strip() for ln in safe(text).split("\n") if ln.strip()]
    out = ""
    for ln in lines:
        out += ln if not out or out.endswith(("：", ":")) else "；" + ln
    return out

