"""Anonymity: the one place that decides what may be published, for every screen and every export.

The rule (docs/methodology.md, "Anonymity"): suppression by construction.

- A *group* is the set of people behind one statistic of one cell (wave, rater department, provider
  department): its satisfaction (the people with at least one answered item, n), its loyalty (the
  people who answered the recommend question, n_recommend) and each dimension score (the people who
  answered at least one item of that dimension).
- A group is *shown* when it holds at least k people (the wave's threshold, never below 3) and its
  cell is shown; a cell is shown when its satisfaction group is.
- Every published figure is computed from shown groups only: provider, rater and organisation totals,
  the Social Relations Model, drivers, perception gaps, reliability and trends add up the shown
  groups and nothing else. A hidden group therefore enters no published equation: no subtraction,
  no comparison of filters, exports or waves can recover it, and no complement has to be hidden.
- A hidden cell keeps its keys and `suppressed = True` with every figure blank, n included; a hidden
  statistic of a shown cell (or of a total) is blank and named in `hidden_figures`. "No data" is a
  row that is not there at all (`matrix_status` draws both).
- Comments are shown only for shown cells with at least k_comments people.

Functions here work on the moments of analysis.cells (`moments_from_scores`, `rollup`) and on
response-level scores; report/wave.py and report/exports.py call them and nothing else decides.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.cells import DIMENSION_PREFIX, stats_from_moments

MIN_K = 3
STATUS_SHOWN, STATUS_HIDDEN, STATUS_NO_DATA = "shown", "hidden", "no_data"
# Columns that identify a row rather than describe the people in it: never blanked.
KEY_COLUMNS = (
    "wave_id",
    "previous_wave_id",
    "rater_dept",
    "provider_dept",
    "dept_code",
    "relationship_type",
    "level",
    "dimension",
    "scope",
    "measure",
)
HIDDEN_FIGURES = "hidden_figures"
RECOMMEND = "recommend"  # the name of the loyalty group in `hidden_figures`
# Moments (analysis.cells) of each group: satisfaction, loyalty, and per dimension.
SATISFACTION_MOMENTS = ("n", "sum_score", "sum_sq", "n_items", "n_favourable", "freq_sum", "freq_n")
RECOMMEND_MOMENTS = ("n_recommend", "promoters", "passives", "detractors")
RECOMMEND_FIGURES = (*RECOMMEND_MOMENTS, "inps", "inps_ci_low", "inps_ci_high")
_DIM_SUM, _DIM_N = "dimsum_", "dimn_"


def check_threshold(k: int) -> int:
    """Validate an anonymity threshold: a whole number of at least 3."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < MIN_K:
        raise ValueError(f"the anonymity threshold k must be a whole number >= {MIN_K}, got {k!r}")
    return int(k)


def _dimension_counts(frame: pd.DataFrame) -> dict[str, str]:
    """dimension -> the column of `frame` counting its answerers (dimn_<d> moments)."""
    return {c.removeprefix(_DIM_N): c for c in frame.columns if c.startswith(_DIM_N)}


def group_gates(counts: pd.DataFrame, k: int) -> pd.DataFrame:
    """Which groups of each cell may be published.

    Parameters
    ----------
    counts : DataFrame
        One row per cell with n (people with a satisfaction score), and optionally n_recommend and
        dimn_<dimension> (people who answered that dimension), e.g. cell moments.
    k : int
        The wave's threshold.

    Returns
    -------
    DataFrame aligned with `counts`: shown (bool: n >= k), recommend (bool: shown and n_recommend
    >= k), one bool column per dimension (shown and its count >= k), and hidden_figures (text: the
    hidden groups of a shown cell, comma-separated, e.g. "recommend,value"; "" when none).
    """
    k = check_threshold(k)
    shown = counts["n"].fillna(0).to_numpy(dtype=float) >= k
    gates = {"shown": shown}
    names: list[tuple[str, np.ndarray]] = []
    if "n_recommend" in counts.columns:
        answered = counts["n_recommend"].fillna(0).to_numpy(dtype=float)
        gates[RECOMMEND] = shown & (answered >= k)
        names.append((RECOMMEND, shown & (answered > 0) & (answered < k)))
    for dim, column in _dimension_counts(counts).items():
        answered = counts[column].fillna(0).to_numpy(dtype=float)
        gates[dim] = shown & (answered >= k)
        names.append((dim, shown & (answered > 0) & (answered < k)))
    out = pd.DataFrame(gates, index=counts.index)
    out[HIDDEN_FIGURES] = _join_names(names, len(counts))
    return out


def _join_names(names: list[tuple[str, np.ndarray]], size: int) -> np.ndarray:
    text = np.full(size, "", dtype=object)
    for name, where in names:
        if where.any():
            text[where] = [f"{t},{name}" if t else name for t in text[where]]
    return text


