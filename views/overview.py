"""Overview: headline loyalty, response rate, hotspots, the rater x provider heatmap, top hotspots."""

import pandas as pd
import streamlit as st

from analysis.participation import response_rate as participation_rate
from ui import context
from ui.access import DASHBOARD_ROLES, require_role
from ui.charts.style import CHART_CONFIG
from ui.frame import lang, md_escape, t
from ui.results import department_names, overview_heatmap, wave_report
from ui.view_models import (
    hotspot_pairs,
    hotspot_table,
    metric_delta,
    org_change,
    pair_ranking,
    pair_summary,
    response_rate,
    signed,
)
from ui.widgets import hotspot_pair_list, how_to_read, pair_ranking_list, wave_filters, wide_and_phone

require_role(*DASHBOARD_ROLES)
st.title(t("overview_title"))
filters = wave_filters("overview", dimension=True)
report = wave_report(filters.wave.wave_id, filters.relationship_type, filters.dimension)
names = department_names(lang())

if report.cells.empty:
    st.info(t("dash_empty_filtered"))
    how_to_read("overview_how_to_read")
    st.stop()

# ---- headline figures
org = report.org.iloc[0]
change = org_change(report, filters.compare.wave_id if filters.compare else None)
delta_label = t("dash_change_since", wave=filters.compare.name(lang())) if filters.compare else None
loyalty, mean, rate, hot = st.columns(4)
if org["suppressed"] or pd.isna(org["n"]):
    loyalty.metric(t("dash_loyalty"), "—")
    mean.metric(t("dash_mean"), "—")
else:
    interval = {"low": signed(org["inps_ci_low"]), "high": signed(org["inps_ci_high"])}
    inps_delta, inps_colour = metric_delta(change["inps_change"], 0)
    loyalty.metric(
        t("dash_loyalty"),
        signed(org["inps"]),
        delta=inps_delta,
        delta_color=inps_colour,
        help=t("dash_loyalty_help", **interval),
    )
    loyalty.caption(t("dash_inps_interval", **interval))
    mean_delta, mean_colour = metric_delta(change["change"], significant=bool(change["significant"]))
    mean.metric(t("dash_mean"), f"{org['mean']:.0f}", delta=mean_delta, delta_color=mean_colour)
    if delta_label:
        mean.caption(delta_label)
invited, responded = response_rate(report)
overall = participation_rate(responded, invited)
if overall is not None:
    rate.metric(
        t("dash_response_rate"),
        f"{100 * overall:.0f}%",
        help=t("dash_response_rate_help", responded=responded, invited=invited),
    )
else:
    rate.metric(t("dash_response_rate"), "—", help=t("dash_response_rate_none"))
hotspots = hotspot_table(report, lang())
hot.metric(t("dash_hotspot_count"), len(hotspots))

# ---- heatmap
st.subheader(t("overview_heatmap"))
if report.cells["suppressed"].all():
    st.info(t("empty_all_hidden"))
    how_to_read("overview_how_to_read")
    st.stop()
org_mean = (
    float(report.org["mean"].iloc[0]) if not report.org["suppressed"].iloc[0] else float(report.cells["mean"].mean())
)
PHONE_PAIRS = 15  # the pairs a phone lists, the lowest first
wide, phone = wide_and_phone("overview-heatmap")
with wide:
    st.caption(t("overview_heatmap_caption", mean=f"{org_mean:.0f}", k=report.k))
    figure = overview_heatmap(filters.wave.wave_id, filters.relationship_type, filters.dimension, lang(), org_mean)
    event = st.plotly_chart(
        figure,
        width="stretch",
        config=CHART_CONFIG,
        key="overview.heatmap",
        on_select="rerun",
        selection_mode="points",
    )
    picked = [p.get("customdata") for p in (event.selection.points if event else []) if p.get("customdata")]
    if picked:
        st.session_state["overview.pair"] = list(picked[0])
    st.caption(t("dash_select_hint"))
with phone:  # below 640 px a grid of 13 x 13 squares cannot be read: the pairs as a ranked list
    ranking = pair_ranking(report, lang())
    pair_ranking_list(ranking, PHONE_PAIRS)
    if not ranking.empty:  # a pair opened from the list, as a click on the heatmap opens it
        listed = ranking.head(PHONE_PAIRS)
        # the options are the pairs' names, worded in this run's language (no format function)
        by_name = dict(zip(listed["pair"], zip(listed["first"], listed["second"], strict=True), strict=True))
        chosen = st.selectbox(
            t("overview_phone_open"),
            list(by_name),
            index=None,
            placeholder=t("overview_phone_open_placeholder"),
            key=f"overview.phone_pair.{lang()}",
        )
        if chosen in by_name:
            st.session_state["overview.pair"] = list(by_name[chosen])

pair = st.session_state.get("overview.pair")
if pair and len(pair) == 2:
    rater, provider = pair
    with st.container(border=True):
        st.markdown(
            "**"
            + t(
                "dash_selected_cell",
                rater=md_escape(names.get(rater, rater)),
                provider=md_escape(names.get(provider, provider)),
            )
            + "**"
        )
        for column, summary in zip(st.columns(2), pair_summary(report, rater, provider, lang()), strict=True):
            column.metric(md_escape(summary["label"]), summary["value"], help=summary["help"])
        if st.button(t("dash_open_pair"), key="overview.open_pair"):
            st.session_state["hotspots.focus"] = [rater, provider]
            # the same survey context, and the pair in the address (a reload or a shared link keeps it)
            pair_query = {**context.query(), context.PAIR: context.pair_value(rater, provider)}
            st.switch_page("views/hotspots.py", query_params=pair_query)

# ---- top hotspots: once per pair, both directions side by side
st.subheader(t("dash_top_hotspots"))
pairs = hotspot_pairs(report, lang())
if pairs.empty:
    st.success(t("dash_no_hotspots"))
else:
    hotspot_pair_list(pairs.head(5), key="overview-hotspot")
how_to_read("overview_how_to_read")
