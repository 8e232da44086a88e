"""One figure, one face: every figure of every target reads the same on every surface.

For random filter combinations (county subsets including 市总本级 alone, as-of dates through 2023,
Chinese and English; seeded), the figures are read from the surfaces themselves, not from the
presentation model: the overview page's bullet chart, the targets page's tiles (one random target
per combination), the map page's total row (T07, care stations), the new-economy page's T11 line,
the briefing page's tables, the briefing PDF's text and the briefing workbook's cells. Each figure
is compared between every two surfaces that show it (a workbook cell holds the number the text
reads: '15.23万' = 152300, '52.9%' = 0.529). The count of comparisons is printed; there must be no
difference.

KPI_CROSS_COMBOS sets the number of combinations (default 30).
"""
from __future__ import annotations

import datetime as dt
import io
import itertools
import os
import random
import re
from typing import Any

import openpyxl
import pytest
from pypdf import PdfReader

from data_access.db import make_engine
from data_access.kpis import tables
from data_access.meeting import briefing, excel, pdf
from tests.apptest_support import by_row, open_page, plotly_specs

COMBOS = int(os.environ.get("KPI_CROSS_COMBOS", "30"))
COUNTIES = ["410402", "410403", "410404", "410411", "410421", "410422", "410423", "410425", "410481",
            "410482", "410471", "410472"]
CITY_LEVEL = "410400"
ICONS = "▲●▼○✔✖"


def combos(n: int, seed: int = 20231) -> list[tuple[tuple[str, ...] | None, dt.date, str]]:
    """n seeded combinations of (units or None for the city, as-of date in 2023, language); the
    first ones cover 市总本级 alone and the whole city in both languages."""
    rng = random.Random(seed)
    start = dt.date(2023, 1, 1)
    out: list[tuple[tuple[str, ...] | None, dt.date, str]] = [
        ((CITY_LEVEL,), dt.date(2023, 6, 30), "zh"), ((CITY_LEVEL,), dt.date(2023, 9, 15), "en"),
        (None, dt.date(2023, 12, 31), "en"), (None, dt.date(2023, 3, 3), "zh")]
    while len(out) < n:
        k = rng.choice([1, 1, 2, 3, 5])
        units = tuple(sorted(rng.sample(COUNTIES + [CITY_LEVEL], k)))
        day = start + dt.timedelta(days=rng.randrange(30, 365))
        out.append((units, day, rng.choice(["zh", "en"])))
    return out[:n]


def plain(text: str) -> str:
    return re.sub(r"[\s\x00]+", "", str(text))


class Units:
    """Strip a target's unit words from a text, to compare the number as read."""

    def __init__(self, ov_row: Any):
        words = [str(ov_row["unit_zh"]), str(ov_row["unit_en"])]
        en = str(ov_row["unit_en"])
        words += [en[:-2] if en.endswith(("sses", "ches", "shes", "xes")) else en[:-1] if en.endswith("s") else en]
        words = sorted({w for w in words if w}, key=len, reverse=True)
        self.pattern = re.compile(r"\s*(?:" + "|".join(re.escape(w) for w in words) + r")$")

    def bare(self, text: Any) -> str:
        return self.pattern.sub("", str(text).strip()).strip()


def number(text: str) -> float | None:
    """The number a text reads: '15.23万' -> 152300, '52.9%' -> 0.529, '−3' -> -3, '±0' / '已完成' /
    'done' -> 0, '约每5周1' / 'about 1 every 5 weeks' -> 0.2; None for '—'."""
    t = text.strip()
    if t in ("—", ""):
        return None
    if t in ("±0", "已完成", "done"):
        return 0.0
    m = re.match(r"^约每(\d+)周1$", t) or re.match(r"^about 1 .* every (\d+) weeks$", t)
    if m:
        return 1 / int(m.group(1))
    sign = -1 if t.startswith("−") else 1
    t = t.lstrip("+−")
    scale = 1.0
    if t.endswith("%"):
        t, scale = t[:-1], 0.01
    if t.endswith("万"):
        t, scale = t[:-1], 10000.0
    return sign * float(t.replace(",", "")) * scale


def status_word(text: str) -> str:
    return str(text).lstrip(ICONS).strip()


def html_text(value: str) -> str:
    return re.sub(r"<[^>]+>", "", value)


# --- reading each surface ----------------------------------------------------------------------


