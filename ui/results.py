"""Cached reads of survey results for the pages, and the filters the dashboards share.

Everything a results page shows comes through here, from `report.build_wave_report` (which has
passed every figure through `suppress_small_cells`). Results are cached with a ttl and cleared by
`clear_results()` whenever new data is written (submissions, imports, wave changes).

Cached functions take plain values (wave ids, codes) so that st.cache_data can hash them; the
database comes from `ui.frame.db()` inside.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from analysis.drivers import quadrant
from analysis.stats_adapter import welch_from_moments
from data.aggregates import RELATIONSHIP_TYPES
from data.org import list_departments, names_by_code
from data.responses import response_count
from data.waves import Wave, get_wave, list_waves, survey_for_version
from report.wave import WaveReport, build_history, build_wave_report, wave_comments
from settings import settings
from surveys.definition import OPEN_QUESTION_IDS
from ui.charts import satisfaction_heatmap, significant_cells, trend_lines
from ui.frame import db, lang, t
from ui.i18n import translate

RESULTS_TTL = settings().results_ttl  # ICSAT_RESULTS_TTL, seconds
FLAG_NAMES = ("mutual", "friction", "low", "asymmetric", "polarised", "declining")


def clear_results() -> None:
    """Forget every cached result; call after any write that changes what pages show."""
    st.cache_data.clear()


@st.cache_data(ttl=RESULTS_TTL, show_spinner=False)
def departments() -> pd.DataFrame:
    """Departments: code, name_en, name_zh, parent_code, active."""
    return list_departments(db())


def department_names(lang: str) -> dict[str, str]:
    """Department code -> name in `lang`."""
    return names_by_code(departments(), lang)


@st.cache_data(ttl=RESULTS_TTL, show_spinner=False)
def waves_with_responses() -> list[str]:
    """Ids of waves that have at least one response, oldest first."""
    return [w.wave_id for w in list_waves(db()) if response_count(db(), w.wave_id) > 0]


@st.cache_data(ttl=RESULTS_TTL, show_spinner=False)
def waves() -> list[Wave]:
    """Every wave, oldest first."""
    return list_waves(db())


@st.cache_data(ttl=RESULTS_TTL, show_spinner=False)
def wave_report(wave_id: str, relationship_type: str | None = None, dimension: str | None = None) -> WaveReport:
    """The suppressed report of one wave (see `report.wave.WaveReport` for every table)."""
    return build_wave_report(db(), wave_id, relationship_type=relationship_type, dimension=dimension)


@st.cache_data(ttl=RESULTS_TTL, show_spinner=False)
def dimension_labels(wave_id: str) -> dict[str, dict[str, str]]:
    """Dimension id -> {"en": label, "zh": label} of the wave's survey, in questionnaire order."""
    wave = get_wave(db(), wave_id)
    survey = survey_for_version(db(), wave.survey_version)
    return {d.id: {"en": d.label.en, "zh": d.label.zh} for d in survey.dimensions}


@st.cache_data(ttl=RESULTS_TTL, show_spinner=False)
def pair_comments(
    wave_id: str, rater_dept: str | None, provider_dept: str | None, relationship_type: str | None = None
) -> pd.DataFrame:
    """Comments of one cell or one provider in one wave, in random order, without dates; only those the
    comment threshold allows (see `report.wave.wave_comments`). Columns: question, text and more."""
    return wave_comments(
        db(), wave_id, rater_dept=rater_dept, provider_dept=provider_dept, relationship_type=relationship_type
    )


@st.cache_data(ttl=RESULTS_TTL, show_spinner=False)
def history(
    level: str,
    *,
    rater_dept: str | None = None,
    provider_dept: str | None = None,
    relationship_type: str | None = None,
    dimension: str | None = None,
) -> pd.DataFrame:
    """One figure over every wave, suppressed, with the Welch test against the wave before
    (`report.wave.build_history`: wave_id, n, mean, ci_low, ci_high, change, p_value, significant,
    suppressed and more). `level`: "organisation", "provider", "rater" or "cell"."""
    return build_history(
        db(),
        level=level,
        rater_dept=rater_dept,
        provider_dept=provider_dept,
        relationship_type=relationship_type,
        dimension=dimension,
    )


