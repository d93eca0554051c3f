"""The anonymity attacker: organisations built through the import commands, every number the product
publishes collected through the functions the pages and `cli.py export` use, and the published
equations solved for the hidden groups.

A *group* is the people behind one statistic of one cell (wave, rater, provider): "sat" (people with
at least one answered item: count N and sum S of their satisfaction), "rec" (people who answered the
recommend question: N, promoters P, detractors D) and each dimension (N and the sum S of their
dimension scores). The truth is computed here from the generated answers, never by the code under
test.

Every published figure (n, mean, loyalty counts and iNPS, dimension means) of every cell, total,
trend, history row, perception gap and export row must be *explained*: equal to the same figure
computed from a set of groups of its scope. Two explanations are tried: the shown groups only (what
suppression by construction promises) and every group (what a product without it publishes). A
figure explained only by the second puts hidden groups into an equation; a figure neither explains
is a failure by itself. The equations over the hidden groups' unknowns are then solved: no hidden
group's count or sum may be determined (its unit vector is not in their row space), and a linear
program must not bound any hidden count more tightly than its marker (1 to k - 1).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import linprog

import cli
from data.db import Database, open_database
from data.waves import get_wave, list_waves, survey_for_version
from report.exports import aggregate_tables, responses_frame, responses_shown
from report.wave import build_history, build_wave_report
from surveys.definition import load_survey

SURVEY = load_survey()
ITEMS = [item.id for item in SURVEY.items]
ITEM_DIMS = [item.dimension for item in SURVEY.items]
DIMS = list(SURVEY.dimension_ids)
FREQUENCIES = ["less_than_monthly", "monthly", "weekly", "daily"]
TYPES = ("hierarchical", "functional", "process", "cross_functional")
WAVES = (("2025-H1", "2025-01-01", "2025-01-31"), ("2025-H2", "2025-07-01", "2025-07-31"))
TOLERANCE = 1e-6


@dataclass
class Org:
    """A generated organisation: departments, the relationship map, each wave's responses (in the
    import file's columns) and the anonymity threshold of both waves."""

    departments: list[str]
    relationships: pd.DataFrame  # customer_dept, provider_dept, type
    responses: dict[str, pd.DataFrame]  # wave id -> rows of the import file
    k: int
    k_comments: int = 10
    notes: list[str] = field(default_factory=list)


def make_org(seed: int, *, departments: int | None = None, density: float | None = None) -> Org:
    """A random organisation that is hard to protect: many small cells, sizes near k, dimensions and
    the recommend question often skipped, items all "not applicable", types on some pairs only."""
    rng = np.random.default_rng(seed)
    n_depts = departments or int(rng.integers(3, 7))
    depts = [f"D{i}" for i in range(n_depts)]
    k = int(rng.integers(3, 7))
    density = density if density is not None else float(rng.uniform(0.3, 1.0))
    every_pair = [(a, b) for a in depts for b in depts if a != b]
    pairs = [pair for pair in every_pair if rng.random() < density] or every_pair[:3]
    typed = [(a, b, TYPES[int(rng.integers(0, len(TYPES)))]) for a, b in pairs if rng.random() < 0.7]
    relationships = pd.DataFrame(typed, columns=["customer_dept", "provider_dept", "type"])
    skip = {d: float(rng.choice([0.05, 0.3, 0.8])) for d in DIMS}  # some dimensions mostly skipped
    responses = {}
    for wave_id, *_ in WAVES:
        rows = []
        for rater, provider in pairs:
            size = int(rng.choice([1, 2, k - 1, k, k + 1, 2 * k, 12]))
            quality = rng.normal(0, 0.8)
            for _ in range(size):
                answers = {}
                for item, dim in zip(ITEMS, ITEM_DIMS, strict=True):
                    if rng.random() < skip[dim]:
                        answers[item] = ""
                    else:
                        answers[item] = str(int(np.clip(round(3.2 + quality + rng.normal(0, 1.1)), 1, 5)))
                if rng.random() < 0.05:  # everything "not applicable"
                    answers = dict.fromkeys(ITEMS, "")
                recommend = (
                    "" if rng.random() < 0.3 else str(int(np.clip(round(7 + 2 * quality + rng.normal(0, 2)), 0, 10)))
                )
                if not recommend and not any(answers.values()):  # the import refuses a row that answers nothing
                    recommend = str(int(rng.integers(0, 11)))
                rows.append(
                    {
                        "rater_dept": rater,
                        "provider_dept": provider,
                        "frequency": FREQUENCIES[int(rng.integers(0, 4))],
                        "recommend": recommend,
                        **answers,
                        "change": f"{rater}->{provider} change {len(rows)}" if rng.random() < 0.4 else "",
                        "need": "",
                    }
                )
        responses[wave_id] = pd.DataFrame(
            rows, columns=["rater_dept", "provider_dept", "frequency", "recommend", *ITEMS, "change", "need"]
        )
    return Org(depts, relationships, responses, k)


