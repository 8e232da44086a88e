"""County uploads: a corpus of broken files each refused with the right message and nothing written;
good files accepted, reviewed, visible on the overview; corrections kept as history; withdrawal;
an interrupted import leaving nothing behind; the command line on the same code path.

The dataset is tests/tiny_data.py: T01 群众性文化活动 100 场次 city-wide (新华区 A=410402 60,
鲁山县 B=410423 40), reported only in January. Uploads happen on Friday 30 June 2023 (NOW), so the
week 24–30 June is the latest one that may be reported.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from sqlalchemy import insert, select, update

from data_access.cli import main as cli
from data_access.reporting import batches as batch_list, commit as committing, files, history as figures
from data_access.reporting import preview as previewing, review as reviewing
from data_access.reporting.cells import neutralise
from data_access.reporting.context import week_bounds
from data_access.reporting.issues import ImportRejected
from data_access.reporting.kinds import base
from tests.people import admin, reporter, reviewer
from data_access.kpis import queries
from data_access.schema import migrate
from data_access.db import make_engine
from data_access.errors import DataAccessError
from data_access.schema.models import Facility, ImportBatch, ProgressReport, Unit
from tests.helpers import D, FACILITY_HEAD, LUSHAN_SEAT, MEMBER_HEAD, NOW, PROGRESS_HEAD, UNION_HEAD, WEEK, WEIDONG_SEAT, XINHUA_SEAT, csv_file, dump, frow, overview_actual, prow, sync_sequences, t01, with_formula, xlsx
from tests.tiny_data import A, B, load_tiny

# ---------------------------------------------------------------------------------------------
# the corpus of broken files


def _add_zones(engine) -> None:
    with engine.begin() as conn:
        conn.execute(insert(Unit), [
            dict(code="410471", name_zh="高新区", name_en="High-tech Zone", kind="zone", sort_order=11,
                 seat_lat=None, seat_lon=None, has_boundary=False, active=True),
            dict(code="410472", name_zh="城乡一体化示范区", name_en="Demonstration Zone", kind="zone",
                 sort_order=12, seat_lat=None, seat_lon=None, has_boundary=False, active=True),
        ])


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def corpus_db(request, tmp_path_factory):
    """One database for the whole corpus: a refused file writes nothing, and each case checks that."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('corpus') / 'kpi.sqlite3'}")
        cleanup = engine.dispose
    else:
        from tests.conftest import _drop_pg, _fresh_pg_engine

        engine, admin, name = _fresh_pg_engine()
        cleanup = lambda: _drop_pg(engine, admin, name)  # noqa: E731
    migrate.upgrade(engine)
    load_tiny(engine)
    sync_sequences(engine)
    _add_zones(engine)
    # tiny's facility 2 gets a point inside 新华区 so that registry files can refer to it
    with engine.begin() as conn:
        conn.execute(update(Facility).where(Facility.id == 2).values(lat=XINHUA_SEAT[0], lon=XINHUA_SEAT[1]))
    yield engine
    cleanup()


def _progress_xlsx_without(column: str) -> bytes:
    i = PROGRESS_HEAD.index(column)
    return xlsx([r[:i] + r[i + 1:] for r in [prow()]], PROGRESS_HEAD[:i] + PROGRESS_HEAD[i + 1:])


def _progress_with_formula(cached) -> bytes:
    return with_formula(xlsx([prow(value=1)]), "H2", "2+3", cached)


