"""Conflict hotspots: the department pairs where something is wrong, and what was found in each.

Every conflict flag is a test on what the pair's own responses say once the rater's usual
harshness and the provider's usual quality are taken out (the Social Relations Model, analysis.srm,
fitted here on exactly the cells that may be flagged: shown, n >= k). The pair effect estimate is
the leave-pair-out residual r; its standard error counts the noise of the pair's own mean, the noise
of the cells that predict it and their own relationship effects (see `flag_cells`). Each flag's
p-values form one family across the wave's cells and the false discovery rate is controlled with
Benjamini-Hochberg at `HotspotConfig.fdr` (10%). Thresholds live in `HotspotConfig`, the one
configuration place (docs/methodology.md, "Conflict hotspots", explains them). Besides the
correction, every flag needs its own 95% interval to exclude "no problem" (the interval its reason
sentence shows): in a small family (a filtered view with a handful of pairs) BH at 10% alone would
let a single test through at p < 0.10.

- friction: r <= -10 points, its 95% interval (r +/- 1.96 se) below 0, and the one-sided test of
  r < 0 significant after the correction;
- mutual: both directions below expectations, a real two-sided conflict: the average of r(A,B)
  and r(B,A) <= -10, each of them <= -5, and the one-sided test of the average (one test per pair)
  significant after the correction. Testing the pair once, not each direction, is what keeps its
  power: two separate friction tests would both have to pass;
- asymmetric: both directions eligible, |r(A,B) - r(B,A)| >= 15 and the two-sided test of the
  difference (se = sqrt(se_AB^2 + se_BA^2)) significant after the correction (one test per pair,
  both directions flagged). A harsh rater or a strong provider moves both directions' expectations,
  not r, so alone it never makes a pair asymmetric;
- declining: the cell's mean fell >= 10 points since the comparison wave (both shown) and the
  one-sided test of the fall is significant after the correction. Its standard error uses each
  wave's usual within-cell variance (pooled over the shown cells), not the cell's own noisy sd;
- polarised: a split of opinion: the cell's responses spread far more than responses within a cell
  usually do in this wave. The statistic is the variance ratio F = s^2 / sigma2_within (sigma2_within
  pooled over the eligible cells); flagged when s >= 1.5 * sigma_within and the one-sided
  chi-square test ((n - 1) F on n - 1 degrees of freedom) is significant after the correction. For a
  50/50 split into camps at +/-L around the cell mean, sqrt(s^2 - sigma2_within) estimates L. The
  factor and the test are calibrated on null organisations by bench/hotspots.py (ordinary spreads
  of the recommend score or the satisfaction score do not raise it).

`low` is a level, not a conflict: the cell mean is >= 15 points below the organisation's and its
95% CI lies below it. It is reported beside a hotspot (column `low`, and in the reason), but never
makes a cell a hotspot: it mostly repeats a harsh rater meeting a weak provider.

Severity (ranks hotspots; points on the 0-100 scale, higher is worse):

    severity = (size + 5 * (conflict flags - 1)) * (0.5 + frequency / 8)

size: the largest flagged problem in points: -r for friction, minus the average of the two
directions for mutual, the fall for declining, half of
|r(A,B) - r(B,A)| for asymmetric, half of sqrt(s^2 - sigma2_within) for polarised (the unhappy
camp sits that far below the cell mean, half the respondents are in it); 5 points for every
further conflict flag; frequency: the cell's mean interaction frequency (1 less than monthly .. 4
daily; 2 when unknown), so the weight runs from 0.625 to 1. Read it as "points of satisfaction
lost in this pair, weighted by how much the two work together": 10 is a clear but modest problem,
20 or more a serious one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from analysis.srm import SRMFit, fit_srm
from analysis.stats_adapter import fdr_bh

FLAGS = ("friction", "mutual", "asymmetric", "polarised", "declining")  # conflicts; `low` is a level
LEVELS = ("low",)
Z95 = 1.959963984540054
ALPHA_ONE_SIDED = 0.025  # every flag's own 95% interval must exclude "no problem" too (see above)

HOTSPOT_COLUMNS = [
    "wave_id",
    "rater_dept",
    "provider_dept",
    "n",
    "mean",
    "reverse_mean",
    "relationship_effect",
    "relationship_ci_low",
    "relationship_ci_high",
    "pair_effect",
    "pair_ci_low",
    "pair_ci_high",
    "change",
    "change_ci_low",
    "change_ci_high",
    "q_value",
    *FLAGS,
    "low",
    "flags",
    "severity",
    "findings",
]


@dataclass(frozen=True)
class HotspotConfig:
    """Every hotspot threshold, in points on the 0-100 scale unless said otherwise; the defaults are the
    ones docs/methodology.md ("Conflict hotspots") states and bench/hotspots.py calibrates."""

    fdr: float = 0.10  # Benjamini-Hochberg false discovery rate per flag across the wave's cells
    friction_effect: float = -10.0  # pair effect at or below this (and its interval below 0)
    asymmetric_gap: float = 15.0  # |r(A,B) - r(B,A)| at least this
    declining_drop: float = 10.0  # fall since the comparison wave at least this
    polarised_spread: float = 1.5  # cell sd at least this multiple of the pooled within-cell sd
    low_gap: float = 15.0  # level: cell mean at least this far below the organisation mean


REASONS = ("friction", "mutual", "asymmetric_more", "asymmetric_less", "declining", "polarised", "low")


def findings(row: Mapping[str, Any]) -> list[tuple[str, dict[str, float]]]:
    """What makes a flagged cell a hotspot, main finding first: one (reason, numbers) per raised flag
    and the `low` level, the reason one of REASONS. Numbers only (points are sizes, >= 0); the words,
    with the departments' names, are the texts hotspot_reason_<reason> (report/reasons.py)."""
    n = int(row["n"])
    found: list[tuple[str, dict[str, float]]] = []
    if row["friction"]:
        effect = {"points": abs(row["pair_effect"]), "low": row["pair_ci_low"], "high": row["pair_ci_high"]}
        found.append(("friction", {**effect, "n": n}))
    if row["mutual"]:
        found.append(("mutual", {"points": abs(row["reverse_pair_effect"]), "reverse_n": int(row["reverse_n"])}))
    if row["asymmetric"]:
        d = row["asymmetry"]
        found.append(
            (
                "asymmetric_more" if d > 0 else "asymmetric_less",
                {
                    "points": abs(d),
                    "low": row["asymmetry_ci_low"],
                    "high": row["asymmetry_ci_high"],
                    "n": n,
                    "reverse_n": int(row["reverse_n"]),
                },
            )
        )
    if row["declining"]:
        change = {"points": abs(row["change"]), "low": row["change_ci_low"], "high": row["change_ci_high"]}
        found.append(("declining", {**change, "n": n, "previous_n": int(row["previous_n"])}))
    if row["polarised"]:
        shares = {"promoters": 100 * row["promoter_share"], "detractors": 100 * row["detractor_share"]}
        found.append(("polarised", {"ratio": row["spread_ratio"], **shares, "n": n}))
    if row["low"]:
        found.append(("low", {"points": abs(row["org_gap"])}))
    return found


