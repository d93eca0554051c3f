"""Anonymity: the one place where small groups are hidden, for every screen and every export.

Rules (DESIGN.md section 4):
- a cell with n < k is hidden (k is the wave's threshold, at least 3);
- complementary suppression: in every row (rater department) and column (provider department),
  whose totals are shown elsewhere, the hidden cells must hold 0 or at least k responses together,
  otherwise the next smallest shown cells of that line are hidden too, until they do;
- comments are shown only for cells with n >= k_comments.

A hidden cell keeps its keys and `suppressed = True`; every figure in it is blanked, including n.
"No data" is a cell that is not in the frame at all (`matrix_status` draws both).

The same function suppresses totals: a frame with only provider_dept (or only rater_dept) is one
line whose total is the organisation's figure, so a provider or rater total with n < k is hidden,
and so is the next smallest total when the hidden totals together hold fewer than k responses.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MIN_K = 3
LINE_KEYS = ("rater_dept", "provider_dept")
STATUS_SHOWN, STATUS_HIDDEN, STATUS_NO_DATA = "shown", "hidden", "no_data"
# Columns that identify a row rather than describe the people in it: never blanked.
KEY_COLUMNS = ("wave_id", "previous_wave_id", "rater_dept", "provider_dept", "relationship_type", "level", "dimension")


def check_threshold(k: int) -> int:
    """Validate an anonymity threshold: a whole number of at least 3."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < MIN_K:
        raise ValueError(f"the anonymity threshold k must be a whole number >= {MIN_K}, got {k!r}")
    return int(k)


def _line_codes(counts: pd.DataFrame, key: str) -> np.ndarray | None:
    if key not in counts.columns:
        return None
    return pd.factorize(counts[key], use_na_sentinel=False)[0]


def _hide_group(n: np.ndarray, hidden: np.ndarray, lines: list[np.ndarray], k: int) -> np.ndarray:
    """Complementary suppression inside one group (wave), vectorised over lines."""
    hidden = hidden.copy()
    order = np.arange(len(n))
    while True:
        changed = False
        for line in lines:
            width = line.max() + 1
            hidden_sum = np.bincount(line, weights=n * hidden, minlength=width)
            bad = (hidden_sum > 0) & (hidden_sum < k)
            candidates = np.flatnonzero(~hidden & bad[line] & (n > 0))
            if not len(candidates):
                continue
            # the smallest shown cell of each offending line (ties: first in input order)
            pick = candidates[np.lexsort((order[candidates], n[candidates], line[candidates]))]
            first = np.r_[True, line[pick][1:] != line[pick][:-1]]
            hidden[pick[first]] = True
            changed = True
        if not changed:
            return hidden


def hidden_mask(counts: pd.DataFrame, k: int, *, group: str | None = None, hide: pd.Series | None = None) -> pd.Series:
    """Which cells must be hidden, by threshold and by complementary suppression.

    Parameters
    ----------
    counts : DataFrame
        One row per cell with columns n and the line keys it has: rater_dept and provider_dept for
        a matrix of cells (rows and columns are lines); only one of them for a list of totals (one
        line, whose total is the organisation's figure); neither for a single total.
    k : int
        The anonymity threshold.
    group : str, optional
        A column (e.g. wave_id) whose values are suppressed independently.
    hide : Series of bool, optional
        Cells hidden for another reason before complementary suppression starts.

    Returns
    -------
    Series of bool aligned with `counts.index`: True where the cell is hidden.
    """
    k = check_threshold(k)
    n = counts["n"].fillna(0).to_numpy(dtype=float)
    hidden = n < k
    if hide is not None:
        hidden = hidden | hide.reindex(counts.index, fill_value=False).to_numpy(dtype=bool)
    present = [key for key in LINE_KEYS if key in counts.columns]
    if len(present) == 2:
        line_sets = [_line_codes(counts, key) for key in present]
    else:
        line_sets = [np.zeros(len(counts), dtype=np.int64)]
    groups = (
        [np.arange(len(counts))]
        if group is None
        else list(pd.Series(np.arange(len(counts))).groupby(counts[group].to_numpy(), sort=False).indices.values())
    )
    for idx in groups:
        if not len(idx):
            continue
        lines = [pd.factorize(line[idx])[0] for line in line_sets]
        hidden[idx] = _hide_group(n[idx], hidden[idx], lines, k)
    return pd.Series(hidden, index=counts.index)


def suppress_small_cells(
    cells: pd.DataFrame,
    k: int,
    *,
    group: str | None = "wave_id",
    hide: pd.Series | None = None,
    complementary: bool = True,
    n_column: str = "n",
) -> pd.DataFrame:
    """Hide small cells and their complements; the only way figures leave the analysis layer.

    Parameters
    ----------
    cells : DataFrame
        Statistics with n and any figures: a matrix of cells (rater_dept and provider_dept), a list
        of totals (only one of them), or single figures (neither); see `hidden_mask`.
    k : int
        The anonymity threshold of the wave (at least 3).
    group : str or None
        Column whose groups (waves) are suppressed independently; None for one group.
    hide : Series of bool, optional
        Rows to hide whatever their n (aligned with `cells.index`): rows derived from figures
        that are hidden elsewhere, e.g. a trend whose cell is hidden in the previous wave.
    complementary : bool
        Apply complementary suppression along rows and columns. Turn it off only for tables whose
        rows are derived from already-suppressed tables (trends, hotspots), where `hide` carries it.
    n_column : str
        The column holding the number of responses behind each row (e.g. n_customers for gaps).

    Returns
    -------
    A copy of `cells` with `suppressed` (bool) and `k` (the threshold used) added, and every other
    non-key column blanked (NaN, or None for text) where suppressed. The input is not changed.
    """
    k = check_threshold(k)
    group = group if group is not None and group in cells.columns else None
    out = cells  # read only: the result is a new frame
    if not len(out):
        mask = pd.Series(False, index=out.index, dtype=bool)
    elif complementary:
        mask = hidden_mask(out.rename(columns={n_column: "n"}) if n_column != "n" else out, k, group=group, hide=hide)
    else:
        mask = out[n_column].fillna(0) < k
    if hide is not None:
        mask = mask | hide.reindex(out.index, fill_value=False).astype(bool)
    hidden = mask.to_numpy(dtype=bool)
    any_hidden = bool(hidden.any())
    # Numbers as plain arrays, not a new Series per column (this runs a dozen times per report);
    # columns kept as they are stay Series (their dtype is not re-inferred); hidden text is None.
    blanked: dict[str, object] = {}
    for column in out.columns:
        values = out[column]
        if column in KEY_COLUMNS or column in ("suppressed", "k"):
            blanked[column] = values  # a Series keeps its dtype (object stays object)
        elif pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            numbers = values.to_numpy(dtype="float64", na_value=np.nan)
            blanked[column] = np.where(hidden, np.nan, numbers) if any_hidden else numbers
        elif any_hidden:
            blanked[column] = pd.array(np.where(hidden, None, values.to_numpy(dtype=object)), dtype=object)
        else:  # nothing hidden: keep text and flags with their own dtype
            blanked[column] = values
    blanked["suppressed"] = hidden
    blanked["k"] = np.full(len(out), k, dtype="int64")
    return pd.DataFrame(blanked, index=out.index)


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
