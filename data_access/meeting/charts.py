"""The briefing's two charts as PNGs for the PDF (matplotlib, no pyplot), and the CJK font they and
the PDF use: a subset of the system's Noto Sans CJK (fonts-noto-cjk; its .ttc has CFF outlines,
which fpdf2 embeds as CIDFontType0C), or the font file in KPI_CJK_FONT. Offline by design.
"""
from __future__ import annotations

import io
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from data_access.errors import DataAccessError
from data_access.meeting.briefing import Briefing
from data_access.meeting.tables import change_chart_rows, lb, progress_chart_rows


@dataclass(frozen=True)
class CjkFont:
    path: str
    index: int  # face in a .ttc collection


# Where distributions put Noto Sans CJK, for machines without fontconfig's fc-match.
_KNOWN_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
)


def _sc_index(path: str) -> int:
    """The Simplified Chinese face of a collection (glyph shapes differ from the JP default)."""
    if not path.lower().endswith((".ttc", ".otc")):
        return 0
    from fontTools.ttLib import TTCollection

    with TTCollection(path, lazy=True) as coll:
        for i, font in enumerate(coll.fonts):
            name = str(font["name"].getDebugName(4) or "")
            if " SC" in name and "Mono" not in name:
                return i
    return 0


def _fc_match(pattern: str) -> str | None:
    if shutil.which("fc-match") is None:
        return None
    out = subprocess.run(["fc-match", "-f", "%{file}", pattern], capture_output=True, text=True,
                         timeout=10).stdout.strip()
    return out if "CJK" in out and Path(out).exists() else None


@lru_cache(maxsize=1)
def cjk_font() -> CjkFont:
    """The CJK font for PDFs: $KPI_CJK_FONT, else Noto Sans CJK SC found by fontconfig or in the
    usual Linux folders. Raises DataAccessError (with the fix) when there is none."""
    env = os.environ.get("KPI_CJK_FONT")
    if env:
        if not Path(env).exists():
            raise DataAccessError(f"KPI_CJK_FONT 指定的字体文件不存在：{env}",
                                  f"The font file in KPI_CJK_FONT does not exist: {env}")
        return CjkFont(env, _sc_index(env))
    regular = _fc_match("Noto Sans CJK SC:style=Regular")
    if regular is None:
        regular = next((p for p in _KNOWN_FONTS if Path(p).exists()), None)
    if regular is None:
        raise DataAccessError(
            "未找到中文字体 Noto Sans CJK，无法生成PDF。请安装 fonts-noto-cjk，或用环境变量 KPI_CJK_FONT 指定字体文件。",
            "No CJK font (Noto Sans CJK) found for the PDF: install fonts-noto-cjk or set KPI_CJK_FONT.")
    return CjkFont(regular, _sc_index(regular))


# Fonts for what Noto Sans CJK lacks, above all CJK Extension B (U+20000-U+2A6DF), which occurs in
# people's names (𠀀, 𪚥): Hanazono Mincho B (Debian fonts-hanazono), BabelStone Han (fonts-babelstone-han).
_FALLBACK_FONTS = (
    "/usr/share/fonts/truetype/hanazono/HanaMinB.ttf",
    "/usr/share/fonts/truetype/hanazono/HanaMinA.ttf",
    "/usr/share/fonts/truetype/babelstone/BabelStoneHan.ttf",
)


@lru_cache(maxsize=1)
def cjk_fallback_fonts() -> tuple[CjkFont, ...]:
    """The fonts the PDF falls back to for characters the CJK font lacks, those of the usual Debian
    packages that are installed (none: such characters are shown as 〓, see meeting.pdf)."""
    return tuple(CjkFont(p, 0) for p in _FALLBACK_FONTS if Path(p).exists())


