"""Widgets the pages share: the sidebar filters, the collecting-wave notice, the trend chart and the
"how to read this" expander of the results pages; the encoding choice and the template download of
the upload pages."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from data.aggregates import RELATIONSHIP_TYPES
from data.uploads import ENCODINGS, TEMPLATES, template_bytes
from data.waves import Wave
from ui import context
from ui.charts.style import CHART_CONFIG
from ui.charts.trends import trend_lines
from ui.frame import db, lang, md_escape, t
from ui.results import department_names, dimension_labels, wave_report, waves, waves_with_responses
from ui.view_models import flag_explained, severity_band


def show_trend(series: pd.DataFrame, key: str) -> None:
    """Draw waves over time (a `trend_series` frame), or say that one wave is not yet a trend."""
    if series["wave"].nunique() < 2:
        st.info(t("trends_one_wave"))
        return
    texts = {"mean": t("mean_satisfaction"), "wave": t("trends_wave_axis"), "significant": t("trends_significant")}
    st.plotly_chart(trend_lines(series, texts=texts), width="stretch", config=CHART_CONFIG, key=key)


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


def worded_select(
    label: str, options: list[str], labels: dict[str, str], key: str, *, default: str | None = None
) -> str | None:
    """A select whose options are shown as `labels` (worded in this run's language) and whose choice
    is kept in session state under `key` (a page may set it, e.g. from a link), across a change of
    language; `default` (else the first option) when the kept choice is not offered. Returns the choice.

    The widget's own key carries the language: Streamlit keeps a choice by its shown label, so a
    widget keyed without it went on showing the English names after a switch to Chinese. The labels
    are worded before the widget, not by `t()` inside the format function (see `encoding_select`)."""
    widget = f"{key}.{lang()}"
    kept = st.session_state.get(key)
    if kept not in options:
        kept = default if default in options else next(iter(options), None)
    if kept is not None:
        st.session_state[widget] = kept  # the kept choice, in this language's widget
    chosen = st.selectbox(
        label, options=options, format_func=labels.__getitem__, key=widget, on_change=_keep, args=(widget, key)
    )
    st.session_state[key] = chosen
    return chosen


def _keep(widget: str, key: str) -> None:
    st.session_state[key] = st.session_state[widget]


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
    """The short "how to read this" of a page, with a way to the Methodology page (every definition)."""
    with st.expander(t("how_to_read")):
        st.write(t(key))
        if st.button(t("methodology_link"), key=f"{key}.methodology", icon=":material/menu_book:", type="tertiary"):
            st.switch_page("views/methodology.py")


def encoding_select(key: str) -> str | None:
    """The file's encoding as the person chooses it (data.uploads.ENCODINGS), None: detect it (the
    default; the choice is for a file whose text is right but refused as mangled)."""
    # "auto", not None, as the first option: a selectbox shows None as an empty choice. The labels
    # are worded now, in this run's language (a format function may be called outside the run).
    labels = {"auto": t("upload_encoding_auto"), **ENCODINGS}
    chosen = st.selectbox(
        t("upload_encoding"),
        options=list(labels),
        format_func=labels.__getitem__,
        help=t("upload_encoding_help"),
        key=key,
    )
    return None if chosen == "auto" else chosen


def template_download(kind: str, key: str) -> None:
    """A button that downloads the template of one import (docs/examples, data.uploads.TEMPLATES)."""
    st.download_button(
        t("upload_template", file=TEMPLATES[kind]),
        data=template_bytes(kind),
        file_name=TEMPLATES[kind],
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        key=key,
    )


def hotspot_pair_list(pairs: pd.DataFrame, key: str) -> None:
    """Hotspots once per pair (a `hotspot_pairs` frame), ranked, each with both directions side by
    side (stacked on a phone): flags with their meaning and the whole reason, never cut short."""
    st.caption(t("dash_severity_scale"))
    for rank, row in enumerate(pairs.itertuples(), start=1):
        with st.container(border=True, key=f"{key}-{rank}"):
            band = t(f"dash_severity_{severity_band(row.severity)}")
            severity = t("dash_severity_value", value=f"{row.severity:.0f}", band=band)
            st.markdown(f"**{rank}. {md_escape(row.pair)}** · {severity}")
            for column, side in zip(st.columns(2), ("forward", "backward"), strict=True):
                with column:
                    _direction(row._asdict(), side)


def _direction(row: dict, side: str) -> None:
    label, state = md_escape(row[f"{side}_label"]), row[f"{side}_state"]
    if state == "shown":
        st.markdown(f"**{label}** · {t('dash_mean')} {row[f'{side}_mean']:.0f}")
    else:
        st.markdown(f"**{label}**")
        st.caption(t("dash_direction_hidden" if state == "hidden" else "dash_direction_no_data"))
        return
    if row[f"{side}_flags"]:
        st.markdown(flag_explained(row[f"{side}_flags"]))  # our own words, no names
        st.markdown(md_escape(row[f"{side}_reason"]))  # the reason names departments
    else:
        st.caption(t("dash_direction_no_flag"))


PHONE_WIDTH = 640  # px: below this, a page shows its phone rendering (issue 20: 390 px phones)


def wide_and_phone(key: str):
    """Two containers, one drawn on screens at least PHONE_WIDTH wide and one below (Streamlit
    cannot tell the width server-side, so both are sent and a CSS media query on their keyed
    classes, .st-key-<key>-wide and .st-key-<key>-phone, shows one). Returns (wide, phone)."""
    st.html(
        "<style>"
        f"@media (max-width: {PHONE_WIDTH - 0.02}px) {{ .st-key-{key}-wide {{ display: none !important; }} }}"
        f"@media (min-width: {PHONE_WIDTH}px) {{ .st-key-{key}-phone {{ display: none !important; }} }}"
        "</style>"
    )
    return st.container(key=f"{key}-wide"), st.container(key=f"{key}-phone")


def pair_ranking_list(ranking: pd.DataFrame, limit: int = 15) -> None:
    """The heatmap as a phone reads it: the pairs with the lowest shown direction first (a
    `pair_ranking` frame), both directions on one line, hidden ones saying only "hidden"."""
    st.caption(t("overview_phone_ranking", shown=min(limit, len(ranking)), total=len(ranking)))
    lines = []
    for rank, row in enumerate(ranking.head(limit).itertuples(), start=1):
        sides = []
        for side in ("forward", "backward"):
            state = getattr(row, f"{side}_state")
            value = (
                f"{getattr(row, f'{side}_mean'):.0f}"
                if state == "shown"
                else t("hidden" if state == "hidden" else "no_data")
            )
            sides.append(f"{md_escape(getattr(row, f'{side}_label'))}: **{value}**")
        lines.append(f"{rank}. **{md_escape(row.pair)}**  \n   " + "  \n   ".join(sides))  # a line per direction
    st.markdown("\n".join(lines))


def start_plan_button(page: str, label: str, pair: dict[str, str]) -> None:
    """A button that opens the Actions page with a new plan for `pair` (query: a, b, wave) filled in.
    A button that switches page, not a link: a link needs the page registered by st.navigation,
    which a page run on its own (AppTest) has not. Shown only to whom may create a plan."""
    from services.actions import may, with_scope
    from ui.access import current_user

    if not may(with_scope(db(), current_user()), "create", {"dept_a": pair.get("a"), "dept_b": pair.get("b")}):
        return
    if st.button(label, icon=":material/handshake:", key=f"{page}.start_plan"):
        st.switch_page("views/actions.py", query_params=pair)
