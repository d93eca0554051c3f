"""One wave's report: every table a results page or an export shows, computed and suppressed.

`build_wave_report` reads the wave's responses (and the previous wave's, for trends) through one
aggregation in DuckDB (data.aggregates), computes every figure of DESIGN.md section 4 with
analysis/, and passes every table through `analysis.anonymity.suppress_small_cells` with the wave's
threshold k. Nothing unsuppressed leaves this module: pages and exports read only `WaveReport`.

Conventions shared by all tables: scores are 0-100; department columns hold department codes
(names are in `WaveReport.departments`); `suppressed` is True where a row is hidden for anonymity
(its figures are blank, NaN); a row that is absent is "no data"; `k` is the threshold used.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache, wraps

import numpy as np
import pandas as pd
from threadpoolctl import ThreadpoolController

from analysis.anonymity import check_threshold, hidden_mask, suppress_small_cells
from analysis.cells import (
    CELL_KEYS,
    DEFAULT_BANDS,
    SUMMARY_COLUMNS,
    LoyaltyBands,
    moments_from_scores,
    rollup,
    score_responses,
    stats_from_moments,
)
from analysis.drivers import MIN_DRIVER_N, driver_table
from analysis.gaps import perception_gaps
from analysis.hotspots import HotspotConfig, find_hotspots
from analysis.participation import participation_table
from analysis.reliability import reliability_table
from analysis.srm import fit_srm
from analysis.stats_adapter import welch_from_moments
from analysis.trends import trend_table
from data.aggregates import (
    cell_comments,
    cell_moments,
    cell_response_counts,
    check_relationship_type,
    participation_counts,
    relationship_types,
    response_items,
    self_assessment_means,
    survey_definition_text,
)
from data.db import Database
from data.org import list_departments
from data.waves import comparison_wave, get_wave, list_waves
from surveys.definition import parse_survey

__all__ = ["HotspotConfig", "LoyaltyBands", "WaveReport", "build_history", "build_wave_report", "wave_comments"]


@dataclass(frozen=True)
class WaveReport:
    """Suppressed results of one wave. Every table is a DataFrame; an empty wave gives empty tables.

    Attributes
    ----------
    wave_id : str
    previous_wave_id : str or None
        The comparison wave of trends and `declining` (data.waves.comparison_wave: the latest closed
        wave with responses that opened earlier; never a draft or an empty wave), or None.
    relationship_type : str or None
        The relationship-type filter applied (None: all responses).
    dimension : str or None
        The dimension filter applied: satisfaction figures (mean, sd, CI, favourable, trends,
        hotspots) use only that dimension's items. None: all items.
    k : int
        The wave's anonymity threshold; k_comments the comment threshold.
    k_comments : int
    dimensions : tuple of str
        The survey's dimension ids, in questionnaire order (`dim_<id>` columns below).
    departments : DataFrame
        code, name_en, name_zh of every department (for labels).
    cells : DataFrame
        One row per (wave, rater department, provider department) with responses. Columns:
        wave_id, rater_dept, provider_dept, relationship_type (type of the pair in the relationship
        map, None for occasional pairs), n (responses with a score), mean (0-100), sd, ci_low, ci_high
        (t-based 95% CI of the mean), favourable (share of answered items at 4-5, 0-1), n_recommend
        (responses with a recommend score), promoters, passives, detractors (counts), inps (-100..100),
        inps_ci_low, inps_ci_high (95% CI), frequency (mean interaction frequency, 1 = less than
        monthly .. 4 = daily), dim_<dimension> (mean dimension score, one column per dimension),
        rater_effect, provider_effect (SRM effects of the two departments), expected (mu + rater
        effect + provider effect), relationship_effect (shrunk pair effect), relationship_ci_low,
        relationship_ci_high (95% interval), suppressed, k.
    providers : DataFrame
        One row per provider department (all its internal customers together): wave_id,
        provider_dept, the same figures as cells from n to dim_<dimension>, provider_effect (SRM
        quality: above or below what departments usually get), n_raters (rater departments),
        suppressed, k. A total with n < k is hidden, and so are the next smallest totals when the
        hidden ones hold fewer than k responses together.
    raters : DataFrame
        One row per rater department (all providers it rated): wave_id, rater_dept, the same figures
        as cells from n to dim_<dimension>, rater_effect (SRM harshness: negative rates everyone
        low), n_providers, suppressed, k.
    org : DataFrame
        One row: wave_id, the same figures as cells from n to dim_<dimension>, suppressed, k.
    hotspots : DataFrame
        Cells with at least one flag, most severe first: wave_id, rater_dept, provider_dept, n, mean,
        reverse_mean (mean of provider -> rater, NaN if hidden or absent), relationship_effect,
        relationship_ci_low, relationship_ci_high, change (vs the previous wave), friction, low,
        asymmetric, mutual, polarised, declining (bool flags), flags (comma-separated names of the
        raised flags, e.g. "friction,low"; read it as hotspots["flags"], since DataFrame.flags is a
        pandas attribute), severity (formula in the analysis.hotspots docstring), reason_en,
        reason_zh (one sentence), suppressed, k.
    reliability : DataFrame
        wave_id, measure ("alpha" per dimension, "icc1" once), dimension (None for icc1), value,
        ci_low, ci_high (alpha: Feldt 95% CI; icc1: NaN), n (responses or cells used), n_items,
        note ("low" alpha < 0.7, "redundant" alpha > 0.95, "" otherwise), suppressed, k.
    drivers : DataFrame
        wave_id, scope ("organisation" or "provider"), provider_dept (None for the organisation),
        dimension, n (complete responses), importance (relative importance, percent of explained
        variance of recommend, sums to 100 per scope), importance_ci_low, importance_ci_high (95%
        bootstrap interval), r2 (of the scope's regression), coef, performance (mean dimension score
        0-100), quadrant ("fix_first", "keep_up", "secondary", "possible_overkill" where the bootstrap
        supports it, else "unclear"), suppressed, k. Providers need n >= 30.
    trends : DataFrame
        Change since the previous wave: wave_id, previous_wave_id, level ("cell", "provider",
        "rater", "organisation"), rater_dept, provider_dept (None where not applicable), n, mean,
        previous_n, previous_mean, change (mean - previous_mean), change_ci_low, change_ci_high (95% Welch
        interval of the change), t, dof, p_value (Welch), significant
        (1.0 when p < 0.05, 0.0 otherwise, NaN without a test), suppressed (hidden in either wave), k.
    gaps : DataFrame
        Perception gaps: wave_id, level ("pair" or "provider"), provider_dept, rater_dept (the
        customer; None at provider level), dimension, n_self (self-assessments), self_mean,
        n_customers (customer responses), customer_mean, gap (self_mean - customer_mean; positive:
        the provider thinks it does better than its customers say), suppressed, k.
    participation : DataFrame
        wave_id, dept_code, invited, responded, rate (0-1), low_participation (rate < 0.6).
    """

    wave_id: str
    previous_wave_id: str | None
    relationship_type: str | None
    dimension: str | None
    k: int
    k_comments: int
    dimensions: tuple[str, ...]
    departments: pd.DataFrame = field(repr=False)
    cells: pd.DataFrame = field(repr=False)
    providers: pd.DataFrame = field(repr=False)
    raters: pd.DataFrame = field(repr=False)
    org: pd.DataFrame = field(repr=False)
    hotspots: pd.DataFrame = field(repr=False)
    reliability: pd.DataFrame = field(repr=False)
    drivers: pd.DataFrame = field(repr=False)
    trends: pd.DataFrame = field(repr=False)
    gaps: pd.DataFrame = field(repr=False)
    participation: pd.DataFrame = field(repr=False)

    def names(self, lang: str = "en") -> dict[str, str]:
        """Department code -> name in `lang` ("en" or "zh")."""
        column = "name_zh" if lang == "zh" else "name_en"
        return dict(zip(self.departments["code"], self.departments[column], strict=True))

    def comments(
        self,
        db: Database,
        *,
        rater_dept: str | None = None,
        provider_dept: str | None = None,
        seed: int | None = None,
    ) -> pd.DataFrame:
        """Comments of a cell, a provider or a rater in this wave; see `wave_comments`."""
        return wave_comments(
            db,
            self.wave_id,
            rater_dept=rater_dept,
            provider_dept=provider_dept,
            relationship_type=self.relationship_type,
            seed=seed,
        )


@lru_cache(maxsize=32)
def _parsed_items(definition: str, survey_version: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    # Parsing the YAML costs more than the rest of a small report; a definition never changes.
    survey = parse_survey(definition, survey_version)
    items = list(survey.items)
    return tuple(i.id for i in items), tuple(i.dimension for i in items), tuple(survey.dimension_ids)


def _survey_items(db: Database, survey_version: str) -> tuple[list[str], list[str], tuple[str, ...]]:
    ids, dims, dimensions = _parsed_items(survey_definition_text(db, survey_version), survey_version)
    return list(ids), list(dims), dimensions


def _lookup(keys: pd.Series, index: pd.Series, values: pd.Series) -> np.ndarray:
    """values[index == key] for each key (NaN where the key is not in `index`): a left join of one column."""
    position = pd.Index(index).get_indexer(keys)
    found = values.to_numpy(dtype=float)
    return np.where(position >= 0, found[position], np.nan) if len(found) else np.full(len(keys), np.nan)


def _attach_effects(cells: pd.DataFrame, providers: pd.DataFrame, raters: pd.DataFrame):
    """Fit the SRM on unsuppressed cells and attach its effects to cells, providers and raters."""
    effect_columns = [
        "rater_effect",
        "provider_effect",
        "expected",
        "relationship_effect",
        "relationship_ci_low",
        "relationship_ci_high",
    ]
    fitted = cells["n"].fillna(0) > 0
    if not fitted.any():
        return (
            cells.assign(**{c: np.nan for c in effect_columns}),
            providers.assign(provider_effect=np.nan),
            raters.assign(rater_effect=np.nan),
            None,
        )
    fit = fit_srm(cells[fitted])
    # Attached by position and by lookup instead of five merges on text keys (each merge converts
    # the keys; measured ~10 ms apiece on 1,600 cells): fit.cells holds the fitted cells in order.
    rater_effect = _lookup(cells["rater_dept"], fit.raters["rater_dept"], fit.raters["rater_effect"])
    provider_effect = _lookup(cells["provider_dept"], fit.providers["provider_dept"], fit.providers["provider_effect"])
    on_fitted = fitted.to_numpy()
    attached = {"rater_effect": rater_effect, "provider_effect": provider_effect}
    for column in ("expected", "relationship_effect", "relationship_ci_low", "relationship_ci_high"):
        values = np.full(len(cells), np.nan)
        values[on_fitted] = fit.cells[column].to_numpy(dtype=float)
        attached[column] = values
    cells = cells.assign(**attached)
    providers = providers.assign(
        provider_effect=_lookup(
            providers["provider_dept"], fit.providers["provider_dept"], fit.providers["provider_effect"]
        )
    )
    raters = raters.assign(
        rater_effect=_lookup(raters["rater_dept"], fit.raters["rater_dept"], fit.raters["rater_effect"])
    )
    return cells, providers, raters, fit


def _difference_hidden(
    db: Database, wave_id: str, relationship_type: str | None, types: pd.DataFrame, k: int
) -> dict[str, pd.Series]:
    """Totals of a type-filtered view that would reveal a small group by difference with the unfiltered view.

    A provider total over its process customers, compared with its total over all customers, reveals
    the other customers' responses as a group; when that group holds 1 to k - 1 responses, the
    filtered total is hidden. Returns, per level, a Series of bool indexed by department code
    ("organisation": one value).
    """
    if relationship_type is None:
        return {}
    counts = cell_response_counts(db, wave_id).merge(types, on=["rater_dept", "provider_dept"], how="left")
    typed = counts["relationship_type"] == relationship_type
    out = {}
    for level, key in (("provider", "provider_dept"), ("rater", "rater_dept")):
        others = counts.loc[~typed].groupby(key)["n"].sum().reindex(counts[key].unique(), fill_value=0)
        out[level] = (others > 0) & (others < k)
    others_total = int(counts.loc[~typed, "n"].sum())
    out["organisation"] = pd.Series([0 < others_total < k])
    return out


def _suppress_levels(
    db: Database,
    wave_id: str,
    cells: pd.DataFrame,
    providers: pd.DataFrame,
    raters: pd.DataFrame,
    org: pd.DataFrame,
    k: int,
    relationship_type: str | None,
    types: pd.DataFrame,
) -> dict[str, pd.DataFrame]:
    """Suppress cells and every level of totals of one wave, consistently across filtered views.

    Cells hidden in the unfiltered matrix (by threshold or as complements) stay hidden in every
    filtered view: a complement shown in one view would otherwise undo the protection in another.
    """
    risky = _difference_hidden(db, wave_id, relationship_type, types, k)
    everything = cell_response_counts(db, wave_id)
    hidden_everywhere = everything[hidden_mask(everything, k).to_numpy()]
    hidden_pairs = set(zip(hidden_everywhere["rater_dept"], hidden_everywhere["provider_dept"], strict=True))
    cell_hide = pd.Series(
        [(r, p) in hidden_pairs for r, p in zip(cells["rater_dept"], cells["provider_dept"], strict=True)],
        index=cells.index,
        dtype=bool,
    )

    def hide(table: pd.DataFrame, level: str, key: str | None) -> pd.Series | None:
        if level not in risky or table.empty:
            return None
        if key is None:
            return pd.Series(bool(risky[level].iloc[0]), index=table.index)
        return table[key].map(risky[level]).fillna(False).astype(bool)

    return {
        "cell": suppress_small_cells(cells, k, hide=cell_hide),
        "provider": suppress_small_cells(providers, k, hide=hide(providers, "provider", "provider_dept")),
        "rater": suppress_small_cells(raters, k, hide=hide(raters, "rater", "rater_dept")),
        "organisation": suppress_small_cells(org, k, hide=hide(org, "organisation", None)),
    }


def _gap_hidden(gaps: pd.DataFrame, shown: dict[str, pd.DataFrame], k: int) -> pd.Series:
    """A gap is hidden when its customers' figure is hidden (cell or provider total) or n_self < k."""
    if gaps.empty:
        return pd.Series(dtype=bool)
    hidden_cells = shown["cell"].loc[shown["cell"]["suppressed"], ["rater_dept", "provider_dept"]]
    hidden_pairs = set(map(tuple, hidden_cells.to_numpy()))
    hidden_providers = set(shown["provider"].loc[shown["provider"]["suppressed"], "provider_dept"])
    pair = gaps["level"] == "pair"
    in_hidden_cell = pd.Series(
        [(r, p) in hidden_pairs for r, p in zip(gaps["rater_dept"], gaps["provider_dept"], strict=True)],
        index=gaps.index,
    )
    hidden = (pair & in_hidden_cell) | (~pair & gaps["provider_dept"].isin(hidden_providers))
    return hidden | (gaps["n_self"].fillna(0) < k)


