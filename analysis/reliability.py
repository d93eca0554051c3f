"""Reliability: is a dimension's score consistent, and are pair-level averages meaningful?

- Cronbach's alpha per dimension and wave (pingouin, pairwise deletion, Feldt 95% CI): below 0.7 the
  items of a dimension do not measure one thing ("low"); above 0.95 they are nearly redundant
  ("redundant").
- ICC(1) of response satisfaction within cells (one-way random-effects ANOVA with unequal cell
  sizes, computed from each cell's n, mean and sd): the share of the variance that lies between
  department pairs. Near 0, pair averages mostly reflect who happened to answer.

      MSB = sum n_c (m_c - m)^2 / (g - 1),  MSW = sum (n_c - 1) s_c^2 / (N - g)
      n0 = (N - sum n_c^2 / N) / (g - 1),  ICC(1) = (MSB - MSW) / (MSB + (n0 - 1) MSW)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.stats_adapter import cronbach_alpha

ALPHA_LOW = 0.7
ALPHA_HIGH = 0.95
RELIABILITY_COLUMNS = ["wave_id", "measure", "dimension", "value", "ci_low", "ci_high", "n", "n_items", "note"]


def icc1_from_moments(n: pd.Series, mean: pd.Series, sd: pd.Series) -> float:
    """ICC(1) of a one-way random-effects model from group sizes, means and sds (NaN if not estimable)."""
    n = np.asarray(n, dtype=float)
    mean = np.asarray(mean, dtype=float)
    sd = np.nan_to_num(np.asarray(sd, dtype=float))
    keep = n > 0
    n, mean, sd = n[keep], mean[keep], sd[keep]
    g, total = len(n), n.sum()
    if g < 2 or total - g < 1:
        return np.nan
    grand = (n * mean).sum() / total
    msb = (n * (mean - grand) ** 2).sum() / (g - 1)
    msw = ((n - 1) * sd**2).sum() / (total - g)
    n0 = (total - (n**2).sum() / total) / (g - 1)
    denominator = msb + (n0 - 1) * msw
    return float((msb - msw) / denominator) if denominator > 0 else np.nan


def reliability_table(
    values: np.ndarray, item_dimensions: list[str], cells: pd.DataFrame, *, wave_id: str
) -> pd.DataFrame:
    """Cronbach's alpha per dimension and ICC(1) within cells for one wave.

    Parameters
    ----------
    values : ndarray
        Shape (responses, items): Likert answers 1-5, NaN for not applicable.
    item_dimensions : list of str
        The dimension of each column of `values`.
    cells : DataFrame
        Unsuppressed cells of the wave with n, mean, sd.
    wave_id : str

    Returns
    -------
    DataFrame with RELIABILITY_COLUMNS: wave_id, measure ("alpha" or "icc1"), dimension (None for
    icc1), value, ci_low, ci_high, n (responses with an answer in the dimension; cells for icc1),
    n_items, note ("low", "redundant" or "").
    """
    if not len(values):
        return pd.DataFrame(columns=RELIABILITY_COLUMNS)
    rows = []
    dim_of = np.asarray(item_dimensions)
    for dim in dict.fromkeys(item_dimensions):
        block = pd.DataFrame(values[:, dim_of == dim])
        answered = block.dropna(how="all")
        alpha, low, high = cronbach_alpha(block)
        note = "" if np.isnan(alpha) else ("low" if alpha < ALPHA_LOW else "redundant" if alpha > ALPHA_HIGH else "")
        rows.append((wave_id, "alpha", dim, alpha, low, high, len(answered), block.shape[1], note))
    icc = icc1_from_moments(cells["n"], cells["mean"], cells["sd"]) if len(cells) else np.nan
    rows.append((wave_id, "icc1", None, icc, np.nan, np.nan, int((cells["n"].fillna(0) > 0).sum()), np.nan, ""))
    return pd.DataFrame(rows, columns=RELIABILITY_COLUMNS)
