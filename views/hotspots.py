"""Hotspots: the ranked pairs where collaboration breaks, and one pair in depth."""

import streamlit as st

from ui import context
from ui.access import DASHBOARD_ROLES, require_role
from ui.charts.bars import pair_directions
from ui.charts.style import CHART_CONFIG
from ui.frame import lang, md_escape, t
from ui.results import departments, history, wave_report, waves
from ui.scope import require_pair
from ui.view_models import (
    comment_groups,
    flag_explained,
    hotspot_pairs,
    hotspot_table,
    pair_dimensions,
    pair_summary,
    trend_series,
)
from ui.widgets import hotspot_pair_list, how_to_read, show_trend, start_plan_button, wave_filters, worded_select

require_role(*DASHBOARD_ROLES)
st.title(t("hotspots_title"))
st.caption(t("hotspots_intro"))
focus = st.session_state.pop("hotspots.focus", None)  # a pair sent from another page ("open this pair")
# ?pair=RATER~PROVIDER opens that pair (a shared link, a reload), taken once: the address then names
# the pair shown, and a choice below changes it
asked = st.query_params.get(context.PAIR)
if not focus and asked and asked != st.session_state.get("hotspots.url"):
    st.session_state["hotspots.url"] = asked
    focus = context.parse_pair(asked, set(departments()["code"]))
    if focus is None:
        del st.query_params[context.PAIR]
        st.warning(t("hotspots_bad_pair"))  # nothing typed in the address is echoed
if focus and len(focus) == 2:
    require_pair(*focus)  # a department head: its own pairs only, also through the address
filters = wave_filters("hotspots", compare=False)
report = wave_report(filters.wave.wave_id, filters.relationship_type, None)
names = report.names(lang())
compared = {w.wave_id: w for w in waves()}.get(report.previous_wave_id)
st.caption(t("hotspots_compared_with", wave=compared.name(lang())) if compared else t("hotspots_no_comparison"))

if report.cells.empty:
    st.info(t("dash_empty_filtered"))
    st.stop()
if report.cells["suppressed"].all():
    st.info(t("empty_all_hidden"))
    st.stop()

pairs = hotspot_pairs(report, lang())
if pairs.empty:
    st.success(t("dash_no_hotspots"))
else:
    hotspot_pair_list(pairs, key="hotspots-pair")

# ---- one pair in depth: the hotspots, plus the pair opened from the Overview heatmap
options = [f"{a}|{b}" for a, b in zip(pairs["first"], pairs["second"], strict=True)]
if focus and len(focus) == 2:
    key = f"{focus[0]}|{focus[1]}"
    mirror = f"{focus[1]}|{focus[0]}"
    if mirror in options:  # the pair is listed: open it in the direction that was clicked
        options[options.index(mirror)] = key
    elif key not in options:
        options.insert(0, key)
    st.session_state["hotspots.pick"] = key
if not options:
    how_to_read("hotspots_how_to_read")
    st.stop()


def _pair_label(option: str) -> str:
    rater, provider = option.split("|")
    return t("dash_pair_arrow", rater=names.get(rater, rater), provider=names.get(provider, provider))


def _both_label(option: str) -> str:
    a, b = option.split("|")
    return t("dash_pair_both", a=names.get(a, a), b=names.get(b, b))


choice = worded_select(t("hotspots_pick"), options, {o: _both_label(o) for o in options}, "hotspots.pick")
rater, provider = choice.split("|")
# the address names the pair shown: a link to share, and a reload opens the same pair
st.query_params[context.PAIR] = st.session_state["hotspots.url"] = context.pair_value(rater, provider)
start_plan_button("hotspots", t("actions_start_link"), {"a": rater, "b": provider, "wave": report.wave_id})

st.subheader(t("hotspots_both_directions"))
directions = [(rater, provider), (provider, rater)]
hot = hotspot_table(report, lang())
for column, summary, (a, b) in zip(
    st.columns(2), pair_summary(report, rater, provider, lang()), directions, strict=True
):
    with column:
        st.metric(md_escape(summary["label"]), summary["value"], help=summary["help"])  # names as typed
        if summary["value"] == "—":
            st.caption(summary["help"])  # why there is no figure: no responses, or hidden
        row = hot[(hot["rater_dept"] == a) & (hot["provider_dept"] == b)]
        if len(row):
            st.markdown(flag_explained(row["flags"].iloc[0]))
            st.markdown(md_escape(row["reason"].iloc[0]))  # the reason names departments

dims = pair_dimensions(report, rater, provider, lang())
if dims[["forward", "backward"]].notna().any().any():
    st.markdown(f"**{t('hotspots_by_dimension')}**")
    st.plotly_chart(
        pair_directions(
            dims,
            texts={
                "forward": _pair_label(f"{rater}|{provider}"),
                "backward": _pair_label(f"{provider}|{rater}"),
                "score": t("dept_score"),
            },
        ),
        width="stretch",
        config=CHART_CONFIG,
        key="hotspots.dimensions",
    )

st.subheader(t("hotspots_trend"))
trend = trend_series(
    {
        _pair_label(f"{a}|{b}"): history(
            "cell", rater_dept=a, provider_dept=b, relationship_type=filters.relationship_type
        )
        for a, b in directions
    },
    lang(),
)
show_trend(trend, key="hotspots.trend")

st.subheader(t("hotspots_comments"))
st.caption(t("hotspots_comments_note"))
for column, (a, b) in zip(st.columns(2), directions, strict=True):
    with column:
        st.markdown(f"**{md_escape(_pair_label(f'{a}|{b}'))}**")
        groups = comment_groups(report, a, b)
        if not ((report.cells["rater_dept"] == a) & (report.cells["provider_dept"] == b)).any():
            st.caption(t("dash_direction_no_data"))
        elif groups is None:
            st.caption(t("hotspots_comments_hidden", k=report.k_comments))
        elif not groups:
            st.caption(t("hotspots_no_comments"))
        for question, texts in (groups or {}).items():
            st.markdown(f"*{t(f'hotspots_question_{question}')}*")
            with st.container(border=True, height=min(60 + 34 * len(texts), 320)):
                for text in texts:
                    st.text(text)  # people's words as plain text, never markup
how_to_read("hotspots_how_to_read")
