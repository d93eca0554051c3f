"""Anonymity: the one place where small groups are hidden, for every screen and every export.

Rules (DESIGN.md section 4):
- a cell with n < k is hidden (k is the wave's threshold, at least 3);
- complementary suppression: in every row (rater department) and column (provider department),
  whose totals are shown elsewhere, the hidden cells must hold 0 or at least k responses together,
  otherwise the next smallest shown cells of that line are hidden too, until they do;
- comments are shown only for cells with n >= k_comments.

A hidden cell keeps its keys and `suppressed = True`; every figure in it is blanked, including n.
"No data" is a cell that is not in the frame at all (`matrix_status` draws both).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MIN_K = 3
LINE_KEYS = ("rater_dept", "provider_dept")
STATUS_SHOWN, STATUS_HIDDEN, STATUS_NO_DATA = "shown", "hidden", "no_data"


def check_threshold(k: int) -> int:
    """Validate an anonymity threshold: a whole number of at least 3."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < MIN_K:
        raise ValueError(f"the anonymity threshold k must be a whole number >= {MIN_K}, got {k!r}")
    return int(k)


def hidden_mask(counts: pd.DataFrame, k: int, *, group: str | None = None) -> pd.Series:
    """Which cells must be hidden, by threshold and by complementary suppression.

    Parameters
    ----------
    counts : DataFrame
        One row per cell with columns rater_dept, provider_dept, n (and `group`, if given).
    k : int
        The anonymity threshold.
    group : str, optional
        A column (e.g. wave_id) whose values are suppressed independently.

    Returns
    -------
    Series of bool aligned with `counts.index`: True where the cell is hidden.
    """
    k = check_threshold(k)
    n = counts["n"].fillna(0).astype(int)
    hidden = n < k
    groups = [counts.index] if group is None else [idx for _, idx in counts.groupby(group).groups.items()]
    for idx in groups:
        sub_n = n.loc[idx]
        sub_hidden = hidden.loc[idx].copy()
        changed = True
        while changed:
            changed = False
            for key in LINE_KEYS:
                line_of = counts.loc[idx, key]
                for _, line in sub_n.groupby(line_of).groups.items():
                    hidden_sum = sub_n.loc[line][sub_hidden.loc[line]].sum()
                    if 0 < hidden_sum < k:
                        shown = sub_n.loc[line][~sub_hidden.loc[line]]
                        if len(shown):
                            sub_hidden.loc[shown.idxmin()] = True
                            changed = True
        hidden.loc[idx] = sub_hidden
    return hidden


def suppress_small_cells(cells: pd.DataFrame, k: int, *, group: str | None = "wave_id") -> pd.DataFrame:
    """Hide small cells and their complements; the only way cell figures leave the analysis layer.

    Parameters
    ----------
    cells : DataFrame
        Cell statistics with rater_dept, provider_dept, n and any figures (see `analysis.cells`).
    k : int
        The anonymity threshold of the wave (at least 3).
    group : str or None
        Column whose groups (waves) are suppressed independently; None for one group.

    Returns
    -------
    A copy of `cells` with `suppressed` (bool) and `k` (the threshold used) added, and every other
    non-key column blanked (NaN) where suppressed. The input is not changed.
    """
    group = group if group is not None and group in cells.columns else None
    out = cells.copy()
    mask = hidden_mask(out, k, group=group) if len(out) else pd.Series(False, index=out.index)
    keys = {"wave_id", "rater_dept", "provider_dept"}
    figure_columns = [c for c in out.columns if c not in keys]
    for column in figure_columns:
        numeric = pd.api.types.is_numeric_dtype(out[column]) and not pd.api.types.is_bool_dtype(out[column])
        out[column] = out[column].astype("float64" if numeric else object)
        out.loc[mask, column] = np.nan if numeric else None
    out["suppressed"] = mask.astype(bool)
    out["k"] = check_threshold(k)
    return out


def comments_allowed(n: pd.Series, k_comments: int) -> pd.Series:
    """True where a cell has enough responses for its comments to be shown."""
    return n.fillna(0) >= k_comments


def matrix_status(cells: pd.DataFrame, raters: list[str], providers: list[str]) -> pd.DataFrame:
    """Rater x provider status matrix from suppressed cells: 'shown', 'hidden' or 'no_data'."""
    status = pd.DataFrame(STATUS_NO_DATA, index=raters, columns=providers, dtype=object)
    for row in cells.itertuples(index=False):
        if row.rater_dept in status.index and row.provider_dept in status.columns:
            status.loc[row.rater_dept, row.provider_dept] = STATUS_HIDDEN if row.suppressed else STATUS_SHOWN
    return status
