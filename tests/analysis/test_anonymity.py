"""Suppression: the threshold, complementary suppression, totals, and the invariants for any input."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.anonymity import (
    STATUS_HIDDEN,
    STATUS_NO_DATA,
    STATUS_SHOWN,
    comments_allowed,
    hidden_mask,
    matrix_status,
    suppress_small_cells,
)


def _cells(matrix: list[list[int]]) -> pd.DataFrame:
    """Cells of a rater x provider count matrix; 0 means no data (no row)."""
    rows = [
        {"wave_id": "W", "rater_dept": f"R{i}", "provider_dept": f"P{j}", "n": n, "mean": 50.0 + i + j}
        for i, line in enumerate(matrix)
        for j, n in enumerate(line)
        if n > 0
    ]
    return pd.DataFrame(rows, columns=["wave_id", "rater_dept", "provider_dept", "n", "mean"])


def _check_invariants(original: pd.DataFrame, shown: pd.DataFrame, k: int, line_keys: list[str]) -> None:
    n = original["n"]
    hidden = shown["suppressed"]
    # no shown cell below k
    assert (n[~hidden] >= k).all()
    # hidden cells carry no figures at all, not even n
    assert shown.loc[hidden, ["n", "mean"]].isna().all().all()
    # in every line that still shows something, the hidden cells hold 0 or at least k responses
    for key in line_keys:
        for _, idx in original.groupby(key).groups.items():
            if (~hidden[idx]).any():
                hidden_sum = n[idx][hidden[idx]].sum()
                assert hidden_sum == 0 or hidden_sum >= k, (key, hidden_sum)


@settings(max_examples=300, deadline=None)
@given(
    matrix=st.lists(st.lists(st.integers(0, 14), min_size=1, max_size=7), min_size=1, max_size=7),
    k=st.integers(3, 10),
)
def test_no_shown_cell_below_k_and_hidden_lines_hold_0_or_k(matrix, k):
    width = max(len(line) for line in matrix)
    matrix = [line + [0] * (width - len(line)) for line in matrix]
    cells = _cells(matrix)
    shown = suppress_small_cells(cells, k)
    _check_invariants(cells, shown, k, ["rater_dept", "provider_dept"])


@settings(max_examples=200, deadline=None)
@given(counts=st.lists(st.integers(1, 20), min_size=1, max_size=12), k=st.integers(3, 10))
def test_totals_hide_small_totals_and_their_complements(counts, k):
    totals = pd.DataFrame({"wave_id": "W", "provider_dept": [f"P{i}" for i in range(len(counts))], "n": counts})
    shown = suppress_small_cells(totals, k)
    hidden = shown["suppressed"]
    assert (totals["n"][~hidden] >= k).all()
    # the totals form one line whose sum (the organisation) is shown: nothing recoverable by difference
    if (~hidden).any():
        hidden_sum = totals["n"][hidden].sum()
        assert hidden_sum == 0 or hidden_sum >= k


def test_complementary_suppression_by_hand():
    # Row R0: 2 (hidden, < 5) next to 9 and 30. Hiding only the 2 would reveal it from the row
    # total, so the next smallest cell of the row (9) is hidden too: hidden sum 11 >= 5.
    cells = _cells([[2, 9, 30], [20, 20, 20]])
    shown = suppress_small_cells(cells, 5).set_index(["rater_dept", "provider_dept"])
    assert shown.loc[("R0", "P0"), "suppressed"] and shown.loc[("R0", "P1"), "suppressed"]
    # Column P0 would hide only the 2, so its next smallest cell (R1, 20) is hidden as well.
    assert shown.loc[("R1", "P0"), "suppressed"]
    assert not shown.loc[("R0", "P2"), "suppressed"]
    assert np.isnan(shown.loc[("R0", "P0"), "n"])


def test_waves_are_suppressed_independently_and_input_is_not_changed():
    a = _cells([[2, 30], [30, 30]])
    b = _cells([[30, 30], [30, 30]]).assign(wave_id="V")
    both = pd.concat([a, b], ignore_index=True)
    before = both.copy()
    shown = suppress_small_cells(both, 5)
    pd.testing.assert_frame_equal(both, before)
    assert not shown[shown["wave_id"] == "V"]["suppressed"].any()
    assert shown[shown["wave_id"] == "W"]["suppressed"].sum() >= 2


def test_threshold_below_three_is_refused():
    with pytest.raises(ValueError, match="k must be"):
        suppress_small_cells(_cells([[5]]), 2)


def test_forced_hiding_and_plain_mode():
    cells = _cells([[10, 10, 10]])
    forced = pd.Series([False, True, False], index=cells.index)
    shown = suppress_small_cells(cells, 5, hide=forced)
    # the forced cell (10) already holds >= 5, so nothing else has to go
    assert shown["suppressed"].tolist() == [False, True, False]
    plain = suppress_small_cells(_cells([[2, 10]]), 5, complementary=False)
    assert plain["suppressed"].tolist() == [True, False]
    assert hidden_mask(_cells([[2, 10]]), 5).tolist() == [True, True]


def test_hidden_and_no_data_are_distinct():
    # R0/P0 holds 2 (< 3): hidden, with its complements R0/P1 (row) and R1/P0 (column); R1/P2 has no data.
    shown = suppress_small_cells(_cells([[2, 10, 10], [10, 10, 0]]), 3)
    status = matrix_status(shown, ["R0", "R1"], ["P0", "P1", "P2"])
    assert status.loc["R0"].tolist() == [STATUS_HIDDEN, STATUS_HIDDEN, STATUS_SHOWN]
    assert status.loc["R1"].tolist() == [STATUS_HIDDEN, STATUS_SHOWN, STATUS_NO_DATA]


def test_comments_need_k_comments():
    assert comments_allowed(pd.Series([9, 10, np.nan]), 10).tolist() == [False, True, False]
