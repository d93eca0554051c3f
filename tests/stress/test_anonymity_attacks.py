"""Anonymity attacks: no table of a page or an export lets anyone work out a cell below the threshold,
not by subtracting shown cells from a shown total, not by comparing a filtered view (relationship
type, dimension) with the unfiltered one, and not by comparing two exported files.

The demo's latest closed wave has a planted small cell (Legal -> Marketing, 2 responses, k = 5) whose
complements sit in several relationship types, so every attack has something to find.
"""

import io
import shutil

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.anonymity import suppress_small_cells
from data.db import Database
from data.exports import export_bytes
from data.org import RELATIONSHIP_TYPES
from report.wave import build_wave_report

WAVE = "2026-Q4"


@pytest.fixture(scope="module")
def db(demo_db_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("anonymity") / "demo.duckdb"
    shutil.copy(demo_db_template, path)
    database = Database(path)
    yield database
    database.close()


@pytest.fixture(scope="module")
def reports(db):
    """The unfiltered report and one per relationship type and per (two) dimensions."""
    full = build_wave_report(db, WAVE)
    views = {("type", t): build_wave_report(db, WAVE, relationship_type=t) for t in RELATIONSHIP_TYPES}
    for dimension in full.dimensions[:2]:
        views[("dimension", dimension)] = build_wave_report(db, WAVE, dimension=dimension)
    return full, views


def _safe_difference(difference: float, k: int) -> bool:
    """A group worked out by difference is safe when it is empty or holds at least k responses."""
    return difference == 0 or difference >= k


def _shown(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[~frame["suppressed"].astype(bool)]


def _pairs(frame: pd.DataFrame) -> set:
    return set(zip(frame["rater_dept"], frame["provider_dept"], strict=True))


def _check_one_view(report) -> list[str]:
    """Leaks inside one report: small shown cells, totals minus shown cells, organisation minus totals."""
    k, leaks = report.k, []
    cells = report.cells
    if (_shown(cells)["n"] < k).any():
        leaks.append("a shown cell has n < k")
    if cells.loc[cells["suppressed"], ["n", "mean", "inps"]].notna().any().any():
        leaks.append("a hidden cell carries figures")
    for level, key in (("providers", "provider_dept"), ("raters", "rater_dept")):
        totals = getattr(report, level)
        for row in _shown(totals).itertuples():
            line = _shown(cells[cells[key] == getattr(row, key)])
            if not _safe_difference(row.n - line["n"].sum(), k):
                leaks.append(f"{level} {getattr(row, key)}: total - shown cells = {row.n - line['n'].sum()}")
        if len(_shown(report.org)):
            rest = float(report.org["n"].iloc[0]) - _shown(totals)["n"].sum()
            if not _safe_difference(rest, k):
                leaks.append(f"organisation - shown {level} = {rest}")
    return leaks


def test_no_view_reveals_a_small_cell_by_subtraction(reports):
    full, views = reports
    assert full.cells["suppressed"].any()  # the planted small cell is there to be attacked
    assert _check_one_view(full) == []
    for name, view in views.items():
        assert _check_one_view(view) == [], name


def test_filtered_views_compared_with_the_unfiltered_one_reveal_nothing(reports):
    full, views = reports
    k = full.k
    hidden_everywhere = _pairs(full.cells[full.cells["suppressed"]])
    full_cells = _shown(full.cells).set_index(["rater_dept", "provider_dept"])["n"]
    for name, view in views.items():
        assert not (hidden_everywhere & _pairs(_shown(view.cells))), f"{name} shows a cell hidden in the full matrix"
        if name[0] != "type":
            continue
        for row in _shown(view.cells).itertuples():
            assert full_cells[(row.rater_dept, row.provider_dept)] == row.n, name
        # a filtered total next to the unfiltered one gives the other types' responses as a group
        for level, key in (("providers", "provider_dept"), ("raters", "rater_dept")):
            both = _shown(getattr(full, level)).merge(_shown(getattr(view, level)), on=key, suffixes=("", "_f"))
            for row in both.itertuples():
                assert _safe_difference(row.n - row.n_f, k), (name, level, getattr(row, key), row.n - row.n_f)
        if len(_shown(full.org)) and len(_shown(view.org)):
            assert _safe_difference(float(full.org["n"].iloc[0] - view.org["n"].iloc[0]), k), name


def _csv(db, table: str, relationship_type=None) -> pd.DataFrame:
    raw = export_bytes(db, table, WAVE, "csv", actor="test", relationship_type=relationship_type)
    return pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig", keep_default_na=True)


def test_two_exports_compared_reveal_no_hidden_cell(db, reports):
    full, _ = reports
    k = full.k
    cells_all = _csv(db, "cells")
    hidden = _pairs(cells_all[cells_all["suppressed"]])
    assert hidden
    shown_n = _shown(cells_all).set_index(["rater_dept", "provider_dept"])["n"]
    responses_all = _csv(db, "responses")
    assert not (_pairs(responses_all) & hidden)
    for relationship_type in RELATIONSHIP_TYPES:
        cells = _csv(db, "cells", relationship_type)
        responses = _csv(db, "responses", relationship_type)
        # a cell hidden in the unfiltered files is hidden (or absent) in every filtered file too
        assert not (_pairs(_shown(cells)) & hidden), relationship_type
        assert not (_pairs(responses) & hidden), relationship_type
        per_cell = responses.groupby(["rater_dept", "provider_dept"]).size()
        for pair, n in per_cell.items():
            assert pair in shown_n.index and n >= k, (relationship_type, pair, n)
    # responses of a shown cell: the same in both files, so one file adds nothing to the other
    per_cell_all = responses_all.groupby(["rater_dept", "provider_dept"]).size()
    assert set(per_cell_all.index) <= set(shown_n.index)


def test_comments_leave_only_cells_over_the_comment_threshold(db, reports):
    full, _ = reports
    responses = _csv(db, "responses")
    with_comment = responses[responses["change"].notna() | responses["need"].notna()]
    sizes = full.cells.set_index(["rater_dept", "provider_dept"])["n"]
    for pair in _pairs(with_comment):
        assert sizes[pair] >= full.k_comments, pair
    for provider in full.cells["provider_dept"].unique():
        comments = full.comments(db, provider_dept=provider, seed=1)
        for pair in _pairs(comments):
            assert sizes[pair] >= full.k_comments, pair


@settings(max_examples=100, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 12), min_size=16, max_size=16),
    k=st.integers(3, 6),
)
def test_suppression_of_any_matrix_leaves_nothing_to_subtract(sizes, k):
    # 4 x 4 departments with any cell sizes (0 = no responses, the cell is absent)
    depts = ["A", "B", "C", "D"]
    rows = [(r, p, n) for (r, p), n in zip([(r, p) for r in depts for p in depts], sizes, strict=True) if n > 0]
    if not rows:
        return
    cells = pd.DataFrame(rows, columns=["rater_dept", "provider_dept", "n"]).assign(wave_id="w")
    out = suppress_small_cells(cells, k)
    shown = out[~out["suppressed"]]
    assert (shown["n"] >= k).all()
    for key in ("rater_dept", "provider_dept"):
        # the totals a page shows beside the matrix, suppressed the same way (one line of totals)
        totals = suppress_small_cells(cells.groupby(key, as_index=False)["n"].sum().assign(wave_id="w"), k)
        for dept, total in _shown(totals).set_index(key)["n"].items():
            rest = total - shown.loc[shown[key] == dept, "n"].sum()
            assert rest == 0 or rest >= k, (key, dept, rest)
        organisation = cells["n"].sum()
        if organisation >= k:
            rest = organisation - _shown(totals)["n"].sum()
            assert rest == 0 or rest >= k, (key, "organisation", rest)
    assert np.isnan(out.loc[out["suppressed"], "n"]).all()
