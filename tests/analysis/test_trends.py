"""Trends, quadrants and participation on small hand-made tables."""

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
