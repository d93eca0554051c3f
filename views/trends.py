"""Trends: satisfaction over waves for the organisation, a department or a pair; significant changes."""

import streamlit as st

from analysis.trends import changes
from ui.access import DASHBOARD_ROLES, require_role
from ui.frame import lang, t
from ui.results import department_names, history, wave_report
from ui.scope import own_departments
from ui.view_models import trend_series
from ui.widgets import how_to_read, show_trend, wave_filters, worded_select

SCOPES = ("org", "dept", "pair")

require_role(*DASHBOARD_ROLES)
st.title(t("trends_title"))
filters = wave_filters("trends", dimension=True)
names = department_names(lang())
report = wave_report(filters.wave.wave_id, filters.relationship_type, filters.dimension)
codes = sorted(set(report.cells["rater_dept"]) | set(report.cells["provider_dept"]), key=lambda c: names.get(c, c))
own = own_departments(codes)  # a department head: its own departments, and pairs that involve them
labels = {c: names.get(c, c) for c in codes}  # worded now, in this run's language

scope = st.segmented_control(
    t("trends_scope"),
    options=list(SCOPES),
    format_func=lambda s: t(f"trends_scope_{s}"),
    default="org",
    key="trends.scope",
)
query = {"relationship_type": filters.relationship_type, "dimension": filters.dimension}
histories = {}
if scope == "dept" and own:
    provider = worded_select(t("dept_pick"), own, labels, "trends.provider")
    histories[t("trends_series_dept", dept=names.get(provider, provider))] = history(
        "provider", provider_dept=provider, **query
    )
    histories[t("trends_series_org")] = history("organisation", **query)
elif scope == "pair" and own:
    left, right = st.columns(2)
    with left:
        rater = worded_select(t("trends_rater"), own, labels, "trends.rater")
    with right:
        provider = worded_select(
            t("trends_provider"), codes, labels, "trends.pair_provider", default=codes[1] if len(codes) > 1 else None
        )
    if rater == provider:
        st.info(t("trends_same_pair"))
    else:
        for a, b in ((rater, provider), (provider, rater)):
            label = t("dash_pair_arrow", rater=names.get(a, a), provider=names.get(b, b))
            histories[label] = history("cell", rater_dept=a, provider_dept=b, **query)
else:
    histories[t("trends_series_org")] = history("organisation", **query)

series = trend_series(histories, lang())
chosen = series[series["series"] == next(iter(histories), None)]
if histories and chosen["mean"].isna().all():
    st.info(t("empty_all_hidden"))  # the chosen department or pair is hidden in every wave
show_trend(series, key="trends.chart")

if filters.compare is not None:
    st.subheader(t("trends_changes", wave=filters.compare.name(lang())))
    before = wave_report(filters.compare.wave_id, filters.relationship_type, filters.dimension)
    moved = changes(report.cells, before.cells, ["rater_dept", "provider_dept"])
    moved = moved[moved["significant"]]
    if moved.empty:
        st.success(t("trends_no_changes"))
    else:
        moved = moved.reindex(moved["change"].abs().sort_values(ascending=False).index).head(12)
        moved["pair"] = [
            t("dash_pair_arrow", rater=names.get(r, r), provider=names.get(p, p))
            for r, p in zip(moved["rater_dept"], moved["provider_dept"], strict=True)
        ]
        st.caption(t("trends_changes_caption"))
        st.dataframe(
            moved[["pair", "previous_mean", "mean", "change", "p_value"]],
            hide_index=True,
            width="stretch",
            column_config={
                "pair": st.column_config.TextColumn(t("dash_pair")),
                "previous_mean": st.column_config.NumberColumn(filters.compare.name(lang()), format="%.0f"),
                "mean": st.column_config.NumberColumn(filters.wave.name(lang()), format="%.0f"),
                "change": st.column_config.NumberColumn(t("trends_change"), format="%+.1f"),
                "p_value": st.column_config.NumberColumn(t("trends_p"), format="%.3f", help=t("trends_p_help")),
            },
        )
how_to_read("trends_how_to_read")
