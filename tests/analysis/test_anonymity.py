"""Suppression by construction: group gates, totals from shown groups only, hidden vs no data.

Known answers are worked by hand in the comments; the property tests hold for any input.
"""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.anonymity import (
    HIDDEN_FIGURES,
    STATUS_HIDDEN,
    STATUS_NO_DATA,
    STATUS_SHOWN,
    comments_allowed,
    driver_sample,
    gate_moments,
    gate_scores,
    group_gates,
    matrix_status,
    participation_shown,
    published_stats,
    suppress_small_cells,
)
from analysis.cells import moments_from_scores, rollup


def _scores(rows: list[tuple]) -> pd.DataFrame:
    """Response-level scores: (rater, provider, satisfaction, recommend, dim_a, dim_b)."""
    frame = pd.DataFrame(rows, columns=["rater_dept", "provider_dept", "satisfaction", "recommend", "dim_a", "dim_b"])
    frame.insert(0, "wave_id", "W")
    frame["n_items"] = 2
    frame["n_favourable"] = 1
    return frame


def _cell(rater: str, provider: str, n: int, *, recommend: int | None = None, a: int | None = None) -> list[tuple]:
    """n people of one cell with satisfaction 50, 60, ...; the first `recommend` answer the recommend
    question (default all), the first `a` answer dimension a (default all); everyone answers b."""
    recommend = n if recommend is None else recommend
    a = n if a is None else a
    return [
        (rater, provider, 50.0 + 10 * i, 8.0 if i < recommend else np.nan, 40.0 if i < a else np.nan, 70.0)
        for i in range(n)
    ]


def test_gates_count_each_statistic_by_its_own_people():
    # X: 6 people, 5 skip dimension a (1 answers) and 2 skip recommend (4 answer): with k = 5 the
    # cell is shown, its loyalty and dimension a are hidden, dimension b is shown. Y: 4 people, hidden.
    scores = _scores(_cell("R", "X", 6, recommend=4, a=1) + _cell("R", "Y", 4))
    moments = moments_from_scores(scores, ["wave_id", "rater_dept", "provider_dept"])
    gates = group_gates(moments, 5)
    assert gates["shown"].tolist() == [True, False]
    assert gates["recommend"].tolist() == [False, False]
    assert gates["a"].tolist() == [False, False]
    assert gates["b"].tolist() == [True, False]
    assert gates[HIDDEN_FIGURES].tolist() == ["recommend,a", ""]


def test_totals_add_up_shown_groups_only():
    # k = 5. Provider P: cell A (6 people, satisfaction 50..100, mean 75) shown; cell B (2 people) hidden.
    # The provider total is cell A alone: n = 6, mean 75, not the 8 people of all cells.
    scores = _scores(_cell("A", "P", 6) + _cell("B", "P", 2))
    moments = moments_from_scores(scores, ["wave_id", "rater_dept", "provider_dept"])
    gated = gate_moments(moments, 5)
    cells = published_stats(moments, gated, 5)
    assert cells["suppressed"].tolist() == [False, True]
    assert np.isnan(cells.loc[1, "n"]) and np.isnan(cells.loc[1, "mean"])
    keys = ["wave_id", "provider_dept"]
    provider = published_stats(rollup(moments, keys), rollup(gated, keys), 5)
    assert provider["n"].tolist() == [6] and provider["mean"].tolist() == [75.0]
    # a rater whose only cell is hidden: its total is hidden too (no shown group), not "no data"
    keys = ["wave_id", "rater_dept"]
    raters = published_stats(rollup(moments, keys), rollup(gated, keys), 5)
    assert raters["suppressed"].tolist() == [False, True]


def test_a_hidden_loyalty_or_dimension_is_blank_in_the_cell_and_left_out_of_totals():
    # Cell A: 6 people, 1 answers recommend and dimension a. Cell B: 5 people, all answer.
    scores = _scores(_cell("A", "P", 6, recommend=1, a=1) + _cell("B", "P", 5))
    moments = moments_from_scores(scores, ["wave_id", "rater_dept", "provider_dept"])
    gated = gate_moments(moments, 5)
    cells = published_stats(moments, gated, 5)
    a = cells.iloc[0]
    assert not a["suppressed"] and a["n"] == 6
    assert np.isnan(a["inps"]) and np.isnan(a["n_recommend"]) and np.isnan(a["promoters"])
    assert np.isnan(a["dim_a"]) and a["dim_b"] == 70.0
    assert a[HIDDEN_FIGURES] == "recommend,a"
    keys = ["wave_id", "provider_dept"]
    provider = published_stats(rollup(moments, keys), rollup(gated, keys), 5).iloc[0]
    # loyalty of the provider: cell B's 5 people only (all passives: iNPS 0), not 6
    assert provider["n_recommend"] == 5 and provider["inps"] == 0.0
    assert provider["n"] == 11 and provider[HIDDEN_FIGURES] == ""


def test_gated_scores_keep_shown_groups_only():
    scores = _scores(_cell("A", "P", 6, recommend=1, a=1) + _cell("B", "P", 2))
    moments = moments_from_scores(scores, ["wave_id", "rater_dept", "provider_dept"])
    gates = pd.concat([moments[["rater_dept", "provider_dept"]], group_gates(moments, 5)], axis=1)
    gated = gate_scores(scores, gates)
    assert set(gated["rater_dept"]) == {"A"} and len(gated) == 6
    assert gated["recommend"].isna().all() and gated["dim_a"].isna().all()
    assert (gated["dim_b"] == 70.0).all()


