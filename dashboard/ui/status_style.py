"""How a status looks, in one place for badges, tables, charts and the map. Pure.

The statuses are data_access.kpis.metrics' ALL_STATUSES (the Chinese words themselves, as the
database and the exports carry them): the three pace statuses of a running year (STATUS_AHEAD /
STATUS_ON_PACE / STATUS_BEHIND), 尚无数据 before a target's first period has closed
(STATUS_NOT_STARTED) and the year's result 达成 / 未达成 at and after its last day
(FINAL_STATUSES). For each: the word in Chinese and English (metrics.STATUS_WORDS, the same words
as every other surface: "Behind pace", never a shorter "Behind"), a colour (data_access/present/status.py, the one table the briefing's files read
too; hex, and as RGB for pydeck), an icon beside every word so that the status never depends on
colour alone, and Streamlit's markdown badge colour. i18n registers STATUS_WORDS as the
`status_<word>` keys.
"""
from __future__ import annotations

from data_access.kpis.metrics import (ALL_STATUSES, FINAL_STATUSES, STATUS_AHEAD, STATUS_BEHIND, STATUS_MET,
                                      STATUS_MISSED, STATUS_NOT_STARTED, STATUS_ON_PACE, STATUSES)
from data_access.kpis import metrics
from data_access.present import status as present_status

__all__ = ["ALL_STATUSES", "FINAL_STATUSES", "STATUSES", "STATUS_BADGES", "STATUS_COLOURS", "STATUS_ICONS",
           "STATUS_RGB", "STATUS_WORDS", "NO_STATUS", "status_badge", "status_text", "status_word"]

SHORT_EN: dict[str, str] = {}  # one set of English words everywhere (present.figures.status)
STATUS_WORDS = {s: (zh, SHORT_EN.get(s, en)) for s, (zh, en) in metrics.STATUS_WORDS.items()}
STATUS_COLOURS = {s: present_status.STATUS_COLOURS[s] for s in ALL_STATUSES}
STATUS_RGB = {s: present_status.rgb(c) for s, c in STATUS_COLOURS.items()}
STATUS_ICONS = {STATUS_AHEAD: "▲", STATUS_ON_PACE: "●", STATUS_BEHIND: "▼",
                STATUS_NOT_STARTED: "○", STATUS_MET: "✔", STATUS_MISSED: "✖"}
STATUS_BADGES = {STATUS_AHEAD: "green", STATUS_ON_PACE: "blue", STATUS_BEHIND: "red",
                 STATUS_NOT_STARTED: "gray", STATUS_MET: "green", STATUS_MISSED: "red"}
NO_STATUS = "—"


def status_word(status: object, lang: str) -> str:
    """'超序时' / 'Ahead'; the value itself for an unknown status, '—' for none."""
    if not isinstance(status, str):
        return NO_STATUS
    zh, en = STATUS_WORDS.get(status, (status, status))
    return en if lang == "en" else zh


def status_text(status: object, lang: str) -> str:
    """'▲ 超序时' / '▲ Ahead': icon and word, as tables, tooltips and badges show it; '—' for none."""
    if not isinstance(status, str):
        return NO_STATUS
    return f"{STATUS_ICONS.get(status, '')} {status_word(status, lang)}".strip()


def status_badge(status: str, lang: str) -> str:
    """A markdown badge (Streamlit's `:colour-badge[...]`) with icon and word."""
    return f":{STATUS_BADGES.get(status, 'gray')}-badge[{status_text(status, lang)}]"