def read_overview(url: str, params: dict[str, str], ov) -> dict[str, dict[str, str]]:
    at = open_page(url, "overview.py", params)
    (spec,) = [s for s in plotly_specs(at) if any(t.get("name") == "done" for t in s["data"])]
    done, pace = by_row(spec, "done", "text"), by_row(spec, "pace", "text")
    week, fc = by_row(spec, "week", "text"), by_row(spec, "forecast", "text")
    status, bar = by_row(spec, "status", "text"), by_row(spec, "bar_labels", "text")
    out = {}
    for r in ov.to_dict("records"):
        code = r["target_code"]
        d, t = done[code].split(" / ")
        point, _, rng = fc[code].partition("<br>")
        expected, _, runs_to = pace[code].partition("<br>")  # '至6月23日' under it when D differs
        out[code] = {"done": d, "target": t, "expected": expected, "runs_to": html_text(runs_to).strip(),
                     "change": week[code],
                     "forecast": point, "range": html_text(rng), "status": status_word(status[code])}
        if r["target"] > 0:
            out[code]["completion"] = bar[code]
    return out


def read_targets(url: str, params: dict[str, str], code: str) -> dict[str, str]:
    at = open_page(url, "targets.py", {**params, "target": code})
    tiles = []
    for m in at.markdown:
        if "<br><span style='font-size:1.4rem" in m.value:
            label, rest = m.value.split("<br>", 1)
            value = rest.split(">", 1)[1].split("</span>", 1)[0]
            note = rest.split("</span>", 1)[1]
            tiles.append((value, html_text(note).strip()))
    (dt_, _), (pace, runs_to), (st_, _), (week, _), (fc, rng), (weekly, _) = tiles[:6]
    d, t = dt_.split(" / ")
    return {"done": d, "target": t, "expected": pace, "runs_to": runs_to, "status": status_word(st_), "change": week,
            "forecast": fc, "range": rng, "weekly": weekly}


def read_map(url: str, params: dict[str, str], lang: str) -> dict[str, str] | None:
    at = open_page(url, "map.py", params)
    total = ("全市合计", "合计") if lang == "zh" else ("City total", "Total")
    for d in at.dataframe:
        df = d.value
        if len(df) and str(df.iloc[-1, 0]) in total and df.shape[1] == 6:
            row = df.iloc[-1].tolist()
            return {"done": f"{int(row[2]):,}", "target": f"{int(row[3]):,}", "completion": str(row[4]),
                    "status": status_word(row[5])}
    return None


def read_new_economy(url: str, params: dict[str, str], lang: str) -> dict[str, str]:
    at = open_page(url, "new_economy.py", params)
    if lang == "zh":
        pattern = r"^目标 (.+)，序时进度 (.+)，完成率 (.+?)\u3000"
    else:
        pattern = r"^Target (.+); expected by now (.+); (.+?) done\u3000"
    for m in at.markdown:
        got = re.match(pattern, m.value)
        if got:
            return {"target": got.group(1), "expected": got.group(2), "completion": got.group(3)}
    raise AssertionError("no T11 line on the new-economy page")


BRIEF_COLUMNS = {  # heading (zh, en) -> figure
    ("年度目标", "Annual target"): "target", ("已完成", "Done"): "done", ("完成率", "Completion"): "completion",
    ("序时进度", "Expected by now"): "expected", ("状态", "Status"): "status",
    ("本周新增", "This week"): "change", ("此后每周需完成", "Needed per week"): "weekly", ("差距", "Gap"): "gap"}


def read_briefing_page(url: str, params: dict[str, str], lang: str) -> dict[str, dict[str, str]]:
    """The progress table, and the gap (and the rest) of the targets-behind table."""
    at = open_page(url, "meeting.py", params)
    i = 1 if lang == "en" else 0
    heads = {k[i]: v for k, v in BRIEF_COLUMNS.items()}
    code_col = ("编号", "Code")[i]
    out: dict[str, dict[str, str]] = {}
    frames = [d.value for d in at.dataframe]
    progress = next(f for f in frames if ("序时进度比例", "Share of year expected")[i] in f.columns)
    behind = [f for f in frames if ("差距", "Gap")[i] in f.columns and ("单位", "Unit")[i] not in f.columns]
    for frame in [progress, *behind]:
        for r in frame.to_dict("records"):
            figs = out.setdefault(str(r[code_col]), {})
            for head, fig in heads.items():
                if head in r:
                    figs.setdefault(fig, str(r[head]))
    return out


