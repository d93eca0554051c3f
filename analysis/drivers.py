"""Drivers and priorities: which dimensions move the recommend score, and where to act first.

For the organisation and for each provider with at least 30 responses, recommend (0-10) is
regressed on the response's dimension scores; each dimension's relative importance is its share of
the explained variance averaged over all orders of entry (LMG, pingouin's relimp), in percent.
The importance-performance matrix splits at the average importance (100 / dimensions) and at the
scope's average dimension performance:

    important and weak  -> fix_first          important and strong   -> keep_up
    unimportant and weak -> secondary         unimportant and strong -> possible_overkill

A quadrant is named only when the bootstrap supports it (docs/methodology.md, "Drivers and
priorities"): in 200 Poisson bootstrap resamples of the scope's responses (fixed seed, so a wave
always gets the same labels), the 95% percentile interval of the importance lies wholly above or
below the split, and that of the dimension's performance minus the scope's average performance
wholly above or below 0. Otherwise the quadrant is "unclear": with six dimensions importances often
sit near 1/6, and a label that a resample of the same answers would flip is noise, not a priority.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.cells import DIMENSION_PREFIX
from analysis.stats_adapter import (
    bootstrap_moments,
    canonical_order,
    lmg_from_covariance,
    poisson_weights,
    relative_importance_by_group,
)

MIN_DRIVER_N = 30
BOOTSTRAP_RESAMPLES = 200
BOOTSTRAP_SEED = 17
MAX_BUCKETS = 500  # rows are dealt into at most this many buckets per scope (stats_adapter.bootstrap_moments)
DRIVER_COLUMNS = [
    "wave_id",
    "scope",
    "provider_dept",
    "dimension",
    "n",
    "importance",
    "importance_ci_low",
    "importance_ci_high",
    "r2",
    "coef",
    "performance",
    "quadrant",
]


def quadrant(importance: pd.Series, performance: pd.Series) -> pd.Series:
    """Importance-performance quadrant per dimension of one scope (splits at the means)."""
    important = importance >= 100.0 / len(importance)
    strong = performance >= performance.mean()
    labels = np.select(
        [important & ~strong, important & strong, ~important & ~strong],
        ["fix_first", "keep_up", "secondary"],
        "possible_overkill",
    )
    return pd.Series(labels, index=importance.index)


def _supported_quadrants(important: np.ndarray, strong: np.ndarray) -> np.ndarray:
    """Quadrant names where both directions are supported (1 or -1), "unclear" where either is 0."""
    return np.select(
        [
            (important == 1) & (strong == -1),
            (important == 1) & (strong == 1),
            (important == -1) & (strong == -1),
            (important == -1) & (strong == 1),
        ],
        ["fix_first", "keep_up", "secondary", "possible_overkill"],
        "unclear",
    )


def _percentiles(draws: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """2.5th and 97.5th percentiles over axis 1, ignoring resamples whose figure is undefined (NaN);
    np.percentile when there are none (nanpercentile goes slice by slice: ten times slower)."""
    find = np.nanpercentile if np.isnan(draws).any() else np.percentile
    low, high = find(draws, [2.5, 97.5], axis=1)
    return low, high


def _bootstrap(scopes: list[np.ndarray]) -> list[dict[str, np.ndarray]]:
    """Importance intervals and supported directions for each scope; each array = [recommend, dims...]
    with its rows in a canonical order (stats_adapter.canonical_order).

    All scopes' resampled covariance matrices go through one batched LMG computation.
    """
    p = scopes[0].shape[1] - 1
    # one matrix of Poisson weights for every scope (each scope's buckets are its own random ones)
    weights = poisson_weights(np.random.default_rng(BOOTSTRAP_SEED), (BOOTSTRAP_RESAMPLES, MAX_BUCKETS))
    moments = [
        bootstrap_moments(
            values,
            BOOTSTRAP_RESAMPLES,
            np.random.default_rng([BOOTSTRAP_SEED, index]),
            MAX_BUCKETS,
            ordered=True,
            weights=weights,
        )
        for index, values in enumerate(scopes)
    ]
    perc = lmg_from_covariance(np.concatenate([cov for _, cov in moments]))[2]
    split = 100.0 / p
    # every scope's percentiles in one call (one call per scope cost more than the arithmetic)
    share = perc.reshape(len(scopes), BOOTSTRAP_RESAMPLES, p)
    performance = np.stack([means[:, 1:] for means, _ in moments])
    gap = performance - performance.mean(axis=2, keepdims=True)
    low, high = _percentiles(share)
    gap_low, gap_high = _percentiles(gap)
    important = np.where(low > split, 1, np.where(high < split, -1, 0))
    strong = np.where(gap_low > 0, 1, np.where(gap_high < 0, -1, 0))
    out = [
        {
            "importance_ci_low": low[index],
            "importance_ci_high": high[index],
            "quadrant": _supported_quadrants(important[index], strong[index]),
        }
        for index in range(len(scopes))
    ]
    return out


def driver_table(
    scores: pd.DataFrame, dimensions: tuple[str, ...], *, wave_id: str, min_n: int = MIN_DRIVER_N
) -> pd.DataFrame:
    """Relative importance and quadrants for the organisation and each provider with n >= min_n.

    Parameters
    ----------
    scores : DataFrame
        Response-level scores of one wave (analysis.cells.score_responses): provider_dept,
        recommend and dim_<dimension> columns.
    dimensions : tuple of str
    wave_id : str
    min_n : int
        Complete responses a provider needs (at least 30; never below the anonymity threshold).

    Returns
    -------
    DataFrame with DRIVER_COLUMNS: wave_id, scope ("organisation" or "provider"), provider_dept,
    dimension, n, importance (percent, sums to 100 per scope), importance_ci_low, importance_ci_high
    (95% Poisson-bootstrap percentile interval), r2, coef, performance (mean dimension score 0-100),
    quadrant ("fix_first", "keep_up", "secondary", "possible_overkill" when the bootstrap supports
    it, otherwise "unclear").
    """
    predictors = [DIMENSION_PREFIX + d for d in dimensions]
    complete = scores.dropna(subset=[*predictors, "recommend"])
    if len(complete) <= max(len(predictors) + 1, min_n - 1) or complete["recommend"].nunique() < 2:
        return pd.DataFrame(columns=DRIVER_COLUMNS)
    # The organisation: the batched LMG on one group holding every response (the same numbers as
    # pingouin.linear_regression(..., relimp=True), checked in tests/analysis/test_stats_adapter.py,
    # in half the time on a wave of 250,000 responses).
    org = relative_importance_by_group(
        complete[[*predictors, "recommend"]].assign(_scope=0), predictors, "recommend", "_scope"
    )
    sizes = complete.groupby("provider_dept").size()
    large = complete[complete["provider_dept"].isin(sizes[sizes >= min_n].index)]
    # One canonical order of the rows (by their values, so the same answers give the same intervals
    # whatever order storage returned them in), grouped by provider: the organisation's resamples and
    # each large provider's slice use it without sorting again.
    codes, providers = pd.factorize(complete["provider_dept"], sort=True)
    values = complete[["recommend", *predictors]].to_numpy(dtype=float)
    order = canonical_order(np.column_stack([values, codes]), codes)
    values, codes = values[order], codes[order]
    bounds = np.searchsorted(codes, np.arange(len(providers) + 1))
    chosen = [i for i, provider in enumerate(providers) if sizes[provider] >= min_n]
    groups = [(providers[i], None) for i in chosen]
    boots = _bootstrap([values] + [values[bounds[i] : bounds[i + 1]] for i in chosen])
    org_boot = boots[0]
    org_frame = pd.DataFrame(
        {
            "wave_id": wave_id,
            "scope": "organisation",
            "provider_dept": None,
            "dimension": [p.removeprefix(DIMENSION_PREFIX) for p in org["predictor"]],
            "n": org["n"].to_numpy(),
            "importance": org["relimp_perc"].to_numpy(),
            "importance_ci_low": org_boot["importance_ci_low"],
            "importance_ci_high": org_boot["importance_ci_high"],
            "r2": org["r2"].to_numpy(),
            "coef": org["coef"].to_numpy(),
            "performance": complete[predictors].mean().to_numpy(),
            "quadrant": org_boot["quadrant"],
        }
    )
    # Providers with enough responses: the same statistic, all providers in one batched pass.
    frames = [org_frame]
    if len(large):
        by = relative_importance_by_group(large, predictors, "recommend", "provider_dept")
        performance = large.groupby("provider_dept")[predictors].mean().stack().rename("performance")
        by = by.join(performance, on=["provider_dept", "predictor"])
        provider_frame = pd.DataFrame(
            {
                "wave_id": wave_id,
                "scope": "provider",
                "provider_dept": by["provider_dept"].to_numpy(),
                "dimension": by["predictor"].str.removeprefix(DIMENSION_PREFIX).to_numpy(),
                "n": by["n"].to_numpy(),
                "importance": by["relimp_perc"].to_numpy(),
                "r2": by["r2"].to_numpy(),
                "coef": by["coef"].to_numpy(),
                "performance": by["performance"].to_numpy(),
            }
        )
        by_provider = {provider: boot for (provider, _), boot in zip(groups, boots[1:], strict=True)}
        position = np.tile(np.arange(len(predictors)), len(provider_frame) // len(predictors))
        for column in ("importance_ci_low", "importance_ci_high", "quadrant"):
            provider_frame[column] = [
                by_provider[p][column][j] for p, j in zip(provider_frame["provider_dept"], position, strict=True)
            ]
        frames.append(provider_frame.dropna(subset=["importance"]))
    out = pd.concat([f for f in frames if len(f)], ignore_index=True)
    return out[DRIVER_COLUMNS]
