"""View models: what the results pages draw, built from the suppressed report (cached in ui/results.py).

Plain functions from a `WaveReport` (and the person's language) to frames, rows and texts ready for
a chart or a metric; nothing here draws (widgets are in ui/widgets.py) or computes statistics
(analysis/).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.drivers import quadrant
from analysis.trends import changes
from report.wave import WaveReport
from surveys.definition import OPEN_QUESTION_IDS
from ui.frame import t
from ui.i18n import translate
from ui.results import dimension_labels, pair_comments, wave_report, waves

FLAG_NAMES = ("mutual", "friction", "low", "asymmetric", "polarised", "declining")


def flag_explained(flags: str | None) -> str:
    """The raised flags with what each means, in the current language: "friction (rated well below
    what both usually give and get) · declining (...)"."""
    names = [f for f in str(flags or "").split(",") if f]
    ordered = [f for f in FLAG_NAMES if f in names] + [f for f in names if f not in FLAG_NAMES]
    return " · ".join(
        t("dash_flag_explained", flag=t(f"dash_flag_{f}"), meaning=t(f"dash_flag_{f}_means")) for f in ordered
    )


# Severity is in points (analysis.hotspots): under 10 a minor problem, 10 to 20 a clear one, 20 or
# more a serious one (docs/methodology.md, "Hotspots").
SEVERITY_BANDS = ((20.0, "serious"), (10.0, "clear"), (0.0, "minor"))


def severity_band(severity: float) -> str:
    """ "serious", "clear" or "minor": where a hotspot's severity sits on the scale."""
    return next(band for floor, band in SEVERITY_BANDS if severity >= floor or floor == 0.0)


def is_significant(flag: bool | None) -> bool:
    """A `significant` flag (True, False, or None/<NA> where nothing was tested) as a plain yes/no."""
    return bool(pd.notna(flag) and flag)


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
        return {"change": float(row["change"]), "significant": is_significant(row["significant"]), "inps_change": None}
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


def hotspot_pairs(report: WaveReport, lang: str) -> pd.DataFrame:
    """The shown hotspots once per pair of departments, most severe pair first, both directions side
    by side: what leadership reads (a conflict between R&D and Quality is one problem, not two).

    Columns: first, second (codes; first rates second in the pair's more severe flagged direction),
    pair ("First ↔ Second" in `lang`), severity (the larger of the two directions'), and for each
    direction, forward (first rates second) and backward (second rates first): {d}_label ("A → B"),
    {d}_state ("shown", "hidden" or "no_data", from the suppressed cells), {d}_mean (NaN unless
    shown), {d}_flags ("" when the direction raised no flag), {d}_severity (NaN likewise),
    {d}_reason (the sentence in `lang`, "" likewise).
    """
    names = report.names(lang)
    hot = hotspot_table(report, lang)
    cells = report.cells.set_index(["rater_dept", "provider_dept"])
    by_direction = {(row.rater_dept, row.provider_dept): row for row in hot.itertuples()}
    rows, seen = [], set()
    for row in hot.itertuples():  # most severe first, so the first direction met leads its pair
        first, second = row.rater_dept, row.provider_dept
        if frozenset((first, second)) in seen:
            continue
        seen.add(frozenset((first, second)))
        out = {
            "first": first,
            "second": second,
            "pair": translate("dash_pair_both", lang, a=names.get(first, first), b=names.get(second, second)),
            "severity": float(row.severity),
        }
        for side, (a, b) in (("forward", (first, second)), ("backward", (second, first))):
            if (a, b) not in cells.index:
                state, mean = "no_data", np.nan
            elif bool(cells.loc[(a, b), "suppressed"]):
                state, mean = "hidden", np.nan
            else:
                state, mean = "shown", float(cells.loc[(a, b), "mean"])
            flagged = by_direction.get((a, b))
            out |= {
                f"{side}_label": translate("dash_pair_arrow", lang, rater=names.get(a, a), provider=names.get(b, b)),
                f"{side}_state": state,
                f"{side}_mean": mean,
                f"{side}_flags": str(flagged.flags) if flagged is not None else "",
                f"{side}_severity": float(flagged.severity) if flagged is not None else np.nan,
                f"{side}_reason": str(flagged.reason) if flagged is not None else "",
            }
        rows.append(out)
    columns = ["first", "second", "pair", "severity"] + [
        f"{side}_{c}"
        for side in ("forward", "backward")
        for c in ("label", "state", "mean", "flags", "severity", "reason")
    ]
    return pd.DataFrame(rows, columns=columns)