def test_driver_sample_leaves_no_small_difference_between_complete_and_answered():
    # A: 6 people, 5 complete and 1 without dimension a: the 1 would be the difference between the
    # cell's dimension b (6) and the complete responses (5): the cell is left out of the drivers.
    # B: 10 people, 5 complete, 5 without a: differences of 0 and 5 are safe, B is used.
    rows = _cell("A", "P", 6, a=5) + _cell("B", "P", 10, a=5)
    gated = _scores(rows)
    sample = driver_sample(gated, ("a", "b"), 5)
    assert set(sample["rater_dept"]) == {"B"} and len(sample) == 5


def test_threshold_below_three_is_refused():
    with pytest.raises(ValueError, match="k must be"):
        suppress_small_cells(pd.DataFrame({"n": [5]}), 2)


def test_forced_hiding():
    cells = pd.DataFrame({"rater_dept": ["R"] * 3, "provider_dept": ["A", "B", "C"], "n": [10, 10, 2], "mean": 50.0})
    shown = suppress_small_cells(cells, 5, hide=pd.Series([False, True, False]))
    # B is hidden by request, C by its size; nothing else is hidden as a complement
    assert shown["suppressed"].tolist() == [False, True, True]
    assert shown["mean"].isna().tolist() == [False, True, True]


def test_hidden_and_no_data_are_distinct():
    cells = pd.DataFrame(
        {"rater_dept": ["R0", "R0", "R1"], "provider_dept": ["P0", "P1", "P0"], "n": [2, 10, 10], "mean": 50.0}
    )
    shown = suppress_small_cells(cells, 3)
    status = matrix_status(shown, ["R0", "R1"], ["P0", "P1"])
    assert status.loc["R0"].tolist() == [STATUS_HIDDEN, STATUS_SHOWN]
    assert status.loc["R1"].tolist() == [STATUS_SHOWN, STATUS_NO_DATA]


def test_comments_need_k_comments():
    assert comments_allowed(pd.Series([9, 10, np.nan]), 10).tolist() == [False, True, False]


def test_participation_hides_small_counts_and_enough_to_keep_the_total_safe():
    # k = 5: D (2) is hidden; the overall count is published, so the hidden ones must hold >= 5:
    # the smallest shown count, C (6), is hidden too (2 + 6 = 8). A has nobody: 0 is shown.
    table = pd.DataFrame(
        {"dept_code": ["A", "B", "C", "D"], "invited": 10, "responded": [0, 9, 6, 2], "rate": [0, 0.9, 0.6, 0.2]}
    )
    shown = participation_shown(table, 5)
    assert shown["suppressed"].tolist() == [False, False, True, True]
    assert shown["responded"].tolist()[:2] == [0, 9] and shown["responded"].isna().tolist()[2:] == [True, True]
    assert (shown["invited"] == 10).all()


@settings(max_examples=200, deadline=None)
@given(counts=st.lists(st.integers(0, 20), min_size=1, max_size=12), k=st.integers(3, 10))
def test_participation_never_leaves_a_small_hidden_remainder(counts, k):
    table = pd.DataFrame({"dept_code": [f"D{i}" for i in range(len(counts))], "invited": 30, "responded": counts})
    table["rate"] = table["responded"] / 30
    shown = participation_shown(table, k)
    visible = shown["responded"].dropna()
    assert ((visible == 0) | (visible >= k)).all()
    remainder = sum(counts) - visible.sum()
    # the overall count is always published: when every department is hidden it says only itself
    assert remainder == 0 or remainder >= k or visible.sum() == 0


@settings(max_examples=150, deadline=None)
@given(
    sizes=st.lists(st.tuples(st.integers(1, 12), st.integers(0, 12), st.integers(0, 12)), min_size=1, max_size=12),
    k=st.integers(3, 8),
)
def test_every_total_is_the_sum_of_its_shown_cells(sizes, k):
    """Whatever the cells: a total's n, loyalty count and dimension count are the sums over the shown
    groups of its cells, so a hidden group never enters a total."""
    rows = []
    for i, (n, rec, a) in enumerate(sizes):
        rows += _cell(f"R{i % 3}", f"P{i % 4}", n, recommend=min(rec, n), a=min(a, n))
    scores = _scores(rows)
    moments = moments_from_scores(scores, ["wave_id", "rater_dept", "provider_dept"])
    gated = gate_moments(moments, k)
    cells = published_stats(moments, gated, k)
    visible = cells[~cells["suppressed"]]
    assert (visible["n"] >= k).all()
    recommend = visible["n_recommend"]
    assert (recommend.isna() | (recommend == 0) | (recommend >= k)).all()
    keys = ["wave_id", "provider_dept"]
    totals = published_stats(rollup(moments, keys), rollup(gated, keys), k)
    for row in totals.itertuples():
        mine = visible[visible["provider_dept"] == row.provider_dept]
        if row.suppressed:
            assert mine.empty
            continue
        assert row.n == mine["n"].sum()
        assert (0 if np.isnan(row.n_recommend) else row.n_recommend) == mine["n_recommend"].fillna(0).sum()
        shown_a = mine["dim_a"].notna()
        if shown_a.any():
            assert row.dim_a == pytest.approx(40.0)
        else:
            assert np.isnan(row.dim_a)
