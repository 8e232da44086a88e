"""The phone layout's shaping (a leader's phone, 320-430 CSS pixels; dashboard/filters/layout.py says
who gets it). Pure: DataFrames and dicts in, display rows and HTML out; no streamlit.

It shows the very texts the desktop shows: the overview's cards are the rows of
`views.overview.bullet_table` (the bullet chart's rows: label, done / target, 序时进度, status,
较上周, forecast), the target page's unit cards the rows of `views.targets.unit_bullet_table`, the
tiles those of `views.overview.tiles` and `views.targets.headline`. What changes is the form: one
compact card per row instead of a chart row with seven text columns side by side, so nothing is
overprinted or runs off a 390-pixel screen. Every name and value is HTML-escaped here (target and
unit names are edited by administrators).
"""
from __future__ import annotations

import html
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import pandas as pd

from dashboard.i18n import register, tr

register({
    "ph_filters": ("筛选：{scope} · {date}", "Filters: {scope} · {date}"),
    "ph_sample": ("示例数据，非真实填报", "Sample data, not real reports"),
    "ph_latest": ("最新填报日期 {latest}", "Latest report {latest}"),
    "ph_desktop_link": ("电脑版", "Desktop layout"),
    "ph_phone_link": ("手机版", "Phone layout"),
    "ph_tap_hint": ("点按一项看详情", "Tap a row for details"),
    "ph_more_rows": ("共 {n} 项，显示前 {shown} 项；请用搜索缩小范围。",
                     "{n} in all, the first {shown} shown; search to narrow them."),
    "ph_desktop_only": ("完整的表格与下载在电脑版。", "The full tables and downloads are in the desktop layout."),
})

_TAGS = re.compile(r"<[^>]+>")
CARD_DETAIL_LIMIT = 6  # text columns beyond the card's own line go under the tap


def _text(value: Any) -> str:
    """A cell as text: '—' for missing, else str()."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "—"
    try:
        if pd.isna(value):
            return "—"
    except (TypeError, ValueError):
        pass
    return str(value)


def plain(fragment: Any, lang: str = "zh") -> str:
    """A chart row's text without its plotly markup: a '<br>' before a smaller second line (the
    forecast's range) becomes a space, another '<br>' nothing in Chinese (the desktop wraps a name
    there) and a space in English; other tags are dropped ('347场次<br><span ...>347–533</span>'
    -> '347场次 347–533')."""
    text = re.sub(r"<br>\s*(?=<span)", " ", _text(fragment))
    text = text.replace("<br>", "" if lang == "zh" else " ")
    return _TAGS.sub("", text).strip()


def share(value: Any) -> float | None:
    """A share of the full bar, held to 0..1 (a target done 1.3 times fills the bar); None for
    missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    if math.isnan(v):
        return None
    return min(max(v, 0.0), 1.0)


@dataclass(frozen=True)
class Card:
    """One target (or unit) as a phone card: name, done / target, the bar with the pace mark, the
    status light, and the details shown on a tap as (title, text) pairs."""
    row_id: str
    label: str
    done: str
    status: str
    status_colour: str
    bar_colour: str
    done_share: float | None
    pace_share: float | None
    bar_label: str
    details: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Group:
    heading: str
    cards: list[Card] = field(default_factory=list)


def cards(rows: pd.DataFrame, detail_titles: Mapping[str, str], lang: str) -> list[Group]:
    """Cards from bullet rows (`views.overview.bullet_table` or `views.targets.unit_bullet_table`):
    a heading row (`header` true) opens a group, every other row is a card of that group (a group
    without heading when the rows start with a card). Columns read: row_id, label, header, done,
    status, status_colour, colour, actual_share, expected_share, bar_labels, and the text columns
    named in `detail_titles` (column -> title), shown on a tap in that order."""
    groups: list[Group] = []
    for r in rows.to_dict("records"):
        if bool(r.get("header")):
            groups.append(Group(plain(r["label"], lang)))
            continue
        if not groups:
            groups.append(Group(""))
        details = tuple((title, plain(r.get(col), lang)) for col, title in detail_titles.items()
                        if col in r)
        groups[-1].cards.append(Card(
            row_id=str(r["row_id"]), label=plain(r["label"], lang), done=plain(r.get("done"), lang),
            status=plain(r.get("status"), lang), status_colour=str(r.get("status_colour") or "#6e7781"),
            bar_colour=str(r.get("colour") or "#8c959f"), done_share=share(r.get("actual_share")),
            pace_share=share(r.get("expected_share")), bar_label=plain(r.get("bar_labels"), lang),
            details=details[:CARD_DETAIL_LIMIT]))
    return groups


def _e(text: Any) -> str:
    return html.escape(_text(text), quote=True)


def _colour(value: str) -> str:
    """A colour for an inline style: '#rrggbb' (or #rgb) only, else grey."""
    return value if re.fullmatch(r"#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?", value or "") else "#6e7781"


