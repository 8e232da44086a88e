"""Two dates (issue "Pace leaders can trust", items 5, 6, 8, 10): the figures run through D (the
period axis, `as_of`) as known at K (the record axis, `known`); one deadline rule for who is late;
最新填报日期 of a view; the 口径说明. Hand-computed cases on tiny (tests/tiny_data.py) and on the
committed sample with a January correction to 2023.

tiny's T01 (target 100) as known at the end of 2023: A 5 (1–6 Jan) + 9 (7–13 Jan, the correction
of 7 recorded 16 Jan) + B 3 (1–6 Jan) + 2 (7–13 Jan, batch approved 14 Jan) = 19; A's 4 of 14–20
Jan waits for review and never counts.
"""
from __future__ import annotations

import datetime as dt
import shutil

import pandas as pd
import pytest
from sqlalchemy import insert, select

from data_access.db import make_engine
from data_access.kpis import aggregates, calendar, known, metrics, queries, tables
from data_access.meeting import briefing
from data_access.present import texts
from data_access.reporting import history
from data_access.schema import models as m
from dashboard.views import overview as ov_view, targets as tg_view
from tests.apptest_support import by_row, open_page, plotly_specs
from tests.tiny_data import A, B

D = dt.date
T = dt.datetime
S, E = D(2023, 1, 1), D(2023, 12, 31)
CORRECTED_AT = T(2024, 1, 9, 10, 0)


def _report(engine, unit, start, end, value, at, target_id=1):
    with engine.begin() as conn:
        conn.execute(insert(m.ProgressReport), [dict(
            target_id=target_id, unit_code=unit, period_start=start, period_end=end, value=value,
            reporter="x", recorded_at=at, batch_id=None)])


def _t01(engine, as_of, k=None):
    ov = tables.target_overview(engine, 2023, as_of, known=k).set_index("target_code")
    return ov.loc["T01"]


# ---------------------------------------------------------------------------------------------
# the data layer: D and K


def test_a_january_correction_counts_through_k_not_through_d(tiny):
    """A corrects its 7–13 Jan T01 figure from 9 to 12 on 9 January 2024. 2023 through 31 Dec:
    as known at the end of 31 Dec (K = D, the briefing's) 19, as known on 8 Jan 2024 still 19, as
    known on 9 Jan 2024 (and now) 5 + 12 + 3 + 2 = 22: 未达成 with 22% done. The default view of
    2023 stays 31 Dec 2023 (D), whatever day the correction came."""
    _report(tiny, A, D(2023, 1, 7), D(2023, 1, 13), 12, CORRECTED_AT)
    assert _t01(tiny, E)["actual"] == 19
    assert _t01(tiny, E, D(2024, 1, 8))["actual"] == 19
    row = _t01(tiny, E, D(2024, 1, 9))
    assert row["actual"] == 22 and row["status"] == metrics.STATUS_MISSED
    assert row["completion"] == pytest.approx(0.22) and row["runs_to"] == E
    assert _t01(tiny, E, T(2024, 1, 9, 9, 59))["actual"] == 19  # a minute before it was recorded
    assert _t01(tiny, E, T(2024, 1, 9, 10, 0))["actual"] == 22  # at the instant: counted
    # the default view: the year whose latest figure came last, at today held inside it
    latest = queries.latest_by_year(tiny)
    assert latest == {2023: D(2024, 1, 9)}
    assert calendar.default_view(queries.plan_year_ranges(tiny), latest, D(2024, 1, 10)) == (2023, E)
    # unit_breakdown and the series read the same K
    ub = tables.unit_breakdown(tiny, 2023, E, target_code="T01", known=D(2024, 1, 9)).set_index("unit_code")
    assert ub.loc[A, "actual"] == 17 and ub.loc[B, "actual"] == 5
    series = tables.cumulative_series(tiny, 2023, E, "T01", known=D(2024, 1, 9))
    assert series.loc[series["day"] == D(2023, 1, 13), "actual_cum"].iloc[0] == 22


