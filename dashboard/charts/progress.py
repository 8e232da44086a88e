"""Plotly chart builders. Pure: a display-ready DataFrame in, a figure out (no streamlit, no SQL).

Every figure carries its numbers as text on the chart, so nothing depends on hover (the weekly
meeting is screen-shared). Traces are named (`name`) so tests can find them in the spec.
"""
from __future__ import annotations

import datetime as dt
import math
from typing import Any, Callable, Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go

from data_access.kpis.metrics import THRESHOLDS

# Background bands of the bullet chart, relative to 序时进度 (behind / on pace / ahead).
BAND_COLOURS = ("#d0d7de", "#e4e8ec", "#f3f5f7")
MARKER_COLOUR = "#24292f"
TARGET_LINE_COLOUR = "#57606a"
ROW_PX = 38
HEADER_ROW_PX = 28
TEXT_COLOUR = "#24292f"


def _floats(values: Any) -> list[float | None]:
    """Plain lists in the figure: plotly would write pandas/numpy data as base64 typed arrays,
    which tests and other readers of the spec cannot compare directly."""
    return [None if pd.isna(v) else float(v) for v in values]


def _row_height(rows: pd.DataFrame) -> int:
    return int(sum(HEADER_ROW_PX if h else ROW_PX for h in rows["header"]))


def bullet_rows(
    rows: pd.DataFrame,
    text_columns: Mapping[str, str],
    *,
    target_label: str,
    column_x: Sequence[float] | None = None,
    bullet_width: float = 0.40,
    label_px: int = 230,
) -> go.Figure:
    """Stephen Few bullet charts, one per row, with a table of text columns to their right.

    `rows` (top to bottom): row_id (unique), label (tick text), header (bool: a group heading
    with no bar), actual_share (actual / annual target), expected_share (序时进度 / annual
    target), colour (bar colour), bar_labels (label at the bar end), and one column per key of
    `text_columns` (key -> column heading). Shares are fractions of the row's annual target, so
    every row ends at 1.0 (the vertical target line, labelled `target_label`).
    Bands: below THRESHOLDS['on_pace'] × expected, up to THRESHOLDS['ahead'] × expected, beyond.
    """
    rows = rows.reset_index(drop=True)
    data = rows[~rows["header"]]
    y = list(data["row_id"])
    actual = data["actual_share"].astype(float).fillna(0.0)
    expected = data["expected_share"].astype(float)
    exp0 = expected.fillna(0.0)
    top = max(1.0, float(actual.max()) if len(actual) else 1.0)
    x_max = min(top, 2.0) * 1.12  # long overruns are clipped; the bar text still says how far
    lo = exp0 * THRESHOLDS["on_pace"]
    hi = exp0 * THRESHOLDS["ahead"]

    fig = go.Figure()
    band = dict(orientation="h", width=0.72, hoverinfo="skip", showlegend=False)
    fig.add_bar(name="band_behind", y=y, x=_floats(lo), base=0, marker_color=BAND_COLOURS[0],
                **band)
    fig.add_bar(name="band_on_pace", y=y, x=_floats(hi - lo), base=_floats(lo),
                marker_color=BAND_COLOURS[1], **band)
    fig.add_bar(name="band_ahead", y=y, x=_floats((x_max - hi).clip(lower=0)), base=_floats(hi),
                marker_color=BAND_COLOURS[2], **band)
    fig.add_bar(name="actual", y=y, x=_floats(actual.clip(upper=x_max)), base=0, orientation="h",
                width=0.32, marker_color=list(data["colour"]), hoverinfo="skip", showlegend=False)
    fig.add_scatter(name="expected", y=y, x=_floats(expected), mode="markers", hoverinfo="skip",
                    marker=dict(symbol="line-ns", size=22, line=dict(width=3, color=MARKER_COLOUR)),
                    showlegend=False)
    # The bar's label sits right of both the bar end and the marker, so neither hides it.
    label_x = pd.concat([actual, exp0], axis=1).max(axis=1).clip(upper=x_max) + 0.015 * x_max
    fig.add_scatter(name="bar_labels", y=y, x=_floats(label_x), text=list(data["bar_labels"]),
                    mode="text", textposition="middle right",
                    textfont=dict(size=13, color=TEXT_COLOUR), hoverinfo="skip",
                    showlegend=False, cliponaxis=False)

    # Text columns share the y axis, so each row's figures line up with its bar.
    keys = list(text_columns)
    xs = list(column_x) if column_x is not None else [
        bullet_width + 0.05 + i * (1 - bullet_width - 0.05) / len(keys) for i in range(len(keys))
    ]
    colours = {k: list(data[f"{k}_colour"]) if f"{k}_colour" in data else TEXT_COLOUR
               for k in keys}  # optional per-row text colour, e.g. status_colour
    for key, x in zip(keys, xs):
        fig.add_scatter(name=key, x=[x] * len(data), y=y, text=list(data[key]), mode="text",
                        textposition="middle right", xaxis="x2", hoverinfo="skip",
                        showlegend=False, textfont=dict(size=14, color=colours[key]),
                        cliponaxis=False)
    height = _row_height(rows) + 70
    for key, x in zip(keys, xs):
        fig.add_annotation(text=f"<b>{text_columns[key]}</b>", x=x, xref="x2", y=1,
                           yref="paper", yanchor="bottom", xanchor="left", showarrow=False,
                           font=dict(size=13, color=TARGET_LINE_COLOUR))
    fig.add_annotation(text=f"<b>{target_label}</b>", x=1.0, xref="x", y=1, yref="paper",
                       yanchor="bottom", showarrow=False, font=dict(size=13, color=TARGET_LINE_COLOUR))
    fig.add_vline(x=1.0, line=dict(color=TARGET_LINE_COLOUR, width=1.5))

    # Group headings: rows without a bar, shaded across the whole width.
    cats = list(rows["row_id"])
    for r in rows[rows["header"]].itertuples():
        i = cats.index(r.row_id)
        fig.add_shape(type="rect", xref="paper", yref="y", x0=-1, x1=1, y0=i - 0.44,
                      y1=i + 0.44, fillcolor="#eef1f4", line_width=0, layer="below")
        # The heading is written inside its band, so a long one never widens the label margin.
        fig.add_annotation(text=f"<b>{r.label}</b>", x=0, xref="paper", y=i, yref="y",
                           xanchor="left", showarrow=False, bgcolor="#eef1f4",
                           font=dict(size=14, color=TEXT_COLOUR))
    labels = ["" if h else lab for lab, h in zip(rows["label"], rows["header"])]
    fig.update_layout(
        barmode="overlay", height=height, margin=dict(l=label_px, r=10, t=28, b=30),
        xaxis=dict(domain=[0, bullet_width], range=[0, x_max], tickformat=".0%", showgrid=False,
                   zeroline=False, fixedrange=True, tickfont=dict(size=12)),
        xaxis2=dict(domain=[bullet_width, 1], range=[bullet_width, 1], visible=False,
                    fixedrange=True, anchor="y"),
        yaxis=dict(type="category", categoryorder="array", categoryarray=cats, tickvals=cats,
                   ticktext=labels,
                   range=[len(cats) - 0.5, -0.5], fixedrange=True,
                   tickfont=dict(size=14, color=TEXT_COLOUR),
                   showgrid=False),
        plot_bgcolor="rgba(0,0,0,0)", bargap=0.2,
    )
    return fig


