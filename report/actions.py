"""Action plans for people: what the data says about a pair (focus), how the pair moved by the next
wave (outcome and verdict), whether pairs with an agreed plan improved more than comparable pairs
without one, and the printable agenda of a coordination meeting.

Every figure comes from a published `WaveReport` (already passed through analysis/anonymity.py):
a direction whose cell is hidden in either wave gets no figure, only the word "hidden". Comments
come in from the pages' own threshold-safe reader (`report.wave.wave_comments`, k_comments).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.trends import changes, difference_in_change
from data import actions as store
from data.db import Database
from data.waves import Wave
from report.wave import WaveReport
from texts import translate

VERDICTS = ("improved", "no_clear_change", "worse")
CELL_KEYS = ["rater_dept", "provider_dept"]
ASKS_PER_DIRECTION = 3  # comments quoted per direction in a focus or an agenda
OUTCOME_COLUMNS = [
    "rater_dept",
    "provider_dept",
    "previous_mean",
    "mean",
    "change",
    "change_ci_low",
    "change_ci_high",
    "p_value",
    "verdict",
]


def directions(plan: Mapping) -> list[tuple[str, str]]:
    """The plan's two directions: A rates B, B rates A."""
    return [(plan["dept_a"], plan["dept_b"]), (plan["dept_b"], plan["dept_a"])]


def measure_wave(plan_wave: Wave, waves: list[Wave], with_results: set[str]) -> Wave | None:
    """The wave a plan is measured in: the latest closed wave with responses that opened after the
    plan's wave, or None while there is none."""
    later = [w for w in waves if w.status == "closed" and w.wave_id in with_results and w.opens_on > plan_wave.opens_on]
    return max(later, key=lambda w: (w.opens_on, w.wave_id)) if later else None


def _cell(report: WaveReport, rater: str, provider: str) -> pd.Series | None:
    cells = report.cells
    rows = cells[(cells["rater_dept"] == rater) & (cells["provider_dept"] == provider)]
    return None if rows.empty else rows.iloc[0]


def direction_state(report: WaveReport, rater: str, provider: str) -> str:
    """'shown', 'hidden' (fewer than k) or 'no_data' (no responses) for one direction of a wave."""
    row = _cell(report, rater, provider)
    if row is None:
        return "no_data"
    return "hidden" if bool(row["suppressed"]) else "shown"


def verdict(change: float, significant: bool) -> str:
    """'improved' or 'worse' when the Welch test says the change is real (p < 0.05), else
    'no_clear_change'."""
    if significant and change > 0:
        return "improved"
    if significant and change < 0:
        return "worse"
    return "no_clear_change"


def plan_outcome(plan: Mapping, baseline: WaveReport, later: WaveReport) -> pd.DataFrame:
    """Each direction's change from the plan's wave to the measured wave: OUTCOME_COLUMNS, verdict
    in VERDICTS, or 'hidden' / 'no_data' (without figures) where either wave shows no figure."""
    rows = []
    for rater, provider in directions(plan):
        states = {direction_state(report, rater, provider) for report in (baseline, later)}
        if states != {"shown"}:
            state = "hidden" if "hidden" in states else "no_data"
            rows.append({"rater_dept": rater, "provider_dept": provider, "verdict": state})
            continue
        pick = [_cell(baseline, rater, provider).to_frame().T, _cell(later, rater, provider).to_frame().T]
        moved = changes(pick[1].infer_objects(), pick[0].infer_objects(), CELL_KEYS).iloc[0]
        rows.append(
            {
                **{c: moved[c] for c in OUTCOME_COLUMNS if c in moved.index},
                "verdict": verdict(float(moved["change"]), bool(moved["significant"])),
            }
        )
    return pd.DataFrame(rows, columns=OUTCOME_COLUMNS)


def target_state(plan: Mapping, later: WaveReport | None) -> str:
    """'met', 'not_met', 'hidden', 'not_measured' (no later wave yet) or 'none' (no target)."""
    if not isinstance(plan.get("target_rater"), str):
        return "none"
    if later is None:
        return "not_measured"
    row = _cell(later, plan["target_rater"], plan["target_provider"])
    if row is None or bool(row["suppressed"]):
        return "hidden"
    return "met" if float(row["mean"]) >= float(plan["target_value"]) else "not_met"