def _one_sided_normal_p(estimate: pd.Series, se: pd.Series) -> np.ndarray:
    """P(Z <= estimate / se): small when the estimate is clearly below 0."""
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.asarray(estimate, dtype=float) / np.asarray(se, dtype=float)
    return np.where(np.isfinite(z), stats.norm.cdf(z), np.nan)


def _per_pair_bh(c: pd.DataFrame, p: pd.Series, first: np.ndarray, fdr: float) -> np.ndarray:
    """BH over unordered pairs: the family is the p-values of the `first` direction of each pair
    (both directions carry the same p); each row gets its pair's adjusted p-value."""
    adjusted = fdr_bh(p.where(first), fdr)[1]
    pair_q = pd.Series(
        adjusted[first], index=pd.MultiIndex.from_arrays([c["rater_dept"][first], c["provider_dept"][first]])
    )
    if pair_q.empty:
        return np.full(len(c), np.nan)
    key = pd.MultiIndex.from_arrays(
        [np.where(first, c["rater_dept"], c["provider_dept"]), np.where(first, c["provider_dept"], c["rater_dept"])]
    )
    return pair_q.reindex(key).to_numpy()


def _fitted_on(fit: SRMFit | None, cells: pd.DataFrame) -> bool:
    """True when `fit` was fitted on exactly `cells` (same pairs in the same order)."""
    if fit is None or len(fit.cells) != len(cells):
        return False
    return bool(
        (fit.cells["rater_dept"].to_numpy() == cells["rater_dept"].to_numpy()).all()
        and (fit.cells["provider_dept"].to_numpy() == cells["provider_dept"].to_numpy()).all()
        and np.allclose(fit.cells["n"].to_numpy(dtype=float), cells["n"].to_numpy(dtype=float))
    )