def read_workbook(data: bytes, lang: str) -> dict[str, dict[str, Any]]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    i = 1 if lang == "en" else 0
    heads = {k[i]: v for k, v in BRIEF_COLUMNS.items()}
    out: dict[str, dict[str, Any]] = {}
    for sheet in (wb.worksheets[1], wb.worksheets[4]):  # progress, targets behind
        rows = list(sheet.iter_rows(values_only=True))
        head = rows[0]
        for row in rows[1:]:
            r = dict(zip(head, row))
            figs = out.setdefault(str(r[("编号", "Code")[i]]), {})
            for h, fig in heads.items():
                if h in r:
                    figs.setdefault(fig, r[h])
    return out


# --- the comparison ----------------------------------------------------------------------------


class Comparer:
    def __init__(self) -> None:
        self.count = 0
        self.differences: list[str] = []

    def text(self, where: str, fig: str, a: tuple[str, str], b: tuple[str, str], units: Units) -> None:
        """Two surfaces' texts of one figure: equal once the unit words are stripped (one surface
        writes '30 / 50家', another '30家')."""
        self.count += 1
        ta, tb = (units.bare(a[1]), units.bare(b[1])) if fig != "status" else (a[1], b[1])
        if ta != tb:
            self.differences.append(f"{where} {fig}: {a[0]} {a[1]!r} vs {b[0]} {b[1]!r}")

    def cell(self, where: str, fig: str, a: tuple[str, str], value: Any, units: Units) -> None:
        """A workbook cell against a surface's text: the number the text reads (the status word)."""
        self.count += 1
        if fig == "status":
            ok = (value or "—") == a[1]
        else:
            n = number(units.bare(a[1]))
            ok = (n is None and value is None) or (n is not None and value is not None
                                                   and abs(float(value) - n) < 1e-9 * max(1.0, abs(n)))
        if not ok:
            self.differences.append(f"{where} {fig}: {a[0]} {a[1]!r} vs workbook {value!r}")


@pytest.fixture(scope="module")
def sample_engine(sample_db_url):
    engine = make_engine(sample_db_url)
    yield engine
    engine.dispose()


def test_every_figure_reads_the_same_on_every_surface(sample_db_url, sample_engine, capsys):
    cmp = Comparer()
    rng = random.Random(7)
    for units, day, lang in combos(COMBOS):
        params = {"as_of": day.isoformat(), "lang": lang, **({"county": ",".join(units)} if units else {})}
        ov = tables.target_overview(sample_engine, 2023, day, units)  # which targets, and their units
        unit_of = {r["target_code"]: Units(r) for r in ov.to_dict("records")}
        where = f"[{','.join(units or ('city',))} {day} {lang}]"
        surfaces: dict[str, dict[str, dict[str, str]]] = {}
        surfaces["overview"] = read_overview(sample_db_url, params, ov)
        code = rng.choice(list(ov["target_code"]))
        surfaces["targets page"] = {code: read_targets(sample_db_url, params, code)}
        mp = read_map(sample_db_url, params, lang)
        if mp is not None:
            surfaces["map"] = {"T07": mp}
        surfaces["new-economy page"] = {"T11": read_new_economy(sample_db_url, params, lang)}
        surfaces["briefing page"] = read_briefing_page(sample_db_url, params, lang)
        b = briefing.build_briefing(sample_engine, 2023, day, units)
        pdf_text = plain("".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.pdf_bytes(b, lang))).pages))
        book = read_workbook(excel.xlsx_bytes(b, lang), lang)
        for code, u in unit_of.items():
            shown = [(name, s[code]) for name, s in surfaces.items() if code in s]
            figs = sorted({f for _, s in shown for f in s})
            for fig in figs:
                have = [(name, s[fig]) for name, s in shown if fig in s]
                for a, c in itertools.combinations(have, 2):
                    cmp.text(f"{where} {code}", fig, a, c, u)
                # the PDF shows the briefing page's texts (its tables are the same tables)
                brief = surfaces["briefing page"].get(code, {}).get(fig)
                if brief is not None and have:
                    cmp.count += 1
                    if plain(brief) not in pdf_text:
                        cmp.differences.append(f"{where} {code} {fig}: briefing page {brief!r} not in the PDF")
                if fig in book.get(code, {}) and have:
                    cmp.cell(f"{where} {code}", fig, have[0], book[code][fig], u)
    with capsys.disabled():
        print(f"\ncross-surface: {COMBOS} filter combinations, {cmp.count} comparisons, "
              f"{len(cmp.differences)} differences")
    assert cmp.differences == [], "\n".join(cmp.differences[:40])
