"""New-economy page: new members among platform and gig workers against T11, where they come from,
the union organisations in the field, and months whose intake needs a question."""
import streamlit as st

from dashboard.charts import new_economy as charts
from dashboard import data
from dashboard.ui import widgets
from dashboard.views import new_economy as view
from dashboard.i18n import t, tr
from dashboard.filters.state import current
from data_access.kpis import anomaly
from dashboard.filters import layout
from dashboard.ui import phone

if layout.is_phone():  # a leader's phone: the same figures as cards (dashboard/ui/phone.py)
    phone.new_economy()
    st.stop()

f = current()
lang = f.lang
MONTH_FMT = "%b" if lang == "en" else "%-m月"
PCT = {tr(f"ne_col_{k}", lang): st.column_config.NumberColumn(format="percent")
       for k in ("share", "growth")}

st.title(t("ne_title"))
st.caption(t("ne_intro"))
widgets.banner()
if "T11" not in set(data.targets(f.year)["target_code"]):
    st.info(t("ne_no_t11"))
    st.stop()
m = data.new_economy(f.year, f.as_of, f.units, lang)


t11 = m["t11"]
heads = [("ne_head_year", m["head_t11"], "人", f"{view.t11_line(t11, lang)}　{widgets.status_badge(t11['status'])}"),
         ("ne_head_cum", m["head_cum"], "人", None), ("ne_head_orgs", m["head_orgs"], "个", None)]
for col, (label, h, unit, extra) in zip(st.columns(3), heads):
    tile = view.headline_tile(h, unit, lang)
    with col:
        st.metric(t(label), tile["value"], tile["delta"], delta_color=tile["delta_color"],
                  delta_arrow=tile["delta_arrow"], delta_description=t("ne_vs_week"), chart_data=h.spark or None,
                  chart_type="area", border=True, help=tile["help"])
        st.caption(tile["caption"])
        if extra:
            st.markdown(extra)
st.caption(m["period_text"])

st.subheader(t("ne_sec_growth"))
g1, g2 = st.columns(2)
with g1:
    st.markdown(f"**{t('ne_monthly')}**")
    st.plotly_chart(charts.monthly_stacked(m["monthly"], view.flag_chart_rows(m["flags"], lang),
                                           total_name=t("ne_total"), flag_name=t("ne_flag"),
                                           month_format=MONTH_FMT, colours=view.colours(lang)),
                    key="ne_monthly")
with g2:
    st.markdown(f"**{t('ne_cumulative')}**")
    fc, names, texts = view.t11_chart_labels(t11, lang)
    st.plotly_chart(charts.cumulative_vs_pace(m["series"], as_of=f.as_of, year_end=m["periods"].end,
                                              target=t11["target"], forecast=fc, names=names, texts=texts,
                                              month_format=MONTH_FMT),
                    key="ne_cumulative")

st.subheader(t("ne_sec_flags"))
st.caption(anomaly.rule_sentence(lang))
if m["flags"].empty:
    st.success(t("ne_no_flags"), icon=":material/check_circle:")
else:
    st.warning(t("ne_flags_found"), icon=":material/flag:")
    flags = view.localise(view.flag_table(m["flags"], lang), lang)
    widgets.table(flags, hide_index=True)
    widgets.download_buttons(flags, "new_economy_flags", key="ne_dl_flags")

st.subheader(t("ne_sec_sources"))
st.caption(m["period_text"])
for col, key, title, label in zip(st.columns(3), ("by_industry", "by_platform", "by_unit"),
                                  ("ne_by_industry", "ne_by_platform", "ne_by_unit"),
                                  ("industry", "platform", "unit")):
    with col:
        df = m[key]
        st.markdown(f"**{t(title)}**")
        st.plotly_chart(charts.share_bars(df.assign(text=view.bar_labels(df, lang)), value="new_members",
                                          name=t(title)), key=f"ne_{key}")
        table = view.localise(df, lang, label)
        with st.expander(t("ne_table")):
            widgets.table(table, hide_index=True, column_config=PCT)
        widgets.download_buttons(table, f"new_economy_{key}", key=f"ne_dl_{key}")
st.markdown(f"**{t('ne_county_industry')}**")
widgets.table(m["county_industry"], hide_index=True, height="content")
widgets.download_buttons(m["county_industry"], "new_economy_county_industry", key="ne_dl_ci")

st.subheader(t("ne_sec_orgs"))
o1, o2 = st.columns(2)
with o1:
    st.markdown(f"**{t('ne_orgs_chart')}**")
    st.plotly_chart(charts.orgs_over_time(m["founded"], m["in_field"], in_field_name=t("ne_in_field"),
                                          month_format=MONTH_FMT, colours=view.colours(lang)), key="ne_orgs")
with o2:
    st.markdown(f"**{t('ne_per_org')}**")
    fed = m["federations"]
    st.plotly_chart(charts.share_bars(fed.assign(text=view.per_org_labels(fed, lang)), value="per_org",
                                      name=t("ne_per_org"), colour=view.COLOURS["物流与电商"]),
                    key="ne_per_org")
    st.caption(t("ne_fed_note"))
fed_table = view.localise(fed, lang, "federation")
widgets.table(fed_table, hide_index=True)
widgets.download_buttons(fed_table, "new_economy_federations", key="ne_dl_fed")