def build(org: Org, folder: Path, target: str | None = None) -> Database:
    """The organisation written through the command line: init, import-org, two waves created,
    opened and closed, and each wave's responses imported (all or nothing). Into a DuckDB file in
    `folder`, or into `target` (a postgresql:// URL of an empty database)."""
    folder.mkdir(parents=True, exist_ok=True)
    db_path = target or str(folder / "org.duckdb")
    departments = folder / "departments.csv"
    pd.DataFrame({"code": org.departments, "name_en": org.departments, "name_zh": org.departments}).to_csv(
        departments, index=False
    )
    relationships = folder / "relationships.csv"
    org.relationships.to_csv(relationships, index=False)
    _run("init", "--db", db_path)
    args = ["import-org", "--db", db_path, "--departments", str(departments)]
    if len(org.relationships):
        args += ["--relationships", str(relationships)]
    _run(*args)
    for wave_id, opens, closes in WAVES:
        _run(
            "wave", "create", "--db", db_path, wave_id, "--opens", opens, "--closes", closes,
            "--k", str(org.k), "--k-comments", str(org.k_comments),
        )  # fmt: skip
        _run("wave", "open", "--db", db_path, wave_id)
        _run("wave", "close", "--db", db_path, wave_id)
        if len(org.responses[wave_id]):
            path = folder / f"{wave_id}.csv"
            org.responses[wave_id].to_csv(path, index=False)
            _run("import-responses", "--db", db_path, "--wave", wave_id, str(path))
    db = open_database(db_path)
    add_plans(db, org)
    return db


PLAN_WAVE, MEASURED_WAVE = WAVES[0][0], WAVES[1][0]
OWNERS = ("owner.a", "owner.b")
ATTACKER = {"username": "attacker", "role": "admin"}


def planned_pairs(org: Org) -> list[tuple[str, str]]:
    """Every other pair rated in the first wave (sorted, so two builds of one organisation agree):
    the pairs given an agreed action plan, whatever the size of their cells (some are hidden)."""
    rated = org.responses[PLAN_WAVE]
    pairs = sorted({tuple(sorted(p)) for p in zip(rated["rater_dept"], rated["provider_dept"], strict=True)})
    return pairs[::2]


def add_plans(db: Database, org: Org) -> None:
    """Agreed action plans from the first wave, each with a target on its first direction, written
    through the service the Actions page calls: what the Actions page and `cli.py export actions`
    then publish about a pair (its change, verdict, target met or not, the planned/unplanned
    comparison) joins what the attacker reads."""
    from argon2 import PasswordHasher

    from services.actions import accept, create_plan

    password = PasswordHasher().hash("not used")
    for owner in OWNERS:
        db.connection().execute(
            "INSERT INTO users (username, display_name, role, password_hash) VALUES (?, ?, 'leader', ?)",
            [owner, owner, password],
        )
    for a, b in planned_pairs(org):
        terms = {
            "title": f"{a} and {b}",
            "owner_a": OWNERS[0],
            "owner_b": OWNERS[1],
            "target_rater": a,
            "target_provider": b,
            "target_value": 60.0,
            "target_wave_id": MEASURED_WAVE,
        }
        plan_id = create_plan(db, ATTACKER, a, b, PLAN_WAVE, terms)
        for side, owner in zip("ab", OWNERS, strict=True):
            accept(db, {"username": owner, "role": "leader"}, plan_id, side)