W = '工作表“周进度”'
# (case id, file name, file bytes (a callable), keyword arguments, texts the message must contain)
CORPUS = [
    ("missing column", "a.xlsx", lambda: _progress_xlsx_without("本期完成数"), {},
     [W, "第1行", "缺少必填列“本期完成数”"]),
    ("unknown column", "a.xlsx", lambda: xlsx([prow() + [1]], PROGRESS_HEAD + ["累计数"]), {},
     [W, "第1行", "“累计数”列（J列）", "未知的列“累计数”"]),
    ("wrong type", "a.xlsx", lambda: xlsx([prow(), prow(unit=B, value="十二")]), {},
     [W, "第3行", "“本期完成数”列（H列）", "应为数字，实际为“十二”"]),
    ("blank figure", "a.xlsx", lambda: xlsx([prow(value=None)]), {},
     [W, "第2行", "“本期完成数”列（H列）", "必填，不能为空（无进展请填0）"]),
    ("bad date", "a.xlsx", lambda: xlsx([prow(start="6月24号")]), {},
     [W, "第2行", "“周期开始”列（F列）", "应为日期"]),
    ("unknown unit", "a.xlsx", lambda: xlsx([prow(unit="419999")]), {},
     [W, "第2行", "“单位代码”列（A列）", "未知单位代码“419999”"]),
    ("unknown target", "a.xlsx", lambda: xlsx([prow(target="T99")]), {},
     [W, "第2行", "“指标代码”列（C列）", "未知指标代码“T99”"]),
    ("target counted from a registry", "a.xlsx", lambda: xlsx([prow(target="T07")]), {},
     [W, "第2行", "“指标代码”列（C列）", "指标T07不按周填报"]),
    ("negative", "a.xlsx", lambda: xlsx([prow(value=-3)]), {},
     [W, "第2行", "“本期完成数”列（H列）", "不能为负数"]),
    ("above the year's target", "a.xlsx", lambda: xlsx([prow(value=101)]), {},
     [W, "第2行", "“本期完成数”列（H列）", "101场次超过全年目标（100场次）"]),
    ("fraction of a count", "a.xlsx", lambda: xlsx([prow(value=2.5)]), {},
     [W, "第2行", "“本期完成数”列（H列）", "应为整数"]),
    ("outside the plan year", "a.xlsx", lambda: xlsx([prow(start=D(2022, 12, 24), end=D(2022, 12, 30))]), {},
     [W, "第2行", "“周期开始”列（F列）", "不在2023计划年度内"]),
    ("in the future", "a.xlsx", lambda: xlsx([prow(start=D(2023, 7, 1), end=D(2023, 7, 7))]), {},
     [W, "第2行", "“周期结束”列（G列）", "在未来"]),
    ("not a reporting week", "a.xlsx", lambda: xlsx([prow(start=D(2023, 6, 1))]), {},
     [W, "第2行", "“周期开始”列（F列）", "如 2023-06-24 至 2023-06-30"]),
    ("duplicate rows", "a.xlsx", lambda: xlsx([prow(), prow(unit=B), prow(value=7)]), {},
     [W, "第4行", "与第2行重复（同一单位、指标、周期）"]),
    ("another county's row", "a.xlsx", lambda: xlsx([prow(), prow(unit=B)]), {"allowed_units": (A,)},
     [W, "第3行", "“单位代码”列（A列）", "无权上报鲁山县（410423）的数据"]),
    ("formula without a saved value", "a.xlsx", lambda: _progress_with_formula(None), {},
     [W, "第2行", "“本期完成数”列（H列）", "单元格含公式且没有保存计算结果"]),
    ("error value", "a.xlsx", lambda: with_formula(xlsx([prow()]), "H2", "1/0", "#DIV/0!", "e"), {},
     [W, "第2行", "“本期完成数”列（H列）", "错误值"]),
    ("not a template", "a.xlsx", lambda: xlsx([[1, 2, 3]], ["姓名", "电话", "数量"], "Sheet1"), {},
     ["无法识别报表类型"]),
    ("old .xls", "a.xls", lambda: b"\xd0\xcf\x11\xe0 old binary workbook", {}, ["不支持旧版 .xls 格式"]),
    ("damaged .xlsx", "a.xlsx", lambda: b"PK\x03\x04 this is not really a zip", {}, ["无法读取 Excel 文件"]),
    ("empty file", "a.csv", lambda: b"", {}, ["文件是空的"]),
    ("csv wrong type", "a.csv", lambda: csv_file([prow(value="abc")], encoding="gb18030"), {},
     ["文件“a.csv”，第2行，“本期完成数”列（第8列）", "应为数字"]),
    ("point outside the county", "f.xlsx", lambda: xlsx([frow(point=LUSHAN_SEAT)], FACILITY_HEAD, "设施登记"), {},
     ['工作表“设施登记”', "第2行", "“纬度”列（G列）", "不在新华区辖区内"]),
    ("latitude and longitude swapped", "f.xlsx",
     lambda: xlsx([frow(point=XINHUA_SEAT[::-1])], FACILITY_HEAD, "设施登记"), {},
     ["第2行", "“纬度”列（G列）", "经纬度可能填反了"]),
    ("zone point outside its host counties", "f.xlsx",
     lambda: xlsx([frow(unit="410472", point=WEIDONG_SEAT)], FACILITY_HEAD, "设施登记"), {},
     ["第2行", "不在城乡一体化示范区辖区内"]),
    ("closed without a date", "f.xlsx", lambda: xlsx([frow(status="关闭")], FACILITY_HEAD, "设施登记"), {},
     ["第2行", "“停用日期”列（J列）", "状态为“关闭”时必须填写停用日期"]),
    ("facility opened in the future", "f.xlsx",
     lambda: xlsx([frow(opened=D(2023, 7, 3))], FACILITY_HEAD, "设施登记"), {},
     ["第2行", "“启用日期”列（I列）", "在未来"]),
    ("new facility opened before the plan year", "f.xlsx",
     lambda: xlsx([frow(opened=D(2022, 11, 1))], FACILITY_HEAD, "设施登记"), {},
     ["第2行", "“启用日期”列", "早于2023计划年度"]),
    ("unknown facility kind", "f.xlsx", lambda: xlsx([frow(kind="驿站")], FACILITY_HEAD, "设施登记"), {},
     ["第2行", "“设施类型”列（C列）", "“驿站”不在可选项中（可选：爱心驿站、爱心托管班）"]),
    ("union founded before the plan year", "u.xlsx",
     lambda: xlsx([[A, "", "新华区某公司工会", D(2022, 12, 1), "企业", "否", None, None, 20]], UNION_HEAD, "新建工会"),
     {}, ['工作表“新建工会”', "第2行", "“建会日期”列（D列）", "早于2023计划年度"]),
    ("new-economy union without industry", "u.xlsx",
     lambda: xlsx([[A, "", "新华区骑手工会", D(2023, 6, 1), "企业", "是", None, None, 20]], UNION_HEAD, "新建工会"),
     {}, ["第2行", "“行业”列（G列）", "新业态工会必须填写行业"]),
    ("membership month not begun", "m.xlsx",
     lambda: xlsx([[A, "", "2023-07", "外卖配送", "美团", 10]], MEMBER_HEAD, "新业态入会"), {},
     ['工作表“新业态入会”', "第2行", "“月份”列（C列）", "月份2023-07尚未开始"]),
    ("membership unknown industry", "m.xlsx",
     lambda: xlsx([[A, "", "2023-05", "外卖", "美团", 10]], MEMBER_HEAD, "新业态入会"), {},
     ["第2行", "“行业”列（D列）", "“外卖”不在可选项中"]),
    ("membership above the year's target", "m.xlsx",
     lambda: xlsx([[A, "", "2023-05", "快递", "顺丰", 1001]], MEMBER_HEAD, "新业态入会"), {},
     ["第2行", "“新入会人数”列（F列）", "超过全年新业态会员目标（1,000人）"]),
]


