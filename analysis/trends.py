"""Trends: change since the previous wave, per cell, provider, rater and for the organisation.

Welch's t-test is computed vectorised from each side's n, mean and sd (analysis.stats_adapter),
never one library call per pair. Both sides must be shown (suppressed tables go in): a trend that
touches a hidden figure in either wave is hidden too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analysis.stats_adapter import welch_from_moments

LEVEL_KEYS = {
    "cell": ["rater_dept", "provider_dept"],
    "provider": ["provider_dept"],
    "rater": ["rater_dept"],
    "organisation": [],
}
TREND_COLUMNS = [
    "wave_id",
    "previous_wave_id",
    "level",
    "rater_dept",
    "provider_dept",
    "n",
    "mean",
    "previous_n",
    "previous_mean",
    "change",
    "change_ci_low",
    "change_ci_high",
    "t",
    "dof",
    "p_value",
    "significant",
]
ALPHA = 0.05


def trend_table(
    current: dict[str, pd.DataFrame],
    previous: dict[str, pd.DataFrame],
    *,
    wave_id: str,
    previous_wave_id: str | None,
    alpha: float = ALPHA,
) -> tuple[pd.DataFrame, pd.Series]:
    """Wave-over-wave change with Welch tests at every level.

    Parameters
    ----------
    current, previous : dict of level -> DataFrame
        Suppressed tables of the two waves ("cell", "provider", "rater", "organisation"), each with
        its level's keys (see LEVEL_KEYS), n, mean, sd and suppressed.
    wave_id, previous_wave_id : str
    alpha : float
        Significance level for `significant`.

    Returns
    -------
    (trends, hidden): trends has TREND_COLUMNS (one row per row of `current`; previous_* and the
    test are NaN when the previous wave has no such figure); hidden (bool, aligned) is True where
    either side is hidden, for `suppress_small_cells(..., hide=hidden)`.
    """
    frames, hidden = [], []
    for level, keys in LEVEL_KEYS.items():
        now = current.get(level)
        if now is None or now.empty:
            continue
        now = now.reset_index(drop=True)
        before = previous.get(level)
        if before is None or before.empty:
            before = pd.DataFrame(columns=[*keys, "n", "mean", "sd", "suppressed"])
        before = before[[*keys, "n", "mean", "sd", "suppressed"]].rename(
            columns={"n": "previous_n", "mean": "previous_mean", "sd": "previous_sd", "suppressed": "previous_hidden"}
        )
        merged = now.merge(before, on=keys, how="left") if keys else now.join(before.reset_index(drop=True))
        test = welch_from_moments(
            merged["mean"],
            merged["sd"],
            merged["n"],
            merged["previous_mean"],
            merged["previous_sd"],
            merged["previous_n"],
        )
        frame = pd.DataFrame(
            {
                "wave_id": wave_id,
                "previous_wave_id": previous_wave_id,
                "level": level,
                "rater_dept": merged["rater_dept"] if "rater_dept" in keys else None,
                "provider_dept": merged["provider_dept"] if "provider_dept" in keys else None,
                "n": merged["n"].astype(float),
                "mean": merged["mean"].astype(float),
                "previous_n": merged["previous_n"].astype(float),
                "previous_mean": merged["previous_mean"].astype(float),
                "change": (merged["mean"] - merged["previous_mean"]).astype(float),
                "t": test["t"].to_numpy(),
                "dof": test["dof"].to_numpy(),
                "p_value": test["p_value"].to_numpy(),
            }
        )
        # Welch interval of the change: change +/- t(1 - alpha/2, Welch dof) * its standard error.
        sd, n = merged["sd"].astype(float), merged["n"].astype(float)
        sd0, n0 = merged["previous_sd"].astype(float), merged["previous_n"].astype(float)
        se = np.sqrt(sd**2 / n + sd0**2 / n0).to_numpy()
        half = stats.t.ppf(1 - alpha / 2, frame["dof"].astype(float)) * se
        frame["change_ci_low"] = frame["change"] - half
        frame["change_ci_high"] = frame["change"] + half
        frame["significant"] = significance(frame["p_value"], alpha)
        frames.append(frame)
        hidden.append(merged["suppressed"].astype(bool) | merged["previous_hidden"].astype("boolean").fillna(False))
    if not frames:
        return pd.DataFrame(columns=TREND_COLUMNS), pd.Series(dtype=bool)
    trends = pd.concat(frames, ignore_index=True)[TREND_COLUMNS]
    return trends, pd.Series(np.concatenate([h.to_numpy(dtype=bool) for h in hidden]), index=trends.index)


def significance(p_value: pd.Series, alpha: float = ALPHA) -> pd.Series:
    """Whether each test is significant (p < alpha), as a nullable boolean ("boolean" dtype): True,
    False, or <NA> where there is no test (no p-value)."""
    return (p_value < alpha).astype("boolean").mask(p_value.isna())


def changes(current: pd.DataFrame, previous: pd.DataFrame, keys: list[str], alpha: float = ALPHA) -> pd.DataFrame:
    """Change of suppressed figures between two waves, where both are shown.

    `current` and `previous` are report tables (cells, providers, raters or org) joined on `keys`
    ([] for the organisation). Returns `keys` plus n, mean, previous_n, previous_mean, change,
    change_ci_low, change_ci_high (1 - alpha Welch interval of the change), p_value (Welch t-test
    from the means, sds and ns) and significant (p < alpha; False where there is no test), largest
    fall first. Unlike `trend_table`, any two shown waves may be compared.
    """
    columns = ["n", "mean", "sd"]
    left = current[~current["suppressed"].astype(bool)][[*keys, *columns]]
    right = previous[~previous["suppressed"].astype(bool)][[*keys, *columns]]
    right = right.rename(columns={c: f"{c}_prev" for c in columns})
    merged = left.merge(right, on=keys) if keys else left.merge(right, how="cross")
    test = welch_from_moments(
        merged["mean"], merged["sd"], merged["n"], merged["mean_prev"], merged["sd_prev"], merged["n_prev"]
    )
    out = merged[keys].copy()
    out["n"], out["mean"] = merged["n"].to_numpy(), merged["mean"].to_numpy()
    out["previous_n"], out["previous_mean"] = merged["n_prev"].to_numpy(), merged["mean_prev"].to_numpy()
    out["change"] = out["mean"] - out["previous_mean"]
    half = _welch_half_width(merged["sd"], merged["n"], merged["sd_prev"], merged["n_prev"], test["dof"], alpha)
    out["change_ci_low"], out["change_ci_high"] = out["change"] - half, out["change"] + half
    out["p_value"] = test["p_value"].to_numpy()
    out["significant"] = significance(out["p_value"], alpha).fillna(False)
    return out.sort_values("change").reset_index(drop=True)


def _welch_half_width(sd1, n1, sd2, n2, dof, alpha: float) -> np.ndarray:
    """Half the width of the Welch interval: t(1 - alpha/2, dof) * sqrt(sd1^2/n1 + sd2^2/n2)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(
            np.asarray(sd1, float) ** 2 / np.asarray(n1, float) + np.asarray(sd2, float) ** 2 / np.asarray(n2, float)
        )
        return stats.t.ppf(1 - alpha / 2, np.asarray(dof, float)) * se


