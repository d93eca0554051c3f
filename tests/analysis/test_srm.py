"""The Social Relations Model recovers planted effects on synthetic data."""

import numpy as np
import pandas as pd
import pytest

from analysis.cells import cell_stats
from analysis.srm import DEFAULT_LAMBDA, fit_srm


def _synthetic(seed: int = 1, depts: int = 10, n_range=(15, 40)):
    rng = np.random.default_rng(seed)
    codes = [f"D{i}" for i in range(depts)]
    a = rng.normal(0, 6, depts)
    a -= a.mean()
    b = rng.normal(0, 8, depts)
    b -= b.mean()
    planted = {("D1", "D2"): -25.0, ("D3", "D4"): 18.0, ("D5", "D6"): -20.0}
    rows = []
    for i, r in enumerate(codes):
        for j, p in enumerate(codes):
            if i == j or rng.random() < 0.2:  # unbalanced: some pairs missing, sizes vary
                continue
            n = int(rng.integers(*n_range))
            y = 60 + a[i] + b[j] + planted.get((r, p), 0.0) + rng.normal(0, 10, n)
            rows += [(r, p, v) for v in y]
    responses = pd.DataFrame(rows, columns=["rater_dept", "provider_dept", "satisfaction"])
    responses = responses.assign(wave_id="W", recommend=np.nan, n_items=1, n_favourable=0)
    return responses, dict(zip(codes, a, strict=True)), dict(zip(codes, b, strict=True)), planted


def test_recovers_planted_rater_provider_and_relationship_effects():
    responses, a, b, planted = _synthetic()
    for pair in planted:  # make sure the planted pairs exist
        assert ((responses["rater_dept"] == pair[0]) & (responses["provider_dept"] == pair[1])).any()
    fit = fit_srm(cell_stats(responses))
    raters = fit.raters.set_index("rater_dept")["rater_effect"]
    providers = fit.providers.set_index("provider_dept")["provider_effect"]
    assert raters.sum() == pytest.approx(0, abs=1e-9) and providers.sum() == pytest.approx(0, abs=1e-9)
    # In the SRM a department's effect includes the average of its own pairs' effects (relationship
    # effects sum to zero along rows and columns), so a planted pair moves its two departments' effects
    # by effect / (number of partners).
    present = responses[["rater_dept", "provider_dept"]].drop_duplicates()
    for code, effect in a.items():
        partners = present[present["rater_dept"] == code]["provider_dept"]
        shift = sum(planted.get((code, p), 0.0) for p in partners) / len(partners)
        assert raters[code] == pytest.approx(effect + shift, abs=3)
    for code, effect in b.items():
        partners = present[present["provider_dept"] == code]["rater_dept"]
        shift = sum(planted.get((r, code), 0.0) for r in partners) / len(partners)
        assert providers[code] == pytest.approx(effect + shift, abs=3)
    cells = fit.cells.set_index(["rater_dept", "provider_dept"])
    for pair, effect in planted.items():
        got = cells.loc[pair]
        # shrinkage pulls towards 0, never across it, and the interval excludes 0
        assert abs(got["relationship_effect"]) >= abs(effect) * 0.6
        assert np.sign(got["relationship_effect"]) == np.sign(effect)
        assert got["relationship_ci_low"] > 0 or got["relationship_ci_high"] < 0
    others = cells.drop(index=list(planted))
    assert others["relationship_effect"].abs().max() < 10
    assert 0 < fit.shrinkage_lambda < 100


def test_cell_level_fit_equals_response_level_least_squares():
    responses, *_ = _synthetic(seed=4, depts=6)
    fit = fit_srm(cell_stats(responses))
    # response-level OLS with dummies (one dropped per factor), fitted values per cell
    design = pd.get_dummies(responses[["rater_dept", "provider_dept"]], drop_first=True).astype(float)
    design.insert(0, "const", 1.0)
    beta, *_ = np.linalg.lstsq(design.to_numpy(), responses["satisfaction"].to_numpy(), rcond=None)
    fitted = pd.Series(design.to_numpy() @ beta, index=responses.index)
    expected = fitted.groupby([responses["rater_dept"], responses["provider_dept"]]).first()
    mine = fit.cells.set_index(["rater_dept", "provider_dept"])["expected"]
    np.testing.assert_allclose(mine.loc[expected.index], expected, atol=1e-8)


def test_lambda_falls_back_to_5_when_not_estimable():
    cells = pd.DataFrame(
        {"rater_dept": ["A", "B"], "provider_dept": ["B", "A"], "n": [10, 12], "mean": [50.0, 60.0], "sd": [10.0, 9.0]}
    )
    assert fit_srm(cells).shrinkage_lambda == DEFAULT_LAMBDA


