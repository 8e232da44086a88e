"""Small shared UI pieces: the data banner, download buttons, status badges."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from data_access.present import exports, fmt

from dashboard import data
from dashboard.i18n import current_lang, t
from dashboard.filters.state import current, knowledge_note, scope_label
from dashboard.ui import status_style


def banner() -> None:
    """Sample-data notice, the as-of date, the latest report date and the scope, on every page."""
    f = current()
    info = data.dataset_info()
    if info.get("dataset") == "sample":
        st.info(t("banner_sample"), icon=":material/science:")
    latest = data.view_latest(f.year, f.as_of)  # of this view: periods through D, known at K
    st.caption(
        t("banner_last_report", as_of=fmt.date(f.as_of, f.lang), latest=fmt.date(latest, f.lang))
        + "　" + t("banner_scope", scope=scope_label(f)) + ("　" + knowledge_note(f) if f.known else "")
    )


def _number_text(v: Any) -> str:
    """A float cell as shown: '—' when missing, else up to two decimals without trailing zeros."""
    if v is None or pd.isna(v):
        return "—"
    text = f"{float(v):,.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def shown_frame(df: pd.DataFrame, lang: str = "zh") -> pd.DataFrame | Any:
    """`df` for st.dataframe with '—' for a missing value (Streamlit itself writes 'None', in English
    in the Chinese view): a Styler over the same values when any cell is missing, else `df`; in
    the Styler, dates read as `fmt.date` (2023年6月30日)."""
    if not df.isna().to_numpy().any():
        return df
    floats = [c for c in df.columns if pd.api.types.is_float_dtype(df[c])]
    dates = exports.date_columns(df)
    rest = [c for c in df.columns if c not in floats and c not in dates]
    return (df.style.format(_number_text, subset=floats).format(na_rep="—", subset=rest)
            .format(lambda d: fmt.date(d, lang), subset=dates, na_rep="—"))


def table(df: pd.DataFrame, **kwargs: Any) -> None:
    """st.dataframe without Streamlit's own English: an empty table is the caption '暂无数据' (not
    Streamlit's 'empty'), a missing value '—' (not 'None'), a date 2023年6月30日 / 30 Jun 2023
    (not ISO: `exports.SCREEN_DATE_FORMATS`; the CSV download keeps ISO dates)."""
    if df.empty:
        st.caption(t("no_data"))
        return
    lang = current_lang()
    config = dict(kwargs.pop("column_config", None) or {})
    for col in exports.date_columns(df):
        label = config.get(col)
        if label is None or isinstance(label, str):
            config[col] = st.column_config.DateColumn(label, format=exports.SCREEN_DATE_FORMATS[lang])
    st.dataframe(shown_frame(df, lang), column_config=config or None, **kwargs)


def status_badge(status: str, lang: str | None = None) -> str:
    """A text badge (icon + word) so status never depends on colour alone (ui/status_style.py)."""
    return status_style.status_badge(status, lang or current_lang())


def download_buttons(df: pd.DataFrame, stem: str, key: str, sheet: str = "data") -> None:
    """CSV (utf-8-sig) and Excel downloads of `df`; file names carry the as-of date.

    The files are made when a button is clicked (a callable, on Streamlit's download thread), not on
    every rerun: an .xlsx of the map's ten thousand points takes two seconds. on_click="ignore"
    keeps the click from rerunning the page, which would replace the pending download."""
    f = current()
    name = f"{stem}_{f.as_of.isoformat() if isinstance(f.as_of, dt.date) else ''}"
    c1, c2 = st.columns(2)
    c1.download_button(t("download_csv"), lambda: exports.csv_bytes(df), file_name=f"{name}.csv",
                       mime="text/csv", on_click="ignore", key=f"{key}_csv", icon=":material/download:")
    c2.download_button(t("download_xlsx"), lambda: exports.xlsx_bytes({sheet: df}, f.lang), file_name=f"{name}.xlsx",
                       on_click="ignore", mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       key=f"{key}_xlsx", icon=":material/download:")
