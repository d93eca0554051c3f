"""How often a hotspot flag is wrong, and how often a real problem is found (issue 17). Not a test.

Run `python bench/hotspots.py` or, from the repository root, `python -m bench.hotspots` (`--quick` for a
smoke run; `--orgs N`, `--sizes S ...`, `--seed`).

Simulates organisations the way the demo generator (data/demo.py) builds responses and runs them
through the code the wave report uses to flag hotspots: analysis.cells.score_responses,
moments_from_scores and stats_from_moments build the cells from item-level answers,
analysis.anonymity.hidden_mask hides cells as the report does, and analysis.hotspots.flag_cells (the
function find_hotspots calls) fits the SRM on the shown cells and raises the flags.

Responses: latent = 63 + rater effect a + provider effect b + pair effect g + person noise (sd 13);
14 Likert items (the default survey's count), each round(1 + (latent + item noise sd 9) / 25)
clipped to 1-5, 3% "not applicable", scored (s - 1) * 25; recommend = round(7.5 + (latent - 63) /
18 + noise) clipped to 0-10, the noise set so that recommend's sd within a cell is about 1 or 1.7.

Null organisations: 10 to 40 departments; a sparse map (each ordered pair rated with probability
0.3, about the demo's) or a dense one (0.6), alternating; 5 to 30 responses a cell; a and b drawn with the setting's
sd, and in every organisation one harsh rater (a = -2.5 sd) and one weak provider (b = -2.5 sd);
two waves with the same effects (nothing changes). Settings (rater sd / provider sd, recommend sd
within a cell): 4/5 with 1 (the demo's), 8/6 with 1, 8/6 with 1.7.

Planted organisations: the same, plus one pattern of each kind on cells of 12 to 20 responses in
both waves (pairs drawn among those not involving the harsh rater or weak provider), at a size S of
15, 20 and 25 points, each size run separately:
- friction:   g(A,B) = -S in both waves;
- mutual:     g(A,B) = g(B,A) = -S;
- asymmetric: g(A,B) = +10, g(B,A) = -S (relationship effects S + 10 apart; the demo plants +10/-16);
- declining:  g(A,B) = 0 in the comparison wave, -S now;
- polarised:  half of the cell's respondents +S, half -S around its expected value (two camps 2 S
  apart; at S = 15 with person sd 13 the mixture is not even bimodal).

Prints, per setting: the share of eligible null cells each conflict flag raises (and any flag;
goals <= 2% each and <= 5% together), how many harsh-rater or weak-provider cells were flagged
friction, mutual or asymmetric (goal 0), and the share of planted cells found (goal >= 90%).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__" and not __package__:
    # Run as a module from the repository root, so that `analysis` imports without touching sys.path.
    os.chdir(ROOT)
    os.execv(sys.executable, [sys.executable, "-m", "bench.hotspots", *sys.argv[1:]])

import argparse  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from analysis.anonymity import hidden_mask  # noqa: E402
from analysis.cells import CELL_KEYS, moments_from_scores, rollup, score_responses, stats_from_moments  # noqa: E402
from analysis.hotspots import FLAGS, HotspotConfig, flag_cells  # noqa: E402

MU = 63.0
PERSON_SD = 13.0
ITEM_SD = 9.0
ITEMS = 14
NOT_APPLICABLE = 0.03
RECOMMEND_SCALE = 18.0
K = 5
SIZES = (15.0, 20.0, 25.0)  # planted sizes in points, each run separately
SETTINGS = [  # name, rater sd, provider sd, recommend sd within a cell
    ("4/5, recommend sd 1", 4.0, 5.0, 1.0),
    ("8/6, recommend sd 1", 8.0, 6.0, 1.0),
    ("8/6, recommend sd 1.7", 8.0, 6.0, 1.7),
]
PLANTED_KINDS = ("friction", "mutual", "asymmetric", "declining", "polarised")
ORACLE_KINDS = ("friction", "declining", "polarised")
ORACLE_FALSE_ALARMS = 0.02  # the most a single flag may raise on null cells


@dataclass
class Org:
    cells: pd.DataFrame  # rater, provider, n (both waves), g_before, g_now, split
    a: np.ndarray
    b: np.ndarray
    harsh: int
    weak: int
    planted: dict[str, list[tuple[int, int]]]


def _organisation(rng: np.random.Generator, index: int, sd_a: float, sd_b: float, plant: float) -> Org:
    """One organisation; `plant` is the planted size in points (0: a null organisation)."""
    depts = int(rng.integers(10, 41))
    density = 0.3 if index % 2 == 0 else 0.6
    a = rng.normal(0, sd_a, depts)
    b = rng.normal(0, sd_b, depts)
    harsh, weak = 0, 1
    a[harsh], b[weak] = -2.5 * sd_a, -2.5 * sd_b
    r, p = np.meshgrid(np.arange(depts), np.arange(depts), indexing="ij")
    keep = (r != p) & (rng.random((depts, depts)) < density)
    keep[harsh, weak] = True  # the harsh rater always meets the weak provider
    cells = pd.DataFrame({"rater": r[keep], "provider": p[keep]})
    cells["n_before"] = rng.integers(5, 31, len(cells))
    cells["n_now"] = rng.integers(5, 31, len(cells))
    cells["g_before"] = 0.0
    cells["g_now"] = 0.0
    cells["split"] = 0.0
    planted: dict[str, list[tuple[int, int]]] = {}
    if plant:
        used: set[int] = {harsh, weak}
        free = [d for d in range(depts) if d not in used]
        combos = [(x, y) for i, x in enumerate(free) for y in free[i + 1 :]]
        pairs = [combos[i] for i in rng.choice(len(combos), 5, replace=False)]

        def put(x: int, y: int, before: float, now: float, split: float = 0.0) -> None:
            nonlocal cells
            row = (cells["rater"] == x) & (cells["provider"] == y)
            values = {
                "rater": x,
                "provider": y,
                "n_before": int(rng.integers(12, 21)),
                "n_now": int(rng.integers(12, 21)),
                "g_before": before,
                "g_now": now,
                "split": split,
            }
            if row.any():
                cells.loc[row, list(values)] = list(values.values())
            else:
                cells = pd.concat([cells, pd.DataFrame([values])], ignore_index=True)

        (f1, f2), (m1, m2), (s1, s2), (d1, d2), (p1, p2) = pairs[:5]
        put(f1, f2, -plant, -plant)
        put(m1, m2, -plant, -plant)
        put(m2, m1, -plant, -plant)
        put(s1, s2, 10.0, 10.0)
        put(s2, s1, -plant, -plant)
        put(d1, d2, 0.0, -plant)
        put(p1, p2, 0.0, 0.0, plant)
        planted = {
            "friction": [(f1, f2)],
            "mutual": [(m1, m2), (m2, m1)],
            "asymmetric": [(s1, s2), (s2, s1)],
            "declining": [(d1, d2)],
            "polarised": [(p1, p2)],
        }
    return Org(cells, a, b, harsh, weak, planted)


def _wave(rng: np.random.Generator, org: Org, wave: str, recommend_noise: float) -> pd.DataFrame:
    """Item-level responses of one wave, scored by analysis.cells, as cells (stats_from_moments)."""
    cells = org.cells
    n = cells["n_before" if wave == "before" else "n_now"].to_numpy()
    g = cells["g_before" if wave == "before" else "g_now"].to_numpy()
    cell = np.repeat(np.arange(len(cells)), n)
    rater = cells["rater"].to_numpy()[cell]
    provider = cells["provider"].to_numpy()[cell]
    latent = MU + org.a[rater] + org.b[provider] + g[cell] + rng.normal(0, PERSON_SD, len(cell))
    split = cells["split"].to_numpy()[cell]
    if split.any():
        # half of each split cell's respondents on either side (responses are exchangeable)
        position = np.arange(len(cell)) - np.repeat(np.cumsum(n) - n, n)
        latent = latent + split * np.where(position < np.repeat(n // 2, n), 1.0, -1.0)
    values = np.clip(np.round(1 + (latent[:, None] + rng.normal(0, ITEM_SD, (len(cell), ITEMS))) / 25), 1, 5)
    values[rng.random(values.shape) < NOT_APPLICABLE] = np.nan
    recommend = np.clip(
        np.round(7.5 + (latent - MU) / RECOMMEND_SCALE + rng.normal(0, recommend_noise, len(cell))), 0, 10
    )
    responses = pd.DataFrame(
        {
            "wave_id": wave,
            "rater_dept": pd.Categorical(rater),
            "provider_dept": pd.Categorical(provider),
            "recommend": recommend,
            "frequency": 3.0,
        }
    )
    scores = score_responses(responses, np.asfortranarray(values), ["d"] * ITEMS)
    moments = moments_from_scores(scores, CELL_KEYS)
    out = stats_from_moments(moments)
    out["rater_dept"] = out["rater_dept"].astype(int)
    out["provider_dept"] = out["provider_dept"].astype(int)
    org_mean = float(stats_from_moments(rollup(moments, []))["mean"].iloc[0])
    out["suppressed"] = hidden_mask(out, K).to_numpy()
    return out.assign(org_mean=org_mean)


def _oracle_statistics(org: Org, before: pd.DataFrame, now: pd.DataFrame) -> pd.DataFrame:
    """Per shown cell, the test statistic an oracle would use for each kind (larger = more alarming).

    The oracle knows what no product can: every department's true harshness and quality (friction:
    the cell mean against 63 + a + b, in standard errors of the cell's own answers) and the true
    within-cell spread (polarised: the cell's variance against the within-cell variance of the wave,
    as a chi-square z). Declining needs no knowledge: the cell's fall in standard errors. Each
    statistic is tested one cell at a time with no multiple-testing correction; `run` sets its
    threshold so that exactly 2% of null cells exceed it, so its recall is the most any test built on
    the same answers can find while raising at most the 2% of false alarms the goal allows.
    """
    from scipy import stats

    shown = now[~now["suppressed"] & (now["n"] >= 2)].set_index(["rater_dept", "provider_dept"])
    se = shown["sd"] / np.sqrt(shown["n"])
    expected = MU + org.a[shown.index.get_level_values(0)] + org.b[shown.index.get_level_values(1)]
    friction = (expected - shown["mean"]) / se
    prior = before[~before["suppressed"] & (before["n"] >= 2)].set_index(["rater_dept", "provider_dept"])
    joined = shown.join(prior[["mean", "sd", "n"]].add_suffix("_before"), how="left")
    declining = (joined["mean_before"] - joined["mean"]) / np.sqrt(
        joined["sd_before"] ** 2 / joined["n_before"] + joined["sd"] ** 2 / joined["n"]
    )
    within = float(np.average(shown["sd"] ** 2, weights=shown["n"] - 1))
    dof = shown["n"] - 1
    polarised = pd.Series(stats.norm.isf(stats.chi2.sf(dof * shown["sd"] ** 2 / within, dof)), index=shown.index)
    return pd.DataFrame({"friction": friction, "declining": declining, "polarised": polarised})


def _recommend_noise(target_sd: float) -> float:
    # Within a cell the latent varies with sd ~13.4 (person noise plus item noise averaged over the
    # items), i.e. 13.4 / 18 on the recommend scale; the noise adds the rest.
    base = 13.4 / RECOMMEND_SCALE
    return float(np.sqrt(max(target_sd**2 - base**2, 0.01)))


def run(orgs_per_setting: int, seed: int, config: HotspotConfig, sizes: tuple[float, ...] = SIZES) -> pd.DataFrame:
    """One row per (setting, kind of run) with counts; printed by `main`."""
    rng = np.random.default_rng(seed)
    rows = []
    for name, sd_a, sd_b, rec_sd in SETTINGS:
        noise = _recommend_noise(rec_sd)
        for plant in (0.0, *sizes):
            counts = {flag: 0 for flag in FLAGS}
            counts.update(any=0, eligible=0, harsh_weak_cells=0, harsh_weak_flagged=0, orgs=0)
            found = {kind: 0 for kind in PLANTED_KINDS}
            total = {kind: 0 for kind in PLANTED_KINDS}
            measured_sd = []
            oracle_null: dict[str, list[np.ndarray]] = {kind: [] for kind in ORACLE_KINDS}
            oracle_planted: dict[str, list[float]] = {kind: [] for kind in ORACLE_KINDS}
            for index in range(orgs_per_setting):
                org = _organisation(rng, index, sd_a, sd_b, plant)
                before = _wave(rng, org, "before", noise)
                now = _wave(rng, org, "now", noise)
                measured_sd.append(np.sqrt(np.nanmean(now["sd"] ** 2)))
                flagged = flag_cells(
                    now,
                    now["suppressed"],
                    org_mean=float(now["org_mean"].iloc[0]),
                    k=K,
                    previous_cells=before,
                    config=config,
                )
                key = list(zip(flagged["rater_dept"], flagged["provider_dept"], strict=True))
                planted_cells = {cell for cells in org.planted.values() for cell in cells}
                null = flagged["eligible"].to_numpy() & np.array([cell not in planted_cells for cell in key])
                counts["orgs"] += 1
                counts["eligible"] += int(null.sum())
                for flag in FLAGS:
                    counts[flag] += int((flagged[flag].to_numpy() & null).sum())
                counts["any"] += int((flagged["flags"].to_numpy() != "")[null].sum())
                harsh_weak = null & (
                    (flagged["rater_dept"].to_numpy() == org.harsh) | (flagged["provider_dept"].to_numpy() == org.weak)
                )
                conflict = flagged[["friction", "mutual", "asymmetric"]].to_numpy().any(axis=1)
                counts["harsh_weak_cells"] += int(harsh_weak.sum())
                counts["harsh_weak_flagged"] += int((harsh_weak & conflict).sum())
                index_of = {cell: i for i, cell in enumerate(key)}
                statistics = _oracle_statistics(org, before, now)
                planted_index = statistics.index.isin(list(planted_cells))
                for kind in ORACLE_KINDS:
                    oracle_null[kind].append(statistics.loc[~planted_index, kind].dropna().to_numpy())
                    for cell in org.planted.get(kind, []):
                        oracle_planted[kind].append(
                            float(statistics[kind].get(cell, np.nan)) if cell in statistics.index else np.nan
                        )
                for kind, cells in org.planted.items():
                    for cell in cells:
                        i = index_of.get(cell)
                        total[kind] += 1
                        found[kind] += int(i is not None and bool(flagged[kind].iloc[i]))
            if not plant:  # the null run comes first: it sets each oracle test's 2% threshold
                thresholds = {
                    k: float(np.quantile(np.concatenate(v), 1 - ORACLE_FALSE_ALARMS)) for k, v in oracle_null.items()
                }
            oracle = {
                f"oracle_{k}": float(np.mean(np.nan_to_num(np.array(v), nan=-np.inf) > thresholds[k])) if v else np.nan
                for k, v in oracle_planted.items()
            }
            rows.append(  # one row per setting and run (null, or planted at one size)
                {
                    **oracle,
                    "setting": name,
                    "run": "planted" if plant else "null",
                    "size": plant,
                    **counts,
                    **{f"found_{k}": found[k] for k in PLANTED_KINDS},
                    **{f"total_{k}": total[k] for k in PLANTED_KINDS},
                    "within_sd": float(np.mean(measured_sd)),
                }
            )
    return pd.DataFrame(rows)


def _percent(x: float, total: float) -> str:
    return f"{100 * x / total:.2f}%" if total else "-"


def report(table: pd.DataFrame) -> str:
    """The markdown table docs/methodology.md carries."""
    lines = [
        "| setting | null orgs | null cells | " + " | ".join(FLAGS) + " | any flag | harsh/weak cells flagged |",
        "| --- | --- | --- | " + " | ".join("---" for _ in FLAGS) + " | --- | --- |",
    ]
    for row in table[table["run"] == "null"].itertuples():
        lines.append(
            f"| {row.setting} | {row.orgs} | {row.eligible} | "
            + " | ".join(_percent(getattr(row, flag), row.eligible) for flag in FLAGS)
            + f" | {_percent(row.any, row.eligible)} | {row.harsh_weak_flagged} of {row.harsh_weak_cells} |"
        )
    lines += [
        "",
        "| setting | planted size | planted orgs | "
        + " | ".join(f"{k} found" for k in PLANTED_KINDS)
        + " | false flags on their other cells |",
        "| --- | --- | --- | " + " | ".join("---" for _ in PLANTED_KINDS) + " | --- |",
    ]
    for row in table[table["run"] == "planted"].itertuples():
        found = [
            f"{getattr(row, f'found_{k}')}/{getattr(row, f'total_{k}')}"
            f" ({_percent(getattr(row, f'found_{k}'), getattr(row, f'total_{k}'))})"
            for k in PLANTED_KINDS
        ]
        lines.append(
            f"| {row.setting} | {row.size:.0f} | {row.orgs} | "
            + " | ".join(found)
            + f" | {_percent(row.any, row.eligible)} |"
        )
    lines += [
        "",
        "| setting | planted size | "
        + " | ".join(f"{k}: best possible at 2% false alarms" for k in ORACLE_KINDS)
        + " |",
        "| --- | --- | " + " | ".join("---" for _ in ORACLE_KINDS) + " |",
    ]
    for row in table[table["run"] == "planted"].itertuples():
        lines.append(
            f"| {row.setting} | {row.size:.0f} | "
            + " | ".join(f"{100 * getattr(row, f'oracle_{k}'):.0f}%" for k in ORACLE_KINDS)
            + " |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orgs", type=int, default=70, help="organisations per setting and run (default 70)")
    parser.add_argument("--quick", action="store_true", help="8 organisations per setting and run")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--sizes", type=float, nargs="+", default=list(SIZES), help="planted sizes in points")
    args = parser.parse_args()
    orgs = 8 if args.quick else args.orgs
    started = time.perf_counter()
    table = run(orgs, args.seed, HotspotConfig(), tuple(args.sizes))
    print(report(table))
    sds = ", ".join(f"{s}: {v:.1f}" for s, v in table.groupby("setting", sort=False)["within_sd"].mean().items())
    print(f"\nwithin-cell sd of the satisfaction score (0-100) measured: {sds}")
    print(
        f"{orgs} null and {orgs} planted organisations per setting, seed {args.seed},"
        f" {time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
