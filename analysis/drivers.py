"""Drivers and priorities: which dimensions move the recommend score, and where to act first.

For the organisation and for each provider with at least 30 responses, recommend (0-10) is
regressed on the response's dimension scores; each dimension's relative importance is its share of
the explained variance averaged over all orders of entry (LMG, pingouin's relimp), in percent.
The importance-performance matrix splits at the average importance (100 / dimensions) and at the
scope's average dimension performance:

    important and weak  -> fix_first          important and strong   -> keep_up
    unimportant and weak -> secondary         unimportant and strong -> possible_overkill
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.cells import DIMENSION_PREFIX
from analysis.stats_adapter import relative_importance_by_group

MIN_DRIVER_N = 30
DRIVER_COLUMNS = [
    "wave_id",
    "scope",
    "provider_dept",
    "dimension",
    "n",
    "importance",
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


def _with_quadrants(frame: pd.DataFrame) -> pd.DataFrame:
    """`quadrant` for every scope at once (same splits, vectorised over scopes)."""
    # The organisation's provider_dept is None; pandas 3 keeps it as NaN through astype(str), and a
    # NaN key drops those rows from every group (all came out `secondary`): fill it first.
    scope = frame["scope"].astype(str) + "|" + frame["provider_dept"].fillna("").astype(str)
    grouped = frame.groupby(scope.to_numpy(), sort=False, dropna=False)
    important = frame["importance"] >= 100.0 / grouped["importance"].transform("size")
    strong = frame["performance"] >= grouped["performance"].transform("mean")
    labels = np.select(
        [important & ~strong, important & strong, ~important & ~strong],
        ["fix_first", "keep_up", "secondary"],
        "possible_overkill",
    )
    return frame.assign(quadrant=labels)


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
    dimension, n, importance (percent, sums to 100 per scope), r2, coef, performance (mean dimension
    score 0-100), quadrant.
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
    org_frame = pd.DataFrame(
        {
            "wave_id": wave_id,
            "scope": "organisation",
            "provider_dept": None,
            "dimension": [p.removeprefix(DIMENSION_PREFIX) for p in org["predictor"]],
            "n": org["n"].to_numpy(),
            "importance": org["relimp_perc"].to_numpy(),
            "r2": org["r2"].to_numpy(),
            "coef": org["coef"].to_numpy(),
            "performance": complete[predictors].mean().to_numpy(),
        }
    )
    # Providers with enough responses: the same statistic, all providers in one batched pass.
    sizes = complete.groupby("provider_dept").size()
    large = complete[complete["provider_dept"].isin(sizes[sizes >= min_n].index)]
    frames = [org_frame]
    if len(large):
        by = relative_importance_by_group(large, predictors, "recommend", "provider_dept")
        performance = large.groupby("provider_dept")[predictors].mean().stack().rename("performance")
        by = by.join(performance, on=["provider_dept", "predictor"])
        frames.append(
            pd.DataFrame(
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
            ).dropna(subset=["importance"])
        )
    out = _with_quadrants(pd.concat([f for f in frames if len(f)], ignore_index=True))
    return out[DRIVER_COLUMNS]
