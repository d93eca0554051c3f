"""Conflict hotspots: the department pairs where something is wrong, with the reason in plain words.

Flags (DESIGN.md section 4; thresholds in `HotspotConfig`, the one configuration place). Only cells
with n >= k that are shown (not hidden by complementary suppression) can be flagged:

- friction: relationship effect <= -10 points and its 95% interval lies below 0;
- low: cell mean <= organisation mean - 15 and the cell's 95% CI lies below the organisation mean;
- asymmetric: the reverse cell (B rates A) is shown too, |m(A->B) - m(B->A)| >= 15, Welch p < 0.05;
- mutual: friction in both directions;
- polarised: promoters >= 25% and detractors >= 25% of the recommend answers;
- declining: the cell fell >= 10 points since the previous wave (shown in both), Welch p < 0.05.

Severity (ranks hotspots; higher is worse):

    severity = (flag points + size / 10) * (0.5 + frequency / 8)

flag points: friction 3, mutual 3, low 2, asymmetric 2, declining 2, polarised 1; size: the largest
gap in points among -relationship effect, organisation mean - cell mean, -change since the previous
wave and half the asymmetry; frequency: the cell's mean interaction frequency (1 less than monthly ..
4 daily), so a pair that works together daily weighs twice one that rarely does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.stats_adapter import welch_from_moments

FLAGS = ("friction", "low", "asymmetric", "mutual", "polarised", "declining")
FLAG_POINTS = {"friction": 3.0, "mutual": 3.0, "low": 2.0, "asymmetric": 2.0, "declining": 2.0, "polarised": 1.0}

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
    "change",
    *FLAGS,
    "flags",
    "severity",
    "reason_en",
    "reason_zh",
]


@dataclass(frozen=True)
class HotspotConfig:
    """Every hotspot threshold, in points on the 0-100 scale unless said otherwise (DESIGN.md defaults)."""

    friction_effect: float = -10.0  # relationship effect at or below this (and its interval below 0)
    low_gap: float = 15.0  # cell mean at least this far below the organisation mean
    asymmetric_gap: float = 15.0  # |A->B - B->A| at least this
    asymmetric_alpha: float = 0.05  # Welch p-value below this
    polarised_share: float = 0.25  # promoters and detractors each at least this share (0-1)
    declining_drop: float = 10.0  # fall since the previous wave at least this
    declining_alpha: float = 0.05  # Welch p-value below this


def _fmt(x: float) -> str:
    return f"{abs(x):.0f}"


def _reason(row: Mapping[str, Any], names: dict[str, str], lang: str) -> str:
    """One sentence: the main finding first, then what the other flags add."""
    a = names.get(row["rater_dept"], row["rater_dept"])
    b = names.get(row["provider_dept"], row["provider_dept"])
    n = int(row["n"])
    diff = row["mean"] - row["reverse_mean"] if pd.notna(row["reverse_mean"]) else np.nan
    shares = (100 * row["promoter_share"], 100 * row["detractor_share"])
    zh = lang == "zh"
    parts: list[str] = []
    if row["friction"]:
        parts.append(
            f"{a}对{b}的评分比{b}通常得到的、{a}通常给出的低{_fmt(row['relationship_effect'])}分（n = {n}）"
            if zh
            else f"{a} rates {b} {_fmt(row['relationship_effect'])} points below what {b} usually gets"
            f" and what {a} usually gives (n = {n})"
        )
    elif row["low"]:
        parts.append(
            f"{a}对{b}的评分比全公司平均低{_fmt(row['org_gap'])}分（n = {n}）"
            if zh
            else f"{a} rates {b} {_fmt(row['org_gap'])} points below the organisation's average (n = {n})"
        )
    elif row["declining"]:
        parts.append(
            f"{a}对{b}的评分比上一轮下降了{_fmt(row['change'])}分（n = {n}）"
            if zh
            else f"{a}'s rating of {b} fell {_fmt(row['change'])} points since the previous wave (n = {n})"
        )
    elif row["asymmetric"]:
        word = ("高" if diff > 0 else "低") if zh else ("higher" if diff > 0 else "lower")
        parts.append(
            f"{a}对{b}的评分比{b}对{a}的评分{word}{_fmt(diff)}分（n = {n}）"
            if zh
            else f"{a} rates {b} {_fmt(diff)} points {word} than {b} rates {a} (n = {n})"
        )
    else:  # polarised only
        parts.append(
            f"{a}对{b}的看法两极分化：推荐者{shares[0]:.0f}%，贬损者{shares[1]:.0f}%（n = {n}）"
            if zh
            else f"{a} is split on {b}: {shares[0]:.0f}% promoters and {shares[1]:.0f}% detractors (n = {n})"
        )
    if row["mutual"]:
        parts.append(
            f"{b}对{a}的评分同样低于预期{_fmt(row['reverse_effect'])}分"
            if zh
            else f"{b} rates {a} {_fmt(row['reverse_effect'])} points below expectations too"
        )
    elif row["asymmetric"] and (row["friction"] or row["low"] or row["declining"]):
        word = ("高" if diff < 0 else "低") if zh else ("higher" if diff < 0 else "lower")
        parts.append(f"{b}对{a}的评分{word}{_fmt(diff)}分" if zh else f"{b} rates {a} {_fmt(diff)} points {word}")
    if row["declining"] and (row["friction"] or row["low"]):
        parts.append(
            f"比上一轮下降了{_fmt(row['change'])}分"
            if zh
            else f"down {_fmt(row['change'])} points since the previous wave"
        )
    if row["polarised"] and (row["friction"] or row["low"] or row["declining"] or row["asymmetric"]):
        parts.append(
            f"推荐者{shares[0]:.0f}%，贬损者{shares[1]:.0f}%"
            if zh
            else f"{shares[0]:.0f}% promoters and {shares[1]:.0f}% detractors"
        )
    return ("；".join(parts) + "。") if zh else ("; ".join(parts) + ".")


def flag_cells(
    cells: pd.DataFrame,
    hidden: pd.Series,
    *,
    org_mean: float,
    k: int,
    previous_cells: pd.DataFrame | None = None,
    config: HotspotConfig = HotspotConfig(),
) -> pd.DataFrame:
    """Every flag for every cell, before any is dropped.

    Parameters
    ----------
    cells : DataFrame
        Unsuppressed cells of one wave with n, mean, sd, ci_high, n_recommend, promoters,
        detractors, frequency, relationship_effect, relationship_ci_high (see report.wave).
    hidden : Series of bool
        Aligned with `cells`: True where the cell is hidden for anonymity (never flagged).
    org_mean : float
        The organisation's mean this wave.
    k : int
        The anonymity threshold (cells with n < k are never flagged).
    previous_cells : DataFrame, optional
        The previous wave's suppressed cells (rater_dept, provider_dept, n, mean, sd, suppressed).

    Returns
    -------
    `cells` plus: eligible, reverse_mean, reverse_effect, asym_p, change, change_p, org_gap,
    promoter_share, detractor_share, one bool column per flag, flags, severity.
    """
    c = cells.reset_index(drop=True).copy()
    hidden = pd.Series(np.asarray(hidden, dtype=bool))
    c["eligible"] = (~hidden) & (c["n"].fillna(0) >= k)
    visible = c[c["eligible"]][["rater_dept", "provider_dept", "n", "mean", "sd", "relationship_effect"]]
    visible = visible.assign(reverse_friction=False)
    reverse = visible.rename(
        columns={
            "rater_dept": "provider_dept",
            "provider_dept": "rater_dept",
            "n": "reverse_n",
            "mean": "reverse_mean",
            "sd": "reverse_sd",
            "relationship_effect": "reverse_effect",
        }
    ).drop(columns="reverse_friction")
    c = c.merge(reverse, on=["rater_dept", "provider_dept"], how="left")
    friction = c["eligible"] & (c["relationship_effect"] <= config.friction_effect) & (c["relationship_ci_high"] < 0)
    c["friction"] = friction.fillna(False).astype(bool)
    rev_friction = c[c["friction"]][["rater_dept", "provider_dept"]].rename(
        columns={"rater_dept": "provider_dept", "provider_dept": "rater_dept"}
    )
    rev_friction["reverse_friction"] = True
    c = c.merge(rev_friction, on=["rater_dept", "provider_dept"], how="left")
    c["reverse_friction"] = c["reverse_friction"].fillna(False).astype(bool)
    c["mutual"] = c["friction"] & c["reverse_friction"]

    c["org_gap"] = org_mean - c["mean"]
    c["low"] = (c["eligible"] & (c["org_gap"] >= config.low_gap) & (c["ci_high"] < org_mean)).fillna(False)

    asym = welch_from_moments(c["mean"], c["sd"], c["n"], c["reverse_mean"], c["reverse_sd"], c["reverse_n"])
    c["asym_p"] = asym["p_value"].to_numpy()
    c["asymmetric"] = (
        c["eligible"]
        & ((c["mean"] - c["reverse_mean"]).abs() >= config.asymmetric_gap)
        & (c["asym_p"] < config.asymmetric_alpha)
    ).fillna(False)

    rec = c["n_recommend"].astype(float).where(c["n_recommend"] > 0)
    c["promoter_share"] = c["promoters"] / rec
    c["detractor_share"] = c["detractors"] / rec
    c["polarised"] = (
        c["eligible"]
        & (c["promoter_share"] >= config.polarised_share)
        & (c["detractor_share"] >= config.polarised_share)
    ).fillna(False)

    if previous_cells is not None and len(previous_cells):
        shown_before = previous_cells[~previous_cells["suppressed"].astype(bool)]
        before = shown_before[["rater_dept", "provider_dept", "n", "mean", "sd"]].rename(
            columns={"n": "previous_n", "mean": "previous_mean", "sd": "previous_sd"}
        )
        c = c.merge(before, on=["rater_dept", "provider_dept"], how="left")
    else:
        c = c.assign(previous_n=np.nan, previous_mean=np.nan, previous_sd=np.nan)
    c["change"] = c["mean"] - c["previous_mean"]
    change = welch_from_moments(c["mean"], c["sd"], c["n"], c["previous_mean"], c["previous_sd"], c["previous_n"])
    c["change_p"] = change["p_value"].to_numpy()
    c["declining"] = (
        c["eligible"] & (c["change"] <= -config.declining_drop) & (c["change_p"] < config.declining_alpha)
    ).fillna(False)

    for flag in FLAGS:
        c[flag] = c[flag].astype(bool)
    names = np.asarray(FLAGS)
    c["flags"] = [",".join(names[row]) for row in c[list(FLAGS)].to_numpy(dtype=bool)]
    points = sum(c[flag].astype(float) * FLAG_POINTS[flag] for flag in FLAGS)
    size = (
        pd.concat(
            [
                -c["relationship_effect"],
                c["org_gap"],
                -c["change"],
                (c["mean"] - c["reverse_mean"]).abs() / 2,
            ],
            axis=1,
        )
        .max(axis=1)
        .clip(lower=0)
        .fillna(0)
    )
    frequency = c["frequency"].fillna(2.0) if "frequency" in c.columns else 2.0
    c["severity"] = ((points + size / 10) * (0.5 + frequency / 8)).where(points > 0, 0.0).round(2)
    return c


def find_hotspots(
    cells: pd.DataFrame,
    hidden: pd.Series,
    *,
    org_mean: float,
    k: int,
    previous_cells: pd.DataFrame | None = None,
    names_en: dict[str, str] | None = None,
    names_zh: dict[str, str] | None = None,
    config: HotspotConfig = HotspotConfig(),
) -> pd.DataFrame:
    """The flagged cells of one wave, most severe first, with a reason in English and Chinese.

    Parameters are those of `flag_cells`, plus `names_en` and `names_zh` (department code -> name,
    used in the reasons; codes where a name is missing).

    Returns
    -------
    DataFrame with HOTSPOT_COLUMNS: wave_id, rater_dept, provider_dept, n, mean, reverse_mean,
    relationship_effect, relationship_ci_low, relationship_ci_high, change, friction, low,
    asymmetric, mutual, polarised, declining, flags, severity, reason_en, reason_zh.
    """
    if cells.empty:
        return pd.DataFrame(columns=HOTSPOT_COLUMNS)
    flagged = flag_cells(cells, hidden, org_mean=org_mean, k=k, previous_cells=previous_cells, config=config)
    flagged = flagged[flagged["flags"] != ""].copy()
    if flagged.empty:
        return pd.DataFrame(columns=HOTSPOT_COLUMNS)
    rows = flagged.to_dict("records")  # plain dicts: a Series per row (iterrows) cost ~0.4 ms each
    flagged["reason_en"] = [_reason(row, names_en or {}, "en") for row in rows]
    flagged["reason_zh"] = [_reason(row, names_zh or {}, "zh") for row in rows]
    flagged = flagged.sort_values(["severity", "rater_dept", "provider_dept"], ascending=[False, True, True])
    return flagged[HOTSPOT_COLUMNS].reset_index(drop=True)
