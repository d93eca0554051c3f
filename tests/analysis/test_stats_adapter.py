"""The statistics adapter against pingouin's reference data and scipy."""

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from scipy import stats

from analysis.reliability import icc1_from_moments
from analysis.stats_adapter import (
    cronbach_alpha,
    fdr_bh,
    relative_importance,
    relative_importance_by_group,
    t_quantile,
    two_sided_t_p,
    welch_from_moments,
)


def test_cronbach_alpha_on_pingouins_reference_data():
    # pingouin docs, pg.read_dataset("cronbach_alpha"): alpha = 0.5917, Feldt CI [0.195, 0.84]
    long = pg.read_dataset("cronbach_alpha")
    wide = long.pivot(index="Subj", columns="Items", values="Scores")
    alpha, low, high = cronbach_alpha(wide)
    assert alpha == pytest.approx(0.5917188, abs=1e-6)
    assert (low, high) == pytest.approx((0.195, 0.84), abs=1e-3)


def test_cronbach_alpha_with_missing_answers_uses_pairwise_deletion():
    # pingouin docs: "cronbach_wide_missing", R psych::alpha(data, use = "pairwise") = 0.7327
    alpha, _, _ = cronbach_alpha(pg.read_dataset("cronbach_wide_missing"))
    assert alpha == pytest.approx(0.732661, abs=1e-5)


def test_cronbach_alpha_needs_two_items():
    assert np.isnan(cronbach_alpha(pd.DataFrame({"a": [1.0, 2.0, 3.0]}))[0])


def test_welch_from_moments_matches_scipy():
    rng = np.random.default_rng(11)
    for n1, n2 in [(5, 9), (30, 12), (200, 201)]:
        a = rng.normal(60, 15, n1)
        b = rng.normal(52, 8, n2)
        expected = stats.ttest_ind(a, b, equal_var=False)
        got = welch_from_moments([a.mean()], [a.std(ddof=1)], [n1], [b.mean()], [b.std(ddof=1)], [n2]).iloc[0]
        assert got["t"] == pytest.approx(expected.statistic, rel=1e-10)
        assert got["p_value"] == pytest.approx(expected.pvalue, rel=1e-8)
        assert got["dof"] == pytest.approx(expected.df, rel=1e-10)


def test_welch_is_missing_for_too_small_groups():
    got = welch_from_moments([50.0], [np.nan], [1], [40.0], [10.0], [10]).iloc[0]
    assert np.isnan(got["t"]) and np.isnan(got["p_value"])


def test_t_helpers():
    assert t_quantile(0.975, 10) == pytest.approx(stats.t.ppf(0.975, 10))
    assert np.isnan(t_quantile(0.975, np.nan))
    assert two_sided_t_p(np.array([2.0]), np.array([10.0]))[0] == pytest.approx(2 * stats.t.sf(2.0, 10))


def test_icc1_from_moments_matches_pingouin_on_its_reference_data():
    # pingouin docs, pg.read_dataset("icc") (8 wines, 4 judges): ICC(1,1) = 0.727521
    data = pg.read_dataset("icc")
    groups = data.groupby("Wine")["Scores"].agg(["count", "mean", "std"])
    reference = pg.intraclass_corr(data, targets="Wine", raters="Judge", ratings="Scores")
    expected = reference.loc[reference["Type"].isin(["ICC(1,1)", "ICC1"]), "ICC"].iloc[0]
    assert icc1_from_moments(groups["count"], groups["mean"], groups["std"]) == pytest.approx(expected, abs=1e-6)
    assert expected == pytest.approx(0.727521, abs=1e-6)


def test_relative_importance_names_and_shares():
    rng = np.random.default_rng(5)
    data = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
    data["y"] = 2 * data["a"] + data["b"] + rng.normal(size=300)
    out = relative_importance(data, ["a", "b", "c"], "y")
    assert out.columns.tolist() == ["predictor", "coef", "se", "t", "p_value", "relimp", "relimp_perc", "r2", "n"]
    assert out["relimp_perc"].sum() == pytest.approx(100.0)
    assert out.set_index("predictor")["relimp"].sum() == pytest.approx(out["r2"].iloc[0])
    assert out.sort_values("relimp", ascending=False)["predictor"].tolist() == ["a", "b", "c"]


