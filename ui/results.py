"""Cached reads of survey results for the pages: the one cache of the wave report and what goes with it.

Everything a results page shows comes through here, from `report.build_wave_report` (which has
passed every figure through `suppress_small_cells`). Results are cached with a ttl and keyed by the
wave they describe and its data version (`services.versions.data_version`): a write calls
`services.versions.changed(wave_id)` (or `changed()` for the organisation), and only the results
it made stale miss the cache; a submission in one wave leaves every other wave's report in place.

Each public accessor reads the version and passes it, with plain values (wave ids, codes) that
st.cache_data can hash, to a cached function, so the version is part of the cache key; the
database comes from `ui.frame.db()` inside. What the pages make of these results is in
ui/view_models.py, the widgets they share in ui/widgets.py.

A department head's scope (ui/scope.py) is applied here, to every result handed to a page, after
the cache: the cache holds the organisation's results once, and each run filters them for the
signed-in account (a figure built inside the cache, the heatmap, has the scope in its key).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from data.org import list_departments, names_by_code
from data.responses import response_count
from data.waves import Wave, get_wave, list_waves, survey_for_version
from report.wave import WaveReport, build_history, build_wave_report, wave_comments
from services.versions import data_version
from settings import settings
from ui.charts.heatmap import satisfaction_heatmap, significant_cells
from ui.frame import db
from ui.i18n import translate
from ui.scope import Scope, current_scope, history_allowed, scoped_comments, scoped_report

RESULTS_TTL = settings().results_ttl  # ICSAT_RESULTS_TTL, seconds


def every_wave_version() -> tuple:
    """A key that changes whenever any wave's data (or the organisation's) has been written."""
    return (data_version(), tuple((w.wave_id, data_version(w.wave_id)) for w in waves()))


def departments() -> pd.DataFrame:
    """Departments: code, name_en, name_zh, parent_code, active."""
    return _departments(data_version())


@st.cache_data(ttl=RESULTS_TTL, show_spinner=False)
def _departments(version: tuple[int, ...]) -> pd.DataFrame:
    return list_departments(db())


def department_names(lang: str) -> dict[str, str]:
    """Department code -> name in `lang`."""
    return names_by_code(departments(), lang)


def waves_with_responses() -> list[str]:
    """Ids of waves that have at least one response, oldest first."""
    return _waves_with_responses(every_wave_version())


@st.cache_data(ttl=RESULTS_TTL, show_spinner=False)
def _waves_with_responses(version: tuple) -> list[str]:
    return [w.wave_id for w in list_waves(db()) if response_count(db(), w.wave_id) > 0]


def waves() -> list[Wave]:
    """Every wave, oldest first."""
    return _waves(data_version())


@st.cache_data(ttl=RESULTS_TTL, show_spinner=False)
def _waves(version: tuple[int, ...]) -> list[Wave]:
    return list_waves(db())


def wave_report(wave_id: str, relationship_type: str | None = None, dimension: str | None = None) -> WaveReport:
    """The suppressed report of one wave (see `report.wave.WaveReport` for every table), with only
    what the signed-in account's department scope may see (ui/scope.py)."""
    return scoped_report(_wave_report(wave_id, relationship_type, dimension, data_version(wave_id)), current_scope())


@st.cache_data(ttl=RESULTS_TTL, show_spinner=False)
def _wave_report(
    wave_id: str, relationship_type: str | None, dimension: str | None, version: tuple[int, ...]
) -> WaveReport:
    return build_wave_report(db(), wave_id, relationship_type=relationship_type, dimension=dimension)


def dimension_labels(wave_id: str) -> dict[str, dict[str, str]]:
    """Dimension id -> {"en": label, "zh": label} of the wave's survey, in questionnaire order (the
    survey, not the answers: a submission leaves it cached)."""
    return _dimension_labels(wave_id, data_version())


@st.cache_data(ttl=RESULTS_TTL, show_spinner=False)
def _dimension_labels(wave_id: str, version: tuple[int, ...]) -> dict[str, dict[str, str]]:
    wave = get_wave(db(), wave_id)
    survey = survey_for_version(db(), wave.survey_version)
    return {d.id: {"en": d.label.en, "zh": d.label.zh} for d in survey.dimensions}


def pair_comments(
    wave_id: str, rater_dept: str | None, provider_dept: str | None, relationship_type: str | None = None
) -> pd.DataFrame:
    """Comments of one cell or one provider in one wave, in random order, without dates; only those the
    comment threshold allows (see `report.wave.wave_comments`) and the account's scope may see.
    Columns: question, text and more."""
    comments = _pair_comments(wave_id, rater_dept, provider_dept, relationship_type, data_version(wave_id))
    return scoped_comments(comments, current_scope())


@st.cache_data(ttl=RESULTS_TTL, show_spinner=False)
def _pair_comments(
    wave_id: str,
    rater_dept: str | None,
    provider_dept: str | None,
    relationship_type: str | None,
    version: tuple[int, ...],
) -> pd.DataFrame:
    return wave_comments(
        db(), wave_id, rater_dept=rater_dept, provider_dept=provider_dept, relationship_type=relationship_type
    )


