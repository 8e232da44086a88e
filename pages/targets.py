"""Target detail: one target (?target=T07 or the picker) — cumulative progress against the pace
line and the forecast range, each unit against its own allocation, the ranking, downloads."""
import streamlit as st

from dashboard.charts import progress
from dashboard import data
from dashboard.ui import definitions, targets as tu, widgets
from dashboard.views import targets as tv
from dashboard.i18n import t
from dashboard.views.overview import amount, tile_html
from dashboard.filters.state import current
from dashboard.filters import layout
from dashboard.ui import phone

if layout.is_phone():  # a leader's phone: the same figures as cards (dashboard/ui/phone.py)
    phone.targets()
    st.stop()

PLOT_CONFIG = {"displayModeBar": False, "staticPlot": True}

f = current()
widgets.banner()
ov = data.target_overview(f.year, f.as_of, f.units)
if ov.empty:
    st.info(t("no_data"))
    st.stop()
codes = list(ov["target_code"])
titles = tv.target_titles(ov, f.lang)

code = tu.pick_target(codes, titles)

row = tv.target_row(ov, code)
unit_zh = tv.row_unit(row)  # the target's units (present.figures)
for col, (label, value, colour, note) in zip(st.columns(6), tv.headline(row, f.lang, f.as_of)):
    col.container(border=True, height=118).markdown(
        tile_html(label, value, colour, inline=False, size="1.4rem", note=note), unsafe_allow_html=True)

year_end = tv.year_end(data.plan_years(), f.year)
series = data.cumulative_series(f.year, f.as_of, code, f.units)
ub = data.unit_breakdown(f.year, f.as_of, f.units, code)

unit_fig = None
if not ub.empty:
    unit_fig = progress.bullet_rows(tv.unit_bullet_table(ub, unit_zh, f.lang),
                                  tv.unit_text_titles(f.lang), target_label=t("tg_allocation_line"),
                                  **tv.UNIT_BULLET_LAYOUT[f.lang])
left, right = st.columns([1.1, 1], gap="medium")
with left:
    st.markdown(f"**{t('tg_cum_title')}**")
    names, texts = tv.chart_labels(row, f.as_of, f.lang)
    fig = progress.cumulative_chart(series, as_of=f.as_of, year_end=year_end,
                                  target=float(row["target"]), forecast=tv.forecast_tuple(row),
                                  names=names, texts=texts,
                                  month_format="%-m月" if f.lang == "zh" else "%b",
                                  height=max(420, unit_fig.layout.height if unit_fig else 0),
                                  y_format=lambda v: amount(v, unit_zh, f.lang))
    st.plotly_chart(fig, config=PLOT_CONFIG, key="tg_cumulative")
with right:
    st.markdown(f"**{t('tg_units_title')}**")
    if unit_fig is None:
        st.info(t("no_data"))
    else:
        st.plotly_chart(unit_fig, config=PLOT_CONFIG, key="tg_units")

rank_col, series_col = st.columns([1.6, 1], gap="medium")
with rank_col:
    st.markdown(f"**{t('tg_ranking')}**")
    ranking = tv.ranking_table(ub, unit_zh, f.lang)
    widgets.table(ranking, hide_index=True)
    widgets.download_buttons(ranking, t("tg_file_units", code=code), key="tg_dl_units",
                        sheet=t("tg_ranking"))
with series_col:
    st.markdown(f"**{t('tg_series_table')}**")
    table = tv.series_table(series, f.lang)
    widgets.table(table, hide_index=True, height=300)
    widgets.download_buttons(table, t("tg_file_series", code=code), key="tg_dl_series",
                        sheet=t("tg_series_table"))

definitions.show(f.lang)  # 口径说明