def test_the_week_ago_moves_both_dates_back(tiny):
    """The overview's 较上周 compares with the view a week earlier on both axes: through 6 Jan as
    known at K - 7. On 13 Jan as known on 16 Jan: 5 + 9 + 3 + 2 = 19 against (through 6 Jan, known
    9 Jan) 5 + 3 = 8: +11. As known on 13 Jan (K = D): 5 + 7 = 12 against 5 (B's 3 came on 9 Jan): +7."""
    later = _t01(tiny, D(2023, 1, 13), D(2023, 1, 16))
    assert (later["actual"], later["actual_week_ago"], later["change_week"]) == (19, 8, 11)
    then = _t01(tiny, D(2023, 1, 13))
    assert (then["actual"], then["actual_week_ago"], then["change_week"]) == (15, 5, 10)
    assert known.earlier(D(2023, 3, 31), D(2023, 3, 31), D(2023, 2, 28)) == D(2023, 2, 28)


def test_a_briefing_reopens_as_it_was(tiny):
    """The briefing of 13 Jan as known on 13 Jan (its default) shows T01 15 (5 + 7 + 3); asked as
    known on 16 Jan, 19, and it names that day."""
    b = briefing.build_briefing(tiny, 2023, D(2023, 1, 13))
    assert b.overview.set_index("target_code").loc["T01", "actual"] == 15 and b.known is None
    later = briefing.build_briefing(tiny, 2023, D(2023, 1, 13), known=D(2023, 1, 16))
    assert later.overview.set_index("target_code").loc["T01", "actual"] == 19
    assert later.known == D(2023, 1, 16)
    from data_access.meeting import summary

    assert summary.summary(later, "zh")[0].endswith("（按2023年1月16日所知，含此前审核通过的补报与更正。）")
    assert "as known" not in summary.summary(b, "en")[0].lower()


def test_latest_report_day_of_a_view(tiny):
    """最新填报日期 of a view: the latest day a figure it counts became known. Through 30 June 2023 as
    known then: the January membership correction of 3 Feb 2023 (later than every report, facility
    and union tiny has: 16 Jan, 14 Jan, 11 Jan) - never after 30 June. Through 31 Dec as known now,
    with the January correction: 9 Jan 2024; as known on 8 Jan 2024: 3 Feb 2023."""
    assert tables.latest_known_day(tiny, 2023, D(2023, 6, 30)) == D(2023, 2, 3)
    assert tables.latest_known_day(tiny, 2023, D(2023, 1, 13)) == D(2023, 1, 13)  # A's 7 of 13 Jan
    _report(tiny, A, D(2023, 1, 7), D(2023, 1, 13), 12, CORRECTED_AT)
    assert tables.latest_known_day(tiny, 2023, E, known=T(2024, 1, 10, 9)) == D(2024, 1, 9)
    assert tables.latest_known_day(tiny, 2023, E, known=D(2024, 1, 8)) == D(2023, 2, 3)
    assert tables.latest_known_day(tiny, 2023, D(2023, 6, 30)) == D(2023, 2, 3)  # D = K = 30 June


# ---------------------------------------------------------------------------------------------
# one deadline rule


def test_the_deadline_rule():
    assert calendar.GRACE_DAYS == 3
    assert calendar.report_deadline(D(2023, 6, 23)) == D(2023, 6, 26)  # Friday -> Monday
    assert calendar.deadline_cutoff(D(2023, 6, 23)) == T(2023, 6, 27)
    assert calendar.due_week_end(D(2023, 6, 26), S, E) == D(2023, 6, 23)  # on the deadline day
    assert calendar.due_week_end(D(2023, 6, 25), S, E) == D(2023, 6, 16)
    assert calendar.due_week_end(D(2023, 1, 8), S, E) is None  # the first week is due on 9 Jan
    assert calendar.due_week_end(D(2023, 1, 9), S, E) == D(2023, 1, 6)
    # judged inside the year only: in January 2024 the due week of 2023 is the one of 22 Dec
    assert calendar.due_week_end(D(2024, 1, 3), S, E) == D(2023, 12, 22)
    assert calendar.due_week_end(E, S, E) == D(2023, 12, 22)


