"""Widgets the results pages share: the sidebar filters, the collecting-wave notice, the trend chart
and the "how to read this" expander."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from data.aggregates import RELATIONSHIP_TYPES
from data.waves import Wave
from ui.charts.trends import trend_lines
from ui.frame import lang, t
from ui.results import department_names, dimension_labels, wave_report, waves, waves_with_responses


def show_trend(series: pd.DataFrame, key: str) -> None:
    """Draw waves over time (a `trend_series` frame), or say that one wave is not yet a trend."""
    if series["wave"].nunique() < 2:
        st.info(t("trends_one_wave"))
        return
    texts = {"mean": t("mean_satisfaction"), "wave": t("trends_wave_axis"), "significant": t("trends_significant")}
    st.plotly_chart(trend_lines(series, texts=texts), width="stretch", key=key)


@dataclass(frozen=True)
class Filters:
    """What the person chose: the wave, the wave to compare with, a relationship type, a dimension."""

    wave: Wave
    compare: Wave | None
    relationship_type: str | None
    dimension: str | None


def wave_filters(page: str, *, compare: bool = True, relationship: bool = True, dimension: bool = False) -> Filters:
    """Draw the dashboards' filters in the sidebar and return the choice.

    Stops the page with the empty state when there is no wave, or no wave with responses. The
    widget keys are namespaced by `page` ("<page>.wave", ...), so each page keeps its own choice.
    """
    all_waves = waves()
    if not all_waves:
        st.info(t("empty_no_wave"))
        st.stop()
    with_data = waves_with_responses()
    if not with_data:
        st.info(t("empty_no_responses"))
        st.stop()
    by_id = {w.wave_id: w for w in all_waves}
    options = list(reversed(with_data))
    # The newest wave with published results first: a wave still collecting answers shows only how
    # many have answered (docs/methodology.md, "Anonymity").
    published = [w for w in options if by_id[w].status != "open"]
    with st.sidebar:
        st.subheader(t("dash_filters"))
        wave_id = st.selectbox(
            t("wave"),
            options=options,
            index=options.index(published[0]) if published else 0,
            format_func=lambda w: by_id[w].name(lang()),
            key=f"{page}.wave",
        )
        compare_wave = None
        if compare:
            earlier = [w for w in published if by_id[w].opens_on < by_id[wave_id].opens_on]
            compare_id = st.selectbox(
                t("dash_compare_wave"),
                options=[*earlier, ""],
                format_func=lambda w: by_id[w].name(lang()) if w else t("dash_compare_none"),
                key=f"{page}.compare",
            )
            compare_wave = by_id.get(compare_id) if compare_id else None
        rtype = None
        if relationship:
            rtype = st.selectbox(
                t("dash_relationship_type"),
                options=["", *RELATIONSHIP_TYPES],
                format_func=lambda r: t(f"dash_rtype_{r}") if r else t("dash_rtype_all"),
                key=f"{page}.rtype",
            )
        dim = None
        if dimension:
            labels = dimension_labels(wave_id)
            dim = st.selectbox(
                t("dash_dimension"),
                options=["", *labels],
                format_func=lambda d: labels[d][lang()] if d else t("dash_dimension_all"),
                key=f"{page}.dimension",
            )
    if by_id[wave_id].status == "open":
        collecting_notice(by_id[wave_id])
        st.stop()
    return Filters(by_id[wave_id], compare_wave, rtype or None, dim or None)


def collecting_notice(wave: Wave) -> None:
    """What a results page shows for a wave that is still collecting answers: how many people have
    answered, overall and per department where at least k have, and when results appear."""
    report = wave_report(wave.wave_id)
    st.info(
        t(
            "results_collecting",
            wave=wave.name(lang()),
            responded=report.responded_total,
            invited=report.invited_total,
            closes=wave.closes_on,
            k=report.k,
        )
    )
    part = report.participation
    shown = part[~part["suppressed"].astype(bool) & (part["responded"].fillna(0) > 0)]
    if len(shown):
        names = department_names(lang())
        st.dataframe(
            pd.DataFrame(
                {
                    t("dash_department"): [names.get(c, c) for c in shown["dept_code"]],
                    t("results_collecting_answered"): shown["responded"].astype(int).to_numpy(),
                    t("results_collecting_invited"): shown["invited"].astype(int).to_numpy(),
                }
            ),
            hide_index=True,
            key="results.collecting",
        )


def how_to_read(key: str) -> None:
    """The short "how to read this" of a page, with the pointer to docs/methodology.md."""
    with st.expander(t("how_to_read")):
        st.write(t(key))
        st.caption(t("methodology_link"))


def start_plan_button(page: str, label: str, pair: dict[str, str]) -> None:
    """A button that opens the Actions page with a new plan for `pair` (query: a, b, wave) filled in.
    A button that switches page, not a link: a link needs the page registered by st.navigation,
    which a page run on its own (AppTest) has not. Shown only to whom may create a plan."""
    from services.actions import may
    from ui.access import current_user

    if not may(current_user(), "create"):
        return
    if st.button(label, icon=":material/handshake:", key=f"{page}.start_plan"):
        st.switch_page("views/actions.py", query_params=pair)
