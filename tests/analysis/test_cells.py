"""Cell statistics: known answers computed by hand (the calculation is in each comment)."""

import numpy as np
import pandas as pd
import pytest

from analysis.cells import (
    LoyaltyBands,
    cell_stats,
    moments_from_scores,
    nps_from_counts,
    org_stats,
    rollup,
    score_responses,
    stats_from_moments,
    summarise,
    t_interval,
)


def _scores(satisfaction, recommend, rater="A", provider="B"):
    n = len(satisfaction)
    return pd.DataFrame(
        {
            "wave_id": "W1",
            "rater_dept": rater,
            "provider_dept": provider,
            "satisfaction": satisfaction,
            "recommend": recommend,
            "n_items": 2,
            "n_favourable": [1] * n,
        }
    )


def test_mean_sd_and_t_interval_by_hand():
    # Hand: scores 50, 75, 100 -> mean 75, sd = sqrt(((-25)^2 + 0 + 25^2) / 2) = 25;
    # t(0.975, df = 2) = 4.302653, half-width = 4.302653 * 25 / sqrt(3) = 62.10344.
    cells = cell_stats(_scores([50.0, 75.0, 100.0], [10, 8, 3]))
    row = cells.iloc[0]
    assert row["n"] == 3
    assert row["mean"] == pytest.approx(75.0)
    assert row["sd"] == pytest.approx(25.0)
    assert row["ci_low"] == pytest.approx(75 - 62.10344, abs=1e-4)
    assert row["ci_high"] == 100.0  # 75 + 62.1 = 137.1, clipped to the 0-100 scale
    # favourable: 3 of 6 answered items at 4-5
    assert row["favourable"] == pytest.approx(0.5)


def test_inps_and_its_adjusted_wald_interval_by_hand():
    # Adjusted Wald (Rocks 2016, The American Statistician 70(4); as MeasuringU describes it): add 3
    # to n, 3/4 to the promoters and 3/4 to the detractors, then the trinomial interval around the
    # adjusted iNPS. Hand: 10 answers, 5 promoters, 2 detractors -> iNPS = 100 * (0.5 - 0.2) = 30;
    # n' = 13, p' = 5.75 / 13 = 0.442308, d' = 2.75 / 13 = 0.211538, iNPS' = 0.230769;
    # var = p' + d' - iNPS'^2 = 0.600592; half = 1.959964 * sqrt(0.600592 / 13) = 0.421278.
    out = nps_from_counts(pd.Series([5]), pd.Series([2]), pd.Series([10])).iloc[0]
    assert out["inps"] == pytest.approx(30.0)
    assert out["inps_ci_low"] == pytest.approx(100 * (0.230769 - 0.421278), abs=1e-3)
    assert out["inps_ci_high"] == pytest.approx(100 * (0.230769 + 0.421278), abs=1e-3)


def test_inps_interval_never_has_zero_width_and_stays_on_the_scale():
    # 18 passives: the plain Wald interval was "0 [0, 0]". Adjusted: n' = 21, p' = d' = 0.75 / 21,
    # var = 1.5 / 21 = 0.071429, half = 1.959964 * sqrt(0.071429 / 21) = 0.114308.
    out = nps_from_counts(pd.Series([0]), pd.Series([0]), pd.Series([18])).iloc[0]
    assert out["inps"] == 0
    assert (out["inps_ci_low"], out["inps_ci_high"]) == pytest.approx((-11.4308, 11.4308), abs=1e-3)
    # all promoters at n = 1, 2, 5: a real width, never beyond +100 (at n = 5 the adjusted centre
    # puts the upper bound at 98.5)
    for n in (1, 2, 5):
        row = nps_from_counts(pd.Series([n]), pd.Series([0]), pd.Series([n])).iloc[0]
        assert row["inps"] == 100 and 98 < row["inps_ci_high"] <= 100
        assert -100 <= row["inps_ci_low"] < 100 - 10
    widths = [nps_from_counts(pd.Series([n]), pd.Series([0]), pd.Series([n])).iloc[0]["inps_ci_low"] for n in (1, 2, 5)]
    assert widths[0] < widths[1] < widths[2]  # more answers, a narrower interval
    # n = 1 promoter by hand: n' = 4, p' = 1.75 / 4, d' = 0.75 / 4, iNPS' = 0.25,
    # var = 0.625 - 0.0625 = 0.5625, half = 1.959964 * sqrt(0.5625 / 4) = 0.734987 -> low = -48.50
    assert widths[0] == pytest.approx(100 * (0.25 - 0.734987), abs=1e-3)
    all_detractors = nps_from_counts(pd.Series([0]), pd.Series([3]), pd.Series([3])).iloc[0]
    assert all_detractors["inps_ci_low"] == -100 and all_detractors["inps_ci_high"] > -100
    assert np.isnan(nps_from_counts(pd.Series([0]), pd.Series([0]), pd.Series([0])).iloc[0]["inps_ci_low"])