def test_on_the_deadline_day_vs_the_day_after(tiny):
    """The week ending Friday 23 June is due Monday 26 June. A sends at 20:00 on the 26th (on
    time), B at 08:00 on the 27th (late). At the meeting of Thursday 29 June and on the report
    page as of that day the answer is the same: A on time, B late (its week sent, one week late)."""
    _report(tiny, A, D(2023, 6, 17), D(2023, 6, 23), 3, T(2023, 6, 26, 20, 0))
    _report(tiny, B, D(2023, 6, 17), D(2023, 6, 23), 2, T(2023, 6, 27, 8, 0))
    rep = briefing.week_reporting(tiny, 2023, D(2023, 6, 29)).set_index("unit_code")
    assert rep["state"].to_dict() == {B: "none", A: "complete"}
    assert rep["last_period_end"].to_dict() == {B: D(2023, 6, 23), A: D(2023, 6, 23)}
    status = history.submission_status(tiny, 2023, T(2023, 6, 29, 23, 59, 59)).set_index("unit_code")
    assert status.loc[A, ["due_period_end", "late", "weeks_behind"]].tolist() == [D(2023, 6, 23), False, 0]
    assert status.loc[B, ["due_period_end", "late", "weeks_behind"]].tolist() == [D(2023, 6, 23), True, 1]
    # K = now, D = 29 June: the same (judged at the end of D)
    same = history.submission_status(tiny, 2023, T(2024, 2, 1), as_of=D(2023, 6, 29)).set_index("unit_code")
    assert same["late"].to_dict() == status["late"].to_dict()
    # in January 2024 (a correction arriving) nobody is judged on weeks of no plan year: the
    # due week is 22 Dec, which neither A nor B sent
    jan = history.submission_status(tiny, 2023, T(2024, 1, 9, 12)).set_index("unit_code")
    assert set(jan["due_period_end"]) == {D(2023, 12, 22)}


# ---------------------------------------------------------------------------------------------
# the views: runs to, 已完成, the closed year


def _row(**kw):
    base = dict(target_code="T01", project_code="P1", project_name_zh="思想", project_name_en="Ideology",
                name_zh="群众性文化活动", name_en="Cultural events", unit_zh="场次", unit_en="events",
                target=100.0, actual=40.0, expected=47.0, completion=0.4, pace_ratio=40 / 47,
                status=metrics.STATUS_BEHIND, change_week=2.0, forecast=float("nan"),
                forecast_low=float("nan"), forecast_high=float("nan"), required_weekly=3.0,
                runs_to=D(2023, 6, 23), done=False, final=False)
    return {**base, **kw}


def test_a_figure_says_the_day_it_runs_to():
    ov = pd.DataFrame([_row(), _row(target_code="T07", unit_zh="家", runs_to=D(2023, 6, 29))])
    rows = ov_view.bullet_table(ov, "zh", as_of=D(2023, 6, 29)).set_index("row_id")
    assert rows.loc["T01", "pace"] == "47场次<br><span style='font-size:12px'>至6月23日</span>"
    assert rows.loc["T07", "pace"] == "47家"  # a registry runs to the as-of date itself
    en = ov_view.bullet_table(ov, "en", as_of=D(2023, 6, 29)).set_index("row_id")
    assert en.loc["T01", "pace"].endswith(">to 23 Jun</span>")
    tiles = tg_view.headline(pd.Series(_row()), "zh", D(2023, 6, 29))
    assert tiles[1][3] == "至6月23日" and tiles[5][1] == "3场次"
    names, labels = tg_view.chart_labels(pd.Series(_row()), D(2023, 6, 29), "zh")
    assert labels["actual"] == "6月23日 累计 40场次"


