"""Overview: the rater x provider heatmap of the selected wave."""

import streamlit as st

from ui.access import DASHBOARD_ROLES, require_role
from ui.charts import satisfaction_heatmap
from ui.frame import lang, t
from ui.results import department_names, departments, wave_cells, waves, waves_with_responses

require_role(*DASHBOARD_ROLES)
st.title(t("overview_title"))

with_data = waves_with_responses()
if not waves():
    st.info(t("empty_no_wave"))
    st.stop()
if not with_data:
    st.info(t("empty_no_responses"))
    st.stop()

wave_by_id = {w.wave_id: w for w in waves()}
wave_id = st.selectbox(
    t("wave"),
    options=list(reversed(with_data)),
    format_func=lambda w: wave_by_id[w].name(lang()),
    key="overview.wave",
)
wave = wave_by_id[wave_id]
cells, org = wave_cells(wave_id)
names = department_names(lang())

st.subheader(t("overview_heatmap"))
if cells["suppressed"].all():
    st.info(t("empty_all_hidden"))
    st.stop()

org_mean = float(org["mean"].iloc[0])
st.caption(t("overview_heatmap_caption", mean=f"{org_mean:.0f}", k=wave.k_min))
figure = satisfaction_heatmap(
    cells,
    list(departments().query("active")["code"]),
    names,
    centre=org_mean,
    texts={
        "hidden": t("hidden"),
        "no_data": t("no_data"),
        "hover": t("hover_cell"),
        "mean": t("mean_satisfaction"),
        "x_title": t("provider_dept"),
        "y_title": t("rater_dept"),
    },
)
st.plotly_chart(figure, width="stretch", key="overview.heatmap")
with st.expander(t("how_to_read")):
    st.write(t("overview_how_to_read"))
    st.caption(t("methodology_link"))
