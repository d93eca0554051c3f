"""Perception gaps: how a provider department thinks its customers rate it, minus how they do.

Self-assessment (members of the provider predict a customer department's rating, per dimension)
minus the customers' actual dimension mean, both on 0-100. A positive gap is a blind spot: the
provider thinks it serves better than its customers say. Per (provider, customer) pair and per
provider (self-assessments of all customers against the provider's overall dimension means).
"""

from __future__ import annotations

import pandas as pd

from analysis.cells import DIMENSION_PREFIX

GAP_COLUMNS = [
    "wave_id",
    "level",
    "provider_dept",
    "rater_dept",
    "dimension",
    "n_self",
    "self_mean",
    "n_customers",
    "customer_mean",
    "gap",
]


def perception_gaps(
    self_means: pd.DataFrame, scores: pd.DataFrame, dimensions: tuple[str, ...], *, wave_id: str
) -> pd.DataFrame:
    """Self-assessment minus customers' rating per dimension, per pair and per provider.

    Parameters
    ----------
    self_means : DataFrame
        provider_dept, customer_dept, dimension, n, mean (0-100) (data.aggregates.self_assessment_means).
    scores : DataFrame
        Response-level scores of the wave with rater_dept, provider_dept and dim_<dimension>.
    dimensions : tuple of str
    wave_id : str

    Returns
    -------
    DataFrame with GAP_COLUMNS; rows only where both a self-assessment and customer answers exist.
    n_self and n_customers are the two sample sizes (the report hides rows where either is < k).
    """
    if self_means.empty or scores.empty:
        return pd.DataFrame(columns=GAP_COLUMNS)
    dims = [d for d in dimensions if DIMENSION_PREFIX + d in scores.columns]
    long = scores.melt(
        id_vars=["rater_dept", "provider_dept"],
        value_vars=[DIMENSION_PREFIX + d for d in dims],
        var_name="dimension",
        value_name="score",
    ).dropna(subset=["score"])
    long["dimension"] = long["dimension"].str.removeprefix(DIMENSION_PREFIX)
    selfs = self_means.rename(columns={"customer_dept": "rater_dept", "n": "n_self", "mean": "self_mean"})
    selfs = selfs[selfs["dimension"].isin(dims)]

    pair_customers = (
        long.groupby(["provider_dept", "rater_dept", "dimension"])["score"]
        .agg(n_customers="count", customer_mean="mean")
        .reset_index()
    )
    pairs = selfs.merge(pair_customers, on=["provider_dept", "rater_dept", "dimension"], how="inner")
    pairs["level"] = "pair"

    # Provider level: all its customers, i.e. the provider total's dimension means, so that no
    # subset of customers can be compared with the total to reveal a hidden cell.
    selfs_total = selfs.assign(_sum=selfs["self_mean"] * selfs["n_self"])
    provider_self = selfs_total.groupby(["provider_dept", "dimension"]).agg(
        n_self=("n_self", "sum"), _sum=("_sum", "sum")
    )
    provider_self["self_mean"] = provider_self["_sum"] / provider_self["n_self"]
    provider_customers = long.groupby(["provider_dept", "dimension"])["score"].agg(
        n_customers="count", customer_mean="mean"
    )
    providers = provider_self.drop(columns="_sum").join(provider_customers, how="inner").reset_index()
    providers["level"] = "provider"
    providers["rater_dept"] = None

    out = pd.concat([pairs, providers], ignore_index=True)
    out["wave_id"] = wave_id
    out["gap"] = out["self_mean"] - out["customer_mean"]
    return (
        out[GAP_COLUMNS]
        .sort_values(["level", "provider_dept", "rater_dept", "dimension"], na_position="first")
        .reset_index(drop=True)
    )