def difference_in_change(planned: pd.Series, others: pd.Series, alpha: float = ALPHA) -> dict[str, float]:
    """Whether one group of pairs changed more than another: the difference in mean change with a
    Welch interval, each pair's change counting as one observation.

    Used for "did pairs with an agreed action plan improve more than comparable pairs without one".
    Returns n_planned, n_others, mean_planned, mean_others, difference (mean_planned - mean_others),
    ci_low, ci_high (Welch 1 - alpha interval), dof, p_value (Welch, two-sided); the interval and
    test are NaN when either group has fewer than 2 pairs or neither varies.
    """
    a = pd.to_numeric(pd.Series(planned), errors="coerce").dropna().astype(float)
    b = pd.to_numeric(pd.Series(others), errors="coerce").dropna().astype(float)
    sd_a = a.std(ddof=1) if len(a) >= 2 else np.nan
    sd_b = b.std(ddof=1) if len(b) >= 2 else np.nan
    mean_a = a.mean() if len(a) else np.nan
    mean_b = b.mean() if len(b) else np.nan
    test = welch_from_moments([mean_a], [sd_a], [len(a)], [mean_b], [sd_b], [len(b)]).iloc[0]
    half = float(_welch_half_width([sd_a], [len(a)], [sd_b], [len(b)], [test["dof"]], alpha)[0])
    difference = mean_a - mean_b
    return {
        "n_planned": len(a),
        "n_others": len(b),
        "mean_planned": float(mean_a),
        "mean_others": float(mean_b),
        "difference": float(difference),
        "ci_low": float(difference - half) if np.isfinite(test["t"]) else np.nan,
        "ci_high": float(difference + half) if np.isfinite(test["t"]) else np.nan,
        "dof": float(test["dof"]),
        "p_value": float(test["p_value"]),
    }