@pytest.mark.parametrize("case", CORPUS, ids=[c[0] for c in CORPUS])
def test_broken_file_is_refused_and_nothing_is_written(corpus_db, case):
    _id, name, build, kwargs, expected = case
    before = dump(corpus_db)
    data = build()
    with pytest.raises(ImportRejected) as preview_error:
        previewing.preview(corpus_db, data, name, now=NOW, **kwargs)
    with pytest.raises(ImportRejected) as commit_error:
        committing.commit(corpus_db, data, name, actor="县填报员", now=NOW, **kwargs)
    message = commit_error.value.message_zh
    for text in expected:
        assert text in message, message
    assert f"文件“{name}”" in message
    assert preview_error.value.message_zh == message
    assert dump(corpus_db) == before


def test_one_bad_row_refuses_the_good_ones(corpus_db):
    before = dump(corpus_db)
    with pytest.raises(ImportRejected) as err:
        committing.commit(corpus_db, xlsx([prow(), prow(unit=B), prow(target="T02")]), "a.xlsx", actor="x",
                        now=NOW)
    assert err.value.issues[0].row == 4 and err.value.issues[0].column == "指标代码"
    assert dump(corpus_db) == before


def test_size_and_row_caps(corpus_db, monkeypatch):
    before = dump(corpus_db)
    monkeypatch.setattr(files, "MAX_ROWS", 3)
    with pytest.raises(ImportRejected, match="数据行过多（超过3行），上限为3行"):
        committing.commit(corpus_db, csv_file([prow(value=i) for i in range(5)]), "big.csv", actor="x", now=NOW)
    monkeypatch.setattr(files, "MAX_FILE_BYTES", 1024 * 1024)
    data = xlsx([prow()]) + b"\0" * (1024 * 1024)
    with pytest.raises(ImportRejected, match=r"文件过大（1\.0 MB），上限为 1 MB"):
        committing.commit(corpus_db, data, "big.xlsx", actor="x", now=NOW)
    assert dump(corpus_db) == before


def test_every_issue_is_listed(corpus_db):
    rows = [prow(value=-1), prow(unit="1"), prow(target="T98")]
    with pytest.raises(ImportRejected) as err:
        previewing.preview(corpus_db, xlsx(rows), "a.xlsx", now=NOW)
    assert [(i.row, i.column) for i in err.value.issues] == [(2, "本期完成数"), (3, "单位代码"), (4, "指标代码")]
    assert "共发现3处问题" in err.value.message_zh


# ---------------------------------------------------------------------------------------------
# good files


def test_good_file_is_stored_pending_then_approved_and_counted(tiny):
    before_city, before_a = t01(tiny), t01(tiny, (A,))
    data = xlsx([prow(value=6), prow(unit=B, value=3, note="含送电影2场")])
    pv = previewing.preview(tiny, data, "新华鲁山第26周.xlsx", now=NOW)
    assert pv.counts == {"total": 2, "new": 2, "changed": 0, "unchanged": 0}
    assert pv.kind == "progress" and pv.unit_codes == (A, B)
    done = committing.commit(tiny, data, "新华鲁山第26周.xlsx", actor="王芳", now=NOW, expect=pv.fingerprint)
    assert done.status == "pending"
    with tiny.connect() as conn:
        batch = conn.execute(select(ImportBatch).where(ImportBatch.id == done.batch_id)).one()._mapping
        rows = conn.execute(select(ProgressReport.unit_code, ProgressReport.value, ProgressReport.note,
                                   ProgressReport.reporter, ProgressReport.recorded_at)
                            .where(ProgressReport.batch_id == done.batch_id)
                            .order_by(ProgressReport.id)).all()
    assert (batch["uploaded_by"], batch["file_name"], batch["row_count"], batch["rows_new"]) == \
        ("王芳", "新华鲁山第26周.xlsx", 2, 2)
    assert batch["file_sha256"] == hashlib.sha256(data).hexdigest() and bytes(batch["file_bytes"]) == data
    assert batch["unit_code"] is None and batch["uploaded_at"] == NOW
    assert [tuple(r) for r in rows] == [(A, 6.0, None, "王芳", NOW), (B, 3.0, "含送电影2场", "王芳", NOW)]
    assert t01(tiny) == before_city  # pending: not on the dashboards yet
    assert reviewing.review(tiny, done.batch_id, "approve", reviewer=reviewer("审核员"), now=NOW) == "approved"
    assert t01(tiny) == before_city + 9
    assert t01(tiny, (A,)) == before_a + 6