def gate_moments(moments: pd.DataFrame, k: int, *, keep_hidden_n: bool = False) -> pd.DataFrame:
    """Cell moments with every hidden group taken out (its sums set to 0), ready to add up.

    `moments` has one row per cell (analysis.cells moments). A hidden cell loses all its moments; a
    shown cell loses its loyalty moments when fewer than k answered the recommend question, and a
    dimension's sums when fewer than k answered that dimension. Totals are then `rollup`s of the
    result: sums of shown groups only.

    With `keep_hidden_n`, a shown cell keeps all its moments and a hidden cell only its n: the
    reference against which `published_stats` marks what is hidden in a total (that it has hidden
    cells, and which parts of its shown cells are hidden), without a hidden cell's answers.
    """
    gates = group_gates(moments, k)
    out = moments.copy()
    shown = gates["shown"].to_numpy()
    for column in SATISFACTION_MOMENTS:
        if column in out.columns and not (keep_hidden_n and column == "n"):
            out[column] = np.where(shown, out[column].to_numpy(), 0).astype(out[column].dtype)
    keep_groups = {RECOMMEND: RECOMMEND_MOMENTS} | {
        dim: (column, _DIM_SUM + dim) for dim, column in _dimension_counts(moments).items()
    }
    for gate, columns in keep_groups.items():
        if gate not in gates.columns:
            continue
        keep = shown if keep_hidden_n else gates[gate].to_numpy()
        for column in columns:
            if column in out.columns:
                out[column] = np.where(keep, out[column].to_numpy(), 0).astype(out[column].dtype)
    return out


def published_stats(moments: pd.DataFrame, gated: pd.DataFrame, k: int) -> pd.DataFrame:
    """Statistics of groups (cells or totals) from their gated moments, with hidden parts marked.

    Parameters
    ----------
    moments, gated : DataFrame
        The same rows before and after `gate_moments` (for totals: `rollup` of each).
    k : int

    Returns
    -------
    `analysis.cells.stats_from_moments(gated)` plus hidden_figures, then passed through
    `suppress_small_cells`: a row all of whose groups are hidden is suppressed (every figure blank);
    a hidden loyalty or dimension figure is blank and named in hidden_figures.
    """
    stats = stats_from_moments(gated)
    # a row is there because people answered it; with no shown group left it is hidden, not "no data"
    row_hidden = gated["n"].fillna(0).to_numpy(dtype=float) == 0
    names: list[tuple[str, np.ndarray]] = []
    if "n_recommend" in moments.columns:
        rec_hidden = (
            ~row_hidden
            & (gated["n_recommend"].to_numpy(dtype=float) == 0)
            & (moments["n_recommend"].to_numpy(dtype=float) > 0)
        )
        for column in RECOMMEND_FIGURES:
            if column in stats.columns and rec_hidden.any():
                stats[column] = np.where(rec_hidden, np.nan, stats[column].to_numpy(dtype=float))
        names.append((RECOMMEND, rec_hidden))
    for dim, column in _dimension_counts(moments).items():
        dim_hidden = (
            ~row_hidden & (gated[column].to_numpy(dtype=float) == 0) & (moments[column].to_numpy(dtype=float) > 0)
        )
        names.append((dim, dim_hidden))
    stats[HIDDEN_FIGURES] = _join_names(names, len(stats))
    return suppress_small_cells(stats, k, hide=pd.Series(row_hidden, index=stats.index))