def test_mean_intervals_at_small_n_stay_on_the_scale():
    one = cell_stats(_scores([100.0], [10])).iloc[0]
    assert one["mean"] == 100 and np.isnan(one["ci_low"]) and np.isnan(one["ci_high"])  # no spread at n = 1
    two = cell_stats(_scores([0.0, 25.0], [3, 4])).iloc[0]
    # t(0.975, 1) = 12.7062, sd = 17.6777, half = 12.7062 * 17.6777 / sqrt(2) = 158.83 -> [0, 100]
    assert (two["ci_low"], two["ci_high"]) == (0.0, 100.0)
    five = cell_stats(_scores([100.0, 100.0, 100.0, 75.0, 100.0], [10] * 5)).iloc[0]
    assert five["ci_high"] == 100.0 and 0 < five["ci_low"] < 95


def test_inps_bands_from_recommend_scores_and_configurable_bands():
    recommend = [10, 9, 9, 9, 9, 8, 7, 7, 6, 0]  # 5 promoters, 3 passives, 2 detractors
    cells = cell_stats(_scores([50.0] * 10, recommend))
    row = cells.iloc[0]
    assert (row["promoters"], row["passives"], row["detractors"]) == (5, 3, 2)
    assert row["inps"] == pytest.approx(30.0)
    # Stricter bands (10 promoters, 8-9 passives): 1 promoter, 5 passives, 4 detractors -> -30
    strict = cell_stats(_scores([50.0] * 10, recommend), LoyaltyBands(promoter_min=10, passive_min=8)).iloc[0]
    assert (strict["promoters"], strict["passives"], strict["detractors"]) == (1, 5, 4)
    assert strict["inps"] == pytest.approx(-30.0)


def test_bad_loyalty_bands_are_refused():
    with pytest.raises(ValueError, match="loyalty bands"):
        LoyaltyBands(promoter_min=7, passive_min=8)


def test_interval_is_missing_below_two_responses():
    low, high = t_interval(pd.Series([50.0]), pd.Series([np.nan]), pd.Series([1]))
    assert np.isnan(low.iloc[0]) and np.isnan(high.iloc[0])


def test_score_responses_maps_likert_to_0_100_and_keeps_not_applicable_out():
    # Hand: items (dimension a: 5, 3; dimension b: NA, 1) -> a = mean(100, 50) = 75, b = 0,
    # satisfaction = mean(100, 50, 0) = 50, 3 answered, 1 favourable (the 5).
    responses = pd.DataFrame({"wave_id": ["W"], "rater_dept": ["A"], "provider_dept": ["B"], "recommend": [5.0]})
    values = np.array([[5.0, 3.0, np.nan, 1.0]])
    scored = score_responses(responses, values, ["a", "a", "b", "b"])
    row = scored.iloc[0]
    assert row["dim_a"] == pytest.approx(75.0) and row["dim_b"] == pytest.approx(0.0)
    assert row["satisfaction"] == pytest.approx(50.0)
    assert (row["n_items"], row["n_favourable"]) == (3, 1)
    only_b = score_responses(responses, values, ["a", "a", "b", "b"], dimension="b").iloc[0]
    assert only_b["satisfaction"] == pytest.approx(0.0) and only_b["n_items"] == 1
    with pytest.raises(ValueError, match="unknown dimension"):
        score_responses(responses, values, ["a", "a", "b", "b"], dimension="c")


def test_totals_from_cell_moments_equal_totals_from_responses():
    rng = np.random.default_rng(3)
    n = 400
    scores = pd.DataFrame(
        {
            "wave_id": "W1",
            "rater_dept": rng.choice(["A", "B", "C"], n),
            "provider_dept": rng.choice(["X", "Y"], n),
            "satisfaction": rng.uniform(0, 100, n),
            "recommend": rng.integers(0, 11, n).astype(float),
            "n_items": 4,
            "n_favourable": rng.integers(0, 5, n),
            "dim_a": rng.uniform(0, 100, n),
        }
    )
    direct = summarise(scores, ["wave_id", "provider_dept"])
    via_cells = stats_from_moments(
        rollup(moments_from_scores(scores, ["wave_id", "rater_dept", "provider_dept"]), ["wave_id", "provider_dept"])
    )
    pd.testing.assert_frame_equal(direct, via_cells, check_dtype=False)
    org = org_stats(scores).iloc[0]
    assert org["mean"] == pytest.approx(scores["satisfaction"].mean())
    assert org["sd"] == pytest.approx(scores["satisfaction"].std())
    assert org["dim_a"] == pytest.approx(scores["dim_a"].mean())