def test_srm_refuses_bad_input():
    with pytest.raises(ValueError, match="missing"):
        fit_srm(pd.DataFrame({"rater_dept": ["A"]}))
    with pytest.raises(ValueError, match="at least one cell"):
        fit_srm(pd.DataFrame(columns=["rater_dept", "provider_dept", "n", "mean", "sd"]))


def _direct_leave_pair_out(cells: pd.DataFrame) -> pd.DataFrame:
    """Leave-pair-out residuals and n_eff by refitting without each pair (no leverage shortcut).

    For each cell i: fit mu + a + b by weighted least squares (weights n) on the other cells, with
    drop-first dummies and numpy's lstsq; r_i = mean_i - prediction; Var(r_i) = sigma2 * (1 / n_i +
    x_i' (X' W X)^-1 x_i) for the fit without i, so n_eff_i = 1 / (1 / n_i + x_i' (X' W X)^-1 x_i).
    """
    design = pd.get_dummies(cells[["rater_dept", "provider_dept"]], drop_first=True).astype(float)
    design.insert(0, "const", 1.0)
    x = design.to_numpy()
    y = cells["mean"].to_numpy(float)
    n = cells["n"].to_numpy(float)
    r, n_eff, weight = (np.full(len(cells), np.nan) for _ in range(3))
    for i in range(len(cells)):
        keep = np.arange(len(cells)) != i
        xw = x[keep] * np.sqrt(n[keep])[:, None]
        beta, *_ = np.linalg.lstsq(xw, y[keep] * np.sqrt(n[keep]), rcond=None)
        r[i] = y[i] - x[i] @ beta
        n_eff[i] = 1.0 / (1.0 / n[i] + x[i] @ np.linalg.inv(xw.T @ xw) @ x[i])
        # the prediction is sum_j L_j mean_j over the other cells; each mean carries its pair's own
        # relationship effect, so Var(prediction) gets sigma2_relationship * sum_j L_j^2
        loadings = x[i] @ np.linalg.inv(xw.T @ xw) @ (x[keep] * n[keep][:, None]).T
        weight[i] = (loadings**2).sum()
    return pd.DataFrame({"loo": r, "n_eff": n_eff, "other_pairs_weight": weight}, index=cells.index)


def test_shrinkage_uses_n_eff_and_the_proper_variance_components():
    responses, *_ = _synthetic(seed=5, depts=6, n_range=(5, 30))
    cells = cell_stats(responses)
    fit = fit_srm(cells)
    got = fit.cells.set_index(["rater_dept", "provider_dept"])
    direct = _direct_leave_pair_out(cells).set_index(pd.MultiIndex.from_frame(cells[["rater_dept", "provider_dept"]]))
    np.testing.assert_allclose(got.loc[direct.index, "loo_residual"], direct["loo"], atol=1e-8)
    np.testing.assert_allclose(got.loc[direct.index, "n_eff"], direct["n_eff"], rtol=1e-8)
    np.testing.assert_allclose(got.loc[direct.index, "other_pairs_weight"], direct["other_pairs_weight"], rtol=1e-7)
    # Variance components by hand: E[sum n_i e_i^2] = sigma2_w * (cells - rank) + sigma2_g * sum n_eff_i
    # (the trace of (I - H) W with W = diag(n)), so sigma2_g = (sum n e^2 - sigma2_w (cells - rank)) / sum n_eff.
    n = cells["n"].to_numpy(float)
    sigma2_w = float(((n - 1) * cells["sd"].to_numpy(float) ** 2).sum() / (n - 1).sum())
    e = got.loc[direct.index, "residual"].to_numpy()
    rank = 1 + (cells["rater_dept"].nunique() - 1) + (cells["provider_dept"].nunique() - 1)
    sigma2_g = ((n * e**2).sum() - sigma2_w * (len(cells) - rank)) / direct["n_eff"].sum()
    assert fit.sigma2_within == pytest.approx(sigma2_w, rel=1e-10)
    assert fit.sigma2_relationship == pytest.approx(sigma2_g, rel=1e-8)
    lam = sigma2_w / sigma2_g
    assert fit.shrinkage_lambda == pytest.approx(lam, rel=1e-8)
    shrunk = direct["loo"] * direct["n_eff"] / (direct["n_eff"] + lam)
    np.testing.assert_allclose(got.loc[direct.index, "relationship_effect"], shrunk, atol=1e-8)
    half = 1.959963984540054 * np.sqrt(sigma2_w / (direct["n_eff"] + lam))
    np.testing.assert_allclose(got.loc[direct.index, "relationship_ci_high"], shrunk + half, atol=1e-8)
    # standard error of r: within-cell noise of the pair and of the cells that predict it, plus the
    # other pairs' own relationship effects in that prediction
    se = np.sqrt(sigma2_w / direct["n_eff"] + sigma2_g * direct["other_pairs_weight"])
    np.testing.assert_allclose(got.loc[direct.index, "loo_se"], se, rtol=1e-7)
