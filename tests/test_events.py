"""The event log (data_access/events.py, issue #16): one line per event, names and counts only."""
from __future__ import annotations

import io
import logging

import pytest

from data_access import events


def test_import_line_has_names_ids_and_counts_only():
    line = events.format_event("import", user="zhangsan", unit="410423", batch=12, rows=34, new=30, changed=4)
    assert line == "event=import user=zhangsan unit=410423 batch=12 rows=34 new=30 changed=4"


def test_figures_and_free_text_never_get_in():
    line = events.format_event("login_failure", user="x y\nevent=approval", reason="bad password 123456",
                               rows=12.5)
    assert line == "event=login_failure user=? reason=? rows=?"
    assert "\n" not in line and "123456" not in line and "12.5" not in line


def test_booleans_are_not_counts_and_chinese_names_are_refused():
    assert events.format_event("approval", user="张三", batch=True) == "event=approval user=? batch=?"


def test_unknown_event_or_key_is_a_programming_error():
    with pytest.raises(ValueError):
        events.format_event("imported")
    with pytest.raises(ValueError):
        events.format_event("import", password=1)
    with pytest.raises(ValueError):
        events.format_event("import", value=150000)
    with pytest.raises(ValueError):
        events.format_event("import", **{"Bad-Key": 1})


def test_error_keeps_the_class_name_not_the_message():
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    log = events.logger()
    log.addHandler(handler)
    try:
        line = events.error(ValueError("T01 value 150000 for 410423"), user="lisi", where="cli.import")
    finally:
        log.removeHandler(handler)
    assert line == "event=error user=lisi reason=cli.import.ValueError"
    assert buf.getvalue() == line + "\n"


def test_one_line_each_on_stderr_by_default(capsys):
    events.log("approval", user="wangwu", unit="410402", batch=7, rows=3)
    events.log("login_failure", user="zhangsan", reason="locked")
    err = [ln for ln in capsys.readouterr().err.splitlines() if " kpi.events " in ln]
    assert [ln.split(" kpi.events ", 1)[1] for ln in err] == [
        "event=approval user=wangwu unit=410402 batch=7 rows=3",
        "event=login_failure user=zhangsan reason=locked"]
    assert all(" INFO " in ln for ln in err)


def test_log_file_setting(tmp_path, monkeypatch):
    monkeypatch.setattr(events, "_configured", False)
    log = logging.getLogger(events.LOGGER_NAME)
    saved = log.handlers[:]
    for h in saved:
        log.removeHandler(h)
    monkeypatch.setenv("KPI_LOG_FILE", str(tmp_path / "events.log"))
    try:
        events.log("backup", reason="sqlite", tables=18, rows=16379)
        for h in log.handlers:
            h.flush()
        text = (tmp_path / "events.log").read_text(encoding="utf-8")
    finally:
        for h in log.handlers[:]:
            log.removeHandler(h)
            h.close()
        for h in saved:
            log.addHandler(h)
    assert text.endswith("kpi.events event=backup reason=sqlite tables=18 rows=16379\n")


def test_unwritable_log_file_falls_back_to_stderr(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(events, "_configured", False)
    log = logging.getLogger(events.LOGGER_NAME)
    saved = log.handlers[:]
    for h in saved:
        log.removeHandler(h)
    monkeypatch.setenv("KPI_LOG_FILE", str(tmp_path / "no-such-dir" / "events.log"))
    try:
        events.log("restore", reason="sqlite", tables=1, rows=2)
    finally:
        for h in log.handlers[:]:
            log.removeHandler(h)
        for h in saved:
            log.addHandler(h)
    err = capsys.readouterr().err
    assert "无法写入事件日志" in err and err.rstrip().endswith("event=restore reason=sqlite tables=1 rows=2")
