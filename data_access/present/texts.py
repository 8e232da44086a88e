"""Chinese-first text tables with English beside: one (zh, en) pair per key. Pure (no streamlit):
the dashboard's labels, the briefing's prose and the exported files' labels all use it."""
from __future__ import annotations

from typing import Mapping


class Texts:
    """A table of (zh, en) strings. `texts(key, lang, **values)` is the text in `lang` ('zh' or
    'en'; anything else reads as Chinese), formatted with `values`."""

    def __init__(self, strings: Mapping[str, tuple[str, str]] | None = None):
        self._strings: dict[str, tuple[str, str]] = {}
        self.register(strings or {})

    def register(self, strings: Mapping[str, tuple[str, str]]) -> None:
        """Add strings; a key may come again only with the same text (two pages cannot both own it)."""
        for key, value in strings.items():
            if key in self._strings and self._strings[key] != value:
                raise KeyError(f"text key registered twice with different text: {key}")
            self._strings[key] = value

    def __call__(self, key: str, lang: str = "zh", **values: object) -> str:
        zh, en = self._strings[key]
        text = en if lang == "en" else zh
        return text.format(**values) if values else text

    def __contains__(self, key: str) -> bool:
        return key in self._strings