def outcome_comparison(plans: pd.DataFrame, baseline: WaveReport, later: WaveReport) -> dict | None:
    """Did pairs with an agreed plan started in `baseline`'s wave improve more than comparable pairs
    without a plan, by `later`'s wave?

    Planned: both directions of every agreed plan started from the baseline wave, shown in both
    waves. Comparable: every other direction shown in both waves, of a pair without any plan, that
    started no higher than the ceiling: the highest planned start or the median start of all shown
    directions, whichever is higher (plans go to weak pairs, and weak pairs drift up by regression to
    the mean alone, so strong pairs are left out). Returns `analysis.trends.difference_in_change`
    plus baseline_wave_id, later_wave_id and ceiling; None when either group is empty.
    """
    moved = changes(later.cells, baseline.cells, CELL_KEYS)
    if moved.empty or plans.empty:
        return None
    pairs = {frozenset((a, b)) for a, b in zip(plans["dept_a"], plans["dept_b"], strict=True)}
    agreed = plans[plans["agreed"].astype(bool) & (plans["wave_id"] == baseline.wave_id)]
    planned_pairs = {frozenset((a, b)) for a, b in zip(agreed["dept_a"], agreed["dept_b"], strict=True)}
    pair_of = [frozenset(p) for p in zip(moved["rater_dept"], moved["provider_dept"], strict=True)]
    is_planned = np.array([p in planned_pairs for p in pair_of])
    has_plan = np.array([p in pairs for p in pair_of])
    planned = moved[is_planned]
    if planned.empty:
        return None
    ceiling = float(max(planned["previous_mean"].max(), moved["previous_mean"].median()))
    others = moved[~has_plan & (moved["previous_mean"] <= ceiling)]
    if others.empty:
        return None
    result = difference_in_change(planned["change"], others["change"])
    return {**result, "baseline_wave_id": baseline.wave_id, "later_wave_id": later.wave_id, "ceiling": ceiling}


def lowest_dimensions(report: WaveReport, rater: str, provider: str, count: int = 2) -> list[tuple[str, float]]:
    """The `count` lowest dimension scores of a shown direction, lowest first: (dimension, score)."""
    row = _cell(report, rater, provider)
    if row is None or bool(row["suppressed"]):
        return []
    scores = [(d, float(row[f"dim_{d}"])) for d in report.dimensions if pd.notna(row.get(f"dim_{d}"))]
    return sorted(scores, key=lambda x: x[1])[:count]


def _flags(report: WaveReport, rater: str, provider: str, lang: str) -> tuple[str, str]:
    hot = report.hotspots
    rows = hot[(hot["rater_dept"] == rater) & (hot["provider_dept"] == provider)]
    if rows.empty:
        return "", ""
    row = rows.iloc[0]
    flags = ", ".join(translate(f"dash_flag_{f}", lang) for f in str(row["flags"]).split(",") if f)
    return flags, str(row[f"reason_{lang}"])


def focus_text(
    report: WaveReport,
    plan: Mapping,
    lang: str,
    *,
    labels: Mapping[str, Mapping[str, str]],
    asks: Mapping[tuple[str, str], Mapping[str, list[str]] | None],
) -> str:
    """The plan's focus, prefilled from the data: per direction, its mean, its lowest dimensions,
    its flags and their reason, and what the rating side asked for (comments, where k_comments
    allows: `asks[(rater, provider)]` is None otherwise). A hidden direction gets no figure."""
    names = report.names(lang)
    lines = []
    for rater, provider in directions(plan):
        pair = translate("dash_pair_arrow", lang, rater=names.get(rater, rater), provider=names.get(provider, provider))
        state = direction_state(report, rater, provider)
        if state != "shown":
            lines.append(translate(f"actions_focus_{state}", lang, pair=pair, k=report.k))
            continue
        row = _cell(report, rater, provider)
        lines.append(translate("actions_focus_mean", lang, pair=pair, mean=float(row["mean"]), n=int(row["n"])))
        low = lowest_dimensions(report, rater, provider)
        if low:
            words = translate("list_separator", lang).join(
                f"{labels.get(d, {}).get(lang, d)} {score:.0f}" for d, score in low
            )
            lines.append(translate("actions_focus_lowest", lang, dimensions=words))
        flags, reason = _flags(report, rater, provider, lang)
        if flags:
            lines.append(translate("actions_focus_flags", lang, flags=flags, reason=reason))
        for question, texts in (asks.get((rater, provider)) or {}).items():
            for text in texts[:ASKS_PER_DIRECTION]:
                lines.append(translate(f"actions_focus_ask_{question}", lang, text=text))
    return "\n".join(lines)