def flag_cells(
    cells: pd.DataFrame,
    hidden: pd.Series,
    *,
    org_mean: float,
    k: int,
    previous_cells: pd.DataFrame | None = None,
    config: HotspotConfig = HotspotConfig(),
    fit: SRMFit | None = None,
) -> pd.DataFrame:
    """Every flag for every cell, before any is dropped.

    Parameters
    ----------
    cells : DataFrame
        Cells of one wave with rater_dept, provider_dept, n, mean, sd, ci_high, n_recommend,
        promoters, detractors and optionally frequency (see report.wave).
    hidden : Series of bool
        Aligned with `cells`: True where the cell is hidden for anonymity. Hidden cells and cells
        with n < k are never flagged and enter no computation here (the SRM is fitted on the
        eligible cells only).
    org_mean : float
        The organisation's mean this wave (for the `low` level).
    k : int
        The anonymity threshold.
    previous_cells : DataFrame, optional
        The comparison wave's suppressed cells (rater_dept, provider_dept, n, mean, sd, suppressed).
    fit : SRMFit, optional
        The SRM already fitted on exactly the eligible cells, in their order (the report has it);
        used when its cells are those, refitted otherwise.

    Returns
    -------
    `cells` plus: eligible; relationship_effect, relationship_ci_low, relationship_ci_high (shrunk,
    from the fit on eligible cells); pair_effect, pair_se, pair_ci_low, pair_ci_high (leave-pair-out
    estimate), friction_p; reverse_n, reverse_mean, reverse_pair_effect, asymmetry (r(A,B) - r(B,A)),
    asymmetry_ci_low, asymmetry_ci_high, asymmetric_p; previous_n, previous_mean, change,
    change_ci_low, change_ci_high, declining_p; spread_ratio, polarised_p, promoter_share,
    detractor_share; org_gap; friction_q, asymmetric_q, declining_q, polarised_q (BH-adjusted);
    one bool column per flag and `low`; flags (comma-separated conflict flags); q_value (smallest
    adjusted p of the raised flags); severity.
    """
    c = cells.reset_index(drop=True).copy()
    hidden = np.asarray(hidden, dtype=bool)
    c["eligible"] = ~hidden & (c["n"].fillna(0).to_numpy() >= k)
    eligible = c["eligible"].to_numpy()
    fit_columns = [
        "relationship_effect",
        "relationship_ci_low",
        "relationship_ci_high",
        "loo_residual",
        "n_eff",
        "other_pairs_weight",
    ]
    fitted = {column: np.full(len(c), np.nan) for column in fit_columns}
    sigma2_relationship = 0.0
    if eligible.any():
        chosen = c.loc[eligible, ["rater_dept", "provider_dept", "n", "mean", "sd"]]
        if not _fitted_on(fit, chosen):
            fit = fit_srm(chosen)
        if np.isfinite(fit.sigma2_relationship):
            sigma2_relationship = max(fit.sigma2_relationship, 0.0)
        for column in fit_columns:
            fitted[column][eligible] = fit.cells[column].to_numpy(dtype=float)
    c = c.drop(columns=[x for x in fit_columns if x in c.columns]).assign(**fitted)

    # polarised first: which cells spread far more than responses within a cell usually do. The
    # usual within-cell variance is pooled over the eligible cells, then once more without the
    # split cells, which would otherwise inflate it (and hide smaller splits and conflicts).
    sd2, n, dof = c["sd"].to_numpy(float) ** 2, c["n"].to_numpy(float), c["n"].to_numpy(float) - 1
    usable = eligible & (dof >= 1) & np.isfinite(sd2)
    split = np.zeros(len(c), dtype=bool)
    for _ in range(2):
        pool = usable & ~split
        sigma2_within = float((dof[pool] * sd2[pool]).sum() / dof[pool].sum()) if pool.any() else np.nan
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = sd2 / sigma2_within
            polarised_p = np.where(usable, stats.chi2.sf(dof * ratio, np.clip(dof, 1, None)), np.nan)
        polarised_q = fdr_bh(polarised_p, config.fdr)[1]
        split = (
            usable
            & (np.sqrt(ratio) >= config.polarised_spread)
            & (polarised_p < ALPHA_ONE_SIDED)
            & (polarised_q <= config.fdr)
        )
    c["spread_ratio"] = np.sqrt(ratio)
    c["polarised_p"] = polarised_p
    c["polarised_q"] = polarised_q
    c["polarised"] = split

    # The pair effect r is the cell mean minus what the other cells predict for it; Var(r) =
    # Var(cell mean) + Var(prediction) = s2 / n + sigma2_within * (1 / n_eff - 1 / n) +
    # sigma2_relationship * other_pairs_weight (analysis.srm), with s2 the usual within-cell
    # variance, or the cell's own when it is split.
    own = np.where(split, sd2, sigma2_within)
    with np.errstate(invalid="ignore", divide="ignore"):
        c["pair_se"] = np.sqrt(
            own / n
            + sigma2_within * np.clip(1 / c["n_eff"] - 1 / n, 0, None)
            + sigma2_relationship * c["other_pairs_weight"]
        )
    c["pair_effect"] = c["loo_residual"]
    c["pair_ci_low"] = c["pair_effect"] - Z95 * c["pair_se"]
    c["pair_ci_high"] = c["pair_effect"] + Z95 * c["pair_se"]
    c = c.drop(columns=["loo_residual", "n_eff", "other_pairs_weight"])

    # friction: one-sided test of r < 0, BH across the eligible cells
    c["friction_p"] = _one_sided_normal_p(c["pair_effect"], c["pair_se"])
    c["friction_q"] = fdr_bh(c["friction_p"].where(c["eligible"]), config.fdr)[1]
    c["friction"] = (
        c["eligible"]
        & (c["pair_effect"] <= config.friction_effect)
        & (c["pair_ci_high"] < 0)
        & (c["friction_q"] <= config.fdr)
    )

    # the reverse direction (only eligible cells take part)
    reverse = c.loc[c["eligible"], ["rater_dept", "provider_dept", "n", "mean", "pair_effect", "pair_se", "friction"]]
    reverse = reverse.rename(
        columns={
            "rater_dept": "provider_dept",
            "provider_dept": "rater_dept",
            "n": "reverse_n",
            "mean": "reverse_mean",
            "pair_effect": "reverse_pair_effect",
            "pair_se": "reverse_pair_se",
            "friction": "reverse_friction",
        }
    )
    c = c.merge(reverse, on=["rater_dept", "provider_dept"], how="left")
    c["reverse_friction"] = c["reverse_friction"].astype("boolean").fillna(False).astype(bool)

    # mutual: one one-sided test per unordered pair on the average of the two directions' effects
    both_se = np.sqrt(c["pair_se"] ** 2 + c["reverse_pair_se"] ** 2)
    c["mutual_effect"] = (c["pair_effect"] + c["reverse_pair_effect"]) / 2
    c["mutual_p"] = _one_sided_normal_p(c["mutual_effect"], both_se / 2)
    first = (c["rater_dept"].astype(str) < c["provider_dept"].astype(str)).to_numpy()
    c["mutual_q"] = _per_pair_bh(c, c["mutual_p"].where(c["eligible"] & c["reverse_n"].notna()), first, config.fdr)
    c["mutual"] = (
        c["eligible"]
        & (c["mutual_effect"] <= config.friction_effect)
        & (c[["pair_effect", "reverse_pair_effect"]].max(axis=1) <= config.friction_effect / 2)
        & (c["mutual_effect"] + Z95 * both_se / 2 < 0)
        & (c["mutual_q"] <= config.fdr)
    )

    # asymmetric: one two-sided test per unordered pair (the direction with rater < provider)
    c["asymmetry"] = c["pair_effect"] - c["reverse_pair_effect"]
    asym_se = np.sqrt(c["pair_se"] ** 2 + c["reverse_pair_se"] ** 2)
    c["asymmetry_ci_low"] = c["asymmetry"] - Z95 * asym_se
    c["asymmetry_ci_high"] = c["asymmetry"] + Z95 * asym_se
    with np.errstate(invalid="ignore", divide="ignore"):
        c["asymmetric_p"] = 2 * stats.norm.sf(np.abs(c["asymmetry"] / asym_se))
    family = c["asymmetric_p"].where(c["eligible"] & c["asymmetry"].notna())
    c["asymmetric_q"] = _per_pair_bh(c, family, first, config.fdr)
    c["asymmetric"] = (
        c["eligible"]
        & c["reverse_n"].notna()
        & (c["asymmetry"].abs() >= config.asymmetric_gap)
        & ((c["asymmetry_ci_low"] > 0) | (c["asymmetry_ci_high"] < 0))
        & (c["asymmetric_q"] <= config.fdr)
    )

    # declining: one-sided Welch test of the fall since the comparison wave (shown there too)
    if previous_cells is not None and len(previous_cells):
        shown_before = previous_cells[~previous_cells["suppressed"].astype(bool)]
        before = shown_before[["rater_dept", "provider_dept", "n", "mean", "sd"]].rename(
            columns={"n": "previous_n", "mean": "previous_mean", "sd": "previous_sd"}
        )
        c = c.merge(before, on=["rater_dept", "provider_dept"], how="left")
    else:
        c = c.assign(previous_n=np.nan, previous_mean=np.nan, previous_sd=np.nan)
    c["change"] = c["mean"] - c["previous_mean"]
    # The fall is tested with the usual within-cell variance of each wave (pooled over the shown
    # cells, as for r: a cell's own sd from 12 responses is too noisy for a test across hundreds of
    # cells), the cell's own variance where it is split.
    if previous_cells is not None and len(previous_cells):
        pn, psd = shown_before["n"].to_numpy(float), shown_before["sd"].to_numpy(float)
        ok = (pn >= 2) & np.isfinite(psd)
        sigma2_before = float(((pn[ok] - 1) * psd[ok] ** 2).sum() / (pn[ok] - 1).sum()) if ok.any() else np.nan
    else:
        sigma2_before = np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        change_se = np.sqrt(own / n + sigma2_before / c["previous_n"].to_numpy(float))
    c["change_ci_low"] = c["change"] - Z95 * change_se
    c["change_ci_high"] = c["change"] + Z95 * change_se
    c["declining_p"] = _one_sided_normal_p(c["change"], change_se)
    c["declining_q"] = fdr_bh(c["declining_p"].where(c["eligible"]), config.fdr)[1]
    c["declining"] = (
        c["eligible"]
        & (c["change"] <= -config.declining_drop)
        & (c["change_ci_high"] < 0)
        & (c["declining_q"] <= config.fdr)
    )

    rec = c["n_recommend"].astype(float).where(c["n_recommend"] > 0)
    c["promoter_share"] = c["promoters"] / rec
    c["detractor_share"] = c["detractors"] / rec

    c["org_gap"] = org_mean - c["mean"]
    c["low"] = c["eligible"] & (c["org_gap"] >= config.low_gap) & (c["ci_high"] < org_mean)

    for flag in (*FLAGS, *LEVELS):
        c[flag] = c[flag].astype("boolean").fillna(False).astype(bool)
    names = np.asarray(FLAGS)
    raised = c[list(FLAGS)].to_numpy(dtype=bool)
    c["flags"] = [",".join(names[row]) for row in raised]
    qs = np.column_stack([c[f"{flag}_q"].to_numpy(dtype=float) for flag in FLAGS])
    with np.errstate(invalid="ignore"):
        c["q_value"] = np.where(raised.any(axis=1), np.nanmin(np.where(raised, qs, np.inf), axis=1), np.nan)
    sizes = np.column_stack(
        [
            np.where(c["friction"], -c["pair_effect"], 0.0),
            np.where(c["mutual"], -c["mutual_effect"], 0.0),
            np.where(c["asymmetric"], c["asymmetry"].abs() / 2, 0.0),
            np.where(c["polarised"], np.sqrt(np.clip(c["sd"] ** 2 - sigma2_within, 0, None)) / 2, 0.0),
            np.where(c["declining"], -c["change"], 0.0),
        ]
    )
    size = np.nan_to_num(sizes).max(axis=1)
    count = raised.sum(axis=1)
    frequency = c["frequency"].fillna(2.0).to_numpy(float) if "frequency" in c.columns else 2.0
    severity = (size + 5.0 * np.clip(count - 1, 0, None)) * (0.5 + frequency / 8)
    c["severity"] = np.where(count > 0, severity, 0.0).round(1)
    return c


