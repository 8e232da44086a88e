"""The command line's error contract (data_access/cli/main.py): every failure is one line on stderr
starting with 错误：, exit code 2, no traceback, nothing changed: a refused bomb or macro file, a
refusal with several problems, a bad argument, MemoryError, openpyxl's IllegalCharacterError,
anything unexpected. Event log lines (" kpi.events ", data_access/events.py) are the log's own and
are not counted. And what it prints never carries a clerk's escape sequences to the terminal."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import insert

from data_access.cli import main as cli
from data_access.cli.terminal import one_line, safe
from data_access.db import make_engine
from data_access.reporting import preview as previewing
from data_access.schema.models import ImportBatch, ProgressReport
from tests import bomb_files as bombs
from tests.helpers import D, csv_file, dump, prow, xlsx
from tests.tiny_data import A

ROOT = Path(__file__).resolve().parent.parent


def error_lines(err: str) -> list[str]:
    return [ln for ln in err.strip().splitlines() if " kpi.events " not in ln]


def _dump(url: str):
    engine = make_engine(url)
    try:
        return dump(engine)
    finally:
        engine.dispose()


def test_a_gigabyte_bomb_through_the_command_line(tiny_url, tmp_path):
    """In a process of its own, measured by a wrapper (its peak memory, not this test's)."""
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(bombs.empty_rows_bomb(bombs.GB))
    before = _dump(tiny_url)
    from benchmarks.bombs import WRAPPER

    env = {**os.environ, "KPI_DATABASE_URL": tiny_url, "KPI_USER": "王芳"}
    out = subprocess.run([sys.executable, "-c", WRAPPER, sys.executable, "-m", "data_access", "import", str(path),
                          "--unit", A, "--yes"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    r = json.loads(out.stdout)
    lines = error_lines(r["stderr"])
    assert r["code"] == 2 and len(lines) == 1, r["stderr"]
    assert lines[0].startswith("错误：文件未导入，共发现1处问题：文件“bomb.xlsx”：文件中的“xl/worksheets/sheet1.xml”解压后超过32 MB")
    assert "Traceback" not in r["stderr"]
    assert r["rss_mb"] < 1024  # the issue: 5.8 GB and a MemoryError
    assert _dump(tiny_url) == before


@pytest.mark.parametrize("name, build, expected", [
    ("a.xlsm", bombs.valid, "错误：文件未导入，共发现1处问题：文件“a.xlsm”：文件含有宏（.xlsm），不能上传"),
    ("a.xlsx", bombs.macro_workbook, "错误：文件未导入，共发现1处问题：文件“a.xlsx”：文件含有宏（xl/vbaProject.bin）"),
    ("a.xlsx", bombs.hidden_data_sheet, "错误：文件未导入，共发现1处问题：文件“a.xlsx”，工作表“周进度”：数据工作表“周进度”是隐藏的"),
], ids=["xlsm", "vbaProject", "hidden"])
def test_refused_files_are_one_line(tiny_url, tmp_path, capsys, name, build, expected):
    path = tmp_path / name
    path.write_bytes(build())
    before = _dump(tiny_url)
    assert cli.main(["--url", tiny_url, "import", str(path), "--unit", A, "--yes"]) == 2
    lines = error_lines(capsys.readouterr().err)
    assert len(lines) == 1 and lines[0].startswith(expected), lines
    assert _dump(tiny_url) == before


def test_several_problems_are_joined_on_the_one_line(tiny_url, tmp_path, capsys):
    path = tmp_path / "a.csv"
    path.write_bytes(csv_file([prow(value=-1), prow(unit="1"), prow(note="\x1b[2J")]))
    assert cli.main(["--url", tiny_url, "import", str(path)]) == 2
    (line,) = error_lines(capsys.readouterr().err)
    assert line == ("错误：文件未导入，共发现1处问题：文件“a.csv”，第4行，“备注”列（第9列）："
                    "含有不允许的控制字符或方向控制字符⟨U+001B⟩（显示为“⟨U+001B⟩[2J”）；请删除后重新输入")
    path = tmp_path / "a.xlsx"
    path.write_bytes(xlsx([prow(value=-1), prow(unit="1")]))
    assert cli.main(["--url", tiny_url, "import", str(path)]) == 2
    (line,) = error_lines(capsys.readouterr().err)
    assert line.startswith("错误：文件未导入，共发现2处问题：文件“a.xlsx”，工作表“周进度”，第2行，“本期完成数”列（H列）：不能为负数")
    assert "；文件“a.xlsx”，工作表“周进度”，第3行，“单位代码”列（A列）：未知单位代码“1”" in line


def test_a_bad_argument_is_one_chinese_line(tiny_url, capsys):
    with pytest.raises(SystemExit) as ended:
        cli.main(["--url", tiny_url, "import", "x.xlsx", "--kind", "weekly"])
    assert ended.value.code == 2
    (line,) = error_lines(capsys.readouterr().err)
    assert line.startswith("错误：命令行参数有误：argument --kind: invalid choice: 'weekly'")
    assert line.endswith("（用 python -m data_access import --help 查看用法）")


@pytest.mark.parametrize("exc, expected", [
    (MemoryError(), "错误：内存不足：文件或数据过大，未作任何改动"),
    (__import__("openpyxl.utils.exceptions", fromlist=["x"]).IllegalCharacterError("\x07 in B2"),
     "错误：文本含有 Excel 文件不能保存的控制字符：\\x07 in B2"),
    (KeyError("boom"), "错误：内部错误（KeyError），已记入日志：'boom'"),
    (RuntimeError("first\nsecond"), "错误：内部错误（RuntimeError），已记入日志：first；second"),
], ids=["MemoryError", "IllegalCharacterError", "KeyError", "two-line message"])
def test_any_failure_is_one_line_and_exit_2(tiny_url, tmp_path, capsys, monkeypatch, exc, expected):
    path = tmp_path / "a.xlsx"
    path.write_bytes(xlsx([prow()]))

    def fail(*_a, **_k):
        raise exc

    monkeypatch.setattr(previewing, "read_table", fail)
    before = _dump(tiny_url)
    assert cli.main(["--url", tiny_url, "import", str(path), "--yes"]) == 2
    err = capsys.readouterr().err
    assert error_lines(err) == [expected] and "Traceback" not in err
    assert _dump(tiny_url) == before


def test_history_and_batches_show_a_clerks_escape_sequences_escaped(tiny_url, capsys):
    engine = make_engine(tiny_url)
    with engine.begin() as conn:
        conn.execute(insert(ImportBatch).values(
            id=50, kind="progress", unit_code=A, file_name="\x1b]0;owned\x07.xlsx", file_sha256="e" * 64,
            file_bytes=b"", uploaded_by="x\u202eY", uploaded_at=dt.datetime(2023, 6, 30, 9), row_count=1, rows_new=1,
            rows_changed=0, status="approved"))
        conn.execute(insert(ProgressReport).values(
            target_id=1, unit_code=A, period_start=D(2023, 6, 24), period_end=D(2023, 6, 30), value=3,
            reporter="\x1b[31mred", note="line1\nline2\x1b[2J", recorded_at=dt.datetime(2023, 6, 30, 9), batch_id=50))
    engine.dispose()
    assert cli.main(["--url", tiny_url, "history", "--target", "T01", "--unit", A]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\\x1b[31mred" in out and "line1\\nline2\\x1b[2J" in out
    assert cli.main(["--url", tiny_url, "batches"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "\\x1b]0;owned\\x07.xlsx" in out and "x\\u202eY" in out


def test_the_terminal_rules():
    assert safe("a\tb\nc\x1b[0m\x9b\u202e") == "a\tb\nc\\x1b[0m\\x9b\\u202e"
    assert safe("a\tb\nc", keep_newlines=False) == "a\\tb\\nc"
    assert one_line("文件未导入，共发现2处问题：\n甲\n乙") == "文件未导入，共发现2处问题：甲；乙"