def _run(*args: str) -> None:
    code = cli.main(list(args))
    assert code == 0, f"cli.py {' '.join(args)} exited with {code}"


# --- the truth ----------------------------------------------------------------------------------


def truth(org: Org) -> pd.DataFrame:
    """Every group of every wave: wave, rater, provider, stat, N, S, P, D (computed here)."""
    frames = []
    for wave_id, rows in org.responses.items():
        if rows.empty:
            continue
        values = rows[ITEMS].replace("", np.nan).astype(float).to_numpy()
        scores = (values - 1) * 25
        base = rows[["rater_dept", "provider_dept"]].rename(
            columns={"rater_dept": "rater", "provider_dept": "provider"}
        )
        answered = ~np.isnan(scores)
        with np.errstate(invalid="ignore"):
            sat = np.nansum(scores, axis=1) / answered.sum(axis=1)
        per = {"sat": sat}
        for dim in DIMS:
            cols = [i for i, d in enumerate(ITEM_DIMS) if d == dim]
            with np.errstate(invalid="ignore"):
                per[dim] = np.nansum(scores[:, cols], axis=1) / answered[:, cols].sum(axis=1)
        recommend = rows["recommend"].replace("", np.nan).astype(float).to_numpy()
        for stat, value in per.items():
            has = ~np.isnan(value)
            frame = base.assign(N=has.astype(int), S=np.where(has, value, 0.0), P=0, D=0)
            frames.append(frame.groupby(["rater", "provider"], as_index=False).sum().assign(stat=stat, wave=wave_id))
        has = ~np.isnan(recommend)
        frame = base.assign(N=has.astype(int), S=0.0, P=(recommend >= 9).astype(int), D=(recommend <= 6).astype(int))
        frames.append(frame.groupby(["rater", "provider"], as_index=False).sum().assign(stat="rec", wave=wave_id))
    out = pd.concat(frames, ignore_index=True)
    types = {(r.customer_dept, r.provider_dept): r.type for r in org.relationships.itertuples()}
    out["type"] = [types.get(pair) for pair in zip(out["rater"], out["provider"], strict=True)]
    return out[out["N"] > 0].reset_index(drop=True)


# --- what is published ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One published number: where it comes from, what it is and its value."""

    source: str
    wave: str
    rtype: str | None
    level: str  # cell, provider, rater, organisation
    rater: str | None
    provider: str | None
    stat: str  # sat, rec or a dimension
    kind: str  # n, mean, promoters, detractors, inps
    value: float
    view: str | None = None  # the dimension filter of the view it was read in


def _views(org: Org) -> list[tuple[str | None, str | None]]:
    types = sorted(set(org.relationships["type"])) if len(org.relationships) else []
    return [(None, None), *((t, None) for t in types), *((None, d) for d in DIMS)]


def _level_figures(frame: pd.DataFrame, source: str, level: str, wave: str, rtype, dimension) -> list[Figure]:
    out = []
    sat = dimension or "sat"
    for row in frame.to_dict("records"):
        if row.get("suppressed"):
            continue
        w = row.get("wave_id", row.get("wave", wave))
        keys = dict(rater=row.get("rater_dept"), provider=row.get("provider_dept"))

        def add(stat: str, kind: str, value, w=w, keys=keys) -> None:
            if value is not None and not (isinstance(value, float) and math.isnan(value)):
                out.append(
                    Figure(
                        source,
                        str(w),
                        rtype,
                        level,
                        keys["rater"],
                        keys["provider"],
                        stat,
                        kind,
                        float(value),
                        dimension,
                    )
                )

        add(sat, "n", row.get("n"))
        add(sat, "mean", row.get("mean"))
        add("rec", "n", row.get("n_recommend"))
        add("rec", "promoters", row.get("promoters"))
        add("rec", "detractors", row.get("detractors"))
        add("rec", "inps", row.get("inps"))
        for dim in DIMS:
            add(dim, "mean", row.get(f"dim_{dim}"))
    return out