@lru_cache(maxsize=8)
def font_chars(font: CjkFont) -> frozenset[int]:
    """The code points a font maps to a glyph (its best cmap)."""
    from fontTools.ttLib import TTFont

    with TTFont(font.path, fontNumber=font.index, lazy=True) as tt:
        return frozenset(tt.getBestCmap() or {})


@lru_cache(maxsize=1)
def _matplotlib_font() -> None:
    """Make matplotlib draw text in the CJK font (once per process; this program is its only user)."""
    import matplotlib
    from matplotlib import font_manager

    font = cjk_font()
    font_manager.fontManager.addfont(font.path)  # no-op when fontconfig already listed it
    family = font_manager.FontProperties(fname=font.path).get_name()
    fallbacks = []  # matplotlib takes a missing glyph from the next family that has it (e.g. Ext B)
    for extra in cjk_fallback_fonts():
        font_manager.fontManager.addfont(extra.path)
        fallbacks.append(font_manager.FontProperties(fname=extra.path).get_name())
    matplotlib.rcParams["font.family"] = ["Noto Sans CJK SC", family, *fallbacks, "DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = False


def _figure_png(draw: Callable[[Any], None], height_in: float) -> bytes:
    """Run `draw(ax)` on a new matplotlib figure and return PNG bytes. No pyplot: the page makes
    PDFs on download threads, and a bare Figure with the Agg canvas shares no global state."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    _matplotlib_font()
    fig = Figure(figsize=(10.5, height_in), dpi=160)
    FigureCanvasAgg(fig)
    draw(fig.subplots())
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def progress_png(b: Briefing, lang: str = "zh") -> bytes:
    """Horizontal bars of completion per target, coloured by status, with a tick at 序时进度."""
    rows = progress_chart_rows(b, lang).iloc[::-1]

    def draw(ax: Any) -> None:
        y = range(len(rows))
        top = max(1.0, float(rows["completion"].max()) if len(rows) else 1.0) * 1.25
        ax.barh(list(y), rows["completion"].clip(upper=top), color=list(rows["colour"]), height=0.55)
        ax.scatter(rows["fraction"], list(y), marker="|", s=420, color="#24292f", linewidths=2.5, zorder=3)
        for yi, c, f, text in zip(y, rows["completion"], rows["fraction"], rows["text"]):
            ax.text(min(max(c, f), top) + top * 0.015, yi, text, va="center", fontsize=9)
        ax.axvline(1.0, color="#57606a", linewidth=1)
        ax.set_yticks(list(y), list(rows["label"]), fontsize=9)
        ax.set_xlim(0, top)
        ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:.0%}")
        ax.set_title(lb("chart_progress", lang), fontsize=11, loc="left")
        ax.spines[["top", "right"]].set_visible(False)

    return _figure_png(draw, 0.3 * len(rows) + 0.8)


def changes_png(b: Briefing, lang: str = "zh") -> bytes:
    """Horizontal bars of the week's change as a share of each target, labelled with the amount."""
    rows = change_chart_rows(b, lang).iloc[::-1]

    def draw(ax: Any) -> None:
        y = range(len(rows))
        top = max(0.01, float(rows["share"].abs().max()) if len(rows) else 0.01) * 1.35
        colours = ["#1f6feb" if s >= 0 else "#cf222e" for s in rows["share"]]
        ax.barh(list(y), rows["share"], color=colours, height=0.55)
        for yi, (s, text) in zip(y, zip(rows["share"], rows["text"])):
            ax.text(max(s, 0) + top * 0.01, yi, text, va="center", fontsize=9)
        ax.set_yticks(list(y), list(rows["label"]), fontsize=9)
        ax.set_xlim(min(0.0, float(rows["share"].min()) * 1.2) if len(rows) else 0.0, top)
        ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:.1%}")
        ax.set_title(lb("chart_changes", lang), fontsize=11, loc="left")
        ax.spines[["top", "right"]].set_visible(False)

    return _figure_png(draw, 0.3 * len(rows) + 0.8)
