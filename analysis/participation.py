"""Participation: invited, responded and response rate per department and wave."""

from __future__ import annotations

import pandas as pd

LOW_PARTICIPATION = 0.6
PARTICIPATION_COLUMNS = ["wave_id", "dept_code", "invited", "responded", "rate", "low_participation"]


def participation_table(counts: pd.DataFrame, *, wave_id: str, low: float = LOW_PARTICIPATION) -> pd.DataFrame:
    """Response rates from invitation counts.

    Parameters
    ----------
    counts : DataFrame
        dept_code, invited, responded (see data.aggregates.participation_counts).
    wave_id : str
    low : float
        Rates below this are flagged (DESIGN.md: 60%).

    Returns
    -------
    DataFrame with wave_id, dept_code, invited, responded, rate (0-1; NaN with no invitations),
    low_participation (bool).
    """
    out = counts[["dept_code", "invited", "responded"]].copy()
    out.insert(0, "wave_id", wave_id)
    out["rate"] = (out["responded"] / out["invited"].where(out["invited"] > 0)).astype(float)
    out["low_participation"] = (out["rate"] < low).fillna(False).astype(bool)
    return out[PARTICIPATION_COLUMNS].reset_index(drop=True)