def test_same_file_twice_is_refused(tiny):
    data = xlsx([prow()])
    first = committing.commit(tiny, data, "a.xlsx", actor="x", now=NOW)
    before = dump(tiny)
    with pytest.raises(ImportRejected, match=rf"同一文件已于2023-06-30 18:00导入（批次#{first.batch_id}，待审核），不能重复导入"):
        committing.commit(tiny, data, "renamed.xlsx", actor="y", now=NOW)
    assert dump(tiny) == before
    reviewing.withdraw(tiny, first.batch_id, user=admin("x"), now=NOW)  # a withdrawn file may come again
    assert committing.commit(tiny, data, "a.xlsx", actor="x", now=NOW).status == "pending"


def test_correction_supersedes_and_keeps_history(tiny):
    base = t01(tiny)
    first = committing.commit(tiny, xlsx([prow(value=6)]), "w26.xlsx", actor="王芳", now=NOW, approver=admin())
    assert first.status == "approved" and t01(tiny) == base + 6
    later = NOW + dt.timedelta(hours=1)
    fixed = xlsx([prow(value=9, note="漏报3场，更正")])
    pv = previewing.preview(tiny, fixed, "w26更正.xlsx", now=later)
    assert pv.counts["changed"] == 1
    frame = previewing.changes_frame(pv)
    assert (frame.loc[0, "action"], frame.loc[0, "old"], frame.loc[0, "new"]) == ("changed", 6.0, 9)
    second = committing.commit(tiny, fixed, "w26更正.xlsx", actor="王芳", now=later, expect=pv.fingerprint)
    assert t01(tiny, as_of=later.date()) == base + 6  # still the approved 6 until the correction is approved
    reviewing.review(tiny, second.batch_id, "approve", reviewer=reviewer("审核员"), now=later)
    assert t01(tiny) == base + 9
    hist = figures.figure_history(tiny, "T01", A, 2023, WEEK[1])
    assert list(hist["value"]) == [6.0, 9.0]
    assert list(hist["in_force"]) == [False, True]
    assert list(hist["batch_id"]) == [first.batch_id, second.batch_id]
    assert hist["note"].fillna("").tolist() == ["", "漏报3场，更正"]
    rows = reviewing.batch_rows(tiny, second.batch_id)
    assert rows[["item", "old", "new", "action"]].values.tolist() == [["T01", 6.0, 9.0, "changed"]]


def test_unchanged_rows_are_not_stored_again(tiny):
    committing.commit(tiny, xlsx([prow(value=6)]), "a.xlsx", actor="x", now=NOW, approver=admin())
    pv = previewing.preview(tiny, xlsx([prow(value=6), prow(unit=B, value=2)]), "b.xlsx", now=NOW)
    assert [c.action for c in pv.changes] == ["unchanged", "new"]
    before = dump(tiny)
    with pytest.raises(ImportRejected, match="与已入库数据完全相同"):
        committing.commit(tiny, csv_file([prow(value=6)]), "c.csv", actor="x", now=NOW)  # a new 备注 alone would
        # be a correction (tests/test_note_correction.py); a blank one is not
    assert dump(tiny) == before


def test_interrupted_import_leaves_nothing(tiny, monkeypatch):
    before = dump(tiny)
    calls = []
    real = base.insert_chunk

    def flaky(conn, table, rows):
        calls.append(len(rows))
        if len(calls) == 2:
            raise RuntimeError("disk full")
        real(conn, table, rows)

    monkeypatch.setattr(base, "INSERT_CHUNK", 1)
    monkeypatch.setattr(base, "insert_chunk", flaky)
    with pytest.raises(RuntimeError, match="disk full"):
        committing.commit(tiny, xlsx([prow(), prow(unit=B, value=2)]), "a.xlsx", actor="x", now=NOW)
    assert calls == [1, 1]  # the batch row and the first report were written, then it failed
    assert dump(tiny) == before