def _one_blas_thread(function):
    """Run `function` with BLAS on one thread. The report's matrices are small, and OpenBLAS's own
    threads spin while DuckDB and the report's worker threads hold both cores (measured under
    cProfile on the 1M bench, three reports: the SRM fit took 0.135 s in all with one thread,
    0.13-0.48 s with two). The limit is process-wide while it lasts; two reports overlapping can
    leave it at one thread after both, which is what the app wants anyway."""

    @wraps(function)
    def wrapper(*args, **kwargs):
        with _blas().limit(limits=1, user_api="blas"):
            return function(*args, **kwargs)

    return wrapper


@lru_cache(maxsize=1)
def _blas() -> ThreadpoolController:
    return ThreadpoolController()  # finding the loaded BLAS libraries takes ~0.1 s: once


@_one_blas_thread
def build_wave_report(
    db: Database,
    wave_id: str,
    *,
    relationship_type: str | None = None,
    dimension: str | None = None,
    bands: LoyaltyBands = DEFAULT_BANDS,
    hotspot_config: HotspotConfig | None = None,
) -> WaveReport:
    """Compute and suppress every table of one wave (see `WaveReport` for the columns).

    Parameters
    ----------
    db : Database
    wave_id : str
    relationship_type : str, optional
        Keep only responses whose (rater, provider) pair has this type in the relationship map.
    dimension : str, optional
        Score satisfaction from this dimension's items only.
    bands : LoyaltyBands
        Recommend bands for promoters, passives and detractors.
    hotspot_config : HotspotConfig, optional
        Hotspot thresholds; the defaults are DESIGN.md's.

    Raises
    ------
    ValueError
        Unknown wave, relationship type or dimension.
    """
    wave = get_wave(db, wave_id)
    if wave is None:
        raise ValueError(f"unknown wave {wave_id!r}")
    check_relationship_type(relationship_type)
    k = check_threshold(wave.k_min)
    config = hotspot_config or HotspotConfig()
    item_ids, item_dims, dimensions = _survey_items(db, wave.survey_version)
    if dimension is not None and dimension not in dimensions:
        raise ValueError(f"unknown dimension {dimension!r}; expected one of {list(dimensions)}")
    previous = comparison_wave(db, wave_id)  # latest closed wave with responses that opened earlier

    # The current wave's answers first. The previous wave needs only its cell moments (n, mean, sd
    # for trends and "declining"): DuckDB aggregates them (the same moments build_history uses) in a
    # second thread while this one analyses the current wave; DuckDB runs without the GIL, so on two
    # cores the two overlap. Items match across survey versions by stable id.
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="icsat-report") as pool:
        data = response_items(db, [wave_id], item_ids, relationship_type=relationship_type)
        pending = (
            pool.submit(
                cell_moments,
                db,
                [previous.wave_id],
                [i for i, d in zip(item_ids, item_dims, strict=True) if dimension is None or d == dimension],
                relationship_type=relationship_type,
                promoter_min=bands.promoter_min,
                passive_min=bands.passive_min,
            )
            if previous is not None
            else None
        )
        current = score_responses(data.responses, data.values, item_dims, dimension=dimension)
        # Drivers need only the scores, reliability only the cells' n, mean and sd: both are computed
        # beside the rest (their matrix algebra and sorts release the GIL for most of their time).
        driving = pool.submit(driver_table, current, dimensions, wave_id=wave_id, min_n=max(MIN_DRIVER_N, k))
        # Moments per cell; every total is a sum of cell moments.
        now = moments_from_scores(current, CELL_KEYS, bands)
        cells = stats_from_moments(now)
        checking = pool.submit(reliability_table, data.values, item_dims, cells, wave_id=wave_id)
        types = relationship_types(db)
        cells = cells.merge(types, on=["rater_dept", "provider_dept"], how="left")
        cells.insert(3, "relationship_type", cells.pop("relationship_type"))
        providers = stats_from_moments(rollup(now, ["wave_id", "provider_dept"]))
        providers["n_raters"] = providers["provider_dept"].map(cells.groupby("provider_dept")["rater_dept"].nunique())
        raters = stats_from_moments(rollup(now, ["wave_id", "rater_dept"]))
        raters["n_providers"] = raters["rater_dept"].map(cells.groupby("rater_dept")["provider_dept"].nunique())
        org = stats_from_moments(rollup(now, ["wave_id"]))  # no responses: no row ("no data"), not a hidden one
        cells, providers, raters, _ = _attach_effects(cells, providers, raters)

        departments = list_departments(db)[["code", "name_en", "name_zh"]]
        shown = _suppress_levels(db, wave_id, cells, providers, raters, org, k, relationship_type, types)
        gaps = perception_gaps(self_assessment_means(db, wave_id), current, dimensions, wave_id=wave_id)
        participation = participation_table(participation_counts(db, wave_id), wave_id=wave_id)
        before = pending.result() if pending is not None else now.iloc[0:0]
        drivers = driving.result()
        reliability = checking.result()

    previous_k = check_threshold(previous.k_min) if previous is not None else k
    shown_before = _suppress_levels(
        db,
        previous.wave_id if previous is not None else wave_id,
        stats_from_moments(before),
        stats_from_moments(rollup(before, ["wave_id", "provider_dept"])),
        stats_from_moments(rollup(before, ["wave_id", "rater_dept"])),
        stats_from_moments(rollup(before, ["wave_id"])),
        previous_k,
        relationship_type,
        types,
    )
    hotspots = find_hotspots(
        cells,
        shown["cell"]["suppressed"],
        org_mean=float(org["mean"].iloc[0]) if len(org) else np.nan,
        k=k,
        previous_cells=shown_before["cell"],
        names_en=dict(zip(departments["code"], departments["name_en"], strict=True)),
        names_zh=dict(zip(departments["code"], departments["name_zh"], strict=True)),
        config=config,
    )
    trends, trend_hidden = trend_table(
        shown, shown_before, wave_id=wave_id, previous_wave_id=previous.wave_id if previous else None
    )

    return WaveReport(
        wave_id=wave_id,
        previous_wave_id=previous.wave_id if previous else None,
        relationship_type=relationship_type,
        dimension=dimension,
        k=k,
        k_comments=int(wave.k_comments),
        dimensions=dimensions,
        departments=departments.reset_index(drop=True),
        cells=shown["cell"],
        providers=shown["provider"],
        raters=shown["rater"],
        org=shown["organisation"],
        # Hotspots are only found among shown cells with n >= k; the pass keeps the one gate.
        hotspots=suppress_small_cells(hotspots, k, group=None, complementary=False),
        reliability=suppress_small_cells(reliability, k, group=None, complementary=False),
        drivers=suppress_small_cells(drivers, k, group=None, complementary=False),
        trends=suppress_small_cells(trends, k, group=None, hide=trend_hidden, complementary=False),
        gaps=suppress_small_cells(
            gaps, k, group=None, hide=_gap_hidden(gaps, shown, k), complementary=False, n_column="n_customers"
        ),
        participation=participation,
    )


