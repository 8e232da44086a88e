"""A correction that changes only the clerk's 备注 is a correction (figures unchanged, the note
updated), not refused as "identical"; a file equal to what is stored, or with the note left blank,
is still refused. On SQLite, PostgreSQL and MariaDB (`tiny`).

T01 of tiny as of 30 June 2023 is 19 (see tests/test_two_people.py); the approved 6 makes it 25."""
from __future__ import annotations

import datetime as dt

import pytest

from data_access.reporting import commit as committing
from data_access.reporting import history as figures
from data_access.reporting import preview as previewing
from data_access.reporting import review as reviewing
from data_access.reporting.issues import ImportRejected
from tests.helpers import D, NOW, WEEK, csv_file, prow, t01, xlsx
from tests.people import reviewer
from tests.tiny_data import A

LATER = NOW + dt.timedelta(hours=1)


def test_a_new_note_alone_is_a_correction(tiny):
    first = committing.commit(tiny, xlsx([prow(value=6, note="首报")]), "w26.xlsx", actor="王芳",
                              allowed_units=(A,), now=NOW)
    reviewing.review(tiny, first.batch_id, "approve", reviewer=reviewer("李审"), now=NOW)
    assert t01(tiny) == 25.0

    noted = xlsx([prow(value=6, note="6场含2场线上活动，已核台账")])
    pv = previewing.preview(tiny, noted, "w26备注.xlsx", now=LATER)
    assert pv.counts == {"total": 1, "new": 0, "changed": 1, "unchanged": 0}
    frame = previewing.changes_frame(pv)
    assert frame.loc[0, ["action", "old", "new", "note"]].tolist() == ["changed", 6.0, 6, "6场含2场线上活动，已核台账"]
    second = committing.commit(tiny, noted, "w26备注.xlsx", actor="王芳", allowed_units=(A,), now=LATER,
                               expect=pv.fingerprint)
    rows = reviewing.batch_rows(tiny, second.batch_id, now=LATER)
    assert rows[["item", "old", "new", "action", "note"]].values.tolist() == [
        ["T01", 6.0, 6.0, "changed", "6场含2场线上活动，已核台账"]]
    reviewing.review(tiny, second.batch_id, "approve", reviewer=reviewer("李审"), now=LATER)
    assert t01(tiny) == 25.0  # the figure is unchanged
    hist = figures.figure_history(tiny, "T01", A, 2023, WEEK[1], now=LATER)
    assert hist[["value", "note", "in_force"]].values.tolist() == [
        [6.0, "首报", False], [6.0, "6场含2场线上活动，已核台账", True]]


@pytest.mark.parametrize("note", [None, "首报"], ids=["blank note", "same note"])
def test_the_same_figure_and_no_new_note_is_still_refused(tiny, note):
    first = committing.commit(tiny, xlsx([prow(value=6, note="首报")]), "w26.xlsx", actor="王芳",
                              allowed_units=(A,), now=NOW)
    reviewing.review(tiny, first.batch_id, "approve", reviewer=reviewer("李审"), now=NOW)
    with pytest.raises(ImportRejected, match="文件中的数据与已入库数据完全相同"):
        previewing.preview(tiny, csv_file([prow(value=6, note=note)]), "again.csv", now=LATER)  # other bytes


def test_every_error_of_a_file_is_listed_with_the_permission_error(tiny):
    """Row 2: another county's figure AND a bad value: both problems (the permission error used to
    be left out when a cell of the row failed); row 3: another county only; row 4: fine."""
    rows = [prow(unit="410423", value=-2), prow(unit="410423", target="T01", start=D(2023, 6, 17),
                                                  end=D(2023, 6, 23), value=3), prow(value=6)]
    with pytest.raises(ImportRejected) as caught:
        previewing.preview(tiny, xlsx(rows), "三处.xlsx", allowed_units=(A,), now=NOW)
    lines = [i.line() for i in caught.value.issues]
    assert lines == [
        "文件“三处.xlsx”，工作表“周进度”，第2行，“本期完成数”列（H列）：不能为负数（-2）；如需核减，请重报该周的正确数",
        "文件“三处.xlsx”，工作表“周进度”，第2行，“单位代码”列（A列）：无权上报鲁山县（410423）的数据",
        "文件“三处.xlsx”，工作表“周进度”，第3行，“单位代码”列（A列）：无权上报鲁山县（410423）的数据"]


def test_a_bad_cell_does_not_hide_the_permission_error(tiny):
    rows = [prow(unit="410423", value="六")]
    with pytest.raises(ImportRejected) as caught:
        previewing.preview(tiny, xlsx(rows), "x.xlsx", allowed_units=(A,), now=NOW)
    messages = [i.message for i in caught.value.issues]
    assert len(messages) == 2 and messages[1] == "无权上报鲁山县（410423）的数据", messages