def test_review_return_and_withdraw(tiny):
    base = t01(tiny)
    done = committing.commit(tiny, xlsx([prow(value=5)]), "a.xlsx", actor="新华填报员", allowed_units=(A,), now=NOW)
    with pytest.raises(DataAccessError, match="退回时必须填写退回原因"):
        reviewing.review(tiny, done.batch_id, "return", reviewer=reviewer("审核员"), reason="  ", now=NOW)
    reviewing.review(tiny, done.batch_id, "return", reviewer=reviewer("审核员"), reason="数字与台账不符", now=NOW)
    with pytest.raises(DataAccessError, match="当前为“已退回”"):
        reviewing.review(tiny, done.batch_id, "approve", reviewer=reviewer("审核员"), now=NOW)
    returned = batch_list.batches(tiny, ["returned"])
    assert returned[["id", "unit_code", "review_note", "reviewed_by"]].values.tolist() == [
        [done.batch_id, A, "数字与台账不符", "审核员"]]
    assert t01(tiny) == base
    ok = committing.commit(tiny, xlsx([prow(value=4)]), "b.xlsx", actor="新华填报员", allowed_units=(A,), now=NOW)
    reviewing.review(tiny, ok.batch_id, "approve", reviewer=reviewer("审核员"), now=NOW)
    assert t01(tiny) == base + 4
    with pytest.raises(DataAccessError, match="无权撤回"):
        reviewing.withdraw(tiny, ok.batch_id, user=reporter("鲁山填报员", B), now=NOW)
    assert reviewing.withdraw(tiny, ok.batch_id, user=reporter("新华填报员", A), now=NOW) == "withdraw_requested"
    assert t01(tiny) == base + 4  # a request: the figures stay until a reviewer approves it
    assert reviewing.review(tiny, ok.batch_id, "approve", reviewer=reviewer("审核员"), now=NOW) == "withdrawn"
    assert t01(tiny) == base
    with tiny.connect() as conn:  # withdrawn rows are kept, just no longer counted
        kept = conn.execute(select(ProgressReport.value)
                            .where(ProgressReport.batch_id == ok.batch_id)).scalars().all()
    assert kept == [4.0]


def test_stale_preview_is_refused(tiny):
    pv = previewing.preview(tiny, xlsx([prow(value=6)]), "mine.xlsx", now=NOW)
    committing.commit(tiny, xlsx([prow(value=7)]), "theirs.xlsx", actor="同事", now=NOW)
    before = dump(tiny)
    with pytest.raises(ImportRejected, match="预览之后，文件涉及的数据已被其他上报或审核更新"):
        committing.commit(tiny, xlsx([prow(value=6)]), "mine.xlsx", actor="x", now=NOW, expect=pv.fingerprint)
    assert dump(tiny) == before


def test_csv_encodings_parse_alike(tiny):
    rows = [prow(value=6, note="送电影、送文艺"), prow(unit=B, value=2)]
    gb = csv_file(rows, encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):
        gb.decode("utf-8")  # so the GB18030 case really is not UTF-8
    seen = []
    for data in (csv_file(rows, encoding="utf-8-sig"), csv_file(rows, encoding="utf-8"), gb):
        pv = previewing.preview(tiny, data, "w.csv", now=NOW)
        seen.append([(c.values["unit_code"], c.values["value"], c.values["note"]) for c in pv.changes])
    assert seen[0] == seen[1] == seen[2] == [(A, 6.0, "送电影、送文艺"), (B, 2.0, None)]
    assert csv_file(rows, encoding="utf-8-sig").startswith(b"\xef\xbb\xbf")


def test_formula_reads_the_saved_value_and_is_never_evaluated(tiny):
    data = _progress_with_formula("4")  # formula 2+3, saved value 4: the 4 is what counts
    pv = previewing.preview(tiny, data, "f.xlsx", now=NOW)
    assert pv.changes[0].values["value"] == 4.0


def test_neutralised_text_comes_back_unchanged(tiny):
    pv = previewing.preview(tiny, xlsx([prow(note="'=HYPERLINK(\"x\")")]), "a.xlsx", now=NOW)
    assert pv.changes[0].values["note"] == '=HYPERLINK("x")'
    assert neutralise("=1+1") == "'=1+1" and neutralise("@x") == "'@x" and neutralise("新华") == "新华"


def test_membership_file_counts_toward_t11(tiny):
    base = overview_actual(tiny, "T11")
    data = xlsx([[A, "新华区", "2023-05", "外卖配送", "美团", 40], [B, "", D(2023, 5, 1), "快递", "顺丰", 12]],
                MEMBER_HEAD, "新业态入会")
    done = committing.commit(tiny, data, "m.xlsx", actor="x", now=NOW, approver=admin())
    assert done.counts == {"total": 2, "new": 2, "changed": 0, "unchanged": 0}
    assert overview_actual(tiny, "T11") == base + 52
    fix = xlsx([[A, "", "2023年5月", "外卖配送", "美团", 45]], MEMBER_HEAD, "新业态入会")
    again = committing.commit(tiny, fix, "m2.xlsx", actor="x", now=NOW, approver=admin())
    assert again.counts["changed"] == 1 and overview_actual(tiny, "T11") == base + 57