def wave_comments(
    db: Database,
    wave_id: str,
    *,
    rater_dept: str | None = None,
    provider_dept: str | None = None,
    relationship_type: str | None = None,
    seed: int | None = None,
) -> pd.DataFrame:
    """Comments of one wave for a cell, a provider (all its customers) or a rater, safe to show.

    Only comments from cells (wave, rater, provider) with at least k_comments responses are
    returned, also when a provider or rater is asked for, so a small cell's words never appear; cells
    hidden as complements give none either.
    The order is random (a fresh order each call unless `seed` is given) and there are no dates or
    ids, so a comment cannot be matched with a submission.

    Returns
    -------
    DataFrame with rater_dept, provider_dept, question ("change" or "need"), text.
    """
    wave = get_wave(db, wave_id)
    if wave is None:
        raise ValueError(f"unknown wave {wave_id!r}")
    check_relationship_type(relationship_type)
    counts = cell_response_counts(db, wave_id)
    # A cell hidden as a complement shows nothing, its comments included: how many comments it has
    # would bound its size, and with the shown totals the size of the small cell it protects.
    hidden = hidden_mask(counts, check_threshold(wave.k_min)).to_numpy()
    allowed = counts[(counts["n"] >= wave.k_comments).to_numpy() & ~hidden][["rater_dept", "provider_dept"]]
    found = cell_comments(
        db, wave_id, rater_dept=rater_dept, provider_dept=provider_dept, relationship_type=relationship_type
    )
    safe = found.merge(allowed, on=["rater_dept", "provider_dept"], how="inner")
    order = np.random.default_rng(seed).permutation(len(safe))
    return safe.iloc[order][["rater_dept", "provider_dept", "question", "text"]].reset_index(drop=True)


