"""Widgets the results pages share: the sidebar filters, the collecting-wave notice, the trend chart
and the "how to read this" expander."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from data.aggregates import RELATIONSHIP_TYPES
from data.waves import Wave
from ui import context
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
    """Draw the dashboards' filters in the sidebar and return the choice: the session's one survey
    context (ui/context.py), the same on every results page and kept in the address.

    Stops the page with the empty state when there is no wave, or no wave with responses, and with
    the collecting notice when the chosen wave is still open. `page` names the widgets' keys.
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
    chosen = context.current(by_id, with_data, dimension=dimension)
    for notice in chosen.notices:
        st.caption(t(notice, wave=by_id[chosen.wave_id].name(lang())))
    with st.sidebar:
        st.subheader(t("dash_filters"))
        wave_id = _context_box(
            page,
            "wave",
            t("wave"),
            list(reversed(with_data)),  # newest first, a wave still collecting answers too
            chosen.wave_id,
            lambda w: by_id[w].name(lang()),
        )
        compare_wave = None
        if compare:
            compare_id = _context_box(
                page,
                "compare",
                t("dash_compare_wave"),
                [*context.comparisons(by_id, with_data, wave_id), ""],
                chosen.compare_id or "",
                lambda w: by_id[w].name(lang()) if w else t("dash_compare_none"),
            )
            compare_wave = by_id.get(compare_id) if compare_id else None
        rtype = None
        if relationship:
            rtype = _context_box(
                page,
                "type",
                t("dash_relationship_type"),
                ["", *RELATIONSHIP_TYPES],
                chosen.relationship_type or "",
                lambda r: t(f"dash_rtype_{r}") if r else t("dash_rtype_all"),
            )
        dim = None
        if dimension:
            labels = dimension_labels(wave_id)
            dim = _context_box(
                page,
                "dimension",
                t("dash_dimension"),
                ["", *labels],
                chosen.dimension or "",
                lambda d: labels[d][lang()] if d else t("dash_dimension_all"),
            )
    if by_id[wave_id].status == "open":
        collecting_notice(by_id[wave_id])
        st.stop()
    return Filters(by_id[wave_id], compare_wave, rtype or None, dim or None)


def _context_box(page: str, name: str, label: str, options: list[str], value: str, format_func) -> str:
    """A sidebar select showing the context's `value`; a choice goes to the context at once.

    The key carries the language, because Streamlit matches a kept choice by its shown label."""
    key = f"{page}.{name}.{lang()}"
    st.session_state[key] = value  # the context decides, also after a choice made on another page
    return st.selectbox(
        label,
        options=options,
        format_func=format_func,
        key=key,
        on_change=_changed,
        args=(name, key),
    )


def _changed(name: str, key: str) -> None:
    context.change(name, st.session_state[key])


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