def pair_ranking(report: WaveReport, lang: str) -> pd.DataFrame:
    """Every pair of departments with at least one shown direction, once, the pair with the lowest
    shown mean first: the heatmap as a list (phones). Columns: first, second (codes; first rates
    second in the lower direction), pair ("First ↔ Second"), lowest (the lower shown mean), and per
    direction forward / backward: {d}_label, {d}_state ("shown", "hidden", "no_data"), {d}_mean."""
    names = report.names(lang)
    cells = report.cells
    shown = cells[~cells["suppressed"].astype(bool)]
    # Ties broken by the codes, not by the last bits of a float (which vary with the order DuckDB adds
    # up the rows: two builds of one organisation listed two pairs at 31.25 in either order).
    shown = shown.assign(_rank=shown["mean"].round(9)).sort_values(["_rank", "rater_dept", "provider_dept"])
    state = {
        (r, p): ("hidden" if bool(h) else "shown", m)
        for r, p, h, m in zip(
            cells["rater_dept"], cells["provider_dept"], cells["suppressed"], cells["mean"], strict=True
        )
    }
    rows, seen = [], set()
    for first, second, lowest in zip(shown["rater_dept"], shown["provider_dept"], shown["mean"], strict=True):
        if first == second or frozenset((first, second)) in seen:
            continue
        seen.add(frozenset((first, second)))
        row = {
            "first": first,
            "second": second,
            "pair": translate("dash_pair_both", lang, a=names.get(first, first), b=names.get(second, second)),
            "lowest": float(lowest),
        }
        for side, (a, b) in (("forward", (first, second)), ("backward", (second, first))):
            found, mean = state.get((a, b), ("no_data", np.nan))
            row |= {
                f"{side}_label": translate("dash_pair_arrow", lang, rater=names.get(a, a), provider=names.get(b, b)),
                f"{side}_state": found,
                f"{side}_mean": float(mean) if found == "shown" else np.nan,
            }
        rows.append(row)
    columns = ["first", "second", "pair", "lowest"] + [
        f"{side}_{c}" for side in ("forward", "backward") for c in ("label", "state", "mean")
    ]
    return pd.DataFrame(rows, columns=columns)


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
    """Histories (see `history`) as one frame for `ui.charts.trends.trend_lines`: series (the dict key),
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
    if figures is not None and pd.notna(figures["inps"]):
        loyalty_rows.append({"label": names.get(provider_dept, provider_dept), **_bands(figures)})
    if org_shown and pd.notna(org["inps"]):
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


def network_edges(report: WaveReport, centre: float, lang: str) -> pd.DataFrame:
    """The directions the Network draws, the ones that need attention: shown cells whose 95% interval
    lies below `centre` (the organisation's mean) or that raised a hotspot flag. Hidden cells are
    never drawn. Lowest mean first.

    Columns: rater_dept, provider_dept, mean, ci_low, ci_high, n, interaction (mean interaction
    frequency 1-4), suppressed (always False), below (bool), flags ("" when none), pair ("A → B" in
    `lang`), why (why it is drawn, in `lang`).
    """
    names = report.names(lang)
    cells = report.cells[~report.cells["suppressed"].astype(bool)]
    hot = report.hotspots[~report.hotspots["suppressed"].astype(bool)]
    flags = {(r, p): str(f) for r, p, f in zip(hot["rater_dept"], hot["provider_dept"], hot["flags"], strict=True)}
    keys = list(zip(cells["rater_dept"], cells["provider_dept"], strict=True))
    edges = cells[["rater_dept", "provider_dept", "mean", "ci_low", "ci_high", "n", "frequency", "suppressed"]].rename(
        columns={"frequency": "interaction"}
    )
    edges = edges.assign(below=(cells["ci_high"] < centre).to_numpy(), flags=[flags.get(k, "") for k in keys])
    edges = edges[edges["below"] | (edges["flags"] != "")].sort_values(["mean", "rater_dept", "provider_dept"])
    edges["pair"] = [
        translate("dash_pair_arrow", lang, rater=names.get(r, r), provider=names.get(p, p))
        for r, p in zip(edges["rater_dept"], edges["provider_dept"], strict=True)
    ]
    edges["why"] = [
        translate("list_separator", lang).join(
            ([translate("network_why_below", lang)] if below else [])
            + [translate(f"dash_flag_{f}", lang) for f in FLAG_NAMES if f in str(found).split(",")]
        )
        for below, found in zip(edges["below"], edges["flags"], strict=True)
    ]
    return edges.reset_index(drop=True)


def incoming_counts(edges: pd.DataFrame) -> dict[str, int]:
    """Provider -> number of drawn arrows pointing at it (see `network_edges`)."""
    return {str(k): int(v) for k, v in edges.groupby("provider_dept").size().items()}


def signed(value: float, decimals: int = 0) -> str:
    """A signed figure such as an iNPS (+12), or "—" where it is hidden or there is no data."""
    return "—" if value is None or math.isnan(value) else f"{value:+.{decimals}f}"


def metric_delta(change: float | None, decimals: int = 1, *, significant: bool = False) -> tuple[str | None, str]:
    """(delta text, delta colour) for st.metric: None without a change; a change that rounds to zero
    reads "0" in grey rather than a red "-0.0"; a significant change gets a star."""
    if change is None or math.isnan(change):
        return None, "normal"
    text = f"{change:+.{decimals}f}"
    if float(text) == 0:
        return "0", "off"
    return text + (" *" if significant else ""), "normal"
