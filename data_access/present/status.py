"""The colour of every status (`kpis.metrics.ALL_STATUSES`), in one table for the dashboard (badges,
tables, charts, the map: `dashboard/ui/status_style.py` reads it) and the briefing's files
(`meeting/tables.py`: the PDF's and the workbook's charts). No streamlit.

Green is good, red is bad, in every phase of the year: 超序时 and 达成 green, 滞后序时 and 未达成 red
(the year-end pair a darker shade, so a legend never shows two entries of one colour), 达序时 blue,
尚无数据 grey (darker than the grey of "no target / no allocation"). The statuses never depend on
colour alone: the dashboard puts an icon beside every word.

`shown_statuses` says which status counts a summary shows (the overview's tiles, the meeting
page's figures), so that they add up to the targets counted.
"""
from __future__ import annotations

from typing import Mapping

from data_access.kpis import metrics

STATUS_COLOURS: dict[str, str] = {
    metrics.STATUS_AHEAD: "#1a7f37",
    metrics.STATUS_ON_PACE: "#1f6feb",
    metrics.STATUS_BEHIND: "#cf222e",
    metrics.STATUS_NOT_STARTED: "#6e7781",
    metrics.STATUS_MET: "#116329",
    metrics.STATUS_MISSED: "#a40e26",
}
"""Hex colour of every status in `metrics.ALL_STATUSES`."""


def rgb(colour: str) -> tuple[int, int, int]:
    """'#1a7f37' -> (26, 127, 55)."""
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def shown_statuses(counts: Mapping[str, int]) -> tuple[str, ...]:
    """The statuses whose counts a summary shows, from `kpis.tables.status_counts(table,
    metrics.ALL_STATUSES)`: a closed year's result (达成 / 未达成) once any target has a final
    status; else the three pace statuses, with 尚无数据 after them while some target has no closed
    period yet. The counts shown then add up to `counts['total']`."""
    if any(counts.get(s, 0) for s in metrics.FINAL_STATUSES):
        return metrics.FINAL_STATUSES
    if counts.get(metrics.STATUS_NOT_STARTED, 0):
        return (*metrics.STATUSES, metrics.STATUS_NOT_STARTED)
    return metrics.STATUSES
