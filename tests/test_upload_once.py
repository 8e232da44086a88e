"""An uploaded file is read once per upload, not on every rerun while it sits in the uploader
(dashboard/data.py `_checked_upload`, keyed by the file's SHA-256, name, the viewer's scope, the day
and the data's version): a good file, and a refused one (a refusal is kept too, so a bomb is not
unpacked again on each rerun). A change to the data (a commit) reads it afresh."""
from __future__ import annotations

import pytest
import streamlit as st

from data_access.reporting import commit as committing, preview as previewing
from data_access.reporting.issues import ImportRejected
from data_access.db import make_engine
from tests import bomb_files as bombs
from tests.helpers import D, prow, xlsx
from tests.tiny_data import A


@pytest.fixture
def counted(tiny_url, monkeypatch):
    from dashboard import data

    monkeypatch.setenv("KPI_DATABASE_URL", tiny_url)
    st.cache_data.clear()
    st.cache_resource.clear()
    reads: list[str] = []
    real = previewing.read_table
    monkeypatch.setattr(previewing, "read_table", lambda d, name, *a: reads.append(name) or real(d, name, *a))
    yield data, reads
    st.cache_data.clear()
    st.cache_resource.clear()


def test_a_good_file_is_read_once_across_reruns(counted, tiny_url):
    data, reads = counted
    content = xlsx([prow(start=D(2023, 6, 24), end=D(2023, 6, 30), value=6)])
    first = data.preview(content, "a.xlsx", (A,))
    second = data.preview(content, "a.xlsx", (A,))
    assert reads == ["a.xlsx"]
    assert first.counts == second.counts == {"total": 1, "new": 1, "changed": 0, "unchanged": 0}
    data.preview(content, "b.xlsx", (A,))  # another name is another upload
    assert reads == ["a.xlsx", "b.xlsx"]
    engine = make_engine(tiny_url)
    committing.commit(engine, content, "a.xlsx", actor="x", allowed_units=(A,))  # the data's version moves on
    engine.dispose()
    assert reads == ["a.xlsx", "b.xlsx", "a.xlsx"]  # the commit reads the file in its own transaction
    with pytest.raises(ImportRejected, match="不能重复导入"):
        data.preview(content, "a.xlsx", (A,))
    assert reads == ["a.xlsx", "b.xlsx", "a.xlsx", "a.xlsx"]  # a new version: read again, and now refused


def test_a_refused_bomb_is_unpacked_once(counted):
    data, reads = counted
    bomb = bombs.empty_rows_bomb(64 * 1024 * 1024)
    messages = []
    for _ in range(3):
        with pytest.raises(ImportRejected) as err:
            data.preview(bomb, "bomb.xlsx", None)
        messages.append(err.value.message_zh)
    assert reads == ["bomb.xlsx"]
    assert len(set(messages)) == 1 and "解压后超过32 MB（至少64 MB）" in messages[0]
    assert err.value.issues[0].line("en").startswith("File “bomb.xlsx”: part “xl/worksheets/sheet1.xml” inflates")