@st.cache_data(ttl=RESULTS_TTL, show_spinner=False)
def overview_heatmap(
    wave_id: str, relationship_type: str | None, dimension: str | None, lang: str, centre: float
) -> dict:
    """The Overview heatmap of one wave and filter in `lang`, cached: on a large organisation
    building the figure costs more than reading the cached report, and every rerun needs it."""
    report = wave_report(wave_id, relationship_type, dimension)
    frame = departments()
    figure = satisfaction_heatmap(
        report.cells,
        list(frame.loc[frame["active"], "code"]),
        report.names(lang),
        centre=centre,
        marked=significant_cells(report.cells, centre),
        texts={
            "hidden": translate("hidden", lang),
            "no_data": translate("no_data", lang),
            "hover": translate("hover_cell", lang),
            "mean": translate("mean_satisfaction", lang),
            "x_title": translate("provider_dept", lang),
            "y_title": translate("rater_dept", lang),
            "significant": translate("dash_significant_ring", lang),
        },
    ).to_dict()  # cached as a plain dict: a cached Figure object lost click selection in Chromium
    return figure


def flag_labels(flags: str | None) -> str:
    """The raised flags ("friction,low") as words in the current language ("friction · low")."""
    names = [f for f in str(flags or "").split(",") if f]
    ordered = [f for f in FLAG_NAMES if f in names] + [f for f in names if f not in FLAG_NAMES]
    return " · ".join(t(f"dash_flag_{f}") for f in ordered)


def changes(current: pd.DataFrame, previous: pd.DataFrame, keys: list[str], alpha: float = 0.05) -> pd.DataFrame:
    """Change of suppressed figures between two waves, where both are shown.

    `current` and `previous` are report tables (cells, providers, raters or org) joined on `keys`
    ([] for the organisation). Returns `keys` plus n, mean, previous_n, previous_mean, change,
    p_value (Welch t-test from the means, sds and ns) and significant (p < alpha), largest fall first.
    """
    columns = ["n", "mean", "sd"]
    left = current[~current["suppressed"].astype(bool)][[*keys, *columns]]
    right = previous[~previous["suppressed"].astype(bool)][[*keys, *columns]]
    right = right.rename(columns={c: f"{c}_prev" for c in columns})
    merged = left.merge(right, on=keys) if keys else left.merge(right, how="cross")
    test = welch_from_moments(
        merged["mean"], merged["sd"], merged["n"], merged["mean_prev"], merged["sd_prev"], merged["n_prev"]
    )
    out = merged[keys].copy()
    out["n"], out["mean"] = merged["n"].to_numpy(), merged["mean"].to_numpy()
    out["previous_n"], out["previous_mean"] = merged["n_prev"].to_numpy(), merged["mean_prev"].to_numpy()
    out["change"] = out["mean"] - out["previous_mean"]
    out["p_value"] = test["p_value"].to_numpy()
    out["significant"] = out["p_value"] < alpha
    return out.sort_values("change").reset_index(drop=True)


def org_change(report: WaveReport, compare_wave_id: str | None) -> dict[str, float | bool | None]:
    """The organisation's change since `compare_wave_id`: mean change, its significance (Welch) and
    the iNPS change (None when unknown). Against the wave just before, the report's own trends table
    answers without computing a second report (the cheap, common case)."""
    empty = {"change": None, "significant": False, "inps_change": None}
    if compare_wave_id is None:
        return empty
    if compare_wave_id == report.previous_wave_id:
        rows = report.trends[report.trends["level"] == "organisation"]
        if rows.empty or bool(rows["suppressed"].iloc[0]):
            return empty
        row = rows.iloc[0]
        significant = row["significant"] == row["significant"] and bool(row["significant"])  # NaN: not tested
        return {"change": float(row["change"]), "significant": significant, "inps_change": None}
    before = wave_report(compare_wave_id, report.relationship_type, report.dimension)
    change = changes(report.org, before.org, [])
    if change.empty:
        return empty
    return {
        "change": float(change["change"].iloc[0]),
        "significant": bool(change["significant"].iloc[0]),
        "inps_change": float(report.org["inps"].iloc[0] - before.org["inps"].iloc[0]),
    }


def response_rate(report: WaveReport) -> tuple[int, int]:
    """(invited, responded) over every department of the report's wave."""
    return report.invited_total, report.responded_total


def hotspot_table(report: WaveReport, lang: str) -> pd.DataFrame:
    """The report's shown hotspots, most severe first, with display columns added: pair ("A → B"
    in `lang`), reason (the sentence in `lang`)."""
    names = report.names(lang)
    hot = report.hotspots
    hot = hot[~hot["suppressed"].astype(bool)].sort_values("severity", ascending=False).reset_index(drop=True)
    hot["pair"] = [
        translate("dash_pair_arrow", lang, rater=names.get(r, r), provider=names.get(p, p))
        for r, p in zip(hot["rater_dept"], hot["provider_dept"], strict=True)
    ]
    hot["reason"] = hot["reason_zh"] if lang == "zh" else hot["reason_en"]
    return hot