def published(db: Database, org: Org) -> tuple[list[Figure], dict]:
    """Every figure of every view of both waves, of the trends, the history, the perception gaps and
    the exported tables; and the frames themselves (for comparing two publications)."""
    figures: list[Figure] = []
    frames: dict = {}
    for wave in list_waves(db):
        for rtype, dimension in _views(org):
            report = build_wave_report(db, wave.wave_id, relationship_type=rtype, dimension=dimension)
            view = f"{wave.wave_id}/{rtype}/{dimension}"
            for name in ("cells", "providers", "raters", "org", "hotspots", "reliability", "drivers", "gaps"):
                frames[f"{view}/{name}"] = getattr(report, name)
            for level, table in (
                ("cell", report.cells),
                ("provider", report.providers),
                ("rater", report.raters),
                ("organisation", report.org),
            ):
                figures += _level_figures(table, "report", level, wave.wave_id, rtype, dimension)
            exported = aggregate_tables(report)  # what `cli.py export` writes
            frames[f"{view}/exported"] = exported
            figures += _level_figures(exported["cells"], "export cells", "cell", wave.wave_id, rtype, dimension)
            for row in exported["trends"].to_dict("records"):
                if row["suppressed"]:
                    continue
                for w, n, mean in (
                    (row["wave"], row["n"], row["mean"]),
                    (row["previous_wave"], row["previous_n"], row["previous_mean"]),
                ):
                    if w is None or (isinstance(w, float) and math.isnan(w)):
                        continue
                    part = {
                        "n": n,
                        "mean": mean,
                        "rater_dept": row["rater_dept"],
                        "provider_dept": row["provider_dept"],
                    }
                    figures += _level_figures(pd.DataFrame([part]), "export trends", row["level"], w, rtype, dimension)
            for row in report.gaps.to_dict("records"):
                if row["suppressed"] or row["customer_mean"] != row["customer_mean"]:
                    continue
                level = "cell" if row["level"] == "pair" else "provider"
                keys = (row["rater_dept"], row["provider_dept"]) if level == "cell" else (None, row["provider_dept"])
                for kind, value in (("n", row["n_customers"]), ("mean", row["customer_mean"])):
                    figures.append(
                        Figure(
                            "gaps", wave.wave_id, rtype, level, *keys, row["dimension"], kind, float(value), dimension
                        )
                    )
            if dimension is None:
                shown = responses_shown(db, wave.wave_id, rtype)
                rows = responses_frame(db, shown, ITEMS, item_dimensions=ITEM_DIMS)
                frames[f"{view}/responses"] = rows.sort_values(list(rows.columns), na_position="first").reset_index(
                    drop=True
                )
                figures += _response_figures(rows, wave.wave_id, rtype)
            figures += _ranking_figures(report, frames, view, wave.wave_id, rtype, dimension)
    frames.update(_action_frames(db))
    for level, keys in (("organisation", []), ("provider", ["provider_dept"]), ("rater", ["rater_dept"])):
        for rtype, dimension in _views(org)[:2] if level == "organisation" else _views(org)[:1]:
            for key in _keys(org, keys):
                history = build_history(db, level=level, relationship_type=rtype, dimension=dimension, **key)
                frames[f"history/{level}/{key}/{rtype}/{dimension}"] = history
                figures += _level_figures(history, "history", level, "", rtype, dimension)
    return figures, frames


def _ranking_figures(report, frames: dict, view: str, wave: str, rtype, dimension) -> list[Figure]:
    """The Overview's list of pairs on a phone (ui.view_models.pair_ranking): its order and every
    mean it shows, each direction's mean a cell figure."""
    from ui.view_models import pair_ranking

    ranking = pair_ranking(report, "en")
    frames[f"{view}/phone ranking"] = ranking
    out = []
    for row in ranking.to_dict("records"):
        for side, (rater, provider) in (
            ("forward", (row["first"], row["second"])),
            ("backward", (row["second"], row["first"])),
        ):
            if row[f"{side}_state"] == "shown":
                out.append(
                    Figure("phone ranking", wave, rtype, "cell", rater, provider, dimension or "sat", "mean",
                           float(row[f"{side}_mean"]), dimension)
                )  # fmt: skip
    return out


