"""Drivers and priorities: relative importance and the importance-performance quadrants."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.drivers import driver_table, quadrant

DIMENSIONS = ("understanding", "responsiveness", "reliability")


def _scores(seed=2, n=400):
    rng = np.random.default_rng(seed)
    providers = rng.choice(["P1", "P2"], n)
    dims = {
        "dim_understanding": rng.normal(70, 15, n),  # strong, matters most
        "dim_responsiveness": rng.normal(45, 15, n),  # weak, matters
        "dim_reliability": rng.normal(60, 15, n),  # matters little
    }
    recommend = (
        0.08 * dims["dim_understanding"] + 0.06 * dims["dim_responsiveness"] + 0.005 * dims["dim_reliability"]
    ) + rng.normal(0, 1, n)
    return pd.DataFrame({"provider_dept": providers, "recommend": recommend, **dims})


def test_organisation_quadrants_are_those_of_its_own_importance_and_performance():
    # issue 17: pandas 3 keeps None as NaN in a key built with astype(str), so every organisation
    # row fell out of its group and came out `secondary`. Known answer: `quadrant` on the
    # organisation's own rows (splits at 100 / dimensions and at the mean performance).
    table = driver_table(_scores(), DIMENSIONS, wave_id="W", min_n=30)
    org = table[table["scope"] == "organisation"].reset_index(drop=True)
    assert len(org) == 3
    expected = quadrant(org["importance"], org["performance"])
    named = org["quadrant"] != "unclear"  # a named quadrant is the point estimate's, confirmed
    assert named.sum() >= 1 and org.loc[0, "quadrant"] == "keep_up"  # understanding: strong, important
    assert org.loc[named, "quadrant"].tolist() == expected[named].tolist()
    assert set(org["quadrant"]) != {"secondary"}
    for _provider, rows in table[table["scope"] == "provider"].groupby("provider_dept"):
        rows = rows.reset_index(drop=True)
        named = rows["quadrant"] != "unclear"
        assert rows.loc[named, "quadrant"].tolist() == quadrant(rows["importance"], rows["performance"])[named].tolist()


def test_poisson_weights_follow_the_poisson_distribution():
    from analysis.stats_adapter import poisson_weights

    draws = poisson_weights(np.random.default_rng(1), (400_000,))
    counts = np.bincount(draws.astype(int), minlength=8)[:6] / len(draws)
    # scipy.stats.poisson.pmf(k, 1) for k = 0..5: 0.3679, 0.3679, 0.1839, 0.0613, 0.0153, 0.0031
    np.testing.assert_allclose(counts, stats.poisson.pmf(np.arange(6), 1.0), atol=0.002)
    assert draws.mean() == pytest.approx(1, abs=0.01) and draws.var() == pytest.approx(1, abs=0.01)


def test_poisson_bootstrap_moments_by_direct_computation():
    from analysis.stats_adapter import _canonical_order, bootstrap_moments, poisson_weights

    values = np.random.default_rng(1).normal(size=(50, 3))
    means, cov = bootstrap_moments(values, 4, np.random.default_rng(9))
    # the rows in any order give the same resamples: weights go to the rows sorted by their values
    again, _ = bootstrap_moments(values[np.random.default_rng(2).permutation(50)], 4, np.random.default_rng(9))
    np.testing.assert_allclose(again, means, rtol=1e-12)
    values = values[_canonical_order(values)]
    weights = poisson_weights(np.random.default_rng(9), (4, 50))  # 50 rows, no buckets: the same draws
    for b in range(4):
        w = weights[b] / weights[b].sum()
        mean = w @ values
        np.testing.assert_allclose(means[b], mean, rtol=1e-10)
        np.testing.assert_allclose(cov[b], (values - mean).T @ ((values - mean) * w[:, None]), atol=1e-10)


def test_a_quadrant_is_named_only_when_its_bootstrap_interval_supports_it():
    rng = np.random.default_rng(4)
    n = 600
    dims = {
        "dim_understanding": rng.normal(75, 15, n),  # clearly important and clearly strong
        "dim_responsiveness": rng.normal(45, 15, n),  # clearly unimportant and clearly weak
        "dim_reliability": rng.normal(60, 15, n),  # importance near the 33% split: unclear
    }
    recommend = (
        0.10 * dims["dim_understanding"] + 0.001 * dims["dim_responsiveness"] + 0.08 * dims["dim_reliability"]
    ) + rng.normal(0, 1.5, n)
    scores = pd.DataFrame({"provider_dept": "P1", "recommend": recommend, **dims})
    table = driver_table(scores, DIMENSIONS, wave_id="W", min_n=30)
    org = table[table["scope"] == "organisation"].set_index("dimension")
    assert (org["importance_ci_low"] <= org["importance"]).all() and (
        org["importance"] <= org["importance_ci_high"]
    ).all()
    assert org.loc["understanding", "quadrant"] == "keep_up"
    assert org.loc["understanding", "importance_ci_low"] > 100 / 3
    assert org.loc["responsiveness", "quadrant"] == "secondary"
    assert org.loc["reliability", "importance_ci_low"] < 100 / 3 < org.loc["reliability", "importance_ci_high"]
    assert org.loc["reliability", "quadrant"] == "unclear"
    # the same wave gives the same labels every time (a fixed seed)
    again = driver_table(scores, DIMENSIONS, wave_id="W", min_n=30)
    pd.testing.assert_frame_equal(table, again)


def test_bucketed_bootstrap_has_the_spread_of_the_row_bootstrap():
    from analysis.stats_adapter import bootstrap_moments

    # 20,000 rows in 500 buckets: the bootstrap sd of a mean must be sd / sqrt(n) (theory), and
    # that of a variance sqrt((mu4 - sigma^4) / n), within the resampling error of 400 resamples.
    values = np.random.default_rng(2).normal(0, 3, size=(20_000, 2))
    means, cov = bootstrap_moments(values, 400, np.random.default_rng(3))
    assert means[:, 0].std() == pytest.approx(3 / np.sqrt(20_000), rel=0.15)
    assert cov[:, 0, 0].std() == pytest.approx(np.sqrt((3 * 81 - 81) / 20_000), rel=0.15)