def pair_summary(report: WaveReport, rater_dept: str, provider_dept: str, lang: str) -> list[dict[str, str]]:
    """Both directions of a pair for a metric: label ("A → B"), value (mean or hidden / no data), help."""
    names = report.names(lang)
    out = []
    for a, b in ((rater_dept, provider_dept), (provider_dept, rater_dept)):
        cell = report.cells[(report.cells["rater_dept"] == a) & (report.cells["provider_dept"] == b)]
        label = translate("dash_pair_arrow", lang, rater=names.get(a, a), provider=names.get(b, b))
        if cell.empty:
            out.append({"label": label, "value": "—", "help": translate("dash_direction_no_data", lang)})
        elif bool(cell["suppressed"].iloc[0]):
            out.append({"label": label, "value": "—", "help": translate("dash_direction_hidden", lang)})
        else:
            row = cell.iloc[0]
            out.append(
                {
                    "label": label,
                    "value": f"{row['mean']:.0f}",
                    "help": f"n = {int(row['n'])}; iNPS {signed(row['inps'])}",
                }
            )
    return out


def pair_dimensions(report: WaveReport, rater_dept: str, provider_dept: str, lang: str) -> pd.DataFrame:
    """Dimension scores of both directions of a pair: label (dimension in `lang`), forward (rater
    rates provider), backward (provider rates rater); NaN where hidden or absent."""
    labels = dimension_labels(report.wave_id)
    cells = report.cells.set_index(["rater_dept", "provider_dept"])
    rows = []
    for dim in report.dimensions:
        values = []
        for pair in ((rater_dept, provider_dept), (provider_dept, rater_dept)):
            shown = pair in cells.index and not bool(cells.loc[pair, "suppressed"])
            values.append(float(cells.loc[pair, f"dim_{dim}"]) if shown else np.nan)
        rows.append({"label": labels.get(dim, {}).get(lang, dim), "forward": values[0], "backward": values[1]})
    return pd.DataFrame(rows, columns=["label", "forward", "backward"])


def trend_series(histories: dict[str, pd.DataFrame], lang: str) -> pd.DataFrame:
    """Histories (see `history`) as one frame for `ui.charts.trend_lines`: series (the dict key),
    wave (the wave's name in `lang`, oldest first), mean, ci_low, ci_high, n, significant."""
    names = {w.wave_id: w.name(lang) for w in waves()}
    order = {w.wave_id: i for i, w in enumerate(waves())}
    frames = []
    for label, frame in histories.items():
        part = frame.assign(series=label, order=frame["wave_id"].map(order), wave=frame["wave_id"].map(names))
        frames.append(part)
    columns = ["series", "wave", "mean", "ci_low", "ci_high", "n", "significant"]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames).sort_values(["order"], kind="stable")[columns].reset_index(drop=True)


def show_trend(series: pd.DataFrame, key: str) -> None:
    """Draw waves over time (a `trend_series` frame), or say that one wave is not yet a trend."""
    if series["wave"].nunique() < 2:
        st.info(t("trends_one_wave"))
        return
    texts = {"mean": t("mean_satisfaction"), "wave": t("trends_wave_axis"), "significant": t("trends_significant")}
    st.plotly_chart(trend_lines(series, texts=texts), width="stretch", key=key)


def comment_groups(report: WaveReport, rater_dept: str | None, provider_dept: str) -> dict[str, list[str]] | None:
    """Comments about a cell (or, with rater_dept None, a provider) grouped by question, in random
    order; None when the comment threshold (k_comments) does not allow showing them."""
    if rater_dept is None:
        rows = report.providers[report.providers["provider_dept"] == provider_dept]
    else:
        rows = report.cells[
            (report.cells["rater_dept"] == rater_dept) & (report.cells["provider_dept"] == provider_dept)
        ]
    if rows.empty or bool(rows["suppressed"].iloc[0]) or not rows["n"].iloc[0] >= report.k_comments:
        return None
    comments = pair_comments(report.wave_id, rater_dept, provider_dept, report.relationship_type)
    groups: dict[str, list[str]] = {}
    for question in OPEN_QUESTION_IDS:
        texts = [str(x) for x in comments.loc[comments["question"] == question, "text"]]
        if texts:
            groups[question] = texts
    return groups


