"""The Excel templates: Chinese headers, unit and period filled in, drop-down lists that read the
code sheet, an instruction sheet, no formulas, neutralised text; filled in, they import cleanly."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from data_access.cli import main as cli
from data_access.reporting import templates
from data_access.reporting import commit as committing
from data_access.reporting import preview as previewing
from data_access.reporting.checks import normalise_label
from data_access.reporting.issues import ImportRejected
from data_access.db import make_engine
from data_access.errors import DataAccessError
from data_access.schema.models import Facility, ProgressReport, Target
from tests.helpers import NOW, XINHUA_SEAT
from tests.tiny_data import A, B

TODAY = NOW.date()


def workbook(tpl: templates.Template):
    return load_workbook(io.BytesIO(tpl.data))


def rows(ws) -> list[tuple]:
    return [r for r in ws.iter_rows(values_only=True)]


def fill(tpl: templates.Template, sheet: str, column: str, values: list) -> bytes:
    """Type `values` into `column` of the data rows, top down, and save."""
    wb = workbook(tpl)
    ws = wb[sheet]
    index = [normal(c.value) for c in ws[1]].index(column) + 1
    for r, value in enumerate(values, start=2):
        ws.cell(r, index, value)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def normal(label) -> str:
    return normalise_label(label)


def test_progress_template(tiny):
    tpl = templates.build_template(tiny, "progress", A, "2023-06-28", today=TODAY)
    assert tpl.file_name == "周进度填报_新华区_20230630.xlsx" and tpl.period_label == "2023-06-24 至 2023-06-30"
    wb = workbook(tpl)
    assert wb.sheetnames == ["周进度", "填报说明", "代码表"]
    data = rows(wb["周进度"])
    assert data[0] == ("单位代码*", "单位名称", "指标代码*", "指标名称", "计量单位", "周期开始*", "周期结束*",
                       "本期完成数*", "备注")
    # tiny has one weekly target (T01); the unit and the week are filled in, the figure is left blank
    assert data[1:] == [(A, "新华区", "T01", "群众性文化活动", "场次", dt.datetime(2023, 6, 24),
                         dt.datetime(2023, 6, 30), None, None)]
    validations = {str(dv.sqref): dv for dv in wb["周进度"].data_validations.dataValidation}
    assert validations["A2:A1001"].type == "list" and validations["A2:A1001"].formula1 == "'代码表'!$A$2:$A$4"
    assert validations["C2:C1001"].formula1 == "'代码表'!$C$2:$C$2"
    assert (validations["F2:F1001"].type, validations["F2:F1001"].formula1) == ("date", "DATE(2023,1,1)")
    figure = validations["H2:H1001"]
    assert (figure.type, figure.operator, figure.formula1) == ("decimal", "greaterThanOrEqual", "0")
    codes = rows(wb["代码表"])
    assert [r[0] for r in codes[:4]] == ["单位代码", A, B, "410400"]
    assert [r[2] for r in codes[:2]] == ["指标代码", "T01"]  # only weekly targets
    text = "\n".join(str(c) for r in rows(wb["填报说明"]) for c in r if c)
    for expected in ("新华区（410402）", "2023-06-24 至 2023-06-30", "不要使用公式", "本期完成数", "无进展填0",
                     "周进度填报 · 模板"):
        assert expected in text
    assert not [c for ws in wb for r in ws.iter_rows() for c in r if c.data_type == "f"]


def test_filled_progress_template_imports(tiny):
    tpl = templates.build_template(tiny, "progress", A, dt.date(2023, 6, 30), today=TODAY)
    data = fill(tpl, "周进度", "本期完成数", [7])
    pv = previewing.preview(tiny, data, tpl.file_name, now=NOW, allowed_units=(A,))
    assert pv.counts == {"total": 1, "new": 1, "changed": 0, "unchanged": 0}
    done = committing.commit(tiny, data, tpl.file_name, actor="新华区填报员", now=NOW, allowed_units=(A,))
    with tiny.connect() as conn:
        assert conn.execute(select(ProgressReport.value, ProgressReport.period_start).where(
            ProgressReport.batch_id == done.batch_id)).all() == [(7.0, dt.date(2023, 6, 24))]
    with pytest.raises(ImportRejected, match="无权上报新华区"):  # the template says 新华区; 鲁山县 may not send it
        previewing.preview(tiny, fill(tpl, "周进度", "本期完成数", [8]), "x.xlsx", now=NOW, allowed_units=(B,))


def test_template_text_is_neutralised_and_comes_back_unchanged(tiny):
    with tiny.begin() as conn:
        conn.execute(update(Facility).where(Facility.unit_code == A)
                     .values(lat=XINHUA_SEAT[0], lon=XINHUA_SEAT[1]))
        conn.execute(update(Facility).where(Facility.id == 2).values(name='=HYPERLINK("http://x","点我")'))
    tpl = templates.build_template(tiny, "facilities", A, today=TODAY)
    ws = workbook(tpl)["设施登记"]
    names = [c for c in ws["D"] if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert len(names) == 1 and names[0].data_type == "s"
    assert names[0].value == "'=HYPERLINK(\"http://x\",\"点我\")"
    # the three 新华区 facilities of tiny, then blank lines with only the unit filled in
    listed = [r for r in rows(ws)[1:] if r[3]]
    assert [(r[2], r[3], r[10]) for r in listed] == [
        ("爱心驿站", "设施1", "正常"), ("爱心驿站", '\'=HYPERLINK("http://x","点我")', "正常"), ("爱心驿站", "设施3", "正常")]
    assert len(rows(ws)) == 1 + 3 + templates.BLANK_ROWS
    with pytest.raises(ImportRejected, match="与已入库数据完全相同"):
        previewing.preview(tiny, tpl.data, tpl.file_name, now=NOW)


def test_membership_and_union_templates(tiny):
    tpl = templates.build_template(tiny, "membership", A, "2023-05", today=TODAY)
    assert tpl.file_name == "新业态劳动者入会_按月_新华区_202305.xlsx"
    wb = workbook(tpl)
    assert rows(wb["新业态入会"])[1] == (A, "新华区", dt.datetime(2023, 5, 1), "外卖配送", "美团", None)
    choices = {str(dv.sqref): dv.formula1 for dv in wb["新业态入会"].data_validations.dataValidation}
    assert choices["D2:D1001"] == "'代码表'!$C$2:$C$6"  # the five new-economy industries
    data = fill(tpl, "新业态入会", "新入会人数", [12])
    assert previewing.preview(tiny, data, "m.xlsx", now=NOW).counts["new"] == 1

    tpl = templates.build_template(tiny, "union_orgs", B, today=TODAY)
    ws = workbook(tpl)["新建工会"]
    assert rows(ws)[0][:4] == ("单位代码*", "单位名称", "工会名称*", "建会日期*")
    assert rows(ws)[1][:3] == (B, "鲁山县", None) and len(rows(ws)) == 1 + templates.BLANK_ROWS
    wb = workbook(tpl)
    ws = wb["新建工会"]
    for col, value in zip("CDEF", ["鲁山县某物流公司工会", dt.date(2023, 6, 2), "企业", "否"]):
        ws[f"{col}2"] = value
    buf = io.BytesIO()
    wb.save(buf)
    pv = previewing.preview(tiny, buf.getvalue(), "u.xlsx", now=NOW, allowed_units=(B,))
    assert pv.counts == {"total": 1, "new": 1, "changed": 0, "unchanged": 0}


def test_periods():
    start, end = dt.date(2023, 1, 1), dt.date(2023, 12, 31)
    assert templates.parse_period("progress", None, start, end, dt.date(2023, 7, 5)) == \
        (dt.date(2023, 6, 24), dt.date(2023, 6, 30))  # Wednesday: the last complete week
    assert templates.parse_period("progress", None, start, end, dt.date(2023, 6, 30)) == \
        (dt.date(2023, 6, 24), dt.date(2023, 6, 30))  # Friday: this week
    assert templates.parse_period("progress", "2023-01-03", start, end, TODAY) == (start, dt.date(2023, 1, 6))
    assert templates.parse_period("membership", "2023-05", start, end, TODAY) == dt.date(2023, 5, 1)
    assert templates.parse_period("membership", None, start, end, dt.date(2023, 1, 10)) == dt.date(2023, 1, 1)
    with pytest.raises(DataAccessError, match="不在计划年度内"):
        templates.parse_period("progress", "2024-01-03", start, end, TODAY)
    with pytest.raises(DataAccessError, match="无法识别的周期"):
        templates.parse_period("membership", "五月", start, end, TODAY)


def test_sample_templates_round_trip(sample_db_url):
    """On the full 2023 sample (read only): seven weekly targets; typing the figures already in force
    back in changes nothing, and one changed figure is the only change."""
    engine = make_engine(sample_db_url)
    now = dt.datetime(2024, 1, 3, 9)
    tpl = templates.build_template(engine, "progress", "410423", "2023-12-29", 2023, today=now.date())
    with engine.connect() as conn:
        in_force = dict(conn.execute(select(Target.code, ProgressReport.value).join(
            Target, Target.id == ProgressReport.target_id).where(
            ProgressReport.unit_code == "410423", ProgressReport.period_end == dt.date(2023, 12, 29))
            .order_by(ProgressReport.recorded_at, ProgressReport.id)).all())
    codes = [r[2] for r in rows(workbook(tpl)["周进度"])[1:]]
    assert codes == ["T01", "T02", "T03", "T04", "T05", "T08", "T10"]
    same = fill(tpl, "周进度", "本期完成数", [in_force[c] for c in codes])
    with pytest.raises(ImportRejected, match="与已入库数据完全相同"):
        previewing.preview(engine, same, "same.xlsx", now=now)
    changed = fill(tpl, "周进度", "本期完成数", [in_force[c] + (1 if c == "T02" else 0) for c in codes])
    pv = previewing.preview(engine, changed, "changed.xlsx", now=now)
    moved = [(c.values["target_code"], c.action) for c in pv.changes if c.action != "unchanged"]
    assert moved == [("T02", "changed")]
    engine.dispose()


def test_cli_template(tiny_url, tmp_path, capsys):
    assert cli.main(["--url", tiny_url, "template", "progress", "--unit", B, "--period", "2023-06-30",
                     "-o", str(tmp_path)]) == 0
    assert "已生成模板" in capsys.readouterr().out
    path = tmp_path / "周进度填报_鲁山县_20230630.xlsx"
    assert rows(load_workbook(path)["周进度"])[1][:3] == (B, "鲁山县", "T01")
    assert cli.main(["--url", tiny_url, "template", "progress", "--unit", "419999"]) == 2
    assert "未知单位代码" in capsys.readouterr().err