def test_facility_registry_new_change_and_withdraw(tiny):
    with tiny.begin() as conn:
        conn.execute(update(Facility).where(Facility.id == 2).values(lat=XINHUA_SEAT[0], lon=XINHUA_SEAT[1]))
    base = overview_actual(tiny, "T07")
    new = committing.commit(tiny, xlsx([frow()], FACILITY_HEAD, "设施登记"), "f.xlsx", actor="x", now=NOW)
    assert overview_actual(tiny, "T07") == base
    reviewing.review(tiny, new.batch_id, "approve", reviewer=reviewer("r"), now=NOW)
    assert overview_actual(tiny, "T07") == base + 1
    # tiny's 设施2 (opened 5 Jan 2023) closes on 15 June: a change to an existing entry
    closing = xlsx([frow(name="设施2", opened=D(2023, 1, 5), closed=D(2023, 6, 15), status="关闭", address="地址",
                         host="单位", services="饮水")], FACILITY_HEAD, "设施登记")
    pv = previewing.preview(tiny, closing, "close.xlsx", now=NOW)
    assert [c.action for c in pv.changes] == ["changed"]
    assert previewing.changes_frame(pv).loc[0, "new"] == "停用日期=2023-06-15；状态=关闭"
    done = committing.commit(tiny, closing, "close.xlsx", actor="x", now=NOW)
    assert reviewing.batch_rows(tiny, done.batch_id)[["item", "old", "new", "action"]].values.tolist() == [
        ["设施2", "停用日期=；状态=正常", "停用日期=2023-06-15；状态=关闭", "changed"]]

    def station_2():  # the version in force now
        with tiny.connect() as conn:
            return tuple(conn.execute(select(Facility.status, Facility.closed_on, Facility.services).where(
                Facility.name == "设施2", Facility.superseded_at.is_(None))).one())

    def versions():
        with tiny.connect() as conn:
            return [tuple(r) for r in conn.execute(
                select(Facility.status, Facility.replaces_id, Facility.superseded_at)
                .where(Facility.name == "设施2").order_by(Facility.id))]

    def standing(day):  # 现有: care stations standing on `day` as known then (the map's stock)
        counts = queries.facility_counts(tiny, 2023, day)
        return int(counts.loc[counts["kind"] == "care_station", "total"].sum())

    approved, withdrawn = dt.datetime(2023, 7, 3, 9), dt.datetime(2023, 7, 5, 9)
    july_3 = overview_actual(tiny, "T07", approved.date())
    standing_july_3 = standing(approved.date())
    assert station_2() == ("open", None, "饮水")  # waits for approval
    reviewing.review(tiny, done.batch_id, "approve", reviewer=reviewer("r"), now=approved)
    assert station_2() == ("closed", D(2023, 6, 15), "饮水")
    # A new version from the approval on; the old one is kept, superseded at that moment.
    assert versions() == [("open", None, approved), ("closed", 2, None)]
    # As known on 30 June (before the approval) the station still stood: that view is unchanged.
    assert overview_actual(tiny, "T07") == base + 1
    # From 3 July the station no longer stands (现有 one fewer), but it was built in 2023: T07
    # counts 新建 stations, closed since or not (#13), so it keeps july_3 (was july_3 - 1).
    assert standing(approved.date()) == standing_july_3 - 1
    assert overview_actual(tiny, "T07", approved.date()) == july_3
    reviewing.withdraw(tiny, done.batch_id, user=admin("x"), now=withdrawn)
    assert station_2() == ("closed", D(2023, 6, 15), "饮水")  # asked for: nothing changes yet
    reviewing.review(tiny, done.batch_id, "approve", reviewer=reviewer("r"), now=withdrawn)
    assert station_2() == ("open", None, "饮水")
    assert [v[0] for v in versions()] == ["open", "closed", "open"]  # every version kept
    assert standing(approved.date()) == standing_july_3 - 1  # the past is not rewritten
    assert standing(withdrawn.date()) == standing_july_3  # standing again from the withdrawal on
    assert overview_actual(tiny, "T07", approved.date()) == july_3
    assert overview_actual(tiny, "T07", withdrawn.date()) == july_3


def test_registry_batch_cannot_be_withdrawn_under_a_later_change(tiny):
    stamp = lambda day: dt.datetime(2023, 7, day, 9)  # noqa: E731
    first = committing.commit(tiny, xlsx([frow()], FACILITY_HEAD, "设施登记"), "f1.xlsx", actor="x",
                            now=stamp(1), approver=admin())
    later = committing.commit(tiny, xlsx([frow(services="饮水、充电、热饭")], FACILITY_HEAD, "设施登记"), "f2.xlsx",
                            actor="x", now=stamp(2), approver=admin())
    assert later.counts["changed"] == 1
    reviewing.withdraw(tiny, first.batch_id, user=admin("x"), now=stamp(3))  # a request
    before = dump(tiny)
    with pytest.raises(DataAccessError, match=f"已被批次#{later.batch_id}修改，无法撤回"):
        reviewing.review(tiny, first.batch_id, "approve", reviewer=reviewer("r"), now=stamp(3))
    assert dump(tiny) == before  # nothing written
    reviewing.withdraw(tiny, later.batch_id, user=admin("x"), now=stamp(3))
    reviewing.review(tiny, later.batch_id, "approve", reviewer=reviewer("r"), now=stamp(3))
    reviewing.review(tiny, first.batch_id, "approve", reviewer=reviewer("r"), now=stamp(4))
    points = queries.facility_points(tiny, 2023, D(2023, 7, 4))
    assert "新华区测试驿站" not in set(points["name"])
    # as known on 2 and 3 July, each view shows the version in force then
    services = lambda day: queries.facility_points(tiny, 2023, day).set_index("name").loc[  # noqa: E731
        "新华区测试驿站", "services"]
    assert services(D(2023, 7, 1)) == "饮水、充电" and services(D(2023, 7, 2)) == "饮水、充电、热饭"
    assert services(D(2023, 7, 3)) == "饮水、充电"