@dataclass(frozen=True)
class DepartmentView:
    """One provider through its customers' eyes, ready to draw (see `department_view`)."""

    figures: pd.Series | None  # the provider's row of report.providers (None: no responses)
    loyalty: pd.DataFrame  # label, promoters, passives, detractors, inps: the provider, then the organisation
    dimensions: pd.DataFrame  # label, score, org_score
    customers: pd.DataFrame  # label, n, mean, ci_low, ci_high, suppressed: worst first, hidden last
    priorities: pd.DataFrame  # label, importance, performance, quadrant
    priorities_from_org: bool  # importance from the organisation (too few responses for the provider's own)
    gaps: pd.DataFrame  # label, self_score, customer_score, gap (shown rows only)


def department_view(report: WaveReport, provider_dept: str, lang: str) -> DepartmentView:
    """Everything the Department report draws for `provider_dept`, from the suppressed report."""
    labels = {d: v.get(lang, d) for d, v in dimension_labels(report.wave_id).items()}
    names = report.names(lang)
    rows = report.providers[report.providers["provider_dept"] == provider_dept]
    figures = rows.iloc[0] if len(rows) and not bool(rows["suppressed"].iloc[0]) else None
    org = report.org.iloc[0]
    org_shown = not bool(org["suppressed"])
    loyalty_rows = []
    # a loyalty figure hidden for fewer than k answers (hidden_figures) has no bar
    if figures is not None and figures["inps"] == figures["inps"]:
        loyalty_rows.append({"label": names.get(provider_dept, provider_dept), **_bands(figures)})
    if org_shown and org["inps"] == org["inps"]:
        loyalty_rows.append({"label": translate("dept_organisation", lang), **_bands(org)})
    loyalty = pd.DataFrame(loyalty_rows, columns=["label", "promoters", "passives", "detractors", "inps"])
    dimensions = pd.DataFrame(
        [
            {
                "label": labels.get(d, d),
                "score": figures[f"dim_{d}"] if figures is not None else np.nan,
                "org_score": org[f"dim_{d}"] if org_shown else np.nan,
            }
            for d in report.dimensions
        ],
        columns=["label", "score", "org_score"],
    )
    cells = report.cells[report.cells["provider_dept"] == provider_dept]
    customers = cells.assign(label=cells["rater_dept"].map(lambda c: names.get(c, c)))
    customers = customers.sort_values(["suppressed", "mean"], kind="stable")[
        ["label", "n", "mean", "ci_low", "ci_high", "suppressed"]
    ].reset_index(drop=True)

    drivers = report.drivers
    own = drivers[(drivers["scope"] == "provider") & (drivers["provider_dept"] == provider_dept)]
    from_org = own.empty
    if from_org and figures is not None:
        # importance from the whole organisation, performance from this department's own scores
        own = drivers[drivers["scope"] == "organisation"].copy()
        own["performance"] = [figures[f"dim_{d}"] for d in own["dimension"]]
        own = own[own["performance"].notna()]
        own["quadrant"] = quadrant(own["importance"], own["performance"]) if len(own) else []
    elif figures is None:
        own = own.iloc[:0]
    priorities = own.assign(label=own["dimension"].map(lambda d: labels.get(d, d)))[
        ["label", "importance", "performance", "quadrant"]
    ].reset_index(drop=True)

    gaps = report.gaps
    gaps = gaps[
        (gaps["level"] == "provider") & (gaps["provider_dept"] == provider_dept) & ~gaps["suppressed"].astype(bool)
    ]
    gaps = gaps[gaps["self_mean"].notna() & gaps["customer_mean"].notna()]
    gap_frame = pd.DataFrame(
        {
            "label": gaps["dimension"].map(lambda d: labels.get(d, d)),
            "self_score": gaps["self_mean"],
            "customer_score": gaps["customer_mean"],
            "gap": gaps["gap"],
        }
    ).reset_index(drop=True)
    return DepartmentView(figures, loyalty, dimensions, customers, priorities, from_org, gap_frame)


def _bands(row: pd.Series) -> dict[str, float]:
    return {
        "promoters": row["promoters"],
        "passives": row["passives"],
        "detractors": row["detractors"],
        "inps": row["inps"],
    }


def network_edges(report: WaveReport, centre: float) -> tuple[pd.DataFrame, dict[str, int]]:
    """The report's cells as graph edges, and per provider the number of weak incoming edges.

    Edges: rater_dept, provider_dept, mean, n, interaction (mean interaction frequency 1-4),
    suppressed. An edge is weak when its 95% interval lies below `centre` (the organisation's mean).
    """
    cells = report.cells
    edges = cells[["rater_dept", "provider_dept", "mean", "n", "frequency", "suppressed"]].rename(
        columns={"frequency": "interaction"}
    )
    shown = cells[~cells["suppressed"].astype(bool)]
    weak = shown[shown["ci_high"] < centre].groupby("provider_dept").size()
    return edges.reset_index(drop=True), {str(k): int(v) for k, v in weak.items()}


