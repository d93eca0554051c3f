"""Participation: invited, responded and response rate per department and wave."""

from __future__ import annotations

import pandas as pd

LOW_PARTICIPATION = 0.6  # rates below this are flagged, and the department gets a reminder
PARTICIPATION_COLUMNS = ["wave_id", "dept_code", "invited", "responded", "rate", "low_participation"]


def response_rate(responded: int, invited: int) -> float | None:
    """responded / invited; None when nobody was invited: a rate of no invitations is undefined (the
    pages show "—"), not 0. `participation_table` computes the same per department (NaN there)."""
    return responded / invited if invited else None


def participation_table(counts: pd.DataFrame, *, wave_id: str, low: float = LOW_PARTICIPATION) -> pd.DataFrame:
    """Response rates from invitation counts.

    Parameters
    ----------
    counts : DataFrame
        dept_code, invited, responded (see data.aggregates.participation_counts).
    wave_id : str
    low : float
        Rates below this are flagged (60%: results may not represent the department; docs/methodology.md,
        "Participation").

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
