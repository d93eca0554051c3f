"""One wave's report: every table a results page or an export shows, computed and suppressed.

`build_wave_report` reads the wave's responses (and the previous wave's, for trends) through one
aggregation in DuckDB (data.aggregates), computes every figure docs/methodology.md defines with
analysis/, and passes every table through `analysis.anonymity.suppress_small_cells` with the wave's
threshold k. Nothing unsuppressed leaves this module: pages and exports read only `WaveReport`.

Conventions shared by all tables: scores are 0-100; department columns hold department codes
(names are in `WaveReport.departments`); `suppressed` is True where a row is hidden for anonymity
(its figures are blank, NaN); a row that is absent is "no data"; `k` is the threshold used.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd
from threadpoolctl import ThreadpoolController

from analysis.anonymity import (
    check_threshold,
    comments_allowed,
    driver_sample,
    gate_moments,
    gate_scores,
    gate_values,
    group_gates,
    participation_shown,
    published_stats,
    suppress_small_cells,
)
from analysis.cells import (
    CELL_KEYS,
    DEFAULT_BANDS,
    SUMMARY_COLUMNS,
    LoyaltyBands,
    moments_from_scores,
    rollup,
    score_responses,
)
from analysis.drivers import MIN_DRIVER_N, driver_table
from analysis.gaps import perception_gaps
from analysis.hotspots import HotspotConfig, find_hotspots
from analysis.participation import participation_table
from analysis.reliability import reliability_table
from analysis.srm import SRMFit, fit_srm
from analysis.stats_adapter import welch_from_moments
from analysis.trends import significance, trend_table
from data.aggregates import (
    cell_comments,
    cell_moments,
    check_relationship_type,
    participation_counts,
    prepare_waves,
    relationship_types,
    response_items,
    self_assessment_means,
)
from data.db import Database
from data.org import list_departments, names_by_code
from data.waves import Wave, comparison_wave, get_wave, list_waves, survey_definition_text
from report.reasons import word_hotspots
from surveys.definition import parse_survey

__all__ = [
    "HotspotConfig",
    "LoyaltyBands",
    "WaveReport",
    "build_history",
    "build_wave_report",
    "published_groups",
    "wave_comments",
]


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
        wave_id, dept_code, invited, responded (people who answered), rate (0-1), low_participation
        (rate < 0.6), suppressed, k. responded, rate and low_participation are blank where fewer than
        k answered (and for the next smallest departments while the hidden ones hold fewer than k
        together, since the overall count is published).
    collecting : bool
        True while the wave is open: nothing but participation is published (every results table is
        empty) until it closes, so that no two readings differ by one person's answers.
    invited_total, responded_total : int
        Invitations and people who answered, over the whole wave.
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
    collecting: bool = False
    invited_total: int = 0
    responded_total: int = 0

    def names(self, lang: str = "en") -> dict[str, str]:
        """Department code -> name in `lang` ("en" or "zh")."""
        return names_by_code(self.departments, lang)

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
    # Attached by position and by lookup, not by merges on text keys (docs/performance.md, "Wave
    # report"): fit.cells holds the fitted cells in order.
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


def _published_levels(moments: pd.DataFrame, k: int) -> dict[str, pd.DataFrame]:
    """Cells and every level of totals of one wave from its cell moments, by construction.

    Hidden groups are taken out of the cell moments first (`analysis.anonymity.gate_moments`); every
    total is the sum of what is left, so no published figure holds a hidden group and nothing needs
    to be hidden as a complement. The same for every view (relationship type, dimension) and every
    wave, so figures shown in different views or waves differ only by shown groups.
    """
    gated = gate_moments(moments, k)
    levels = {"cell": published_stats(moments, gated, k)}
    # What a total's markers may say: that it has hidden cells (their existence is public, each is
    # marked), and which of its shown cells' loyalty or dimensions are hidden; never what a hidden
    # cell's people answered. So the reference keeps a hidden cell's n and nothing else.
    reference = gate_moments(moments, k, keep_hidden_n=True)
    for level, keys in (("provider", ["provider_dept"]), ("rater", ["rater_dept"]), ("organisation", [])):
        keys = ["wave_id", *keys]
        levels[level] = published_stats(rollup(reference, keys), rollup(gated, keys), k)
    return levels


def _drivers(gated: pd.DataFrame, dimensions: tuple[str, ...], wave_id: str, k: int) -> pd.DataFrame:
    """Drivers from the responses the anonymity rule lets them use (in a worker thread)."""
    return driver_table(driver_sample(gated, dimensions, k), dimensions, wave_id=wave_id, min_n=max(MIN_DRIVER_N, k))


def _collecting(wave) -> bool:
    """Results of a wave that still collects answers are not published (each new answer would change
    them, and two readings apart would give that person's answers): they appear when it closes."""
    return wave.status == "open"


def _published_participation(db: Database, wave_id: str, k: int) -> tuple[pd.DataFrame, int, int]:
    counts = participation_counts(db, wave_id)
    table = participation_table(counts, wave_id=wave_id)
    return participation_shown(table, k), int(counts["invited"].sum()), int(counts["responded"].sum())


def _published_gaps(
    self_means: pd.DataFrame,
    scores: pd.DataFrame,
    gated: pd.DataFrame,
    dimensions: tuple[str, ...],
    wave_id: str,
    k: int,
) -> pd.DataFrame:
    """Perception gaps from shown groups only: self-assessment groups of at least k people and the
    customers' shown dimension groups. Rows whose groups exist but are hidden stay, suppressed."""
    keys = ["level", "provider_dept", "rater_dept", "dimension"]
    every = perception_gaps(self_means, scores, dimensions, wave_id=wave_id)  # which rows exist
    shown = perception_gaps(self_means[self_means["n"] >= k], gated, dimensions, wave_id=wave_id)
    if every.empty:
        return suppress_small_cells(shown, k, n_column="n_customers")
    rows = every[["wave_id", *keys]].merge(shown, on=["wave_id", *keys], how="left")
    hidden = rows["gap"].isna() | (rows["n_self"].fillna(0) < k)
    return suppress_small_cells(rows[shown.columns], k, hide=hidden, n_column="n_customers")


@lru_cache(maxsize=1)
def _blas() -> ThreadpoolController:
    return ThreadpoolController()  # finding the loaded BLAS libraries is slow: once per process


@contextmanager
def _report_workers() -> Iterator[ThreadPoolExecutor]:
    """Where a report runs: BLAS on one thread and three worker threads for the steps that overlap.

    The report's matrices are small, and OpenBLAS's own threads would spin while DuckDB and the
    workers hold both cores (docs/performance.md, "Wave report"). The BLAS limit is process-wide
    while it lasts; two reports overlapping can leave it at one thread after both, which is what the
    app wants anyway."""
    with (
        _blas().limit(limits=1, user_api="blas"),
        ThreadPoolExecutor(max_workers=3, thread_name_prefix="icsat-report") as pool,
    ):
        yield pool


@dataclass(frozen=True)
class _Scope:
    """What a report covers: the wave, its threshold and items, and the wave it is compared with."""

    wave: Wave
    k: int
    item_ids: list[str]
    item_dims: list[str]
    dimensions: tuple[str, ...]
    collecting: bool
    previous: Wave | None

    @property
    def previous_k(self) -> int:
        return check_threshold(self.previous.k_min) if self.previous is not None else self.k


def _scope(
    db: Database, wave_id: str, relationship_type: str | None, dimension: str | None, *, compare: bool = True
) -> _Scope:
    """Check the request and look up what the report covers (raises ValueError, see `build_wave_report`);
    `compare` False: no comparison wave is looked up (previous stays None)."""
    wave = get_wave(db, wave_id)
    if wave is None:
        raise ValueError(f"unknown wave {wave_id!r}")
    check_relationship_type(relationship_type)
    k = check_threshold(wave.k_min)
    item_ids, item_dims, dimensions = _survey_items(db, wave.survey_version)
    if dimension is not None and dimension not in dimensions:
        raise ValueError(f"unknown dimension {dimension!r}; expected one of {list(dimensions)}")
    collecting = _collecting(wave)
    # the latest closed wave with responses that opened earlier (closed: it publishes its results)
    previous = None if collecting or not compare else comparison_wave(db, wave_id)
    return _Scope(wave, k, item_ids, item_dims, dimensions, collecting, previous)


def _previous_moments(
    db: Database, scope: _Scope, relationship_type: str | None, dimension: str | None, bands: LoyaltyBands
) -> pd.DataFrame:
    """The comparison wave's cell moments (n, mean, sd for trends and "declining"), aggregated in
    DuckDB (the same moments build_history uses). Items match across survey versions by stable id."""
    items = [i for i, d in zip(scope.item_ids, scope.item_dims, strict=True) if dimension is None or d == dimension]
    return cell_moments(
        db,
        [scope.previous.wave_id],
        items,
        relationship_type=relationship_type,
        promoter_min=bands.promoter_min,
        passive_min=bands.passive_min,
    )


def _with_structure(db: Database, levels: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Published levels with what the organisation's structure adds: each cell's relationship type,
    and how many shown cells each provider and rater has."""
    cells = levels["cell"].merge(relationship_types(db), on=["rater_dept", "provider_dept"], how="left")
    cells.insert(3, "relationship_type", cells.pop("relationship_type"))
    visible = cells[~cells["suppressed"]]
    providers, raters = levels["provider"], levels["rater"]
    providers["n_raters"] = providers["provider_dept"].map(visible.groupby("provider_dept")["rater_dept"].nunique())
    raters["n_providers"] = raters["rater_dept"].map(visible.groupby("rater_dept")["provider_dept"].nunique())
    return {**levels, "cell": cells, "provider": providers, "rater": raters}


def _published_hotspots(
    levels: dict[str, pd.DataFrame],
    before: dict[str, pd.DataFrame],
    departments: pd.DataFrame,
    fit: SRMFit | None,
    k: int,
    config: HotspotConfig,
) -> pd.DataFrame:
    cells, org = levels["cell"], levels["organisation"]
    hotspots = find_hotspots(
        cells,
        cells["suppressed"],
        org_mean=float(org["mean"].iloc[0]) if len(org) else np.nan,
        k=k,
        previous_cells=before["cell"],
        config=config,
        fit=fit,  # fitted on the shown cells, the ones the flags may test
    )
    return suppress_small_cells(word_hotspots(hotspots, departments), k)


def _published_trends(levels: dict[str, pd.DataFrame], before: dict[str, pd.DataFrame], scope: _Scope) -> pd.DataFrame:
    """Change since the comparison wave at every level; hidden where either side is hidden."""
    previous_wave_id = scope.previous.wave_id if scope.previous else None
    trends, hidden = trend_table(levels, before, wave_id=scope.wave.wave_id, previous_wave_id=previous_wave_id)
    trends = suppress_small_cells(trends, scope.k, hide=hidden)
    trends["significant"] = trends["significant"].astype("boolean")  # blanked rows come back as objects
    return trends


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
        Hotspot thresholds; the defaults are those docs/methodology.md states.

    Raises
    ------
    ValueError
        Unknown wave, relationship type or dimension.
    """
    scope = _scope(db, wave_id, relationship_type, dimension)
    prepare_waves(db, [wave_id] + ([scope.previous.wave_id] if scope.previous is not None else []))
    with _report_workers() as pool:
        return _build(pool, db, scope, relationship_type, dimension, bands, hotspot_config or HotspotConfig())


def _build(
    pool: ThreadPoolExecutor,
    db: Database,
    scope: _Scope,
    relationship_type: str | None,
    dimension: str | None,
    bands: LoyaltyBands,
    config: HotspotConfig,
) -> WaveReport:
    """The domain steps of `build_wave_report`, with the slow independent ones handed to `pool`.

    The current wave's answers first; the previous wave's moments are aggregated by DuckDB (without
    the GIL) in a second thread meanwhile, and drivers and reliability (matrix algebra and sorts that
    release the GIL) beside the rest."""
    wave_id, k, dimensions, item_dims = scope.wave.wave_id, scope.k, scope.dimensions, scope.item_dims
    # nothing of an open wave is published: it is analysed as if it had no answers (not even read)
    data = response_items(
        db, [] if scope.collecting else [wave_id], scope.item_ids, relationship_type=relationship_type
    )
    pending = (
        pool.submit(_previous_moments, db, scope, relationship_type, dimension, bands)
        if scope.previous is not None
        else None
    )
    current = score_responses(data.responses, data.values, item_dims, dimension=dimension)
    # Moments per cell; every published figure is built from the shown groups of these moments.
    now = moments_from_scores(current, CELL_KEYS, bands)
    gates = pd.concat([now[["rater_dept", "provider_dept"]], group_gates(now, k)], axis=1)
    gated = gate_scores(current, gates)
    driving = pool.submit(_drivers, gated, dimensions, wave_id, k)
    levels = _published_levels(now, k)
    shown_cells = levels["cell"][~levels["cell"]["suppressed"]]
    values = gate_values(data.values, current, gates, item_dims)
    checking = pool.submit(reliability_table, values, item_dims, shown_cells, wave_id=wave_id)
    levels = _with_structure(db, levels)
    cells, providers, raters, fit = _attach_effects(levels["cell"], levels["provider"], levels["rater"])
    levels = {**levels, "cell": cells, "provider": providers, "rater": raters}

    departments = list_departments(db)[["code", "name_en", "name_zh"]]
    self_means = self_assessment_means(db, wave_id)
    if scope.collecting:
        self_means = self_means.iloc[0:0]
    gaps = _published_gaps(self_means, current, gated, dimensions, wave_id, k)
    participation, invited_total, responded_total = _published_participation(db, wave_id, k)
    before = _published_levels(pending.result() if pending is not None else now.iloc[0:0], scope.previous_k)

    return WaveReport(
        wave_id=wave_id,
        previous_wave_id=scope.previous.wave_id if scope.previous else None,
        relationship_type=relationship_type,
        dimension=dimension,
        k=k,
        k_comments=int(scope.wave.k_comments),
        dimensions=dimensions,
        departments=departments.reset_index(drop=True),
        cells=cells,
        providers=providers,
        raters=raters,
        org=levels["organisation"],
        # Hotspots, reliability and drivers are computed from shown groups only; the pass adds the
        # suppressed and k columns every table carries.
        hotspots=_published_hotspots(levels, before, departments, fit, k, config),
        reliability=suppress_small_cells(checking.result(), k),
        drivers=suppress_small_cells(driving.result(), k),
        trends=_published_trends(levels, before, scope),
        gaps=gaps,
        participation=participation,
        collecting=scope.collecting,
        invited_total=invited_total,
        responded_total=responded_total,
    )


def published_groups(db: Database, wave_id: str, relationship_type: str | None = None) -> pd.DataFrame:
    """Which groups of each cell of a wave may be published (the gates of `build_wave_report`).

    Returns one row per cell with responses: rater_dept, provider_dept, n (people with a satisfaction
    score; blank where the cell is hidden), shown, recommend and one bool column per dimension
    (`analysis.anonymity.group_gates`), hidden_figures, and comments (shown and at least k_comments
    people). A wave still collecting answers publishes nothing: no cell at all (its answers are not read).
    The responses export uses this, so files and pages decide with the same counts and the same rule.
    """
    scope = _scope(db, wave_id, relationship_type, None, compare=False)
    # a wave still collecting answers publishes nothing: its answers are not even read
    waves = [] if scope.collecting else [wave_id]
    data = response_items(db, waves, scope.item_ids, relationship_type=relationship_type)
    now = moments_from_scores(score_responses(data.responses, data.values, scope.item_dims), CELL_KEYS)
    gates = group_gates(now, scope.k)
    out = pd.concat([now[["rater_dept", "provider_dept"]].astype(str), gates], axis=1)
    out.insert(2, "n", now["n"].where(gates["shown"]).to_numpy(dtype=float))
    out["comments"] = out["shown"] & comments_allowed(now["n"], scope.wave.k_comments).to_numpy()
    rows = data.responses.groupby(["rater_dept", "provider_dept"], observed=True).size()
    found = rows.reindex(pd.MultiIndex.from_frame(out[["rater_dept", "provider_dept"]])).to_numpy(dtype=float)
    out["n_responses"] = np.where(out["shown"], found, np.nan)
    return out.reset_index(drop=True)


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

    Only comments from cells (wave, rater, provider) with at least k_comments people are returned,
    also when a provider or rater is asked for, so a small cell's words never appear. A wave that is
    still open gives none: comments appear when it closes.
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
    groups = published_groups(db, wave_id, relationship_type)
    allowed = groups.loc[groups["comments"], ["rater_dept", "provider_dept"]]
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
    t, dof, p_value, significant (Welch, p < 0.05; None when either row is hidden), suppressed, k.
    Each wave is published with its own threshold and from its shown groups only, exactly as in
    `build_wave_report`; a wave still open is left out.
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
    rows = []
    for wave in waves:
        now = moments[moments["wave_id"] == wave.wave_id]
        if now.empty or _collecting(wave):
            continue
        # The same construction as build_wave_report: shown groups only, at every level.
        table = _published_levels(now, check_threshold(wave.k_min))[level]
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
    history["significant"] = significance(history["p_value"])
    return history[HISTORY_COLUMNS].reset_index(drop=True)