def signed(value: float, decimals: int = 0) -> str:
    """A signed figure such as an iNPS (+12), or "—" where it is hidden or there is no data."""
    return "—" if value is None or value != value else f"{value:+.{decimals}f}"


def metric_delta(change: float | None, decimals: int = 1, *, significant: bool = False) -> tuple[str | None, str]:
    """(delta text, delta colour) for st.metric: None without a change; a change that rounds to zero
    reads "0" in grey rather than a red "-0.0"; a significant change gets a star."""
    if change is None or change != change:
        return None, "normal"
    text = f"{change:+.{decimals}f}"
    if float(text) == 0:
        return "0", "off"
    return text + (" *" if significant else ""), "normal"


# ---- filters shared by the dashboards -------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What the person chose: the wave, the wave to compare with, a relationship type, a dimension."""

    wave: Wave
    compare: Wave | None
    relationship_type: str | None
    dimension: str | None


def wave_filters(page: str, *, compare: bool = True, relationship: bool = True, dimension: bool = False) -> Filters:
    """Draw the dashboards' filters in the sidebar and return the choice.

    Stops the page with the empty state when there is no wave, or no wave with responses. The
    widget keys are namespaced by `page` ("<page>.wave", ...), so each page keeps its own choice.
    """
    all_waves = waves()
    if not all_waves:
        st.info(t("empty_no_wave"))
        st.stop()
    with_data = waves_with_responses()
    if not with_data:
        st.info(t("empty_no_responses"))
        st.stop()
    by_id = {w.wave_id: w for w in all_waves}
    options = list(reversed(with_data))
    # The newest wave with published results first: a wave still collecting answers shows only how
    # many have answered (docs/methodology.md, "Anonymity").
    published = [w for w in options if by_id[w].status != "open"]
    with st.sidebar:
        st.subheader(t("dash_filters"))
        wave_id = st.selectbox(
            t("wave"),
            options=options,
            index=options.index(published[0]) if published else 0,
            format_func=lambda w: by_id[w].name(lang()),
            key=f"{page}.wave",
        )
        compare_wave = None
        if compare:
            earlier = [w for w in published if by_id[w].opens_on < by_id[wave_id].opens_on]
            compare_id = st.selectbox(
                t("dash_compare_wave"),
                options=[*earlier, ""],
                format_func=lambda w: by_id[w].name(lang()) if w else t("dash_compare_none"),
                key=f"{page}.compare",
            )
            compare_wave = by_id.get(compare_id) if compare_id else None
        rtype = None
        if relationship:
            rtype = st.selectbox(
                t("dash_relationship_type"),
                options=["", *RELATIONSHIP_TYPES],
                format_func=lambda r: t(f"dash_rtype_{r}") if r else t("dash_rtype_all"),
                key=f"{page}.rtype",
            )
        dim = None
        if dimension:
            labels = dimension_labels(wave_id)
            dim = st.selectbox(
                t("dash_dimension"),
                options=["", *labels],
                format_func=lambda d: labels[d][lang()] if d else t("dash_dimension_all"),
                key=f"{page}.dimension",
            )
    if by_id[wave_id].status == "open":
        collecting_notice(by_id[wave_id])
        st.stop()
    return Filters(by_id[wave_id], compare_wave, rtype or None, dim or None)


def collecting_notice(wave: Wave) -> None:
    """What a results page shows for a wave that is still collecting answers: how many people have
    answered, overall and per department where at least k have, and when results appear."""
    report = wave_report(wave.wave_id)
    st.info(
        t(
            "results_collecting",
            wave=wave.name(lang()),
            responded=report.responded_total,
            invited=report.invited_total,
            closes=wave.closes_on,
            k=report.k,
        )
    )
    part = report.participation
    shown = part[~part["suppressed"].astype(bool) & (part["responded"].fillna(0) > 0)]
    if len(shown):
        names = department_names(lang())
        st.dataframe(
            pd.DataFrame(
                {
                    t("dash_department"): [names.get(c, c) for c in shown["dept_code"]],
                    t("results_collecting_answered"): shown["responded"].astype(int).to_numpy(),
                    t("results_collecting_invited"): shown["invited"].astype(int).to_numpy(),
                }
            ),
            hide_index=True,
            key="results.collecting",
        )


def how_to_read(key: str) -> None:
    """The short "how to read this" of a page, with the pointer to docs/methodology.md."""
    with st.expander(t("how_to_read")):
        st.write(t(key))
        st.caption(t("methodology_link"))
