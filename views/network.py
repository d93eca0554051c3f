"""Network: departments as a directed graph, arrows coloured by satisfaction, sized by interaction."""

import streamlit as st

from ui.access import DASHBOARD_ROLES, require_role
from ui.charts.network import RING_FROM
from ui.charts.style import CHART_CONFIG, built_figure
from ui.frame import lang, md_escape, t
from ui.results import network_figure, wave_report
from ui.view_models import incoming_counts, network_edges
from ui.widgets import how_to_read, wave_filters, wide_and_phone

require_role(*DASHBOARD_ROLES)
st.title(t("network_title"))
st.caption(t("network_intro"))
filters = wave_filters("network", compare=False, dimension=True)
report = wave_report(filters.wave.wave_id, filters.relationship_type, filters.dimension)
names = report.names(lang())

if report.cells.empty:
    st.info(t("dash_empty_filtered"))
    how_to_read("network_how_to_read")
    st.stop()
if report.cells["suppressed"].all():
    st.info(t("empty_all_hidden"))
    how_to_read("network_how_to_read")
    st.stop()

org = report.org.iloc[0]
centre = float(org["mean"]) if not org["suppressed"] else float(report.cells["mean"].mean())
edges = network_edges(report, centre, lang())
incoming = incoming_counts(edges)
ringed = sorted((c for c, count in incoming.items() if count >= RING_FROM), key=lambda c: names.get(c, c))
st.caption(t("network_drawn", drawn=len(edges), rated=len(report.cells), mean=f"{centre:.0f}"))
if ringed:
    st.caption(
        t(
            "network_ringed",
            names=t("list_separator").join(md_escape(names.get(c, c)) for c in ringed),
            count=RING_FROM,
        )
    )
figure = network_figure(filters.wave.wave_id, filters.relationship_type, filters.dimension, lang(), centre)
wide, phone = wide_and_phone("network-graph")
with wide:
    st.plotly_chart(built_figure(figure), width="stretch", config=CHART_CONFIG, key="network.graph")
with phone:  # a circle of 13 labelled departments does not fit 390 px: the table below is the graph
    st.caption(t("network_phone"))

st.subheader(t("network_table"))
if edges.empty:
    st.success(t("network_nothing_drawn"))
else:
    st.dataframe(
        edges.assign(interval=[f"{lo:.0f}-{hi:.0f}" for lo, hi in zip(edges["ci_low"], edges["ci_high"], strict=True)])[
            ["pair", "mean", "interval", "n", "interaction", "why"]
        ],
        hide_index=True,
        width="stretch",
        height=38 + 35 * len(edges),  # every arrow on screen, no scrolling inside the table
        column_config={
            "pair": st.column_config.TextColumn(t("dash_pair"), width="medium"),
            "mean": st.column_config.NumberColumn(t("mean_satisfaction"), format="%.0f", width="small"),
            "interval": st.column_config.TextColumn(t("network_interval"), width="small"),
            "n": st.column_config.NumberColumn(t("dash_n_responses"), format="%d", width="small"),
            "interaction": st.column_config.NumberColumn(
                t("network_interaction_short"), format="%.1f", help=t("network_interaction"), width="small"
            ),
            "why": st.column_config.TextColumn(t("network_why"), width="large"),
        },
    )
how_to_read("network_how_to_read")