def _action_frames(db: Database) -> dict:
    """What the Actions page and `cli.py export actions` publish about the plans: the plans table
    (without its creation times, which differ between two builds) and the planned/unplanned
    comparison."""
    import datetime as dt

    from report.actions import action_tables, outcome_comparison
    from report.wave import build_wave_report

    plans = action_tables(db, dt.date(2026, 1, 1))["plans"]
    compared = outcome_comparison(plans, build_wave_report(db, PLAN_WAVE), build_wave_report(db, MEASURED_WAVE))
    return {
        "actions/plans": plans.drop(columns=["created_at"]),
        "actions/comparison": pd.DataFrame([compared or {}]),
    }


def actions_problems(db: Database, figures: list[Figure]) -> list[str]:
    """Every figure the Actions page and its export show must follow from cell figures published
    without them: a change only where both waves show the direction (and equal to the difference of
    the shown means), a target met or not only where the measured wave shows it, and the comparison
    of planned and unplanned pairs computed from shown cells alone."""
    shown = {
        (f.wave, f.rater, f.provider): f.value
        for f in figures
        if f.source == "report" and f.level == "cell" and f.rtype is None and f.view is None
        and f.stat == "sat" and f.kind == "mean"
    }  # fmt: skip
    frames = _action_frames(db)
    plans, compared = frames["actions/plans"], frames["actions/comparison"].iloc[0]
    problems = []
    for plan in plans.to_dict("records"):
        for suffix, (rater, provider) in (
            ("ab", (plan["dept_a"], plan["dept_b"])),
            ("ba", (plan["dept_b"], plan["dept_a"])),
        ):
            before, after = shown.get((PLAN_WAVE, rater, provider)), shown.get((MEASURED_WAVE, rater, provider))
            change = plan[f"change_{suffix}"]
            where = f"plan {plan['plan_id']} {rater}->{provider}"
            if before is None or after is None:
                if change == change or plan[f"verdict_{suffix}"] not in ("hidden", "no_data"):
                    problems.append(
                        f"{where}: change {change} ({plan[f'verdict_{suffix}']}) of a direction not shown in both waves"
                    )
            elif not _close(float(change), after - before):
                problems.append(f"{where}: change {change} is not {after} - {before}")
        target = shown.get((MEASURED_WAVE, plan["target_rater"], plan["target_provider"]))
        expected = "hidden" if target is None else ("met" if target >= plan["target_value"] else "not_met")
        if plan["target"] != expected:
            problems.append(f"plan {plan['plan_id']}: target {plan['target']}, the shown cells say {expected}")
    # the comparison, recomputed from the shown cells (the rule of report.actions.outcome_comparison)
    planned = {frozenset((a, b)) for a, b in zip(plans["dept_a"], plans["dept_b"], strict=True)}
    moved, starts = {}, {}
    for (wave, rater, provider), before in shown.items():
        after = shown.get((MEASURED_WAVE, rater, provider))
        if wave == PLAN_WAVE and after is not None:
            moved[(rater, provider)], starts[(rater, provider)] = after - before, before
    with_plan = [key for key in moved if frozenset(key) in planned]
    if with_plan:
        ceiling = max(max(starts[k] for k in with_plan), float(np.median(list(starts.values()))))
        others = [key for key in moved if frozenset(key) not in planned and starts[key] <= ceiling]
        if others:
            for name, value in (
                ("n_planned", len(with_plan)),
                ("mean_planned", float(np.mean([moved[k] for k in with_plan]))),
                ("n_others", len(others)),
                ("mean_others", float(np.mean([moved[k] for k in others]))),
            ):
                if not _close(float(compared.get(name, np.nan)), value):
                    problems.append(f"comparison {name} = {compared.get(name)}, from the shown cells {value}")
            return problems
    if compared.get("n_planned", np.nan) == compared.get("n_planned", np.nan):
        problems.append(f"comparison published ({dict(compared)}) without shown planned and unplanned directions")
    return problems


def _keys(org: Org, keys: list[str]) -> list[dict]:
    if not keys:
        return [{}]
    return [{keys[0]: d} for d in org.departments]


