"""How a pace status looks, in one place for badges, tables, charts and the map. Pure.

The statuses are data_access.kpis.metrics' STATUS_AHEAD / STATUS_ON_PACE / STATUS_BEHIND (the
Chinese words themselves, as the database and the exports carry them). For each: the word in
Chinese and English, a colour (hex, and the same colour as RGB for pydeck), an icon beside every
word so that the status never depends on colour alone, and Streamlit's markdown badge colour.
i18n registers STATUS_WORDS as the `status_<word>` keys.
"""
from __future__ import annotations

from data_access.kpis.metrics import STATUS_AHEAD, STATUS_BEHIND, STATUS_ON_PACE

STATUSES = (STATUS_AHEAD, STATUS_ON_PACE, STATUS_BEHIND)
STATUS_WORDS = {STATUS_AHEAD: ("超序时", "Ahead"), STATUS_ON_PACE: ("达序时", "On pace"),
                STATUS_BEHIND: ("滞后序时", "Behind")}
STATUS_COLOURS = {STATUS_AHEAD: "#1a7f37", STATUS_ON_PACE: "#1f6feb", STATUS_BEHIND: "#cf222e"}
STATUS_RGB = {s: (int(c[1:3], 16), int(c[3:5], 16), int(c[5:7], 16)) for s, c in STATUS_COLOURS.items()}
STATUS_ICONS = {STATUS_AHEAD: "▲", STATUS_ON_PACE: "●", STATUS_BEHIND: "▼"}
STATUS_BADGES = {STATUS_AHEAD: "green", STATUS_ON_PACE: "blue", STATUS_BEHIND: "red"}
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
