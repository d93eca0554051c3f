"""Cell statistics: one row per (wave, rater department, provider department).

Scores are on 0-100 (a Likert answer s maps to (s - 1) * 25). DESIGN.md section 4 defines every
column; docs/methodology.md explains them in plain words.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

CELL_KEYS = ["wave_id", "rater_dept", "provider_dept"]
PROMOTER_MIN = 9  # 9-10 promoters
PASSIVE_MIN = 7  # 7-8 passives, 0-6 detractors

_SCORE_COLUMNS = {"wave_id", "rater_dept", "provider_dept", "satisfaction", "recommend", "n_items", "n_favourable"}


def _check_scores(scores: pd.DataFrame) -> None:
    missing = _SCORE_COLUMNS - set(scores.columns)
    if missing:
        raise ValueError(f"scores is missing column(s) {sorted(missing)}")


def t_interval(mean: pd.Series, sd: pd.Series, n: pd.Series, level: float = 0.95) -> tuple[pd.Series, pd.Series]:
    """Two-sided t-based confidence interval of a mean, vectorised; NaN where n < 2."""
    n = n.astype(float)
    df = (n - 1).where(n >= 2)
    half = stats.t.ppf(0.5 + level / 2, df) * sd / np.sqrt(n)
    return mean - half, mean + half


def nps_from_counts(promoters: pd.Series, detractors: pd.Series, n: pd.Series) -> pd.DataFrame:
    """Internal NPS and its 95% interval from counts, vectorised.

    iNPS = 100 * (p - d); half-width = 1.96 * 100 * sqrt((p + d - (p - d)^2) / n), with p and d
    the promoter and detractor shares (DESIGN.md section 4). Bounds are clipped to [-100, 100].

    Returns columns: inps, inps_ci_low, inps_ci_high (NaN where n is 0).
    """
    n = n.astype(float).where(n > 0)
    p = promoters / n
    d = detractors / n
    inps = 100 * (p - d)
    half = 1.96 * 100 * np.sqrt(np.maximum(p + d - (p - d) ** 2, 0) / n)
    return pd.DataFrame(
        {
            "inps": inps,
            "inps_ci_low": (inps - half).clip(lower=-100),
            "inps_ci_high": (inps + half).clip(upper=100),
        }
    )


def summarise(scores: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Satisfaction and loyalty of response-level `scores` grouped by `keys`.

    `scores` has one row per response: satisfaction (0-100, may be missing), recommend (0-10, may be
    missing), n_items and n_favourable. Returns `keys` plus: n (responses with a satisfaction),
    mean, sd, ci_low, ci_high, favourable (share of answered items at 4-5), n_recommend, promoters,
    passives, detractors, inps, inps_ci_low, inps_ci_high.
    """
    frame = scores.assign(
        _sat2=scores["satisfaction"] ** 2,
        _has=scores["satisfaction"].notna().astype(int),
        _rec=scores["recommend"].notna().astype(int),
        _pro=(scores["recommend"] >= PROMOTER_MIN).astype(int),
        _pas=scores["recommend"].between(PASSIVE_MIN, PROMOTER_MIN - 1).astype(int),
        _det=(scores["recommend"] < PASSIVE_MIN).astype(int),
    )
    g = frame.groupby(keys, sort=True, observed=True).agg(
        n=("_has", "sum"),
        _sum=("satisfaction", "sum"),
        _sum2=("_sat2", "sum"),
        _items=("n_items", "sum"),
        _fav=("n_favourable", "sum"),
        n_recommend=("_rec", "sum"),
        promoters=("_pro", "sum"),
        passives=("_pas", "sum"),
        detractors=("_det", "sum"),
    )
    n = g["n"].astype(float)
    mean = (g["_sum"] / n).where(n > 0)
    var = ((g["_sum2"] - n * mean**2) / (n - 1)).where(n >= 2).clip(lower=0)
    g["mean"] = mean
    g["sd"] = np.sqrt(var)
    g["ci_low"], g["ci_high"] = t_interval(g["mean"], g["sd"], g["n"])
    g["favourable"] = (g["_fav"] / g["_items"]).where(g["_items"] > 0)
    nps = nps_from_counts(g["promoters"], g["detractors"], g["n_recommend"])
    g = g.join(nps).drop(columns=["_sum", "_sum2", "_items", "_fav"]).reset_index()
    columns = [
        *keys,
        "n",
        "mean",
        "sd",
        "ci_low",
        "ci_high",
        "favourable",
        "n_recommend",
        "promoters",
        "passives",
        "detractors",
        "inps",
        "inps_ci_low",
        "inps_ci_high",
    ]
    return g[columns]


def cell_stats(scores: pd.DataFrame) -> pd.DataFrame:
    """Statistics per cell (wave, rater department, provider department); see `summarise`."""
    _check_scores(scores)
    return summarise(scores, CELL_KEYS)


def org_stats(scores: pd.DataFrame) -> pd.DataFrame:
    """The organisation's figures per wave (all responses); see `summarise`."""
    _check_scores(scores)
    return summarise(scores, ["wave_id"])