def _response_figures(rows: pd.DataFrame, wave: str, rtype) -> list[Figure]:
    """The responses export as sums per cell: every answer that leaves is part of some published group."""
    out = []
    if rows.empty:
        return out
    values = (rows[ITEMS].astype(float).to_numpy() - 1) * 25
    answered = ~np.isnan(values)
    for (rater, provider), idx in rows.groupby(["rater_dept", "provider_dept"]).indices.items():
        v, a = values[idx], answered[idx]
        with np.errstate(invalid="ignore"):
            if a.any():
                for dim in DIMS:
                    cols = [i for i, d in enumerate(ITEM_DIMS) if d == dim]
                    score = np.nansum(v[:, cols], axis=1) / a[:, cols].sum(axis=1)
                    has = ~np.isnan(score)
                    if has.any():
                        out.append(
                            Figure("export responses", wave, rtype, "cell", rater, provider, dim, "n", float(has.sum()))
                        )
                        out.append(
                            Figure(
                                "export responses",
                                wave,
                                rtype,
                                "cell",
                                rater,
                                provider,
                                dim,
                                "mean",
                                float(score[has].mean()),
                            )
                        )
        recommend = rows["recommend"].iloc[idx].astype(float)
        if recommend.notna().any():
            out.append(
                Figure(
                    "export responses", wave, rtype, "cell", rater, provider, "rec", "n", float(recommend.notna().sum())
                )
            )
            out.append(
                Figure(
                    "export responses",
                    wave,
                    rtype,
                    "cell",
                    rater,
                    provider,
                    "rec",
                    "promoters",
                    float((recommend >= 9).sum()),
                )
            )
    return out


# --- the attack -----------------------------------------------------------------------------------


def _shown_groups(figures: list[Figure]) -> set[tuple[str, str, str, str]]:
    """(wave, rater, provider, stat) of every group whose figures are published cell by cell."""
    return {(f.wave, f.rater, f.provider, f.stat) for f in figures if f.level == "cell"}


def _value(scope: dict, mask: np.ndarray, kind: str) -> float:
    """A figure computed from the groups of `scope` selected by `mask`."""
    n = scope["N"][mask].sum()
    if kind == "n":
        return float(n)
    if kind == "promoters":
        return float(scope["P"][mask].sum())
    if kind == "detractors":
        return float(scope["D"][mask].sum())
    if n == 0:
        return math.nan
    if kind == "inps":
        return 100.0 * (scope["P"][mask].sum() - scope["D"][mask].sum()) / n
    return float(scope["S"][mask].sum() / n)


