"""The intake-jump rule (data_access/anomaly.py) on crafted series."""
import datetime as dt

import pandas as pd
import pytest

from data_access.kpis import anomaly
from data_access.kpis.anomaly import JUMP_FACTOR, MIN_EXCESS, MIN_HISTORY_MONTHS, WINDOW_MONTHS


def series(values, unit="U1", start=dt.date(2022, 1, 1)):
    months = [dt.date(start.year + (start.month - 1 + i) // 12, (start.month - 1 + i) % 12 + 1, 1)
              for i in range(len(values))]
    return pd.DataFrame({"unit_code": unit, "month": months, "new_members": values})


def flagged(df):
    out = anomaly.flag_jumps(df)
    return out[out["flagged"]]


def test_constants_are_the_stated_rule():
    assert (WINDOW_MONTHS, MIN_HISTORY_MONTHS, JUMP_FACTOR, MIN_EXCESS) == (12, 6, 3.0, 100)


def test_jump_flagged_with_baseline_and_ratio():
    values = [100, 90, 110, 95, 105, 100, 98, 102, 100, 97, 103, 100, 520, 101]
    out = flagged(series(values))
    assert len(out) == 1
    row = out.iloc[0]
    assert row["month"] == dt.date(2023, 1, 1)
    # median of the 12 months before: sorted 90,95,97,98,100,100,100,100,102,103,105,110 -> 100
    assert row["baseline"] == 100 and row["ratio"] == pytest.approx(5.2)


def test_steady_climb_not_flagged():
    values = [round(100 * 1.12 ** i) for i in range(36)]  # +12% a month for three years
    assert flagged(series(values)).empty


def test_short_history_not_judged():
    assert flagged(series([10, 10, 10, 10, 10, 1000])).empty  # 5 months before: too short
    out = anomaly.flag_jumps(series([10, 10, 10, 10, 10, 1000]))
    assert out["baseline"].isna().all()
    assert len(flagged(series([10, 10, 10, 10, 10, 10, 1000]))) == 1  # 6 months: judged


def test_minimum_size_respected():
    assert flagged(series([2] * 12 + [9])).empty  # 4.5x, but only 7 people above the median
    assert flagged(series([10] * 12 + [109])).empty  # 99 above: not enough
    assert len(flagged(series([10] * 12 + [110]))) == 1  # 100 above and 11x: flagged


def test_factor_respected():
    assert flagged(series([100] * 12 + [300])).empty  # exactly 3x is not "more than 3x"
    assert len(flagged(series([100] * 12 + [301]))) == 1


def test_earlier_jump_does_not_hide_the_next():
    values = [50] * 12 + [600] + [50] * 3 + [600]  # the median ignores the first jump
    out = flagged(series(values))
    assert list(out["month"]) == [dt.date(2023, 1, 1), dt.date(2023, 5, 1)]


def test_units_judged_on_their_own_history_and_gaps_count_as_zero():
    big = series([1000] * 13, unit="BIG")
    small = series([20] * 12 + [400], unit="SMALL")  # small next to BIG, but 20x its own median
    gap = series([30] * 8 + [0] * 4 + [200], unit="GAP").iloc[[*range(8), 12]]  # no rows for 4 months
    out = anomaly.flag_jumps(pd.concat([big, small, gap]))
    assert set(out.loc[out["flagged"], "unit_code"]) == {"SMALL", "GAP"}
    gap_rows = out[out["unit_code"] == "GAP"]
    assert len(gap_rows) == 13 and list(gap_rows["new_members"].iloc[8:12]) == [0, 0, 0, 0]
    # GAP's month 13: history 30 x8 and 0 x4 -> median 30; 200 > 90 and 170 above: flagged
    assert gap_rows.iloc[12]["baseline"] == 30


def test_empty_input():
    out = anomaly.flag_jumps(pd.DataFrame(columns=["unit_code", "month", "new_members"]))
    assert list(out.columns) == anomaly.FLAG_COLUMNS and out.empty


def test_rule_text_states_the_constants():
    zh, en = anomaly.rule_sentence("zh"), anomaly.rule_sentence("en")
    for text in (zh, en):
        for number in ("12", "3", "100", "6"):
            assert number in text
    assert "中位数" in zh and "median" in en