def test_union_org_file_counts_toward_t09(tiny):
    base = overview_actual(tiny, "T09")
    data = xlsx([[A, "", "新华区美团骑手工会", "2023-06-10", "企业", "是", "外卖配送", "美团", 35],
                 [A, "", "新华区某社区工会", D(2023, 6, 12), "村社区", "否", None, None, None]], UNION_HEAD, "新建工会")
    done = committing.commit(tiny, data, "u.xlsx", actor="x", now=NOW, approver=admin())
    assert done.counts["new"] == 2
    assert overview_actual(tiny, "T09") == base + 2


def test_union_org_change_shows_from_its_approval_on(tiny):
    from data_access.kpis import new_economy as ne

    stamp = lambda day: dt.datetime(2023, 7, day, 9)  # noqa: E731
    row = lambda flag: [A, "", "新华区美团骑手工会", "2023-06-10", "企业", flag, "外卖配送", "美团", 35]  # noqa: E731
    before = ne.orgs_total(tiny, D(2023, 7, 1), (A,))
    committing.commit(tiny, xlsx([row("是")], UNION_HEAD, "新建工会"), "u1.xlsx", actor="x", now=stamp(1),
                    approver=admin())
    fix = committing.commit(tiny, xlsx([row("否")], UNION_HEAD, "新建工会"), "u2.xlsx", actor="x", now=stamp(3))
    assert fix.counts["changed"] == 1
    reviewing.review(tiny, fix.batch_id, "approve", reviewer=reviewer("r"), now=stamp(3))
    # new-economy organisations as known on each day: the correction counts from 3 July only
    assert [ne.orgs_total(tiny, D(2023, 7, d), (A,)) for d in (1, 2, 3)] == [before + 1, before + 1, before]
    # T09 (all new unions) is the same before and after: the entry is counted once, never twice
    assert overview_actual(tiny, "T09", D(2023, 7, 2)) == overview_actual(tiny, "T09", D(2023, 7, 3))


def test_reporting_status_marks_late_units(tiny):
    # 新华区 sends the week of 30 June (pending)
    committing.commit(tiny, xlsx([prow()]), "a.xlsx", actor="x", now=NOW)
    status = figures.submission_status(tiny, 2023, dt.datetime(2023, 7, 3, 9)).set_index("unit_code")
    assert status.loc[A, "due_period_end"] == D(2023, 6, 30)  # due Monday 3 July
    # pending: tiny's batch 1 and this one
    assert (status.loc[A, "last_period_end"], bool(status.loc[A, "late"]), status.loc[A, "pending"]) == \
        (D(2023, 6, 30), False, 2)
    # 鲁山县 last sent the week ending 13 January: 24 weeks missing up to 30 June
    assert (status.loc[B, "last_period_end"], bool(status.loc[B, "late"]), status.loc[B, "weeks_behind"]) == \
        (D(2023, 1, 13), True, 24)
    # on Sunday 2 July the week of 30 June is not due yet
    early = figures.submission_status(tiny, 2023, dt.datetime(2023, 7, 2, 9)).set_index("unit_code")
    assert early.loc[A, "due_period_end"] == D(2023, 6, 23)


def test_week_bounds():
    start, end = D(2023, 1, 1), D(2023, 12, 31)
    assert week_bounds(D(2023, 1, 1), start, end) == (D(2023, 1, 1), D(2023, 1, 6))
    assert week_bounds(D(2023, 6, 27), start, end) == WEEK
    assert week_bounds(D(2023, 12, 31), start, end) == (D(2023, 12, 30), D(2023, 12, 31))


# ---------------------------------------------------------------------------------------------
# the command line: same code path


