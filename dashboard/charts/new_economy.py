"""Plotly builders for the new-economy page. Pure: display-ready DataFrames in, a figure out.

Numbers are printed on the charts (the weekly meeting is screen-shared, nobody hovers). Values go
into the figures as plain lists, so the spec holds readable numbers; traces carry names so tests
can find them.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

import pandas as pd
import plotly.graph_objects as go

PALETTE = ["#1f6feb", "#2da44e", "#bf8700", "#8250df", "#e16f24", "#57606a", "#0b7285", "#cf222e"]
ACTUAL, PACE, FLAG = "#1f6feb", "#57606a", "#cf222e"
FONT = dict(family="Noto Sans CJK SC, Noto Sans SC, sans-serif")


def _iso(day: Any) -> str:
    return day.isoformat() if isinstance(day, dt.date) else str(day)


# Value axes read 14,000, not plotly's default "14k" (an English SI suffix in the Chinese view).
VALUE_TICKS = ",~f"


def _layout(fig: go.Figure, height: int, **kw: Any) -> go.Figure:
    kw.setdefault("margin", dict(l=10, r=10, t=40, b=10))
    for axis in ("yaxis", "yaxis2"):
        if axis in kw and "tickformat" not in kw[axis]:
            kw[axis] = {**kw[axis], "tickformat": VALUE_TICKS}
    fig.update_layout(height=height, hovermode=False, font=FONT, plot_bgcolor="rgba(0,0,0,0)",
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0), **kw)
    return fig


def _colour(colours: Mapping[str, str] | None, label: Any, i: int) -> str:
    return (colours or {}).get(label) or PALETTE[i % len(PALETTE)]


def monthly_stacked(df: pd.DataFrame, flags: pd.DataFrame, *, total_name: str, flag_name: str,
                    month_format: str, colours: Mapping[str, str] | None = None) -> go.Figure:
    """Monthly new members stacked by series.

    `df`: month (date), label (series name, e.g. an industry), new_members. One bar trace per
    label (named by it, coloured from `colours` by label), largest series at the bottom; a text
    trace `total_name` with each month's total above the bar. `flags`: month, text (e.g.
    '异常：舞钢市'): a marker trace `flag_name` placed above the flagged months' bars.
    """
    months = sorted(set(df["month"]))
    x = [_iso(m) for m in months]
    order = df.groupby("label")["new_members"].sum().sort_values(ascending=False).index
    totals = df.groupby("month")["new_members"].sum().reindex(months).fillna(0)
    fig = go.Figure()
    for i, label in enumerate(order):
        s = df[df["label"] == label].set_index("month")["new_members"].reindex(months).fillna(0)
        fig.add_bar(name=str(label), x=x, y=[int(v) for v in s], marker_color=_colour(colours, label, i))
    fig.add_scatter(name=total_name, x=x, y=[int(v) for v in totals], mode="text",
                    text=[f"{int(v):,}" for v in totals], textposition="top center", showlegend=False)
    if len(flags):
        top = float(totals.max()) if len(totals) else 0.0
        fy = [float(totals.get(m, 0)) + 0.12 * top for m in flags["month"]]
        # labels lean towards the middle of the chart so the first and last months are not cut off
        pos = [months.index(m) if m in months else 0 for m in flags["month"]]
        lean = ["top center" if len(months) <= 2 else "top left" if i >= len(months) / 2 else "top right"
                for i in pos]
        fig.add_scatter(name=flag_name, x=[_iso(m) for m in flags["month"]], y=fy,
                        mode="markers+text", text=list(flags["text"]), textposition=lean,
                        marker=dict(symbol="triangle-down", size=14, color=FLAG),
                        textfont=dict(color=FLAG, size=13))
    return _layout(fig, 420, barmode="stack", xaxis=dict(tickformat=month_format, dtick="M1"),
                   yaxis=dict(rangemode="tozero", fixedrange=True))


def cumulative_vs_pace(series: pd.DataFrame, *, as_of: dt.date, year_end: dt.date, target: float,
                       forecast: tuple[float | None, float | None, float | None],
                       names: Mapping[str, str], texts: Mapping[str, str],
                       month_format: str = "%b") -> go.Figure:
    """Cumulative actual (a step line: membership moves once a month) against the pace line, the
    target and the year-end forecast range.

    `series`: day, actual_cum (NaN after as_of), expected_cum (kpis.cumulative_series).
    `forecast`: (point, low, high) at year end. Trace names from `names`: actual, pace, range,
    forecast. `texts`: labels for actual, forecast, target.
    """
    s = series.sort_values("day")
    done = s.dropna(subset=["actual_cum"])
    last = float(done["actual_cum"].iloc[-1]) if len(done) else 0.0
    fig = go.Figure()
    fig.add_scatter(name=names["pace"], x=[_iso(d) for d in s["day"]],
                    y=[float(v) for v in s["expected_cum"]], mode="lines", line=dict(color=PACE, dash="dash", width=2))
    fig.add_scatter(name=names["actual"], x=[_iso(d) for d in done["day"]],
                    y=[float(v) for v in done["actual_cum"]], mode="lines",
                    line=dict(color=ACTUAL, width=3, shape="hv"))
    point, low, high = forecast
    if point is not None and as_of < year_end:
        if low is not None and high is not None:
            fig.add_scatter(name=names["range"], x=[_iso(as_of), _iso(year_end), _iso(year_end), _iso(as_of)],
                            y=[last, float(high), float(low), last], fill="toself", mode="lines",
                            line=dict(width=0), fillcolor="rgba(31,111,235,0.15)")
        fig.add_scatter(name=names["forecast"], x=[_iso(as_of), _iso(year_end)], y=[last, float(point)],
                        mode="lines+markers", line=dict(color=ACTUAL, dash="dot", width=2))
        fig.add_annotation(x=_iso(year_end), y=float(point), text=texts["forecast"], xanchor="right",
                           yanchor="bottom", showarrow=False)
    fig.add_annotation(x=_iso(as_of), y=last, text=texts["actual"], xanchor="right", yanchor="bottom",
                       showarrow=False, font=dict(color=ACTUAL))
    fig.add_hline(y=float(target), line=dict(color=FLAG, width=1.5), annotation_text=texts["target"],
                  annotation_position="top left")
    start = _iso(s["day"].min()) if len(s) else _iso(as_of)
    return _layout(fig, 420, xaxis=dict(range=[start, _iso(year_end)], fixedrange=True,
                                        tickformat=month_format, dtick="M1"),
                   yaxis=dict(rangemode="tozero", fixedrange=True))


def _text_px(text: str, size: int = 12) -> float:
    """Rough width of a label in pixels: CJK characters are about twice as wide as Latin ones."""
    return sum(size if ord(ch) > 0x2E80 else size * 0.55 for ch in str(text)) + 8


def share_bars(df: pd.DataFrame, *, value: str, name: str, colour: str = ACTUAL,
               width_px: int = 470) -> go.Figure:
    """Horizontal bars, largest at the top. `df`: label, `value` column, text (printed at the
    bar end). One bar trace named `name`."""
    rows = df.reset_index(drop=True)
    fig = go.Figure()
    fig.add_bar(name=name, orientation="h", y=[str(v) for v in rows["label"]],
                x=[float(v) for v in rows[value].fillna(0)], text=list(rows["text"]),
                textposition="outside", cliponaxis=False, marker_color=colour, textfont=dict(size=12))
    # Leave room right of each bar for its printed figures: estimate the text's width against
    # the plot area (the chart's width `width_px`, a third of a wide screen, less the axis
    # labels) and stretch the axis to fit.
    xs = [float(v) for v in rows[value].fillna(0)]
    top = max(xs, default=0.0) or 1.0
    area = width_px - max([_text_px(v, 13) for v in rows["label"]], default=0) - 20
    need = [x / max(1 - _text_px(t) / max(area, 1), 0.25) for x, t in zip(xs, rows["text"])]
    return _layout(fig, 60 + 30 * max(len(rows), 1), showlegend=False,
                   margin=dict(l=10, r=10, t=10, b=10),
                   xaxis=dict(range=[0, max([top * 1.05, *need])], fixedrange=True, visible=False),
                   yaxis=dict(autorange="reversed", fixedrange=True))


def orgs_over_time(founded: pd.DataFrame, in_field: pd.DataFrame, *, in_field_name: str,
                   month_format: str, colours: Mapping[str, str] | None = None) -> go.Figure:
    """Organisations founded per month (建会), stacked by federation, with the number in the field.

    `founded`: month, label (federation), orgs. One bar trace per label. `in_field`: month, orgs:
    a line trace `in_field_name` on the right axis, its values printed.
    """
    months = [_iso(m) for m in in_field["month"]]
    fig = go.Figure()
    for i, label in enumerate(sorted(set(founded["label"]))):
        s = founded[founded["label"] == label].set_index("month")["orgs"].reindex(in_field["month"]).fillna(0)
        fig.add_bar(name=str(label), x=months, y=[int(v) for v in s], marker_color=_colour(colours, label, i))
    fig.add_scatter(name=in_field_name, x=months, y=[int(v) for v in in_field["orgs"]], yaxis="y2",
                    mode="lines+markers+text", text=[str(int(v)) for v in in_field["orgs"]],
                    textposition="top center", line=dict(color=PACE, width=2))
    # bars in the lower part, the in-field line above them: both printed, so no second tick scale
    bar_top = float(founded.groupby("month")["orgs"].sum().max()) if len(founded) else 1.0
    line_top = float(in_field["orgs"].max()) if len(in_field) else 1.0
    return _layout(fig, 400, barmode="stack", xaxis=dict(tickformat=month_format, dtick="M1"),
                   yaxis=dict(range=[0, bar_top * 1.7], fixedrange=True, dtick=max(1, round(bar_top / 4))),
                   yaxis2=dict(overlaying="y", side="right", range=[0, line_top * 1.12], fixedrange=True,
                               showgrid=False, showticklabels=False))