def _close(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or abs(a - b) <= TOLERANCE * max(1.0, abs(b))


@dataclass
class Attack:
    problems: list[str]
    equations: int
    hidden_groups: int
    figures: int


def attack(org: Org, figures: list[Figure]) -> Attack:
    """Explain every figure, write the equations over hidden groups and try to solve them."""
    groups = truth(org)
    shown = _shown_groups(figures)
    # cells shown in each dimension view (a cell is shown there when k people answered that dimension)
    view_cells: dict[tuple, set] = {}
    for f in figures:
        if f.level == "cell" and f.kind == "n" and f.stat == (f.view or "sat"):
            view_cells.setdefault((f.wave, f.view), set()).add((f.rater, f.provider))
    key = list(zip(groups["wave"], groups["rater"], groups["provider"], groups["stat"], strict=True))
    groups["shown"] = [k in shown for k in key]
    problems = []
    too_small = groups[groups["shown"] & (groups["N"] < org.k)]
    for row in too_small.itertuples():
        problems.append(f"{row.wave} {row.rater}->{row.provider} {row.stat}: figures published for {row.N} < k people")
    hidden = groups[~groups["shown"]].reset_index(drop=True)
    # unknowns: N and S of a hidden satisfaction or dimension group; N, P, D of a hidden loyalty group
    columns: dict[tuple, int] = {}
    for i, row in hidden.iterrows():
        for var in ("N", "P", "D") if row.stat == "rec" else ("N", "S"):
            columns[(i, var)] = len(columns)
    rows, rhs = [], []
    # per (wave, stat): plain arrays, so that each figure's scope is a few vectorised comparisons
    index_of = {
        k: i
        for i, k in enumerate(zip(hidden["wave"], hidden["rater"], hidden["provider"], hidden["stat"], strict=True))
    }
    by_wave_stat = {}
    for name, frame in groups.groupby(["wave", "stat"]):
        arrays = {c: frame[c].to_numpy() for c in ("rater", "provider", "type", "shown", "N", "S", "P", "D")}
        arrays["hidden_at"] = np.array(
            [
                index_of.get((name[0], r, p, name[1]), -1)
                for r, p in zip(arrays["rater"], arrays["provider"], strict=True)
            ]
        )
        by_wave_stat[name] = arrays
    for figure in figures:
        scope = by_wave_stat.get((figure.wave, figure.stat))
        if scope is None:
            problems.append(f"{figure}: published, but no group has this figure")
            continue
        mask = np.ones(len(scope["N"]), dtype=bool)
        if figure.rater is not None:
            mask &= scope["rater"] == figure.rater
        if figure.provider is not None:
            mask &= scope["provider"] == figure.provider
        if figure.rtype is not None:
            mask &= scope["type"] == figure.rtype
        shown_mask = mask & scope["shown"]
        if _close(figure.value, _value(scope, shown_mask, figure.kind)):
            continue  # made of shown groups only: nothing about a hidden group in it
        if figure.view is not None:  # shown groups of the cells shown in this dimension's view
            cells = view_cells.get((figure.wave, figure.view), set())
            in_view = np.array([(r, p) in cells for r, p in zip(scope["rater"], scope["provider"], strict=True)])
            if _close(figure.value, _value(scope, shown_mask & in_view, figure.kind)):
                continue
        if not _close(figure.value, _value(scope, mask, figure.kind)):
            problems.append(f"{figure}: not explained by its shown groups nor by all its groups")
            continue
        # hidden groups are in this figure: one equation over their unknowns, the shown ones known
        unknown = np.flatnonzero(mask & ~scope["shown"])
        at = scope["hidden_at"][unknown]
        coefficients = np.zeros(len(columns))
        if figure.kind in ("n", "promoters", "detractors"):
            var = {"n": "N", "promoters": "P", "detractors": "D"}[figure.kind]
            for i in at:
                coefficients[columns[(i, var)]] = 1.0
            value = figure.value - scope[var][shown_mask].sum()
        else:  # a mean (or iNPS) m: sum(S) - m sum(N) = 0, linear in the unknowns
            m = figure.value / 100.0 if figure.kind == "inps" else figure.value
            for i in at:
                if figure.kind == "inps":
                    coefficients[columns[(i, "P")]] += 1.0
                    coefficients[columns[(i, "D")]] -= 1.0
                else:
                    coefficients[columns[(i, "S")]] += 1.0
                coefficients[columns[(i, "N")]] -= m
            if figure.kind == "inps":
                known_part = scope["P"][shown_mask].sum() - scope["D"][shown_mask].sum()
            else:
                known_part = scope["S"][shown_mask].sum()
            value = -(known_part - m * scope["N"][shown_mask].sum())
        rows.append(coefficients)
        rhs.append(value)
    if rows:
        problems += _solve(np.array(rows), np.array(rhs), hidden, columns, org.k)
    return Attack(problems, len(rows), len(hidden), len(figures))


def _solve(a: np.ndarray, b: np.ndarray, hidden: pd.DataFrame, columns: dict, k: int) -> list[str]:
    """Determined unknowns (unit vector in the row space) and LP bounds tighter than the marker."""
    problems = []
    rank = np.linalg.matrix_rank(a)
    for (i, var), j in columns.items():
        unit = np.zeros(a.shape[1])
        unit[j] = 1.0
        if np.linalg.matrix_rank(np.vstack([a, unit])) == rank:
            row = hidden.iloc[i]
            problems.append(f"{row.wave} {row.rater}->{row.provider} {row.stat}: hidden {var} is determined")
    # LP: every hidden count within its marker (1 .. k-1), sums within the scale, band counts within N
    bounds = []
    inequalities, limits = [], []
    for (i, var), j in columns.items():
        if var == "N":
            bounds.append((1, k - 1))
        elif var == "S":
            bounds.append((0, None))
            row = np.zeros(a.shape[1])
            row[j], row[columns[(i, "N")]] = 1.0, -100.0
            inequalities.append(row)
            limits.append(0.0)
        else:
            bounds.append((0, None))
            if var == "D":
                row = np.zeros(a.shape[1])
                row[columns[(i, "P")]], row[j], row[columns[(i, "N")]] = 1.0, 1.0, -1.0
                inequalities.append(row)
                limits.append(0.0)
    ub = (np.array(inequalities), np.array(limits)) if inequalities else (None, None)
    for (i, var), j in columns.items():
        if var != "N":
            continue
        c = np.zeros(a.shape[1])
        c[j] = 1.0
        low = linprog(c, A_ub=ub[0], b_ub=ub[1], A_eq=a, b_eq=b, bounds=bounds, method="highs")
        high = linprog(-c, A_ub=ub[0], b_ub=ub[1], A_eq=a, b_eq=b, bounds=bounds, method="highs")
        if low.status == 0 and high.status == 0 and (-high.fun) - low.fun < (k - 1) - 1 - 1e-6:
            row = hidden.iloc[i]
            problems.append(
                f"{row.wave} {row.rater}->{row.provider} {row.stat}: hidden count bounded to "
                f"[{low.fun:.2f}, {-high.fun:.2f}], tighter than its marker [1, {k - 1}]"
            )
    return problems


def perturb_hidden_cells(org: Org, seed: int) -> Org:
    """The same organisation with every hidden cell (fewer than k people) answered differently and by
    a different number of people (still 1 to k - 1): a reader must not be able to tell the two apart."""
    rng = np.random.default_rng(seed)
    groups = truth(org)
    sat = groups[groups["stat"] == "sat"]
    responses = {}
    for wave_id, rows in org.responses.items():
        sizes = sat[sat["wave"] == wave_id].set_index(["rater", "provider"])["N"]
        cell_n = rows.groupby(["rater_dept", "provider_dept"]).size()
        hidden = [pair for pair in cell_n.index if sizes.get(pair, 0) < org.k]
        keep = rows[[(r, p) not in set(hidden) for r, p in zip(rows["rater_dept"], rows["provider_dept"], strict=True)]]
        fresh = []
        for rater, provider in hidden:
            for _ in range(int(rng.integers(1, org.k))):
                answers = {item: str(int(rng.integers(1, 6))) for item in ITEMS}
                fresh.append(
                    {
                        "rater_dept": rater,
                        "provider_dept": provider,
                        "frequency": FREQUENCIES[int(rng.integers(0, 4))],
                        "recommend": str(int(rng.integers(0, 11))),
                        **answers,
                        "change": f"secret {rng.integers(0, 10**6)}",
                        "need": "",
                    }
                )
        responses[wave_id] = pd.concat([keep, pd.DataFrame(fresh, columns=rows.columns)], ignore_index=True)
    return Org(org.departments, org.relationships, responses, org.k, org.k_comments)


def comments_published(db: Database, org: Org) -> dict:
    """Every comment a page can show, per wave, provider and rater (as sorted lists)."""
    from report.wave import wave_comments

    out = {}
    for wave in list_waves(db):
        for dept in org.departments:
            for key in ("provider_dept", "rater_dept"):
                found = wave_comments(db, wave.wave_id, seed=0, **{key: dept})
                out[(wave.wave_id, key, dept)] = sorted(map(tuple, found.to_numpy().tolist()))
    return out


def csv_bytes(db: Database, wave_id: str, table: str) -> bytes:
    """A table as `cli.py export` writes it (for the open-wave tests)."""
    from report.exports import export_bytes

    return export_bytes(db, table, wave_id, "csv", actor="attacker")


def read_csv(raw: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig")


__all__ = [
    "Org",
    "actions_problems",
    "attack",
    "build",
    "comments_published",
    "csv_bytes",
    "get_wave",
    "make_org",
    "perturb_hidden_cells",
    "planned_pairs",
    "published",
    "read_csv",
    "survey_for_version",
    "truth",
]
