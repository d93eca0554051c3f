"""Network: departments as a directed graph, arrows coloured by satisfaction, sized by interaction."""

import streamlit as st

from ui.access import DASHBOARD_ROLES, require_role
from ui.charts.network import network_graph, network_layout
from ui.charts.style import CHART_CONFIG
from ui.frame import lang, t
from ui.results import departments, wave_report
from ui.view_models import network_edges
from ui.widgets import how_to_read, wave_filters

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
edges, weak = network_edges(report, centre)
involved = set(edges["rater_dept"]) | set(edges["provider_dept"])
units = departments()
units = units[units["active"] | units["code"].isin(involved)]
figure = network_graph(
    edges,
    network_layout(units),
    names,
    centre=centre,
    weak_incoming=weak,
    texts={
        "mean": t("mean_satisfaction"),
        "hidden": t("hidden"),
        "hover": t("hover_cell"),
        "weak": t("network_weak", count="{count}"),
        "interaction": t("network_interaction"),
    },
)
st.plotly_chart(figure, width="stretch", config=CHART_CONFIG, key="network.graph")

st.subheader(t("network_standouts"))
if not weak:
    st.success(t("network_no_standouts"))
else:
    ranked = sorted(weak.items(), key=lambda item: (-item[1], names.get(item[0], item[0])))
    st.dataframe(
        {
            t("dept_pick"): [names.get(code, code) for code, _ in ranked],
            t("network_weak_count"): [count for _, count in ranked],
        },
        hide_index=True,
    )
how_to_read("network_how_to_read")
