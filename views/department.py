"""Department report: one provider through its customers' eyes."""

import streamlit as st

from analysis.drivers import MIN_DRIVER_N
from ui.access import DASHBOARD_ROLES, require_role
from ui.charts.bars import customer_view_bars, dimension_bars, loyalty_bar, perception_gap
from ui.charts.drivers import importance_performance
from ui.charts.style import CHART_CONFIG
from ui.frame import lang, md_escape, t
from ui.results import history, wave_report
from ui.scope import own_departments, require_department
from ui.view_models import comment_groups, department_view, is_significant, metric_delta, signed, trend_series
from ui.widgets import how_to_read, show_trend, start_plan_button, wave_filters, worded_select

require_role(*DASHBOARD_ROLES)
st.title(t("dept_title"))
filters = wave_filters("department", compare=False)
report = wave_report(filters.wave.wave_id, filters.relationship_type, None)
names = report.names(lang())

# ?dept=CODE opens one department's report card (a link to share); a scoped account gets a refusal
# for a department outside its scope (ui/scope.py), and is offered only its own departments.
asked = st.query_params.get("dept")
if asked:
    require_department(asked)
providers = sorted(own_departments(set(report.cells["provider_dept"])), key=lambda code: names.get(code, code))
if asked in providers and st.session_state.get("department.url") != asked:
    st.session_state["department.provider"] = asked
    st.session_state["department.url"] = asked  # taken once: the choice below may change it
if not providers:
    st.info(t("dash_empty_filtered"))
    how_to_read("dept_how_to_read")
    st.stop()
provider = worded_select(t("dept_pick"), providers, {c: names.get(c, c) for c in providers}, "department.provider")
st.query_params["dept"] = provider  # the address names the department shown: a link to share
st.caption(t("dept_intro", dept=md_escape(names.get(provider, provider))))
start_plan_button("department", t("actions_start_link_dept"), {"b": provider, "wave": report.wave_id})
view = department_view(report, provider, lang())
if view.figures is None:
    st.info(t("empty_all_hidden") if len(view.customers) else t("dept_no_responses"))
    how_to_read("dept_how_to_read")
    st.stop()

figures = view.figures
trend = history("provider", provider_dept=provider, relationship_type=filters.relationship_type)
now = trend[trend["wave_id"] == report.wave_id]
significant = bool(len(now)) and is_significant(now["significant"].iloc[0])
mean_delta, mean_colour = metric_delta(now["change"].iloc[0] if len(now) else None, significant=significant)
columns = st.columns(4)
columns[0].metric(t("dash_mean"), f"{figures['mean']:.0f}", delta=mean_delta, delta_color=mean_colour)
columns[1].metric(
    t("dash_loyalty"),
    signed(figures["inps"]),
    help=t("dash_loyalty_help", low=signed(figures["inps_ci_low"]), high=signed(figures["inps_ci_high"])),
)
columns[1].caption(t("dash_inps_interval", low=signed(figures["inps_ci_low"]), high=signed(figures["inps_ci_high"])))
columns[2].metric(t("dept_customers"), int(figures["n_raters"]))
columns[3].metric(t("dash_n_responses"), int(figures["n"]))

left, right = st.columns(2)
with left:
    st.subheader(t("dept_loyalty_section"))
    st.plotly_chart(
        loyalty_bar(
            view.loyalty,
            texts={
                "detractors": t("dept_detractors"),
                "passives": t("dept_passives"),
                "promoters": t("dept_promoters"),
                "share": t("dept_share"),
            },
        ),
        width="stretch",
        config=CHART_CONFIG,
        key="department.loyalty",
    )
    st.subheader(t("dept_dimensions"))
    st.plotly_chart(
        dimension_bars(
            view.dimensions,
            texts={"provider": names.get(provider, provider), "org": t("dept_organisation"), "score": t("dept_score")},
        ),
        width="stretch",
        config=CHART_CONFIG,
        key="department.dimensions",
    )
with right:
    st.subheader(t("dept_customer_view"))
    org_mean = float(report.org["mean"].iloc[0])
    st.plotly_chart(
        customer_view_bars(
            view.customers,
            centre=org_mean,
            texts={"hidden": t("hidden"), "mean": t("mean_satisfaction"), "org": t("dept_organisation")},
        ),
        width="stretch",
        config=CHART_CONFIG,
        key="department.customers",
    )

st.subheader(t("dept_priorities"))
if view.priorities.empty:
    st.info(t("dash_empty_filtered"))
else:
    if view.priorities_from_org:
        st.caption(t("dept_priorities_org_note", n=MIN_DRIVER_N))
    fix_first = view.priorities.loc[view.priorities["quadrant"] == "fix_first", "label"]
    if len(fix_first):
        st.markdown("**" + t("dept_fix_first_list", dims=", ".join(fix_first)) + "**")
    st.plotly_chart(
        importance_performance(
            view.priorities,
            texts={
                "importance": t("dept_importance"),
                "performance": t("dept_performance"),
                "fix_first": t("dept_q_fix_first"),
                "keep_up": t("dept_q_keep_up"),
                "secondary": t("dept_q_secondary"),
                "possible_overkill": t("dept_q_overkill"),
            },
        ),
        width="stretch",
        config=CHART_CONFIG,
        key="department.priorities",
    )

st.subheader(t("dept_gap"))
if view.gaps.empty:
    st.caption(t("dept_gap_none"))
else:
    worst = view.gaps.loc[view.gaps["gap"].idxmax()]
    if worst["gap"] > 0:
        st.markdown("**" + t("dept_gap_largest", dim=worst["label"], gap=worst["gap"]) + "**")
    st.plotly_chart(
        perception_gap(
            view.gaps,
            texts={"self": t("dept_gap_self"), "customers": t("dept_gap_customers"), "score": t("dept_score")},
        ),
        width="stretch",
        config=CHART_CONFIG,
        key="department.gap",
    )

st.subheader(t("dept_trend"))
org_trend = history("organisation", relationship_type=filters.relationship_type)
series = trend_series(
    {
        t("trends_series_dept", dept=names.get(provider, provider)): trend,
        t("trends_series_org"): org_trend,
    },
    lang(),
)
show_trend(series, key="department.trend")

st.subheader(t("dept_comments"))
groups = comment_groups(report, None, provider)
if groups is None:
    st.caption(t("hotspots_comments_hidden", k=report.k_comments))
elif not groups:
    st.caption(t("hotspots_no_comments"))
else:
    st.caption(t("hotspots_comments_note"))
    for column, (question, texts) in zip(st.columns(len(groups)), groups.items(), strict=True):
        with column:
            st.markdown(f"*{t(f'hotspots_question_{question}')}*")
            with st.container(border=True, height=320):
                for text in texts:
                    st.text(text)  # people's words as plain text, never markup
how_to_read("dept_how_to_read")