def test_done_reads_done_not_a_rate():
    done = pd.Series(_row(actual=100.0, completion=1.0, required_weekly=0.0, done=True,
                          status=metrics.STATUS_AHEAD))
    assert tg_view.headline(done, "zh")[5][1] == "已完成"
    assert tg_view.headline(done, "en")[5][1] == "done"
    ub = pd.DataFrame([dict(target_code="T01", unit_code=A, unit_name_zh="新华区", unit_name_en="Xinhua",
                            allocation=60.0, actual=61.0, expected=30.0, completion=61 / 60,
                            pace_ratio=2.0, status=metrics.STATUS_AHEAD, required_weekly=0.0, gap=-31.0,
                            rank=1, runs_to=D(2023, 6, 23), done=True, final=False)])
    assert tg_view.unit_bullet_table(ub, "场次", "zh")["weekly"].tolist() == ["已完成"]


def test_a_closed_year_has_no_pace_wording():
    """At the year end the attention list speaks of the result: 未达成, never 滞后序时."""
    ov = pd.DataFrame([_row(status=metrics.STATUS_MISSED, final=True, required_weekly=float("nan"))])
    assert ov_view.attention_text("ov_att_targets", ov, "zh") == "未达成的目标"
    assert ov_view.attention_text("ov_att_units", ov, "zh") == "未完成分配任务的单位"
    assert ov_view.attention_text("ov_att_none_units", ov, "zh") == "各单位均已完成分配任务。"
    assert ov_view.attention_text("ov_att_none_units", ov, "en") == "Every unit reached its allocations."
    running = pd.DataFrame([_row()])
    assert ov_view.attention_text("ov_att_units", running, "zh") == "滞后序时的单位"
    ub = pd.DataFrame([dict(target_code="T01", unit_code=A, unit_name_zh="新华区", unit_name_en="Xinhua",
                            allocation=60.0, actual=30.0, expected=60.0, completion=0.5, pace_ratio=0.5,
                            status=metrics.STATUS_MISSED, required_weekly=float("nan"), gap=30.0, rank=1,
                            runs_to=E, done=False, final=True)])
    rows = ov_view.behind_unit_rows(ub, ov)
    assert ov_view.unit_lines(rows, "zh", 4) == ["✖ **新华区** 1项未完成：T01 完成率50.0%"]


def test_definitions_state_the_rules():
    zh, en = texts.definitions("zh"), texts.definitions("en")
    assert "≥ 105% 为超序时，≥ 95% 为达序时，低于 95% 为滞后序时" in zh  # metrics.THRESHOLDS
    assert "ahead of pace, ≥ 95% on pace, below 95% behind pace" in en
    assert "周五后3天内（次周一）" in zh and "due 3 days after the Friday" in en  # calendar.GRACE_DAYS
    assert len(zh.splitlines()) == len(en.splitlines()) == 5
    assert texts.DEFINITIONS_TITLE == ("口径说明", "Definitions")


# ---------------------------------------------------------------------------------------------
# the pages on the sample with a January correction to 2023


@pytest.fixture(scope="module")
def corrected_url(sample_db_url, tmp_path_factory):
    """The sample with 2023's T01 of 新华区 (410402) for 23–29 Dec corrected by +5, recorded on
    9 January 2024: city-wide T01 at the year end 1,040 -> 1,045 (sample_data/README.md: 1,040)."""
    path = tmp_path_factory.mktemp("jan") / "corrected.sqlite3"
    shutil.copy(sample_db_url.removeprefix("sqlite:///"), path)
    engine = make_engine(f"sqlite:///{path}")
    pr = m.ProgressReport
    with engine.begin() as conn:
        row = conn.execute(select(pr.target_id, pr.value).join(m.Target, m.Target.id == pr.target_id)
                           .where(m.Target.code == "T01", pr.unit_code == "410402",
                                  pr.period_end == D(2023, 12, 29))
                           .order_by(pr.recorded_at.desc())).first()
        conn.execute(insert(pr), [dict(target_id=row.target_id, unit_code="410402",
                                       period_start=D(2023, 12, 23), period_end=D(2023, 12, 29),
                                       value=float(row.value) + 5, reporter="林明", note="更正",
                                       recorded_at=CORRECTED_AT, batch_id=None)])
        aggregates.rebuild(conn)  # a write outside a batch: the maintained aggregates are rebuilt
    engine.dispose()
    return f"sqlite:///{path}"


