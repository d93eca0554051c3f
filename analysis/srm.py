"""Kenny's Social Relations Model, additive form, on one wave (docs/methodology.md, "Rater harshness,
provider quality and the relationship effect").

    score = mu + a[rater dept] + b[provider dept] + g[pair] + e

`a` is the rater department's harshness (negative: rates everyone low), `b` the provider
department's quality as everyone sees it, `g` the relationship effect: what is special about this
pair. With unbalanced cells the least-squares fit depends on the responses only through each cell's
count and mean, so the model is fitted on cell aggregates (weighted least squares, weights n), which
gives exactly the response-level least-squares solution.

The relationship effect compares a pair with what the provider usually gets and what the rater
usually gives *from the other pairs*: r is the pair's mean residual against mu + a + b fitted
without that pair (leave-pair-out). With few departments a pair's own responses pull its rater's
and provider's effects towards it (a 24-point conflict would look like 15), which the
leave-pair-out residual avoids. It is exact and cheap: r = e / (1 - h), with e the ordinary residual
and h the pair's leverage in the weighted fit; its sampling variance is sigma2_within / n_eff with
n_eff = n * (1 - h).

Relationship effects are then shrunk towards 0, so that small cells do not make dramatic effects by
chance: g = r * n_eff / (n_eff + lambda),
the empirical-Bayes posterior mean of a pair effect whose estimate r has variance sigma2_within /
n_eff. lambda = sigma2_within / sigma2_relationship, with sigma2_relationship from the method of
moments on the weighted residuals of the full fit:

    E[sum n_i e_i^2] = sigma2_within * sum (1 - h_i) + sigma2_relationship * sum n_i (1 - h_i)

(the traces of I - H and (I - H) W, W = diag(n); no one-way "n0" approximation). lambda is 5 when
the components cannot be estimated (too few cells) and 1000 when no relationship variance shows.
The 95% interval is g +/- 1.96 * sqrt(sigma2_within / (n_eff + lambda)), the posterior spread.
Each cell also carries n_eff and loo_se, the standard error of r that analysis.hotspots uses to
test the pair's own evidence: sqrt(sigma2_within / n_eff + sigma2_relationship * w), where w (column
other_pairs_weight) is the sum of squared loadings of the other cells in the pair's leave-pair-out
expectation; their own relationship effects make that expectation uncertain, most for a rater that
rates few other providers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

DEFAULT_LAMBDA = 5.0  # when the variance components cannot be estimated (docs/methodology.md)
MAX_LAMBDA = 1000.0  # no relationship variance at all: shrink (almost) completely
Z95 = 1.959963984540054


@dataclass(frozen=True)
class SRMFit:
    """A fitted additive SRM.

    Attributes
    ----------
    mu : float
        The grand mean (0-100).
    raters : DataFrame
        rater_dept, rater_effect (sum-to-zero over rater departments), n.
    providers : DataFrame
        provider_dept, provider_effect (sum-to-zero over provider departments), n.
    cells : DataFrame
        rater_dept, provider_dept, n, mean, expected (mu + a + b, full fit), residual (mean -
        expected), leverage (h), loo_residual (r = e / (1 - h)), n_eff (n * (1 - h)),
        other_pairs_weight (w), loo_se (sqrt(sigma2_within / n_eff + sigma2_relationship * w)),
        relationship_effect (r * n_eff / (n_eff + lambda)),
        relationship_ci_low, relationship_ci_high.
    sigma2_within : float
        Pooled variance of responses within cells.
    sigma2_relationship : float
        Method-of-moments variance of relationship effects (may be <= 0; then no relationship
        variance is detectable).
    shrinkage_lambda : float
        The lambda used in n_eff / (n_eff + lambda).
    """

    mu: float
    raters: pd.DataFrame
    providers: pd.DataFrame
    cells: pd.DataFrame
    sigma2_within: float
    sigma2_relationship: float
    shrinkage_lambda: float


def fit_srm(cells: pd.DataFrame) -> SRMFit:
    """Fit the additive SRM to the cells of one wave.

    Parameters
    ----------
    cells : DataFrame
        One row per cell with rater_dept, provider_dept, n (responses with a score), mean and sd of
        the 0-100 satisfaction (unsuppressed: the model needs every response).

    Returns
    -------
    SRMFit
    """
    missing = {"rater_dept", "provider_dept", "n", "mean", "sd"} - set(cells.columns)
    if missing:
        raise ValueError(f"cells is missing column(s) {sorted(missing)}")
    data = cells[cells["n"].fillna(0) > 0][["rater_dept", "provider_dept", "n", "mean", "sd"]].reset_index(drop=True)
    if data.empty:
        raise ValueError("the SRM needs at least one cell with responses")
    n = data["n"].to_numpy(float)
    y = data["mean"].to_numpy(float)
    r_idx, raters = pd.factorize(data["rater_dept"])
    p_idx, providers = pd.factorize(data["provider_dept"])
    n_r, n_p, n_c = len(raters), len(providers), len(data)

    # Weighted least squares on cell means with full dummies; any least-squares solution has the
    # same fitted values, and effects are then centred to sum to zero (fitted values unchanged).
    design = np.zeros((n_c, 1 + n_r + n_p))
    design[:, 0] = 1.0
    design[np.arange(n_c), 1 + r_idx] = 1.0
    design[np.arange(n_c), 1 + n_r + p_idx] = 1.0
    w = np.sqrt(n)
    weighted = design * w[:, None]
    # Normal equations with the pseudo-inverse (the design has two redundant columns): the
    # minimum-norm least-squares solution, and the same inverse gives every cell's leverage, the
    # diagonal of the weighted hat matrix W^1/2 X (X' W X)^+ X' W^1/2.
    inverse = np.linalg.pinv(weighted.T @ weighted)
    coef = inverse @ (weighted.T @ (y * w))
    leverage = ((weighted @ inverse) * weighted).sum(axis=1)
    leverage = np.clip(leverage, 0.0, 1.0)
    a = coef[1 : 1 + n_r]
    b = coef[1 + n_r :]
    mu = coef[0] + a.mean() + b.mean()
    a = a - a.mean()
    b = b - b.mean()
    expected = mu + a[r_idx] + b[p_idx]
    residual = y - expected
    # A pair that alone determines its rater's or provider's effect (h = 1) has no comparison.
    free = leverage < 1 - 1e-9
    loo = np.where(free, residual / np.where(free, 1 - leverage, 1.0), np.nan)
    n_eff = n * (1 - leverage)

    sd = data["sd"].to_numpy(float)
    within_df = np.clip(n - 1, 0, None)
    has_sd = (within_df > 0) & np.isfinite(sd)
    sigma2_within = np.nan
    if has_sd.any():
        sigma2_within = float((within_df[has_sd] * sd[has_sd] ** 2).sum() / within_df[has_sd].sum())
    # Method of moments on the weighted residual sum of squares. With e = (I - H) y in the weighted
    # fit, E[sum n_i e_i^2] = sigma2_within * trace(I - H) + sigma2_relationship * trace((I - H) W),
    # and trace((I - H) W) = sum n_i (1 - h_i) = sum n_eff_i (W = diag(n)). trace(I - H) is the
    # residual degrees of freedom of the cell means after mu, a and b (cells - rank).
    rel_df = float((1 - leverage).sum())
    if rel_df >= 2 - 1e-9 and np.isfinite(sigma2_within) and sigma2_within > 0:
        sigma2_rel = float(((n * residual**2).sum() - sigma2_within * rel_df) / n_eff.sum())
        lam = float(np.clip(sigma2_within / sigma2_rel, 0.0, MAX_LAMBDA)) if sigma2_rel > 0 else MAX_LAMBDA
    else:
        sigma2_rel = np.nan
        lam = DEFAULT_LAMBDA
    shrink = n_eff / (n_eff + lam)
    effect = loo * shrink
    s2 = sigma2_within if np.isfinite(sigma2_within) else np.nan
    half = Z95 * np.sqrt(s2 / (n_eff + lam))
    # The expectation of a pair comes from the other cells, whose means carry their own pairs'
    # relationship effects: Var(r) = sigma2_within / n_eff + sigma2_relationship * w, with w the sum
    # of the squared loadings of the other cells in the leave-pair-out prediction. With u = M+ x_i
    # (M = X'WX) and Sherman-Morrison, w = (u' X'W^2X u - h^2) / (1 - h)^2. A rater that rates few
    # other providers (or a provider with few other raters) gives a pair a poorly known expectation.
    loads = design @ inverse
    quad = ((loads @ (design.T @ (design * (n**2)[:, None]))) * loads).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        other_weight = np.where(free, (quad - leverage**2) / np.where(free, 1 - leverage, 1.0) ** 2, np.nan)
        spill = max(sigma2_rel, 0.0) if np.isfinite(sigma2_rel) else 0.0
        loo_se = np.where(n_eff > 0, np.sqrt(s2 / np.where(n_eff > 0, n_eff, 1.0) + spill * other_weight), np.nan)
    out = data.assign(
        expected=expected,
        residual=residual,
        leverage=leverage,
        loo_residual=loo,
        n_eff=n_eff,
        other_pairs_weight=other_weight,
        loo_se=loo_se,
        relationship_effect=effect,
        relationship_ci_low=effect - half,
        relationship_ci_high=effect + half,
    ).drop(columns=["sd"])
    rater_n = np.bincount(r_idx, weights=n, minlength=n_r)
    provider_n = np.bincount(p_idx, weights=n, minlength=n_p)
    return SRMFit(
        mu=float(mu),
        raters=pd.DataFrame({"rater_dept": raters, "rater_effect": a, "n": rater_n}),
        providers=pd.DataFrame({"provider_dept": providers, "provider_effect": b, "n": provider_n}),
        cells=out,
        sigma2_within=sigma2_within,
        sigma2_relationship=float(sigma2_rel),
        shrinkage_lambda=lam,
    )