def target_from(report: WaveReport, rater: str, provider: str) -> float | None:
    """The starting mean of a target direction (None where it is hidden or has no responses)."""
    row = _cell(report, rater, provider)
    return None if row is None or bool(row["suppressed"]) else round(float(row["mean"]), 1)


def plans_overview(
    db: Database,
    today: dt.date,
    waves: list[Wave],
    with_results: set[str],
    report_of: Callable[[str], WaveReport],
) -> pd.DataFrame:
    """Every plan (data.actions.list_plans columns) with its outcome: measured_wave_id (None while no
    later wave has closed), verdict_ab, change_ab, change_ab_low, change_ab_high (A rates B) and the
    same for _ba, and target ('met', 'not_met', 'hidden', 'not_measured', 'none')."""
    plans = store.list_plans(db, today)
    by_id = {w.wave_id: w for w in waves}
    extra = []
    for plan in plans.to_dict("records"):
        later = measure_wave(by_id[plan["wave_id"]], waves, with_results)
        row: dict[str, object] = {"measured_wave_id": later.wave_id if later else None}
        if later is not None and plan["wave_id"] in with_results:
            outcome = plan_outcome(plan, report_of(plan["wave_id"]), report_of(later.wave_id))
            for suffix, (_, o) in zip(("ab", "ba"), outcome.iterrows(), strict=True):
                row[f"verdict_{suffix}"] = o["verdict"]
                row[f"change_{suffix}"] = o["change"]
                row[f"change_{suffix}_low"] = o["change_ci_low"]
                row[f"change_{suffix}_high"] = o["change_ci_high"]
        row["target"] = target_state(plan, report_of(later.wave_id) if later else None)
        extra.append(row)
    columns = ["measured_wave_id", "target"] + [
        f"{kind}_{s}{end}"
        for s in ("ab", "ba")
        for kind, end in (("verdict", ""), ("change", ""), ("change", "_low"), ("change", "_high"))
    ]
    return pd.concat([plans, pd.DataFrame(extra, index=plans.index, columns=columns)], axis=1)


def agenda_markdown(
    plan: Mapping,
    lang: str,
    *,
    names: Mapping[str, str],
    report: WaveReport,
    commitments: pd.DataFrame,
    asks: Mapping[tuple[str, str], Mapping[str, list[str]] | None],
    next_meeting: dt.date | None,
) -> str:
    """The agenda of the plan's next coordination meeting as Markdown (a file to print or share):
    the pair's figures both ways (shown ones only), open commitments of each side, what each side
    asked for (where k_comments allows)."""
    a, b = plan["dept_a"], plan["dept_b"]
    t = lambda key, **v: translate(key, lang, **v)  # noqa: E731
    out = [f"# {t('actions_agenda_heading', title=plan['title'])}", ""]
    out.append(t("actions_agenda_pair", a=names.get(a, a), b=names.get(b, b)))
    out.append(t("actions_agenda_next", date=next_meeting.isoformat() if next_meeting else t("actions_agenda_tbd")))
    out += ["", f"## 1. {t('actions_agenda_figures', wave=report.wave_id)}", ""]
    for rater, provider in directions(plan):
        pair = t("dash_pair_arrow", rater=names.get(rater, rater), provider=names.get(provider, provider))
        row = _cell(report, rater, provider)
        state = direction_state(report, rater, provider)
        value = f"{float(row['mean']):.0f} (n = {int(row['n'])})" if state == "shown" else t(f"actions_state_{state}")
        out.append(f"- {pair}: {value}")
    out += ["", f"## 2. {t('actions_agenda_open')}", ""]
    open_rows = commitments[commitments["status"].isin(store.OPEN_STATUSES)]
    for side in (a, b):
        out.append(f"### {names.get(side, side)}")
        rows = open_rows[open_rows["side"] == side]
        if rows.empty:
            out.append(f"- {t('actions_agenda_none')}")
        for r in rows.itertuples():
            due = pd.Timestamp(r.due_on).date().isoformat()
            out.append(f"- {r.title} ({r.owner}, {t('actions_due')} {due}, {t(f'actions_status_{r.status}')})")
        out.append("")
    out += [f"## 3. {t('actions_agenda_asks')}", ""]
    for rater, provider in directions(plan):
        pair = t("dash_pair_arrow", rater=names.get(rater, rater), provider=names.get(provider, provider))
        groups = asks.get((rater, provider))
        texts = [x for q in ("need", "change") for x in (groups or {}).get(q, [])[:ASKS_PER_DIRECTION]]
        out.append(f"### {pair}")
        out.append(f"- {t('actions_agenda_no_asks')}" if not texts else "")
        out += [f"- {x}" for x in texts]
        out.append("")
    out += [f"## 4. {t('actions_agenda_decide')}", "", f"- {t('actions_agenda_decide_hint')}", ""]
    return "\n".join(line for line in out if line is not None)


