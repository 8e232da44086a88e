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
    message_en: str | None = None  # the message in English (the Chinese one when None)

    def line(self, lang: str = "zh") -> str:
        if lang == "en":
            return self.line_en()
        parts = [f"文件“{self.file}”"]
        if self.sheet:
            parts.append(f"工作表“{self.sheet}”")
        if self.row:
            parts.append(f"第{self.row}行")
        if self.column:
            parts.append(f"“{self.column}”列" + (f"（{self.col_pos}）" if self.col_pos else ""))
        elif self.col_pos:
            parts.append(self.col_pos)
        return "，".join(parts) + "：" + self.message

    def line_en(self) -> str:
        parts = [f"File “{self.file}”"]
        if self.sheet:
            parts.append(f"sheet “{self.sheet}”")
        if self.row:
            parts.append(f"row {self.row}")
        if self.column or self.col_pos:
            pos = (self.col_pos or "").removeprefix("第").removesuffix("列")
            parts.append(" ".join(p for p in ("column", f"“{self.column}”" if self.column else "",
                                               f"({pos})" if self.column and pos else pos) if p))
        return ", ".join(parts) + ": " + (self.message_en or self.message)


class ImportRejected(DataAccessError):
    """The file was refused; nothing was written. `issues` lists every problem found."""

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        shown = "\n".join(i.line() for i in issues[:20])
        more = f"\n……另有{len(issues) - 20}处问题" if len(issues) > 20 else ""
        super().__init__(f"文件未导入，共发现{len(issues)}处问题：\n{shown}{more}",
                         f"Not imported: {len(issues)} problem(s):\n"
                         + "\n".join(i.line_en() for i in issues[:20])
                         + (f"\n… and {len(issues) - 20} more" if len(issues) > 20 else ""))
