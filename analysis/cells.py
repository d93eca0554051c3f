"""Cell statistics: one row per (wave, rater department, provider department).

Scores are on 0-100 (a Likert answer s maps to (s - 1) * 25). docs/methodology.md ("Scores", "Cells,
providers, raters and the organisation") defines every column in plain words.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.stats_adapter import t_quantile

CELL_KEYS = ["wave_id", "rater_dept", "provider_dept"]
PROMOTER_MIN = 9  # 9-10 promoters
PASSIVE_MIN = 7  # 7-8 passives, 0-6 detractors
DIMENSION_PREFIX = "dim_"
Z95 = 1.959963984540054


@dataclass(frozen=True)
class LoyaltyBands:
    """Recommend-score bands (0-10): promoters >= promoter_min, passives >= passive_min, detractors below."""

    promoter_min: int = PROMOTER_MIN
    passive_min: int = PASSIVE_MIN

    def __post_init__(self) -> None:
        if not 0 < self.passive_min < self.promoter_min <= 10:
            raise ValueError(
                f"loyalty bands need 0 < passive_min < promoter_min <= 10, got {self.passive_min}, {self.promoter_min}"
            )


DEFAULT_BANDS = LoyaltyBands()

_SCORE_COLUMNS = {"wave_id", "rater_dept", "provider_dept", "satisfaction", "recommend", "n_items", "n_favourable"}


def _check_scores(scores: pd.DataFrame) -> None:
    missing = _SCORE_COLUMNS - set(scores.columns)
    if missing:
        raise ValueError(f"scores is missing column(s) {sorted(missing)}")


def _t_half_width(sd: np.ndarray, n: np.ndarray, level: float) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        df = np.where(n >= 2, n - 1, np.nan)
        return t_quantile(0.5 + level / 2, df) * sd / np.sqrt(n)


def t_interval(mean: pd.Series, sd: pd.Series, n: pd.Series, level: float = 0.95) -> tuple[pd.Series, pd.Series]:
    """Two-sided t-based confidence interval of a mean, vectorised; NaN where n < 2."""
    half = _t_half_width(np.asarray(sd, dtype=float), np.asarray(n, dtype=float), level)
    return mean - half, mean + half


NPS_PSEUDO_N = 3.0  # adjusted Wald (Rocks 2016): 3 pseudo-answers ...
NPS_PSEUDO_EACH = 0.75  # ... of which 3/4 promoter and 3/4 detractor (the rest passive)


def _nps(promoters: np.ndarray, detractors: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with np.errstate(invalid="ignore", divide="ignore"):
        n = np.where(n > 0, n, np.nan)
        inps = 100 * (promoters - detractors) / n
        adjusted_n = n + NPS_PSEUDO_N
        p = (promoters + NPS_PSEUDO_EACH) / adjusted_n
        d = (detractors + NPS_PSEUDO_EACH) / adjusted_n
        centre = 100 * (p - d)
        half = Z95 * 100 * np.sqrt(np.maximum(p + d - (p - d) ** 2, 0) / adjusted_n)
    return inps, np.clip(centre - half, -100, 100), np.clip(centre + half, -100, 100)


def nps_from_counts(promoters: pd.Series, detractors: pd.Series, n: pd.Series) -> pd.DataFrame:
    """Internal NPS and its 95% adjusted Wald interval from counts, vectorised.

    iNPS = 100 * (p - d), p and d the promoter and detractor shares (docs/methodology.md, "Loyalty"). The
    interval is the adjusted Wald of Rocks (2016, The American Statistician 70(4), the best of the
    simple methods he compared): add 3 answers to n, 3/4 to the promoters and 3/4 to the
    detractors, then centre +/- 1.96 * 100 * sqrt((p' + d' - (p' - d')^2) / n') on the adjusted
    iNPS'. It never has zero width (18 passives: [-11, 11], not [0, 0]) and is clipped to
    [-100, 100].

    Returns columns: inps, inps_ci_low, inps_ci_high (NaN where n is 0).
    """
    inps, low, high = _nps(*(np.asarray(x, dtype=float) for x in (promoters, detractors, n)))
    index = promoters.index if isinstance(promoters, pd.Series) else None
    return pd.DataFrame({"inps": inps, "inps_ci_low": low, "inps_ci_high": high}, index=index)


def score_responses(
    responses: pd.DataFrame, values: np.ndarray, item_dimensions: list[str], *, dimension: str | None = None
) -> pd.DataFrame:
    """Score each response on 0-100 from its Likert answers (docs/methodology.md, "Scores").

    Parameters
    ----------
    responses : DataFrame
        One row per response (any columns; kept).
    values : ndarray
        Shape (responses, items): answers 1-5, NaN for "not applicable" or not asked.
    item_dimensions : list of str
        The dimension of each column of `values`.
    dimension : str, optional
        Score satisfaction from this dimension's items only (the dimension filter).

    Returns
    -------
    A copy of `responses` plus: satisfaction (mean of the answered items, (s - 1) * 25; NaN when none
    was answered), n_items (answered items), n_favourable (items answered 4 or 5) and one column
    dim_<dimension> per dimension (mean of that dimension's answered items, 0-100).
    """
    if values.shape != (len(responses), len(item_dimensions)):
        raise ValueError(f"values has shape {values.shape}, expected ({len(responses)}, {len(item_dimensions)})")
    dims = list(dict.fromkeys(item_dimensions))
    if dimension is not None and dimension not in dims:
        raise ValueError(f"unknown dimension {dimension!r}; expected one of {dims}")
    # Column by column (contiguous when `values` is column-major, as data.aggregates returns it),
    # into a few reused buffers: fresh whole-matrix temporaries cost more than the arithmetic here.
    # Sums are of (answer - 1), small whole numbers and so exact in floating point; times 25 at the
    # end gives the same numbers as summing the 0-100 item scores.
    n = len(responses)
    sums = {dim: np.zeros(n) for dim in dims}
    missing = {dim: np.zeros(n, dtype=np.int64) for dim in dims}
    favourable = np.zeros(n, dtype=np.int64)
    is_nan, step, is_high = np.empty(n, dtype=bool), np.empty(n), np.empty(n, dtype=bool)
    for j, dim in enumerate(item_dimensions):
        np.isnan(values[:, j], out=is_nan)
        np.subtract(values[:, j], 1.0, out=step)
        step[is_nan] = 0.0
        sums[dim] += step
        missing[dim] += is_nan
        if dimension is None or dim == dimension:
            np.greater_equal(step, 3.0, out=is_high)  # answered 4 or 5
            favourable += is_high
    per_dim = {dim: item_dimensions.count(dim) for dim in dims}
    counts = {dim: per_dim[dim] - missing[dim] for dim in dims}
    for dim in dims:
        sums[dim] *= 25.0
    out = {column: responses[column] for column in responses.columns}
    used = dims if dimension is None else [dimension]
    total, count = sums[used[0]].copy(), counts[used[0]].copy()
    for dim in used[1:]:
        total += sums[dim]
        count += counts[dim]
    with np.errstate(invalid="ignore", divide="ignore"):  # no answer: 0 / 0 = NaN, the "no score" value
        for dim in dims:
            out[DIMENSION_PREFIX + dim] = sums[dim] / counts[dim]
        out["satisfaction"] = total / count
    out["n_items"] = count.astype("int64")
    out["n_favourable"] = favourable
    return pd.DataFrame(out, index=responses.index)


MOMENT_COLUMNS = [
    "n",
    "sum_score",
    "sum_sq",
    "n_items",
    "n_favourable",
    "n_recommend",
    "promoters",
    "passives",
    "detractors",
]
SUMMARY_COLUMNS = [
    "n",
    "mean",
    "sd",
    "ci_low",
    "ci_high",
    "favourable",
    "n_recommend",
    "promoters",
    "passives",
    "detractors",
    "inps",
    "inps_ci_low",
    "inps_ci_high",
]
# Optional sums carried with the moments: frequency (weight sum and count) and, per dimension,
# the sum and count of the responses' dimension scores.
_FREQ_SUM, _FREQ_N = "freq_sum", "freq_n"
_DIM_SUM, _DIM_N = "dimsum_", "dimn_"


def _is_moment(column: str) -> bool:
    """A column of sums that adds up across groups (see `moments_from_scores`)."""
    return column in MOMENT_COLUMNS or column in (_FREQ_SUM, _FREQ_N) or column.startswith((_DIM_SUM, _DIM_N))


_MAX_DENSE_GROUPS = 4_000_000


def moments_from_scores(scores: pd.DataFrame, keys: list[str], bands: LoyaltyBands = DEFAULT_BANDS) -> pd.DataFrame:
    """Sufficient statistics of response-level `scores` per group of `keys` (one vectorised pass).

    Returns `keys` plus MOMENT_COLUMNS (n, sum_score, sum_sq, n_items, n_favourable, n_recommend,
    promoters, passives, detractors) and, when `scores` has them, freq_sum and freq_n (interaction
    frequency) and dimsum_<d> and dimn_<d> per dim_<d> column. Moments add up, so totals (providers,
    raters, the organisation) are sums of cell moments (`rollup`).
    """
    sat = scores["satisfaction"].to_numpy(dtype=float)
    rec = scores["recommend"].to_numpy(dtype=float)
    has = ~np.isnan(sat)
    sat0 = np.where(has, sat, 0.0)
    with np.errstate(invalid="ignore"):
        columns = {
            "n": has.astype(np.int64),
            "sum_score": sat0,
            "sum_sq": sat0 * sat0,
            "n_items": scores["n_items"].to_numpy(dtype=np.int64),
            "n_favourable": scores["n_favourable"].to_numpy(dtype=np.int64),
            "n_recommend": (~np.isnan(rec)).astype(np.int64),
            "promoters": (rec >= bands.promoter_min).astype(np.int64),
            "passives": ((rec >= bands.passive_min) & (rec < bands.promoter_min)).astype(np.int64),
            "detractors": (rec < bands.passive_min).astype(np.int64),
        }
    if "frequency" in scores.columns:
        freq = scores["frequency"].to_numpy(dtype=float)
        columns[_FREQ_SUM] = np.nan_to_num(freq)
        columns[_FREQ_N] = (~np.isnan(freq)).astype(np.int64)
    for column in scores.columns:
        if column.startswith(DIMENSION_PREFIX):
            values = scores[column].to_numpy(dtype=float)
            dim = column.removeprefix(DIMENSION_PREFIX)
            columns[_DIM_SUM + dim] = np.nan_to_num(values)
            columns[_DIM_N + dim] = (~np.isnan(values)).astype(np.int64)
    if not keys:
        return pd.DataFrame({name: [values.sum()] for name, values in columns.items()})
    # Group by integer codes with bincount: far faster than a groupby on text keys.
    codes, levels = [], []
    for key in keys:
        column = scores[key]
        if isinstance(column.dtype, pd.CategoricalDtype):
            codes.append(column.cat.codes.to_numpy(dtype=np.int64))
            levels.append(np.asarray(column.cat.categories, dtype=object))
        else:
            code, level = pd.factorize(column, sort=True)
            codes.append(code.astype(np.int64))
            levels.append(np.asarray(level, dtype=object))
    shape = tuple(max(len(level), 1) for level in levels)
    size = int(np.prod(shape))
    group = np.ravel_multi_index(codes, shape) if len(scores) else np.zeros(0, dtype=np.int64)
    # Groups are all key combinations (waves x raters x providers: thousands), so bincount over
    # the full product and keep the combinations that have rows; no sort of the responses.
    if size <= _MAX_DENSE_GROUPS:
        ids = np.flatnonzero(np.bincount(group, minlength=size))
        take, width = ids, size
    else:  # very many departments: compact the group ids first (a sort, still vectorised)
        ids, group = np.unique(group, return_inverse=True)
        take, width = np.arange(len(ids)), len(ids)
    out = {
        key: level[index] if len(ids) else np.array([], dtype=object)
        for key, level, index in zip(keys, levels, np.unravel_index(ids, shape), strict=True)
    }
    for name, values in columns.items():
        sums = np.bincount(group, weights=values, minlength=width)[take]
        out[name] = sums.astype(np.int64) if values.dtype.kind in "iub" else sums
    return pd.DataFrame(out)


def rollup(moments: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Add moments up to coarser groups (e.g. cells -> providers); `keys` may be empty (one row).

    Groups come sorted by `keys`; rows with a missing key are left out (as in a pandas groupby).
    """
    numeric = [c for c in moments.columns if _is_moment(c)]
    if not keys:
        return moments[numeric].sum().to_frame().T
    # Integer group codes and bincount: a pandas groupby on text keys costs several times more here,
    # and this runs six times per report.
    codes, levels = [], []
    for key in keys:
        code, level = pd.factorize(moments[key], sort=True)
        codes.append(code)
        levels.append(level)
    keep = np.logical_and.reduce([code >= 0 for code in codes])
    shape = tuple(max(len(level), 1) for level in levels)
    group = np.ravel_multi_index([code[keep] for code in codes], shape)
    present, inverse = np.unique(group, return_inverse=True)
    out: dict[str, object] = {
        key: level.take(position)
        for key, level, position in zip(keys, levels, np.unravel_index(present, shape), strict=True)
    }
    for column in numeric:
        values = moments[column].to_numpy()[keep]
        sums = np.bincount(inverse, weights=values.astype(float), minlength=len(present))
        out[column] = sums.astype(values.dtype) if values.dtype.kind in "iub" else sums
    return pd.DataFrame(out)


def stats_from_moments(moments: pd.DataFrame) -> pd.DataFrame:
    """Satisfaction and loyalty figures from per-group sufficient statistics, vectorised.

    `moments` has n, sum_score, sum_sq, n_items, n_favourable, n_recommend, promoters, passives,
    detractors (see `moments_from_scores` or data.aggregates.cell_moments), and any other columns.
    Returns the other columns, then SUMMARY_COLUMNS (n, mean, sd, ci_low, ci_high, favourable,
    n_recommend, promoters, passives, detractors, inps, inps_ci_low, inps_ci_high), then frequency
    (mean weight) and dim_<d> (mean of the responses' dimension scores) when the moments carry them.
    """
    # Every numeric column in one float block (one pandas selection, not a Series per column: this
    # runs a dozen times per report); counts are whole numbers, exact in float64.
    numeric = [c for c in moments.columns if _is_moment(c)]
    block = moments[numeric].to_numpy(dtype=float)
    col = {name: block[:, i] for i, name in enumerate(numeric)}
    n = col["n"]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, col["sum_score"] / n, np.nan)
        # Sum-of-squares form of the sample variance; clip tiny negative rounding errors.
        var = np.where(n >= 2, (col["sum_sq"] - n * mean**2) / (n - 1), np.nan)
        sd = np.sqrt(np.clip(var, 0, None))
        items = col["n_items"]
        favourable = np.where(items > 0, col["n_favourable"] / items, np.nan)
    half = _t_half_width(sd, n, 0.95)
    # the t interval, clipped to the scale: no mean can lie outside 0-100
    ci_low, ci_high = np.clip(mean - half, 0.0, 100.0), np.clip(mean + half, 0.0, 100.0)
    inps, inps_low, inps_high = _nps(col["promoters"], col["detractors"], col["n_recommend"])
    # Key columns keep their pandas arrays (converting text keys to numpy and back costs more than
    # all the arithmetic above).
    out: dict[str, object] = {c: moments[c].array for c in moments.columns if c not in col}
    out.update(
        {
            "n": n.astype(np.int64),
            "mean": mean,
            "sd": sd,
            "ci_low": ci_low,
            "ci_high": ci_high,
            "favourable": favourable,
            "n_recommend": col["n_recommend"].astype(np.int64),
            "promoters": col["promoters"].astype(np.int64),
            "passives": col["passives"].astype(np.int64),
            "detractors": col["detractors"].astype(np.int64),
            "inps": inps,
            "inps_ci_low": inps_low,
            "inps_ci_high": inps_high,
        }
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        if _FREQ_SUM in col:
            count = col[_FREQ_N]
            out["frequency"] = np.where(count > 0, col[_FREQ_SUM] / count, np.nan)
        for column in numeric:
            if column.startswith(_DIM_SUM):
                dim = column.removeprefix(_DIM_SUM)
                count = col[_DIM_N + dim]
                out[DIMENSION_PREFIX + dim] = np.where(count > 0, col[column] / count, np.nan)
    return pd.DataFrame(out, index=range(len(moments)))


def summarise(scores: pd.DataFrame, keys: list[str], bands: LoyaltyBands = DEFAULT_BANDS) -> pd.DataFrame:
    """Satisfaction and loyalty of response-level `scores` grouped by `keys`.

    `scores` has one row per response: satisfaction (0-100, may be missing), recommend (0-10, may be
    missing), n_items and n_favourable, and optionally frequency (weight 1-4) and dim_<dimension>
    columns. Returns `keys` plus: n (responses with a satisfaction), mean, sd, ci_low, ci_high,
    favourable (share of answered items at 4-5), n_recommend, promoters, passives, detractors, inps,
    inps_ci_low, inps_ci_high; then frequency (mean weight) and dim_<dimension> (mean of the
    responses' dimension scores) when `scores` has them.
    """
    return stats_from_moments(moments_from_scores(scores, keys, bands))


def cell_stats(scores: pd.DataFrame, bands: LoyaltyBands = DEFAULT_BANDS) -> pd.DataFrame:
    """Statistics per cell (wave, rater department, provider department); see `summarise`."""
    _check_scores(scores)
    return summarise(scores, CELL_KEYS, bands)


def provider_stats(scores: pd.DataFrame, bands: LoyaltyBands = DEFAULT_BANDS) -> pd.DataFrame:
    """Statistics per provider department and wave (all its internal customers); see `summarise`."""
    _check_scores(scores)
    return summarise(scores, ["wave_id", "provider_dept"], bands)


def rater_stats(scores: pd.DataFrame, bands: LoyaltyBands = DEFAULT_BANDS) -> pd.DataFrame:
    """Statistics per rater department and wave (all the providers it rated); see `summarise`."""
    _check_scores(scores)
    return summarise(scores, ["wave_id", "rater_dept"], bands)


def org_stats(scores: pd.DataFrame, bands: LoyaltyBands = DEFAULT_BANDS) -> pd.DataFrame:
    """The organisation's figures per wave (all responses); see `summarise`."""
    _check_scores(scores)
    return summarise(scores, ["wave_id"], bands)