ACTIONS_TABLE = "actions"
EXPORT_PLAN_COLUMNS = [
    "plan_id",
    "dept_a",
    "dept_b",
    "wave_id",
    "title",
    "owner_a",
    "owner_b",
    "accepted_a",
    "accepted_b",
    "agreed",
    "focus",
    "target_rater",
    "target_provider",
    "target_from",
    "target_value",
    "target_wave_id",
    "commitments",
    "open_commitments",
    "done_commitments",
    "overdue",
    "meetings",
    "next_meeting",
    "measured_wave_id",
    "verdict_ab",
    "change_ab",
    "change_ab_low",
    "change_ab_high",
    "verdict_ba",
    "change_ba",
    "change_ba_low",
    "change_ba_high",
    "target",
    "created_by",
    "created_at",
]


def action_tables(db: Database, today: dt.date) -> dict[str, pd.DataFrame]:
    """What `cli.py export actions` writes: plans (EXPORT_PLAN_COLUMNS: every plan with its outcome,
    figures only where the reports show them; _ab is dept_a rating dept_b), commitments and meetings."""
    from functools import cache

    from data.responses import response_count
    from data.waves import list_waves
    from report.wave import build_wave_report

    waves = list_waves(db)
    with_results = {w.wave_id for w in waves if response_count(db, w.wave_id) > 0}
    plans = plans_overview(db, today, waves, with_results, cache(lambda wave_id: build_wave_report(db, wave_id)))
    return {
        "plans": plans.reindex(columns=EXPORT_PLAN_COLUMNS),
        "commitments": store.list_commitments(db),
        "meetings": store.list_meetings(db),
    }


def export_actions(db: Database, fmt: str, out: Path, *, actor: str, today: dt.date | None = None):
    """Write the action plans to `out`: the plans table in csv or parquet, or a workbook of plans,
    commitments and meetings in xlsx; log the export (target 'actions'). Returns an ExportResult."""
    from data.audit import Action, record_event
    from report.exports import FORMATS, ExportError, ExportResult, write_frame, write_workbook

    if fmt not in FORMATS:
        raise ExportError("unknown_format", format=fmt, formats=", ".join(FORMATS))
    tables = action_tables(db, today or dt.date.today())
    sheets = tables if fmt == "xlsx" else {"plans": tables["plans"]}
    if fmt == "xlsx":
        write_workbook(sheets, out)
    else:
        write_frame(sheets["plans"], out, fmt, sheet="plans")
    rows = {name: len(frame) for name, frame in sheets.items()}
    record_event(db, actor, Action.EXPORT, ACTIONS_TABLE, f"format={fmt}; rows={sum(rows.values())}")
    return ExportResult(Path(out), tuple(rows), fmt, rows)