def cumulative_chart(
    series: pd.DataFrame,
    *,
    as_of: dt.date,
    year_end: dt.date,
    target: float,
    forecast: tuple[float | None, float | None, float | None],
    names: Mapping[str, str],
    texts: Mapping[str, str],
    month_format: str = "%-m月",
    height: int = 420,
    y_format: Callable[[float], str] | None = None,
) -> go.Figure:
    """Cumulative actual against the pace line, with the year-end forecast range.

    `series`: day, actual_cum (NaN after as_of), expected_cum (from kpis.cumulative_series).
    `forecast`: (point, low, high) at year end. `names`: legend names for keys actual, pace,
    forecast, range, target. `texts`: on-chart labels for keys actual, forecast, target.
    """
    s = series.sort_values("day")
    done = s.dropna(subset=["actual_cum"])
    fig = go.Figure()
    fig.add_scatter(name=names["pace"], x=list(s["day"]), y=_floats(s["expected_cum"]), mode="lines",
                    line=dict(color=TARGET_LINE_COLOUR, dash="dash", width=2), hoverinfo="skip")
    fig.add_scatter(name=names["actual"], x=list(done["day"]), y=_floats(done["actual_cum"]),
                    mode="lines", line=dict(color="#1f6feb", width=3, shape="hv"),
                    hoverinfo="skip")
    last = float(done["actual_cum"].iloc[-1]) if len(done) else 0.0
    point, low, high = forecast
    if point is not None and as_of < year_end:
        if low is not None and high is not None:
            fig.add_scatter(name=names["range"], x=[as_of, year_end, year_end, as_of],
                            y=[last, high, low, last], fill="toself", mode="lines",
                            line=dict(width=0), fillcolor="rgba(31,111,235,0.15)", hoverinfo="skip")
        fig.add_scatter(name=names["forecast"], x=[as_of, year_end], y=[last, point],
                        mode="lines+markers", line=dict(color="#1f6feb", dash="dot", width=2),
                        hoverinfo="skip")
        # above the point, unless the point reaches the target line: then below it, clear of the
        # target's own label above the line (on a phone both would share one line of the chart)
        fig.add_annotation(x=year_end, y=point, text=texts["forecast"], xanchor="right",
                           yanchor="top" if point >= target else "bottom", showarrow=False, font=dict(size=13))
    fig.add_annotation(x=as_of, y=last, text=texts["actual"], xanchor="right", yanchor="bottom",
                       showarrow=False, font=dict(size=13, color="#1f6feb"))
    fig.add_hline(y=target, line=dict(color="#cf222e", width=1.5),
                  annotation_text=texts["target"], annotation_position="top left")
    fig.add_vline(x=as_of, line=dict(color="#8c959f", width=1, dash="dot"))
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=30, b=10), hovermode=False,
        legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0),
        xaxis=dict(range=[s["day"].min(), year_end], fixedrange=True, tickformat=month_format),
        yaxis=dict(rangemode="tozero", fixedrange=True),
    )
    if y_format is not None:  # e.g. 万 for people and money, which plotly cannot write
        top = max([target, float(s["expected_cum"].max()), last] +
                  [v for v in (point, high) if v is not None])
        ticks = nice_ticks(top)
        fig.update_yaxes(tickvals=ticks, ticktext=[y_format(v) for v in ticks])
    return fig


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """0 and round steps (1, 2, 2.5 or 5 × 10^k) up to at least `top`, about `count` of them."""
    if top <= 0:
        return [0.0]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    return [i * step for i in range(int(math.ceil(top / step)) + 1)]