def find_hotspots(
    cells: pd.DataFrame,
    hidden: pd.Series,
    *,
    org_mean: float,
    k: int,
    previous_cells: pd.DataFrame | None = None,
    config: HotspotConfig = HotspotConfig(),
    fit: SRMFit | None = None,
) -> pd.DataFrame:
    """The flagged cells of one wave, most severe first, with what was found in each.

    Parameters are those of `flag_cells`.

    Returns
    -------
    DataFrame with HOTSPOT_COLUMNS: wave_id, rater_dept, provider_dept, n, mean, reverse_mean,
    relationship_effect, relationship_ci_low, relationship_ci_high (shrunk SRM effect), pair_effect,
    pair_ci_low, pair_ci_high (the leave-pair-out estimate the flags test, 95% interval), change,
    change_ci_low, change_ci_high (since the comparison wave, Welch 95% interval), q_value (smallest
    BH-adjusted p-value of the raised flags), friction, mutual, asymmetric, polarised, declining
    (conflict flags), low (level), flags, severity, findings (see `findings`: reason codes and their
    numbers, worded for people by report/reasons.py).
    """
    if cells.empty:
        return pd.DataFrame(columns=HOTSPOT_COLUMNS)
    flagged = flag_cells(cells, hidden, org_mean=org_mean, k=k, previous_cells=previous_cells, config=config, fit=fit)
    flagged = flagged[flagged["flags"] != ""].copy()
    if flagged.empty:
        return pd.DataFrame(columns=HOTSPOT_COLUMNS)
    rows = flagged.to_dict("records")  # plain dicts: a Series per row (iterrows) cost ~0.4 ms each
    flagged["findings"] = [findings(row) for row in rows]
    flagged = flagged.sort_values(["severity", "rater_dept", "provider_dept"], ascending=[False, True, True])
    return flagged[HOTSPOT_COLUMNS].reset_index(drop=True)