def test_batched_relative_importance_equals_pingouin_per_group():
    rng = np.random.default_rng(9)
    n = 900
    data = pd.DataFrame(rng.normal(size=(n, 4)), columns=["a", "b", "c", "d"])
    data["y"] = 1.5 * data["a"] + data["b"] * rng.uniform(0.5, 1.5) + 0.3 * data["c"] + rng.normal(size=n)
    data["g"] = rng.choice(["P", "Q", "R"], n)
    batched = relative_importance_by_group(data, ["a", "b", "c", "d"], "y", "g")
    for name, part in data.groupby("g"):
        reference = pg.linear_regression(part[["a", "b", "c", "d"]], part["y"], relimp=True)
        reference = reference[reference["names"] != "Intercept"].reset_index(drop=True)
        mine = batched[batched["g"] == name].reset_index(drop=True)
        np.testing.assert_allclose(mine["relimp"], reference["relimp"], rtol=1e-8)
        np.testing.assert_allclose(mine["relimp_perc"], reference["relimp_perc"], rtol=1e-8)
        np.testing.assert_allclose(mine["coef"], reference["coef"], rtol=1e-8)
        assert mine["r2"].iloc[0] == pytest.approx(reference["r2"].iloc[0])


def test_benjamini_hochberg_matches_statsmodels_and_ignores_missing_p_values():
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(3)
    p = np.concatenate([rng.uniform(size=60), rng.uniform(0, 0.002, size=8)])
    p[[4, 17]] = np.nan  # cells without a test are not part of the family
    reject, adjusted = fdr_bh(p, 0.10)
    tested = ~np.isnan(p)
    # statsmodels.stats.multitest.multipletests(p, alpha=0.1, method="fdr_bh") on the tested p-values
    want_reject, want_adjusted, *_ = multipletests(p[tested], alpha=0.10, method="fdr_bh")
    np.testing.assert_array_equal(reject[tested], want_reject)
    np.testing.assert_allclose(adjusted[tested], want_adjusted, rtol=1e-12)
    assert not reject[~tested].any() and np.isnan(adjusted[~tested]).all()
    assert 8 <= reject.sum() < 12
    # Hand calculation: p = (0.01, 0.04, 0.03) -> sorted 0.01, 0.03, 0.04; adjusted min(p * 3 / rank)
    # from the top: 0.04 * 3 / 3 = 0.04, 0.03 * 3 / 2 = 0.045 -> 0.04, 0.01 * 3 = 0.03.
    reject, adjusted = fdr_bh(np.array([0.01, 0.04, 0.03]), 0.05)
    np.testing.assert_allclose(adjusted, [0.03, 0.04, 0.04])
    assert reject.all()
    assert fdr_bh(np.array([]), 0.1)[0].size == 0


def test_lattice_lmg_equals_one_solve_per_subset_also_for_singular_groups():
    # The lattice walk (one Schur complement per subset) is checked against the direct definition
    # (one least-squares solve per subset, R^2 increments averaged over sizes), on random covariance
    # matrices and on groups with a constant or a duplicated predictor, which take the solve path.
    from analysis.stats_adapter import _lmg_by_subsets, lmg_from_covariance

    rng = np.random.default_rng(5)
    data = rng.normal(size=(6, 40, 5)) @ rng.normal(size=(5, 5))
    data[1, :, 2] = 3.0  # a constant predictor
    data[2, :, 3] = data[2, :, 4]  # two identical predictors
    centred = data - data.mean(axis=1, keepdims=True)
    cov = np.einsum("gni,gnj->gij", centred, centred)
    _coef, relimp, perc, r2 = lmg_from_covariance(cov)
    direct = _lmg_by_subsets(cov)
    np.testing.assert_allclose(relimp, direct, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(perc.sum(axis=1), 100.0)
    np.testing.assert_allclose(r2, direct.sum(axis=1), rtol=1e-9)
    assert np.isfinite(relimp).all()