def card_html(c: Card, pace_title: str) -> str:
    """One card: a <details> whose summary is the name, the status, the bar and done / target; the
    tap opens the details list."""
    fill = f"{(c.done_share or 0.0) * 100:.1f}%"
    pace = (f"<span class='ph-pace' title='{_e(pace_title)}' style='left:{c.pace_share * 100:.1f}%'></span>"
            if c.pace_share is not None else "")
    more = "".join(f"<div class='ph-kv'><span class='ph-k'>{_e(k)}</span><span class='ph-v'>{_e(v)}</span></div>"
                   for k, v in c.details)
    return (f"<details class='ph-card' data-row='{_e(c.row_id)}'><summary>"
            f"<div class='ph-top'><span class='ph-name'>{_e(c.label)}</span>"
            f"<span class='ph-status' style='color:{_colour(c.status_colour)}'>{_e(c.status)}</span></div>"
            f"<div class='ph-bottom'><span class='ph-bar'><span class='ph-fill' style='width:{fill};"
            f"background:{_colour(c.bar_colour)}'></span>{pace}</span>"
            f"<span class='ph-pct'>{_e(c.bar_label)}</span><span class='ph-done'>{_e(c.done)}</span></div>"
            f"</summary><div class='ph-more'>{more}</div></details>")


def groups_html(groups: Sequence[Group], pace_title: str) -> str:
    """The card list: each group's heading, then its cards."""
    out = []
    for g in groups:
        head = f"<div class='ph-group'>{_e(g.heading)}</div>" if g.heading else ""
        out.append(f"<section class='ph-section'>{head}{''.join(card_html(c, pace_title) for c in g.cards)}</section>")
    return f"<div class='ph-list'>{''.join(out)}</div>"


def chips_html(tiles: Sequence[tuple[str, str, str]]) -> str:
    """The overview's tiles (`views.overview.tiles`: label, value, colour) as one wrapping row of
    chips, value first: '11 项 目标项数', '2 项 ▲ 超序时', ... '2 / 6 工作节点完成'."""
    chips = "".join(f"<span class='ph-chip'><b style='color:{_colour(colour)}'>{_e(value)}</b> {_e(label)}</span>"
                    for label, value, colour in tiles)
    return f"<div class='ph-chips'>{chips}</div>"


def headline_html(tiles: Sequence[tuple[str, str, str, str]]) -> str:
    """The target page's headline (`views.targets.headline`: label, value, colour, note) as a
    two-column grid of small tiles."""
    cells = "".join(
        f"<div class='ph-tile'><div class='ph-tile-label'>{_e(label)}</div>"
        f"<div class='ph-tile-value' style='color:{_colour(colour)}'>{_e(value)}</div>"
        + (f"<div class='ph-tile-note'>{_e(note)}</div>" if note else "") + "</div>"
        for label, value, colour, note in tiles)
    return f"<div class='ph-grid'>{cells}</div>"


def record_rows(df: pd.DataFrame, title_columns: int = 1, limit: int | None = None
                ) -> list[tuple[str, list[tuple[str, str]]]]:
    """A display table (localised headers) as (title, [(column, value), ...]) per row: the first
    `title_columns` cells joined make the title, the rest are label/value pairs. At most `limit`
    rows."""
    cols = [str(c) for c in df.columns]
    head, rest = cols[:title_columns], cols[title_columns:]
    out = []
    frame = df if limit is None else df.head(limit)
    for values in frame.itertuples(index=False, name=None):
        cells = dict(zip(cols, values))
        title = " ".join(_text(cells[c]) for c in head)
        out.append((title, [(c, _text(cells[c])) for c in rest]))
    return out


def records_html(rows: Sequence[tuple[str, Sequence[tuple[str, str]]]], css_class: str = "ph-rec") -> str:
    """record_rows as stacked cards: the title on its own line, then the pairs, wrapping."""
    cards_ = "".join(
        f"<div class='{css_class}'><div class='ph-rec-title'>{_e(title)}</div><div class='ph-rec-body'>"
        + "".join(f"<span class='ph-kv'><span class='ph-k'>{_e(k)}</span> <span class='ph-v'>{_e(v)}</span></span>"
                  for k, v in pairs) + "</div></div>"
        for title, pairs in rows)
    return f"<div class='ph-records'>{cards_}</div>"


def fit_map_view(spec: str, desktop_width: float, phone_width: float) -> str:
    """A deck spec (JSON) whose first view was fitted for `desktop_width` pixels, refitted for a
    map `phone_width` wide: the zoom drops by log2 of the ratio (one zoom step halves the scale),
    so the same area stays in view."""
    deck = json.loads(spec)
    view = deck.get("initialViewState")
    if isinstance(view, dict) and isinstance(view.get("zoom"), (int, float)) and phone_width > 0:
        view["zoom"] = round(float(view["zoom"]) - math.log2(desktop_width / phone_width), 3)
    return json.dumps(deck, ensure_ascii=False)


def filter_label(scope: str, date_text: str, lang: str) -> str:
    return tr("ph_filters", lang, scope=scope, date=date_text)