def _banner(at) -> str:
    return next(c.value for c in at.caption if c.value.startswith(("数据截至", "Data as of")))


def test_the_pages_open_on_2023_after_a_january_correction(corrected_url):
    """Every page renders (the report page used to raise: its date picker got 9 Jan 2024 beyond the
    year); 2023 opens through 31 Dec 2023 as known now, with the correction: T01 1,045."""
    at = open_page(corrected_url, "overview.py")
    assert at.session_state["filters"].as_of == E and at.session_state["filters"].known is None
    banner = _banner(at)
    assert banner.startswith("数据截至 2023年12月31日；最新填报日期 2024年1月9日。") and "所知" not in banner
    (spec,) = plotly_specs(at)
    assert by_row(spec, "done", "text")["T01"] == "1,045 / 1,000场次"
    text = "\n".join(x.value for x in at.markdown) + "\n".join(c.value for c in at.caption)
    assert "滞后序时的单位" not in text and "没有滞后序时" not in text and "未达成的目标" in text
    report = open_page(corrected_url, "report.py")
    assert any("2023年12月22日这一周" in c.value for c in report.caption)
    meeting = open_page(corrected_url, "meeting.py")
    metrics_shown = {x.label: x.value for x in meeting.metric}
    # the briefing of 31 Dec (as known then): the week of 22 Dec was due on 25 Dec; 鲁山县 and 叶县
    # (410423, 410422) had not sent all their targets by then, the other 11 units had
    assert metrics_shown["本周未报送单位"] == "2"


def test_a_link_with_known_reopens_the_earlier_figure(corrected_url):
    at = open_page(corrected_url, "overview.py", {"known": "2024-01-08"})
    (spec,) = plotly_specs(at)
    assert by_row(spec, "done", "text")["T01"] == "1,040 / 1,000场次"
    banner = _banner(at)
    assert "最新填报日期 2023年12月31日" in banner and "按2024年1月8日所知" in banner
    en = open_page(corrected_url, "overview.py", {"known": "2024-01-08", "lang": "en"})
    assert "As known on 8 Jan 2024" in _banner(en)


def test_the_same_answer_on_the_meeting_and_the_report_page(sample_db_url):
    """The sample's 宝丰县 (410421) sent the week ending 23 June on Tuesday 27 June, the day after
    its deadline: late on the meeting page of 29 June and on the report page's 上报情况 of that day;
    every other unit sent on time (sample_data/output/progress_reports.csv)."""
    meeting = open_page(sample_db_url, "meeting.py", {"as_of": "2023-06-29"})
    assert {x.label: x.value for x in meeting.metric}["本周未报送单位"] == "1"
    assert any("宝丰县" in x.value for x in meeting.markdown if "未报送" in x.value)
    report = open_page(sample_db_url, "report.py", {"as_of": "2023-06-29"})
    table = report.dataframe[-1].value
    late = table.loc[table["状态"] != "按时", "单位"].tolist()
    assert late == ["宝丰县"]


@pytest.mark.parametrize("page", ["overview.py", "targets.py"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_definitions_on_the_page(sample_db_url, page, lang):
    at = open_page(sample_db_url, page, {"lang": lang})
    (box,) = [e for e in at.expander if e.label == texts.DEFINITIONS_TITLE[lang == "en"]]
    assert box.markdown[0].value == texts.definitions(lang)


def test_the_sidebar_goes_back_to_now(corrected_url):
    """A view as known on 8 Jan 2024 says so in the sidebar; 显示当前所知 drops known= from the link
    and shows the correction again."""
    at = open_page(corrected_url, "overview.py", {"known": "2024-01-08"})
    assert any(c.value.startswith("按2024年1月8日所知") for c in at.sidebar.caption)
    at.checkbox(key="w_known_now").check().run()
    assert not at.exception
    assert at.session_state["filters"].known is None and "known" not in at.query_params
    (spec,) = plotly_specs(at)
    assert by_row(spec, "done", "text")["T01"] == "1,045 / 1,000场次"
