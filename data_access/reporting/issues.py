"""Problems found in an upload: each names the file, sheet, row and column in Chinese; any problem
rejects the whole file (`ImportRejected`), and nothing is written."""
from __future__ import annotations

from dataclasses import dataclass

from data_access.errors import DataAccessError

MAX_ISSUES = 200  # stop collecting after this many (the message shows the first ones)


@dataclass(frozen=True)
class Issue:
    """One problem in a file. `line()` is the sentence a user reads."""

    file: str
    message: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None  # the header label
    col_pos: str | None = None  # "H列" in a workbook, "第8列" in a CSV

    def line(self) -> str:
        parts = [f"文件“{self.file}”"]
        if self.sheet:
            parts.append(f"工作表“{self.sheet}”")
        if self.row:
            parts.append(f"第{self.row}行")
        if self.column:
            parts.append(f"“{self.column}”列" + (f"（{self.col_pos}）" if self.col_pos else ""))
        return "，".join(parts) + "：" + self.message


class ImportRejected(DataAccessError):
    """The file was refused; nothing was written. `issues` lists every problem found."""

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        shown = "\n".join(i.line() for i in issues[:20])
        more = f"\n……另有{len(issues) - 20}处问题" if len(issues) > 20 else ""
        super().__init__(f"文件未导入，共发现{len(issues)}处问题：\n{shown}{more}")
