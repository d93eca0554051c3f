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
    assert row["ci_high"] == pytest.approx(75 + 62.10344, abs=1e-4)
    # favourable: 3 of 6 answered items at 4-5
    assert row["favourable"] == pytest.approx(0.5)


def test_inps_and_its_interval_by_hand():
    # Hand: 10 answers, 5 promoters (p = 0.5), 2 detractors (d = 0.2): iNPS = 100 * (0.5 - 0.2) = 30;
    # half-width = 1.96 * 100 * sqrt((0.5 + 0.2 - 0.3^2) / 10) = 196 * sqrt(0.061) = 48.40843.
    out = nps_from_counts(pd.Series([5]), pd.Series([2]), pd.Series([10])).iloc[0]
    assert out["inps"] == pytest.approx(30.0)
    assert out["inps_ci_low"] == pytest.approx(30 - 48.40843, abs=1e-4)
    assert out["inps_ci_high"] == pytest.approx(30 + 48.40843, abs=1e-4)


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
