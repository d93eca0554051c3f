"""Cached reads of survey results for the pages: data/ -> analysis/ (compute, suppress).

Everything a results page shows comes through here, so every figure has passed
`suppress_small_cells`. Results are cached with a ttl and cleared by `clear_results()` whenever
new data is written (submissions, imports, wave changes).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analysis.anonymity import suppress_small_cells
from analysis.cells import cell_stats, org_stats
from data.org import list_departments
from data.responses import response_scores
from data.waves import Wave, get_wave, list_waves
from ui.frame import db

RESULTS_TTL = 600


def clear_results() -> None:
    """Forget every cached result; call after any write that changes what pages show."""
    st.cache_data.clear()


@st.cache_data(ttl=RESULTS_TTL, show_spinner=False)
def departments() -> pd.DataFrame:
    """Departments: code, name_en, name_zh, parent_code, active."""
    return list_departments(db())


def department_names(lang: str) -> dict[str, str]:
    """Department code -> name in `lang`."""
    frame = departments()
    column = "name_zh" if lang == "zh" else "name_en"
    return dict(zip(frame["code"], frame[column], strict=True))


@st.cache_data(ttl=RESULTS_TTL, show_spinner=False)
def waves_with_responses() -> list[str]:
    """Ids of waves that have at least one response, oldest first."""
    ids = [w.wave_id for w in list_waves(db())]
    counts = response_scores(db(), ids).groupby("wave_id").size() if ids else pd.Series(dtype=int)
    return [w for w in ids if counts.get(w, 0) > 0]


@st.cache_data(ttl=RESULTS_TTL, show_spinner=False)
def wave_cells(wave_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(suppressed cells, organisation figures) of one wave, with the wave's threshold applied."""
    wave = get_wave(db(), wave_id)
    scores = response_scores(db(), [wave_id])
    cells = suppress_small_cells(cell_stats(scores), wave.k_min)
    return cells, org_stats(scores)


@st.cache_data(ttl=RESULTS_TTL, show_spinner=False)
def waves() -> list[Wave]:
    """Every wave, oldest first."""
    return list_waves(db())