def _rows_of_shown_cells(scores: pd.DataFrame, gates: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(mask of the responses in shown cells, the row of `gates` of each of those responses)."""
    keys = ["rater_dept", "provider_dept"]
    position = pd.MultiIndex.from_frame(gates[keys]).get_indexer(pd.MultiIndex.from_frame(scores[keys]))
    found = position >= 0
    shown = np.zeros(len(scores), dtype=bool)
    shown[found] = gates["shown"].to_numpy(dtype=bool)[position[found]]
    return shown, position[shown]


def gate_scores(scores: pd.DataFrame, gates: pd.DataFrame) -> pd.DataFrame:
    """Response-level scores with every hidden group taken out.

    Parameters
    ----------
    scores : DataFrame
        analysis.cells.score_responses output (rater_dept, provider_dept, recommend, dim_<d> ...).
    gates : DataFrame
        rater_dept, provider_dept and the `group_gates` columns of each cell.

    Returns
    -------
    The responses of shown cells only, with recommend blank where the cell's loyalty group is hidden
    and dim_<d> blank where the cell's dimension group is hidden. Satisfaction is kept: it is the
    cell's own group, shown.
    """
    shown, at = _rows_of_shown_cells(scores, gates)
    out = scores.loc[shown].copy()
    blank = {RECOMMEND: "recommend"} | {
        c.removeprefix(DIMENSION_PREFIX): c for c in scores.columns if c.startswith(DIMENSION_PREFIX)
    }
    for gate, column in blank.items():
        if gate in gates.columns and column in out.columns:
            keep = gates[gate].to_numpy(dtype=bool)[at]
            out[column] = np.where(keep, out[column].to_numpy(dtype=float), np.nan)
    return out


def gate_values(
    values: np.ndarray, scores: pd.DataFrame, gates: pd.DataFrame, item_dimensions: list[str]
) -> np.ndarray:
    """Item answers (responses x items) restricted like `gate_scores`: rows of shown cells only, and
    the items of a dimension blank where that cell's dimension group is hidden (for reliability)."""
    shown, at = _rows_of_shown_cells(scores, gates)
    out = np.array(values[shown], dtype=float, order="F")
    for j, dim in enumerate(item_dimensions):
        if dim in gates.columns:
            out[~gates[dim].to_numpy(dtype=bool)[at], j] = np.nan
    return out


def driver_sample(gated: pd.DataFrame, dimensions: tuple[str, ...], k: int) -> pd.DataFrame:
    """The responses the drivers may use, from `gate_scores` output.

    Drivers regress recommend on the dimension scores of complete responses and publish their means.
    A cell's complete responses are used only when they are at least k people and, for the
    recommend question and every dimension, the people who answered it but are not complete are 0
    or at least k: then every difference between a driver figure and a cell figure covers 0 or at
    least k people too.
    """
    k = check_threshold(k)
    columns = ["recommend", *(DIMENSION_PREFIX + d for d in dimensions)]
    if gated.empty:
        return gated
    answered = gated[columns].notna()
    complete = answered.all(axis=1)
    keys = [gated["rater_dept"], gated["provider_dept"]]
    per_cell = answered.groupby(keys).sum()
    complete_n = complete.groupby(keys).sum()
    rest = per_cell.sub(complete_n, axis=0)
    ok = (complete_n >= k) & ((rest == 0) | (rest >= k)).all(axis=1)
    usable = ok.reindex(pd.MultiIndex.from_arrays(keys)).to_numpy(dtype=bool)
    return gated.loc[usable & complete.to_numpy()]


def suppress_small_cells(
    cells: pd.DataFrame,
    k: int,
    *,
    hide: pd.Series | None = None,
    n_column: str = "n",
) -> pd.DataFrame:
    """Blank every figure of rows with fewer than k people (or hidden for another reason).

    Parameters
    ----------
    cells : DataFrame
        Statistics with a count column and any figures.
    k : int
        The anonymity threshold of the wave (at least 3).
    hide : Series of bool, optional
        Rows to hide whatever their count (aligned with `cells.index`), e.g. a total whose groups are
        all hidden, or a trend whose figure is hidden in the comparison wave.
    n_column : str
        The column holding the number of people behind each row (e.g. n_customers for gaps).

    Returns
    -------
    A copy of `cells` with `suppressed` (bool) and `k` (the threshold used) added, and every other
    non-key column blanked (NaN, or None for text) where suppressed. The input is not changed.
    There is no complementary suppression: every total is built from shown groups only
    (`gate_moments`), so a hidden row enters no published sum.
    """
    k = check_threshold(k)
    out = cells  # read only: the result is a new frame
    mask = (out[n_column].fillna(0) < k) if len(out) else pd.Series(False, index=out.index, dtype=bool)
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


def hidden_mask(counts: pd.DataFrame, k: int) -> pd.Series:
    """True where a cell is hidden: fewer than k people (`counts` has n)."""
    k = check_threshold(k)
    return counts["n"].fillna(0) < k


def comments_allowed(n: pd.Series, k_comments: int) -> pd.Series:
    """True where a cell has enough people for its comments to be shown."""
    return n.fillna(0) >= k_comments


def participation_shown(participation: pd.DataFrame, k: int) -> pd.DataFrame:
    """Participation per department with small counts hidden.

    The number of people who answered in a department is shown when it is at least k (and 0 is
    shown: nobody answered). The overall count is published too, so the hidden departments together
    must hold 0 or at least k people: the next smallest shown departments are hidden until they do.
    Invitation counts say nothing about answers and stay. Returns the table with responded, rate and
    low_participation blank where hidden, plus suppressed and k.
    """
    k = check_threshold(k)
    responded = participation["responded"].fillna(0).to_numpy(dtype=float)
    hidden = (responded > 0) & (responded < k)
    while True:
        held = responded[hidden].sum()
        if held == 0 or held >= k:
            break
        candidates = np.flatnonzero(~hidden & (responded > 0))
        if not len(candidates):
            break
        hidden[candidates[np.argmin(responded[candidates])]] = True
    out = participation.copy()
    for column in ("responded", "rate"):
        if column in out.columns:
            out[column] = np.where(hidden, np.nan, out[column].to_numpy(dtype=float))
    if "low_participation" in out.columns:
        out["low_participation"] = pd.array(
            np.where(hidden, None, out["low_participation"].to_numpy(dtype=object)), dtype="boolean"
        )
    out["suppressed"] = hidden
    out["k"] = k
    return out


def matrix_status(cells: pd.DataFrame, raters: list[str], providers: list[str]) -> pd.DataFrame:
    """Rater x provider status matrix from suppressed cells: 'shown', 'hidden' or 'no_data'."""
    status = pd.DataFrame(STATUS_NO_DATA, index=raters, columns=providers, dtype=object)
    for row in cells.itertuples(index=False):
        if row.rater_dept in status.index and row.provider_dept in status.columns:
            status.loc[row.rater_dept, row.provider_dept] = STATUS_HIDDEN if row.suppressed else STATUS_SHOWN
    return status
