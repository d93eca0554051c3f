"""Trends, quadrants and participation on small hand-made tables."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.drivers import quadrant
from analysis.participation import participation_table
from analysis.trends import TREND_COLUMNS, changes, significance, trend_table


def _level(rows, keys):
    return pd.DataFrame(rows, columns=[*keys, "n", "mean", "sd", "suppressed"])


def test_change_and_welch_test_per_cell_with_hidden_sides_marked():
    now = {
        "cell": _level(
            [("A", "B", 30, 40.0, 12.0, False), ("C", "B", 20, 70.0, 10.0, False)], ["rater_dept", "provider_dept"]
        )
    }
    before = {
        "cell": _level(
            [("A", "B", 28, 55.0, 11.0, False), ("C", "B", None, None, None, True)], ["rater_dept", "provider_dept"]
        )
    }
    trends, hidden = trend_table(now, before, wave_id="W2", previous_wave_id="W1")
    assert trends.columns.tolist() == TREND_COLUMNS
    first = trends.iloc[0]
    # scipy.stats.ttest_ind_from_stats(..., equal_var=False) on the same summaries
    reference = stats.ttest_ind_from_stats(40.0, 12.0, 30, 55.0, 11.0, 28, equal_var=False)
    assert first["change"] == pytest.approx(-15.0)
    assert first["t"] == pytest.approx(reference.statistic) and first["p_value"] == pytest.approx(reference.pvalue)
    assert first["significant"] == 1
    # scipy: ttest_ind(..., equal_var=False).confidence_interval() needs raw data, so the 95% Welch
    # interval is built by hand from the same summaries: change +/- t(0.975, dof) * se.
    se = (12.0**2 / 30 + 11.0**2 / 28) ** 0.5
    dof = se**4 / ((12.0**2 / 30) ** 2 / 29 + (11.0**2 / 28) ** 2 / 27)
    half = stats.t.ppf(0.975, dof) * se
    assert first["change_ci_low"] == pytest.approx(-15.0 - half)
    assert first["change_ci_high"] == pytest.approx(-15.0 + half)
    assert first["change_ci_high"] < 0  # significant at 5%: the interval excludes 0
    assert hidden.tolist() == [False, True]  # C -> B was hidden in the previous wave


def test_quadrants_split_at_average_importance_and_performance():
    importance = pd.Series([40.0, 30.0, 20.0, 10.0])  # average 25
    performance = pd.Series([50.0, 80.0, 40.0, 90.0])  # average 65
    assert quadrant(importance, performance).tolist() == ["fix_first", "keep_up", "secondary", "possible_overkill"]


def test_participation_rate_and_flag():
    counts = pd.DataFrame({"dept_code": ["A", "B", "C"], "invited": [10, 10, 0], "responded": [5, 6, 0]})
    out = participation_table(counts, wave_id="W")
    assert out["rate"].tolist()[:2] == [0.5, 0.6]
    assert out["low_participation"].tolist() == [True, False, False]


def test_significance_is_a_nullable_boolean_with_none_where_nothing_was_tested():
    flags = significance(pd.Series([0.01, 0.2, float("nan")]))
    assert str(flags.dtype) == "boolean"
    assert flags.tolist() == [True, False, pd.NA]


def test_trend_significance_is_boolean_not_a_float():
    now = {"organisation": _level([(30, 40.0, 12.0, False)], [])}
    before = {"organisation": _level([(28, 55.0, 11.0, False)], [])}
    trends, _ = trend_table(now, before, wave_id="W2", previous_wave_id="W1")
    assert str(trends["significant"].dtype) == "boolean"
    assert trends["significant"].tolist() == [True]


def test_changes_compares_shown_figures_of_any_two_waves_largest_fall_first():
    keys = ["provider_dept"]
    now = _level([("A", 30, 40.0, 12.0, False), ("B", 30, 70.0, 12.0, False), ("C", 2, None, None, True)], keys)
    before = _level([("A", 28, 55.0, 11.0, False), ("B", 25, 69.0, 12.0, False), ("C", 30, 60.0, 9.0, False)], keys)
    out = changes(now, before, keys)
    assert out["provider_dept"].tolist() == ["A", "B"]  # C is hidden now: not compared
    expected = stats.ttest_ind_from_stats(40.0, 12.0, 30, 55.0, 11.0, 28, equal_var=False)
    assert out["p_value"].iloc[0] == pytest.approx(expected.pvalue)
    assert out["significant"].tolist() == [True, False]


def test_difference_in_change_against_a_hand_computation():
    from analysis.trends import difference_in_change

    # By hand: planned changes 10, 14, 12 have mean 12 and variance ((-2)^2 + 2^2 + 0) / 2 = 4;
    # others 2, 4, 6, 0 have mean 3 and variance (1 + 1 + 9 + 9) / 3 = 20/3. Difference 12 - 3 = 9,
    # standard error sqrt(4/3 + (20/3)/4) = sqrt(3); Welch dof = 3^2 / ((4/3)^2/2 + (5/3)^2/3)
    # = 9 / (8/9 + 25/27) = 9 / (49/27) = 243/49 = 4.959; t = 9 / sqrt(3) = 5.196. With
    # t(0.975, 243/49) = 2.5770 the interval is 9 -/+ 2.5770 * 1.7321 = 4.537 to 13.463.
    # scipy.stats.ttest_ind([10, 14, 12], [2, 4, 6, 0], equal_var=False): t = 5.196, df = 4.959, p = 0.00356.
    out = difference_in_change(pd.Series([10.0, 14.0, 12.0]), pd.Series([2.0, 4.0, 6.0, 0.0]))
    assert (out["n_planned"], out["n_others"]) == (3, 4)
    assert out["difference"] == pytest.approx(9.0)
    assert out["dof"] == pytest.approx(243 / 49)
    assert out["ci_low"] == pytest.approx(4.537, abs=1e-3)
    assert out["ci_high"] == pytest.approx(13.463, abs=1e-3)
    assert out["p_value"] == pytest.approx(0.00356, abs=1e-5)
    # one planned direction: a difference, but no interval
    single = difference_in_change(pd.Series([5.0]), pd.Series([1.0, 2.0]))
    assert single["difference"] == pytest.approx(3.5) and np.isnan(single["ci_low"])