def history(
    level: str,
    *,
    rater_dept: str | None = None,
    provider_dept: str | None = None,
    relationship_type: str | None = None,
    dimension: str | None = None,
) -> pd.DataFrame:
    """One figure over every wave, suppressed, with the Welch test against the wave before
    (`report.wave.build_history`: wave_id, n, mean, ci_low, ci_high, change, p_value, significant,
    suppressed and more). `level`: "organisation", "provider", "rater" or "cell". Empty when the
    account's department scope may not see it."""
    found = _history(level, rater_dept, provider_dept, relationship_type, dimension, every_wave_version())
    return found if history_allowed(level, rater_dept, provider_dept, current_scope()) else found.iloc[0:0]


@st.cache_data(ttl=RESULTS_TTL, show_spinner=False)
def _history(
    level: str,
    rater_dept: str | None,
    provider_dept: str | None,
    relationship_type: str | None,
    dimension: str | None,
    version: tuple,
) -> pd.DataFrame:
    return build_history(
        db(),
        level=level,
        rater_dept=rater_dept,
        provider_dept=provider_dept,
        relationship_type=relationship_type,
        dimension=dimension,
    )


def overview_heatmap(
    wave_id: str, relationship_type: str | None, dimension: str | None, lang: str, centre: float
) -> dict:
    """The Overview heatmap of one wave and filter in `lang`, cached: on a large organisation
    building the figure costs more than reading the cached report, and every rerun needs it. A
    scoped account's heatmap has only its pairs, and only the departments they involve as rows and
    columns (the scope is part of the cache key)."""
    scope = current_scope()
    key = tuple(sorted(scope)) if scope is not None else None
    return _overview_heatmap(wave_id, relationship_type, dimension, lang, centre, key, data_version(wave_id))


@st.cache_data(ttl=RESULTS_TTL, show_spinner=False)
def _overview_heatmap(
    wave_id: str,
    relationship_type: str | None,
    dimension: str | None,
    lang: str,
    centre: float,
    scope: tuple[str, ...] | None,
    version: tuple[int, ...],
) -> dict:
    scoped: Scope = frozenset(scope) if scope is not None else None
    report = scoped_report(_wave_report(wave_id, relationship_type, dimension, version), scoped)
    frame = departments()
    codes = list(frame.loc[frame["active"], "code"])
    if scoped is not None:
        involved = scoped | set(report.cells["rater_dept"]) | set(report.cells["provider_dept"])
        codes = [code for code in codes if code in involved]
    figure = satisfaction_heatmap(
        report.cells,
        codes,
        report.names(lang),
        centre=centre,
        marked=significant_cells(report.cells, centre),
        parents={c: (p if pd.notna(p) else None) for c, p in zip(frame["code"], frame["parent_code"], strict=True)},
        texts={
            "hidden": translate("hidden", lang),
            "no_data": translate("no_data", lang),
            "hover": translate("hover_cell", lang),
            "mean": translate("mean_satisfaction", lang),
            "x_title": translate("provider_dept", lang),
            "y_title": translate("rater_dept", lang),
            "significant": translate("dash_significant_ring", lang),
        },
    ).to_dict()  # cached as a plain dict: a cached Figure object lost click selection in Chromium
    return figure


def network_figure(
    wave_id: str, relationship_type: str | None, dimension: str | None, lang: str, centre: float
) -> dict:
    """The Network's graph of one wave and filter in `lang` (the arrows `network_edges` draws around
    `centre`), cached like the Overview heatmap: building its annotations costs most of a rerun on a
    large organisation. A scoped account's graph has only its pairs (the scope is in the key)."""
    scope = current_scope()
    key = tuple(sorted(scope)) if scope is not None else None
    return _network_figure(wave_id, relationship_type, dimension, lang, centre, key, data_version(wave_id))


@st.cache_data(ttl=RESULTS_TTL, show_spinner=False)
def _network_figure(
    wave_id: str,
    relationship_type: str | None,
    dimension: str | None,
    lang: str,
    centre: float,
    scope: tuple[str, ...] | None,
    version: tuple[int, ...],
) -> dict:
    from ui.charts.network import network_graph, network_layout
    from ui.view_models import incoming_counts, network_edges  # imported here: they read through this module

    scoped: Scope = frozenset(scope) if scope is not None else None
    report = scoped_report(_wave_report(wave_id, relationship_type, dimension, version), scoped)
    edges = network_edges(report, centre, lang)
    involved = set(edges["rater_dept"]) | set(edges["provider_dept"])
    units = departments()
    units = units[units["active"] | units["code"].isin(involved)]
    providers = report.providers[~report.providers["suppressed"].astype(bool)]
    return network_graph(
        edges,
        network_layout(units),
        report.names(lang),
        centre=centre,
        weak_incoming=incoming_counts(edges),
        node_means=providers.set_index("provider_dept")["mean"],
        texts={
            "mean": translate("mean_satisfaction", lang),
            "hidden": translate("hidden", lang),
            "hover": translate("hover_cell", lang),
            "weak": translate("network_weak", lang, count="{count}"),
            "interaction": translate("network_interaction", lang),
        },
    ).to_dict()  # a plain dict, as the heatmap (a cached Figure object lost click selection in Chromium)
