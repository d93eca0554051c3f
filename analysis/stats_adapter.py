"""The one module that calls pingouin and scipy statistics, with stable output names.

pingouin renames its output columns between versions (0.7.0 says `CI97.5` and `ICC(1,1)` where
older versions said `CI[97.5%]` and `ICC1`), so every caller goes through these wrappers and sees
the names defined here. Tests in tests/analysis/test_stats_adapter.py pin the reference values.
"""

from __future__ import annotations

from math import comb

import numpy as np
import pandas as pd
import pingouin as pg
from scipy import stats

# pingouin output name (any version) -> our name
_REGRESSION_NAMES = {
    "names": "predictor",
    "coef": "coef",
    "se": "se",
    "T": "t",
    "pval": "p_value",
    "r2": "r2",
    "adj_r2": "adj_r2",
    "relimp": "relimp",
    "relimp_perc": "relimp_perc",
}


def t_quantile(probability: float, dof: np.ndarray | pd.Series | float) -> np.ndarray:
    """Quantile of Student's t distribution (vectorised over `dof`; NaN where dof is NaN or < 1)."""
    dof = np.asarray(dof, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(dof >= 1, stats.t.ppf(probability, np.where(dof >= 1, dof, 1.0)), np.nan)


def two_sided_t_p(t: np.ndarray | pd.Series, dof: np.ndarray | pd.Series) -> np.ndarray:
    """Two-sided p-value of t statistics with `dof` degrees of freedom, vectorised."""
    t = np.asarray(t, dtype=float)
    dof = np.asarray(dof, dtype=float)
    return 2.0 * stats.t.sf(np.abs(t), dof)


def welch_from_moments(
    mean1: np.ndarray | pd.Series,
    sd1: np.ndarray | pd.Series,
    n1: np.ndarray | pd.Series,
    mean2: np.ndarray | pd.Series,
    sd2: np.ndarray | pd.Series,
    n2: np.ndarray | pd.Series,
) -> pd.DataFrame:
    """Welch's unequal-variance t-test of mean1 - mean2 from summary statistics, vectorised.

    Same statistic as scipy.stats.ttest_ind(a, b, equal_var=False), without the samples.

    Returns
    -------
    DataFrame with columns t, dof (Welch-Satterthwaite degrees of freedom) and p_value (two-sided);
    NaN where a group has fewer than 2 responses or both variances are 0.
    """
    m1, s1, k1 = (np.asarray(v, dtype=float) for v in (mean1, sd1, n1))
    m2, s2, k2 = (np.asarray(v, dtype=float) for v in (mean2, sd2, n2))
    with np.errstate(invalid="ignore", divide="ignore"):
        v1 = np.where(k1 >= 2, s1**2 / k1, np.nan)
        v2 = np.where(k2 >= 2, s2**2 / k2, np.nan)
        se2 = v1 + v2
        t = np.where(se2 > 0, (m1 - m2) / np.sqrt(se2), np.nan)
        dof = se2**2 / (v1**2 / (k1 - 1) + v2**2 / (k2 - 1))
        p = np.where(np.isnan(t), np.nan, two_sided_t_p(np.nan_to_num(t), np.nan_to_num(dof, nan=1.0)))
    return pd.DataFrame({"t": t, "dof": np.where(np.isnan(t), np.nan, dof), "p_value": p})


def fdr_bh(p_values: np.ndarray | pd.Series, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Benjamini-Hochberg false discovery rate control over one family of tests (pingouin.multicomp).

    NaN p-values (no test possible) are not part of the family: they are never rejected and their
    adjusted value is NaN. Same result as statsmodels.stats.multitest.multipletests(p, alpha,
    method="fdr_bh") on the tested p-values (checked in tests/analysis/test_stats_adapter.py).

    Returns
    -------
    (reject, adjusted): bool array (adjusted p-value <= alpha) and the BH-adjusted p-values.
    """
    p = np.asarray(p_values, dtype=float)
    reject = np.zeros(p.shape, dtype=bool)
    adjusted = np.full(p.shape, np.nan)
    tested = ~np.isnan(p)
    if tested.any():
        _, corrected = pg.multicomp(p[tested], alpha=alpha, method="fdr_bh")
        adjusted[tested] = corrected
        reject[tested] = corrected <= alpha
    return reject, adjusted


def cronbach_alpha(items: pd.DataFrame, ci: float = 0.95) -> tuple[float, float, float]:
    """Cronbach's alpha of the item columns of `items` (rows are responses), with Feldt's interval.

    Uses pingouin.cronbach_alpha with pairwise deletion of missing answers (R: psych::alpha(x,
    use = "pairwise")). Returns (alpha, ci_low, ci_high); all NaN with fewer than 2 items or rows.
    """
    data = items.dropna(how="all")
    if data.shape[1] < 2 or data.shape[0] < 2:
        return np.nan, np.nan, np.nan
    # Alpha divides by the variance of the total score: when (pairwise) that is about zero, e.g. a few
    # respondents who all answered alike, the quotient is rounding noise (1e16 was seen), not a value.
    covariance = data.astype(float).cov()
    if not covariance.sum().sum() > 1e-9 * max(float(np.trace(covariance.fillna(0))), 1e-12):
        return np.nan, np.nan, np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha, interval = pg.cronbach_alpha(data=data.astype(float), ci=ci)
    return float(alpha), float(interval[0]), float(interval[1])


def relative_importance(data: pd.DataFrame, predictors: list[str], outcome: str) -> pd.DataFrame:
    """Linear regression of `outcome` on `predictors` with relative importance (LMG, pingouin).

    Rows with a missing value are dropped first.

    Returns
    -------
    DataFrame, one row per predictor: predictor, coef, se, t, p_value, relimp (share of R^2
    attributed to the predictor, in R^2 units), relimp_perc (percent of R^2, sums to 100), r2 (of the
    whole model), n (rows used).
    """
    complete = data[[*predictors, outcome]].dropna()
    if len(complete) <= len(predictors) + 1:
        raise ValueError(
            f"relative importance needs more than {len(predictors) + 1} complete rows, got {len(complete)}"
        )
    result = pg.linear_regression(complete[predictors], complete[outcome], relimp=True)
    result = result.rename(columns=_REGRESSION_NAMES)
    result = result[result["predictor"] != "Intercept"].reset_index(drop=True)
    result["n"] = len(complete)
    return result[["predictor", "coef", "se", "t", "p_value", "relimp", "relimp_perc", "r2", "n"]]


def _solve(matrices: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Solve matrices[g] @ x[g] = rhs[g] for every g; a group whose matrix is singular (collinear or
    constant predictors) falls back to the pseudo-inverse, as before, without slowing the others."""
    try:
        return np.linalg.solve(matrices, rhs[..., None])[..., 0]
    except np.linalg.LinAlgError:
        return np.einsum("gij,gj->gi", np.linalg.pinv(matrices), rhs)


def _lmg_by_subsets(cov: np.ndarray) -> np.ndarray:
    """Importances (R^2 units, shape (g, p)) from one least-squares solve per subset of predictors.

    The slow, robust path: a singular subset (collinear or constant predictors) is solved with the
    pseudo-inverse, as pingouin does. Used only for the groups the lattice walk cannot pivot.
    """
    g, p = cov.shape[0], cov.shape[1] - 1
    var_y, cxy, cxx = cov[:, 0, 0], cov[:, 1:, 0], cov[:, 1:, 1:]
    r2 = np.zeros((g, 2**p))
    with np.errstate(invalid="ignore", divide="ignore"):
        for mask in range(1, 2**p):
            idx = np.flatnonzero((mask >> np.arange(p)) & 1)
            rhs = cxy[:, idx]
            beta = _solve(cxx[:, idx][:, :, idx], rhs)
            r2[:, mask] = (beta * rhs).sum(axis=1) / var_y
        size = np.array([bin(m).count("1") for m in range(2**p)])
        all_masks = np.arange(2**p)
        relimp = np.empty((g, p))
        for j in range(p):
            without = all_masks[(all_masks >> j) & 1 == 0]
            diff = r2[:, without | (1 << j)] - r2[:, without]
            relimp[:, j] = np.mean([diff[:, size[without] == s].mean(axis=1) for s in range(p)], axis=0)
    return relimp


def _lmg_by_lattice(cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Importances (R^2 units, shape (g, p)) by walking the lattice of predictor subsets.

    After the predictors of a subset S are partialled out of the (co)variance matrix (its Schur
    complement), the remaining entries are residual covariances given S, and the R^2 gained by adding
    predictor j to S is cov(y, x_j | S)^2 / (var(x_j | S) var(y)): one complement gives every
    increment from S at once. Each subset's complement comes from its parent's by one pivot, and LMG
    averages the increments over subset sizes (each size weighted 1 / C(p - 1, size)). Five times
    faster than one solve per subset for the drivers' thousands of bootstrap matrices.

    Returns (relimp, ok): ok is False for a group where a pivot was not positive (a predictor
    constant or collinear given the others); those groups' importances are not usable.
    """
    g, p = cov.shape[0], cov.shape[1] - 1
    var_y = cov[:, 0, 0]
    relimp = np.zeros((g, p))
    ok = np.ones(g, dtype=bool)
    tolerance = 1e-12 * np.abs(np.einsum("gii->g", cov))
    # subsets of one size at a time: mask -> (complement over [y, unpartialled predictors], their indices)
    level: dict[int, tuple[np.ndarray, list[int]]] = {0: (cov, list(range(p)))}
    with np.errstate(invalid="ignore", divide="ignore"):
        for size in range(p):
            weight = 1.0 / comb(p - 1, size)
            below: dict[int, tuple[np.ndarray, list[int]]] = {}
            for mask, (matrix, rest) in level.items():
                pivots = np.einsum("gii->gi", matrix)[:, 1:]
                ok &= (pivots > tolerance[:, None]).all(axis=1)
                relimp[:, rest] += weight * matrix[:, 0, 1:] ** 2 / pivots
                # children add a predictor above the subset's highest one: each subset is made once
                for position, j in enumerate(rest):
                    if size == p - 1 or j < mask.bit_length():
                        continue
                    k = position + 1
                    keep = [i for i in range(len(rest) + 1) if i != k]
                    column = matrix[:, keep, k]
                    complement = (
                        matrix[:, keep][:, :, keep]
                        - column[:, :, None] * column[:, None, :] / matrix[:, k, k][:, None, None]
                    )
                    below[mask | (1 << j)] = (complement, [r for r in rest if r != j])
            level = below
        relimp /= p * var_y[:, None]
    return relimp, ok & np.isfinite(relimp).all(axis=1)


def lmg_from_covariance(cov: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """LMG relative importance from (co)variance matrices of [outcome, predictors...], batched.

    `cov` has shape (groups, 1 + p, 1 + p) (any common scale: sums of squares or covariances). Each
    predictor's importance is its R^2 increment averaged over the orders of entry (pingouin's relimp
    computes the same from the covariance matrix; tests/analysis/test_stats_adapter.py checks them
    against each other). Groups whose predictors are constant or collinear take the per-subset solve
    with the pseudo-inverse, as pingouin does. Returns (coef (g, p), relimp (g, p) in R^2 units,
    relimp_perc (g, p), r2 (g,)).
    """
    relimp, ok = _lmg_by_lattice(cov)
    if not ok.all():
        relimp[~ok] = _lmg_by_subsets(cov[~ok])
    with np.errstate(invalid="ignore", divide="ignore"):
        coef = _solve(cov[:, 1:, 1:], cov[:, 1:, 0])
        total = relimp.sum(axis=1)
        perc = relimp / total[:, None] * 100
    return coef, relimp, perc, total


_POISSON_ONE_CDF = stats.poisson.cdf(np.arange(20), 1.0)  # P(W > 19) ~ 1e-19: never drawn in practice


def poisson_weights(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Poisson(1) bootstrap weights by inverting the CDF on uniform draws: the same distribution as
    rng.poisson(1.0, shape), about four times faster (the report draws millions)."""
    return np.searchsorted(_POISSON_ONE_CDF, rng.random(shape), side="right").astype(float)


def _canonical_order(values: np.ndarray) -> np.ndarray:
    """An order of the rows that depends only on their values: by a 64-bit key built from each row's
    bits (equal rows are interchangeable, so their order among themselves does not matter). One
    argsort of integers, several times cheaper than sorting on every column."""
    bits = np.ascontiguousarray(values, dtype=np.float64).view(np.uint64)
    key = np.zeros(len(values), dtype=np.uint64)
    for column in bits.T:
        key = key * np.uint64(1_000_003) + column  # wraps modulo 2**64, as a hash should
    return np.argsort(key, kind="stable")


def canonical_order(values: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
    """An order of the rows that depends only on their values, with the rows of each group (small
    non-negative integer codes) together: bootstrap_moments(..., ordered=True) can then take each
    group's slice, and the whole, without sorting again."""
    order = _canonical_order(values)
    if groups is None:
        return order
    # a stable sort of small integer codes is a radix sort: cheap, and it keeps the canonical order
    return order[np.argsort(np.asarray(groups)[order].astype(np.int32), kind="stable")]


def bootstrap_moments(
    values: np.ndarray,
    resamples: int,
    rng: np.random.Generator,
    max_buckets: int = 500,
    *,
    ordered: bool = False,
    weights: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Means and covariance matrices of the columns of `values` in Poisson bootstrap resamples.

    Each row gets a Poisson(1) weight in each resample (the Poisson bootstrap, Hanley & MacGibbon
    2006; for n in the tens or more the same as resampling n rows with replacement), so a resample's
    moments are a weighted sum and no resampled copy of the data is made. With more than
    `max_buckets` rows, the rows are first dealt at random into `max_buckets` buckets and each
    bucket gets one weight (Chamandy et al. 2012, "Estimating uncertainty for massive data
    streams"): the bucket sums of the centred values and of their products have the same variance
    as the row sums they add up, so the intervals stay right while the cost no longer grows with
    resamples x rows.

    The rows are first put in a canonical order (by a 64-bit key of their values), so the weights
    depend on the data, not on the order storage returned it in: the same answers give the same
    intervals. `ordered=True` says the rows already are in such an order (see `canonical_order`).

    `weights` (resamples x at least max_buckets Poisson(1) draws, see `poisson_weights`) may be shared
    by several scopes: each scope's own interval stays a Poisson bootstrap (only the scopes' resamples
    become dependent, which no interval of one scope depends on), and drawing them once saves most of
    the random numbers. Without it, `rng` draws them.

    Returns (means (resamples, q), cov (resamples, q, q)), the weighted (population) moments.
    """
    n, q = values.shape
    if n > 1 and not ordered:
        values = values[_canonical_order(values)]
    centre = values.mean(axis=0)
    z = values - centre
    if n > max_buckets:
        # a random order, then consecutive slices of `size` rows: each slice is a random bucket (the
        # last ones may be shorter or empty); zero rows pad the matrix so one batched product
        # gives every bucket's sums of products
        size = -(-n // max_buckets)
        padded = np.zeros((max_buckets * size, q))
        padded[:n] = z[rng.permutation(n)]
        blocks = padded.reshape(max_buckets, size, q)
        count = np.clip(n - np.arange(max_buckets) * size, 0, size).astype(float)
        first_sums = blocks.sum(axis=1)
        second_sums = np.matmul(blocks.transpose(0, 2, 1), blocks).reshape(max_buckets, q * q)
    else:
        count, first_sums = np.ones(n), z
        second_sums = (z[:, :, None] * z[:, None, :]).reshape(n, q * q)
    weights = poisson_weights(rng, (resamples, len(count))) if weights is None else weights[:resamples, : len(count)]
    total = weights @ count
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (weights @ first_sums) / total[:, None]
        second = (weights @ second_sums) / total[:, None]
        cov = second.reshape(resamples, q, q) - mean[:, :, None] * mean[:, None, :]
    return mean + centre, cov


def relative_importance_by_group(data: pd.DataFrame, predictors: list[str], outcome: str, group: str) -> pd.DataFrame:
    """Relative importance (LMG) of `predictors` for `outcome` in every group at once.

    The same numbers as pingouin.linear_regression(..., relimp=True) run on each group (pingouin
    computes LMG from the covariance matrix, and so does this), but all groups share one batched
    solve per subset of predictors instead of one pingouin call per group: with 40 providers the
    per-group calls would dominate the report's time. tests/analysis/test_stats_adapter.py checks
    the two agree.

    Returns
    -------
    DataFrame, one row per (group, predictor): `group`, predictor, coef (slope in the full model),
    relimp (R^2 units), relimp_perc (percent of R^2), r2, n (complete rows). Groups whose
    predictors are collinear or constant get NaN.
    """
    complete = data[[group, *predictors, outcome]].dropna()
    codes, groups = pd.factorize(complete[group], sort=True)
    g, p = len(groups), len(predictors)
    if g == 0:
        return pd.DataFrame(columns=[group, "predictor", "coef", "relimp", "relimp_perc", "r2", "n"])
    z = complete[[outcome, *predictors]].to_numpy(dtype=float)
    count = np.bincount(codes, minlength=g).astype(float)
    # Rows sorted by group once; then each group's cross-product matrix is one BLAS product of its
    # centred block (measured: ~10x faster than a bincount per pair of columns on 250,000 rows).
    # (A stable sort of 16-bit codes is a radix sort; np.take beats fancy indexing here, measured.)
    order = np.argsort(codes.astype(np.int16) if g < 2**15 else codes, kind="stable")
    z = np.take(z, order, axis=0)
    bounds = np.concatenate([[0], np.cumsum(count.astype(np.int64))])
    cov = np.empty((g, p + 1, p + 1))
    for index in range(g):
        block = z[bounds[index] : bounds[index + 1]]
        centred = block - block.mean(axis=0)
        cov[index] = centred.T @ centred
    coef, relimp, perc, full = lmg_from_covariance(cov)
    return pd.DataFrame(
        {
            group: np.repeat(np.asarray(groups), p),
            "predictor": np.tile(predictors, g),
            "coef": coef.ravel(),
            "relimp": relimp.ravel(),
            "relimp_perc": perc.ravel(),
            "r2": np.repeat(full, p),
            "n": np.repeat(count.astype(np.int64), p),
        }
    )
