"""Pure metric rules on hand-computed cases: 序时进度, status thresholds, forecast, required rate."""
import datetime as dt

import pytest

from data_access.kpis import metrics as mt

Y0, Y1 = dt.date(2023, 1, 1), dt.date(2023, 12, 31)


def test_linear_fraction_counts_the_as_of_day():
    assert mt.expected_fraction(dt.date(2023, 1, 1), Y0, Y1) == pytest.approx(1 / 365)
    # 30 June 2023 is day 181 of 365: "时间过半"
    assert mt.expected_fraction(dt.date(2023, 6, 30), Y0, Y1) == pytest.approx(181 / 365)
    assert mt.expected_fraction(dt.date(2022, 12, 31), Y0, Y1) == 0.0
    assert mt.expected_fraction(dt.date(2024, 2, 1), Y0, Y1) == 1.0


def test_monthly_curve_interpolates_inside_the_month():
    curve = [0.0, 0.0, 0.0, 0.0, 0.0, 0.25, 0.75, 1.0, 1.0, 1.0, 1.0, 1.0]
    assert mt.expected_fraction(dt.date(2023, 5, 31), Y0, Y1, curve) == 0.0
    assert mt.expected_fraction(dt.date(2023, 6, 30), Y0, Y1, curve) == pytest.approx(0.25)
    # 15 of 31 days into July: 0.25 + 0.5 * 15/31
    assert mt.expected_fraction(dt.date(2023, 7, 15), Y0, Y1, curve) == pytest.approx(0.25 + 0.5 * 15 / 31)
    with pytest.raises(ValueError):
        mt.expected_fraction(dt.date(2023, 7, 15), Y0, Y1, [0.5, 1.0])


@pytest.mark.parametrize(
    "actual, expected, status",
    [
        (105, 100, mt.STATUS_AHEAD),  # exactly 1.05
        (104.9, 100, mt.STATUS_ON_PACE),
        (95, 100, mt.STATUS_ON_PACE),  # exactly 0.95
        (94.9, 100, mt.STATUS_BEHIND),
        (0, 0, mt.STATUS_ON_PACE),  # nothing expected, nothing done
        (1, 0, mt.STATUS_AHEAD),
    ],
)
def test_status_thresholds(actual, expected, status):
    assert mt.pace_status(actual, expected) == status


def test_final_status_has_no_tolerance_below_the_target():
    assert mt.pace_status(287, 300) == mt.STATUS_ON_PACE  # 95.7% mid-course: within the band
    assert mt.pace_status(287, 300, final=True) == mt.STATUS_BEHIND  # the year is over: missed
    assert mt.pace_status(300, 300, final=True) == mt.STATUS_ON_PACE
    assert mt.pace_status(316, 300, final=True) == mt.STATUS_AHEAD


def test_forecast_linear_run_rate_and_range():
    # 8 weeks of a linear target: shares 7/365 … 56/365; actuals run at 2/day then slow down.
    fracs = [7 * k / 365 for k in range(1, 9)]
    cum = [14, 28, 42, 56, 70, 84, 90, 96]
    fc = mt.forecast_year_end(cum, fracs)
    assert fc.point == pytest.approx(96 / (56 / 365))  # 625.71…
    assert fc.high == pytest.approx(730.0)  # 2/day for 365 days
    assert fc.low == pytest.approx(96 / (56 / 365))
    assert fc.low <= fc.point <= fc.high


def test_forecast_never_below_what_is_done_and_empty_when_no_pace():
    fc = mt.forecast_year_end([10], [1.0])
    assert (fc.point, fc.low, fc.high) == (10, 10, 10)
    assert mt.forecast_year_end([0, 0], [0.0, 0.0]) == mt.Forecast(None, None, None)
    with pytest.raises(ValueError):
        mt.forecast_year_end([1, 2], [0.5])


def test_required_weekly_rate():
    # 81 still needed from 17 Jan to 31 Dec: 349 days = 49.857 weeks
    assert mt.required_weekly_rate(19, 100, dt.date(2023, 1, 16), Y1) == pytest.approx(81 / (349 / 7))
    assert mt.required_weekly_rate(120, 100, dt.date(2023, 6, 1), Y1) == 0.0
    # three days left: the whole remainder is due in the final (part) week
    assert mt.required_weekly_rate(90, 100, dt.date(2023, 12, 28), Y1) == pytest.approx(10.0)
    assert mt.required_weekly_rate(90, 100, Y1, Y1) == pytest.approx(10.0)


def test_milestone_state_as_known_on_a_date():
    d = dt.date
    assert mt.milestone_state("done", d(2023, 5, 30), d(2023, 5, 28), d(2023, 6, 30)) == "done"
    assert mt.milestone_state("done", d(2023, 11, 30), d(2023, 11, 17), d(2023, 6, 30)) == "in_progress"
    assert mt.milestone_state("in_progress", d(2023, 5, 1), None, d(2023, 6, 30)) == "overdue"
    assert mt.milestone_state("not_started", d(2023, 9, 1), None, d(2023, 6, 30)) == "not_started"
    assert mt.milestone_state("delayed", d(2023, 10, 31), None, d(2023, 6, 30)) == "delayed"


def test_completion_and_change():
    assert mt.completion_rate(30, 120) == pytest.approx(0.25)
    assert mt.completion_rate(3, 0) is None
    assert mt.change_since(12, 9) == 3
    assert mt.change_since(12, None) is None