HISTORY_LEVELS = ("cell", "provider", "rater", "organisation")
HISTORY_COLUMNS = [
    "wave_id",
    "level",
    "rater_dept",
    "provider_dept",
    *SUMMARY_COLUMNS,
    "change",
    "t",
    "dof",
    "p_value",
    "significant",
    "suppressed",
    "k",
]


def build_history(
    db: Database,
    *,
    level: str,
    rater_dept: str | None = None,
    provider_dept: str | None = None,
    relationship_type: str | None = None,
    dimension: str | None = None,
    bands: LoyaltyBands = DEFAULT_BANDS,
) -> pd.DataFrame:
    """One figure over every wave (oldest first), with a Welch test against the wave before.

    Parameters
    ----------
    level : {"cell", "provider", "rater", "organisation"}
        "cell" needs rater_dept and provider_dept, "provider" provider_dept, "rater" rater_dept.
    relationship_type, dimension : str, optional
        Filters as in `build_wave_report`.

    Returns
    -------
    DataFrame with HISTORY_COLUMNS, one row per wave that has responses for the figure: wave_id,
    level, rater_dept, provider_dept, n, mean, sd, ci_low, ci_high, favourable, n_recommend,
    promoters, passives, detractors, inps, inps_ci_low, inps_ci_high, change (vs the previous row),
    t, dof, p_value, significant (Welch, p < 0.05; NaN when either row is hidden), suppressed, k.
    Each wave is suppressed with its own threshold and its whole matrix (complementary suppression),
    exactly as in `build_wave_report`.
    """
    if level not in HISTORY_LEVELS:
        raise ValueError(f"unknown level {level!r}; expected one of {HISTORY_LEVELS}")
    needs = {"cell": (rater_dept, provider_dept), "provider": (provider_dept,), "rater": (rater_dept,)}
    if any(v is None for v in needs.get(level, ())):
        raise ValueError(
            f"level {level!r} needs " + {"cell": "rater_dept and provider_dept"}.get(level, f"{level}_dept")
        )
    check_relationship_type(relationship_type)
    waves = list_waves(db)
    items: dict[str, str] = {}
    for version in dict.fromkeys(w.survey_version for w in waves):
        ids, dims, _ = _survey_items(db, version)
        items.update({i: d for i, d in zip(ids, dims, strict=True) if dimension is None or d == dimension})
    if not waves or not items:
        if dimension is not None and waves:
            raise ValueError(f"unknown dimension {dimension!r}")
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    moments = cell_moments(
        db,
        [w.wave_id for w in waves],
        list(items),
        relationship_type=relationship_type,
        promoter_min=bands.promoter_min,
        passive_min=bands.passive_min,
    )
    keys = {"cell": ["rater_dept", "provider_dept"], "provider": ["provider_dept"], "rater": ["rater_dept"]}.get(
        level, []
    )
    wanted = {"rater_dept": rater_dept, "provider_dept": provider_dept}
    types = relationship_types(db)
    rows = []
    for wave in waves:
        now = moments[moments["wave_id"] == wave.wave_id]
        if now.empty:
            continue
        # The same suppression as build_wave_report: the whole matrix and every level of totals.
        shown = _suppress_levels(
            db,
            wave.wave_id,
            stats_from_moments(now),
            stats_from_moments(rollup(now, ["wave_id", "provider_dept"])),
            stats_from_moments(rollup(now, ["wave_id", "rater_dept"])),
            stats_from_moments(rollup(now, ["wave_id"])),
            check_threshold(wave.k_min),
            relationship_type,
            types,
        )
        table = shown[level]
        for key in keys:
            table = table[table[key] == wanted[key]]
        rows.append(table)
    if not rows:
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    history = pd.concat(rows, ignore_index=True)
    history["level"] = level
    for key in ("rater_dept", "provider_dept"):
        if key not in history.columns:
            history[key] = None
    prev = history.shift(1)
    test = welch_from_moments(history["mean"], history["sd"], history["n"], prev["mean"], prev["sd"], prev["n"])
    history["change"] = history["mean"] - prev["mean"]
    history["t"], history["dof"], history["p_value"] = test["t"], test["dof"], test["p_value"]
    history["significant"] = (history["p_value"] < 0.05).astype(float).where(history["p_value"].notna())
    return history[HISTORY_COLUMNS].reset_index(drop=True)
