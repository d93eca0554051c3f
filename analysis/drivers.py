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
from analysis.stats_adapter import relative_importance

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


def _scope(frame: pd.DataFrame, dimensions: tuple[str, ...], wave_id: str, scope: str, provider: str | None):
    predictors = [DIMENSION_PREFIX + d for d in dimensions]
    fit = relative_importance(frame, predictors, "recommend")
    out = pd.DataFrame(
        {
            "wave_id": wave_id,
            "scope": scope,
            "provider_dept": provider,
            "dimension": [p.removeprefix(DIMENSION_PREFIX) for p in fit["predictor"]],
            "n": fit["n"].to_numpy(),
            "importance": fit["relimp_perc"].to_numpy(),
            "r2": fit["r2"].to_numpy(),
            "coef": fit["coef"].to_numpy(),
            "performance": frame[predictors].mean().to_numpy(),
        }
    )
    out["quadrant"] = quadrant(out["importance"], out["performance"])
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
    dimension, n, importance (percent, sums to 100 per scope), r2, coef, performance (mean dimension
    score 0-100), quadrant.
    """
    predictors = [DIMENSION_PREFIX + d for d in dimensions]
    complete = scores.dropna(subset=[*predictors, "recommend"])
    frames = []
    if len(complete) > max(len(predictors) + 1, min_n - 1):
        frames.append(_scope(complete, dimensions, wave_id, "organisation", None))
        for provider, group in complete.groupby("provider_dept", sort=True):
            if len(group) >= min_n and group["recommend"].nunique() > 1:
                frames.append(_scope(group, dimensions, wave_id, "provider", provider))
    if not frames:
        return pd.DataFrame(columns=DRIVER_COLUMNS)
    return pd.concat(frames, ignore_index=True)[DRIVER_COLUMNS]
