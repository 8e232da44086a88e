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


@pytest.fixture
def event_lines():
    """The lines written to the events logger during a test."""
    lines: list[str] = []

    class _Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    log = events.logger()
    handler = _Keep()
    log.addHandler(handler)
    yield lines
    log.removeHandler(handler)


def test_sign_ins_and_imports_write_one_line_each_without_secrets(tiny, event_lines):
    """The writers call the event log: a failed and a good sign-in, an unknown name, an import, an
    approval, a withdrawal request and its approval, each one line; no password, no figure."""
    import datetime as dt

    from data_access.accounts import sessions, users
    from data_access.reporting import commit, review
    from tests.helpers import prow, xlsx
    from tests.people import admin
    from tests.tiny_data import A

    root = admin("root")
    users.create_user(tiny, root, "zhangsan", role="区县填报员", unit_code=A, password="Yingcheng#2023x")
    with pytest.raises(Exception):
        sessions.login(tiny, "zhangsan", "wrong-Secret-77")
    with pytest.raises(Exception):
        sessions.login(tiny, "Yingcheng#2023x", "whatever")  # a password typed into the name field
    with pytest.raises(Exception):
        sessions.login(tiny, "lisi", "whatever")  # no such account
    sessions.login(tiny, "zhangsan", "Yingcheng#2023x")
    done = commit.commit(tiny, xlsx([prow(value=6)]), "w26.xlsx", actor="zhangsan", allowed_units=(A,),
                         now=dt.datetime(2023, 6, 30, 18))
    review.review(tiny, done.batch_id, "approve", reviewer=root, now=dt.datetime(2023, 6, 30, 19))
    review.withdraw(tiny, done.batch_id, user=root, now=dt.datetime(2023, 7, 1, 9))  # a request
    review.review(tiny, done.batch_id, "approve", reviewer=admin("shenhe"), now=dt.datetime(2023, 7, 1, 10))
    mine = [ln for ln in event_lines if ln.split()[0] in
            ("event=login_failure", "event=login", "event=import", "event=approval", "event=withdraw")]
    assert mine == [
        "event=login_failure user=zhangsan reason=bad_password",
        "event=login_failure reason=invalid_name",
        "event=login_failure reason=unknown_user",
        "event=login user=zhangsan",
        f"event=import user=zhangsan unit={A} batch={done.batch_id} rows=1 new=1 changed=0",
        f"event=approval user=root batch={done.batch_id}",
        f"event=withdraw user=root unit={A} batch={done.batch_id} reason=requested",
        f"event=withdraw user=shenhe unit={A} batch={done.batch_id} reason=approved",
    ]
    assert not any("Secret" in ln or "Yingcheng" in ln or "lisi" in ln for ln in event_lines)