def test_cli_import_review_history_withdraw(tiny_url, tmp_path, capsys, monkeypatch):
    # No accounts in tiny: the commands run as the server's operator, recorded under KPI_USER.
    monkeypatch.setenv("KPI_USER", "王芳")
    history = ["--url", tiny_url, "history", "--target", "T01", "--unit", A, "--period", "2023-01-10"]
    path = tmp_path / "新华区第1周更正.xlsx"
    # the week of 7–13 January: tiny has 7, corrected to 9 (both loaded directly); now 11
    path.write_bytes(xlsx([prow(start=D(2023, 1, 7), end=D(2023, 1, 13), value=11)]))
    assert cli.main(["--url", tiny_url, "import", str(path), "--unit", A]) == 0
    out = capsys.readouterr().out
    assert "修改" in out and "以上为预览，尚未写入" in out
    assert cli.main(["--url", tiny_url, "batches", "--status", "pending"]) == 0
    assert "新华区第1周更正" not in capsys.readouterr().out
    assert cli.main(["--url", tiny_url, "import", str(path), "--unit", A, "--yes"]) == 0
    out = capsys.readouterr().out
    batch_id = int(re.search(r"已导入：批次#(\d+)，状态：待审核", out)[1])
    assert cli.main(["--url", tiny_url, "import", str(path), "--yes"]) == 2
    assert "不能重复导入" in capsys.readouterr().err
    assert cli.main(["--url", tiny_url, "review", str(batch_id), "return"]) == 2
    assert "退回时必须填写退回原因" in capsys.readouterr().err
    assert cli.main(["--url", tiny_url, "review", str(batch_id), "approve"]) == 2
    assert "本人上传的批次，须由另一位审核员或管理员审核" in capsys.readouterr().err  # two people
    monkeypatch.setenv("KPI_USER", "李审")
    assert cli.main(["--url", tiny_url, "review", str(batch_id), "approve"]) == 0
    assert f"批次#{batch_id}：已通过" in capsys.readouterr().out
    assert cli.main(history) == 0
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("2023-01-07")]
    assert [ln.split()[2] for ln in lines] == ["7.0", "9.0", "11.0"]
    assert lines[-1].split()[-1] == "★" and "★" not in lines[0] and "★" not in lines[1]
    monkeypatch.setenv("KPI_USER", "王芳")
    assert cli.main(["--url", tiny_url, "withdraw", str(batch_id)]) == 0
    assert f"批次#{batch_id}的撤回申请已提交" in capsys.readouterr().out
    monkeypatch.setenv("KPI_USER", "李审")
    assert cli.main(["--url", tiny_url, "review", str(batch_id), "approve"]) == 0
    assert f"批次#{batch_id}：已撤回" in capsys.readouterr().out
    assert cli.main(history) == 0
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("2023-01-07")]
    assert "已撤回" in lines[-1] and lines[1].split()[-1] == "★"


def test_cli_refuses_county_auto_approve(tiny_url, tmp_path, capsys):
    path = tmp_path / "a.xlsx"
    path.write_bytes(xlsx([prow(start=D(2023, 1, 7), end=D(2023, 1, 13), value=11)]))
    args = ["--url", tiny_url, "import", str(path), "--unit", A, "--approve", "--yes"]
    assert cli.main(args) == 2
    assert "不能使用 --approve" in capsys.readouterr().err


def test_registry_entry_waiting_for_review_cannot_be_sent_again(tiny):
    first = committing.commit(tiny, xlsx([frow()], FACILITY_HEAD, "设施登记"), "f.xlsx", actor="x", now=NOW)
    before = dump(tiny)
    again = xlsx([frow(address="新华区建设路2号")], FACILITY_HEAD, "设施登记")
    with pytest.raises(ImportRejected, match=rf"第2行，“名称”列（D列）：“新华区测试驿站”已在待审核的批次#{first.batch_id}中"):
        committing.commit(tiny, again, "f2.xlsx", actor="x", now=NOW)
    assert dump(tiny) == before
    reviewing.review(tiny, first.batch_id, "approve", reviewer=reviewer("r"), now=NOW)
    assert previewing.preview(tiny, again, "f2.xlsx", now=NOW).counts["changed"] == 1  # now a change


def test_audit_log_is_a_record_of_one_format(tiny):
    """Import, approval (with the registry change it applies), withdrawal (with its revert): each one
    entry written through data_access.audit.record; nothing pending lives there."""
    import json

    from data_access import audit
    from data_access.schema.models import AuditLog, RegistryChange

    with tiny.begin() as conn:
        conn.execute(update(Facility).where(Facility.id == 2).values(lat=XINHUA_SEAT[0], lon=XINHUA_SEAT[1]))
    closing = xlsx([frow(name="设施2", opened=D(2023, 1, 5), closed=D(2023, 6, 15), status="关闭", address="地址",
                         host="单位", services="饮水")], FACILITY_HEAD, "设施登记")
    done = committing.commit(tiny, closing, "close.xlsx", actor="新华填报员", now=NOW)
    with tiny.connect() as conn:
        assert conn.execute(select(RegistryChange.batch_id, RegistryChange.entry_id, RegistryChange.applied_id)
                            ).all() == [(done.batch_id, 2, None)]
    reviewing.review(tiny, done.batch_id, "approve", reviewer=reviewer("审核员"), now=NOW)
    reviewing.withdraw(tiny, done.batch_id, user=admin("管理员"), now=NOW)
    reviewing.review(tiny, done.batch_id, "approve", reviewer=reviewer("审核员"), now=NOW)
    log = audit.entries(tiny).iloc[::-1]
    assert [tuple(r) for r in log[["actor", "action", "entity"]].values] == [
        ("新华填报员", "import", "import_batches"), ("审核员", "update", "facilities"),
        ("审核员", "approve", "import_batches"), ("管理员", "withdraw_request", "import_batches"),
        ("审核员", "revert", "facilities"), ("审核员", "withdraw", "import_batches")]
    applied = json.loads(log.iloc[1]["after"])
    assert applied == {"batch_id": done.batch_id, "closed_on": "2023-06-15", "status": "closed"}
    with tiny.connect() as conn:
        assert not conn.execute(select(AuditLog.id).where(AuditLog.action.like("%:%"))).all()
