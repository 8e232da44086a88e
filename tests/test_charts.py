"""Chart builders on tiny hand-made DataFrames: the numbers read back from the figures."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dashboard.charts import progress


def _trace(fig, name):
    (trace,) = [t for t in fig.data if t.name == name]
    return trace


@pytest.fixture
def bullet_df():
    # One heading and two rows: A is 30 of 100 done with 50 expected; B has 12 of 10 done.
    return pd.DataFrame([
        {"row_id": "P1", "label": "P1 heading", "header": True},
        {"row_id": "A", "label": "Row A", "header": False, "actual_share": 0.3,
         "expected_share": 0.5, "colour": "#cf222e", "bar_labels": "30%", "done": "30 / 100",
         "status": "▼ behind", "status_colour": "#cf222e"},
        {"row_id": "B", "label": "Row B", "header": False, "actual_share": 1.2,
         "expected_share": 0.5, "colour": "#1a7f37", "bar_labels": "120%", "done": "12 / 10",
         "status": "▲ ahead", "status_colour": "#1a7f37"},
    ])


def test_bullet_bars_markers_and_bands(bullet_df):
    fig = progress.bullet_rows(bullet_df, {"done": "Done", "status": "Status"}, target_label="Target")
    actual = _trace(fig, "actual")
    assert list(actual.y) == ["A", "B"]  # headings get no bar
    assert list(actual.x) == [0.3, 1.2]
    assert list(actual.marker.color) == ["#cf222e", "#1a7f37"]
    assert list(_trace(fig, "expected").x) == [0.5, 0.5]
    # Bands from the thresholds: behind below 0.95 × expected, on pace up to 1.05 × expected.
    assert list(_trace(fig, "band_behind").x) == pytest.approx([0.475, 0.475])
    assert list(_trace(fig, "band_on_pace").base) == pytest.approx([0.475, 0.475])
    assert list(_trace(fig, "band_on_pace").x) == pytest.approx([0.05, 0.05])
    assert list(_trace(fig, "band_ahead").base) == pytest.approx([0.525, 0.525])
    # Axis runs past the largest bar; the target line sits at 1.0.
    assert fig.layout.xaxis.range[1] == pytest.approx(1.2 * 1.12)
    assert any(s.type == "line" and s.x0 == 1.0 for s in fig.layout.shapes)


def test_bullet_text_columns_are_on_the_chart(bullet_df):
    fig = progress.bullet_rows(bullet_df, {"done": "Done", "status": "Status"}, target_label="Target",
                             column_x=(0.5, 0.8))
    done, status = _trace(fig, "done"), _trace(fig, "status")
    assert list(done.text) == ["30 / 100", "12 / 10"]
    assert list(done.x) == [0.5, 0.5] and done.xaxis == "x2"
    assert list(status.text) == ["▼ behind", "▲ ahead"]
    assert list(status.textfont.color) == ["#cf222e", "#1a7f37"]
    assert list(_trace(fig, "bar_labels").text) == ["30%", "120%"]
    headings = [a.text for a in fig.layout.annotations]
    assert "<b>Done</b>" in headings and "<b>Status</b>" in headings and "<b>Target</b>" in headings
    # Category order top to bottom; headings written in bold inside their row; no hover needed.
    assert list(fig.layout.yaxis.categoryarray) == ["P1", "A", "B"]
    assert list(fig.layout.yaxis.ticktext) == ["", "Row A", "Row B"]
    assert [(a.text, a.y) for a in fig.layout.annotations if a.yref == "y"] == [("<b>P1 heading</b>", 0)]
    assert all(t.hoverinfo == "skip" for t in fig.data)


def test_bullet_row_without_target_has_no_marker():
    df = pd.DataFrame([{"row_id": "X", "label": "X", "header": False, "actual_share": 0.0,
                        "expected_share": float("nan"), "colour": "#888", "bar_labels": "none",
                        "done": "0 / 0"}])
    fig = progress.bullet_rows(df, {"done": "Done"}, target_label="T")
    assert _trace(fig, "expected").x[0] is None  # no marker drawn
    assert list(_trace(fig, "band_behind").x) == [0.0]


def _series():
    return pd.DataFrame({
        "day": [dt.date(2023, 1, 1), dt.date(2023, 3, 31), dt.date(2023, 6, 30), dt.date(2023, 12, 31)],
        "actual_cum": [0.0, 20.0, 45.0, float("nan")],
        "expected_cum": [0.3, 25.0, 50.0, 100.0],
    })


NAMES = {"actual": "done", "pace": "pace", "forecast": "forecast", "range": "range", "target": "target"}
TEXTS = {"actual": "45 by 30 Jun", "forecast": "fc 90", "target": "target 100"}


def test_cumulative_chart_lines_and_forecast():
    fig = progress.cumulative_chart(_series(), as_of=dt.date(2023, 6, 30), year_end=dt.date(2023, 12, 31),
                                  target=100.0, forecast=(90.0, 80.0, 95.0), names=NAMES, texts=TEXTS)
    done = _trace(fig, "done")
    assert list(done.y) == [0.0, 20.0, 45.0]  # nothing drawn after as_of
    assert list(_trace(fig, "pace").y) == [0.3, 25.0, 50.0, 100.0]
    fc = _trace(fig, "forecast")
    assert list(fc.x) == [dt.date(2023, 6, 30), dt.date(2023, 12, 31)]
    assert list(fc.y) == [45.0, 90.0]
    rng = _trace(fig, "range")
    assert list(rng.y) == [45.0, 95.0, 80.0, 45.0]  # from today's total fanning to high and low
    texts = [a.text for a in fig.layout.annotations]
    assert "fc 90" in texts and "45 by 30 Jun" in texts and "target 100" in texts
    assert any(s.type == "line" and s.y0 == 100.0 for s in fig.layout.shapes)


def test_cumulative_chart_without_forecast_and_custom_ticks():
    fig = progress.cumulative_chart(_series(), as_of=dt.date(2023, 6, 30), year_end=dt.date(2023, 12, 31),
                                  target=100.0, forecast=(None, None, None), names=NAMES, texts=TEXTS,
                                  y_format=lambda v: f"{v:g}u")
    assert not [t for t in fig.data if t.name in ("forecast", "range")]
    assert list(fig.layout.yaxis.tickvals) == [0, 20, 40, 60, 80, 100]
    assert list(fig.layout.yaxis.ticktext) == ["0u", "20u", "40u", "60u", "80u", "100u"]


def test_nice_ticks():
    assert progress.nice_ticks(600000) == [0, 200000, 400000, 600000]
    assert progress.nice_ticks(50) == [0, 10, 20, 30, 40, 50]
    assert progress.nice_ticks(1.3) == [0.0, 0.5, 1.0, 1.5]
    assert progress.nice_ticks(0) == [0.0]
